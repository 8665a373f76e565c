package views

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/internal/history"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
}

func msgOf(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	return cmd()
}

func TestConfirmGoldenAndGrace(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := NewConfirm(7, "Delete queue", "Delete queue orders (vhost /) holding 12 messages with 0 consumers?", clock)
	c.Options = []Option{{Key: "e", Label: "only if empty"}, {Key: "u", Label: "only if unused"}}
	c.SetWidth(80)
	golden.RequireEqual(t, []byte(ansi.Strip(c.View())))
	if msgOf(c.Update(press("y"))) != nil {
		t.Fatal("answered inside the grace period")
	}
	now = now.Add(Grace)
	c.Update(press("u"))
	ans, ok := msgOf(c.Update(press("y"))).(ConfirmAnswered)
	if !ok || !ans.Yes || ans.ID != 7 || ans.Options[0].On || !ans.Options[1].On {
		t.Fatalf("answer = %#v", ans)
	}
}

func TestPagerScrollsAndGoesBack(t *testing.T) {
	k := keys.Default()
	p := NewPager(&k, "title")
	p.SetSize(40, 4)
	p.SetContent("1\n2\n3\n4\n5\n6")
	p.Update(press("G"))
	if v := ansi.Strip(p.View()); !strings.HasSuffix(v, "4\n5\n6") {
		t.Fatalf("G did not scroll to the end:\n%s", v)
	}
	if _, ok := msgOf(p.Update(press("q"))).(BackRequested); !ok {
		t.Fatal("q did not ask to go back")
	}
}

func TestQueueDetailGolden(t *testing.T) {
	k := keys.Default()
	d := NewQueueDetail(&k, "/", "orders")
	d.SetSize(90, 40)
	q := mgmt.Queue{VHost: "/", Name: "orders", Type: "quorum", State: "running", Durable: true, Leader: "rabbit@a",
		Members: []string{"rabbit@a", "rabbit@b", "rabbit@c"}, Online: []string{"rabbit@a", "rabbit@b"},
		Ready: mgmt.C(40), Unacked: mgmt.C(2), Messages: mgmt.C(42), Consumers: mgmt.C(1), Memory: mgmt.C(1 << 20),
		PublishRate: mgmt.R(4), DeliverRate: mgmt.R(3.5), AckRate: mgmt.R(3.5),
		Arguments: mgmt.Table{"x-queue-type": "quorum", "x-delivery-limit": float64(20)}, Policy: "dlx",
		Effective: mgmt.Table{"dead-letter-exchange": "orders.dlx"},
		Raw:       []byte(`{"consumer_details":[{"consumer_tag":"ctag-1","ack_required":true,"prefetch_count":10,"active":true,"channel_details":{"name":"10.0.0.5:5555 -> 10.0.0.1:5672 (1)"}}]}`)}
	d.SetData(q, []mgmt.Binding{{Source: "orders.x", RoutingKey: "order.\x1b[31mred", Arguments: mgmt.Table{"x-match": "all"}}}, nil, RowInfo{})
	out := ansi.Strip(d.View())
	if strings.Contains(d.View(), "\x1b[31mred") {
		t.Fatal("escape sequence from a routing key reached the screen")
	}
	if !strings.Contains(out, "delivery limit 20") || !strings.Contains(out, "ctag-1") || !strings.Contains(out, "leader rabbit@a") {
		t.Fatalf("detail incomplete:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
}

func TestSparklineAndTrend(t *testing.T) {
	if got := Sparkline([]float64{0, 1, 2, 3, 4, 5, 6, 7}, 8); got != "▁▂▃▄▅▆▇█" {
		t.Fatalf("sparkline = %q", got)
	}
	if got := Sparkline([]float64{1, 2, 3}, 2); len([]rune(got)) != 2 {
		t.Fatalf("sparkline not cut to width: %q", got)
	}
	tr := history.Trend{Known: true, Dir: history.Draining, PerSec: -12.5, Drain: 90 * time.Second}
	if got := FmtTrend(tr); got != "▼ 12/s 1m30s" {
		t.Fatalf("trend = %q", got)
	}
}
