package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mqtop/mqtop/internal/instance"
)

// Connection is one client connection.
type Connection struct {
	Name     string // "127.0.0.1:45758 -> 127.0.0.1:5672": the API's key, and what the filter matches
	User     string
	VHost    string
	Node     string
	State    string // running, blocked, blocking, flow, closing
	Protocol string
	Type     string // network or direct (shovels, federation)
	PeerHost string
	PeerPort Count
	// From client_properties: what the client says it is.
	ClientName, Product, Version, Platform string
	Channels                               Count
	ConnectedAt                            Count // ms since the epoch
	// Bytes per second, averaged over RateWindow.
	RecvRate, SendRate Rate
	TLS                bool
	// Mine marks this mqtop's own connections (not another mqtop's: its
	// mqtop_instance client property differs), so a view can flag them and
	// refuse to close the one it stands on.
	Mine bool
	// ClientProperties is the whole client_properties table (capabilities
	// included) when the broker sent it: always from GetConnection.
	ClientProperties Table
	Raw              json.RawMessage // set by GetConnection
}

// mqtopProduct is the product client property every mqtop AMQP session
// sends (amqp/session.go). The connection_name is configurable and
// defaults to "mqtop", so the product is what identifies mqtop.
const mqtopProduct = "mqtop"

// ConnectionSort maps the connections view's sort keys to the API's sort
// fields, for ListQuery.Sort (a short key is accepted there too). The
// rates sort by avg_rate, which exists because the list asks for the
// data-rate window.
var ConnectionSort = map[string]string{
	"name": "name", "user": "user", "vhost": "vhost", "state": "state", "channels": "channels",
	"recv": "recv_oct_details.avg_rate", "send": "send_oct_details.avg_rate",
	"client": "client_properties.connection_name", "node": "node",
}

// connectionOrder orders rows locally by the same API fields, when the
// endpoint does not sort (a vhost's connections).
var connectionOrder = func() map[string]func(a, b Connection) int {
	byName := func(a, b Connection) int { return strings.Compare(a.Name, b.Name) }
	text := func(f func(Connection) string) func(a, b Connection) int { return orderText(f, byName) }
	return map[string]func(a, b Connection) int{
		"name":                              byName,
		"user":                              text(func(c Connection) string { return c.User }),
		"vhost":                             text(func(c Connection) string { return c.VHost }),
		"state":                             text(func(c Connection) string { return c.State }),
		"node":                              text(func(c Connection) string { return c.Node }),
		"client_properties.connection_name": text(func(c Connection) string { return c.ClientName }),
		"channels":                          orderCount(func(c Connection) Count { return c.Channels }, byName),
		"recv_oct_details.avg_rate":         orderRate(func(c Connection) Rate { return c.RecvRate }, byName),
		"send_oct_details.avg_rate":         orderRate(func(c Connection) Rate { return c.SendRate }, byName),
	}
}()

// connectionColumns are the fields a row needs. On 3.10 asking for a
// client_properties subfield returns the whole table; later brokers may
// cut it to these, which is all a row shows.
const connectionColumns = "name,user,vhost,node,state,protocol,type,peer_host,peer_port,ssl,channels,connected_at," +
	"user_provided_name,client_properties.connection_name,client_properties.product," +
	"client_properties.version,client_properties.platform,client_properties.mqtop_instance," +
	"recv_oct_details.avg_rate,recv_oct_details.rate,send_oct_details.avg_rate,send_oct_details.rate"

type rawConnection struct {
	Name             Text         `json:"name"`
	User             Text         `json:"user"`
	VHost            Text         `json:"vhost"`
	Node             Text         `json:"node"`
	State            Text         `json:"state"`
	Protocol         Text         `json:"protocol"`
	Type             Text         `json:"type"`
	PeerHost         Text         `json:"peer_host"`
	PeerPort         Count        `json:"peer_port"`
	SSL              Flag         `json:"ssl"`
	Channels         Count        `json:"channels"`
	ConnectedAt      Count        `json:"connected_at"`
	UserProvidedName Text         `json:"user_provided_name"`
	ClientProperties Table        `json:"client_properties"`
	Recv             *rateDetails `json:"recv_oct_details"`
	Send             *rateDetails `json:"send_oct_details"`
}

