package amqp

import (
	"context"
	"fmt"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// ConfirmWindow is the most published messages PublishRepeat keeps
// unconfirmed at once.
const ConfirmWindow = 256

// progressEvery is the least time between two progress callbacks.
const progressEvery = 100 * time.Millisecond

// cancelGrace is how long a cancelled PublishRepeat still waits for the
// confirms of what it has sent, so that its summary is exact.
const cancelGrace = time.Second

// RepeatProgress is reported while PublishRepeat runs (at most every 100ms,
// and once at the end). Confirmed counts messages confirmed and routed.
type RepeatProgress struct {
	N, Sent, Confirmed, Returned, Nacked int
	Elapsed                              time.Duration
}

// RepeatSummary is the result of PublishRepeat. MsgsPerSec counts settled
// messages (confirmed, returned or nacked) over Elapsed.
type RepeatSummary struct {
	N, Sent, Confirmed, Returned, Nacked int
	Elapsed                              time.Duration
	MsgsPerSec                           float64
}

// PublishRepeat publishes req n times on one channel, with confirms and
// mandatory, keeping at most ConfirmWindow messages unconfirmed. With
// ratePerSec > 0 it paces the sends to that rate; with 0 it goes as fast as
// the confirms allow. progress (optional) is called from another goroutine,
// and must return quickly. Cancelling ctx stops sending; the summary then
// covers what was sent, and the error says it was cancelled.
func (s *Session) PublishRepeat(ctx context.Context, req PublishRequest, n int, ratePerSec float64,
	progress func(RepeatProgress)) (RepeatSummary, error) {
	op, vhost := fmt.Sprintf("%s (%d times)", req.op(), n), normVHost(req.VHost)
	if s.cfg.ReadOnly {
		return RepeatSummary{N: n}, readOnly(op, vhost)
	}
	if n <= 0 {
		return RepeatSummary{}, opErr(op, vhost, fmt.Errorf("repeat count must be at least 1, got %d", n))
	}
	pub, err := req.publishing()
	if err != nil {
		return RepeatSummary{N: n}, opErr(op, vhost, err)
	}
	var sum RepeatSummary
	finished, err := s.withChannelGrace(ctx, vhost, op, cancelGrace+time.Second, func(ctx context.Context, ch *achan) error {
		r := repeater{s: s, ch: ch, req: &req, pub: pub, n: n, rate: ratePerSec, progress: progress}
		err := r.run(ctx)
		sum = r.summary()
		return err
	})
	if !finished {
		return RepeatSummary{N: n}, err
	}
	return sum, err
}

type repeater struct {
	s        *Session
	ch       *achan
	req      *PublishRequest
	pub      amqp091.Publishing
	n        int
	rate     float64
	progress func(RepeatProgress)

	p                                     *publisher
	start, last                           time.Time
	sent, acked, returned, nacked, settle int
	lastReport                            time.Time
}

func (r *repeater) run(ctx context.Context) error {
	p, err := newPublisher(r.ch, ConfirmWindow)
	if err != nil {
		return err
	}
	r.p = p
	r.start = time.Now()
	r.last = r.start
	defer r.report(true)
	idle := time.NewTimer(r.s.cfg.Timeout)
	defer idle.Stop()
	pace := time.NewTimer(0)
	defer pace.Stop()
	stopping := false // ctx ended: wait for outstanding confirms only
	var grace <-chan time.Time
	for r.settle < r.sent || (r.sent < r.n && !stopping) {
		// Send as much as the window (and the pace) allows.
		for !stopping && r.sent < r.n && r.sent-r.settle < ConfirmWindow {
			if r.rate > 0 {
				due := r.start.Add(time.Duration(float64(r.sent) / r.rate * float64(time.Second)))
				if d := time.Until(due); d > 0 {
					pace.Reset(d)
					break
				}
			}
			if err := r.ch.Publish(r.req.Exchange, r.req.RoutingKey, true, false, r.pub); err != nil {
				if r.ch.IsClosed() {
					return r.ch.closeErr()
				}
				return err
			}
			r.sent++
			if ctx.Err() != nil {
				break
			}
		}
		if r.settle == r.sent && (stopping || r.sent == r.n) {
			break
		}
		select {
		case c, ok := <-r.p.confirms:
			if !ok {
				return r.ch.closeErr()
			}
			r.count(c)
			// Take every confirmation already here before sending more.
			for more := true; more; {
				select {
				case c, ok := <-r.p.confirms:
					if !ok {
						return r.ch.closeErr()
					}
					r.count(c)
				default:
					more = false
				}
			}
			resetTimer(idle, r.s.cfg.Timeout)
			r.report(false)
		case ret, ok := <-r.p.returns:
			if ok {
				r.p.pending = append(r.p.pending, ret)
			}
		case e, ok := <-r.ch.closed:
			return r.ch.failed(e, ok)
		case <-pace.C:
		case <-idle.C:
			return fmt.Errorf("no publisher confirm within %v (%d unconfirmed)", r.s.cfg.Timeout, r.sent-r.settle)
		case <-ctx.Done():
			if !stopping {
				stopping = true
				grace = time.After(cancelGrace)
			}
		case <-grace:
			return ctxErr(ctx)
		}
	}
	if ctx.Err() != nil {
		return ctxErr(ctx)
	}
	return nil
}

func (r *repeater) count(c amqp091.Confirmation) {
	switch r.p.classify(c).Outcome {
	case Confirmed:
		r.acked++
	case Returned:
		r.returned++
	case Nacked:
		r.nacked++
	}
	r.settle++
	r.last = time.Now()
}

func (r *repeater) report(final bool) {
	if r.progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(r.lastReport) < progressEvery {
		return
	}
	r.lastReport = now
	r.progress(RepeatProgress{N: r.n, Sent: r.sent, Confirmed: r.acked, Returned: r.returned, Nacked: r.nacked,
		Elapsed: now.Sub(r.start)})
}

func (r *repeater) summary() RepeatSummary {
	sum := RepeatSummary{N: r.n, Sent: r.sent, Confirmed: r.acked, Returned: r.returned, Nacked: r.nacked,
		Elapsed: r.last.Sub(r.start)}
	if sum.Elapsed > 0 {
		sum.MsgsPerSec = float64(r.settle) / sum.Elapsed.Seconds()
	}
	return sum
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d) // Go 1.23+ timers: Reset after Stop never delivers a stale value
}
