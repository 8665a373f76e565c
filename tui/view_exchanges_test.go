package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// The exchanges, bindings and overview views open from the command line by
// name and by every alias, each the only screen, showing its list.
func TestTopologyViewsOpenFromTheCommandLine(t *testing.T) {
	for _, c := range []struct{ line, title, noun string }{
		{"x", "exchanges", "exchanges"}, {"exchange", "exchanges", "exchanges"}, {"exchanges", "exchanges", "exchanges"},
		{"b", "bindings", "bindings"}, {"binding", "bindings", "bindings"}, {"bindings", "bindings", "bindings"},
		{"o", "overview", "nodes"}, {"nodes", "overview", "nodes"}, {"overview", "overview", "nodes"},
	} {
		m := newTestModel(Context{Name: "dev"})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
		if cmd := typeCommandLine(m, c.line); isQuit(cmd) || m.cmd.active {
			t.Errorf(":%s: quit or error %q", c.line, m.cmd.err)
			continue
		}
		if got := m.top().Title(); got != c.title || len(m.stack) != 1 {
			t.Errorf(":%s opened %q (stack %d), want %q", c.line, got, len(m.stack), c.title)
			continue
		}
		if name, ok := viewNamed(c.line); !ok || name != c.title {
			t.Errorf("viewNamed(%q) = %q, %v", c.line, name, ok)
		}
		if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, "loading "+c.noun) &&
			!strings.Contains(out, "cannot list") {
			t.Errorf(":%s does not show the %s list:\n%s", c.line, c.noun, out)
		}
	}
	m := newTestModel(Context{Name: "dev"})
	for prefix, words := range map[string][]string{"ex": {"exchange", "exchanges"}, "bind": {"binding", "bindings"},
		"o": {"o", "overview"}, "no": {"nodes"}} {
		got := " " + strings.Join(m.completions(prefix), " ") + " "
		for _, w := range words {
			if !strings.Contains(got, " "+w+" ") {
				t.Errorf("completions of %q = %q, no %s", prefix, got, w)
			}
		}
	}
}

