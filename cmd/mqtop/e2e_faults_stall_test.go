package main_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// A management API that stalls, behind a proxy of the test's: first one
// that accepts and never answers, then one that answers a byte a second.
// Every request times out, the UI answers keys throughout, the header says
// "api not answering for Ns" (counting the seconds) instead of the last
// latency once the poll has waited longer than the interval, then marks the
// last good data stale (once the poll's slowest request, the queue list's,
// has timed out: about 30 s) and starts to say why, and when the proxy
// forwards again mqtop recovers by itself.
func TestE2EFaultStalledAPI(t *testing.T) {
	n := testenv.StartNode(t)
	const q = "stall-q"
	testenv.DeclareQueue(t, n.Env, "/", q, nil)
	testenv.Publish(t, n.Env, "/", "", q, []byte("1"), []byte("2"))
	proxy := testenv.StartProxy(t, "127.0.0.1:"+n.MgmtPort, testenv.Forward)

	log := t.TempDir() + "/mqtop.log"
	tm := start(t, 140, 30, []string{"MQTOP_PASSWORD=guest", "NO_COLOR=1"},
		"--url", proxy.URL(), "--refresh", "500ms", "--debug", "--log-file", log)
	tm.waitFor(30*time.Second, "nodes 1/1", "api ")
	tm.waitUntil(30*time.Second, q+" with its 2 messages", func(s string) bool {
		r := rowOf(s, q)
		return len(r) > 5 && r[3] == "2"
	})
	healthy := latencies{fault: "no fault (baseline)"}
	for range 3 {
		healthy.help(tm)
	}
	healthy.log(t)

	for _, mode := range []testenv.ProxyMode{testenv.Stall, testenv.Trickle} {
		proxy.SetMode(mode)
		stalled := time.Now()
		lat := latencies{fault: "management API " + mode.String()}
		var s, said string
		waits := map[string]bool{} // the "api not answering for Ns" the header showed
		for {
			lat.help(tm)
			s = tm.screen()
			if w := notAnswering.FindString(headerLine(s)); w != "" {
				waits[w] = true
			}
			if strings.Contains(s, "stale ") {
				break
			}
			if time.Since(stalled) > 90*time.Second {
				t.Fatalf("%s: the header never said the data is stale:\n%s", mode, s)
			}
			if h := headerLine(s); h != said { // what the header says meanwhile, when it changes
				t.Logf("%s %v: %s", mode, time.Since(stalled).Round(time.Second), h)
				said = h
			}
			time.Sleep(time.Second)
		}
		t.Logf("%s: stale shown %v after the API stalled: %s", mode, time.Since(stalled).Round(100*time.Millisecond), headerLine(s))
		// Until then the header said the API was not answering, not the
		// last latency, and counted the seconds.
		if len(waits) < 2 {
			t.Fatalf("%s: the header did not count the seconds the API has not answered (saw %v)", mode, waits)
		}
		t.Logf("%s: the header said %d different waits, e.g. %q", mode, len(waits), anyKey(waits))
		if !strings.Contains(s, "nodes 1/1") || rowOf(s, q) == nil {
			t.Fatalf("%s: last good data not kept:\n%s", mode, s)
		}
		// The header has room for the start of the cause only; the status
		// line said it whole, but a key clears that line. ! opens the last
		// status message in full.
		time.Sleep(100 * time.Millisecond)
		tm.keys("!")
		time.Sleep(time.Second)
		full := tm.screen()
		timeoutSaid := strings.Contains(full, "deadline exceeded") || strings.Contains(full, "Timeout") || strings.Contains(full, "timed out")
		t.Logf("%s: ! says the cause is a timeout: %v (%q)", mode, timeoutSaid, lastLines(full, 3))
		tm.keys("Escape")
		time.Sleep(100 * time.Millisecond)
		for time.Since(stalled) < 45*time.Second {
			lat.help(tm)
			time.Sleep(time.Second)
		}
		s = tm.screen()
		t.Logf("%s after %v: %s", mode, time.Since(stalled).Round(time.Second), headerLine(s))
		lat.log(t)
		noPanic(t, tm, log)

		proxy.SetMode(testenv.Forward)
		back := time.Now()
		tm.waitUntil(60*time.Second, "recovery", func(s string) bool {
			return !strings.Contains(s, "stale ") && !strings.Contains(s, "not answering") && strings.Contains(s, "api ") && strings.Contains(s, "nodes 1/1")
		})
		t.Logf("%s: recovered %v after the proxy forwarded again", mode, time.Since(back).Round(100*time.Millisecond))
	}
	timeouts := 0
	for _, l := range failedLines(t, log) {
		if strings.Contains(l, "deadline exceeded") || strings.Contains(l, "Timeout") {
			timeouts++
		}
	}
	if timeouts == 0 {
		t.Fatalf("no request timed out in the log:\n%s", strings.Join(failedLines(t, log), "\n"))
	}
	t.Logf("%d requests timed out", timeouts)
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}

var notAnswering = regexp.MustCompile(`api not answering for [0-9]+s`)

func anyKey(m map[string]bool) string {
	for k := range m {
		return k
	}
	return ""
}
