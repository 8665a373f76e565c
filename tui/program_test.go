package tui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/keys"
)

// The root model under Bubble Tea's real program loop (commands run on
// their goroutines, timers tick, keys arrive as a terminal sends them):
// the list fills in, a publish goes out from the form, q leaves.
func TestProgramLoopPublishAndQuit(t *testing.T) {
	f := &fakeMessaging{pubResult: amqp.PublishResult{Outcome: amqp.Returned, ReplyCode: 312, ReplyText: "NO_ROUTE"}}
	m := New(Deps{Context: Context{Name: "dev"}, Backend: exchangeBackend{}, Source: fakeSource{}, Keys: keys.Default(),
		AMQP: f, Refresh: 200 * time.Millisecond})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitOut := func(want string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	waitOut("task_queue")
	tm.Send(tea.KeyPressMsg{Code: 'p', Text: "p"})
	waitOut("Publish to orders")
	tm.Send(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	waitOut("unroutable")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	waitOut("enter detail") // the list's footer: back on the queue list
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	if len(f.published) != 1 || f.published[0].RoutingKey != "orders" {
		t.Fatalf("published %+v", f.published)
	}
}
