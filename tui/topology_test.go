package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/route"
	"github.com/mqtop/mqtop/views"
)

// editorBackend records the topology mutations asked of it.
type editorBackend struct {
	fakeBackend
	calls    []string
	conflict bool
	rebind   error
}

func (e *editorBackend) DeclareQueue(_ context.Context, vh string, d mgmt.QueueDecl) error {
	e.calls = append(e.calls, fmt.Sprintf("declare queue %s/%s %s durable=%v args=%v", vh, d.Name, d.Type, d.Durable, d.Arguments))
	if e.conflict {
		return &mgmt.HTTPError{Status: 400, Reason: "inequivalent arg 'x-message-ttl' for queue"}
	}
	return nil
}

func (e *editorBackend) DeclareExchange(_ context.Context, vh string, d mgmt.ExchangeDecl) error {
	e.calls = append(e.calls, fmt.Sprintf("declare exchange %s/%s %s ae=%s", vh, d.Name, d.Type, d.AlternateExchange))
	return nil
}

func (e *editorBackend) DeleteExchange(_ context.Context, vh, name string, ifUnused bool) error {
	e.calls = append(e.calls, fmt.Sprintf("delete exchange %s/%s if-unused=%v", vh, name, ifUnused))
	return nil
}

func (e *editorBackend) Bind(_ context.Context, vh string, b mgmt.Binding) error {
	e.calls = append(e.calls, fmt.Sprintf("bind %s %s->%s %q", vh, b.Source, b.Destination, b.RoutingKey))
	return nil
}

func (e *editorBackend) Unbind(_ context.Context, vh string, b mgmt.Binding) error {
	e.calls = append(e.calls, fmt.Sprintf("unbind %s %s->%s %q", vh, b.Source, b.Destination, b.RoutingKey))
	return nil
}

func (e *editorBackend) Rebind(_ context.Context, vh string, old, n mgmt.Binding) (mgmt.RebindResult, error) {
	e.calls = append(e.calls, fmt.Sprintf("rebind %s %q->%q", vh, old.RoutingKey, n.RoutingKey))
	return mgmt.RebindResult{New: n}, e.rebind
}

func (e *editorBackend) ExchangeTypes(context.Context) ([]mgmt.ExchangeType, error) {
	return []mgmt.ExchangeType{{Name: "direct", Enabled: true}, {Name: "x-consistent-hash", Enabled: true}}, nil
}

func (e *editorBackend) ExplainQueueConflict(_ context.Context, _ string, d mgmt.QueueDecl) (string, error) {
	return fmt.Sprintf("queue %q exists with x-message-ttl=60000; you asked for %v", d.Name, d.Arguments["x-message-ttl"]), nil
}

func (e *editorBackend) ExplainExchangeConflict(context.Context, string, mgmt.ExchangeDecl) (string, error) {
	return "", nil
}

func (e *editorBackend) ExchangeBindings(context.Context, string, string) (from, to []mgmt.Binding, err error) {
	return []mgmt.Binding{{Source: "logs", Destination: "q1", DestinationType: "queue"}, {Source: "logs", Destination: "q2", DestinationType: "queue"}},
		[]mgmt.Binding{{Source: "upstream", Destination: "logs", DestinationType: "exchange"}}, nil
}

func (e *editorBackend) RouteTopology(context.Context, string) (route.Topology, error) {
	return route.Topology{Exchanges: map[string]route.Exchange{"logs": {Name: "logs", Type: "topic"}},
		Bindings: []route.Binding{{Source: "logs", Destination: "kern", RoutingKey: "kern.*"}, {Source: "logs", Destination: "crit", RoutingKey: "*.critical"}}}, nil
}

func editorModel(t *testing.T, readOnly bool) (*Model, *editorBackend, *fakeClock) {
	t.Helper()
	e, clk := &editorBackend{}, &fakeClock{t: t0}
	k := keys.Default()
	if readOnly {
		k.ReadOnly()
	}
	m := New(Deps{Context: Context{Name: "dev", ReadOnly: readOnly}, Backend: e, Source: fakeSource{}, Keys: k, Now: clk.now, Timeout: time.Second})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})
	feed(m, t0, 0)
	return m, e, clk
}

