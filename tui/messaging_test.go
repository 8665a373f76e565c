package tui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

type fakeMessaging struct {
	published []amqp.PublishRequest
	repeats   []int
	browsed   []amqp.BrowseRequest
	rpcs      []amqp.RPCRequest
	pubResult amqp.PublishResult
	browseRes amqp.BrowseResult
	rpcResult amqp.RPCResult
}

func (f *fakeMessaging) Publish(_ context.Context, r amqp.PublishRequest) (amqp.PublishResult, error) {
	f.published = append(f.published, r)
	return f.pubResult, nil
}

func (f *fakeMessaging) PublishRepeat(_ context.Context, r amqp.PublishRequest, n int, _ float64, progress func(amqp.RepeatProgress)) (amqp.RepeatSummary, error) {
	f.published = append(f.published, r)
	f.repeats = append(f.repeats, n)
	progress(amqp.RepeatProgress{N: n, Sent: n / 2, Confirmed: n / 2, Elapsed: time.Second})
	return amqp.RepeatSummary{N: n, Sent: n, Confirmed: n - 1, Returned: 1, Elapsed: 2 * time.Second, MsgsPerSec: float64(n) / 2}, nil
}

func (f *fakeMessaging) Browse(_ context.Context, r amqp.BrowseRequest) (amqp.BrowseResult, error) {
	f.browsed = append(f.browsed, r)
	return f.browseRes, nil
}

func (f *fakeMessaging) RPC(_ context.Context, r amqp.RPCRequest) (amqp.RPCResult, error) {
	f.rpcs = append(f.rpcs, r)
	return f.rpcResult, nil
}

func (f *fakeMessaging) RPCRepeat(_ context.Context, r amqp.RPCRequest, n int, progress func(int)) (amqp.LatencySummary, error) {
	f.rpcs = append(f.rpcs, r)
	return amqp.LatencySummary{N: n, OK: n, Min: time.Millisecond, P50: 2 * time.Millisecond, P99: 9 * time.Millisecond, Max: 12 * time.Millisecond}, nil
}

// exchangeBackend is fakeBackend that lists exchanges and knows queue types.
type exchangeBackend struct{ fakeBackend }

func (exchangeBackend) ExchangeNames(context.Context, string) ([]string, error) {
	return []string{"", "amq.direct", "orders.x"}, nil
}

func (exchangeBackend) QueueDetails(_ context.Context, vh, n string) (mgmt.Queue, error) {
	q := queue(vh, n, 10, 2, 1)
	if n == "eu.notifications" {
		q.Type = "quorum"
		q.Arguments = mgmt.Table{"x-delivery-limit": float64(5)}
	}
	return q, nil
}

func msgModel(t *testing.T, ctx Context, allowBrowse bool) (*Model, *fakeMessaging) {
	t.Helper()
	f := &fakeMessaging{pubResult: amqp.PublishResult{Outcome: amqp.Confirmed}}
	m := New(Deps{Context: ctx, Backend: exchangeBackend{}, Source: fakeSource{}, Keys: keys.Default(),
		AMQP: f, AllowBrowse: allowBrowse, Now: func() time.Time { return t0 }})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	feed(m, t0, 0)
	return m, f
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.handleKey(tea.KeyPressMsg{Code: r, Text: string(r)}) // the cursor's blink command is not needed
	}
}

func ctrl(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Mod: tea.ModCtrl} }

// focus tabs to the field with key k.
func focus(t *testing.T, m *Model, k string) {
	t.Helper()
	for range 30 {
		if m.actionPage(-1).Form.Focused() == k {
			return
		}
		m.handleKey(press("tab"))
	}
	t.Fatalf("no field %q", k)
}

