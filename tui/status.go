package tui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/safe"
	"github.com/mqtop/mqtop/internal/theme"
)

// statusLine shows the outcome of the last action: errors stay until the
// next key, information fades after a few seconds.
type statusLine struct {
	text  string
	isErr bool
	id    int
}

const fadeAfter = 4 * time.Second

func (s *statusLine) set(text string, isErr bool) tea.Cmd {
	s.id++
	s.text, s.isErr = safe.Text(text), isErr
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

func (s *statusLine) view() string {
	if s.isErr {
		return theme.Error.Render(s.text)
	}
	return theme.Dim.Render(s.text)
}

func (m *Model) info(format string, a ...any) tea.Cmd {
	return m.line.set(fmt.Sprintf(format, a...), false)
}

func (m *Model) errorf(format string, a ...any) {
	m.line.set(fmt.Sprintf(format, a...), true)
}
