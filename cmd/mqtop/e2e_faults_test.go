package main_test

// Fault tests (issue 15): the real mqtop in tmux against a broker of the
// test's own, which the test stops before mqtop starts, SIGKILLs mid-session
// or hides behind a proxy that stalls. Key latency is measured throughout
// and logged, never asserted (timing budgets belong in benchmarks); a key
// not answered within 2 s at all is a frozen UI and fails.

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// Broker down at start: broker.sh takes no ports from the environment (it
// picks free ones), but halt keeps them for restart, so the node is started
// once to fix its ports, halted, and mqtop is started against the silent
// port. mqtop starts, says it cannot reach the broker, retries with backoff
// (the failed requests in its log come further and further apart), and fills
// in by itself once the broker is up.
func TestE2EFaultBrokerDownAtStart(t *testing.T) {
	n := testenv.StartNode(t)
	testenv.DeclareQueue(t, n.Env, "/", "down-at-start", nil)
	testenv.Publish(t, n.Env, "/", "", "down-at-start", []byte("a"), []byte("b"), []byte("c"))
	n.Halt()

	log := t.TempDir() + "/mqtop.log"
	const refresh = 500 * time.Millisecond
	tm := start(t, 140, 30, []string{"MQTOP_PASSWORD=guest", "NO_COLOR=1"},
		"--url", n.MgmtURL, "--refresh", refresh.String(), "--debug", "--log-file", log)
	started := time.Now()
	s := tm.waitFor(20*time.Second, "cannot reach "+n.MgmtURL, "retrying")
	if strings.Contains(s, "EXITED") {
		t.Fatalf("mqtop did not start with the broker down:\n%s", s)
	}
	// No key for 25 s: a key that goes back to a list polls at once (see
	// below), which would hide the backoff.
	time.Sleep(25*time.Second - time.Since(started))
	elapsed := time.Since(started)
	polls := bursts(failedAt(t, log, "/api/overview"))
	t.Logf("%d polls failed in %v at --refresh %v; gaps %v", len(polls), elapsed.Round(time.Second), refresh, gapsOf(polls))
	if most := int(elapsed / refresh); len(polls) < 2 || len(polls) > most/2 {
		t.Fatalf("%d failed polls in %v: want at least 2 and far fewer than one per refresh (%d)", len(polls), elapsed, most)
	}
	if last := polls[len(polls)-1].Sub(polls[len(polls)-2]); last < 4*refresh {
		t.Fatalf("the last retry came %v after the one before: no backoff (gaps %v)", last, gapsOf(polls))
	}
	lat := latencies{fault: "broker down at start"}
	for range 5 {
		lat.help(tm)
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	after := bursts(failedAt(t, log, "/api/overview"))
	t.Logf("%d more failed polls while 5 keys closed the help page (esc goes back to the list, which polls at once)",
		len(after)-len(polls))
	noPanic(t, tm, log)

	n.Restart()
	up := time.Now()
	// No key from here on: the views fill in by themselves. Backoff is at
	// most 30 s.
	tm.waitUntil(60*time.Second, "the broker's data", func(s string) bool {
		r := rowOf(s, "down-at-start")
		return strings.Contains(s, "nodes 1/1") && strings.Contains(s, "api ") && !strings.Contains(s, "cannot reach") &&
			len(r) > 5 && r[3] == "3" && r[5] == "3"
	})
	t.Logf("filled in %v after the broker answered", time.Since(up).Round(100*time.Millisecond))
	lat.log(t)
	noPanic(t, tm, log)
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}

// SIGKILL of the broker mid-session, then a start: the header keeps the
// last good data marked stale with its age, the UI answers keys throughout,
// polling recovers by itself, the AMQP session re-dials by itself (its
// connection is back on the broker before any action), a publish from the
// form arrives, the persistent messages survived, and nothing panicked.
func TestE2EFaultBrokerKilled(t *testing.T) {
	n := testenv.StartNode(t)
	const q = "kill-q"
	testenv.DeclareQueue(t, n.Env, "/", q, nil)
	testenv.Publish(t, n.Env, "/", "", q, []byte("1"), []byte("2"), []byte("3"), []byte("4"), []byte("5"))

	log := t.TempDir() + "/mqtop.log"
	tm := start(t, 140, 30, []string{"MQTOP_PASSWORD=guest", "NO_COLOR=1"},
		"--url", n.MgmtURL, "--refresh", "500ms", "--debug", "--log-file", log)
	tm.waitFor(20*time.Second, "nodes 1/1", "api ")
	tm.keys("/")
	tm.text("^" + q + "$")
	tm.keys("Enter")
	tm.waitFor(15*time.Second, "1/1 queues matching")
	publishFromForm(t, tm, q, `{"before":"kill"}`)
	if got := ready(t, n.Env, "/", q); got != 6 {
		t.Fatalf("%s holds %d messages before the kill, want 6", q, got)
	}
	var before []testenv.Connection
	testenv.WaitFor(t, 10*time.Second, func() (bool, string) {
		before = testenv.MqtopConnections(t, n.Env)
		return len(before) == 1, "mqtop's AMQP connection is not listed"
	})
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")

	n.Kill()
	killed := time.Now()
	s := tm.waitFor(30*time.Second, "stale ")
	t.Logf("stale shown %v after SIGKILL", time.Since(killed).Round(100*time.Millisecond))
	if !strings.Contains(s, "nodes 1/1") || rowOf(s, q) == nil {
		t.Fatalf("last good data not kept after SIGKILL:\n%s", s)
	}
	lat := latencies{fault: "broker SIGKILLed (down)"}
	age0 := ageOf(s)
	for time.Since(killed) < 8*time.Second {
		lat.help(tm)
		time.Sleep(500 * time.Millisecond)
	}
	s = tm.screen()
	if age := ageOf(s); age0 < 0 || age <= age0 {
		t.Fatalf("the age of the data does not grow (%d then %d):\n%s", age0, age, s)
	}
	noPanic(t, tm, log)

	// Keys are answered while the broker boots too.
	bootLat := latencies{fault: "broker booting after SIGKILL"}
	done := n.RestartInBackground()
	for waiting := true; waiting; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			waiting = false
		default:
			bootLat.help(tm)
			time.Sleep(500 * time.Millisecond)
		}
	}
	// Polling and the AMQP session recover by themselves, each on its own
	// backoff (polls up to 30 s apart, re-dials up to 15 s).
	up := time.Now()
	var polled, redialled time.Duration
	for polled == 0 || redialled == 0 {
		if time.Since(up) > 60*time.Second {
			t.Fatalf("no recovery within 60 s (polling after %v, AMQP after %v):\n%s", polled, redialled, tm.screen())
		}
		if s := tm.screen(); polled == 0 && !strings.Contains(s, "stale ") && strings.Contains(s, "api ") && strings.Contains(s, "nodes 1/1") {
			polled = time.Since(up)
		}
		if now := testenv.MqtopConnections(t, n.Env); redialled == 0 && len(now) == 1 && now[0].Name != before[0].Name {
			redialled = time.Since(up)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("after the broker answered: polling recovered in %v, the AMQP session re-dialled in %v",
		polled.Round(100*time.Millisecond), redialled.Round(100*time.Millisecond))
	if got := ready(t, n.Env, "/", q); got != 6 {
		t.Fatalf("%s holds %d messages after the restart, want the 6 confirmed before the kill", q, got)
	}
	publishFromForm(t, tm, q, "")
	if got := ready(t, n.Env, "/", q); got != 7 {
		t.Fatalf("%s holds %d messages after publishing once more, want 7", q, got)
	}
	lat.log(t)
	bootLat.log(t)
	noPanic(t, tm, log)
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "amqp re-dialled") {
		t.Fatalf("the log does not say the AMQP session re-dialled:\n%s", b)
	}
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}
