package main_test

// Fault tests on the AMQP side (issue 15): mqtop's connection closed by the
// broker in the middle of a long publish, and memory and disk alarms, which
// block publishers.

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// openQueue filters the queue list to q alone.
func openQueue(tm *term, q string) {
	tm.t.Helper()
	tm.keys("/")
	tm.text("^" + q + "$")
	tm.keys("Enter")
	tm.waitFor(15*time.Second, "1/1 queues matching")
}

// setField replaces the value of the form field in focus.
func (tm *term) setField(v string) {
	tm.keys("C-u")
	tm.text(v)
}

var repeatSummary = regexp.MustCompile(`sent ([\d,]+) of ([\d,]+) · confirmed and routed ([\d,]+)`)

func atoiComma(s string) int {
	n, _ := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	return n
}

// mqtopConnection waits for mqtop's one AMQP connection on the broker,
// other than not (a name), and returns it.
func mqtopConnection(t *testing.T, env testenv.Env, not string, timeout time.Duration) testenv.Connection {
	t.Helper()
	var c testenv.Connection
	testenv.WaitFor(t, timeout, func() (bool, string) {
		cs := testenv.MqtopConnections(t, env)
		if len(cs) == 1 && cs[0].Name != not {
			c = cs[0]
			return true, ""
		}
		return false, "mqtop's AMQP connection is not listed (other than " + strconv.Quote(not) + ")"
	})
	return c
}

// mqtop's AMQP connection is closed from the management API while it
// publishes 200,000 messages at 2,000/s: the action reports the failure,
// nothing more arrives after it (no silent retry), the messages that did
// arrive are at least the confirmed ones and at most the sent ones, the
// session re-dials by itself, and a new publish from the form works.
func TestE2EFaultAMQPConnectionClosedMidPublish(t *testing.T) {
	n := testenv.StartNode(t)
	const q = "forced-q"
	testenv.DeclareQueue(t, n.Env, "/", q, nil)
	log := t.TempDir() + "/mqtop.log"
	tm := start(t, 160, 40, []string{"MQTOP_PASSWORD=guest", "NO_COLOR=1"},
		"--url", n.MgmtURL, "--refresh", "1s", "--debug", "--log-file", log)
	tm.waitFor(30*time.Second, "nodes 1/1", "api ")
	openQueue(tm, q)
	tm.keys("p")
	tm.waitFor(10*time.Second, "Publish to "+q)
	for range 16 { // to the repeat count
		tm.keys("Tab")
	}
	tm.setField("200000")
	tm.keys("Tab")
	tm.setField("2000")
	tm.keys("C-s")
	tm.waitFor(20*time.Second, "/200,000 sent")
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		got := ready(t, n.Env, "/", q)
		return got >= 4000, strconv.Itoa(got) + " messages arrived, waiting for 4,000"
	})
	conn := mqtopConnection(t, n.Env, "", 10*time.Second)
	testenv.CloseConnection(t, n.Env, conn.Name, "mqtop fault test")
	s := tm.waitFor(30*time.Second, "CONNECTION_FORCED")
	m := repeatSummary.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no summary after the forced close:\n%s", s)
	}
	sent, confirmed := atoiComma(m[1]), atoiComma(m[3])
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "CONNECTION_FORCED") {
			t.Logf("the action says: %s", strings.TrimSpace(l))
		}
	}
	arrived := ready(t, n.Env, "/", q)
	time.Sleep(4 * time.Second) // a retry at 2,000/s would add ~8,000
	// Frames already in the socket may still be enqueued (at most the
	// unconfirmed window, 256); a retry would add thousands.
	if later := ready(t, n.Env, "/", q); later > arrived+256 || later > sent {
		t.Fatalf("messages kept arriving after the failure: %d, then %d 4 s later (a silent retry?)", arrived, later)
	} else {
		arrived = later
	}
	t.Logf("sent %d, confirmed %d, arrived %d (stable 4 s later)", sent, confirmed, arrived)
	if arrived < confirmed || arrived > sent || sent >= 200000 {
		t.Fatalf("%d arrived; want between the %d confirmed and the %d sent (of 200,000)", arrived, confirmed, sent)
	}
	if strings.Contains(tm.screen(), "publishing 200,000 messages…") {
		t.Fatalf("the action still says it runs:\n%s", tm.screen())
	}

	// The session re-dials by itself, and the next publish goes through it.
	redialled := mqtopConnection(t, n.Env, conn.Name, 45*time.Second)
	t.Logf("re-dialled as %s", redialled.Name)
	tm.keys("BTab") // back to the repeat count
	tm.setField("1")
	tm.keys("C-s")
	tm.waitFor(20*time.Second, "confirmed and routed —")
	if got := ready(t, n.Env, "/", q); got != arrived+1 {
		t.Fatalf("%s holds %d messages after one more publish, want %d", q, got, arrived+1)
	}
	noPanic(t, tm, log)
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}

