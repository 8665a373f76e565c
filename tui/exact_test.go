package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// inspectingSession answers a passive declare with fixed counts.
type inspectingSession struct {
	Messaging
	asked []string
	state amqp.QueueState
}

func (s *inspectingSession) Inspect(_ context.Context, vh, q string) (amqp.QueueState, error) {
	s.asked = append(s.asked, vh+"/"+q)
	return s.state, nil
}

// After a purge the row reads what a passive declare says now, marked •,
// while the statistics still show the old depth; once they catch up the
// mark goes.
func TestPurgedQueueReadsExactAtOnce(t *testing.T) {
	adm, sess := &fakeAdmin{}, &inspectingSession{state: amqp.QueueState{Ready: 0, Consumers: 2}}
	m := New(Deps{Context: Context{Name: "dev"}, Backend: fakeBackend{}, Source: fakeSource{}, Keys: keys.Default(),
		Admin: adm, AMQP: sess})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	feed(m, t0, 0)
	drive(m, func() tea.Msg {
		return MutationFinished{VHost: "/", Queue: "orders", What: `purge queue "orders" in vhost "/"`, Done: "purged 1,200 messages from orders (vhost /)", Polls: true}
	})
	if len(sess.asked) != 1 || sess.asked[0] != "//orders" {
		t.Fatalf("passive declares: %v", sess.asked)
	}
	feed(m, time.Now(), 0) // statistics still say 1,200 ready
	out := ansi.Strip(m.Render())
	row := rowFields(out, "orders")
	if len(row) < 4 || row[3] != "0•" || !strings.Contains(out, "exact now") {
		t.Fatalf("row %v\n%s", row, out)
	}
	if !strings.Contains(out, "purged 1,200 messages from orders") {
		t.Fatalf("the list's status line does not say the outcome:\n%s", out)
	}
	// The statistics catch up (they moved off the figure first shown).
	p := samplePage(0)
	p.Queues[0].Ready, p.Queues[0].Messages = mgmt.C(0), mgmt.C(3)
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), Overview: overview(), Nodes: nodes(), Page: &p})
	if row := rowFields(ansi.Strip(m.Render()), "orders"); len(row) < 4 || row[3] != "0" {
		t.Fatalf("after the statistics caught up: %v", row)
	}
}

func rowFields(screen, name string) []string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			if x == name {
				return f[i:]
			}
		}
	}
	return nil
}

// The chosen queue moved far (the index knows where): the next poll asks at
// once for the window holding it, not on the next tick.
func TestCursorWindowFollowsAQueueRankedFarAway(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	feed(m, t0, 0)
	m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"}) // orders.dlq
	q := m.queues.Query()
	if q.Track == nil || q.Track.Name != "orders.dlq" {
		t.Fatalf("the poll does not track the chosen queue: %+v", q.Track)
	}
	p := samplePage(0)
	p.Queues = append(p.Queues[:1:1], p.Queues[2:]...) // re-sorted: orders.dlq left the window
	p.Matched = 5000
	p.Tracked = &mgmt.Tracked{Ref: *q.Track, Rank: 4000}
	m.Update(SnapshotLoaded{Seq: m.seq, At: t0, Overview: overview(), Nodes: nodes(), Page: &p})
	if !m.inflight {
		t.Fatal("no poll started for the window of the moved queue")
	}
	if off := m.queues.Query().Offset; off != 3999 {
		t.Fatalf("window at %d, want 3999 (the queue on the row it was)", off)
	}
}
