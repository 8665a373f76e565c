package views

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/msgfmt"
	"github.com/mqtop/mqtop/route"
)

// RouteCheckSubmitted asks to confirm the route preview's prediction on
// the broker (ctrl+s in the route page).
type RouteCheckSubmitted struct {
	ID              int
	VHost, Exchange string
	Message         route.Message
}

// RouteLines renders a prediction: where the message ends, then each
// exchange on the way and what matched there.
func RouteLines(t route.Topology, r route.Result) []string {
	var out []string
	switch {
	case r.Unroutable && r.Exact:
		out = append(out, "→ reaches no queue: a mandatory publish is returned (312 NO_ROUTE), otherwise dropped")
	case len(r.Queues) > 0:
		qs := make([]string, len(r.Queues))
		for i, q := range r.Queues {
			qs[i] = Clean(q)
		}
		out = append(out, fmt.Sprintf("→ %d queue(s): %s", len(qs), strings.Join(qs, ", ")))
	}
	if !r.Exact {
		out = append(out, "cannot predict exactly:")
		for _, why := range r.Inexact {
			out = append(out, "  "+Clean(why))
		}
	}
	for _, h := range r.Path {
		name := ExchangeLabel(h.Exchange)
		head := fmt.Sprintf("%s (%s)", name, Clean(h.Type))
		switch h.Reached {
		case route.Bound:
			head += " via binding from " + ExchangeLabel(h.From)
		case route.Alternate:
			head += " as alternate exchange of " + ExchangeLabel(h.From)
		}
		if h.Missing {
			out = append(out, head+": does not exist (skipped)")
			continue
		}
		out = append(out, head)
		if h.Exchange == "" {
			if len(h.Queues) > 0 {
				out = append(out, "  the queue named by the routing key: "+Clean(strings.Join(h.Queues, ", ")))
			} else {
				out = append(out, "  no queue is named by the routing key")
			}
		}
		for _, i := range h.Matched {
			b := t.Bindings[i]
			kind := "queue"
			if b.DestinationIsExchange {
				kind = "exchange"
			}
			out = append(out, fmt.Sprintf("  matches %s → %s %s", bindingWhat(b), kind, Clean(b.Destination)))
		}
		for _, i := range h.Unsure {
			b := t.Bindings[i]
			out = append(out, fmt.Sprintf("  unsure: %s → %s", bindingWhat(b), Clean(b.Destination)))
		}
		if len(h.Matched) == 0 && h.Exchange != "" && h.Inexact == "" {
			out = append(out, "  no binding matches")
		}
		if h.Alternate != "" {
			out = append(out, "  nothing matched: on to its alternate exchange "+ExchangeLabel(h.Alternate))
		}
	}
	return out
}

// ExchangeLabel names an exchange for the screen: the default exchange
// as (AMQP default).
func ExchangeLabel(name string) string {
	if name == "" {
		return DefaultExchangeName
	}
	return Clean(name)
}

func bindingWhat(b route.Binding) string {
	s := fmt.Sprintf("key %q", Clean(b.RoutingKey))
	if len(b.Arguments) > 0 {
		s += " " + Clean(jsonText(b.Arguments))
	}
	return s
}

// routeMessage reads the route form's message.
func routeMessage(f *Form) (route.Message, error) {
	h, err := msgfmt.ParseHeaders(f.Value("headers"))
	if err != nil {
		return route.Message{}, err
	}
	return route.Message{RoutingKey: f.Value("routing_key"), Headers: h}, nil
}

// NewRoutePage is the route preview of an exchange: a routing key and
// headers, and under them, recomputed as they are typed, where the message
// would go. topology returns the vhost's topology once read (ok false
// while loading, err when it could not be read).
func NewRoutePage(id int, vhost, exchange string, topology func() (route.Topology, bool, error)) (*ActionPage, tea.Cmd) {
	rk := NewLine("routing_key", "routing key", "")
	rk.Hint = "topic: words separated by dots; direct: the exact key"
	h := NewArea("headers", "headers", "", 3)
	h.Hint = "for headers exchanges, and CC / BCC: key=value lines, key:=JSON, or a JSON object"
	h.Validate = func(s string) error { _, err := msgfmt.ParseHeaders(s); return err }
	f, cmd := NewForm("Route preview: "+ExchangeLabel(exchange)+" (vhost "+Clean(vhost)+")", rk, h)
	f.Note = "computed from the bindings as the broker routes; ctrl+s checks it on the broker with temporary objects"
	f.Verb = "check on the broker"
	p := &ActionPage{ID: id, Kind: ActionRoute, VHost: vhost, Queue: exchange, Form: f}
	p.Panel = RoutePanel(f, func() string { return exchange }, topology)
	p.Build = func(f *Form) (tea.Msg, error) {
		m, err := routeMessage(f)
		if err != nil {
			return nil, err
		}
		return RouteCheckSubmitted{ID: id, VHost: vhost, Exchange: exchange, Message: m}, nil
	}
	return p, cmd
}

// RoutePanel predicts, as the form is typed, where its message goes: the
// exchange exchange() names, the form's routing_key and headers fields.
// The publish form shows it under its fields too.
func RoutePanel(f *Form, exchange func() string, topology func() (route.Topology, bool, error)) func(int) []string {
	return func(int) []string {
		t, ok, err := topology()
		switch {
		case err != nil:
			return []string{"route preview: cannot read the topology: " + Clean(err.Error())}
		case !ok:
			return []string{"route preview: reading the vhost's exchanges and bindings…"}
		}
		m, err := routeMessage(f)
		if err != nil {
			return []string{"headers: " + Clean(err.Error())}
		}
		r, err := route.Predict(t, exchange(), m)
		if err != nil {
			return []string{"route preview: cannot publish there: " + Clean(err.Error())}
		}
		return RouteLines(t, r)
	}
}
