package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/views"
)

const headerLines = 3

// layout shares the screen out: header, a rule, the body, the footer.
func (m *Model) layout() {
	bodyH := m.bodyHeight(len(m.statusLines()))
	m.bodyH = bodyH
	for _, s := range m.stack {
		s.SetSize(m.width, bodyH)
	}
	if m.pw != nil {
		m.pw.SetWidth(m.width)
	}
}

// bodyHeight is what the header, the rule, the key hints and status lines
// leave; an empty status keeps its row, so the screen does not jump.
func (m *Model) bodyHeight(status int) int {
	return max(m.height-headerLines-2-max(status, 1), 3)
}

// statusCap is how many lines a long status may take from the body, which
// keeps at least three.
func (m *Model) statusCap() int {
	return max(1, min(m.height/4, m.height-headerLines-2-3))
}

func (m *Model) statusLines() []string {
	return m.line.lines(m.width, m.statusCap(), m.keys.StatusMessage.Binding.Help().Key)
}

// relayout gives the views their new size when the status line grew or
// shrank since the last layout, so they draw the rows Render shows.
func (m *Model) relayout() {
	if m.width > 0 && m.bodyHeight(len(m.statusLines())) != m.bodyH {
		m.layout()
	}
}

// View draws the whole screen; it is pure.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "mqtop — " + m.deps.Context.Name
	return v
}

// Render is the screen as a string, for the program and for golden tests.
func (m *Model) Render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	status := m.statusLines()
	bodyH := m.bodyHeight(len(status))
	var body string
	body = m.top().View()
	if m.dialog != nil {
		body = lipgloss.Place(m.width, bodyH, lipgloss.Center, lipgloss.Center, m.dialog.View())
	}
	if m.pw != nil {
		body = lipgloss.Place(m.width, bodyH, lipgloss.Center, lipgloss.Center, m.pw.View())
	}
	body = fitLines(body, m.width, bodyH)
	rule := theme.Dim.Render(strings.Repeat("─", m.width))
	parts := []string{m.header(), rule, body, m.footer(status)}
	return strings.Join(parts, "\n")
}

// fitLines makes s exactly h lines, each cut to w cells.
func fitLines(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = views.Truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) footer(status []string) string {
	var hints string
	switch {
	case m.cmd.active:
		hints = m.cmdlineView()
	case m.pw != nil:
		hints = renderHints(m.pw.Hints(), m.width)
	default:
		hints = renderHints(m.markRefused(m.top().Hints(&m.keys)), m.width)
	}
	if len(status) == 0 {
		status = []string{theme.Dim.Render("")}
	}
	return views.Truncate(hints, m.width) + "\n" + strings.Join(status, "\n")
}

// renderHints draws key hints in their order, leaving out from the least
// important those that do not fit the width whole (a hint marked Keep
// always has its room), rather than cutting one in the middle.
func renderHints(hs []views.Hint, width int) string {
	const sep = 2
	w := func(h views.Hint) int { return lipgloss.Width(h.Key) + 1 + lipgloss.Width(h.Desc) }
	used := -sep
	for _, h := range hs {
		if h.Keep {
			used += sep + w(h)
		}
	}
	take := make([]bool, len(hs))
	for i, h := range hs {
		if h.Keep {
			take[i] = true
		} else if used+sep+w(h) <= width || width <= 0 {
			take[i] = true
			used += sep + w(h)
		}
	}
	var out []string
	for i, h := range hs {
		if take[i] {
			out = append(out, theme.Key.Render(h.Key)+" "+theme.Dim.Render(h.Desc))
		}
	}
	return strings.Join(out, "  ")
}

// helpText lists the keys of the view in front, then every enabled binding.
func helpText(k *keys.Map, view Screen) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", theme.Title.Render("This view ("+view.Title()+")"))
	for _, h := range view.Hints(k) {
		fmt.Fprintf(&b, "  %s %s\n", theme.Key.Render(fmt.Sprintf("%-14s", h.Key)), h.Desc)
	}
	fmt.Fprintf(&b, "\n%s\n", theme.Title.Render("All keys"))
	for _, a := range k.All() {
		if !a.Binding.Enabled() {
			continue
		}
		h := a.Binding.Help()
		note := ""
		if (a.Dangerous || a.Name == "browse") && !built[a.Name] {
			note = theme.Dim.Render("  (not in this build yet)")
		}
		fmt.Fprintf(&b, "  %s %s%s\n", theme.Key.Render(fmt.Sprintf("%-14s", h.Key)), h.Desc, note)
	}
	b.WriteString("\n" + theme.Title.Render("Command line (:)") + "\n")
	for _, name := range viewNames() {
		d := registry[name]
		words := append([]string{}, d.aliases...)
		words = append(words, name)
		for i := range words {
			words[i] = ":" + words[i]
		}
		fmt.Fprintf(&b, "  %-16s the %s view\n", strings.Join(words, ", "), name)
	}
	b.WriteString("  :vhost NAME      only that vhost (:vhost alone = all)\n")
	b.WriteString("  :ctx NAME        switch to another context\n  :q, :quit        leave mqtop\n  tab              complete\n")
	return b.String()
}
