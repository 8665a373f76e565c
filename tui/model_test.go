package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// fakeBackend answers from memory; the real one is tested against a broker
// in mgmt and end to end in cmd/mqtop.
type fakeBackend struct{ err error }

func (f fakeBackend) Overview(context.Context) (mgmt.Overview, error) { return overview(), f.err }
func (f fakeBackend) Nodes(context.Context) ([]mgmt.Node, error)      { return nodes(), f.err }
func (f fakeBackend) VHosts(context.Context) ([]string, error)        { return []string{"/", "eu"}, f.err }
func (f fakeBackend) QueueDetails(_ context.Context, vh, n string) (mgmt.Queue, error) {
	return queue(vh, n, 10, 2, 1), f.err
}
func (f fakeBackend) QueueBindings(context.Context, string, string) ([]mgmt.Binding, error) {
	return nil, f.err
}

type fakeSource struct{}

func (fakeSource) QueuePage(_ context.Context, q mgmt.QueueQuery) (mgmt.QueuePage, error) {
	return samplePage(0), nil
}
func (fakeSource) Status() mgmt.SourceStatus { return mgmt.SourceStatus{Source: "prometheus"} }

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func overview() mgmt.Overview {
	return mgmt.Overview{ClusterName: "rabbit@prod-eu-1", RabbitMQVersion: "3.10.8", ErlangVersion: "25.2.3",
		Ready: mgmt.C(12345), Unacked: mgmt.C(67), Messages: mgmt.C(12412), PublishRate: mgmt.R(120.5),
		DeliverRate: mgmt.R(98), AckRate: mgmt.R(97.5), Connections: mgmt.C(14), Channels: mgmt.C(30),
		Queues: mgmt.C(25), Consumers: mgmt.C(18)}
}

func nodes() []mgmt.Node {
	return []mgmt.Node{{Name: "rabbit@a", Running: true}, {Name: "rabbit@b", Running: true, MemAlarm: true}, {Name: "rabbit@c"}}
}

func queue(vh, name string, ready, unacked, cons int64) mgmt.Queue {
	return mgmt.Queue{VHost: vh, Name: name, Type: "classic", State: "running", Ready: mgmt.C(ready), Unacked: mgmt.C(unacked),
		Messages: mgmt.C(ready + unacked), Consumers: mgmt.C(cons), PublishRate: mgmt.R(float64(ready) / 10),
		DeliverRate: mgmt.R(1.5), AckRate: mgmt.R(1.5), Detailed: true, Raw: []byte(fmt.Sprintf(`{"name":%q}`, name))}
}

// page is a fixed list; grow shifts depths so a second poll shows trends.
func samplePage(grow int64) mgmt.QueuePage {
	qs := []mgmt.Queue{
		queue("/", "orders", 1200+grow*10, 3, 2),
		queue("/", "orders.dlq", 57, 0, 0), // backlog, no consumer: highlighted
		queue("/", "task_queue", 300-grow*30, 2, 2),
		queue("eu", "eu.notifications", 0, 0, 1),
		queue("/", "evil\x1b[2J\x1b]52;c;aGk=\x07name", 1, 0, 1),
	}
	q := qs[3]
	q.Type, q.PublishRate, q.DeliverRate = "quorum", mgmt.Rate{}, mgmt.Rate{}
	qs[3] = q
	return mgmt.QueuePage{Queues: qs, Matched: 5, Total: 5, Source: "prometheus"}
}

func newTestModel(ctx Context) *Model {
	m := New(Deps{Context: ctx, Backend: fakeBackend{}, Source: fakeSource{}, Keys: keys.Default(), Refresh: 2 * time.Second})
	m.Init()
	return m
}

func feed(m *Model, at time.Time, grow int64) {
	p := samplePage(grow)
	m.Update(SnapshotLoaded{Seq: m.seq, At: at, Took: 12 * time.Millisecond, Overview: overview(), Nodes: nodes(), Page: &p,
		Status: mgmt.SourceStatus{Source: "prometheus", IndexAge: 1500 * time.Millisecond, IndexTook: 800 * time.Millisecond}})
	m.inflight = false
	m.seq++
}

func render(t *testing.T, m *Model, p colorprofile.Profile) string {
	t.Helper()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: p}
	if _, err := w.WriteString(m.Render()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGoldenQueues(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, prof := range []struct {
			name string
			p    colorprofile.Profile
		}{{"truecolor", colorprofile.TrueColor}, {"ansi16", colorprofile.ANSI}, {"nocolor", colorprofile.Ascii}} {
			t.Run(fmt.Sprintf("%dx%d_%s", size[0], size[1], prof.name), func(t *testing.T) {
				m := newTestModel(Context{Name: "prod-eu", Color: "#ff5f87", ReadOnly: true, Endpoint: "http://prod:15672"})
				m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				feed(m, t0, 0)
				feed(m, t0.Add(10*time.Second), 1)
				out := render(t, m, prof.p)
				if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x1b]52") {
					t.Fatal("an escape sequence from a queue name reached the screen")
				}
				if prof.p == colorprofile.Ascii && (strings.Contains(out, "38;") || strings.Contains(out, "48;")) {
					t.Fatal("no-colour output still has colour sequences")
				}
				if got := strings.Count(out, "\n") + 1; got != size[1] {
					t.Fatalf("screen has %d lines, want %d", got, size[1])
				}
				golden.RequireEqual(t, []byte(out))
			})
		}
	}
}

