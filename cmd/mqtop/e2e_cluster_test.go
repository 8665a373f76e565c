package main_test

import (
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// The node mqtop talks to stops: mqtop keeps showing fresh data through
// another node, shows the stopped node down and the quorum queue it led with
// a new leader and fewer members online, and comes back to the first node
// when it returns (issue 16).
func TestE2EClusterNodeStopsAndReturns(t *testing.T) {
	cl := testenv.StartCluster(t, 3)
	n1, n2 := cl.Nodes[0], cl.Nodes[1]
	// Declared through node 1, the quorum queue's leader is node 1; the
	// classic queue lives on node 2.
	testenv.DeclareQueue(t, n1.Env, "/", "fo-qq", amqp.Table{"x-queue-type": "quorum"})
	testenv.DeclareQueue(t, n2.Env, "/", "fo-classic", nil)
	testenv.Publish(t, n1.Env, "/", "", "fo-qq", []byte("1"), []byte("2"))

	const refresh = time.Second
	tm := start(t, 220, 30, []string{"MQTOP_USER=guest", "MQTOP_PASSWORD=guest", "NO_COLOR=1"},
		"--url", cl.URLs, "--refresh", refresh.String())
	tm.waitFor(60*time.Second, "nodes 3/3")
	tm.keys("/")
	tm.keys("C-u")
	tm.text("fo-")
	tm.keys("Enter")
	s := tm.waitUntil(60*time.Second, "fo-qq led by node 1 with 3/3 online", func(s string) bool {
		r := strings.Join(rowOf(s, "fo-qq"), " ")
		return strings.Contains(r, n1.Node[:12]) && strings.Contains(r, "3/3")
	})
	if !strings.Contains(strings.Join(rowOf(s, "fo-classic"), " "), n2.Node[:12]) {
		t.Fatalf("fo-classic not shown on node 2 (%s):\n%s", n2.Node, s)
	}
	if !strings.Contains(s, "on "+n1.Node[:12]) {
		t.Fatalf("the header does not say mqtop is on node 1:\n%s", s)
	}
	// browse opens the AMQP session, to node 1 (its listener).
	browse := func(when string) {
		t.Helper()
		tm.keys("g")
		tm.waitFor(10*time.Second, "1/2 queues")
		if r := rowOf(tm.screen(), "fo-qq"); r == nil {
			t.Fatalf("%s: fo-qq not listed", when)
		}
		tm.keys("m")
		tm.waitFor(10*time.Second, "Browse fo-qq")
		tm.keys("C-s")
		tm.waitFor(30*time.Second, "Messages of fo-qq", "2 shown")
		tm.keys("Escape")
		tm.waitFor(10*time.Second, "/2 queues")
	}
	browse("before the stop")

	// The screen is watched while the node shuts down: when mqtop moved to
	// another node, and whether the data ever went stale meanwhile.
	stopping := time.Now()
	done := make(chan struct{})
	go func() { defer close(done); cl.StopNode(0) }()
	var movedAfter time.Duration
	staleScreens := 0
	for watching := true; watching; {
		select {
		case <-done:
			watching = false
		case <-time.After(200 * time.Millisecond):
			s := tm.screen()
			if strings.Contains(s, "stale") {
				staleScreens++
			}
			if movedAfter == 0 && strings.Contains(s, "FAILED OVER") {
				movedAfter = time.Since(stopping)
			}
		}
	}
	t.Logf("node 1 took %.1fs to stop; mqtop was on another node %.1fs after the stop began; screens showing stale data meanwhile: %d",
		time.Since(stopping).Seconds(), movedAfter.Seconds(), staleScreens)
	stopped := time.Now()
	s = tm.waitUntil(60*time.Second, "node 1 down, fo-qq led elsewhere with 2/3 online, data from another node", func(s string) bool {
		r := strings.Join(rowOf(s, "fo-qq"), " ")
		return strings.Contains(s, "nodes 2/3") && strings.Contains(r, "!2/3") && !strings.Contains(r, n1.Node[:12]) &&
			strings.Contains(s, "FAILED OVER") && !strings.Contains(s, "stale")
	})
	t.Logf("node 1 shown down, fo-qq re-led, data fresh %.1fs after the stop finished (refresh %s)", time.Since(stopped).Seconds(), refresh)
	if depth(t, n2.Env, "/", "fo-qq") != 2 {
		t.Fatal("fo-qq lost its messages when its leader stopped")
	}
	// The AMQP session, whose node stopped, dials the node mqtop is on now.
	browse("after the failover")
	tm.keys(":")
	tm.text("overview")
	tm.keys("Enter")
	s = tm.waitFor(30*time.Second, "DOWN")
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "DOWN") && !strings.HasPrefix(strings.TrimSpace(l), n1.Node[:12]) {
			t.Fatalf("a node other than node 1 shown DOWN: %q", l)
		}
	}

	cl.StartNode(0)
	returned := time.Now()
	tm.keys(":")
	tm.text("queues")
	tm.keys("Enter")
	tm.waitUntil(90*time.Second, "node 1 back: 3/3 nodes, fo-qq 3/3 online, mqtop on node 1 again", func(s string) bool {
		r := strings.Join(rowOf(s, "fo-qq"), " ")
		return strings.Contains(s, "nodes 3/3") && strings.Contains(r, "3/3") && !strings.Contains(r, "!") &&
			!strings.Contains(s, "FAILED OVER") && strings.Contains(s, "on "+n1.Node[:12])
	})
	t.Logf("back on node 1 %.1fs after it was started again", time.Since(returned).Seconds())
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}
