package views

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/keys"
)

// Pager scrolls rendered lines; the JSON, help and detail pages use it.
type Pager struct {
	keys          *keys.Map
	title         string
	lines         []string
	offset        int
	width, height int
}

// NewPager makes a pager titled title.
func NewPager(k *keys.Map, title string) *Pager { return &Pager{keys: k, title: title} }

// SetContent replaces the text, keeping the scroll position where possible.
func (p *Pager) SetContent(s string) {
	p.lines = strings.Split(strings.TrimRight(s, "\n"), "\n")
	p.clamp()
}

// SetTitle changes the title line.
func (p *Pager) SetTitle(t string) { p.title = t }

// SetSize gives the pager its area.
func (p *Pager) SetSize(w, h int) { p.width, p.height = w, h; p.clamp() }

func (p *Pager) rows() int { return max(p.height-1, 1) }

func (p *Pager) clamp() {
	p.offset = min(p.offset, max(len(p.lines)-p.rows(), 0))
	p.offset = max(p.offset, 0)
}

// Update scrolls on movement keys and asks to go back on esc / q.
func (p *Pager) Update(msg tea.KeyPressMsg) tea.Cmd {
	k := p.keys
	switch {
	case key.Matches(msg, k.Up.Binding):
		p.offset--
	case key.Matches(msg, k.Down.Binding):
		p.offset++
	case key.Matches(msg, k.PageUp.Binding):
		p.offset -= p.rows()
	case key.Matches(msg, k.PageDown.Binding):
		p.offset += p.rows()
	case key.Matches(msg, k.Top.Binding):
		p.offset = 0
	case key.Matches(msg, k.Bottom.Binding):
		p.offset = len(p.lines)
	case key.Matches(msg, k.Back.Binding), key.Matches(msg, k.Quit.Binding):
		return func() tea.Msg { return BackRequested{} }
	}
	p.clamp()
	return nil
}

// View renders the title and the visible lines, cut to the width.
func (p *Pager) View() string {
	var b strings.Builder
	pos := ""
	if len(p.lines) > p.rows() {
		pos = fmt.Sprintf("  %d-%d/%d", p.offset+1, min(p.offset+p.rows(), len(p.lines)), len(p.lines))
	}
	b.WriteString(Truncate(theme.Title.Render(p.title)+theme.Dim.Render(pos), p.width))
	end := min(p.offset+p.rows(), len(p.lines))
	for _, l := range p.lines[p.offset:end] {
		b.WriteByte('\n')
		b.WriteString(Truncate(l, p.width))
	}
	return b.String()
}
