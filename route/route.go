// Package route predicts where RabbitMQ routes a message published to an
// exchange, from the exchanges, bindings and queues of a vhost, with the
// broker's own rules: direct, fanout, topic ("*" and "#") and headers
// (x-match all, any, all-with-x, any-with-x) exchanges, the default
// exchange, exchange-to-exchange bindings, alternate exchanges, and the CC
// and BCC headers. It does no I/O: the caller brings the topology (from the
// management API) and may check a prediction with a publish.
//
// The rules are those of rabbit_exchange:route/2 and the exchange type
// modules of RabbitMQ 3.10 to 4.x; where they changed (how a headers
// exchange compares values, 3.13) Topology.Equality says which applies.
// An exchange of a type it does not know (a plugin's: x-consistent-hash,
// x-delayed-message, x-random, x-jms-topic, ...) is not guessed at: the
// result says it is inexact and why.
package route

import (
	"errors"
	"fmt"
	"slices"
)

// Exchange is one exchange of the vhost.
type Exchange struct {
	Name string // "" is the default exchange
	Type string // "direct", "fanout", "topic", "headers", or a plugin's type
	// AlternateExchange is where the broker sends what this exchange's own
	// bindings route nowhere: its "alternate-exchange" argument, or, when it
	// has none, that of the policy applied to it (the argument wins). ""
	// is none; the broker routes nothing through an alternate exchange
	// named "" either.
	AlternateExchange string
	// Internal exchanges refuse publishes (403 ACCESS_REFUSED) but route
	// what reaches them through bindings or as an alternate exchange.
	Internal bool
}

// Binding is one binding, from the exchange Source to a queue or, when
// DestinationIsExchange, to an exchange.
type Binding struct {
	Source, Destination   string
	DestinationIsExchange bool
	RoutingKey            string
	// Arguments: x-match and the headers to match, for a headers
	// exchange; as the management API's JSON decodes them is fine (see
	// Equality.MatchHeaders).
	Arguments map[string]any
}

// Topology is what Predict routes through: one vhost's exchanges, bindings
// and queues.
type Topology struct {
	Exchanges map[string]Exchange // by name; the default exchange need not be listed
	Bindings  []Binding
	// Queues are the names of the queues that exist: the default exchange
	// routes to the queue its routing key names only if there is one.
	Queues map[string]bool
	// Equality is how headers exchanges compare values on this broker:
	// EqualityFor(its version). The zero value is RabbitMQ before 3.13.
	Equality Equality
}

// Message is what is published: its routing key and headers (as mqtop
// publishes them: Go ints become longs, float64 doubles, strings longstr).
// The arrays in headers "CC" and "BCC" are further routing keys, as the
// broker reads them.
type Message struct {
	RoutingKey string
	Headers    map[string]any
}

// Reach is how the message came to an exchange.
type Reach int

const (
	Published Reach = iota // the exchange it was published to
	Bound                  // through an exchange-to-exchange binding
	Alternate              // as the alternate exchange of From
)

func (r Reach) String() string {
	switch r {
	case Bound:
		return "bound"
	case Alternate:
		return "alternate"
	}
	return "published"
}

// Hop is one exchange the message visits, and what it did there.
type Hop struct {
	Exchange string
	Type     string
	Reached  Reach
	From     string // the exchange it came from, when Bound or Alternate
	// Matched are the indexes into Topology.Bindings of this exchange's
	// bindings that match, ascending: a subset of Topology.BindingsFrom
	// (Exchange), to compare binding by binding with the broker's own
	// verdict (amqp.Session.ProbeRoute). Empty for the default exchange,
	// whose bindings are implicit.
	Matched []int
	// Unsure are the bindings whose match could not be decided (see
	// Inexact); their destinations are not followed.
	Unsure    []int
	Queues    []string // queues this exchange delivers to, sorted
	Exchanges []string // exchanges it passes the message on to, sorted
	// Alternate is the alternate exchange the message went on to because
	// nothing matched here; "" when it did not.
	Alternate string
	// Missing: the exchange is not in the topology (deleted since it was
	// read); the broker skips a destination exchange that does not exist.
	Missing bool
	// Inexact says why this exchange's routing was not (entirely)
	// predicted; "" when it was.
	Inexact string
}