// sgr matches one SGR escape sequence.
var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// backgroundAt is the background colour in effect where text starts on a
// line captured with escape sequences (capture-pane -e): "5;N" (256
// colours), "2;R;G;B", "4x"/"10x" (16 colours), or "" for the default.
func backgroundAt(line, text string) (string, bool) {
	end := strings.Index(line, text)
	if end < 0 {
		return "", false
	}
	bg := ""
	for _, m := range sgr.FindAllStringSubmatch(line[:end], -1) {
		ps := strings.Split(m[1], ";")
		for i := 0; i < len(ps); i++ {
			switch p := ps[i]; {
			case p == "" || p == "0" || p == "49":
				bg = ""
			case p == "48" && i+2 < len(ps) && ps[i+1] == "5":
				bg, i = "5;"+ps[i+2], i+2
			case p == "48" && i+4 < len(ps) && ps[i+1] == "2":
				bg, i = "2;"+strings.Join(ps[i+2:i+5], ";"), i+4
			case p == "38" && i+1 < len(ps) && ps[i+1] == "5":
				i += 2
			case p == "38" && i+1 < len(ps) && ps[i+1] == "2":
				i += 4
			case len(p) == 2 && p[0] == '4' || len(p) == 3 && strings.HasPrefix(p, "10"):
				bg = p
			}
		}
	}
	return bg, true
}

// red: the badge colour #ff5f5f as each colour depth renders it.
func red(bg string) bool {
	switch bg {
	case "5;203", "5;9", "5;1", "5;196", "2;255;95;95", "41", "101":
		return true
	}
	return false
}

