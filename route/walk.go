package route

import (
	"fmt"
	"slices"
	"strings"
)

// defaultExchange routes through the default exchange: every routing key
// names a queue, which gets the message if it exists. Its bindings are
// implicit, it has no alternate exchange, and keys of direct reply-to go to
// the client waiting on them, if any, and no queue.
func defaultExchange(t Topology, keys []string) Result {
	h := Hop{Exchange: "", Type: "direct", Reached: Published}
	var reply []string
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, directReplyTo):
			reply = append(reply, k)
		case t.Queues[k]:
			h.Queues = append(h.Queues, k)
		}
	}
	slices.Sort(h.Queues)
	h.Queues = slices.Compact(h.Queues)
	res := Result{Path: []Hop{h}, Queues: h.Queues, Unroutable: len(h.Queues) == 0, Exact: true}
	if len(reply) > 0 {
		h.Inexact = fmt.Sprintf("the default exchange hands routing key %q to the client waiting for a direct reply-to, if one is", reply[0])
		res.Path[0] = h
		res.Inexact, res.Exact = []string{h.Inexact}, false
	}
	return res
}

// router walks the exchanges like rabbit_exchange:route1: a work list,
// each exchange visited once (the first one counts as visited), every
// destination of a matching binding followed, and an exchange's alternate
// exchange followed when its own bindings matched nothing at all.
type router struct {
	t       Topology
	keys    []string
	headers map[string]any
	from    map[string][]int
	seen    map[string]bool
	work    []Hop
	path    []Hop
	inexact []string
}

func (r *router) visit(h *Hop) {
	x, ok := r.t.Exchanges[h.Exchange]
	if !ok {
		h.Missing = true
		return
	}
	h.Type = x.Type
	if !known(x.Type) {
		h.Inexact = fmt.Sprintf("cannot predict: exchange %q is of plugin type %s", h.Exchange, x.Type)
		return
	}
	var reasons []string
	for _, i := range r.from[h.Exchange] {
		b := r.t.Bindings[i]
		switch match, sure := r.match(x.Type, b); {
		case !sure:
			h.Unsure = append(h.Unsure, i)
			reasons = append(reasons, fmt.Sprintf("binding to %s %q", kindOf(b), b.Destination))
		case match:
			h.Matched = append(h.Matched, i)
		}
	}
	for _, i := range h.Matched {
		b := r.t.Bindings[i]
		if b.DestinationIsExchange {
			h.Exchanges = append(h.Exchanges, b.Destination)
			r.follow(b.Destination, Bound, h.Exchange)
		} else {
			h.Queues = append(h.Queues, b.Destination)
		}
	}
	slices.Sort(h.Queues)
	h.Queues = slices.Compact(h.Queues)
	slices.Sort(h.Exchanges)
	h.Exchanges = slices.Compact(h.Exchanges)
	if len(reasons) > 0 {
		h.Inexact = fmt.Sprintf("cannot tell whether exchange %q's %s matches: the types of its header arguments are not known exactly",
			h.Exchange, strings.Join(reasons, ", "))
		if len(h.Matched) == 0 && x.AlternateExchange != "" {
			h.Inexact += fmt.Sprintf(", so nor whether alternate exchange %q is used", x.AlternateExchange)
		}
		return
	}
	if len(h.Matched) == 0 && x.AlternateExchange != "" {
		h.Alternate = x.AlternateExchange
		r.follow(x.AlternateExchange, Alternate, h.Exchange)
	}
}

// follow adds an exchange to the work list unless it was visited.
func (r *router) follow(name string, how Reach, from string) {
	if r.seen[name] {
		return
	}
	r.seen[name] = true
	r.work = append(r.work, Hop{Exchange: name, Reached: how, From: from})
}

func known(typ string) bool {
	switch typ {
	case "direct", "fanout", "topic", "headers":
		return true
	}
	return false
}

// match decides one binding of an exchange of a known type.
func (r *router) match(typ string, b Binding) (match, sure bool) {
	switch typ {
	case "direct":
		return slices.Contains(r.keys, b.RoutingKey), true
	case "topic":
		for _, k := range r.keys {
			if MatchTopic(b.RoutingKey, k) {
				return true, true
			}
		}
		return false, true
	case "headers":
		return r.t.Equality.MatchHeaders(b.Arguments, r.headers)
	}
	return true, true // fanout
}

func kindOf(b Binding) string {
	if b.DestinationIsExchange {
		return "exchange"
	}
	return "queue"
}
