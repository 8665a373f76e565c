package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/mgmt"
)

// QueueInspector reads a queue's counts exactly now (a passive
// queue.declare); the AMQP session satisfies it.
type QueueInspector interface {
	Inspect(ctx context.Context, vhost, queue string) (amqp.QueueState, error)
}

// exactCounts is a queue's ready and consumer count read right after an
// action, shown instead of the statistics until those catch up.
type exactCounts struct {
	state amqp.QueueState
	at    time.Time
	// seen is the statistics' ready count when the exact one was first
	// shown: once the statistics move off it they have caught up.
	seen mgmt.Count
}

// exactFor is how long exact counts override the statistics at most: the
// broker emits them every 5 s by default, and the figure should not freeze.
const exactFor = 12 * time.Second

// queueInspected carries an exact read of one queue.
type queueInspected struct {
	key   string
	state amqp.QueueState
	at    time.Time
	err   error
}

// inspect reads the queue an action affected, at once, so that the screen
// shows its outcome now rather than one statistics interval later.
func (m *Model) inspect(vhost, queue string) tea.Cmd {
	in, ok := m.deps.AMQP.(QueueInspector)
	if !ok || queue == "" {
		return nil
	}
	if q, known := m.queues.Find(vhost, queue); known && q.Type == amqp.Stream {
		return nil // a stream's declare-ok counts nothing
	}
	timeout, key := m.deps.Timeout, mgmt.Queue{VHost: vhost, Name: queue}.Key()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		st, err := in.Inspect(ctx, vhost, queue)
		return queueInspected{key: key, state: st, at: time.Now(), err: err}
	}
}

func (m *Model) inspected(r queueInspected) tea.Cmd {
	if r.err != nil {
		delete(m.exact, r.key) // gone, or unreadable: the statistics say what they know
		return nil
	}
	m.exact[r.key] = exactCounts{state: r.state, at: r.at}
	return m.startPoll() // redraw the row with them now
}

// applyExact puts exact counts over a queue's statistics while they lag,
// and forgets them once the statistics agree or after exactFor.
func (m *Model) applyExact(q *mgmt.Queue, now time.Time) bool {
	k := q.Key()
	e, ok := m.exact[k]
	if !ok {
		return false
	}
	caught := q.Ready.OK && q.Ready.N == int64(e.state.Ready) && q.Consumers.OK && q.Consumers.N == int64(e.state.Consumers)
	moved := e.seen.OK && q.Ready != e.seen
	if caught || moved || now.Sub(e.at) > exactFor {
		delete(m.exact, k)
		return false
	}
	if !e.seen.OK {
		e.seen = q.Ready
		m.exact[k] = e
	}
	unacked := q.Unacked.Or(0)
	q.Ready, q.Consumers = mgmt.C(int64(e.state.Ready)), mgmt.C(int64(e.state.Consumers))
	q.Messages = mgmt.C(int64(e.state.Ready) + unacked)
	return true
}
