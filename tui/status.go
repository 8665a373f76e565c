package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/internal/safe"
	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/views"
)

// statusLine shows the outcome of the last action: errors stay until the
// next key, information fades after a few seconds.
type statusLine struct {
	text  string
	isErr bool
	aside bool // a list's own note, which gives way to anything else
	id    int
}

const fadeAfter = 4 * time.Second

func (s *statusLine) set(text string, isErr bool) tea.Cmd {
	s.id++
	s.text, s.isErr, s.aside = safe.Text(text), isErr, false
	if isErr {
		return nil
	}
	id := s.id
	return tea.Tick(fadeAfter, func(time.Time) tea.Msg { return statusFaded{id: id} })
}

func (s *statusLine) fade(id int) {
	if id == s.id && !s.isErr {
		s.text = ""
	}
}

// keyPressed clears an error: it stays only until the next action.
func (s *statusLine) keyPressed() {
	if s.isErr {
		s.text, s.isErr = "", false
	}
}

// lines wraps the text to width, on spaces where it can, into at most limit
// lines; a text cut short ends in "…" and names the key that opens it whole.
func (s *statusLine) lines(width, limit int, openKey string) []string {
	if s.text == "" || width <= 0 {
		return nil
	}
	lines := strings.Split(ansi.Wrap(s.text, width, ""), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	hint := ""
	if len(lines) > limit {
		lines = lines[:limit]
		hint = "  " + openKey + " full text"
		avail := width - ansi.StringWidth(hint)
		if avail < 2 { // too narrow for the hint: the text comes first
			hint, avail = "", width
		}
		lines[limit-1] = ansi.Truncate(lines[limit-1], avail-1, "") + "…"
	}
	style := theme.Dim
	if s.isErr {
		style = theme.Error
	}
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	if hint != "" {
		lines[limit-1] += "  " + theme.Key.Render(openKey) + theme.Dim.Render(" full text")
	}
	return lines
}

// openStatus shows a status text in full in the pager, for a reason too
// long for the status line.
func (m *Model) openStatus(text string) tea.Cmd {
	if text == "" {
		return m.info("no status message")
	}
	p := views.NewPager(&m.keys, "status message")
	p.SetContent(ansi.Wrap(text, max(m.width, 1), ""))
	if isPager(m.top()) {
		m.replaceTop(&pagerScreen{Pager: p, title: "status message"}) // so back leads out of it
	} else {
		m.push(&pagerScreen{Pager: p, title: "status message"})
	}
	return nil
}

// failure is a failed action's status text, naming the action once: an
// amqp.OpError already begins with it.
func failure(what string, err error) string {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, what); !ok || (rest != "" && rest[0] != ':' && rest[0] != ' ') {
		s = what + ": " + s
	}
	if why := explainRefusal(what, err); why != "" {
		s += " — " + why
	}
	return s
}

func (m *Model) info(format string, a ...any) tea.Cmd {
	return m.line.set(fmt.Sprintf(format, a...), false)
}

// aside shows a list's note ("the row is gone") unless the line holds
// something else: the outcome of a mutation that caused it stays.
func (m *Model) aside(note string) tea.Cmd {
	if m.line.text != "" && !m.line.aside {
		return nil
	}
	cmd := m.line.set(note, false)
	m.line.aside = true
	return cmd
}

func (m *Model) errorf(format string, a ...any) {
	m.line.set(fmt.Sprintf(format, a...), true)
}
