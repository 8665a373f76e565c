package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/mqtop/mqtop/route"
)

// RouteTopology reads what route.Predict needs of one vhost, whole: its
// exchanges (type, internal, alternate exchange from the argument or else
// from the policy applied), its bindings (the default exchange's implicit
// ones left out: the default exchange routes by queue name) and its queue
// names. Four unpaged requests with columns=; the route preview reads it
// once when it opens.
func (c *Client) RouteTopology(ctx context.Context, vhost string) (route.Topology, error) {
	fail := func(what string, err error) (route.Topology, error) {
		return route.Topology{}, fmt.Errorf("read the %s of vhost %q for the route preview: %w", what, vhost, err)
	}
	var rawX []json.RawMessage
	if err := c.getJSON(ctx, "exchanges/"+pathEscape(vhost), url.Values{"columns": {"name,type,internal,arguments,policy"}}, &rawX); err != nil {
		return fail("exchanges", err)
	}
	pols, err := c.Policies(ctx, ListQuery{VHost: vhost})
	if err != nil {
		return fail("policies", err)
	}
	aeOf := map[string]string{}
	for _, p := range pols.Items {
		if ae, ok := p.Definition["alternate-exchange"].(string); ok && !p.Operator {
			aeOf[p.Name] = ae
		}
	}
	t := route.Topology{Exchanges: map[string]route.Exchange{}, Queues: map[string]bool{}}
	for _, item := range rawX {
		x, err := decodeExchange(item)
		if err != nil {
			return fail("exchanges", err)
		}
		e := route.Exchange{Name: x.Name, Type: x.Type, Internal: x.Internal}
		if ae, ok := x.Arguments["alternate-exchange"].(string); ok {
			e.AlternateExchange = ae
		} else if ae, ok := aeOf[x.Policy]; ok && x.Policy != "" {
			e.AlternateExchange = ae
		}
		t.Exchanges[x.Name] = e
	}
	bindings, err := c.bindingList(ctx, "bindings/"+pathEscape(vhost))
	if err != nil {
		return fail("bindings", err)
	}
	for _, b := range bindings {
		if b.Source == "" {
			continue
		}
		t.Bindings = append(t.Bindings, route.Binding{Source: b.Source, Destination: b.Destination,
			DestinationIsExchange: b.DestinationType == "exchange", RoutingKey: b.RoutingKey, Arguments: b.Arguments})
	}
	var queues []struct {
		Name Text `json:"name"`
	}
	if err := c.getJSON(ctx, "queues/"+pathEscape(vhost), url.Values{"columns": {"name"}}, &queues); err != nil {
		return fail("queues", err)
	}
	for _, q := range queues {
		t.Queues[string(q.Name)] = true
	}
	ov, err := c.Overview(ctx)
	if err == nil {
		t.Equality = route.EqualityFor(ov.RabbitMQVersion)
	} else {
		t.Equality = route.EqualityFor("")
	}
	return t, nil
}
