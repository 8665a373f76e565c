package amqp

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// PublishRequest is one message to publish.
type PublishRequest struct {
	VHost, Exchange, RoutingKey string
	Properties
	Headers map[string]any
	Body    []byte
}

func (r *PublishRequest) op() string {
	if r.Exchange == "" {
		return fmt.Sprintf("publish to the default exchange with routing key %q", r.RoutingKey)
	}
	return fmt.Sprintf("publish to exchange %q with routing key %q", r.Exchange, r.RoutingKey)
}

func (r *PublishRequest) publishing() (amqp091.Publishing, error) {
	h, err := toTable(r.Headers)
	if err != nil {
		return amqp091.Publishing{}, err
	}
	return r.Properties.publishing(h, r.Body), nil
}

// Outcome is what the broker made of a published message.
type Outcome int

const (
	// Confirmed: acked by the broker and routed to at least one queue.
	Confirmed Outcome = iota + 1
	// Returned: the broker returned it (mandatory) because no queue took
	// it; it is acked as well, but nothing holds the message.
	Returned
	// Nacked: the broker could not take responsibility for it.
	Nacked
)

func (o Outcome) String() string {
	switch o {
	case Confirmed:
		return "confirmed"
	case Returned:
		return "returned"
	case Nacked:
		return "nacked"
	}
	return "unknown"
}

// PublishResult is the outcome of one publish; ReplyCode and ReplyText are
// the broker's basic.return (312 NO_ROUTE) when Returned.
type PublishResult struct {
	Outcome   Outcome
	ReplyCode uint16
	ReplyText string
}

func (r PublishResult) String() string {
	switch r.Outcome {
	case Confirmed:
		return "confirmed and routed"
	case Returned:
		if r.ReplyCode == amqp091.NoRoute {
			return fmt.Sprintf("returned: unroutable (%d %s)", r.ReplyCode, r.ReplyText)
		}
		return fmt.Sprintf("returned (%d %s)", r.ReplyCode, r.ReplyText)
	case Nacked:
		return "nacked"
	}
	return "unknown"
}

// Publish publishes one message with publisher confirms and mandatory set,
// and waits for the broker's verdict. While the broker blocks publishers on
// the connection (connection.blocked) it is refused at once with a
// *BlockedError; one whose confirm did not come because a block began
// after it was sent ends at the timeout with a *BlockedError saying it may
// or may not have been enqueued.
func (s *Session) Publish(ctx context.Context, req PublishRequest) (PublishResult, error) {
	op, vhost := req.op(), normVHost(req.VHost)
	if s.cfg.ReadOnly {
		return PublishResult{}, readOnly(op, vhost)
	}
	pub, err := req.publishing()
	if err != nil {
		return PublishResult{}, opErr(op, vhost, err)
	}
	// A blocked connection reads nothing more, not even a channel.open.
	if err := s.refuseBlocked(op, vhost); err != nil {
		return PublishResult{}, err
	}
	ctx, cancel := s.bounded(ctx, 0)
	defer cancel()
	var res PublishResult
	var sent atomic.Uint64 // 1 + the connection's block count when the message was handed over
	err = s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		p, err := newPublisher(ch, 1)
		if err != nil {
			return err
		}
		why, blocks, _ := s.blockState(vhost)
		if why != "" {
			return &BlockedError{Reason: why}
		}
		sent.Store(blocks + 1)
		if err := ch.Publish(req.Exchange, req.RoutingKey, true, false, pub); err != nil {
			return err
		}
		res, err = p.next(ctx, s.cfg.Timeout)
		return err
	})
	if err != nil {
		if b := sent.Load(); b > 0 {
			err = s.unconfirmedIfBlocked(err, op, vhost, b-1, 1, false)
		}
		return PublishResult{}, err
	}
	return res, nil
}

// publisher follows the confirms and returns of a channel in confirm mode.
type publisher struct {
	ch       *achan
	confirms chan amqp091.Confirmation
	returns  chan amqp091.Return
	pending  []amqp091.Return // returns whose ack has not been read yet
}

// newPublisher puts ch in confirm mode; window is the most messages that
// will be outstanding, so the notification buffers never fill (a full one
// would hold up the connection's reader).
func newPublisher(ch *achan, window int) (*publisher, error) {
	if err := ch.Confirm(false); err != nil {
		return nil, err
	}
	return &publisher{
		ch:       ch,
		confirms: ch.NotifyPublish(make(chan amqp091.Confirmation, window+1)),
		returns:  ch.NotifyReturn(make(chan amqp091.Return, window+1)),
	}, nil
}

// drainReturns moves returns already received into pending.
func (p *publisher) drainReturns() {
	for {
		select {
		case r, ok := <-p.returns:
			if !ok {
				return
			}
			p.pending = append(p.pending, r)
		default:
			return
		}
	}
}

// classify turns the next confirmation into an outcome. The broker sends a
// message's basic.return before its basic.ack, and the library hands both
// over in that order, so a return waiting in pending when an ack arrives
// belongs to a message acked by now. With one outstanding message (Publish,
// RPC) that is exact; PublishRepeat sends the same message each time and
// only counts.
func (p *publisher) classify(c amqp091.Confirmation) PublishResult {
	p.drainReturns()
	if !c.Ack {
		return PublishResult{Outcome: Nacked}
	}
	if len(p.pending) > 0 {
		r := p.pending[0]
		p.pending = p.pending[1:]
		return PublishResult{Outcome: Returned, ReplyCode: r.ReplyCode, ReplyText: r.ReplyText}
	}
	return PublishResult{Outcome: Confirmed}
}

// next waits for the next confirmation, at most timeout.
func (p *publisher) next(ctx context.Context, timeout time.Duration) (PublishResult, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case c, ok := <-p.confirms:
			if !ok {
				return PublishResult{}, p.ch.closeErr()
			}
			return p.classify(c), nil
		case r, ok := <-p.returns:
			if ok {
				p.pending = append(p.pending, r)
			}
		case e, ok := <-p.ch.closed:
			return PublishResult{}, p.ch.failed(e, ok)
		case <-ctx.Done():
			return PublishResult{}, ctxErr(ctx)
		case <-t.C:
			return PublishResult{}, fmt.Errorf("%w within %v", errNoConfirm, timeout)
		}
	}
}
