package amqp

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// DirectReplyTo is RabbitMQ's direct reply-to pseudo-queue.
const DirectReplyTo = "amq.rabbitmq.reply-to"

// DefaultRPCTimeout is how long an RPC waits for its reply by default.
const DefaultRPCTimeout = 5 * time.Second

// RPCRequest is a request to publish and wait for a reply. ReplyTo and
// CorrelationID are set by RPC (direct reply-to and a fresh random id).
type RPCRequest struct {
	PublishRequest
	Timeout time.Duration // DefaultRPCTimeout if zero
}

// RPCResult is the outcome of one RPC: Reply and RTT when the reply came,
// TimedOut when it did not, Returned when the request was returned
// (unroutable) or nacked. Replies carrying another correlation id are kept
// in Mismatched and not taken as the answer.
type RPCResult struct {
	CorrelationID string
	Reply         *Message
	RTT           time.Duration
	TimedOut      bool
	Returned      *PublishResult
	Mismatched    []Message
}

// LatencySummary sums up RPCRepeat: latencies of the RPCs answered, and
// how many were not.
type LatencySummary struct {
	N, OK, Timeouts, Returned, Mismatched int
	Min, P50, P99, Max                    time.Duration
}

func (r *RPCRequest) op() string { return "RPC: " + r.PublishRequest.op() }

// RPC publishes req with reply_to set to direct reply-to and a fresh
// correlation id (mandatory, confirmed) and waits for the reply.
func (s *Session) RPC(ctx context.Context, req RPCRequest) (RPCResult, error) {
	var res RPCResult
	err := s.rpc(ctx, req, 1, func(r RPCResult) { res = r })
	if err != nil {
		return RPCResult{}, err
	}
	return res, nil
}

// RPCRepeat makes n RPCs one after the other on one channel and sums up
// their latencies; progress (optional) gets the number done so far.
func (s *Session) RPCRepeat(ctx context.Context, req RPCRequest, n int, progress func(done int)) (LatencySummary, error) {
	var rtts []time.Duration
	sum := LatencySummary{N: n}
	done := 0
	err := s.rpc(ctx, req, n, func(r RPCResult) {
		done++
		sum.Mismatched += len(r.Mismatched)
		switch {
		case r.Reply != nil:
			sum.OK++
			rtts = append(rtts, r.RTT)
		case r.Returned != nil:
			sum.Returned++
		case r.TimedOut:
			sum.Timeouts++
		}
		if progress != nil {
			progress(done)
		}
	})
	if err != nil {
		return LatencySummary{N: n}, err
	}
	slices.Sort(rtts)
	if len(rtts) > 0 {
		sum.Min, sum.Max = rtts[0], rtts[len(rtts)-1]
		sum.P50, sum.P99 = percentile(rtts, 0.50), percentile(rtts, 0.99)
	}
	return sum, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// rpc makes n RPCs on one channel, handing each result to each (called on
// another goroutine, but never concurrently).
func (s *Session) rpc(ctx context.Context, req RPCRequest, n int, each func(RPCResult)) error {
	op, vhost := req.op(), normVHost(req.VHost)
	if n > 1 {
		op = fmt.Sprintf("%s (%d times)", op, n)
	}
	if s.cfg.ReadOnly {
		return readOnly(op, vhost)
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultRPCTimeout
	}
	pub, err := req.publishing()
	if err != nil {
		return opErr(op, vhost, err)
	}
	pub.ReplyTo = DirectReplyTo
	// A blocked connection reads nothing more: refused at once, as Publish.
	if err := s.refuseBlocked(op, vhost); err != nil {
		return err
	}
	if n == 1 {
		var cancel context.CancelFunc
		ctx, cancel = s.bounded(ctx, timeout)
		defer cancel()
	}
	return s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		// Direct reply-to: consume (no-ack) before publishing, same channel.
		replies, err := ch.Consume(DirectReplyTo, "mqtop-rpc-"+randomHex(6), true, false, false, false, nil)
		if err != nil {
			return err
		}
		p, err := newPublisher(ch, 1)
		if err != nil {
			return err
		}
		c := rpcCall{ch: ch, p: p, replies: replies, timeout: timeout, confirmWait: s.cfg.Timeout}
		for i := 0; i < n; i++ {
			r, err := c.call(ctx, req.Exchange, req.RoutingKey, pub)
			if err != nil {
				return err
			}
			each(r)
		}
		return nil
	})
}

type rpcCall struct {
	ch          *achan
	p           *publisher
	replies     <-chan amqp091.Delivery
	timeout     time.Duration
	confirmWait time.Duration
	tag         uint64 // delivery tag of the request in flight
}

// call publishes one request and waits for its reply and its confirm (the
// confirm says whether it was routed at all); the timeout covers the reply.
func (c *rpcCall) call(ctx context.Context, exchange, key string, pub amqp091.Publishing) (RPCResult, error) {
	res := RPCResult{CorrelationID: randomHex(16)}
	pub.CorrelationId = res.CorrelationID
	c.tag++
	start := time.Now()
	if err := c.ch.Publish(exchange, key, true, false, pub); err != nil {
		return res, err
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	confirmed := false
	for {
		select {
		case d, ok := <-c.replies:
			if !ok {
				return res, c.ch.closeErr()
			}
			m := fromDelivery(&d)
			if d.CorrelationId != res.CorrelationID {
				res.Mismatched = append(res.Mismatched, m)
				continue
			}
			res.Reply, res.RTT = &m, time.Since(start)
			if confirmed {
				return res, nil
			}
			// The reply proves it was routed; the confirm follows at once.
			resetTimer(timer, c.confirmWait)
		case conf, ok := <-c.p.confirms:
			if !ok {
				return res, c.ch.closeErr()
			}
			if conf.DeliveryTag < c.tag {
				// The confirm of an earlier request that timed out.
				c.p.drainReturns()
				continue
			}
			confirmed = true
			if r := c.outcome(conf, res.CorrelationID); r.Outcome != Confirmed {
				res.Returned = &r
				return res, nil
			}
			if res.Reply != nil {
				return res, nil
			}
		case ret, ok := <-c.p.returns:
			if ok {
				c.p.pending = append(c.p.pending, ret)
			}
		case e, ok := <-c.ch.closed:
			return res, c.ch.failed(e, ok)
		case <-ctx.Done():
			return res, ctxErr(ctx)
		case <-timer.C:
			if res.Reply != nil {
				return res, nil // replied; the confirm is late but the answer stands
			}
			res.TimedOut = true
			return res, nil
		}
	}
}

// outcome classifies the confirm of the request in flight, matching returns
// by correlation id (a late return of an earlier request is dropped).
func (c *rpcCall) outcome(conf amqp091.Confirmation, corr string) PublishResult {
	c.p.drainReturns()
	var mine *amqp091.Return
	for i := range c.p.pending {
		if c.p.pending[i].CorrelationId == corr {
			mine = &c.p.pending[i]
		}
	}
	c.p.pending = c.p.pending[:0]
	switch {
	case !conf.Ack:
		return PublishResult{Outcome: Nacked}
	case mine != nil:
		return PublishResult{Outcome: Returned, ReplyCode: mine.ReplyCode, ReplyText: mine.ReplyText}
	}
	return PublishResult{Outcome: Confirmed}
}
