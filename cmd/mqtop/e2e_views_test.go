package main_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// :x → topic_logs → its bindings → a queue, then esc esc back to the
// exchanges with the cursor where it was; a hostile exchange name is shown
// neutralised in the list and in its JSON.
func TestE2EExchangesBindingsQueueAndBack(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ex := func(name string) string { return "exchanges/" + url.PathEscape(vh) + "/" + url.PathEscape(name) }
	testenv.MustAPI(t, env, "PUT", ex("topic_logs"), map[string]any{"type": "topic", "durable": true})
	testenv.MustAPI(t, env, "PUT", ex("evil\x1b[31mred"), map[string]any{"type": "fanout", "durable": true})
	for q, rk := range map[string]string{"kern.logs": "kern.*", "critical.logs": "*.critical"} {
		testenv.DeclareQueue(t, env, vh, q, nil)
		testenv.MustAPI(t, env, "POST", "bindings/"+url.PathEscape(vh)+"/e/topic_logs/q/"+url.PathEscape(q), map[string]any{"routing_key": rk})
	}
	tm := start(t, 120, 30, credentials(env), "--url", env.MgmtURL, "--refresh=500ms")
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	tm.keys(":")
	tm.text("vhost " + vh)
	tm.keys("Enter")
	tm.keys(":")
	tm.text("x")
	tm.keys("Enter")
	s := tm.waitFor(20*time.Second, "topic_logs", "/9 exchanges in vhost")
	if !strings.Contains(s, `evil\x1b[31mred`) {
		t.Fatalf("the hostile name is not shown neutralised:\n%s", s)
	}
	tm.keys("G") // topic_logs sorts last by name
	tm.waitFor(10*time.Second, "9/9 exchanges")
	tm.keys("Enter")
	s = tm.waitFor(20*time.Second, "bindings matching /exchange:topic_logs/", "kern.logs", "critical.logs")
	if !strings.Contains(s, "kern.*") || !strings.Contains(s, "*.critical") {
		t.Fatalf("routing keys missing:\n%s", s)
	}
	// The bindings sort by source then destination: critical.logs, kern.logs.
	tm.keys("G")
	tm.waitFor(10*time.Second, "2/2 bindings")
	tm.keys("Enter")
	s = tm.waitFor(20*time.Second, `queues matching /^kern\.logs$/`, "1/1 queues")
	if !strings.Contains(s, "kern.logs") {
		t.Fatalf("the binding's destination queue is not shown:\n%s", s)
	}
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "2/2 bindings")
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "9/9 exchanges in vhost")
	// The hostile name's JSON: neutralised too (it sorts just before topic_logs).
	tm.keys("k")
	tm.waitFor(10*time.Second, "8/9 exchanges")
	tm.keys("y")
	s = tm.waitFor(10*time.Second, "raw JSON", "evil")
	if !strings.Contains(s, `evil\u001b[31mred`) && !strings.Contains(s, `evil\x1b[31mred`) {
		t.Fatalf("the hostile name's JSON is not shown neutralised:\n%s", s)
	}
	tm.keys("q")
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}

// Each view's sort is remembered per context for the next start.
func TestE2ESortRememberedForTheNextStart(t *testing.T) {
	env := testenv.Broker(t)
	stateHome := t.TempDir()
	run := func() *term {
		return start(t, 120, 30, append(credentials(env), "XDG_STATE_HOME="+stateHome), "--url", env.MgmtURL, "--refresh=500ms")
	}
	tm := run()
	tm.waitFor(20*time.Second, "TOTAL↓") // deepest first, the first time
	tm.keys("s")
	tm.waitFor(10*time.Second, "READY↓")
	tm.keys(":")
	tm.text("x")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "NAME↑")
	tm.keys("S")
	tm.waitFor(10*time.Second, "NAME↓")
	tm.keys(":")
	tm.text("q")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "EXITED:0")

	tm = run()
	tm.waitFor(20*time.Second, "READY↓")
	tm.keys(":")
	tm.text("x")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "NAME↓", "exchanges")
}
