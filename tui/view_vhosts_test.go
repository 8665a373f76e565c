package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// typeCommandLine types a command line and runs it.
func typeCommandLine(m *Model, line string) tea.Cmd {
	m.handleKey(press(":"))
	for _, r := range line {
		m.handleKey(press(string(r)))
	}
	return m.handleKey(press("enter"))
}

// Each name and alias of the users, vhosts and policies views opens it
// from the command line.
func TestAdminViewsOpenFromTheCommandLine(t *testing.T) {
	for _, c := range []struct{ line, title string }{
		{"u", "users"}, {"user", "users"}, {"users", "users"},
		{"vh", "vhosts"}, {"vhosts", "vhosts"},
		{"pol", "policies"}, {"policy", "policies"}, {"policies", "policies"},
	} {
		m := newTestModel(Context{Name: "dev"})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
		if cmd := typeCommandLine(m, c.line); isQuit(cmd) || m.cmd.active {
			t.Errorf(":%s: quit or error %q", c.line, m.cmd.err)
			continue
		}
		if got := m.top().Title(); got != c.title || len(m.stack) != 1 {
			t.Errorf(":%s opened %q (stack %d), want %q", c.line, got, len(m.stack), c.title)
		}
	}
}

// ":vhost NAME" stays the scope command: the vhost list is "vh"/"vhosts",
// and the scope leaves it showing every vhost.
func TestVHostWordStaysTheScopeCommand(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	m.Update(vhostsLoaded{names: []string{"/", "eu"}})
	typeCommandLine(m, "vhost eu")
	if m.top() != Screen(m.queues) || m.queues.VHost() != "eu" {
		t.Fatalf(":vhost eu: top %q, queues in %q", m.top().Title(), m.queues.VHost())
	}
	typeCommandLine(m, "vh")
	s, ok := m.top().(*listScreen[mgmt.VHost])
	if !ok {
		t.Fatalf(":vh opened %q", m.top().Title())
	}
	if q := s.Query(); q.VHost != "" {
		t.Fatalf("the vhost list is scoped to %q", q.VHost)
	}
	if got := strings.Join(m.completions("vh"), " "); !strings.HasPrefix(got, "vh vhost vhost /") || !strings.HasSuffix(got, "vhosts") {
		t.Errorf("completions of vh = %q", got)
	}
}

// Q on a vhost opens its queues in front; esc returns to the vhost
// list, the cursor on the same vhost.
func TestVHostOpensItsQueuesAndEscReturns(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	typeCommandLine(m, "vhosts")
	s, ok := m.top().(*listScreen[mgmt.VHost])
	if !ok {
		t.Fatalf(":vhosts opened %q", m.top().Title())
	}
	rows := []mgmt.VHost{{Name: "/", Queues: mgmt.C(3)}, {Name: "eu", Queues: mgmt.C(1)}}
	s.SetPage(views.Page[mgmt.VHost]{Rows: rows, Matched: 2, Total: 2})
	m.handleKey(press("down"))
	msg := runCmd(m.handleKey(press("Q")))
	open, ok := msg.(views.OpenViewRequested)
	if !ok || open != (views.OpenViewRequested{View: "queues", VHost: "eu"}) {
		t.Fatalf("Q = %#v", msg)
	}
	m.Update(open)
	q, ok := m.top().(*queuesScreen)
	if !ok || len(m.stack) != 2 {
		t.Fatalf("top %q, stack %d", m.top().Title(), len(m.stack))
	}
	if q.VHost() != "eu" || q.Query().VHost != "eu" {
		t.Fatalf("queues scoped to %q", q.VHost())
	}
	m.handleKey(press("esc"))
	if m.top() != Screen(s) || len(m.stack) != 1 {
		t.Fatalf("esc: top %q, stack %d", m.top().Title(), len(m.stack))
	}
	if h, ok := s.listView.(*views.VHosts).Selected(); !ok || h.Name != "eu" {
		t.Fatalf("back on the vhost list, the cursor is on %q", h.Name)
	}
}
