package amqp

import (
	"context"
	"fmt"
	"strings"
)

// Purge removes every ready message of a queue (queue.purge) and returns how
// many the broker purged. Unacknowledged messages are not touched.
func (s *Session) Purge(ctx context.Context, vhost, queue string) (int, error) {
	vhost = normVHost(vhost)
	op := fmt.Sprintf("purge queue %q", queue)
	if s.cfg.ReadOnly {
		return 0, readOnly(op, vhost)
	}
	ctx, cancel := s.bounded(ctx, 0)
	defer cancel()
	var n int
	err := s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		var err error
		n, err = ch.QueuePurge(queue, false)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.ForgetNearLimit(vhost, queue)
	return n, nil
}

// DeleteQueue deletes a queue (queue.delete) and returns how many messages
// it held. With ifUnused the broker refuses while the queue has consumers,
// with ifEmpty while it holds messages (406 PRECONDITION_FAILED), and then
// nothing is deleted.
func (s *Session) DeleteQueue(ctx context.Context, vhost, queue string, ifUnused, ifEmpty bool) (int, error) {
	vhost = normVHost(vhost)
	var cond []string
	if ifUnused {
		cond = append(cond, "unused")
	}
	if ifEmpty {
		cond = append(cond, "empty")
	}
	op := fmt.Sprintf("delete queue %q", queue)
	if len(cond) > 0 {
		op += " if " + strings.Join(cond, " and ")
	}
	if s.cfg.ReadOnly {
		return 0, readOnly(op, vhost)
	}
	ctx, cancel := s.bounded(ctx, 0)
	defer cancel()
	var n int
	err := s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		var err error
		n, err = ch.QueueDelete(queue, ifUnused, ifEmpty, false)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.ForgetNearLimit(vhost, queue)
	return n, nil
}

// QueueState is what a passive queue.declare answers: exact at the moment
// of asking, where the management API's figures lag by a statistics
// interval (5 s by default).
type QueueState struct {
	Ready, Consumers int
}

// Inspect reads a queue's ready count and consumer count with a passive
// queue.declare on a channel of its own. It changes nothing, so read-only
// mode allows it. Streams are not asked: their declare-ok counts nothing.
func (s *Session) Inspect(ctx context.Context, vhost, queue string) (QueueState, error) {
	vhost = normVHost(vhost)
	ctx, cancel := s.bounded(ctx, 0)
	defer cancel()
	var st QueueState
	err := s.withChannel(ctx, vhost, fmt.Sprintf("inspect queue %q", queue), func(ctx context.Context, ch *achan) error {
		q, err := ch.QueueDeclarePassive(queue, false, false, false, false, nil)
		st = QueueState{Ready: q.Messages, Consumers: q.Consumers}
		return err
	})
	return st, err
}
