package views

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Consumers is the consumer list (`:cons`). enter (or H) opens the
// consumer's channel, O its connection; y its JSON.
type Consumers struct {
	*List[mgmt.ConsumerRow]
	keys *keys.Map
}

// consumersChannelPrefix starts a consumers filter that is not a regex on
// the queue name or tag (what mgmt.Consumers matches) but one channel's
// exact name: how a channel opens its consumers. The consumers view's
// fetch (tui/view_consumers.go) reads it with ConsumersChannel.
const consumersChannelPrefix = "channel:"

// ConsumersOfChannel is the consumers view's filter for one channel's
// consumers.
func ConsumersOfChannel(ch string) string { return consumersChannelPrefix + ch }

// ConsumersChannel reads a filter made by ConsumersOfChannel: the exact
// channel name, and whether the filter is one.
func ConsumersChannel(filter string) (string, bool) {
	return strings.CutPrefix(filter, consumersChannelPrefix)
}

// consActive says whether the consumer gets deliveries: a standby of a
// single-active-consumer queue waits.
func consActive(r mgmt.ConsumerRow) string {
	switch r.ActivityStatus {
	case "waiting":
		return "waiting"
	case "single_active":
		return "yes (SAC)"
	case "suspected_down":
		return "suspected"
	}
	if !r.ActiveKnown {
		return unknown
	}
	return yesNo(r.Active)
}

func consAck(r mgmt.ConsumerRow) string {
	if r.AckRequired {
		return "manual"
	}
	return "auto"
}

// shortChannel names a channel by its peer and number, "10.0.0.5:5555
// (1)", dropping the broker's own address that every channel of the node
// shares; other names (direct connections) are kept whole.
func shortChannel(r mgmt.ConsumerRow) string {
	name := r.ChannelName
	if name == "" {
		return unknown
	}
	if i, j := strings.Index(name, " -> "), strings.LastIndex(name, " ("); i >= 0 && j > i {
		name = name[:i] + name[j:]
	}
	return Clean(name)
}

// NewConsumers lists consumers by queue; /api/consumers neither pages nor
// sorts, so mgmt sorts them (ConsumerSort's short keys) and cuts the window.
func NewConsumers(k *keys.Map) *Consumers {
	v := &Consumers{keys: k, List: NewList(k, ListSpec[mgmt.ConsumerRow]{
		Noun: "consumers", One: "consumer", FilterHint: "regex on queue name or consumer tag",
		Key: func(r mgmt.ConsumerRow) string {
			return r.VHost + "\x00" + r.Queue + "\x00" + r.ChannelName + "\x00" + r.Tag
		},
		Describe: func(key string) string {
			f := strings.Split(key, "\x00")
			if len(f) != 4 {
				return Clean(key)
			}
			return Clean(f[3]) + " on " + Clean(f[1]) + " in " + Clean(f[0])
		},
		Sorts:     []string{"queue", "tag", "channel", "prefetch", "active"},
		Ascending: func(s string) bool { return s == "queue" || s == "tag" || s == "channel" },
		Columns: []Column[mgmt.ConsumerRow]{
			{Title: "VHOST", Width: 10, Priority: 4, VHost: true, Cell: func(r mgmt.ConsumerRow) string { return brokerText(r.VHost) }},
			{Title: "QUEUE", Sort: "queue", Cell: func(r mgmt.ConsumerRow) string { return brokerText(r.Queue) }},
			{Title: "TAG", Width: 20, Sort: "tag", Priority: 1, Cell: func(r mgmt.ConsumerRow) string { return brokerText(r.Tag) }},
			{Title: "ACTIVE", Width: 9, Sort: "active", Priority: 1, Cell: consActive},
			{Title: "PREFETCH", Width: 8, Right: true, Sort: "prefetch", Priority: 2, Cell: func(r mgmt.ConsumerRow) string { return FmtCount(r.Prefetch) }},
			{Title: "ACK", Width: 6, Priority: 2, Cell: consAck},
			{Title: "CHANNEL", Width: 24, Sort: "channel", Priority: 3, Cell: shortChannel},
		},
	})}
	v.List.Spec.Legend = func() string {
		for _, r := range v.Rows() {
			if r.ActivityStatus == "waiting" {
				return "waiting: standby of a single-active-consumer queue"
			}
		}
		return ""
	}
	return v
}

// Update: the list's keys, then enter or H (its channel), O (its
// connection) and y (its JSON).
func (v *Consumers) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	r, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Detail.Binding, v.keys.ShowChannels.Binding):
		if r.ChannelName != "" {
			return emit(OpenViewRequested{View: "channels", Filter: ChannelNamed(r.ChannelName)})
		}
	case key.Matches(msg, v.keys.ShowConnection.Binding):
		if r.ConnectionName != "" {
			return emit(OpenViewRequested{View: "connections", Filter: ConnectionNamed(r.ConnectionName)})
		}
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "consumer " + Clean(r.Tag) + " on " + Clean(r.Queue) + " in " + Clean(r.VHost), Raw: raw})
		}
	}
	return nil
}