func exchangesPage() views.Page[mgmt.Exchange] {
	rows := []mgmt.Exchange{
		{VHost: "/", Name: "", Type: "direct", Durable: true, InRate: mgmt.R(3), OutRate: mgmt.R(3)},
		{VHost: "/", Name: "a.b*", Type: "topic", Durable: true},
		{VHost: "eu", Name: "orders.x", Type: "fanout", InRate: mgmt.R(1), OutRate: mgmt.R(2)},
	}
	p := views.Page[mgmt.Exchange]{Rows: rows, Matched: 3, Total: 3}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"name":%q,"vhost":%q}`, r.Name, r.VHost)))
	}
	return p
}

func selectedExchange(t *testing.T, s Screen) mgmt.Exchange {
	t.Helper()
	ls, ok := s.(*listScreen[mgmt.Exchange])
	if !ok {
		t.Fatalf("screen %q is not the exchanges", s.Title())
	}
	e, ok := ls.listView.(*views.Exchanges).Selected()
	if !ok {
		t.Fatal("no exchange chosen")
	}
	return e
}

// enter on an exchange pushes its bindings, scoped to its vhost and
// filtered to its name; going back (esc, or BackRequested) returns to the
// exchanges, the cursor on the exchange chosen.
func TestExchangeOpensItsBindingsAndBackKeepsTheCursor(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	typeCommandLine(m, "x")
	exchanges := m.top()
	feedListPage(m, exchangesPage())
	if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, views.DefaultExchangeName) || !strings.Contains(out, "orders.x") {
		t.Fatalf("exchanges not shown:\n%s", out)
	}
	m.handleKey(press("j")) // a.b*
	for _, back := range []func(){
		func() { m.handleKey(press("esc")) },
		func() { m.Update(views.BackRequested{}) },
	} {
		msg := runCmd(m.handleKey(press("enter")))
		open, ok := msg.(views.OpenViewRequested)
		if !ok || open != (views.OpenViewRequested{View: "bindings", VHost: "/", Filter: views.BindingsOfExchange("a.b*")}) {
			t.Fatalf("enter on a.b* gave %#v", msg)
		}
		m.Update(open)
		b, ok := m.top().(*listScreen[mgmt.Binding])
		if !ok || b.Title() != "bindings" || len(m.stack) != 2 {
			t.Fatalf("bindings not pushed: top %q, stack %d", m.top().Title(), len(m.stack))
		}
		if q := b.Query(); q.Filter != views.BindingsOfExchange("a.b*") || q.VHost != "/" {
			t.Fatalf("the bindings query is not the exchange's: %+v", q)
		}
		if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, "esc goes back") {
			t.Fatalf("no word of how to go back:\n%s", out)
		}
		back()
		if m.top() != exchanges || len(m.stack) != 1 {
			t.Fatalf("back went to %q (stack %d), not the exchanges", m.top().Title(), len(m.stack))
		}
		if e := selectedExchange(t, exchanges); e.Name != "a.b*" || e.VHost != "/" {
			t.Fatalf("after back the cursor is on %q in %q", e.Name, e.VHost)
		}
	}
	// The default exchange: its bindings are those of the empty name.
	m.handleKey(press("g"))
	open := runCmd(m.handleKey(press("enter"))).(views.OpenViewRequested)
	if open.Filter != views.BindingsOfExchange("") || open.VHost != "/" {
		t.Fatalf("enter on the default exchange gave %#v", open)
	}
	raw, ok := runCmd(m.handleKey(press("y"))).(views.RawJSONRequested)
	if !ok || string(raw.Raw) != `{"name":"","vhost":"/"}` {
		t.Fatalf("y gave %#v", raw)
	}
	m.Update(raw)
	if _, ok := m.top().(*pagerScreen); !ok {
		t.Fatalf("y opened %q", m.top().Title())
	}
	if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, "raw JSON of exchange "+views.DefaultExchangeName) {
		t.Fatalf("raw JSON pager:\n%s", out)
	}
	drive(m, m.handleKey(press("esc")))
	if m.top() != exchanges {
		t.Fatalf("esc on the JSON went to %q", m.top().Title())
	}
}

// A vhost scope set with :vhost drops the exchanges' VHOST column.
func TestExchangesUnderAVHostScope(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(vhostsLoaded{names: []string{"/", "eu"}})
	typeCommandLine(m, "vhost eu")
	typeCommandLine(m, "exchanges")
	s, ok := m.top().(*listScreen[mgmt.Exchange])
	if !ok {
		t.Fatalf(":exchanges opened %q", m.top().Title())
	}
	if q := s.Query(); q.VHost != "eu" {
		t.Fatalf("exchanges scoped to %q", q.VHost)
	}
	p := exchangesPage()
	feedListPage(m, views.Page[mgmt.Exchange]{Rows: p.Rows[2:], Raw: p.Raw[2:], Matched: 1, Total: 1})
	out := ansi.Strip(render(t, m, colorprofile.Ascii))
	if strings.Contains(out, "VHOST ") || !strings.Contains(out, "orders.x") || !strings.Contains(out, "in vhost eu") {
		t.Fatalf("scoped exchanges:\n%s", out)
	}
}

func bindingsPage() views.Page[mgmt.Binding] {
	rows := []mgmt.Binding{
		{VHost: "/", Source: "", Destination: "orders", DestinationType: "queue", RoutingKey: "orders", PropertiesKey: "orders"},
		{VHost: "/", Source: "orders.x", Destination: "audit.x", DestinationType: "exchange", RoutingKey: "#", PropertiesKey: "%23"},
		{VHost: "/", Source: "orders.x", Destination: "orders", DestinationType: "queue", RoutingKey: "order.*",
			Arguments: mgmt.Table{"x-match": "all"}, PropertiesKey: "order.*"},
	}
	p := views.Page[mgmt.Binding]{Rows: rows, Matched: 3, Total: 3}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"source":%q,"destination":%q}`, r.Source, r.Destination)))
	}
	return p
}

