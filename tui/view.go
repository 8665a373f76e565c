package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/tui/keys"
	"github.com/mqtop/mqtop/views"
)

const headerLines = 3

// layout shares the screen out: header, a rule, the body, the footer.
func (m *Model) layout() {
	bodyH := m.bodyHeight(len(m.statusLines()))
	m.bodyH = bodyH
	m.queues.SetSize(m.width, bodyH)
	if m.detail != nil {
		m.detail.SetSize(m.width, bodyH)
	}
	if m.pager != nil {
		m.pager.SetSize(m.width, bodyH)
	}
	if m.action != nil {
		m.action.SetSize(m.width, bodyH)
	}
	if m.messages != nil {
		m.messages.SetSize(m.width, bodyH)
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
	switch m.top() {
	case pageDetail:
		body = m.detail.View()
	case pagePager:
		body = m.pager.View()
	case pageAction:
		body = m.action.View()
	case pageMessages:
		body = m.messages.View()
	default:
		body = m.queues.View()
	}
	if m.dialog != nil {
		body = lipgloss.Place(m.width, bodyH, lipgloss.Center, lipgloss.Center, m.dialog.View())
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
	if m.cmd.active {
		hints = m.cmdlineView()
	} else {
		hints = shortHelp(&m.keys, m.top())
	}
	if len(status) == 0 {
		status = []string{theme.Dim.Render("")}
	}
	return views.Truncate(hints, m.width) + "\n" + strings.Join(status, "\n")
}

// shortHelp is the footer's one line of the main keys of the page in front.
func shortHelp(k *keys.Map, p page) string {
	var pairs [][2]string
	switch p {
	case pageQueues:
		pairs = [][2]string{{k.Detail.Binding.Help().Key, "detail"}, {k.Filter.Binding.Help().Key, "filter"},
			{k.Sort.Binding.Help().Key + "/" + k.SortReverse.Binding.Help().Key, "sort"},
			{k.Command.Binding.Help().Key, "command"}, {k.RawJSON.Binding.Help().Key, "json"},
			{k.Refresh.Binding.Help().Key, "refresh"}, {k.Help.Binding.Help().Key, "help"}, {k.Quit.Binding.Help().Key, "quit"}}
	case pageDetail:
		pairs = [][2]string{{"↑/↓", "scroll"}, {k.RawJSON.Binding.Help().Key, "json"}, {k.Refresh.Binding.Help().Key, "refresh"},
			{k.Help.Binding.Help().Key, "help"}, {"esc/q", "back"}}
	case pageAction:
		pairs = [][2]string{{"ctrl+s", "send"}, {"tab/shift+tab", "field"}, {"ctrl+n", "exchange picker"}, {"esc", "cancel/back"}}
	case pageMessages:
		pairs = [][2]string{{"↑/↓", "message"}, {"pgup/pgdn", "scroll message"}, {"esc/q", "back"}}
	default:
		pairs = [][2]string{{"↑/↓ pgup/pgdn", "scroll"}, {"esc/q", "back"}}
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = theme.Key.Render(p[0]) + " " + theme.Dim.Render(p[1])
	}
	return strings.Join(out, "  ")
}

// helpText lists every enabled binding, the page's own first.
func helpText(k *keys.Map, p page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", theme.Title.Render("Keys"))
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
	b.WriteString("  :q, :queues      the queue list\n  :vhost NAME      only that vhost (:vhost alone = all)\n")
	b.WriteString("  :ctx NAME        switch to another context\n  :quit            leave mqtop\n  tab              complete\n")
	return b.String()
}
