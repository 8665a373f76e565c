package amqp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// ProbeBinding is one binding of an exchange, as ProbeRoute re-creates it.
type ProbeBinding struct {
	RoutingKey string
	// Arguments are taken as the management API's JSON decodes them and
	// turned back into what the broker holds: a float64 without a
	// fraction is a long (the API writes the broker's integers so; a double
	// 1.0 comes as "1.0", which encoding/json cannot tell from 1), a
	// json.Number is a long or a double by its text, and the string
	// "undefined" is void (how the API writes a void argument).
	Arguments map[string]any
}

// probeTypes are the exchange types whose routing depends only on the
// bindings and the message, so that a copy of the bindings on another
// exchange of the type routes the same way. A plugin's type may not
// (x-consistent-hash hashes onto its queues, x-random picks one).
var probeTypes = map[string]bool{"direct": true, "fanout": true, "topic": true, "headers": true}

// ProbeRoute asks the broker itself which of an exchange's bindings match a
// message, without touching the exchange or anything else of the user's:
// on one channel it declares a temporary auto-delete exchange of the same
// type (named mqtop.probe.<random>), one temporary exclusive auto-delete
// server-named queue per binding, bound with that binding's routing key
// and arguments, publishes an empty transient message there with
// mandatory and a publisher confirm, and takes back (basic.get) what each
// queue received. It returns the indexes into bindings of those that
// matched, ascending; route.Predict's Hop.Matched is the prediction to
// compare it with, binding by binding. The CC and BCC headers route as in
// any publish.
//
// Everything it declared is deleted before it returns, also after an error
// and after ctx ends (on a channel of its own if the broker closed this
// one); exclusive queues and an auto-delete exchange whose bindings went
// with them also die with the connection. It declares only temporary
// objects, yet it declares and publishes, so a read-only session refuses
// it, like every action that changes the broker. It costs two round trips
// per binding, all bounded by ctx and one Config.Timeout.
func (s *Session) ProbeRoute(ctx context.Context, vhost, exchangeType string, bindings []ProbeBinding,
	key string, headers amqp091.Table) (matched []int, err error) {
	vhost = normVHost(vhost)
	op := fmt.Sprintf("route check of %d bindings on a temporary %s exchange", len(bindings), exchangeType)
	if s.cfg.ReadOnly {
		return nil, readOnly(op, vhost)
	}
	if !probeTypes[exchangeType] {
		return nil, opErr(op, vhost, fmt.Errorf("only direct, fanout, topic and headers exchanges can be checked: "+
			"a copy of an exchange of type %q need not route like it", exchangeType))
	}
	h, err := toTable(headers)
	if err != nil {
		return nil, opErr(op, vhost, err)
	}
	args := make([]amqp091.Table, len(bindings))
	for i, b := range bindings {
		if args[i], err = probeArgs(b.Arguments); err != nil {
			return nil, opErr(op, vhost, fmt.Errorf("binding %d: %w", i, err))
		}
	}
	if len(bindings) == 0 {
		return []int{}, nil
	}
	ctx, cancel := s.bounded(ctx, 0)
	defer cancel()
	p := &probe{s: s, vhost: vhost, exchange: "mqtop.probe." + randomHex(8)}
	// Read p only once f has returned, i.e. when withChannel returns nil:
	// after ctx ends f goes on alone, to clean up.
	err = s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		defer p.cleanup(ch)
		var err error
		p.matched, err = p.run(ctx, ch, exchangeType, bindings, args, key, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.cleanupErr != nil {
		return nil, opErr(op+": delete its temporary exchange and queues", vhost, p.cleanupErr)
	}
	return p.matched, nil
}

// probe is one ProbeRoute: what it declared, to delete.
type probe struct {
	s          *Session
	vhost      string
	exchange   string
	declared   bool
	queues     []string
	matched    []int
	cleanupErr error
}

func (p *probe) run(ctx context.Context, ch *achan, typ string, bindings []ProbeBinding, args []amqp091.Table,
	key string, headers amqp091.Table) ([]int, error) {
	if err := ch.ExchangeDeclare(p.exchange, typ, false, true, false, false, nil); err != nil {
		return nil, fmt.Errorf("declare exchange %q: %w", p.exchange, err)
	}
	p.declared = true
	for i, b := range bindings {
		if ctx.Err() != nil {
			return nil, ctxErr(ctx)
		}
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return nil, fmt.Errorf("declare a queue: %w", err)
		}
		p.queues = append(p.queues, q.Name)
		if err := ch.QueueBind(q.Name, b.RoutingKey, p.exchange, false, args[i]); err != nil {
			return nil, fmt.Errorf("bind with routing key %q (binding %d): %w", b.RoutingKey, i, err)
		}
	}
	if ctx.Err() != nil {
		return nil, ctxErr(ctx)
	}
	pub, err := newPublisher(ch, 1)
	if err != nil {
		return nil, err
	}
	msg := amqp091.Publishing{Headers: headers, DeliveryMode: amqp091.Transient}
	if err := ch.Publish(p.exchange, key, true, false, msg); err != nil {
		return nil, err
	}
	res, err := pub.next(ctx, p.s.cfg.Timeout)
	if err != nil {
		return nil, err
	}
	switch res.Outcome {
	case Nacked:
		return nil, errors.New("the broker nacked the probe message")
	case Returned:
		return []int{}, nil // no queue took it
	}
	// The confirm came after every queue took the message.
	matched := []int{}
	for i, q := range p.queues {
		if ctx.Err() != nil {
			return nil, ctxErr(ctx)
		}
		_, ok, err := ch.Get(q, true)
		if err != nil {
			return nil, fmt.Errorf("get from queue %q: %w", q, err)
		}
		if ok {
			matched = append(matched, i)
		}
	}
	return matched, nil
}

// cleanup deletes what the probe declared, with a time limit of its own
// (ctx may be over already): on ch if it is still open, else, or if that
// fails, on a fresh channel.
func (p *probe) cleanup(ch *achan) {
	if !p.declared {
		return
	}
	if !ch.IsClosed() && p.deleteAll(ch, true) == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.s.cfg.Timeout)
	defer cancel()
	c, err := p.s.openChannel(ctx, p.vhost)
	if err != nil {
		p.fail(err)
		return
	}
	defer c.Close()
	if err := p.deleteAll(c, false); err != nil {
		p.fail(err)
	}
}

// deleteAll deletes the queues, then the exchange (already gone if it lost
// its last binding with the queues: deleting what does not exist is fine
// to the broker). Pipelined, the queue deletes do not wait for their
// answers: the broker answers in order, so the exchange's delete-ok says
// they are done, and any failure closes the channel and fails it.
func (p *probe) deleteAll(c *achan, pipelined bool) error {
	for _, q := range p.queues {
		if _, err := c.QueueDelete(q, false, false, pipelined); err != nil {
			return err
		}
	}
	return c.ExchangeDelete(p.exchange, false, false)
}

func (p *probe) fail(err error) {
	if p.cleanupErr == nil {
		p.cleanupErr = err
	}
	p.s.log.Warn("route check: cleanup failed", "vhost", p.vhost, "exchange", p.exchange, "err", err)
}

// probeArgs turns binding arguments as the management API's JSON decodes
// them into the table the broker holds (see ProbeBinding).
func probeArgs(args map[string]any) (amqp091.Table, error) {
	if len(args) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(args))
	for k, v := range args {
		m[k] = probeValue(v)
	}
	return toTable(m)
}

func probeValue(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x)
		}
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				return n
			}
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	case string:
		if x == "undefined" {
			return nil
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = probeValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = probeValue(e)
		}
		return out
	}
	return v
}
