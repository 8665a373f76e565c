package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

// Exchange is one exchange as the exchanges view shows it. The default
// exchange has the name "" (the view writes it "(AMQP default)"). The rates
// are unknown when the broker sent no message_stats: an exchange nothing
// was ever published to, or a broker with statistics off.
type Exchange struct {
	VHost, Name, Type             string
	Durable, AutoDelete, Internal bool
	Arguments                     Table
	Policy                        string // the policy applied, if any (sent only when one is)
	InRate, OutRate               Rate   // messages/s in and routed out, averaged over RateWindow
}

// ExchangeSort maps the exchanges view's sort keys to the API's sort
// fields, for ListQuery.Sort. The rates sort on the server by avg_rate,
// which exists because every list asks for the rate window.
var ExchangeSort = map[string]string{
	"name": "name", "vhost": "vhost", "type": "type",
	"in":  "message_stats.publish_in_details.avg_rate",
	"out": "message_stats.publish_out_details.avg_rate",
}

// exchangeColumns are the fields a row needs: without columns= each row
// carries the 30 s rate samples of both rates.
const exchangeColumns = "name,vhost,type,durable,auto_delete,internal,arguments,policy," +
	"message_stats.publish_in_details.avg_rate,message_stats.publish_in_details.rate," +
	"message_stats.publish_out_details.avg_rate,message_stats.publish_out_details.rate"

// rawExchange mirrors the broker's JSON with every field lenient.
type rawExchange struct {
	VHost        Text  `json:"vhost"`
	Name         Text  `json:"name"`
	Type         Text  `json:"type"`
	Durable      Flag  `json:"durable"`
	AutoDelete   Flag  `json:"auto_delete"`
	Internal     Flag  `json:"internal"`
	Arguments    Table `json:"arguments"`
	Policy       Text  `json:"policy"`
	MessageStats *struct {
		In  *rateDetails `json:"publish_in_details"`
		Out *rateDetails `json:"publish_out_details"`
	} `json:"message_stats"`
}

func decodeExchange(raw json.RawMessage) (Exchange, error) {
	var r rawExchange
	if err := json.Unmarshal(raw, &r); err != nil {
		return Exchange{}, err
	}
	e := Exchange{
		VHost: string(r.VHost), Name: string(r.Name), Type: string(r.Type),
		Durable: bool(r.Durable), AutoDelete: bool(r.AutoDelete), Internal: bool(r.Internal),
		Arguments: r.Arguments, Policy: string(r.Policy),
	}
	if ms := r.MessageStats; ms != nil {
		e.InRate, e.OutRate = ms.In.get(), ms.Out.get()
	}
	return e, nil
}

// Exchanges fetches one window of /api/exchanges[/{vhost}], which pages:
// sorted (q.Sort: a value of ExchangeSort, or its key) and filtered by
// name on the server.
func (c *Client) Exchanges(ctx context.Context, q ListQuery) (ListPage[Exchange], error) {
	q.Sort = sortKeyField(ExchangeSort, q.Sort, "") // a short key ("in") works too
	p, err := pagedList(ctx, c, scoped("exchanges", q.VHost), exchangeColumns, q, decodeExchange)
	if err != nil {
		return p, fmt.Errorf("list exchanges%s: %w", ofVHost(q.VHost), err)
	}
	return p, nil
}

// ExchangeBindings lists the bindings the exchange is the source of (from:
// where it routes to) and the destination of (to: exchange-to-exchange
// bindings into it). The default exchange is addressed as "amq.default",
// as the management UI does: "exchanges/v/" with the empty name would be
// the list of the vhost's exchanges, and "//" is merged by many proxies.
// Its source bindings are the implicit one per queue. A missing exchange is
// no error: the broker answers 200 with no bindings.
func (c *Client) ExchangeBindings(ctx context.Context, vhost, name string) (from, to []Binding, err error) {
	base := "exchanges/" + pathEscape(vhost) + "/" + exchangeSegment(name) + "/bindings/"
	if from, err = c.bindingList(ctx, base+"source"); err != nil {
		return nil, nil, fmt.Errorf("list bindings from exchange %q%s: %w", name, inVHost(vhost), err)
	}
	if to, err = c.bindingList(ctx, base+"destination"); err != nil {
		return nil, nil, fmt.Errorf("list bindings to exchange %q%s: %w", name, inVHost(vhost), err)
	}
	return from, to, nil
}

