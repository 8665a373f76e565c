package views

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Exchanges is the exchange list (`:x`). enter opens the bindings from the
// exchange; y its JSON.
type Exchanges struct {
	*List[mgmt.Exchange]
	keys *keys.Map
}

// DefaultExchangeName is how the default exchange (named "") is shown.
const DefaultExchangeName = "(AMQP default)"

func exchangeName(e mgmt.Exchange) string {
	if e.Name == "" {
		return DefaultExchangeName
	}
	return Clean(e.Name)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// NewExchanges lists exchanges by name.
func NewExchanges(k *keys.Map) *Exchanges {
	return &Exchanges{keys: k, List: NewList(k, ListSpec[mgmt.Exchange]{
		Noun: "exchanges", One: "exchange", FilterHint: "regex on exchange name",
		Key:   func(e mgmt.Exchange) string { return e.VHost + "\x00" + e.Name },
		Sorts: []string{"name", "in", "out", "type", "vhost"}, Ascending: func(s string) bool { return s == "name" || s == "type" || s == "vhost" },
		Columns: []Column[mgmt.Exchange]{
			{Title: "VHOST", Width: 10, Sort: "vhost", Priority: 9, VHost: true, Cell: func(e mgmt.Exchange) string { return Clean(e.VHost) }},
			{Title: "NAME", Sort: "name", Cell: exchangeName},
			{Title: "TYPE", Width: 8, Sort: "type", Priority: 1, Cell: func(e mgmt.Exchange) string { return Clean(e.Type) }},
			{Title: "DURABLE", Width: 7, Priority: 4, Cell: func(e mgmt.Exchange) string { return yesNo(e.Durable) }},
			{Title: "AUTO-DEL", Width: 8, Priority: 5, Cell: func(e mgmt.Exchange) string { return yesNo(e.AutoDelete) }},
			{Title: "INTERNAL", Width: 8, Priority: 5, Cell: func(e mgmt.Exchange) string { return yesNo(e.Internal) }},
			{Title: "IN/S", Width: 7, Right: true, Sort: "in", Priority: 2, Cell: func(e mgmt.Exchange) string { return FmtRate(e.InRate) }},
			{Title: "OUT/S", Width: 7, Right: true, Sort: "out", Priority: 2, Cell: func(e mgmt.Exchange) string { return FmtRate(e.OutRate) }},
		},
	})}
}

// Update: the list's keys, then enter (its bindings) and y (its JSON).
func (v *Exchanges) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	if key.Matches(msg, v.keys.New.Binding) {
		return emit(DeclareExchangeRequested{VHost: v.VHost()})
	}
	e, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Bind.Binding):
		if e.Name != "" {
			return emit(BindRequested{VHost: e.VHost, Destination: e.Name, DestinationType: "exchange"})
		}
	case key.Matches(msg, v.keys.Delete.Binding):
		if e.Name != "" && !strings.HasPrefix(e.Name, "amq.") {
			return emit(DeleteExchangeRequested{VHost: e.VHost, Name: e.Name})
		}
		return emit(RefusedRequested{Why: "the broker's own exchanges (" + exchangeName(e) + ", amq.*) cannot be deleted"})
	case key.Matches(msg, v.keys.Publish.Binding):
		return emit(PublishRequested{VHost: e.VHost, Exchange: e.Name})
	case key.Matches(msg, v.keys.RoutePreview.Binding):
		return emit(RoutePreviewRequested{VHost: e.VHost, Exchange: e.Name})
	case key.Matches(msg, v.keys.Detail.Binding):
		return emit(OpenViewRequested{View: "bindings", VHost: e.VHost, Filter: BindingsOfExchange(e.Name)})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "exchange " + exchangeName(e) + " in " + Clean(e.VHost), Raw: raw})
		}
	}
	return nil
}

// emit is a command that yields msg.
func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }
