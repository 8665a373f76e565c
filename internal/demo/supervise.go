package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 15 * time.Second
	// A run this long counts as healthy, so the next failure retries quickly
	// again instead of inheriting an old, long backoff.
	healthyRun   = 30 * time.Second
	dialTimeout  = 5 * time.Second
	closeTimeout = 2 * time.Second
)

// role is one named AMQP client of the demo. Each role owns one connection
// so the management UI shows who is who, and a channel error in one role
// (e.g. a queue declared elsewhere with other arguments) cannot stop others.
type role struct {
	name  string
	vhost string
	// prepare runs before every dial, e.g. to (re)create the second vhost.
	prepare func(ctx context.Context) error
	// startDelay lets a producer create a quorum queue or stream first:
	// consuming from one whose replica is still starting fails with
	// INTERNAL_ERROR, which would otherwise greet every fresh start.
	startDelay time.Duration
	// run must return when ctx is done or the connection breaks.
	run func(ctx context.Context, conn *amqp.Connection) error
}

// dial honours ctx so shutdown is not held up by a dead broker. It also
// returns the TCP socket, the only reliable way to abandon a connection the
// broker no longer reads from (see closeConn).
func (d *demo) dial(ctx context.Context, vhost, name string) (*amqp.Connection, net.Conn, error) {
	var raw net.Conn
	cfg := amqp.Config{
		SASL:       []amqp.Authentication{&amqp.PlainAuth{Username: d.cfg.User, Password: d.cfg.Password}},
		Vhost:      vhost,
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": "mqtop-demo " + name},
		Dial: func(network, addr string) (net.Conn, error) {
			nd := net.Dialer{Timeout: dialTimeout}
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			raw = c
			// Bounds the TLS/AMQP handshake; amqp091 clears it once open.
			return c, c.SetDeadline(time.Now().Add(dialTimeout))
		},
	}
	conn, err := amqp.DialConfig(d.cfg.AMQPURL, cfg)
	return conn, raw, err
}

// closeConn closes politely but gives up after closeTimeout. A broker with
// a memory or disk alarm stops reading from publishing connections, so the
// close handshake never completes, and amqp091's CloseDeadline does not
// help because every server heartbeat pushes the read deadline out again.
func closeConn(conn *amqp.Connection, raw net.Conn) {
	done := make(chan struct{})
	go func() {
		_ = conn.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeTimeout):
		_ = raw.Close()
		<-done
	}
}

// supervise keeps a role alive until ctx is done, re-dialling with
// exponential backoff whenever the broker goes away.
func (d *demo) supervise(ctx context.Context, r role) {
	log := d.log.With("role", r.name)
	defer log.Debug("role stopped")
	backoff := minBackoff
	failures := 0
	connectedOnce := false
	if !sleepCtx(ctx, r.startDelay) {
		return
	}
	for ctx.Err() == nil {
		res := d.runOnce(ctx, r, func() {
			if connectedOnce {
				d.stats.reconnects.Add(1)
				log.Info("reconnected", "after_failures", failures)
			} else {
				log.Info("role started", "vhost", r.vhost)
			}
			connectedOnce = true
			failures = 0
		})
		if ctx.Err() != nil {
			return
		}
		if res.healthy {
			backoff = minBackoff
		}
		failures++
		// One line when trouble starts, then only occasionally, so a broker
		// outage does not flood the log with one line per role per retry.
		if failures == 1 || failures%10 == 0 {
			attrs := []any{"err", res.err, "failures", failures, "backoff", backoff.Round(time.Millisecond)}
			var ae *amqp.Error
			if errors.As(res.err, &ae) && ae.Code == amqp.PreconditionFailed {
				// Typically a queue left over from the RabbitMQ tutorials
				// (e.g. a non-durable "hello"); retrying cannot fix that.
				attrs = append(attrs, "hint", "an object with this name exists with different settings; delete it (mqtop-demo --teardown) or use another --vhost")
			}
			log.Warn("role failed, retrying", attrs...)
		}
		if !sleepCtx(ctx, jitter(backoff)) {
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

type runResult struct {
	err     error
	healthy bool
}

func (d *demo) runOnce(ctx context.Context, r role, onConnected func()) runResult {
	if r.prepare != nil {
		if err := r.prepare(ctx); err != nil {
			return runResult{err: fmt.Errorf("prepare: %w", err)}
		}
	}
	conn, raw, err := d.dial(ctx, r.vhost, r.name)
	if err != nil {
		return runResult{err: fmt.Errorf("dial: %w", err)}
	}
	// Closing the connection closes its channels and cancels its consumers
	// (the broker requeues unacked messages), so roles do not close channels
	// themselves.
	defer closeConn(conn, raw)
	onConnected()

	// The role sees a context that ends when the connection dies, so idle
	// producers waiting on a ticker notice the outage straight away.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	reason := make(chan error, 1)
	go func() {
		select {
		case e, ok := <-closed:
			err := errors.New("connection closed")
			if ok && e != nil {
				err = fmt.Errorf("connection closed: %w", e)
			}
			reason <- err
			cancel(err)
		case <-runCtx.Done():
		}
	}()

	start := time.Now()
	err = r.run(runCtx, conn)
	healthy := time.Since(start) > healthyRun
	// A dying connection first shows up as a closed delivery channel or a
	// failed publish; the broker's reason (e.g. CONNECTION_FORCED) is more
	// useful in the log and arrives a moment later.
	if conn.IsClosed() {
		select {
		case e := <-reason:
			return runResult{err: e, healthy: healthy}
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err == nil {
		err = errors.New("role stopped unexpectedly")
	}
	return runResult{err: err, healthy: healthy}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter spreads reconnects of the many roles so they do not hit a
// restarting broker in lockstep.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// between returns a random duration in [lo, hi].
func between(lo, hi time.Duration) time.Duration {
	return lo + rand.N(hi-lo+1)
}