func TestGoldenDetailAndHelp(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	feed(m, t0, 0)
	m.Update(views.OpenQueueRequested{VHost: "/", Name: "orders"})
	q := queue("/", "orders", 1200, 3, 2)
	q.Arguments = mgmt.Table{"x-dead-letter-exchange": "orders.dlx", "x-max-length": float64(10000)}
	q.Node, q.Policy = "rabbit@a", "ha-all"
	m.Update(SnapshotLoaded{Seq: m.seq, At: t0.Add(2 * time.Second), Overview: overview(), Nodes: nodes(), Detail: &q,
		DetailBindings: []mgmt.Binding{{Source: "", RoutingKey: "orders"}, {Source: "orders.x", RoutingKey: "order.*"}}})
	t.Run("detail", func(t *testing.T) { golden.RequireEqual(t, []byte(render(t, m, colorprofile.Ascii))) })
	m.handleKey(press("?"))
	t.Run("help", func(t *testing.T) { golden.RequireEqual(t, []byte(render(t, m, colorprofile.Ascii))) })
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestStaleResultIsDropped(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	old := m.seq
	m.inflight = false
	m.startPoll() // a newer poll supersedes the first
	p := samplePage(0)
	m.Update(SnapshotLoaded{Seq: old, At: t0, Overview: overview(), Page: &p})
	if m.everGood || m.overview.ClusterName != "" {
		t.Fatal("a result with an outdated sequence number was applied")
	}
}

func TestFailureKeepsLastGoodDataAndMarksStale(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	feed(m, time.Now(), 0)
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: errors.New("dial tcp 127.0.0.1:15672: connect: connection refused")})
	out := render(t, m, colorprofile.Ascii)
	if !strings.Contains(out, "stale") || !strings.Contains(out, "connection refused") {
		t.Fatalf("no stale marker:\n%s", out)
	}
	if !strings.Contains(out, "orders.dlq") || !strings.Contains(out, "12,345") {
		t.Fatalf("last good data not kept:\n%s", out)
	}
	if m.failures != 1 || nextDelay(2*time.Second, 0, m.failures) != 4*time.Second {
		t.Fatalf("no backoff after a failure: failures=%d", m.failures)
	}
}

func TestBrokerDownAtStart(t *testing.T) {
	m := newTestModel(Context{Name: "dev", Endpoint: "http://localhost:15672"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: errors.New("connection refused"), PageErr: errors.New("connection refused")})
	out := render(t, m, colorprofile.Ascii)
	if !strings.Contains(out, "cannot reach http://localhost:15672") || !strings.Contains(out, "retrying") {
		t.Fatalf("header does not say the broker is unreachable:\n%s", out)
	}
}

func TestNextDelay(t *testing.T) {
	if d := nextDelay(2*time.Second, 3*time.Second, 0); d != 6*time.Second {
		t.Fatalf("slow API should stretch the interval, got %v", d)
	}
	if d := nextDelay(2*time.Second, 0, 10); d != 30*time.Second {
		t.Fatalf("backoff should cap at 30s, got %v", d)
	}
}

func runCmd(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	return cmd()
}

func TestKeysEmitIntents(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	feed(m, t0, 0)
	if _, ok := runCmd(m.queues.Update(press("s"))).(views.QueryChanged); !ok {
		t.Fatal("s did not ask for a new query")
	}
	if k, desc := m.queues.SortKey(); k != mgmt.SortReady || !desc { // from depth (the default) to ready
		t.Fatalf("after s the sort is %s desc=%v", k, desc)
	}
	m.queues.Update(press("g"))
	m.queues.Update(press("down"))
	msg := runCmd(m.queues.Update(press("enter")))
	open, ok := msg.(views.OpenQueueRequested)
	if !ok || open.Name != "orders.dlq" {
		t.Fatalf("enter on the second row gave %#v", msg)
	}
	req, ok := runCmd(m.queues.Update(press("y"))).(views.QueueJSONRequested)
	if !ok || req.Name != "orders.dlq" {
		t.Fatal("y did not ask for the selected queue's JSON")
	}
	_, fetch := m.Update(req)
	raw, ok := runCmd(fetch).(views.RawJSONRequested)
	if !ok || !strings.Contains(string(raw.Raw), "orders.dlq") {
		t.Fatalf("JSON not fetched: %#v", raw)
	}
}