func TestPublishOnQueueSendsEveryFieldAndShowsTheOutcome(t *testing.T) {
	m, f := msgModel(t, Context{Name: "dev"}, false)
	drive(m, m.handleKey(press("p"))) // cursor on "orders"
	if !topIs[*actionScreen](m) || m.actionPage(-1) == nil {
		t.Fatal("p did not open the publish form")
	}
	out := render(t, m, colorprofile.NoTTY)
	if !strings.Contains(out, "Publish to orders (vhost /)") {
		t.Fatalf("form title:\n%s", out)
	}
	focus(t, m, "priority")
	typeText(m, "7")
	focus(t, m, "correlation_id")
	typeText(m, "c-1")
	focus(t, m, "headers")
	typeText(m, "tenant=acme")
	focus(t, m, "body")
	typeText(m, `{"id":1}`)
	drive(m, m.handleKey(ctrl('s')))
	if len(f.published) != 1 {
		t.Fatalf("published %d messages, want 1", len(f.published))
	}
	r := f.published[0]
	if r.VHost != "/" || r.Exchange != "" || r.RoutingKey != "orders" || r.Priority != 7 || r.CorrelationID != "c-1" ||
		r.DeliveryMode != amqp.Persistent || r.AppID != "mqtop" || r.Headers["tenant"] != "acme" || string(r.Body) != `{"id":1}` ||
		!r.Timestamp.Equal(t0) {
		t.Fatalf("request %+v", r)
	}
	out = render(t, m, colorprofile.NoTTY)
	if !strings.Contains(out, "confirmed and routed") {
		t.Fatalf("no outcome on the page:\n%s", out)
	}
	if !strings.Contains(m.line.text, "confirmed and routed") {
		t.Fatalf("status line %q", m.line.text)
	}
	// Leave and come back: the form remembers the values for this queue.
	drive(m, m.handleKey(press("esc")))
	if m.top() != Screen(m.queues) {
		t.Fatal("esc did not leave the form")
	}
	drive(m, m.handleKey(press("p")))
	if got := m.actionPage(-1).Form.Value("body"); got != `{"id":1}` {
		t.Fatalf("remembered body %q", got)
	}
}

func TestPublishBadInputIsInlineAndSendsNothing(t *testing.T) {
	for _, c := range []struct{ field, value, want string }{
		{"priority", "300", "priority"},
		{"headers", "{not json", "invalid JSON"},
		{"expiration", "10s", "milliseconds"},
		{"exchange", "no.such.x", `no exchange "no.such.x"`},
		{"count", "0", "repeat"},
	} {
		t.Run(c.field, func(t *testing.T) {
			m, f := msgModel(t, Context{Name: "dev"}, false)
			drive(m, m.handleKey(press("p")))
			focus(t, m, c.field)
			m.handleKey(ctrl('a'))
			m.handleKey(ctrl('k'))
			typeText(m, c.value)
			drive(m, m.handleKey(ctrl('s')))
			if len(f.published) != 0 {
				t.Fatalf("sent despite bad %s", c.field)
			}
			if out := render(t, m, colorprofile.NoTTY); !strings.Contains(out, c.want) {
				t.Fatalf("no inline error containing %q:\n%s", c.want, out)
			}
		})
	}
}

