package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// enter on a user shows its permissions in a pager; esc returns.
func TestUserPermissionsPage(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	typeCommandLine(m, "u")
	s, ok := m.top().(*listScreen[mgmt.User])
	if !ok {
		t.Fatalf(":u opened %q", m.top().Title())
	}
	rows := []mgmt.User{{Name: "svc", Permissions: []mgmt.Permission{{User: "svc", VHost: "orders", Configure: "", Write: "^o", Read: "^o"}}}}
	s.SetPage(views.Page[mgmt.User]{Rows: rows, Matched: 1, Total: 1})
	m.Update(runCmd(m.handleKey(press("enter"))))
	if !isPager(m.top()) {
		t.Fatalf("enter opened %q", m.top().Title())
	}
	if out := m.top().View(); !strings.Contains(out, `"vhost": "orders"`) {
		t.Fatalf("permissions page:\n%s", out)
	}
	m.Update(runCmd(m.handleKey(press("esc"))))
	if m.top() != Screen(s) {
		t.Fatalf("esc: top %q", m.top().Title())
	}
}
