package amqp

import (
	"context"
	"fmt"
	"time"
)

// Queue types, as the management API names them.
const (
	Classic = "classic"
	Quorum  = "quorum"
	Stream  = "stream"
)

// DeliveryLimitMargin is how far below a quorum queue's delivery limit a
// browse stops; see nearLimit.
const DeliveryLimitMargin = 1

// BrowseRequest asks for the first N messages of a queue.
type BrowseRequest struct {
	VHost, Queue string
	// QueueType is Classic, Quorum or Stream, and must be given: basic.get
	// on a stream is a connection error (540) that would close the vhost's
	// connection for every other action.
	QueueType string
	N         int          // how many messages; 10 if zero
	Offset    StreamOffset // streams: where to start; the first message if zero
	// DeliveryLimit is the quorum queue's effective delivery limit (its
	// x-delivery-limit argument or policy; from RabbitMQ 4.0 it is 20 when
	// neither sets one), or 0 when it has none.
	DeliveryLimit int
	// Wait is how long a stream browse waits for another message before it
	// takes the stream to have no more; 1s if zero.
	Wait time.Duration
}

// NearLimit reports a browse that stopped at a message near its quorum
// queue's delivery limit.
type NearLimit struct {
	Queue         string
	Position      int   // the message's place in the queue, 0 for the head
	DeliveryCount int64 // its x-delivery-count when fetched
	Limit         int
	// Remembered: an earlier browse in this session stopped here, so this
	// one fetched nothing (see Session.ForgetNearLimit).
	Remembered bool
}

// BrowseResult is the outcome of a browse.
type BrowseResult struct {
	Messages []Message
	// MarkedRedelivered: the broker now flags the browsed messages of a
	// classic or quorum queue as redelivered (and a quorum queue counted a
	// delivery for each), because browsing takes them and gives them back.
	MarkedRedelivered bool
	// Taken is how many messages the browse took and gave back: more than
	// len(Messages) when a quorum browse went on to keep the order.
	Taken int
	// StoppedNearLimit is set when the browse stopped before N because a
	// message is near the delivery limit: such messages are not fetched
	// again by this session.
	StoppedNearLimit *NearLimit
	// OrderMayChange: the browse stopped near the delivery limit among
	// messages a quorum queue had already taken back once, so what it took
	// goes back behind the rest of them (see fetch).
	OrderMayChange bool
	// Truncated: N messages came back and the queue holds more.
	Truncated bool
	// StoppedWaiting: a stream browse ended after Config.Timeout with fewer
	// than N messages, because new ones kept arriving at its end.
	StoppedWaiting bool
	// Remaining is how many messages were still ready behind the last one
	// fetched (classic and quorum), -1 when unknown (streams).
	Remaining int
}

type queueKey struct{ vhost, queue string }

// browseHeld, when set (by tests), is called while a classic or quorum
// browse still holds its messages, before the channel closes.
var browseHeld func(BrowseResult)

// Browse returns the first N messages of a queue without losing or
// reordering any. Classic and quorum queues are read with basic.get (no
// auto-ack) on a channel of their own that is then closed: closing gives
// every message back at once and in order, where a nack with requeue per
// message would reorder a quorum queue. Streams are read by a consumer from
// req.Offset. A read-only session browses classic and quorum queues only
// with Config.AllowBrowse.
func (s *Session) Browse(ctx context.Context, req BrowseRequest) (BrowseResult, error) {
	vhost := normVHost(req.VHost)
	op := fmt.Sprintf("browse %s queue %q", req.QueueType, req.Queue)
	if req.N <= 0 {
		req.N = 10
	}
	switch req.QueueType {
	case Stream:
		return s.browseStream(ctx, vhost, op, req)
	case Classic, Quorum:
	case "":
		return BrowseResult{}, opErr(fmt.Sprintf("browse queue %q", req.Queue), vhost,
			fmt.Errorf("the queue type (classic, quorum or stream) is needed to browse"))
	default:
		return BrowseResult{}, opErr(op, vhost, fmt.Errorf("cannot browse a queue of type %q", req.QueueType))
	}
	if s.cfg.ReadOnly && !s.cfg.AllowBrowse {
		return BrowseResult{}, &OpError{Op: op, VHost: vhost, Err: ErrBrowseNeedsAllow}
	}
	key := queueKey{vhost, req.Queue}
	if req.DeliveryLimit > 0 {
		s.mu.Lock()
		nl, ok := s.near[key]
		s.mu.Unlock()
		if ok {
			nl.Remembered = true
			return BrowseResult{StoppedNearLimit: &nl, Remaining: -1}, nil
		}
	}
	ctx, cancel := s.bounded(ctx, 0)
	defer cancel()
	var res BrowseResult
	err := s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		var err error
		if res, err = fetch(ctx, ch, req); err != nil {
			return err
		}
		if browseHeld != nil {
			browseHeld(res)
		}
		return nil // closing the channel now gives every message back
	})
	if err != nil {
		return BrowseResult{}, err
	}
	if res.StoppedNearLimit != nil {
		s.mu.Lock()
		s.near[key] = *res.StoppedNearLimit
		s.mu.Unlock()
	}
	return res, nil
}