// An alarm (memory, then disk) blocks publishers: the header shows it on a
// red badge; a publish from the form ends instead of hanging, as
// unconfirmed because the broker blocked publishers (the broker blocks a
// connection when it next publishes) or refused at once; the next one is
// refused at once with the broker's reason; a repeat of 1 MiB messages
// ends by itself; once the alarm is cleared publishing works again.
// Message counts are compared at each step: what was confirmed, plus at
// most what was reported as maybe enqueued.
func TestE2EFaultAlarms(t *testing.T) {
	n := testenv.StartNode(t)
	const q, big = "alarm-q", "alarm-big"
	testenv.DeclareQueue(t, n.Env, "/", q, nil)
	testenv.DeclareQueue(t, n.Env, "/", big, nil)
	log := t.TempDir() + "/mqtop.log"
	// Colours on (no NO_COLOR): the badge must be red.
	tm := start(t, 180, 40, []string{"MQTOP_PASSWORD=guest", "TERM=xterm-256color"},
		"--url", n.MgmtURL, "--refresh", "500ms", "--debug", "--log-file", log)
	tm.waitFor(30*time.Second, "nodes 1/1", "api ")
	openQueue(tm, q)
	publishFromForm(t, tm, q, `{"alarm":"none"}`)
	count := 1
	if got := ready(t, n.Env, "/", q); got != count {
		t.Fatalf("%s holds %d messages, want %d", q, got, count)
	}
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")

	for _, a := range []struct {
		badge, reason string
		set, clear    []string
		bigRepeat     bool
	}{
		{"MEMORY ALARM", "low on memory", []string{"set_vm_memory_high_watermark", "0.0001"}, []string{"set_vm_memory_high_watermark", "0.4"}, true},
		{"DISK ALARM", "low on disk", []string{"set_disk_free_limit", "100000000000000"}, []string{"set_disk_free_limit", "50000000"}, false},
	} {
		t.Logf("%s: rabbitmqctl %s: %s", a.badge, strings.Join(a.set, " "), strings.TrimSpace(n.MustCtl(a.set...)))
		s := tm.waitFor(60*time.Second, a.badge+" "+n.Name)
		styled := tm.tmux("capture-pane", "-p", "-e", "-t", tm.name)
		first, _, _ := strings.Cut(styled, "\n")
		bg, ok := backgroundAt(first, a.badge)
		if !ok || !red(bg) {
			t.Fatalf("%s is not on a red badge (background %q) in the header line %q", a.badge, bg, first)
		}
		t.Logf("%s: on a badge of background %s", a.badge, bg)
		if !strings.Contains(headerLine(s), a.badge) {
			t.Fatalf("%s is not in the header's first line:\n%s", a.badge, s)
		}

		// Publish while publishers are blocked: it must end, not hang.
		tm.keys("p")
		tm.waitFor(10*time.Second, "Publish to "+q)
		sent := time.Now()
		tm.keys("C-s")
		tm.waitFor(5*time.Second, "publishing…")
		s = tm.waitUntil(60*time.Second, "the blocked publish to end", func(s string) bool {
			return !strings.Contains(s, "publishing…")
		})
		took := time.Since(sent)
		var outcome []string
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "publish") || strings.Contains(l, "block") || strings.Contains(l, "timed out") {
				outcome = append(outcome, strings.TrimSpace(l))
			}
		}
		t.Logf("%s: publish ended after %v: %q", a.badge, took.Round(100*time.Millisecond), outcome)
		if strings.Contains(s, "confirmed and routed —") {
			t.Fatalf("%s: a publish was confirmed while publishers are blocked:\n%s", a.badge, s)
		}
		// The broker blocks a connection when it next publishes: this
		// publish was sent, and ends at its confirm timeout saying why
		// (or, had the block come first, is refused at once).
		unconfirmed := "unconfirmed: the broker blocked publishers (" + a.reason + "); the message may or may not have been enqueued"
		refused := "publishers are blocked by the broker: " + a.reason
		if !strings.Contains(oneLine(s), unconfirmed) && !strings.Contains(oneLine(s), refused) {
			t.Fatalf("%s: the publish ended without saying that the broker blocked publishers (%q or %q):\n%s", a.badge, unconfirmed, refused, s)
		}
		maybe := 0
		if strings.Contains(oneLine(s), unconfirmed) {
			maybe = 1
		}
		// The next publish is refused at once, with the broker's reason.
		tm.keys("C-s")
		s = tm.waitFor(5*time.Second, refused)
		t.Logf("%s: the next publish: %q", a.badge, lastLines(s, 3))
		var state string
		for _, c := range testenv.MqtopConnections(t, n.Env) {
			state = c.State
		}
		t.Logf("%s: mqtop's connection is %q on the broker", a.badge, state)
		if got := ready(t, n.Env, "/", q); got != count {
			t.Fatalf("%s: %s holds %d messages while blocked, want %d", a.badge, q, got, count)
		}
		tm.keys("Escape")
		tm.waitFor(10*time.Second, "1/1 queues matching")
		if a.bigRepeat {
			blockedRepeat(t, tm, n, big)
			openQueue(tm, q)
		}

		n.MustCtl(a.clear...)
		tm.waitUntil(60*time.Second, a.badge+" cleared", func(s string) bool { return !strings.Contains(s, a.badge) })
		// The blocked message was written to the socket before the timeout;
		// the broker reads it once it unblocks the connection.
		time.Sleep(2 * time.Second)
		afterClear := ready(t, n.Env, "/", q)
		if a.bigRepeat {
			t.Logf("%s: %d of the blocked 1 MiB repeat arrived after clearing", a.badge, ready(t, n.Env, "/", big))
		}
		t.Logf("%s: %d messages after clearing (%d before the blocked publish)", a.badge, afterClear, count)
		if afterClear < count || afterClear > count+maybe {
			t.Fatalf("%s: %s holds %d messages after clearing; %d confirmed, %d reported as maybe enqueued", a.badge, q, afterClear, count, maybe)
		}
		count = afterClear
		publishFromForm(t, tm, q, "")
		count++
		if got := ready(t, n.Env, "/", q); got != count {
			t.Fatalf("%s: %s holds %d messages after publishing with the alarm cleared, want %d", a.badge, q, got, count)
		}
		tm.keys("Escape")
		tm.waitFor(10*time.Second, "1/1 queues matching")
	}
	noPanic(t, tm, log)
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}