// typeInto types into the field in front (its commands are the cursor's
// blink and need not run).
func typeInto(m *Model, s string) {
	for _, r := range s {
		m.handleKey(press(string(r)))
	}
}

func screenText(t *testing.T, m *Model) string { return ansi.Strip(render(t, m, colorprofile.Ascii)) }

// confirm answers the dialog in front with y after its grace period.
func confirm(t *testing.T, m *Model, clk *fakeClock) {
	t.Helper()
	if m.dialog == nil {
		t.Fatalf("no confirmation dialog:\n%s", screenText(t, m))
	}
	clk.t = clk.t.Add(time.Second)
	drive(m, m.handleKey(press("y")))
}

func TestDeclareQueueChecksArgumentsThenAsksThenDeclares(t *testing.T) {
	m, e, clk := editorModel(t, false)
	drive(m, m.handleKey(press("n")))
	if !strings.Contains(screenText(t, m), "Declare a queue") {
		t.Fatalf("n did not open the form:\n%s", screenText(t, m))
	}
	drive(m, m.handleKey(press("tab")))
	typeInto(m, "jobs")
	drive(m, m.handleKey(press("tab")))
	drive(m, m.handleKey(press("ctrl+n"))) // classic → quorum
	for range 3 {
		m.handleKey(press("tab"))
	}
	typeInto(m, "x-max-priority=5")
	drive(m, m.handleKey(press("ctrl+s")))
	out := screenText(t, m)
	if !strings.Contains(out, "x-max-priority does not apply to quorum queues") || m.dialog != nil || len(e.calls) != 0 {
		t.Fatalf("a classic-only argument on a quorum queue was not refused inline:\n%s", out)
	}
	if !strings.Contains(out, "x-delivery-limit") || strings.Contains(out, "x-max-priority   ") {
		t.Fatalf("the panel does not offer the quorum queue's arguments:\n%s", out)
	}
	for range len("x-max-priority=5") {
		m.handleKey(press("backspace"))
	}
	typeInto(m, "x-message-ttl=60000")
	drive(m, m.handleKey(press("ctrl+s")))
	if out := screenText(t, m); !strings.Contains(out, "Declare queue jobs (vhost /): quorum, durable") || !strings.Contains(out, "x-message-ttl=60000") {
		t.Fatalf("the dialog does not say what is declared:\n%s", out)
	}
	confirm(t, m, clk)
	if len(e.calls) != 1 || e.calls[0] != "declare queue //jobs quorum durable=true args=map[x-message-ttl:60000]" {
		t.Fatalf("calls %q", e.calls)
	}
	if _, ok := m.top().(*queuesScreen); !ok || !strings.Contains(m.line.text, "declared queue jobs") {
		t.Fatalf("after the declare: top %q, status %q", m.top().Title(), m.line.text)
	}
}

func TestDeclareConflictIsExplainedAndTheFormStays(t *testing.T) {
	m, e, clk := editorModel(t, false)
	e.conflict = true
	drive(m, m.handleKey(press("n")))
	drive(m, m.handleKey(press("tab")))
	typeInto(m, "orders")
	for range 4 {
		m.handleKey(press("tab"))
	}
	typeInto(m, "x-message-ttl=30000")
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if _, ok := m.top().(*actionScreen); !ok {
		t.Fatalf("the form closed on a failed declare")
	}
	if out := screenText(t, m); !strings.Contains(out, `queue "orders" exists with x-message-ttl=60000; you asked for 30000`) {
		t.Fatalf("the conflict is not explained:\n%s", out)
	}
}

