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

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// feedListPage answers the poll of the screen in front with page, as a poll
// of its fetch would.
func feedListPage(m *Model, page any) {
	m.Update(SnapshotLoaded{Seq: m.seq, At: t0, Overview: overview(), Nodes: nodes(), View: page, ViewFor: m.top()})
	m.inflight = false
	m.seq++
}

func openCommand(m *Model, line string) tea.Cmd {
	m.handleKey(press(":"))
	typeText(m, line)
	return m.handleKey(press("enter"))
}

func TestConnectionViewsOpenByNameAndAlias(t *testing.T) {
	for name, words := range map[string][]string{
		"connections": {"conn", "connection", "connections"},
		"channels":    {"ch", "channel", "channels"},
		"consumers":   {"cons", "consumer", "consumers"},
	} {
		for _, w := range words {
			m := newTestModel(Context{Name: "dev"})
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
			if cmd := openCommand(m, w); isQuit(cmd) || m.cmd.active {
				t.Fatalf(":%s: quit or error %q", w, m.cmd.err)
			}
			if got := m.top().Title(); got != name || len(m.stack) != 1 {
				t.Errorf(":%s opened %q (stack %d), want %s", w, got, len(m.stack), name)
			}
			if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, "loading "+name) &&
				!strings.Contains(out, "cannot list") {
				t.Errorf(":%s does not show the %s list:\n%s", w, name, out)
			}
		}
	}
	m := newTestModel(Context{Name: "dev"})
	for _, prefix := range []string{"con", "ch"} {
		got := strings.Join(m.completions(prefix), " ")
		for _, w := range map[string][]string{"con": {"conn", "connection", "connections", "cons", "consumer", "consumers"},
			"ch": {"ch", "channel", "channels"}}[prefix] {
			if !strings.Contains(" "+got+" ", " "+w+" ") {
				t.Errorf("completions of %q = %q, no %s", prefix, got, w)
			}
		}
	}
}

