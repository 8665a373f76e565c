package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// enter on a policy opens the queues its pattern matches in its vhost;
// esc returns to the policies.
func TestPolicyOpensWhatItMatches(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	typeCommandLine(m, "pol")
	s, ok := m.top().(*listScreen[mgmt.Policy])
	if !ok {
		t.Fatalf(":pol opened %q", m.top().Title())
	}
	rows := []mgmt.Policy{{VHost: "orders", Name: "limit", Pattern: `^orders\.`, ApplyTo: "queues", Priority: mgmt.C(1)}}
	s.SetPage(views.Page[mgmt.Policy]{Rows: rows, Matched: 1, Total: 1})
	m.Update(runCmd(m.handleKey(press("enter"))))
	q, ok := m.top().(*queuesScreen)
	if !ok {
		t.Fatalf("enter opened %q", m.top().Title())
	}
	if got := q.Query(); got.VHost != "orders" || got.Filter != `^orders\.` {
		t.Fatalf("queues query = %+v", got)
	}
	// esc returns to the policies (the filter is the one the queues were
	// opened with; a list that clears such a filter first takes two).
	for i := 0; i < 2 && m.top() == Screen(q); i++ {
		m.handleKey(press("esc"))
	}
	if m.top() != Screen(s) {
		t.Fatalf("esc: top %q", m.top().Title())
	}
}

// The view's "priority, highest first" is the broker's precedence, mgmt's
// sort ""; the other orders pass through.
func TestPolicyQueryMapsPrecedence(t *testing.T) {
	for _, c := range []struct{ in, want views.ListQuery }{
		{views.ListQuery{Sort: "priority", Desc: true}, views.ListQuery{Sort: "", Desc: false}},
		{views.ListQuery{Sort: "priority"}, views.ListQuery{Sort: "priority"}},
		{views.ListQuery{Sort: "name", Desc: true}, views.ListQuery{Sort: "name", Desc: true}},
	} {
		if got := policyQuery(c.in); got != c.want {
			t.Errorf("policyQuery(%+v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
