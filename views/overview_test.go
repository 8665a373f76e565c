package views

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

const (
	gib = 1 << 30
	mib = 1 << 20
)

// hostileNode is a node name that tries to colour the terminal.
const hostileNode = "rabbit@\x1b[31mevil"

func sampleNodes() Page[mgmt.Node] {
	day := int64(24 * time.Hour / time.Millisecond)
	rows := []mgmt.Node{
		{Name: "rabbit@a", Type: "disc", Running: true, Uptime: mgmt.C(3*day + 2*3600*1000),
			MemUsed: mgmt.C(1 * gib), MemLimit: mgmt.C(4 * gib), DiskFree: mgmt.C(120 * gib), DiskFreeLimit: mgmt.C(50 * mib),
			FDUsed: mgmt.C(120), FDTotal: mgmt.C(1048576), SocketsUsed: mgmt.C(40), SocketsTotal: mgmt.C(943626),
			ProcUsed: mgmt.C(612), ProcTotal: mgmt.C(1048576)},
		// Over its memory watermark: publishers are blocked.
		{Name: "rabbit@b", Type: "disc", Running: true, Uptime: mgmt.C(45 * 60 * 1000), MemAlarm: true,
			MemUsed: mgmt.C(5 * gib), MemLimit: mgmt.C(4 * gib), DiskFree: mgmt.C(30 * mib), DiskFreeLimit: mgmt.C(50 * mib), DiskAlarm: true,
			FDUsed: mgmt.C(900), FDTotal: mgmt.C(1024), SocketsUsed: mgmt.C(800), SocketsTotal: mgmt.C(829),
			ProcUsed: mgmt.C(2000), ProcTotal: mgmt.C(1048576)},
		// Stopped: the broker knows nothing of it but its name.
		{Name: "rabbit@c", Type: "disc"},
		// Partitioned from rabbit@a; limits unknown.
		{Name: hostileNode, Running: true, Uptime: mgmt.C(90 * 1000), MemUsed: mgmt.C(256 * mib),
			FDUsed: mgmt.C(10), SocketsUsed: mgmt.C(0), SocketsTotal: mgmt.C(0), Partitions: mgmt.Strings{"rabbit@a", "x\x1b[31m"}},
	}
	p := Page[mgmt.Node]{Rows: rows, Matched: len(rows), Total: len(rows)}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"name":%q,"running":%v}`, r.Name, r.Running)))
	}
	return p
}

func TestOverviewGolden(t *testing.T) {
	k := keys.Default()
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			v := NewOverview(&k)
			v.SetSize(size[0], size[1])
			v.SetPage(sampleNodes())
			v.SetRates([]float64{0, 10, 20, 40, 80, 160, 120.5}, []float64{0, 5, 10, 20, 40, 80, 98})
			out := v.View()
			checkListScreen(t, out, size[0], size[1])
			plain := ansi.Strip(out)
			wants := []string{"publish/s 120", "deliver/s 98", "▁", "█", "[█···]", "[██··]", "–/–", "MEMORY DISK", `rabbit@\x1b[3`, "1/4 nodes"}
			if size[0] > 80 {
				// UPTIME, FD, SOCKETS, PROCS, PARTITIONS drop at 80.
				wants = append(wants, "3d2h", "45m00s", "rabbit@a,x", "900/1,024", "800/829", "612/1,048,576")
			} else {
				for _, gone := range []string{"UPTIME", "FD", "SOCKETS", "PROCS", "PARTITIONS"} {
					if strings.Contains(plain, gone) {
						t.Errorf("%s shown at %d columns", gone, size[0])
					}
				}
			}
			for _, want := range wants {
				if !strings.Contains(plain, want) {
					t.Errorf("no %q in\n%s", want, plain)
				}
			}
			golden.RequireEqual(t, []byte(plain))
		})
	}
}

func nodeCell(t *testing.T, v *Overview, title string, n mgmt.Node) string {
	t.Helper()
	for _, c := range v.Spec.Columns {
		if c.Title == title {
			return c.Cell(n)
		}
	}
	t.Fatalf("no column %s", title)
	return ""
}

// Each column's cell: usage bars of how full, unknown counts a dash, the
// alarms by name, the partitions listed.
func TestOverviewNodeCells(t *testing.T) {
	k := keys.Default()
	v := NewOverview(&k)
	p := sampleNodes()
	a, b, c, evil := p.Rows[0], p.Rows[1], p.Rows[2], p.Rows[3]
	for _, tc := range []struct {
		col  string
		n    mgmt.Node
		want string
	}{
		{"NODE", a, "rabbit@a"},
		{"NODE", evil, `rabbit@\x1b[31mevil`},
		{"RUNNING", a, "yes"},
		{"RUNNING", c, "DOWN"},
		{"UPTIME", a, "3d2h"},
		{"UPTIME", b, "45m00s"},
		{"UPTIME", evil, "1m30s"},
		{"UPTIME", c, "–"},
		{"MEMORY", a, "[█···]1.0 GiB/4.0 GiB"},
		{"MEMORY", b, "[████]5.0 GiB/4.0 GiB"}, // over the limit: the bar stops full
		{"MEMORY", c, "–/–"},
		{"MEMORY", evil, "256 MiB/–"}, // no limit: no bar
		{"DISK FREE", a, "[████]120 GiB/50 MiB"},
		{"DISK FREE", b, "[██··]30 MiB/50 MiB"},
		{"DISK FREE", c, "–/–"},
		{"FD", a, "120/1,048,576"},
		{"FD", c, "–/–"},
		{"FD", evil, "10/–"},
		{"SOCKETS", b, "800/829"},
		{"SOCKETS", evil, "0/0"},
		{"PROCS", a, "612/1,048,576"},
		{"ALARMS", a, "none"},
		{"ALARMS", b, "MEMORY DISK"},
		{"ALARMS", mgmt.Node{DiskAlarm: true}, "DISK"},
		{"ALARMS", mgmt.Node{MemAlarm: true}, "MEMORY"},
		{"PARTITIONS", a, ""},
		{"PARTITIONS", evil, `rabbit@a,x\x1b[31m`},
	} {
		if got := nodeCell(t, v, tc.col, tc.n); got != tc.want {
			t.Errorf("%s of %q = %q, want %q", tc.col, tc.n.Name, got, tc.want)
		}
	}
	// A zero limit draws no bar (and does not divide by zero).
	if got := usage(mgmt.C(5), mgmt.C(0), FmtCount); got != "5/0" {
		t.Errorf("usage over a zero limit = %q", got)
	}
}

// A node that needs the operator's eye is highlighted: stopped, in an
// alarm, partitioned. A healthy one is not.
func TestOverviewHighlightsTroubledNodes(t *testing.T) {
	k := keys.Default()
	v := NewOverview(&k)
	v.SetSize(160, 12)
	p := sampleNodes()
	v.SetPage(p)
	for i, want := range []bool{false, true, true, true} {
		if got := v.Spec.Highlight(p.Rows[i]); got != want {
			t.Errorf("highlight of %q = %v, want %v", p.Rows[i].Name, got, want)
		}
	}
	for _, n := range []mgmt.Node{{Running: true, DiskAlarm: true}, {Running: true, MemAlarm: true}} {
		if !v.Spec.Highlight(n) {
			t.Errorf("%+v not highlighted", n)
		}
	}
	// Off the cursor, rabbit@b (memory alarm) is drawn in the attention
	// style and the healthy rabbit@a, once the cursor leaves it, plainly.
	v.Update(press("G"))
	lines := strings.Split(v.View(), "\n")
	row := func(name string) string {
		for _, l := range lines {
			if strings.HasPrefix(ansi.Strip(l), name+" ") {
				return l
			}
		}
		t.Fatalf("no row %s in\n%s", name, ansi.Strip(v.View()))
		return ""
	}
	if a := row("rabbit@a"); strings.Contains(a, "\x1b[") {
		t.Errorf("healthy rabbit@a styled: %q", a)
	}
	if b := row("rabbit@b"); !strings.Contains(b, "\x1b[") || ansi.Strip(b) == b {
		t.Errorf("rabbit@b in a memory alarm is not highlighted: %q", b)
	}
}

// The rate charts above the nodes: the last value and a sparkline of the
// session, or a dash before the first sample.
func TestOverviewRates(t *testing.T) {
	k := keys.Default()
	v := NewOverview(&k)
	v.SetSize(80, 24)
	v.SetPage(sampleNodes())
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	if lines[0] != "publish/s –        " || lines[1] != "deliver/s –        " {
		t.Fatalf("no rates yet:\n%q\n%q", lines[0], lines[1])
	}
	if !strings.Contains(lines[2], "averages over the session") || !strings.HasPrefix(lines[3], "NETWORK PARTITION: rabbit@") || !strings.HasPrefix(lines[4], "NODE") {
		t.Fatalf("chart head:\n%s", strings.Join(lines[:5], "\n"))
	}
	v.SetRates([]float64{0, 1, 2, 3, 4, 5, 6, 7}, []float64{7, 7, 7, 7})
	lines = strings.Split(ansi.Strip(v.View()), "\n")
	if want := "publish/s 7.0      ▁▂▃▄▅▆▇█"; lines[0] != want {
		t.Errorf("publish line %q, want %q", lines[0], want)
	}
	if want := "deliver/s 7.0      ▅▅▅▅"; lines[1] != want {
		t.Errorf("deliver line %q, want %q", lines[1], want)
	}
	// A long session: the sparkline keeps the newest values that fit.
	long := make([]float64, 500)
	for i := range long {
		long[i] = float64(i % 8)
	}
	v.SetRates(long, long)
	for _, l := range strings.Split(ansi.Strip(v.View()), "\n")[:2] {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("rate line %d cells wide: %q", w, l)
		}
	}
	// The charts take chartLines rows: the list keeps the rest.
	if got := v.RowsVisible(); got != 24-chartLines-2 {
		t.Errorf("rows visible %d", got)
	}
}

// enter asks for the node's detail; y its JSON.
func TestOverviewKeysEmitIntents(t *testing.T) {
	k := keys.Default()
	v := NewOverview(&k)
	v.SetSize(120, 20)
	p := sampleNodes()
	v.SetPage(p)
	for i, n := range p.Rows {
		if i > 0 {
			v.Update(press("j"))
		}
		if got := msgOf(v.Update(press("enter"))); got != (DetailRequested{View: "overview", Key: n.Name}) {
			t.Errorf("enter on %q = %#v", n.Name, got)
		}
		raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
		if !ok || string(raw.Raw) != string(p.Raw[i]) || raw.Title != "node "+Clean(n.Name) {
			t.Errorf("y on %q = %#v", n.Name, raw)
		}
	}
	// The sort: by name only; S reverses it.
	if s, desc := v.Sort(); s != "name" || desc {
		t.Fatalf("sort %s desc=%v", s, desc)
	}
	if _, ok := msgOf(v.Update(press("S"))).(QueryChanged); !ok || !v.Query().Desc {
		t.Fatal("S did not reverse the order")
	}
	// The cursor follows the node across a reordering refresh.
	v.Update(press("g"))
	v.Update(press("j")) // rabbit@b
	v.SetPage(Page[mgmt.Node]{Rows: []mgmt.Node{p.Rows[3], p.Rows[2], p.Rows[1], p.Rows[0]}, Matched: 4, Total: 4})
	if n, ok := v.Selected(); !ok || n.Name != "rabbit@b" {
		t.Fatalf("after the reorder the cursor is on %q", n.Name)
	}
	if got := msgOf(v.Update(press("enter"))); got != (DetailRequested{View: "overview", Key: "rabbit@b"}) {
		t.Fatalf("enter after the reorder = %#v", got)
	}
	// No nodes: nothing to open.
	empty := NewOverview(&k)
	empty.SetSize(120, 20)
	empty.SetPage(Page[mgmt.Node]{})
	for _, key := range []string{"enter", "y"} {
		if msg := msgOf(empty.Update(press(key))); msg != nil {
			t.Fatalf("%s on no node = %#v", key, msg)
		}
	}
}

// A terminal too short for the charts still gets a list of a few rows.
func TestOverviewShortTerminal(t *testing.T) {
	k := keys.Default()
	v := NewOverview(&k)
	v.SetSize(80, 5)
	v.SetPage(sampleNodes())
	if got := v.RowsVisible(); got != 1 {
		t.Fatalf("rows visible %d", got)
	}
	if out := ansi.Strip(v.View()); !strings.Contains(out, "rabbit@a") {
		t.Fatalf("no node on a short terminal:\n%s", out)
	}
}

// A cluster mid-upgrade and a node that may not be stopped are said above
// the nodes; the QUORUM column shows only where the check answered.
func TestOverviewClusterWarnings(t *testing.T) {
	nodes := []mgmt.Node{
		{Name: "rabbit@a", Running: true, Version: "3.13.7", QuorumChecked: true},
		{Name: "rabbit@b", Running: true, Version: "4.0.5", QuorumChecked: true, QuorumCritical: "There are queues with minimum online quorum"},
		{Name: "rabbit@c", Running: true, Version: "3.13.7"},
	}
	ws := clusterWarnings(nodes)
	if len(ws) != 2 || ws[0] != "mixed RabbitMQ versions (3.13.7 on 2, 4.0.5 on 1): an upgrade in progress?" ||
		ws[1] != "rabbit@b is quorum-critical: There are queues with minimum online quorum" {
		t.Fatalf("warnings %q", ws)
	}
	for i, want := range []string{"ok", "CRITICAL", ""} {
		if got := quorumCell(nodes[i]); got != want {
			t.Errorf("QUORUM of %s = %q, want %q", nodes[i].Name, got, want)
		}
	}
	k := keys.Default()
	v := NewOverview(&k)
	v.SetSize(160, 12)
	v.SetPage(Page[mgmt.Node]{Rows: nodes, Matched: 3, Total: 3})
	out := ansi.Strip(v.View())
	if !strings.Contains(out, "mixed RabbitMQ versions") || !strings.Contains(out, "(+1 more") || !strings.Contains(out, "QUORUM") || !v.Spec.Highlight(nodes[1]) {
		t.Fatalf("overview of a mixed, quorum-critical cluster:\n%s", out)
	}
	if clusterWarnings(nodes[:1]) != nil {
		t.Fatal("a healthy node warned about")
	}
}
