package amqp

import (
	"context"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// achan is the channel of one action and its close notification.
type achan struct {
	*amqp091.Channel
	closed <-chan *amqp091.Error
	err    error // why it closed, once known

	// The session counts the channels in use on conn (see failBack): Close
	// uncounts this one, once, even when the broker closed it already.
	s    *Session
	conn *amqp091.Connection
	once sync.Once
}

// Close closes the channel (a channel the broker or the connection closed
// already: nil) and, the first time, tells the session it is no longer in
// use.
func (c *achan) Close() error {
	var err error
	c.once.Do(func() {
		err = c.Channel.Close()
		if c.s != nil {
			c.s.channelClosed(c.conn)
		}
	})
	return err
}

// failed returns why the channel closed, given a receive from ch.closed (or
// from another notification channel the library closed with the channel).
func (c *achan) failed(e *amqp091.Error, ok bool) error {
	if ok && e != nil {
		c.err = e
	}
	if c.err == nil {
		select {
		case e, ok := <-c.closed:
			if ok && e != nil {
				c.err = e
			}
		default:
		}
	}
	if c.err == nil {
		c.err = amqp091.ErrClosed
	}
	return c.err
}

// closeErr is failed for a notification channel found closed.
func (c *achan) closeErr() error {
	if c.err != nil {
		return c.err
	}
	// The library sends the close reason before it closes the listeners.
	select {
	case e, ok := <-c.closed:
		return c.failed(e, ok)
	case <-time.After(100 * time.Millisecond):
		return c.failed(nil, false)
	}
}

// withChannel runs f on a fresh channel of vhost's connection and closes the
// channel afterwards (closing requeues anything f took without acking, in
// the original order). It returns when f is done or when ctx ends, whichever
// comes first. In the latter case f is left to finish on its own: f must
// watch ctx in its waits, and every blocking library call returns once the
// broker answers or the connection dies, so nothing lingers for long. When
// withChannel returns an error, the caller must not read what f writes.
func (s *Session) withChannel(ctx context.Context, vhost, op string, f func(ctx context.Context, ch *achan) error) error {
	_, err := s.withChannelGrace(ctx, vhost, op, 0, f)
	return err
}

// withChannelGrace is withChannel that, once ctx ends, waits up to grace for
// f to notice and return (so f can hand back a partial result). finished
// reports whether f returned, i.e. whether the caller may read its results.
func (s *Session) withChannelGrace(ctx context.Context, vhost, op string, grace time.Duration,
	f func(ctx context.Context, ch *achan) error) (finished bool, err error) {
	vhost = normVHost(vhost)
	// A URL refused, or a context already ended, is the answer whatever
	// the select below would pick.
	if s.cfg.Target == nil && s.urlErr != nil {
		return true, opErr(op, vhost, s.urlErr)
	}
	if ctx.Err() != nil {
		return true, opErr(op, vhost, ctxErr(ctx))
	}
	done := make(chan error, 1)
	go func() { done <- s.runChannel(ctx, vhost, f) }()
	select {
	case err := <-done:
		return true, opErr(op, vhost, err)
	case <-ctx.Done():
	}
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case err := <-done:
			if err == nil {
				err = ctxErr(ctx)
			}
			return true, opErr(op, vhost, err)
		case <-t.C:
		}
	}
	return false, opErr(op, vhost, ctxErr(ctx))
}

func (s *Session) runChannel(ctx context.Context, vhost string, f func(ctx context.Context, ch *achan) error) error {
	ch, err := s.openChannel(ctx, vhost)
	if err != nil {
		return err
	}
	err = f(ctx, ch)
	_ = ch.Close() // a channel the broker closed is already closed: nil
	return err
}

// openChannel opens a channel, re-dialling once if the connection turns out
// to have closed under us (opening a channel changes nothing, so it is safe
// to retry). The caller must Close the channel it gets.
func (s *Session) openChannel(ctx context.Context, vhost string) (*achan, error) {
	for attempt := 0; ; {
		conn, err := s.acquire(ctx, vhost)
		if err != nil {
			return nil, err
		}
		if !s.channelOpened(conn) {
			continue // a failback replaced conn just now: take the new one
		}
		ch, err := conn.Channel()
		if err != nil {
			s.channelClosed(conn)
			if attempt == 0 && conn.IsClosed() && ctx.Err() == nil {
				s.mu.Lock()
				if vc := s.conns[vhost]; vc != nil && vc.conn == conn {
					vc.conn = nil
				}
				s.mu.Unlock()
				attempt++
				continue
			}
			return nil, err
		}
		return &achan{Channel: ch, closed: ch.NotifyClose(make(chan *amqp091.Error, 1)), s: s, conn: conn}, nil
	}
}

// bounded applies Config.Timeout (plus extra) to ctx.
func (s *Session) bounded(ctx context.Context, extra time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.Timeout+extra)
}
