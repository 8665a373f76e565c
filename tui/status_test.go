package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/amqp"
)

const purgeWhat = `purge queue "q" in vhost "v"`

// purgeFailed is a failed purge whose reason, with the amqp.OpError's own
// prefix, is about n characters long.
func purgeFailed(n int) (MutationFinished, string) {
	reason := "connect to amqp://broker.example:5672: dial tcp 10.0.0.7:5672:"
	for len(reason) < n-len(purgeWhat) {
		reason += " connection refused"
	}
	err := &amqp.OpError{Op: `purge queue "q"`, VHost: "v", Err: errors.New(reason)}
	return MutationFinished{What: purgeWhat, Err: err}, err.Error()
}

// screen renders m without colour and checks it fills the terminal exactly.
func screen(t *testing.T, m *Model, w, h int) []string {
	t.Helper()
	lines := strings.Split(ansi.Strip(render(t, m, colorprofile.Ascii)), "\n")
	if len(lines) != h {
		t.Fatalf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Fatalf("line %d is %d cells wide, more than %d: %q", i, ansi.StringWidth(l), w, l)
		}
	}
	return lines
}

func TestLongStatusWrapsAndNamesTheActionOnce(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	feed(m, t0, 0)
	f, text := purgeFailed(300)
	m.Update(f)

	lines := screen(t, m, 80, 24)
	n := len(m.statusLines())
	if n < 2 || n > m.statusCap() {
		t.Fatalf("a %d-character reason took %d status lines at width 80 (cap %d)", len(text), n, m.statusCap())
	}
	if m.bodyH != 24-headerLines-2-n {
		t.Fatalf("views laid out for a body of %d lines, Render draws %d", m.bodyH, 24-headerLines-2-n)
	}
	status := strings.Join(lines[len(lines)-n:], " ")
	if c := strings.Count(strings.Join(lines, "\n"), purgeWhat); c != 1 {
		t.Fatalf("the action is named %d times:\n%s", c, status)
	}
	if !slices.Equal(strings.Fields(status), strings.Fields(text)) {
		t.Fatalf("status lines do not hold the whole reason:\n got %q\nwant %q", status, text)
	}

	m.Update(press("r")) // the next key clears the error and gives the body its rows back
	screen(t, m, 80, 24)
	if m.bodyH != 24-headerLines-3 {
		t.Fatalf("body of %d lines after the error cleared", m.bodyH)
	}
}

func TestStatusTooLongForItsLinesOpensInFull(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	feed(m, t0, 0)
	f, text := purgeFailed(900)
	m.Update(f)

	lines := screen(t, m, 80, 24)
	if n := len(m.statusLines()); n != m.statusCap() {
		t.Fatalf("%d status lines, want the cap %d", n, m.statusCap())
	}
	last, ok := strings.CutSuffix(lines[len(lines)-1], "  ! full text")
	if !ok || !strings.HasSuffix(last, "…") {
		t.Fatalf("a cut status does not end in … and the key to open it: %q", lines[len(lines)-1])
	}

	m.Update(press("!"))
	if !isPager(m.top()) {
		t.Fatal("! did not open the pager")
	}
	lines = screen(t, m, 80, 24)
	body := lines[headerLines+1 : len(lines)-2] // the error is cleared: one status line
	if body[0] != "status message" {
		t.Fatalf("pager title %q", body[0])
	}
	if got := strings.Fields(strings.Join(body[1:], " ")); !slices.Equal(got, strings.Fields(text)) {
		t.Fatalf("the pager does not show the whole text:\n got %q\nwant %q", strings.Join(got, " "), text)
	}
	_, back := m.Update(press("esc"))
	m.Update(runCmd(back))
	if m.top() != Screen(m.queues) {
		t.Fatal("esc did not leave the status pager")
	}
}

func TestStatusLinesOnANarrowScreen(t *testing.T) {
	s := statusLine{text: strings.Repeat("abcdefghij", 5), isErr: true}
	got := s.lines(8, 2, "!")
	if len(got) != 2 {
		t.Fatalf("%d lines, want 2", len(got))
	}
	for _, l := range got {
		if w := ansi.StringWidth(l); w > 8 {
			t.Fatalf("line %q is %d cells wide", ansi.Strip(l), w)
		}
	}
	if l := ansi.Strip(got[1]); !strings.HasSuffix(l, "…") {
		t.Fatalf("cut line %q does not end in …", l)
	}
}

func TestFailureNamesTheActionOnce(t *testing.T) {
	for _, c := range []struct{ what, err, want string }{
		{purgeWhat, purgeWhat + ": connect to x: refused", purgeWhat + ": connect to x: refused"},
		{`purge queue "q"`, purgeWhat + ": refused", purgeWhat + ": refused"}, // an OpError adds the vhost
		{"read queue a", "connection refused", "read queue a: connection refused"},
		{"read queue a", "read queue ab: 404", "read queue a: read queue ab: 404"}, // another queue
		{"browse failed", "browse failed", "browse failed"},
	} {
		if got := failure(c.what, errors.New(c.err)); got != c.want {
			t.Errorf("failure(%q, %q) = %q, want %q", c.what, c.err, got, c.want)
		}
	}
}