func TestBadRegexIsInlineAndSendsNothing(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	feed(m, t0, 0)
	m.handleKey(press("/"))
	m.handleKey(press("("))
	if cmd := m.handleKey(press("enter")); runCmd(cmd) != nil {
		if _, ok := runCmd(cmd).(views.QueryChanged); ok {
			t.Fatal("a bad regex was sent")
		}
	}
	if out := render(t, m, colorprofile.Ascii); !strings.Contains(out, "bad regex") {
		t.Fatalf("no inline error:\n%s", out)
	}
	if m.queues.Filter() != "" {
		t.Fatal("bad filter was applied")
	}
	m.handleKey(press("esc"))
	m.handleKey(press("/"))
	for _, r := range "dlq$" {
		m.handleKey(press(string(r)))
	}
	if _, ok := runCmd(m.handleKey(press("enter"))).(views.QueryChanged); !ok || m.queues.Filter() != "dlq$" {
		t.Fatalf("good filter not applied: %q", m.queues.Filter())
	}
	if q := m.queues.Query(); q.Filter != "dlq$" || q.Offset != 0 {
		t.Fatalf("query not carrying the filter: %+v", q)
	}
}

func TestReadOnlyRefusesAndHidesDangerousKeys(t *testing.T) {
	m := newTestModel(Context{Name: "prod", ReadOnly: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.handleKey(press("?"))
	out := render(t, m, colorprofile.Ascii)
	for _, hidden := range []string{"purge", "test RPC", "close connection", "move messages"} {
		if strings.Contains(out, hidden) {
			t.Fatalf("read-only help still lists %q", hidden)
		}
	}
	if !strings.Contains(out, "READ-ONLY") {
		t.Fatal("no READ-ONLY badge")
	}
}

func TestCommandLineCompletesAndScopesVHost(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	m.handleKey(press(":"))
	m.Update(vhostsLoaded{names: []string{"/", "eu"}})
	for _, r := range "vhost e" {
		m.handleKey(press(string(r)))
	}
	m.handleKey(press("tab"))
	if got := m.cmd.input.Value(); got != "vhost eu" {
		t.Fatalf("tab completed to %q", got)
	}
	m.handleKey(press("enter"))
	if m.queues.VHost() != "eu" || m.queues.Query().VHost != "eu" {
		t.Fatalf("vhost not scoped: %q", m.queues.VHost())
	}
	m.handleKey(press(":"))
	for _, r := range "vhost nope" {
		m.handleKey(press(string(r)))
	}
	m.handleKey(press("enter"))
	if !m.cmd.active || !strings.Contains(m.cmd.err, "no vhost named nope") || m.queues.VHost() != "eu" {
		t.Fatalf("unknown vhost accepted: err=%q vhost=%q", m.cmd.err, m.queues.VHost())
	}
}

func TestQuitRestoresFromTopLevelOnly(t *testing.T) {
	m := newTestModel(Context{Name: "dev"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	feed(m, t0, 0)
	m.Update(views.OpenQueueRequested{VHost: "/", Name: "orders"})
	if cmd := m.handleKey(press("q")); isQuit(cmd) {
		t.Fatal("q on a detail page quit instead of going back")
	}
	if m.top() != Screen(m.queues) {
		t.Fatal("q did not go back to the list")
	}
	if !isQuit(m.handleKey(press("q"))) {
		t.Fatal("q on the list did not quit")
	}
}

func isQuit(cmd tea.Cmd) bool {
	_, ok := runCmd(cmd).(tea.QuitMsg)
	return ok
}

// refusingSession is an AMQP session that refused its endpoint as another
// broker's.
type refusingSession struct {
	Messaging
	err error
}

func (r refusingSession) Refused() error { return r.err }

func TestHeaderSaysWhenAnEndpointIsAnotherBrokers(t *testing.T) {
	m := New(Deps{Context: Context{Name: "a"}, Backend: fakeBackend{}, Source: fakeSource{}, Keys: keys.Default(),
		AMQP: refusingSession{err: errors.New(`refused AMQP endpoint amqp://h:5672: it is cluster "B", not cluster "A"`)}})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	p := samplePage(0)
	why := `refused Prometheus endpoint http://h:15692: it is cluster "B" (node b@h), not cluster "A" (node a@h) of the management API at http://h:45672`
	m.Update(SnapshotLoaded{Seq: m.seq, At: t0, Overview: overview(), Nodes: nodes(), Page: &p,
		Status: mgmt.SourceStatus{Source: "management", Fallback: why, Distrust: why}})
	out := ansi.Strip(m.Render())
	for _, want := range []string{"AMQP REFUSED: OTHER BROKER", "PROMETHEUS REFUSED: OTHER BROKER", `cluster "B" (node b@h), not cluster "A"`} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	// The reason is said in full once in the status line, not on every poll.
	m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
	m.Update(SnapshotLoaded{Seq: m.seq + 1, At: t0.Add(time.Second), Overview: overview(), Page: &p,
		Status: mgmt.SourceStatus{Source: "management", Fallback: why, Distrust: why}})
	if m.line.text != "" {
		t.Errorf("the same refusal repeated in the status line: %q", m.line.text)
	}
}

// topIs reports whether the screen in front is of type S.
func topIs[S Screen](m *Model) bool {
	_, ok := m.top().(S)
	return ok
}
