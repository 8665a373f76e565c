package amqp

import (
	"context"
	"fmt"
	"sync/atomic"
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
//
// The sends run on a goroutine of their own, so that a send the broker
// does not read (it blocks publishers under an alarm, and a large body
// fills the socket) cannot hold up the end: the repeat ends when no
// confirm has come for Config.Timeout, or when ctx ends. While the broker
// blocks the connection nothing more is sent, and the error is a
// *BlockedError: refused at once, or the count of messages that may or may
// not have been enqueued.
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
	if err := s.refuseBlocked(op, vhost); err != nil {
		return RepeatSummary{N: n}, err
	}
	_, blocks0, _ := s.blockState(vhost)
	var rp atomic.Pointer[repeater]
	result := make(chan error, 1)
	go func() {
		err := s.runChannel(ctx, vhost, func(ctx context.Context, ch *achan) error {
			r := &repeater{s: s, ch: ch, vhost: vhost, req: &req, pub: pub, n: n, rate: ratePerSec, progress: progress, start: time.Now()}
			r.last.Store(r.start.UnixNano())
			rp.Store(r)
			err := r.run(ctx)
			// The outcome goes out before the channel is closed, which
			// waits while the broker blocks the connection.
			result <- err
			return err
		})
		if rp.Load() == nil {
			result <- err // the channel did not open
		}
	}()
	select {
	case err = <-result:
	case <-ctx.Done():
		t := time.NewTimer(cancelGrace + time.Second)
		select {
		case err = <-result:
			if err == nil {
				err = ctxErr(ctx)
			}
		case <-t.C:
			err = ctxErr(ctx)
		}
		t.Stop()
	}
	sum := RepeatSummary{N: n}
	if r := rp.Load(); r != nil {
		sum = r.summary()
	}
	err = s.unconfirmedIfBlocked(err, op, vhost, blocks0, sum.Sent-sum.Confirmed-sum.Returned-sum.Nacked, true)
	return sum, opErr(op, vhost, err)
}

type repeater struct {
	s        *Session
	ch       *achan
	vhost    string
	req      *PublishRequest
	pub      amqp091.Publishing
	n        int
	rate     float64
	progress func(RepeatProgress)

	p          *publisher
	start      time.Time // set before run, read only
	lastReport time.Time
	// The counts are read by the sender and by PublishRepeat while run
	// writes them.
	sent, acked, returned, nacked, settle atomic.Int64
	last                                  atomic.Int64 // UnixNano of the last confirm
	resumed                               atomic.Int64 // UnixNano of a send with nothing outstanding
	blockedBy                             atomic.Pointer[string]
}

func (r *repeater) run(ctx context.Context) error {
	p, err := newPublisher(r.ch, ConfirmWindow)
	if err != nil {
		return err
	}
	r.p = p
	defer r.report(true)

	stop := make(chan struct{})
	defer close(stop)
	room := make(chan struct{}, 1) // a confirm made room in the window
	senderDone := make(chan error, 1)
	go func() { senderDone <- r.send(ctx, stop, room) }()

	timeout := r.s.cfg.Timeout
	idle := time.NewTimer(timeout)
	defer idle.Stop()
	sending := true
	cancelled := ctx.Done()
	var grace <-chan time.Time
	for sending || r.settle.Load() < r.sent.Load() {
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
			select {
			case room <- struct{}{}:
			default:
			}
			resetTimer(idle, timeout)
			r.report(false)
		case ret, ok := <-r.p.returns:
			if ok {
				r.p.pending = append(r.p.pending, ret)
			}
		case e, ok := <-r.ch.closed:
			return r.ch.failed(e, ok)
		case err := <-senderDone:
			sending = false
			if err != nil {
				return err
			}
		case <-idle.C:
			// Only outstanding messages wait for a confirm: from the last
			// confirm, or from a send after everything had been confirmed.
			out := r.sent.Load() - r.settle.Load()
			if out == 0 {
				resetTimer(idle, timeout)
				continue
			}
			since := time.Unix(0, max(r.last.Load(), r.resumed.Load()))
			if wait := timeout - time.Since(since); wait > 0 {
				resetTimer(idle, wait)
				continue
			}
			return fmt.Errorf("%w within %v (%d unconfirmed)", errNoConfirm, timeout, out)
		case <-cancelled:
			cancelled, grace = nil, time.After(cancelGrace)
		case <-grace:
			return ctxErr(ctx)
		}
	}
	if why := r.blockedBy.Load(); why != nil {
		return &BlockedError{Reason: *why}
	}
	if ctx.Err() != nil {
		return ctxErr(ctx)
	}
	return nil
}

// send publishes the n messages, within the window and at the pace; it
// stops when ctx ends, when run returns (stop), and before a send while
// the broker blocks the connection.
func (r *repeater) send(ctx context.Context, stop, room <-chan struct{}) error {
	for i := 0; i < r.n; i++ {
		for r.sent.Load()-r.settle.Load() >= ConfirmWindow {
			select {
			case <-room:
			case <-stop:
				return nil
			case <-ctx.Done():
				return nil
			}
		}
		if r.rate > 0 {
			due := r.start.Add(time.Duration(float64(i) / r.rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-stop:
					t.Stop()
					return nil
				case <-ctx.Done():
					t.Stop()
					return nil
				}
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-stop:
			return nil
		default:
		}
		if why, _, _ := r.s.blockState(r.vhost); why != "" {
			r.blockedBy.Store(&why)
			return nil
		}
		if r.sent.Load() == r.settle.Load() {
			r.resumed.Store(time.Now().UnixNano())
		}
		// Counted before the send: a send the broker does not read (it
		// blocked the connection) is handed over, and may be enqueued once
		// the broker reads it.
		r.sent.Add(1)
		if err := r.ch.Publish(r.req.Exchange, r.req.RoutingKey, true, false, r.pub); err != nil {
			r.sent.Add(-1)
			if r.ch.IsClosed() {
				return r.ch.closeErr()
			}
			return err
		}
	}
	return nil
}

func (r *repeater) count(c amqp091.Confirmation) {
	switch r.p.classify(c).Outcome {
	case Confirmed:
		r.acked.Add(1)
	case Returned:
		r.returned.Add(1)
	case Nacked:
		r.nacked.Add(1)
	}
	r.settle.Add(1)
	r.last.Store(time.Now().UnixNano())
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
	r.progress(RepeatProgress{N: r.n, Sent: int(r.sent.Load()), Confirmed: int(r.acked.Load()), Returned: int(r.returned.Load()),
		Nacked: int(r.nacked.Load()), Elapsed: now.Sub(r.start)})
}

func (r *repeater) summary() RepeatSummary {
	// settle first: a message counted settled is counted in its outcome.
	settle := r.settle.Load()
	sum := RepeatSummary{N: r.n, Sent: int(r.sent.Load()), Confirmed: int(r.acked.Load()), Returned: int(r.returned.Load()),
		Nacked: int(r.nacked.Load())}
	if r.start.IsZero() {
		return sum
	}
	sum.Elapsed = time.Unix(0, r.last.Load()).Sub(r.start)
	if sum.Elapsed > 0 {
		sum.MsgsPerSec = float64(settle) / sum.Elapsed.Seconds()
	}
	return sum
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d) // Go 1.23+ timers: Reset after Stop never delivers a stale value
}
