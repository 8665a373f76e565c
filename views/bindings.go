package views

import (
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Bindings is the binding list (`:b`): `/` matches source, destination and
// routing key. enter opens the destination, X the source exchange.
type Bindings struct {
	*List[mgmt.Binding]
	keys *keys.Map
}

func bindingSource(b mgmt.Binding) string {
	if b.Source == "" {
		return DefaultExchangeName
	}
	return Clean(b.Source)
}

// exchangeBindingsPrefix marks the filter of an exchange's bindings: those
// from it and those to it. It is not a regex: the bindings fetch applies it.
const exchangeBindingsPrefix = "exchange:"

// BindingsOfExchange is the filter of the bindings from and to exchange.
func BindingsOfExchange(exchange string) string { return exchangeBindingsPrefix + exchange }

// BindingsExchange reads a filter made by BindingsOfExchange.
func BindingsExchange(filter string) (string, bool) {
	return strings.CutPrefix(filter, exchangeBindingsPrefix)
}

// FromOrTo: the binding is from the exchange, or to it.
func FromOrTo(b mgmt.Binding, exchange string) bool {
	return b.Source == exchange || (b.DestinationType == "exchange" && b.Destination == exchange)
}

// Exactly is a filter matching one name and nothing else.
func Exactly(name string) string { return "^" + regexp.QuoteMeta(name) + "$" }

// NewBindings lists bindings by source.
func NewBindings(k *keys.Map) *Bindings {
	return &Bindings{keys: k, List: NewList(k, ListSpec[mgmt.Binding]{
		Noun: "bindings", One: "binding", FilterHint: "regex on source, destination or routing key",
		Key: func(b mgmt.Binding) string {
			return strings.Join([]string{b.VHost, b.Source, b.DestinationType, b.Destination, b.PropertiesKey}, "\x00")
		},
		Sorts:     []string{"source", "destination", "routing_key", "destination_type", "vhost"},
		Ascending: func(string) bool { return true },
		Columns: []Column[mgmt.Binding]{
			{Title: "VHOST", Width: 10, Sort: "vhost", Priority: 9, VHost: true, Cell: func(b mgmt.Binding) string { return Clean(b.VHost) }},
			{Title: "SOURCE", Width: 22, Sort: "source", Cell: bindingSource},
			{Title: "DESTINATION", Sort: "destination", Cell: func(b mgmt.Binding) string { return Clean(b.Destination) }},
			{Title: "KIND", Width: 8, Sort: "destination_type", Priority: 2, Cell: func(b mgmt.Binding) string { return Clean(b.DestinationType) }},
			{Title: "ROUTING KEY", Width: 20, Sort: "routing_key", Priority: 1, Cell: func(b mgmt.Binding) string { return Clean(b.RoutingKey) }},
			{Title: "ARGUMENTS", Width: 24, Priority: 3, Cell: func(b mgmt.Binding) string { return strings.Join(tableLines(b.Arguments), ", ") }},
		},
	})}
}

// Update: the list's keys, then enter (the destination), X (the source)
// and y (its JSON).
func (v *Bindings) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	b, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Delete.Binding):
		if b.Source == "" {
			return emit(RefusedRequested{Why: "the default exchange's bindings are implicit: delete the queue instead"})
		}
		return emit(UnbindRequested{Binding: b})
	case key.Matches(msg, v.keys.Rebind.Binding):
		if b.Source == "" {
			return emit(RefusedRequested{Why: "the default exchange's bindings are implicit and cannot be changed"})
		}
		return emit(RebindRequested{Binding: b})
	case key.Matches(msg, v.keys.Detail.Binding):
		view := "queues"
		if b.DestinationType == "exchange" {
			view = "exchanges"
		}
		return emit(OpenViewRequested{View: view, VHost: b.VHost, Filter: Exactly(b.Destination)})
	case key.Matches(msg, v.keys.ShowSource.Binding):
		return emit(OpenViewRequested{View: "exchanges", VHost: b.VHost, Filter: Exactly(b.Source)})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "binding " + bindingSource(b) + " → " + Clean(b.Destination), Raw: raw})
		}
	}
	return nil
}
