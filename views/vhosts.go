package views

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// VHosts is the vhost list (`:vh`): queues and messages per vhost, its
// description, tags and default queue type. enter opens the queues of the
// vhost; y its JSON. A vhost that is not running on every node is
// highlighted.
//
// The list is not scoped by :vhost: it is where a vhost is chosen, so it
// always shows them all.
type VHosts struct {
	*List[mgmt.VHost]
	keys *keys.Map
}

// NewVHosts lists vhosts by name.
func NewVHosts(k *keys.Map) *VHosts {
	v := &VHosts{keys: k}
	v.List = NewList(k, ListSpec[mgmt.VHost]{
		Noun: "vhosts", One: "vhost", FilterHint: "regex on vhost name",
		Key: func(h mgmt.VHost) string { return h.Name },
		// mgmt.VHostSort: the API has no queue count to sort by.
		Sorts: []string{"name", "messages", "ready", "unacked"}, Ascending: func(s string) bool { return s == "name" },
		Highlight: vhostDown,
		Legend:    v.legend,
		Columns: []Column[mgmt.VHost]{
			{Title: "NAME", Sort: "name", Cell: func(h mgmt.VHost) string { return Clean(h.Name) }},
			{Title: "QUEUES", Width: 7, Right: true, Priority: 1, Cell: func(h mgmt.VHost) string { return FmtCount(h.Queues) }},
			{Title: "READY", Width: 9, Right: true, Sort: "ready", Priority: 2, Cell: func(h mgmt.VHost) string { return FmtCount(h.Ready) }},
			{Title: "UNACKED", Width: 9, Right: true, Sort: "unacked", Priority: 2, Cell: func(h mgmt.VHost) string { return FmtCount(h.Unacked) }},
			{Title: "TOTAL", Width: 9, Right: true, Sort: "messages", Priority: 1, Cell: func(h mgmt.VHost) string { return FmtCount(h.Messages) }},
			{Title: "DEFAULT QT", Width: 10, Priority: 3, Cell: vhostQueueType},
			{Title: "TAGS", Width: 12, Priority: 4, Cell: func(h mgmt.VHost) string { return Clean(strings.Join(h.Tags, ",")) }},
			{Title: "DESCRIPTION", Width: 44, Priority: 5, Cell: func(h mgmt.VHost) string { return Clean(h.Description) }},
		},
	})
	return v
}

// SetVHost does nothing: the vhost list is where a vhost is chosen (and
// mgmt.ListVHosts has no scope), so :vhost leaves it showing them all.
func (v *VHosts) SetVHost(string) {}

// vhostQueueType is the vhost's default queue type; "–" when none is set
// (the broker's own default applies: classic unless configured otherwise).
func vhostQueueType(h mgmt.VHost) string {
	if h.DefaultQueueType == "" {
		return unknown
	}
	return Clean(h.DefaultQueueType)
}

// vhostDown reports a vhost that some node does not run.
func vhostDown(h mgmt.VHost) bool {
	for _, st := range h.ClusterState {
		if st != "running" {
			return true
		}
	}
	return false
}

// legend explains the highlight, when a row on screen has it.
func (v *VHosts) legend() string {
	for _, h := range v.Rows() {
		if vhostDown(h) {
			return "highlighted: not running on every node"
		}
	}
	return ""
}

// Update: the list's keys, then enter (the vhost's page: limits and
// counts), Q (its queues) and y (its JSON).
func (v *VHosts) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	if key.Matches(msg, v.keys.New.Binding) {
		return emit(AddVHostRequested{})
	}
	h, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Rebind.Binding):
		return emit(VHostLimitsRequested{Name: h.Name})
	case key.Matches(msg, v.keys.Delete.Binding):
		return emit(DeleteVHostRequested{Name: h.Name})
	case key.Matches(msg, v.keys.Detail.Binding):
		return emit(DetailRequested{View: "vhosts", Key: h.Name})
	case key.Matches(msg, v.keys.ShowQueues.Binding):
		return emit(OpenViewRequested{View: "queues", VHost: h.Name})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "vhost " + Clean(h.Name), Raw: raw})
		}
	}
	return nil
}