func TestBindRebindUnbindAndDeleteExchange(t *testing.T) {
	m, e, clk := editorModel(t, false)
	// b on the queue under the cursor (orders): the source is picked.
	drive(m, m.handleKey(press("b")))
	typeInto(m, "logs")
	drive(m, m.handleKey(press("tab")))
	typeInto(m, "kern.*")
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if len(e.calls) != 1 || e.calls[0] != `bind / logs->orders "kern.*"` {
		t.Fatalf("calls %q", e.calls)
	}
	old := mgmt.Binding{VHost: "/", Source: "logs", Destination: "orders", DestinationType: "queue", RoutingKey: "kern.*"}
	_, cmd := m.Update(views.RebindRequested{Binding: old})
	drive(m, cmd)
	for range len("kern.*") { // the routing key is focused
		m.handleKey(press("backspace"))
	}
	typeInto(m, "*.critical")
	drive(m, m.handleKey(press("ctrl+s")))
	out := screenText(t, m)
	if !strings.Contains(out, `from  exchange logs → queue orders, key "kern.*"`) || !strings.Contains(out, `to    exchange logs → queue orders, key "*.critical"`) {
		t.Fatalf("the rebind dialog does not show both bindings:\n%s", out)
	}
	e.rebind = &mgmt.RebindError{Step: mgmt.RebindRemove, Err: errors.New("404"), InPlace: "both bindings are in place now"}
	confirm(t, m, clk)
	if e.calls[1] != `rebind / "kern.*"->"*.critical"` || !strings.Contains(m.line.text, "remove old binding") {
		t.Fatalf("calls %q status %q", e.calls, m.line.text)
	}
	m.back()
	_, cmd = m.Update(views.UnbindRequested{Binding: old})
	drive(m, cmd)
	confirm(t, m, clk)
	if e.calls[2] != `unbind / logs->orders "kern.*"` {
		t.Fatalf("calls %q", e.calls)
	}
	_, cmd = m.Update(views.DeleteExchangeRequested{VHost: "/", Name: "logs"})
	drive(m, cmd)
	out = screenText(t, m)
	if !strings.Contains(out, "Its 2 binding(s) to queue q1, queue q2 go with it") || !strings.Contains(out, "1 binding(s) into it from exchange upstream") {
		t.Fatalf("the delete dialog does not name the bindings:\n%s", out)
	}
	confirm(t, m, clk) // y goes into the name box: it has bindings
	if len(e.calls) != 3 || m.dialog == nil {
		t.Fatalf("deleted without the name typed: %q", e.calls)
	}
	m.handleKey(press("backspace"))
	typeInto(m, "logs")
	drive(m, m.handleKey(press("enter")))
	if len(e.calls) != 4 || e.calls[3] != "delete exchange //logs if-unused=false" {
		t.Fatalf("calls %q", e.calls)
	}
}

func TestTopologyRefusedReadOnly(t *testing.T) {
	m, e, _ := editorModel(t, true)
	for _, msg := range []tea.Msg{views.DeclareQueueRequested{VHost: "/"}, views.DeclareExchangeRequested{}, views.BindRequested{VHost: "/", Destination: "q"},
		views.RebindRequested{Binding: mgmt.Binding{VHost: "/"}}, views.UnbindRequested{Binding: mgmt.Binding{VHost: "/"}},
		views.DeleteExchangeRequested{VHost: "/", Name: "x"}} {
		_, cmd := m.Update(msg)
		drive(m, cmd)
		if m.dialog != nil || len(m.stack) != 1 || !strings.Contains(m.line.text, "read-only") {
			t.Fatalf("%T in read-only mode: dialog %v stack %d status %q", msg, m.dialog != nil, len(m.stack), m.line.text)
		}
	}
	if len(e.calls) != 0 {
		t.Fatalf("calls %q", e.calls)
	}
}

