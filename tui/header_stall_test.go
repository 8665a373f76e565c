package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/internal/theme"
)

// While a poll is outstanding longer than the refresh interval the header
// stops showing the last latency as if it were current: it says how long
// the API has not answered (in the warning colour), the clock keeps
// redrawing it, and the answer brings the latency back.
func TestHeaderSaysTheAPIIsNotAnswering(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	feed(m, time.Now(), 0)
	header := func() string { return strings.SplitN(ansi.Strip(render(t, m, colorprofile.Ascii)), "\n", 2)[0] }
	if h := header(); !strings.Contains(h, "api 12ms") || strings.Contains(h, "not answering") {
		t.Fatalf("healthy header: %q", h)
	}

	// The next tick sends a poll that does not come back.
	_, cmd := m.Update(tickMsg{gen: m.tickGen})
	if !m.inflight || cmd == nil {
		t.Fatal("the tick sent no poll")
	}
	if !m.clockOn {
		t.Fatal("no clock runs while the poll is outstanding")
	}
	if h := header(); strings.Contains(h, "not answering") {
		t.Fatalf("not answering said before the interval passed: %q", h)
	}
	m.pollStart = time.Now().Add(-7 * time.Second)
	h := header()
	if !strings.Contains(h, "api not answering for 7s") || strings.Contains(h, "api 12ms") {
		t.Fatalf("header while the poll is outstanding for 7s: %q", h)
	}
	warn, _, _ := strings.Cut(theme.Warning.Render("X"), "X")
	if styled := render(t, m, colorprofile.TrueColor); warn == "" || !strings.Contains(styled, warn+"api not answering") {
		t.Fatalf("not in the warning colour %q:\n%q", warn, strings.SplitN(styled, "\n", 2)[0])
	}
	// The clock goes on while the poll is outstanding, and shows the new wait.
	if _, next := m.Update(clockMsg{}); next == nil || !m.clockOn {
		t.Fatal("the clock stopped while the poll is outstanding")
	}
	m.pollStart = time.Now().Add(-8 * time.Second)
	if h := header(); !strings.Contains(h, "api not answering for 8s") {
		t.Fatalf("the wait is not updated: %q", h)
	}

	// The answer comes: the latency is back, and the clock stops.
	feed(m, time.Now(), 1)
	if h := header(); !strings.Contains(h, "api 12ms") || strings.Contains(h, "not answering") {
		t.Fatalf("header after the answer: %q", h)
	}
	if _, next := m.Update(clockMsg{}); next != nil || m.clockOn {
		t.Fatal("the clock runs on with nothing to redraw")
	}
}
