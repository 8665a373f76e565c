package views

import (
	"net"
	"regexp"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Connections is the connection list (`:conn`). enter (or H) opens the
// connection's channels; y its JSON. mqtop's own connections carry
// MineMarker; blocked and blocking ones are highlighted.
type Connections struct {
	*List[mgmt.Connection]
	keys      *keys.Map
	nodeNames *NodeNames // shortens the NODE column's names (nil: whole)
}

// UseNodeNames shortens node names as n says (shared with the header).
func (v *Connections) UseNodeNames(n *NodeNames) { v.nodeNames = n }

// MineMarker marks mqtop's own connections in the client column.
const MineMarker = "◆"

// ChannelsOfConnection is the channels view's filter for one connection's
// channels: a channel is named "<connection name> (<number>)".
func ChannelsOfConnection(conn string) string {
	return "^" + regexp.QuoteMeta(conn) + ` \(`
}

// ConnectionNamed is the connections view's filter for exactly one
// connection.
func ConnectionNamed(conn string) string { return "^" + regexp.QuoteMeta(conn) + "$" }

// connClient is what the client says it is: its connection name, then its
// product and version ("orders-svc (RabbitMQ .NET 6.4.0)").
func connClient(c mgmt.Connection) string {
	about := c.Product
	if about == c.ClientName {
		about = "" // mqtop names its connections after itself
	}
	about = strings.TrimSpace(about + " " + c.Version)
	s := c.ClientName
	switch {
	case s == "" && about == "":
		s = unknown
	case s == "":
		s = about
	case about != "":
		s += " (" + about + ")"
	}
	if c.Mine {
		s = MineMarker + " " + s
	}
	return Clean(s)
}

// connPeer is the client's address; direct connections (shovels,
// federation inside the node) have none.
func connPeer(c mgmt.Connection) string {
	switch {
	case c.PeerHost == "":
		return unknown
	case !c.PeerPort.OK:
		return Clean(c.PeerHost)
	}
	return Clean(net.JoinHostPort(c.PeerHost, strconv.FormatInt(c.PeerPort.N, 10)))
}

// fmtByteRate renders bytes per second in IEC units; a rate below one
// byte per second is not shown as 0, which would say nothing moved.
func fmtByteRate(r mgmt.Rate) string {
	switch {
	case !r.OK:
		return unknown
	case r.PerSec <= 0:
		return "0 B"
	case r.PerSec < 1:
		return "<1 B"
	}
	return humanize.IBytes(uint64(r.PerSec + 0.5))
}

// brokerText is s cleaned, or the unknown dash when the broker did not say.
func brokerText(s string) string {
	if s == "" {
		return unknown
	}
	return Clean(s)
}

// NewConnections lists connections by name (which starts with the peer
// address); sorts are ConnectionSort's short keys, served by the API.
func NewConnections(k *keys.Map) *Connections {
	v := &Connections{keys: k}
	v.List = NewList(k, ListSpec[mgmt.Connection]{
		Noun: "connections", One: "connection", FilterHint: "regex on connection name (peer -> local address); user:RE client:RE node:RE host:RE product:RE",
		Key:   func(c mgmt.Connection) string { return c.Name },
		Sorts: []string{"name", "client", "user", "state", "channels", "recv", "send", "vhost", "node"},
		Ascending: func(s string) bool {
			return s == "name" || s == "client" || s == "user" || s == "state" || s == "vhost" || s == "node"
		},
		Highlight: func(c mgmt.Connection) bool { return c.State == "blocked" || c.State == "blocking" },
		Columns: []Column[mgmt.Connection]{
			{Title: "USER", Width: 9, Sort: "user", Priority: 3, Cell: func(c mgmt.Connection) string { return brokerText(c.User) }},
			{Title: "CLIENT", Sort: "client", Cell: connClient},
			// The API's name is "<peer> -> <local>": sorting by it orders by peer.
			{Title: "PEER", Width: 22, Sort: "name", Priority: 4, Cell: connPeer},
			{Title: "VHOST", Width: 10, Sort: "vhost", Priority: 5, VHost: true, Cell: func(c mgmt.Connection) string { return brokerText(c.VHost) }},
			{Title: "NODE", Width: 14, Sort: "node", Priority: 7, Cell: func(c mgmt.Connection) string { return brokerText(v.nodeNames.Short(c.Node)) }},
			{Title: "STATE", Width: 8, Sort: "state", Priority: 1, Cell: func(c mgmt.Connection) string { return brokerText(c.State) }},
			{Title: "CHANS", Width: 5, Right: true, Sort: "channels", Priority: 3, Cell: func(c mgmt.Connection) string { return FmtCount(c.Channels) }},
			{Title: "RECV/S", Width: 8, Right: true, Sort: "recv", Priority: 2, Cell: func(c mgmt.Connection) string { return fmtByteRate(c.RecvRate) }},
			{Title: "SEND/S", Width: 8, Right: true, Sort: "send", Priority: 2, Cell: func(c mgmt.Connection) string { return fmtByteRate(c.SendRate) }},
			{Title: "TLS", Width: 3, Priority: 6, Cell: func(c mgmt.Connection) string { return yesNo(c.TLS) }},
			{Title: "PROTOCOL", Width: 10, Priority: 8, Cell: func(c mgmt.Connection) string { return brokerText(c.Protocol) }},
		},
	})
	v.List.Spec.Legend = func() string {
		for _, c := range v.Rows() {
			if c.Mine {
				return MineMarker + " mqtop's own"
			}
		}
		return ""
	}
	return v
}

// Update: the list's keys, then enter (its page: client properties and
// channels), H (the channels view on its channels) and y (its JSON).
func (v *Connections) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	c, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.CloseConnection.Binding):
		if c.Mine {
			return emit(RefusedRequested{Why: "that is mqtop's own connection: closing it would stop this mqtop's actions"})
		}
		return emit(CloseConnectionRequest{Conn: c})
	case key.Matches(msg, v.keys.Detail.Binding):
		return emit(DetailRequested{View: "connections", Key: c.Name})
	case key.Matches(msg, v.keys.ShowChannels.Binding):
		// Across all vhosts: the API pages and filters that on the server,
		// where one vhost's channels come whole (connection names are unique).
		return emit(OpenViewRequested{View: "channels", Filter: ChannelsOfConnection(c.Name)})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "connection " + Clean(c.Name), Raw: raw})
		}
	}
	return nil
}
