package views

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

const hostileConn = "10.0.0.9:6666 -> 10.0.0.1:5672 \x1b[31mred"

func sampleConnections() Page[mgmt.Connection] {
	rows := []mgmt.Connection{
		{Name: "10.0.0.5:5555 -> 10.0.0.1:5672", User: "orders", VHost: "/", Node: "rabbit@a", State: "running",
			Protocol: "AMQP 0-9-1", PeerHost: "10.0.0.5", PeerPort: mgmt.C(5555), ClientName: "orders-svc",
			Product: "RabbitMQ .NET", Version: "6.4.0", Channels: mgmt.C(3), RecvRate: mgmt.R(1536), SendRate: mgmt.R(0.4), TLS: true},
		{Name: "127.0.0.1:45758 -> 127.0.0.1:5672", User: "guest", VHost: "/", Node: "rabbit@a", State: "running",
			Protocol: "AMQP 0-9-1", PeerHost: "127.0.0.1", PeerPort: mgmt.C(45758), ClientName: "mqtop", Product: "mqtop",
			Version: "1.2.3", Channels: mgmt.C(1), RecvRate: mgmt.R(0), SendRate: mgmt.R(12.5 * 1024 * 1024), Mine: true},
		// Statistics not in yet: every count and rate unknown.
		{Name: "[::1]:40000 -> [::1]:5672", User: "eu-app", VHost: "eu", State: "blocked", PeerHost: "::1", PeerPort: mgmt.C(40000)},
		{Name: hostileConn, User: "evil\x1b[2J", VHost: "/", Node: "rabbit@b", State: "blocking", Protocol: "AMQP 0-9-1",
			PeerHost: "10.0.0.9", PeerPort: mgmt.C(6666), ClientName: "x\x1b[31mred", Channels: mgmt.C(0),
			RecvRate: mgmt.R(0), SendRate: mgmt.R(0)},
	}
	p := Page[mgmt.Connection]{Rows: rows, Matched: len(rows), Total: len(rows)}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"name":%q}`, r.Name)))
	}
	return p
}

// checkListScreen fails when broker text drove the terminal or the view does
// not fit its size.
// goldenList renders a list view at 80x24 and 160x48: each screen must be
// clean and fit (checkListScreen), hold every string wants(width) names,
// and equal its golden file.
func goldenList(t *testing.T, render func(w, h int) string, wants func(w int) []string) {
	t.Helper()
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			out := render(size[0], size[1])
			checkListScreen(t, out, size[0], size[1])
			plain := ansi.Strip(out)
			for _, want := range wants(size[0]) {
				if !strings.Contains(plain, want) {
					t.Errorf("no %q in\n%s", want, plain)
				}
			}
			golden.RequireEqual(t, []byte(plain))
		})
	}
}

// sized renders a list view as goldenList needs it.
func sized[V interface {
	SetSize(w, h int)
	View() string
}](v V, fill func(V)) func(w, h int) string {
	return func(w, h int) string {
		v.SetSize(w, h)
		fill(v)
		return v.View()
	}
}

func checkListScreen(t *testing.T, out string, w, h int) {
	t.Helper()
	for _, bad := range []string{"\x1b[31m", "\x1b[2J"} {
		if strings.Contains(out, bad) {
			t.Fatalf("escape sequence %q from the broker reached the screen", bad)
		}
	}
	plain := ansi.Strip(out)
	lines := strings.Split(plain, "\n")
	// At most h: the list leaves its last line blank while the rows do not
	// fill it (list_render.go pads to h-1 then; a full list is h lines).
	if len(lines) > h {
		t.Fatalf("view has %d lines, more than %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Fatalf("line %d is %d cells wide (> %d): %q", i, ansi.StringWidth(l), w, l)
		}
	}
}

func TestConnectionsGolden(t *testing.T) {
	k := keys.Default()
	goldenList(t, sized(NewConnections(&k), func(v *Connections) { v.SetPage(sampleConnections()) }), func(int) []string {
		return []string{MineMarker + " mqtop", "orders-svc", "blocked", "–", MineMarker + " mqtop's own", `\x1b[31m`}
	})
}

func TestConnectionCells(t *testing.T) {
	for _, tc := range []struct {
		c    mgmt.Connection
		want string
	}{
		{mgmt.Connection{ClientName: "orders-svc", Product: "RabbitMQ .NET", Version: "6.4.0"}, "orders-svc (RabbitMQ .NET 6.4.0)"},
		{mgmt.Connection{Product: "pika", Version: "1.3.2"}, "pika 1.3.2"},
		{mgmt.Connection{ClientName: "mqtop", Product: "mqtop", Version: "1.2.3", Mine: true}, "◆ mqtop (1.2.3)"},
		{mgmt.Connection{}, "–"},
	} {
		if got := connClient(tc.c); got != tc.want {
			t.Errorf("client of %+v = %q, want %q", tc.c, got, tc.want)
		}
	}
	if got := connPeer(mgmt.Connection{PeerHost: "::1", PeerPort: mgmt.C(5672)}); got != "[::1]:5672" {
		t.Errorf("IPv6 peer = %q", got)
	}
	for r, want := range map[mgmt.Rate]string{{}: "–", mgmt.R(0): "0 B", mgmt.R(0.2): "<1 B", mgmt.R(1536): "1.5 KiB", mgmt.R(3 << 20): "3.0 MiB"} {
		if got := fmtByteRate(r); got != want {
			t.Errorf("byte rate %+v = %q, want %q", r, got, want)
		}
	}
}

func TestConnectionsKeysEmitIntents(t *testing.T) {
	k := keys.Default()
	v := NewConnections(&k)
	v.SetSize(120, 10)
	v.SetPage(sampleConnections())
	want := OpenViewRequested{View: "channels", Filter: `^10\.0\.0\.5:5555 -> 10\.0\.0\.1:5672 \(`}
	if got := msgOf(v.Update(press("H"))); got != want {
		t.Errorf("H on the first connection = %#v, want %#v", got, want)
	}
	if got, want := msgOf(v.Update(press("enter"))), (DetailRequested{View: "connections", Key: sampleConnections().Rows[0].Name}); got != want {
		t.Errorf("enter on the first connection = %#v, want %#v", got, want)
	}
	v.Update(press("G"))
	raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
	if !ok || string(raw.Raw) != fmt.Sprintf(`{"name":%q}`, hostileConn) || strings.Contains(raw.Title, "\x1b") {
		t.Fatalf("y on the last connection = %#v", raw)
	}
	// The filter is the channel name's prefix: it matches the connection's
	// channels and not those of a connection whose name extends it.
	open := msgOf(v.Update(press("H"))).(OpenViewRequested)
	re := mustFilterRegexp(t, open.Filter)
	if !re.MatchString(hostileConn+" (1)") || re.MatchString(hostileConn+"x (1)") || re.MatchString("a "+hostileConn+" (1)") {
		t.Fatalf("filter %q does not pick exactly the connection's channels", open.Filter)
	}
}

func TestConnectionsSortCyclesAndCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewConnections(&k)
	v.SetSize(160, 10)
	p := sampleConnections()
	v.SetPage(p)
	for _, s := range v.Spec.Sorts {
		if _, ok := mgmt.ConnectionSort[s]; !ok {
			t.Errorf("sort key %q is not one of mgmt.ConnectionSort's", s)
		}
	}
	testSortCycle(t, v.List, v.Update, []string{"name", "client", "user", "state", "channels", "recv", "send", "vhost", "node"},
		map[string]bool{"channels": true, "recv": true, "send": true})

	v.Update(press("g"))
	v.Update(press("j")) // the mqtop connection
	chosen, _ := v.Selected()
	// A refresh in another order: the cursor stays on the connection.
	re := Page[mgmt.Connection]{Rows: []mgmt.Connection{p.Rows[3], p.Rows[2], p.Rows[0], p.Rows[1]}, Matched: 4, Total: 4}
	v.SetPage(re)
	got, ok := v.Selected()
	if !ok || got.Name != chosen.Name || v.Query().Track != chosen.Name {
		t.Fatalf("after a reordering refresh the cursor is on %q, want %q", got.Name, chosen.Name)
	}
	if msg := msgOf(v.Update(press("H"))).(OpenViewRequested); msg.Filter != ChannelsOfConnection(chosen.Name) {
		t.Fatalf("enter after the reorder opened %#v", msg)
	}
}

func mustFilterRegexp(t *testing.T, s string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(s)
	if err != nil {
		t.Fatalf("filter %q is not a regex: %v", s, err)
	}
	return re
}

// testSortCycle presses s through every sort key in order, back to the
// first: each asks for a new query carrying the key (the short keys the
// mgmt sort maps take), names largest first (desc), names A→Z; S reverses.
func testSortCycle[T any](t *testing.T, l *List[T], update func(tea.KeyPressMsg) tea.Cmd, want []string, desc map[string]bool) {
	t.Helper()
	if q := l.Query(); q.Sort != want[0] || q.Desc {
		t.Fatalf("default order %s desc=%v, want %s ascending", q.Sort, q.Desc, want[0])
	}
	for i := range want {
		next := want[(i+1)%len(want)]
		if _, ok := msgOf(update(press("s"))).(QueryChanged); !ok {
			t.Fatalf("s did not ask for a new query")
		}
		if q := l.Query(); q.Sort != next || q.Desc != desc[next] {
			t.Fatalf("after s: sort %s desc=%v, want %s desc=%v", q.Sort, q.Desc, next, desc[next])
		}
	}
	if _, ok := msgOf(update(press("S"))).(QueryChanged); !ok || !l.Query().Desc {
		t.Fatalf("S did not reverse the order")
	}
	update(press("S"))
}