// nearLimit reports whether a quorum queue message fetched with delivery
// count c is too close to the limit to be fetched again.
//
// Why: browsing can only read a classic or quorum queue by taking messages
// and giving them back. A quorum queue counts each give-back as a delivery
// (RabbitMQ 3.10 shows x-delivery-count 0 on the first fetch, then 1, 2...)
// and, once the count passes its delivery limit, dead-letters or drops the
// message on that very return: with limit 3, a message fetched at count 3
// was gone after the channel closed. From RabbitMQ 4.0 every quorum queue
// has a limit (20 by default). The count is only seen after the message has
// been taken, and every browse takes the head of the queue again, so a
// browse stops as soon as a message it fetched will, after this browse's
// return (c+1), be within DeliveryLimitMargin of the limit, and the session
// then refuses to browse that queue again (NearLimit.Remembered) rather
// than push the message over. Messages behind it are not fetched, so their
// counts do not grow either. The caller passes the limit because the queue's
// arguments, policies and broker version are known to the management side,
// not to AMQP.
func nearLimit(c int64, limit int) bool {
	return limit > 0 && c+1 >= int64(limit-DeliveryLimitMargin)
}

// ForgetNearLimit lets Browse fetch from a queue again after a browse
// stopped near its delivery limit (for instance once the operator has
// dealt with the message, or chose to browse anyway).
func (s *Session) ForgetNearLimit(vhost, queue string) {
	s.mu.Lock()
	delete(s.near, queueKey{normVHost(vhost), queue})
	s.mu.Unlock()
}

// maxDrain bounds how many messages past N a quorum browse takes to keep
// the queue's order (see fetch).
const maxDrain = 10000

// fetch takes messages with basic.get, keeping the first N.
//
// Order on quorum queues: a quorum queue keeps the messages it has taken
// back in a FIFO of their own that is served before the rest, and a message
// given back joins the tail of that FIFO (RabbitMQ 3.10: browse 5, then
// browse 3, and the 3 went behind the other 2). So a browse that gives back
// only part of that FIFO rotates it. To keep the order, a quorum browse
// goes on past N while the messages it takes have been delivered before
// (that FIFO), up to maxDrain more, and gives all of them back in the order
// taken; only the first N are kept. Taking the whole FIFO and the head of
// the rest, then giving them back in order, leaves the queue as it was. The
// price: the first message past that FIFO is only known to be new once it
// has been taken, so it is marked redelivered too (BrowseResult.Taken).
func fetch(ctx context.Context, ch *achan, req BrowseRequest) (BrowseResult, error) {
	res := BrowseResult{Remaining: -1}
	taken, remaining := 0, -1
	lastSeen := false // the last message taken had been delivered before
	for {
		if taken >= req.N {
			if req.QueueType != Quorum || !lastSeen {
				break
			}
			if taken >= req.N+maxDrain {
				res.OrderMayChange = true
				break
			}
		}
		if err := ctx.Err(); err != nil {
			return res, ctxErr(ctx)
		}
		d, ok, err := ch.Get(req.Queue, false)
		if err != nil {
			return res, err
		}
		if !ok {
			remaining = 0
			break
		}
		m := fromDelivery(&d)
		taken++
		remaining = int(d.MessageCount)
		lastSeen = d.Redelivered || m.DeliveryCount > 0
		if taken <= req.N {
			res.Messages = append(res.Messages, m)
		}
		if m.HasDeliveryCount && nearLimit(m.DeliveryCount, req.DeliveryLimit) {
			res.StoppedNearLimit = &NearLimit{Queue: req.Queue, Position: taken - 1, DeliveryCount: m.DeliveryCount,
				Limit: req.DeliveryLimit}
			// Stopping inside the FIFO of returned messages may rotate it;
			// going on could push a message there over the limit. Losing
			// a message is worse than moving it.
			res.OrderMayChange = lastSeen && remaining > 0
			break
		}
	}
	if remaining >= 0 {
		res.Remaining = remaining + taken - len(res.Messages)
	}
	res.Taken = taken
	res.MarkedRedelivered = taken > 0
	res.Truncated = len(res.Messages) == req.N && res.Remaining > 0
	return res, nil
}
