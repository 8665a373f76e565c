package views

import (
	"regexp"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Channels is the channel list (`:ch`). enter (or C) opens the channel's
// consumers, O its connection; y its JSON.
type Channels struct {
	*List[mgmt.Channel]
	keys *keys.Map
}

// ChannelNamed is the channels view's filter for exactly one channel.
func ChannelNamed(ch string) string { return "^" + regexp.QuoteMeta(ch) + "$" }

// chanMode is the channel's publishing mode, as the management UI's Mode
// column: publisher confirms, transactions, or neither.
func chanMode(ch mgmt.Channel) string {
	switch {
	case ch.Transactional:
		return "tx"
	case ch.Confirm:
		return "confirm"
	}
	return "none"
}

// NewChannels lists channels by name ("<connection name> (<number>)");
// sorts are ChannelSort's short keys, served by the API.
func NewChannels(k *keys.Map) *Channels {
	return &Channels{keys: k, List: NewList(k, ListSpec[mgmt.Channel]{
		Noun: "channels", One: "channel", FilterHint: "regex on channel name (connection name (number))",
		Key:   func(ch mgmt.Channel) string { return ch.Name },
		Sorts: []string{"name", "unacked", "prefetch", "consumers", "in", "out", "user", "state", "vhost"},
		Ascending: func(s string) bool {
			return s == "name" || s == "user" || s == "state" || s == "vhost"
		},
		Columns: []Column[mgmt.Channel]{
			{Title: "VHOST", Width: 10, Sort: "vhost", Priority: 6, VHost: true, Cell: func(ch mgmt.Channel) string { return brokerText(ch.VHost) }},
			// The channel's name starts with its connection's: sorting by it
			// groups a connection's channels.
			{Title: "CONNECTION", Sort: "name", Cell: func(ch mgmt.Channel) string { return brokerText(ch.ConnectionName) }},
			{Title: "NUM", Width: 4, Right: true, Priority: 1, Cell: func(ch mgmt.Channel) string { return FmtCount(ch.Number) }},
			{Title: "USER", Width: 9, Sort: "user", Priority: 3, Cell: func(ch mgmt.Channel) string { return brokerText(ch.User) }},
			{Title: "PREFETCH", Width: 8, Right: true, Sort: "prefetch", Priority: 2, Cell: func(ch mgmt.Channel) string { return FmtCount(ch.Prefetch) }},
			{Title: "UNACKED", Width: 8, Right: true, Sort: "unacked", Priority: 1, Cell: func(ch mgmt.Channel) string { return FmtCount(ch.Unacked) }},
			{Title: "MODE", Width: 7, Priority: 4, Cell: chanMode},
			{Title: "CONS", Width: 5, Right: true, Sort: "consumers", Priority: 2, Cell: func(ch mgmt.Channel) string { return FmtCount(ch.Consumers) }},
			{Title: "STATE", Width: 7, Sort: "state", Priority: 1, Cell: func(ch mgmt.Channel) string { return brokerText(ch.State) }},
			{Title: "PUB/S", Width: 7, Right: true, Sort: "in", Priority: 5, Cell: func(ch mgmt.Channel) string { return FmtRate(ch.PublishRate) }},
			{Title: "DLV/S", Width: 7, Right: true, Sort: "out", Priority: 5, Cell: func(ch mgmt.Channel) string { return FmtRate(ch.DeliverRate) }},
		},
	})}
}

// Update: the list's keys, then enter (its page, with its consumers), C
// (the consumers view on them), O (its connection) and y (its JSON).
func (v *Channels) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	ch, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Detail.Binding):
		return emit(DetailRequested{View: "channels", Key: ch.Name})
	case key.Matches(msg, v.keys.ShowConsumers.Binding):
		return emit(OpenViewRequested{View: "consumers", VHost: ch.VHost, Filter: ConsumersOfChannel(ch.Name)})
	case key.Matches(msg, v.keys.ShowConnection.Binding):
		if ch.ConnectionName != "" {
			return emit(OpenViewRequested{View: "connections", Filter: ConnectionNamed(ch.ConnectionName)})
		}
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "channel " + Clean(ch.Name), Raw: raw})
		}
	}
	return nil
}
