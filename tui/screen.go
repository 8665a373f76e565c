package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/views"
)

// Screen is one page of the root's stack: a list, a detail page, a pager, a
// form. The root knows a screen only through this and the small optional
// capabilities below, checked where used; a new view adds nothing to it.
type Screen interface {
	Update(tea.KeyPressMsg) tea.Cmd
	View() string
	SetSize(w, h int)
	Title() string                  // for help and the header
	Hints(k *keys.Map) []views.Hint // its footer
}

// capturer is a screen whose keys are all typing now (a form, a filter
// being typed): the root's own keys (q, :, ?) go to it.
type capturer interface{ Capturing() bool }

// fetcher is a screen that shows data while it is in front. fetch is built
// from copies of the screen's state when a poll starts and runs off the UI
// loop; apply takes its answer on the UI loop, and says whether the window
// must be fetched again at once and what to tell the operator.
type fetcher interface {
	fetch(d Deps) func(ctx context.Context) (any, error)
	apply(m *Model, data any, err error, at time.Time) (refetch bool, note string)
}

// vhostScoped is a list that :vhost scopes.
type vhostScoped interface{ SetVHost(string) }

// filterTyper takes the debounce ticks of its filter input.
type filterTyper interface {
	FilterPaused(views.FilterTyped) tea.Cmd
}

func capturing(s Screen) bool {
	c, ok := s.(capturer)
	return ok && c.Capturing()
}

func (m *Model) top() Screen { return m.stack[len(m.stack)-1] }

// push opens a screen in front; esc returns to the one below as it was.
func (m *Model) push(s Screen) {
	m.stack = append(m.stack, s)
	m.layout()
}

// resetTo makes s the only screen (a view opened from the command line).
func (m *Model) resetTo(s Screen) {
	if m.cancelAction != nil {
		m.cancelAction()
		m.cancelAction = nil
	}
	m.stack = []Screen{s}
	m.layout()
}

// replaceTop swaps the screen in front (a browse result replaces its form).
func (m *Model) replaceTop(s Screen) {
	m.stack[len(m.stack)-1] = s
	m.layout()
}

// findScreen returns the topmost screen of type S on the stack.
func findScreen[S Screen](m *Model) (S, bool) {
	for i := len(m.stack) - 1; i >= 0; i-- {
		if s, ok := m.stack[i].(S); ok {
			return s, true
		}
	}
	var zero S
	return zero, false
}

func (m *Model) onStack(s Screen) bool {
	for _, x := range m.stack {
		if x == s {
			return true
		}
	}
	return false
}

// back pops the screen in front; from the last one it quits. Leaving a
// form cancels what it runs.
func (m *Model) back() tea.Cmd {
	if len(m.stack) == 1 {
		return tea.Quit
	}
	if _, ok := m.top().(*actionScreen); ok && m.cancelAction != nil {
		m.cancelAction() // leaving the form cancels what it runs
		m.cancelAction = nil
	}
	m.stack = m.stack[:len(m.stack)-1]
	m.layout()
	if m.failures > 0 {
		// The broker is not answering: the armed tick polls on its backoff
		// (r still forces one), so going back sends no extra request.
		return nil
	}
	return m.startPoll()
}