func connectionsPage() views.Page[mgmt.Connection] {
	rows := []mgmt.Connection{
		{Name: "10.0.0.5:5555 -> 10.0.0.1:5672", User: "orders", VHost: "/", State: "running", ClientName: "orders-svc",
			Channels: mgmt.C(2), RecvRate: mgmt.R(100), SendRate: mgmt.R(200)},
		{Name: "127.0.0.1:45758 -> 127.0.0.1:5672", User: "guest", VHost: "/", State: "running", ClientName: "mqtop",
			Product: "mqtop", Version: "1.2.3", Mine: true, Channels: mgmt.C(1)},
		{Name: "10.0.0.9:6666 -> 10.0.0.1:5672", User: "eu-app", VHost: "eu", State: "blocked"},
	}
	p := views.Page[mgmt.Connection]{Rows: rows, Matched: 3, Total: 3}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"name":%q}`, r.Name)))
	}
	return p
}

// H on a connection pushes its channels; going back (BackRequested,
// as a pager's esc sends, or q) returns to the connections as they were,
// the cursor on the connection chosen.
func TestConnectionOpensItsChannelsAndBackKeepsTheCursor(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	openCommand(m, "conn")
	conns := m.top()
	feedListPage(m, connectionsPage())
	if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, "◆ mqtop") || !strings.Contains(out, "orders-svc") {
		t.Fatalf("connections not shown:\n%s", out)
	}
	m.handleKey(press("j")) // mqtop's own connection
	mine := "127.0.0.1:45758 -> 127.0.0.1:5672"
	for _, back := range []func(){
		func() { m.Update(views.BackRequested{}) },
		func() { m.handleKey(press("q")) },
	} {
		msg, ok := runCmd(m.handleKey(press("H"))).(views.OpenViewRequested)
		if !ok || msg.View != "channels" || msg.Filter != views.ChannelsOfConnection(mine) {
			t.Fatalf("H on the mqtop connection gave %#v", msg)
		}
		m.Update(msg)
		chans, ok := m.top().(*listScreen[mgmt.Channel])
		if !ok || chans.Title() != "channels" || len(m.stack) != 2 {
			t.Fatalf("channels not pushed: top %q, stack %d", m.top().Title(), len(m.stack))
		}
		if q := chans.Query(); q.Filter != msg.Filter || q.VHost != "" {
			t.Fatalf("the channels query is not the connection's: %+v", q)
		}
		if out := ansi.Strip(render(t, m, colorprofile.Ascii)); !strings.Contains(out, "esc goes back") {
			t.Fatalf("no word of how to go back:\n%s", out)
		}
		back()
		if m.top() != conns || len(m.stack) != 1 {
			t.Fatalf("back went to %q (stack %d), not the connections", m.top().Title(), len(m.stack))
		}
		c, ok := conns.(*listScreen[mgmt.Connection]).listView.(*views.Connections).Selected()
		if !ok || c.Name != mine {
			t.Fatalf("after back the cursor is on %q, want %q", c.Name, mine)
		}
	}
	raw, ok := runCmd(m.handleKey(press("y"))).(views.RawJSONRequested)
	if !ok || !strings.Contains(string(raw.Raw), mine) {
		t.Fatalf("y gave %#v", raw)
	}
}

// From a channel, O opens its connection; the footer names the relations.
func TestChannelOpensItsConnectionAndConsumers(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	openCommand(m, "ch")
	conn := "10.0.0.5:5555 -> 10.0.0.1:5672"
	feedListPage(m, views.Page[mgmt.Channel]{Rows: []mgmt.Channel{{Name: conn + " (1)", ConnectionName: conn, VHost: "/",
		Number: mgmt.C(1), Consumers: mgmt.C(1)}}, Matched: 1, Total: 1})
	out := ansi.Strip(render(t, m, colorprofile.Ascii))
	for _, want := range []string{"enter detail", "C consumers", "O connection"} {
		if !strings.Contains(out, want) {
			t.Errorf("footer has no %q:\n%s", want, out)
		}
	}
	m.Update(runCmd(m.handleKey(press("O"))))
	if s, ok := m.top().(*listScreen[mgmt.Connection]); !ok || s.Filter() != views.ConnectionNamed(conn) {
		t.Fatalf("O opened %q", m.top().Title())
	}
	m.Update(views.BackRequested{})
	m.Update(runCmd(m.handleKey(press("C"))))
	s, ok := m.top().(*listScreen[mgmt.ConsumerRow])
	if !ok || s.Filter() != views.ConsumersOfChannel(conn+" (1)") || s.Query().VHost != "/" {
		t.Fatalf("C opened %q", m.top().Title())
	}
}

// detailBackend serves the reads of the detail pages.
type detailBackend struct{ fakeBackend }

func (detailBackend) GetConnection(_ context.Context, name string) (mgmt.Connection, error) {
	return mgmt.Connection{Name: name, User: "guest", Mine: true, ClientProperties: mgmt.Table{"product": "mqtop", "platform": "Go"}}, nil
}

func (detailBackend) ConnectionChannels(context.Context, string) ([]mgmt.Channel, error) {
	return []mgmt.Channel{{Number: mgmt.C(1), State: "running", Prefetch: mgmt.C(7)}}, nil
}

func (detailBackend) ChannelDetail(_ context.Context, name string) (mgmt.Channel, []mgmt.ChannelConsumer, error) {
	return mgmt.Channel{Name: name}, []mgmt.ChannelConsumer{{Tag: "amq.ctag-1", Queue: "orders", AckRequired: true, Active: true}}, nil
}

func (detailBackend) UserDetail(_ context.Context, name string) (mgmt.User, []mgmt.TopicPermission, error) {
	return mgmt.User{Name: name, Tags: []string{"monitoring"}, Permissions: []mgmt.Permission{{VHost: "orders", Write: "^o", Read: "^o"}}},
		[]mgmt.TopicPermission{{VHost: "orders", Exchange: "amq.topic", Write: "^kern"}}, nil
}

func (detailBackend) VHostDetail(_ context.Context, name string) (mgmt.VHost, map[string]int64, error) {
	return mgmt.VHost{Name: name, Queues: mgmt.C(3)}, map[string]int64{"max-queues": 10}, nil
}

func newDetailModel() *Model {
	m := New(Deps{Context: Context{Name: "dev"}, Backend: detailBackend{}, Source: fakeSource{}, Keys: keys.Default(), Refresh: 2 * time.Second})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	return m
}

// enter opens the row's detail page in the pager, read from the backend;
// esc returns to the list, the cursor where it was.
func TestDetailPagesOfConnectionsChannelsUsersVHosts(t *testing.T) {
	conn := "10.0.0.5:5555 -> 10.0.0.1:5672"
	for _, c := range []struct {
		view  string
		page  any
		title string
		want  []string
	}{
		{"conn", connectionsPage(), "connection " + conn, []string{"Client properties", "platform: Go", "Channels (1)", "opened by"}},
		{"ch", views.Page[mgmt.Channel]{Rows: []mgmt.Channel{{Name: conn + " (1)"}}, Matched: 1, Total: 1}, "channel " + conn + " (1)",
			[]string{"Consumers (1)", "amq.ctag-1", "manual"}},
		{"u", views.Page[mgmt.User]{Rows: []mgmt.User{{Name: "svc"}}, Matched: 1, Total: 1}, "user svc",
			[]string{"monitoring", "Topic permissions (1)", "^kern", `"" (nothing)`}},
		{"vh", views.Page[mgmt.VHost]{Rows: []mgmt.VHost{{Name: "eu"}}, Matched: 1, Total: 1}, "vhost eu",
			[]string{"Limits", "max-queues         10", "max-connections    no limit"}},
	} {
		m := newDetailModel()
		openCommand(m, c.view)
		list := m.top()
		feedListPage(m, c.page)
		_, read := m.Update(runCmd(m.handleKey(press("enter"))))
		m.Update(runCmd(read))
		if !isPager(m.top()) || m.top().Title() != c.title {
			t.Fatalf(":%s enter opened %q", c.view, m.top().Title())
		}
		out := ansi.Strip(render(t, m, colorprofile.Ascii))
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf(":%s detail lacks %q:\n%s", c.view, w, out)
			}
		}
		m.Update(runCmd(m.handleKey(press("esc"))))
		if m.top() != list {
			t.Fatalf(":%s esc went to %q", c.view, m.top().Title())
		}
	}
}
