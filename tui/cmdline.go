package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/views"
)

// quitCommands leave mqtop.
var quitCommands = []string{"q", "quit", "q!"}

// cmdline is the ':' prompt with tab completion.
type cmdline struct {
	active  bool
	input   textinput.Model
	matches []string
	err     string
}

func newCmdline() cmdline {
	in := textinput.New()
	in.Prompt = ":"
	in.Placeholder = "queues | vhost NAME | ctx NAME | q(uit)"
	return cmdline{input: in}
}

func (c *cmdline) open() tea.Cmd {
	c.active, c.err, c.matches = true, "", nil
	c.input.SetValue("")
	return c.input.Focus()
}

func (c *cmdline) close() {
	c.active = false
	c.input.Blur()
}

// completions lists what the current input may become.
func (m *Model) completions(in string) []string {
	var cands []string
	// Only views that exist are offered, so completion never leads to a
	// dead end. ":q" is not one: it quits, as in vim and k9s.
	cands = append(cands, viewWords()...)
	cands = append(cands, "q", "quit", "vhost")
	for _, v := range m.vhosts {
		cands = append(cands, "vhost "+v)
	}
	if m.deps.Switch != nil {
		for _, c := range m.deps.Contexts {
			cands = append(cands, "ctx "+c)
		}
	}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, in) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func (m *Model) updateCmdline(msg tea.KeyPressMsg) tea.Cmd {
	c := &m.cmd
	switch msg.String() {
	case "esc":
		c.close()
		return nil
	case "tab":
		all := m.completions(c.input.Value())
		if len(all) == 0 {
			return nil
		}
		next := commonPrefix(all)
		if next == c.input.Value() {
			// Already at the common prefix: cycle through the candidates.
			next = all[0]
			for i, s := range all {
				if s == c.input.Value() && i+1 < len(all) {
					next = all[i+1]
				}
			}
		}
		c.input.SetValue(next)
		c.input.CursorEnd()
		c.matches = all
		return nil
	case "enter":
		line := strings.TrimSpace(c.input.Value())
		cmd, err := m.execute(line)
		if err != "" {
			c.err = err
			return nil
		}
		c.close()
		return cmd
	}
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	c.err = ""
	c.matches = m.completions(c.input.Value())
	return cmd
}

// execute runs a command line; a problem comes back as an inline error.
func (m *Model) execute(line string) (tea.Cmd, string) {
	word, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch {
	case line == "":
		return nil, ""
	case contains(quitCommands, word):
		return tea.Quit, ""
	case word == "vhost":
		if arg != "" && m.vhosts != nil && !contains(m.vhosts, arg) {
			return nil, "no vhost named " + views.Clean(arg)
		}
		m.vhost = arg
		for _, s := range m.lists {
			if v, ok := s.(vhostScoped); ok {
				v.SetVHost(arg)
			}
		}
		m.resetTo(m.stack[0])
		if arg == "" {
			return tea.Batch(m.info("all vhosts"), m.startPoll()), ""
		}
		return tea.Batch(m.info("vhost %s", arg), m.startPoll()), ""
	case word == "ctx":
		return m.switchContext(arg)
	}
	if name, ok := viewNamed(word); ok {
		return m.switchView(name), ""
	}
	return nil, "unknown command " + views.Clean(word) + " (tab completes)"
}

func (m *Model) switchContext(name string) (tea.Cmd, string) {
	if m.deps.Switch == nil {
		return nil, "no other contexts configured"
	}
	if name == "" {
		return nil, "ctx needs a name: " + strings.Join(m.deps.Contexts, ", ")
	}
	d, err := m.deps.Switch(name)
	if err != nil {
		return nil, err.Error()
	}
	poll := m.adopt(d, false)
	if note := notesLine(d.Notes); note != "" {
		// Kept until the next key, as at start (a context with no
		// password, say, is about to be refused).
		m.line.set(fmt.Sprintf("context %s; %s", name, note), true)
		return poll, ""
	}
	return tea.Batch(m.info("context %s", name), poll), ""
}

// adopt makes d the model's dependencies and polls with them: the old
// clients' connections close and the screen starts afresh, except, with
// keep (a new password for the same context), the queue list's scope,
// order and filter, the session's history and the refresh interval.
func (m *Model) adopt(d Deps, keep bool) tea.Cmd {
	if m.cancelAction != nil {
		m.cancelAction()
	}
	// Closing AMQP connections waits for the broker (up to a timeout): off
	// the UI loop.
	var closeOld tea.Cmd
	if old := m.deps.Close; old != nil {
		closeOld = func() tea.Msg { old(); return nil }
	}
	fresh := New(d)
	fresh.width, fresh.height = m.width, m.height
	fresh.remembered, fresh.actionSeq = m.remembered, m.actionSeq
	// Keep the counters so a poll still running for the old clients is
	// dropped, and move past the tick they armed.
	fresh.seq, fresh.tickGen = m.seq, m.tickGen+1
	if keep {
		fresh.queues, fresh.lists, fresh.stack, fresh.vhost = m.queues, m.lists, m.stack, m.vhost
		fresh.nodeNames = m.nodeNames // the kept lists shorten names with it
		fresh.book, fresh.totals = m.book, m.totals
		fresh.vhosts, fresh.exchanges, fresh.interval = m.vhosts, m.exchanges, m.interval
	}
	fresh.layout()
	*m = *fresh
	return tea.Batch(closeOld, m.startPoll())
}

func (m *Model) cmdlineView() string {
	c := &m.cmd
	s := c.input.View()
	switch {
	case c.err != "":
		s += "  " + theme.Error.Render(c.err)
	case len(c.matches) > 0 && c.input.Value() != "":
		hint := strings.Join(c.matches[:min(len(c.matches), 6)], "  ")
		s += "  " + theme.Dim.Render(hint)
	}
	return s
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