// From a binding, enter opens the destination (the queues or the
// exchanges), X the source exchange; esc returns to the bindings as they
// were. The footer names both.
func TestBindingOpensItsDestinationAndSource(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	typeCommandLine(m, "b")
	bindings := m.top()
	feedListPage(m, bindingsPage())
	out := ansi.Strip(render(t, m, colorprofile.Ascii))
	for _, want := range []string{"enter destination", "X source", views.DefaultExchangeName, "x-match = all"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
	chosen := func() mgmt.Binding {
		t.Helper()
		b, ok := bindings.(*listScreen[mgmt.Binding]).listView.(*views.Bindings).Selected()
		if !ok {
			t.Fatal("no binding chosen")
		}
		return b
	}
	// The default exchange's binding to queue orders: enter opens the queue.
	m.Update(runCmd(m.handleKey(press("enter"))))
	q, ok := m.top().(*queuesScreen)
	if !ok || len(m.stack) != 2 || q.Filter() != views.Exactly("orders") || q.VHost() != "/" {
		t.Fatalf("enter on a queue binding opened %q (stack %d)", m.top().Title(), len(m.stack))
	}
	m.handleKey(press("esc"))
	if m.top() != bindings || len(m.stack) != 1 {
		t.Fatalf("esc from the queues: top %q, stack %d", m.top().Title(), len(m.stack))
	}
	// Its source is the default exchange: X opens the exchanges on "".
	m.Update(runCmd(m.handleKey(press("X"))))
	x, ok := m.top().(*listScreen[mgmt.Exchange])
	if !ok || x.Filter() != "^$" || x.Query().VHost != "/" {
		t.Fatalf("X on the default binding opened %q", m.top().Title())
	}
	m.handleKey(press("esc"))
	// An exchange-to-exchange binding: enter opens the destination exchange.
	m.handleKey(press("j"))
	m.Update(runCmd(m.handleKey(press("enter"))))
	x, ok = m.top().(*listScreen[mgmt.Exchange])
	if !ok || x.Filter() != views.Exactly("audit.x") || len(m.stack) != 2 {
		t.Fatalf("enter on an exchange binding opened %q (stack %d)", m.top().Title(), len(m.stack))
	}
	m.Update(views.BackRequested{})
	if m.top() != bindings {
		t.Fatalf("back from the exchanges went to %q", m.top().Title())
	}
	if b := chosen(); b.Destination != "audit.x" {
		t.Fatalf("after back the cursor is on %+v", b)
	}
	m.Update(runCmd(m.handleKey(press("X"))))
	if x, ok := m.top().(*listScreen[mgmt.Exchange]); !ok || x.Filter() != views.Exactly("orders.x") {
		t.Fatalf("X on an exchange binding opened %q", m.top().Title())
	}
	m.handleKey(press("esc"))
	raw, ok := runCmd(m.handleKey(press("y"))).(views.RawJSONRequested)
	if !ok || string(raw.Raw) != `{"source":"orders.x","destination":"audit.x"}` {
		t.Fatalf("y gave %#v", raw)
	}
}

// overviewWithListeners is the overview the header polls, with listeners
// on two nodes.
func overviewWithListeners() mgmt.Overview {
	o := overview()
	o.Listeners = []mgmt.Listener{
		{Node: "rabbit@a", Protocol: "amqp", IP: "::", Port: 5672},
		{Node: "rabbit@b", Protocol: "amqp", IP: "::", Port: 5672},
		{Node: "rabbit@b", Protocol: "http", IP: "::", Port: 15672},
	}
	return o
}

// The overview lists the nodes from the backend with the cluster's rates;
// enter on a node reads its detail into a pager titled "node …" (listeners
// of that node only); esc returns to the overview, the cursor on the node.
func TestOverviewOpensANodeDetailPager(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	typeCommandLine(m, "o")
	ov, ok := m.top().(*overviewScreen)
	if !ok {
		t.Fatalf(":o opened %q", m.top().Title())
	}
	// The screen's own fetch, against the test's fake backend.
	data, err := ov.fetch(m.deps)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := data.(fetched[mgmt.Node]).page; p.Matched != 3 || len(p.Rows) != 3 {
		t.Fatalf("nodes page %+v", p)
	}
	for i, rate := range []float64{40, 80, 120.5} {
		o := overviewWithListeners()
		o.PublishRate = mgmt.R(rate)
		m.Update(SnapshotLoaded{Seq: m.seq, At: t0.Add(time.Duration(i) * 2 * time.Second), Overview: o, Nodes: nodes(), View: data, ViewFor: m.top()})
		m.inflight = false
		m.seq++
	}
	out := ansi.Strip(render(t, m, colorprofile.Ascii))
	for _, want := range []string{"publish/s 120", "deliver/s 98", "▁", "█", "rabbit@a", "rabbit@b", "rabbit@c", "MEMORY", "1/3 nodes"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the overview:\n%s", want, out)
		}
	}
	m.handleKey(press("j")) // rabbit@b
	msg := runCmd(m.handleKey(press("enter")))
	if msg != (views.DetailRequested{View: "overview", Key: "rabbit@b"}) {
		t.Fatalf("enter on rabbit@b gave %#v", msg)
	}
	_, cmd := m.Update(msg)
	ready, ok := runCmd(cmd).(textReady)
	if !ok || ready.err != nil || ready.title != "node rabbit@b" {
		t.Fatalf("the node detail read gave %#v", ready)
	}
	m.Update(ready)
	pager, ok := m.top().(*pagerScreen)
	if !ok || pager.Title() != "node rabbit@b" || len(m.stack) != 2 {
		t.Fatalf("no node pager: top %q, stack %d", m.top().Title(), len(m.stack))
	}
	out = ansi.Strip(render(t, m, colorprofile.Ascii))
	for _, want := range []string{"node rabbit@b", "Listeners of rabbit@b", "amqp", "http", "15672", "Feature flags"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the node pager:\n%s", want, out)
		}
	}
	if strings.Contains(ready.text, "rabbit@a") {
		t.Errorf("another node's listeners in rabbit@b's detail:\n%s", ready.text)
	}
	drive(m, m.handleKey(press("esc")))
	if m.top() != Screen(ov) || len(m.stack) != 1 {
		t.Fatalf("esc from the node pager: top %q, stack %d", m.top().Title(), len(m.stack))
	}
	if n, ok := ov.view.Selected(); !ok || n.Name != "rabbit@b" {
		t.Fatalf("back on the overview the cursor is on %q", n.Name)
	}
	// The whole flow as the program runs it.
	m.handleKey(press("G")) // rabbit@c, stopped
	drive(m, m.handleKey(press("enter")))
	if p, ok := m.top().(*pagerScreen); !ok || p.Title() != "node rabbit@c" {
		t.Fatalf("driven enter on rabbit@c: top %q", m.top().Title())
	}
}