// blockedRepeat publishes 64 messages of 1 MiB from a file to queue big
// while publishers are blocked: more than the socket buffers hold, so the
// publish itself (not only its confirm) would wait on the broker. The
// connection is blocked already, so the repeat is refused at once, and it
// must end by itself either way. It leaves the list filtered to nothing
// (esc cleared the filter).
func blockedRepeat(t *testing.T, tm *term, n *testenv.Node, big string) {
	t.Helper()
	file := t.TempDir() + "/body"
	if err := os.WriteFile(file, bytes.Repeat([]byte("x"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	tm.keys("Escape") // clear the filter
	tm.waitFor(10*time.Second, "/2 queues")
	openQueue(tm, big)
	tm.keys("p")
	tm.waitFor(10*time.Second, "Publish to "+big)
	for range 15 { // to the body file
		tm.keys("Tab")
	}
	tm.text(file)
	tm.keys("Tab")
	tm.setField("64")
	sent := time.Now()
	tm.keys("C-s")
	running := func(s string) bool {
		return strings.Contains(s, "publishing 64 messages…") || strings.Contains(s, "cancelling…")
	}
	// Refused at once, or ended by the confirm timeout: either way it ends.
	tm.waitUntil(10*time.Second, "the repeat started or ended", func(s string) bool {
		return running(s) || strings.Contains(oneLine(s), "publish failed")
	})
	deadline := time.Now().Add(30 * time.Second)
	s := tm.screen()
	for running(s) && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		s = tm.screen()
	}
	if running(s) {
		t.Fatalf("a blocked repeat of 1 MiB messages still runs after %v (%q)", time.Since(sent).Round(time.Second), lastLines(s, 4))
	}
	t.Logf("blocked repeat of 1 MiB messages ended by itself after %v: %q", time.Since(sent).Round(100*time.Millisecond), lastLines(s, 4))
	if strings.Contains(s, "publish: sent 64 of 64") {
		t.Fatalf("64 messages reported sent while publishers are blocked:\n%s", s)
	}
	// The connection is blocked already: the repeat is refused at once.
	if !strings.Contains(oneLine(s), "publishers are blocked by the broker: low on memory") {
		t.Fatalf("the repeat on a blocked connection does not say publishers are blocked:\n%s", s)
	}
	time.Sleep(100 * time.Millisecond)
	tm.keys("Escape") // leave the form
	tm.waitFor(10*time.Second, "1/1 queues matching")
	time.Sleep(100 * time.Millisecond)
	tm.keys("Escape") // clear the filter
	tm.waitFor(10*time.Second, "/2 queues")
}
