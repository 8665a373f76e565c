package main_test

// Helpers of the fault tests: key latency, the log's failed requests, the
// header's age of the data, and checks that mqtop is still running.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keyLatency types key and polls the screen every ~5 ms until answered
// accepts it; it returns the time from send-keys to the answer on screen
// (each poll is a tmux capture-pane, a few ms itself). No answer within 2 s
// fails the test.
func (tm *term) keyLatency(key string, answered func(string) bool) time.Duration {
	tm.t.Helper()
	start := time.Now()
	tm.keys(key)
	for {
		s := tm.screen()
		if answered(s) {
			return time.Since(start)
		}
		if time.Since(start) > 2*time.Second {
			tm.t.Fatalf("key %q not answered within 2 s: the UI is frozen; screen:\n%s", key, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// latencies keeps the worst key latency seen under one fault, per key.
type latencies struct {
	fault string
	worst map[string]time.Duration
	n     int
}

// help opens the help page (?) and closes it (esc), timing both.
func (l *latencies) help(tm *term) {
	tm.t.Helper()
	open := func(s string) bool { return strings.Contains(s, "keys — ") }
	l.add("?", tm.keyLatency("?", open))
	time.Sleep(50 * time.Millisecond)
	l.add("esc", tm.keyLatency("Escape", func(s string) bool { return !open(s) }))
	time.Sleep(50 * time.Millisecond) // esc then another key too fast reads as alt+key
}

func (l *latencies) add(key string, d time.Duration) {
	if l.worst == nil {
		l.worst = map[string]time.Duration{}
	}
	l.n++
	l.worst[key] = max(l.worst[key], d)
}

func (l *latencies) log(t *testing.T) {
	t.Helper()
	var parts []string
	for k, d := range l.worst {
		parts = append(parts, fmt.Sprintf("%s %v", k, d.Round(time.Millisecond)))
	}
	sort.Strings(parts)
	t.Logf("key latency under %s: worst %s over %d keys (send-keys to the screen answering, capture-pane every ~5 ms)",
		l.fault, strings.Join(parts, ", "), l.n)
}

var staleAge = regexp.MustCompile(`stale (\d+)(ms|s)\b`)

// ageOf reads the header's "stale 12s" (or "stale 300ms") as whole
// seconds; -1 when the header says no age.
func ageOf(s string) int {
	m := staleAge.FindStringSubmatch(s)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "ms" {
		return n / 1000
	}
	return n
}

// failedAt lists the times of the log's failed requests whose URL contains
// path.
func failedAt(t *testing.T, log, path string) []time.Time {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.Contains(l, `msg="request failed"`) || !strings.Contains(l, path) {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatalf("log line without a time: %s", l)
		}
		out = append(out, at)
	}
	return out
}

// bursts groups request times less than 300 ms apart: one poll (and the
// identity checks it sets off) is one burst.
func bursts(ts []time.Time) []time.Time {
	var out []time.Time
	for i, at := range ts {
		if i == 0 || at.Sub(ts[i-1]) > 300*time.Millisecond {
			out = append(out, at)
		}
	}
	return out
}

func gapsOf(ts []time.Time) []string {
	var out []string
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]).Round(10*time.Millisecond).String())
	}
	return out
}

// noPanic: the pane still runs mqtop, it printed no panic, and the log
// holds none.
func noPanic(t *testing.T, tm *term, log string) {
	t.Helper()
	pane := strings.TrimSpace(tm.tmux("display-message", "-p", "-t", tm.name, "#{pane_pid}"))
	if !childNamed(pane, "mqtop") {
		t.Fatalf("the pane's shell (pid %s) no longer runs mqtop; screen:\n%s", pane, tm.screen())
	}
	if s := tm.screen(); strings.Contains(s, "EXITED:") || strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Fatalf("mqtop exited or panicked:\n%s", s)
	}
	if b, err := os.ReadFile(log); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(b), "panic") {
		t.Fatalf("the log mentions a panic:\n%s", b)
	}
}

// childNamed: a live process named name has parent pid ppid.
func childNamed(ppid, name string) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		st := string(b)
		open, end := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || end < open {
			continue
		}
		rest := strings.Fields(st[end+1:]) // state ppid ...
		if st[open+1:end] == name && len(rest) > 1 && rest[1] == ppid && rest[0] != "Z" {
			return true
		}
	}
	return false
}

// publishFromForm opens the publish form on the one queue listed (p),
// types body (when not empty; the form remembers the last one), sends it,
// and waits for the confirm. The form stays open.
func publishFromForm(t *testing.T, tm *term, q, body string) {
	t.Helper()
	tm.keys("p")
	tm.waitFor(10*time.Second, "Publish to "+q)
	if body != "" {
		for range 14 { // to the body field
			tm.keys("Tab")
		}
		tm.text(body)
	}
	tm.keys("C-s")
	tm.waitFor(20*time.Second, "confirmed and routed —")
}

// headerLine is the screen's first line (context, versions, freshness).
func headerLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(first)
}

// lastLines are the last n non-empty lines of a screen, trimmed.
func lastLines(s string, n int) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out[max(len(out)-n, 0):]
}

// failedLines are the log's failed-request lines.
func failedLines(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `msg="request failed"`) {
			out = append(out, l)
		}
	}
	return out
}

// oneLine is a screen's text with its lines joined and runs of blanks made
// one space: a status or result wrapped over lines reads as one.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