func TestPublishRepeatShowsSummary(t *testing.T) {
	m, f := msgModel(t, Context{Name: "dev"}, false)
	drive(m, m.handleKey(press("p")))
	focus(t, m, "count")
	drive(m, m.handleKey(ctrl('a')))
	drive(m, m.handleKey(ctrl('k')))
	typeText(m, "1000")
	drive(m, m.handleKey(ctrl('s')))
	if len(f.repeats) != 1 || f.repeats[0] != 1000 {
		t.Fatalf("repeats %v", f.repeats)
	}
	out := render(t, m, colorprofile.NoTTY)
	for _, want := range []string{"sent 1,000 of 1,000", "confirmed and routed 999", "returned 1", "500 msgs/s"} {
		if !strings.Contains(out, want) {
			t.Fatalf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestReadOnlyRefusesPublishAndRPCAndGuardsBrowse(t *testing.T) {
	m, f := msgModel(t, Context{Name: "prod", ReadOnly: true}, false)
	for _, k := range []string{"p", "R"} {
		drive(m, m.handleKey(press(k)))
		if m.top() != Screen(m.queues) || !strings.Contains(m.line.text, "refused: read-only mode") {
			t.Fatalf("%s in read-only mode: page %v, status %q", k, m.top(), m.line.text)
		}
	}
	drive(m, m.handleKey(press("m"))) // orders is classic
	if m.top() != Screen(m.queues) || !strings.Contains(m.line.text, "--allow-browse") {
		t.Fatalf("browse in read-only without --allow-browse: page %v, status %q", m.top(), m.line.text)
	}
	if len(f.published)+len(f.rpcs)+len(f.browsed) != 0 {
		t.Fatal("something was sent in read-only mode")
	}
	m2, _ := msgModel(t, Context{Name: "prod", ReadOnly: true}, true)
	drive(m2, m2.handleKey(press("m")))
	if !topIs[*actionScreen](m2) {
		t.Fatal("--allow-browse did not allow browsing")
	}
}

func TestBrowseShowsMessagesSafelyWithHistory(t *testing.T) {
	m, f := msgModel(t, Context{Name: "dev"}, false)
	evil := "hello\x1b[2J\x1b]52;c;aGk=\x07\x1b[10;10H"
	f.browseRes = amqp.BrowseResult{MarkedRedelivered: true, Taken: 2, Remaining: 8, Messages: []amqp.Message{
		{Properties: amqp.Properties{ContentType: "application/json", MessageID: "m1"}, Body: []byte(`{"order":42,"items":[1,2]}`),
			RoutingKey: "orders", Headers: map[string]any{"x\x1b[31m": evil}},
		{Body: []byte(evil), Deaths: []amqp.Death{{Queue: "orders", Reason: "rejected", Count: 3, Exchange: "orders.x",
			RoutingKeys: []string{"eu.orders"}, Time: t0}}},
	}}
	drive(m, m.handleKey(press("m")))
	if !topIs[*actionScreen](m) {
		t.Fatal("m did not open the browse form")
	}
	drive(m, m.handleKey(ctrl('s')))
	if len(f.browsed) != 1 || f.browsed[0].N != 50 || f.browsed[0].QueueType != "classic" || f.browsed[0].Queue != "orders" {
		t.Fatalf("browse requests %+v", f.browsed)
	}
	if !topIs[*messagesScreen](m) {
		t.Fatalf("page %v after browse", m.top())
	}
	out := render(t, m, colorprofile.NoTTY)
	for _, want := range []string{"marks them redelivered", `"order": 42`, "8 more ready messages", "message-id"} {
		if !strings.Contains(out, want) {
			t.Fatalf("browse page lacks %q:\n%s", want, out)
		}
	}
	drive(m, m.handleKey(press("down")))
	out = render(t, m, colorprofile.NoTTY)
	if !strings.Contains(out, "rejected from queue orders ×3") || !strings.Contains(out, "eu.orders") {
		t.Fatalf("no x-death history:\n%s", out)
	}
	for _, bad := range []string{"\x1b[2J", "\x1b]52", "\x07", "\x1b[10;10H", "\x1b[31m"} {
		if strings.Contains(out, bad) {
			t.Fatalf("escape sequence %q reached the screen", bad)
		}
	}
}

func TestBrowseQuorumPassesDeliveryLimit(t *testing.T) {
	m, f := msgModel(t, Context{Name: "dev"}, false)
	for i := 0; ; i++ {
		if q, _ := m.queues.Selected(); q.Name == "eu.notifications" || i > 10 {
			break
		}
		drive(m, m.handleKey(press("down")))
	}
	f.browseRes = amqp.BrowseResult{StoppedNearLimit: &amqp.NearLimit{Queue: "eu.notifications", Position: 0, DeliveryCount: 3, Limit: 5}}
	drive(m, m.handleKey(press("m")))
	drive(m, m.handleKey(ctrl('s')))
	if len(f.browsed) != 1 || f.browsed[0].DeliveryLimit != 5 || f.browsed[0].QueueType != "quorum" {
		t.Fatalf("browse requests %+v", f.browsed)
	}
	if out := render(t, m, colorprofile.NoTTY); !strings.Contains(out, "close to the queue's delivery limit 5") {
		t.Fatalf("near-limit stop not explained:\n%s", out)
	}
}

func TestRPCShowsReplyAndIgnoresMismatch(t *testing.T) {
	m, f := msgModel(t, Context{Name: "dev"}, false)
	f.rpcResult = amqp.RPCResult{CorrelationID: "abc", RTT: 14200 * time.Microsecond,
		Reply:      &amqp.Message{Properties: amqp.Properties{CorrelationID: "abc", ContentType: "text/plain"}, Body: []byte("55")},
		Mismatched: []amqp.Message{{Properties: amqp.Properties{CorrelationID: "stale-1"}}}}
	drive(m, m.handleKey(press("R")))
	focus(t, m, "body")
	typeText(m, "10")
	drive(m, m.handleKey(ctrl('s')))
	if len(f.rpcs) != 1 || string(f.rpcs[0].Body) != "10" || f.rpcs[0].RoutingKey != "orders" || f.rpcs[0].Timeout != 5*time.Second {
		t.Fatalf("rpc requests %+v", f.rpcs)
	}
	out := render(t, m, colorprofile.NoTTY)
	for _, want := range []string{"reply in 14.2 ms", `another correlation-id "stale-1"`, "55"} {
		if !strings.Contains(out, want) {
			t.Fatalf("RPC page lacks %q:\n%s", want, out)
		}
	}
	f.rpcResult = amqp.RPCResult{CorrelationID: "def", TimedOut: true}
	drive(m, m.handleKey(ctrl('s')))
	if out := render(t, m, colorprofile.NoTTY); !strings.Contains(out, "no reply within 5s") {
		t.Fatalf("timeout not shown:\n%s", out)
	}
}

type slowSource struct{ delay time.Duration }

func (s slowSource) QueuePage(ctx context.Context, q mgmt.QueueQuery) (mgmt.QueuePage, error) {
	select {
	case <-time.After(s.delay):
		return samplePage(0), nil
	case <-ctx.Done():
		return mgmt.QueuePage{}, ctx.Err()
	}
}
func (slowSource) Status() mgmt.SourceStatus { return mgmt.SourceStatus{Source: "management API"} }

// The queue list has its own, longer timeout: a management page that takes
// longer than the overview may still arrive.
func TestListHasItsOwnTimeout(t *testing.T) {
	for _, c := range []struct {
		list   time.Duration
		wantOK bool
	}{{300 * time.Millisecond, true}, {60 * time.Millisecond, false}} {
		m := New(Deps{Context: Context{Name: "dev"}, Backend: fakeBackend{}, Source: slowSource{delay: 150 * time.Millisecond},
			Keys: keys.Default(), Timeout: 50 * time.Millisecond, ListTimeout: c.list})
		msg := m.PollNow()().(SnapshotLoaded)
		if (msg.PageErr == nil) != c.wantOK || msg.OverviewErr != nil {
			t.Fatalf("list timeout %v: page err %v, overview err %v", c.list, msg.PageErr, msg.OverviewErr)
		}
	}
}

// A body from a file is read by the publish command, not on the UI loop.
func TestPublishBodyFromFile(t *testing.T) {
	m, f := msgModel(t, Context{Name: "dev"}, false)
	path := t.TempDir() + "/body.json"
	if err := os.WriteFile(path, []byte(`{"from":"file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	drive(m, m.handleKey(press("p")))
	focus(t, m, "body_file")
	typeText(m, path)
	drive(m, m.handleKey(ctrl('s')))
	if len(f.published) != 1 || string(f.published[0].Body) != `{"from":"file"}` {
		t.Fatalf("published %+v", f.published)
	}
	drive(m, m.handleKey(press("esc")))
	drive(m, m.handleKey(press("p")))
	focus(t, m, "body_file")
	typeText(m, "-missing")
	drive(m, m.handleKey(ctrl('s')))
	if len(f.published) != 1 {
		t.Fatal("published with a missing body file")
	}
	if out := render(t, m, colorprofile.NoTTY); !strings.Contains(out, "cannot read body file") {
		t.Fatalf("no error for a missing file:\n%s", out)
	}
}