// A node name from the broker cannot drive the terminal from the node
// pager.
func TestNodeDetailNeutralisesTheName(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	typeCommandLine(m, "nodes")
	evil := "rabbit@\x1b[31mevil"
	drive(m, func() tea.Msg { return views.DetailRequested{View: "overview", Key: evil} })
	if _, ok := m.top().(*pagerScreen); !ok {
		t.Fatalf("no node pager: top %q", m.top().Title())
	}
	out := m.Render() // as written to the terminal, before any colour profile
	if strings.Contains(out, "\x1b[31m") || !strings.Contains(out, `node rabbit@\x1b[31mevil`) {
		t.Fatalf("node pager:\n%q", out)
	}
	// A detail of a view that has none is no screen.
	if cmd := m.openDetail(views.DetailRequested{View: "exchanges", Key: "x"}); cmd != nil {
		t.Fatal("exchanges have no detail page")
	}
}

// A page fetched before the filter changed answers another question: it
// is dropped, so the cursor never lands on a row the filter excludes.
func TestStalePageAfterAFilterChangeIsDropped(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	openCommand(m, "x")
	s := m.top().(*listScreen[mgmt.Exchange])
	all := views.Page[mgmt.Exchange]{Rows: []mgmt.Exchange{{VHost: "/", Name: "", Type: "direct"}, {VHost: "/", Name: "topic_logs", Type: "topic"}}, Matched: 2, Total: 2}
	before := s.Query()
	feedListPage(m, fetched[mgmt.Exchange]{q: before, page: all})
	s.SetFilter("topic_logs")
	// The poll started before the filter answers now, then the right one.
	feedListPage(m, fetched[mgmt.Exchange]{q: before, page: all})
	feedListPage(m, fetched[mgmt.Exchange]{q: s.Query(), page: views.Page[mgmt.Exchange]{Rows: all.Rows[1:], Matched: 1, Total: 2}})
	e, ok := s.listView.(*views.Exchanges).Selected()
	if !ok || e.Name != "topic_logs" || s.listView.(*views.Exchanges).Pinned() {
		t.Fatalf("after the filtered page the cursor is on %q (pinned %v)", e.Name, s.listView.(*views.Exchanges).Pinned())
	}
}