func (c *Client) bindingList(ctx context.Context, path string) ([]Binding, error) {
	var raw []json.RawMessage
	if err := c.getJSON(ctx, path, nil, &raw); err != nil {
		return nil, err
	}
	out := make([]Binding, 0, len(raw))
	for _, item := range raw {
		b, err := decodeBinding(item)
		if err != nil {
			return nil, fmt.Errorf("decode binding: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// exchangeSegment is the exchange's path segment; names starting "amq."
// are reserved, so "amq.default" cannot name any other exchange.
func exchangeSegment(name string) string {
	if name == "" {
		return "amq.default"
	}
	return pathEscape(name)
}

// BindingSort maps the bindings view's sort keys to ListQuery.Sort values.
// /api/bindings does not page (it ignores page=), so mqtop sorts locally:
// ties are broken by source, destination, routing key so the order is
// stable between polls.
var BindingSort = map[string]string{
	"source": "source", "destination": "destination", "routing_key": "routing_key",
	"vhost": "vhost", "destination_type": "destination_type",
}

const bindingColumns = "source,vhost,destination,destination_type,routing_key,arguments,properties_key"

// Bindings fetches /api/bindings[/{vhost}] whole and serves the window.
// The filter matches the source, the destination or the routing key. The
// list includes the default exchange's implicit binding to every queue.
func (c *Client) Bindings(ctx context.Context, q ListQuery) (ListPage[Binding], error) {
	field := cmp.Or(q.Sort, "source")
	key := func(b Binding) string {
		switch field {
		case "destination":
			return b.Destination
		case "routing_key":
			return b.RoutingKey
		case "vhost":
			return b.VHost
		case "destination_type":
			return b.DestinationType
		}
		return b.Source
	}
	less := func(a, b Binding) int {
		return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.VHost, b.VHost), cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Destination, b.Destination), cmp.Compare(a.RoutingKey, b.RoutingKey),
			cmp.Compare(a.PropertiesKey, b.PropertiesKey))
	}
	match := func(re *regexp.Regexp, b Binding) bool {
		return re.MatchString(b.Source) || re.MatchString(b.Destination) || re.MatchString(b.RoutingKey)
	}
	p, err := wholeList(ctx, c, scoped("bindings", q.VHost), bindingColumns, q, decodeBinding, match, less)
	if err != nil {
		return p, fmt.Errorf("list bindings%s: %w", ofVHost(q.VHost), err)
	}
	return p, nil
}

// decodeBinding reads a binding leniently (a null or a number where a
// string belongs is no error).
func decodeBinding(raw json.RawMessage) (Binding, error) {
	var r struct {
		VHost           Text  `json:"vhost"`
		Source          Text  `json:"source"`
		Destination     Text  `json:"destination"`
		DestinationType Text  `json:"destination_type"`
		RoutingKey      Text  `json:"routing_key"`
		Arguments       Table `json:"arguments"`
		PropertiesKey   Text  `json:"properties_key"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Binding{}, err
	}
	return Binding{
		VHost: string(r.VHost), Source: string(r.Source), Destination: string(r.Destination),
		DestinationType: string(r.DestinationType), RoutingKey: string(r.RoutingKey),
		Arguments: r.Arguments, PropertiesKey: string(r.PropertiesKey),
	}, nil
}

// ofVHost is the error context of a list: ` of vhost "v"`, or nothing for
// the whole broker.
func ofVHost(vh string) string {
	if vh == "" {
		return ""
	}
	return " of vhost " + strconv.Quote(vh)
}