// Result is a prediction.
type Result struct {
	Queues []string // every queue reached, sorted, each once
	Path   []Hop    // every exchange visited, in the order reached (breadth first)
	// Exact is false when part of the routing could not be predicted;
	// Inexact then says where and why, one line per exchange, and Queues
	// and Unroutable are only what is known.
	Exact   bool
	Inexact []string
	// Unroutable: no queue is reached, so the broker would return the
	// message to a mandatory publisher (or drop it).
	Unroutable bool
}

var (
	// ErrNoExchange is the answer for an exchange the topology does not have
	// (the broker closes the channel: 404 NOT_FOUND).
	ErrNoExchange = errors.New("no such exchange")
	// ErrInternal: the broker refuses a publish to an internal exchange.
	ErrInternal = errors.New("the exchange is internal: the broker refuses publishing to it (403 ACCESS_REFUSED)")
	// ErrRoutingHeader: a CC or BCC header that is not an array; the broker
	// refuses the message (406 PRECONDITION_FAILED, unacceptable_type_in_header).
	ErrRoutingHeader = errors.New("must be an array of strings: the broker refuses the message (406 PRECONDITION_FAILED)")
)

// directReplyTo is the prefix of the direct reply-to pseudo-queues.
const directReplyTo = "amq.rabbitmq.reply-to."

// BindingsFrom returns the indexes into t.Bindings of the bindings whose
// source is exchange, in order. To check a Hop with the broker, hand these
// bindings in this order to amqp.Session.ProbeRoute: its answer j stands
// for BindingsFrom(hop.Exchange)[j], to compare with hop.Matched.
func (t Topology) BindingsFrom(exchange string) []int {
	var out []int
	for i, b := range t.Bindings {
		if b.Source == exchange {
			out = append(out, i)
		}
	}
	return out
}

// RoutingKeys are the routing keys the broker routes m with: its routing
// key, then the strings of its CC and BCC arrays (other elements are
// ignored, as the broker does).
func RoutingKeys(m Message) ([]string, error) {
	keys := []string{m.RoutingKey}
	for _, h := range []string{"CC", "BCC"} {
		v, ok := m.Headers[h]
		if !ok {
			continue
		}
		switch x := v.(type) {
		case []string:
			keys = append(keys, x...)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					keys = append(keys, s)
				}
			}
		default:
			return nil, fmt.Errorf("header %s %w", h, ErrRoutingHeader)
		}
	}
	return keys, nil
}

// Predict routes m, published to exchange, through t.
func Predict(t Topology, exchange string, m Message) (Result, error) {
	keys, err := RoutingKeys(m)
	if err != nil {
		return Result{}, err
	}
	if exchange == "" {
		return defaultExchange(t, keys), nil
	}
	x, ok := t.Exchanges[exchange]
	if !ok {
		return Result{}, fmt.Errorf("exchange %q: %w", exchange, ErrNoExchange)
	}
	if x.Internal {
		return Result{}, fmt.Errorf("exchange %q: %w", exchange, ErrInternal)
	}
	from := map[string][]int{}
	for i, b := range t.Bindings {
		from[b.Source] = append(from[b.Source], i)
	}
	r := router{t: t, keys: keys, headers: m.Headers, from: from, seen: map[string]bool{exchange: true}}
	r.work = []Hop{{Exchange: exchange, Reached: Published}}
	queues := map[string]bool{}
	for len(r.work) > 0 {
		h := r.work[0]
		r.work = r.work[1:]
		r.visit(&h)
		for _, q := range h.Queues {
			queues[q] = true
		}
		if h.Inexact != "" {
			r.inexact = append(r.inexact, h.Inexact)
		}
		r.path = append(r.path, h)
	}
	res := Result{Path: r.path, Inexact: r.inexact, Exact: len(r.inexact) == 0}
	for q := range queues {
		res.Queues = append(res.Queues, q)
	}
	slices.Sort(res.Queues)
	res.Unroutable = len(res.Queues) == 0
	return res, nil
}