func decodeConnection(b json.RawMessage) (Connection, error) {
	var r rawConnection
	if err := json.Unmarshal(b, &r); err != nil {
		return Connection{}, err
	}
	c := Connection{
		Name: string(r.Name), User: string(r.User), VHost: string(r.VHost), Node: string(r.Node),
		State: string(r.State), Protocol: string(r.Protocol), Type: string(r.Type),
		PeerHost: string(r.PeerHost), PeerPort: r.PeerPort, Channels: r.Channels, ConnectedAt: r.ConnectedAt,
		RecvRate: r.Recv.get(), SendRate: r.Send.get(), TLS: bool(r.SSL), ClientProperties: r.ClientProperties,
		ClientName: tableString(r.ClientProperties, "connection_name"),
		Product:    tableString(r.ClientProperties, "product"),
		Version:    tableString(r.ClientProperties, "version"),
		Platform:   tableString(r.ClientProperties, "platform"),
	}
	if c.ClientName == "" {
		c.ClientName = string(r.UserProvidedName) // the broker's copy of connection_name
	}
	c.Mine = c.Product == mqtopProduct && tableString(r.ClientProperties, instance.Property) == instance.ID
	return c, nil
}

// tableString reads a string client property; clients may send other types.
func tableString(t Table, key string) string {
	s, _ := t[key].(string)
	return s
}

// Connections lists one window of the connections, with byte rates averaged
// over RateWindow. Across all vhosts the API pages, sorts and filters; a
// vhost's list (/api/vhosts/{vhost}/connections) does not page on 3.10, so
// it is fetched whole and cut here, with the same filter on the name.
func (c *Client) Connections(ctx context.Context, q ListQuery) (ListPage[Connection], error) {
	q.Sort = sortKeyField(ConnectionSort, q.Sort, "")
	window := withDataRateWindow(url.Values{})
	var (
		p   ListPage[Connection]
		err error
	)
	path := "connections"
	if q.VHost != "" {
		path = "vhosts/" + pathEscape(q.VHost) + "/connections"
	}
	if field, match, re := connectionFieldFilter(q.Filter); field != "" {
		// The API filters on the name only: fetched whole, filtered here.
		q.Filter = re
		p, err = wholeWithParams(ctx, c, path, connectionColumns, window, q, decodeConnection, match, connectionOrder[q.Sort])
	} else if q.VHost == "" {
		p, err = pagedWithParams(ctx, c, "connections", connectionColumns, window, q, decodeConnection)
	} else {
		p, err = wholeWithParams(ctx, c, path, connectionColumns, window, q, decodeConnection, matchConnection, connectionOrder[q.Sort])
	}
	if err != nil {
		return ListPage[Connection]{}, fmt.Errorf("list connections%s: %w", inVHost(q.VHost), err)
	}
	return p, nil
}

func matchConnection(re *regexp.Regexp, c Connection) bool { return re.MatchString(c.Name) }

// ConnectionFilterFields are the prefixes a connections filter may start
// with to match another field than the name ("user:oncall", "client:^billing",
// "node:n2", "host:10\.0\.", "product:^mqtop$"). The management API
// filters on the name only, so such a filter fetches the list whole (one
// request, every connection) and matches here.
var ConnectionFilterFields = map[string]func(Connection) string{
	"user":    func(c Connection) string { return c.User },
	"client":  func(c Connection) string { return c.ClientName },
	"node":    func(c Connection) string { return c.Node },
	"host":    func(c Connection) string { return c.PeerHost },
	"product": func(c Connection) string { return c.Product },
}

// connectionFieldFilter splits "field:regex" for a known field; otherwise
// field is "" and the filter is a name regex (a connection name starts with
// an address, never with one of these words and a colon).
func connectionFieldFilter(filter string) (field string, match func(*regexp.Regexp, Connection) bool, re string) {
	f, rest, ok := strings.Cut(filter, ":")
	get := ConnectionFilterFields[f]
	if !ok || get == nil {
		return "", nil, filter
	}
	return f, func(re *regexp.Regexp, c Connection) bool { return re.MatchString(get(c)) }, rest
}

// GetConnection reads one connection whole, for the detail page: every
// client property, and the raw JSON.
func (c *Client) GetConnection(ctx context.Context, name string) (Connection, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "connections/"+pathEscape(name), withDataRateWindow(url.Values{}), &raw); err != nil {
		return Connection{}, fmt.Errorf("read connection %q: %w", name, err)
	}
	conn, err := decodeConnection(raw)
	if err != nil {
		return Connection{}, fmt.Errorf("decode connection %q: %w", name, err)
	}
	conn.Raw = raw
	return conn, nil
}