func TestRoutePreviewPredictsAsYouType(t *testing.T) {
	m, _, _ := editorModel(t, false)
	_, cmd := m.Update(views.RoutePreviewRequested{VHost: "/", Exchange: "logs"})
	drive(m, cmd)
	typeInto(m, "kern.critical")
	out := screenText(t, m)
	for _, want := range []string{"→ 2 queue(s): crit, kern", `matches key "kern.*" → queue kern`, `matches key "*.critical" → queue crit`} {
		if !strings.Contains(out, want) {
			t.Fatalf("preview lacks %q:\n%s", want, out)
		}
	}
	for range len("critical") {
		m.handleKey(press("backspace"))
	}
	typeInto(m, "info")
	if out := screenText(t, m); !strings.Contains(out, "→ 1 queue(s): kern") {
		t.Fatalf("preview did not follow the key:\n%s", out)
	}
}

// movingMessaging records moves.
type movingMessaging struct {
	fakeMessaging
	moves []amqp.MoveOptions
}

func (f *movingMessaging) Move(_ context.Context, vh, q string, o amqp.MoveOptions, progress func(amqp.MoveProgress)) (amqp.MoveSummary, error) {
	f.moves = append(f.moves, o)
	progress(amqp.MoveProgress{Moved: 50, Total: 144, Rate: 1000})
	return amqp.MoveSummary{MoveProgress: amqp.MoveProgress{Moved: 143, NoOrigin: 1, Total: 144}, Note: "1 message had no x-death"}, nil
}

// M on a dead-letter queue: back to the queues the messages died in by
// default, confirmed first, progress then the summary on the page.
func TestMoveFromADeadLetterQueue(t *testing.T) {
	m, _, clk := editorModel(t, false)
	mv := &movingMessaging{}
	m.deps.AMQP = mv
	_, cmd := m.Update(views.MoveRequested{VHost: "/", Queue: "orders.dlq", Type: "classic", Ready: mgmt.C(144)})
	drive(m, cmd)
	if out := screenText(t, m); !strings.Contains(out, "to               origin queue") {
		t.Fatalf("a dead-letter queue's move does not default to its origin:\n%s", out)
	}
	drive(m, m.handleKey(press("ctrl+s")))
	if out := screenText(t, m); !strings.Contains(out, "Move all 144 ready messages of orders.dlq (vhost /) back to the queues") || !strings.Contains(out, "they were dead-lettered from?") {
		t.Fatalf("dialog:\n%s", out)
	}
	if len(mv.moves) != 0 {
		t.Fatal("moved before the confirmation")
	}
	confirm(t, m, clk)
	if len(mv.moves) != 1 || !mv.moves[0].ToOriginQueue || mv.moves[0].Max != 0 || mv.moves[0].QueueType != "classic" {
		t.Fatalf("moves %+v", mv.moves)
	}
	out := screenText(t, m)
	for _, want := range []string{"moved 143 of 144 from orders.dlq", "no origin 1", "1 message had no x-death"} {
		if !strings.Contains(out, want) {
			t.Fatalf("summary lacks %q:\n%s", want, out)
		}
	}
	// A stream is refused before any form.
	_, cmd = m.Update(views.MoveRequested{VHost: "/", Queue: "events", Type: "stream"})
	drive(m, cmd)
	if !strings.Contains(m.line.text, "stream") {
		t.Fatalf("stream move: %q", m.line.text)
	}
}

// p on an exchange opens the publish form with the exchange filled in and
// the route predicted as the key is typed.
func TestPublishToAnExchange(t *testing.T) {
	m, _, _ := editorModel(t, false)
	m.deps.AMQP = &fakeMessaging{}
	_, cmd := m.Update(views.PublishRequested{VHost: "/", Exchange: "logs"})
	drive(m, cmd)
	m.handleKey(press("tab")) // to the routing key
	typeInto(m, "kern.critical")
	out := screenText(t, m)
	for _, want := range []string{"Publish to exchange logs (vhost /)", "exchange         logs", "→ 2 queue(s): crit, kern"} {
		if !strings.Contains(out, want) {
			t.Fatalf("publish form lacks %q:\n%s", want, out)
		}
	}
}
