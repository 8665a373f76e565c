package views

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func vhostsPage() Page[mgmt.VHost] {
	rows := []mgmt.VHost{
		{Name: "/", Description: "Default virtual host", DefaultQueueType: "classic", Queues: mgmt.C(12),
			Ready: mgmt.C(1200), Unacked: mgmt.C(3), Messages: mgmt.C(1203)},
		{Name: adminHostile, Description: "desc \x1b[31mred", Tags: []string{"x\x1b[31m"}, Queues: mgmt.C(1),
			ClusterState: map[string]string{"rabbit@a": "running", "rabbit@b": "stopped"}}, // counts unknown
		{Name: "orders", Description: "orders of the EU shop, quorum by default", DefaultQueueType: "quorum",
			Tags: []string{"prod", "eu"}, Ready: mgmt.C(0), Unacked: mgmt.C(0), Messages: mgmt.C(0)}, // queue count failed
		{Name: "telemetry", DefaultQueueType: "stream", Queues: mgmt.C(3), Ready: mgmt.C(1234567), Unacked: mgmt.C(89012),
			Messages: mgmt.C(1323579), ClusterState: map[string]string{"rabbit@a": "running"}},
	}
	return Page[mgmt.VHost]{Rows: rows, Raw: adminRaw(rows), Matched: len(rows), Total: len(rows)}
}

func TestVHostsGolden(t *testing.T) {
	k := keys.Default()
	v := NewVHosts(&k)
	v.SetSize(80, 24)
	v.SetPage(vhostsPage())
	adminGolden(t, v)
}

func TestVHostsKeys(t *testing.T) {
	k := keys.Default()
	v := NewVHosts(&k)
	v.SetSize(120, 24)
	p := vhostsPage()
	v.SetPage(p)
	v.Update(press("j"))
	v.Update(press("j"))
	if got := msgOf(v.Update(press("enter"))); got != (DetailRequested{View: "vhosts", Key: "orders"}) {
		t.Fatalf("enter = %#v, want the vhost's detail page", got)
	}
	open, ok := msgOf(v.Update(press("Q"))).(OpenViewRequested)
	if !ok || open != (OpenViewRequested{View: "queues", VHost: "orders"}) {
		t.Fatalf("Q = %#v", open)
	}
	raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
	if !ok || string(raw.Raw) != string(p.Raw[2]) {
		t.Fatalf("y = %#v", raw)
	}
	// s cycles through mgmt.VHostSort's keys: name A→Z, then the counts
	// largest first.
	for _, want := range []struct {
		sort string
		desc bool
	}{{"messages", true}, {"ready", true}, {"unacked", true}, {"name", false}} {
		if _, ok := msgOf(v.Update(press("s"))).(QueryChanged); !ok {
			t.Fatal("s did not ask for a new query")
		}
		if s, desc := v.Sort(); s != want.sort || desc != want.desc {
			t.Fatalf("sort = %s desc=%v, want %+v", s, desc, want)
		}
		if _, ok := mgmt.VHostSort[want.sort]; !ok {
			t.Fatalf("sort %s is not one mgmt.ListVHosts knows", want.sort)
		}
	}
	v.Update(press("S"))
	if q := v.Query(); q.Sort != "name" || !q.Desc {
		t.Fatalf("S: query sort = %s desc=%v", q.Sort, q.Desc)
	}
}

// Unknown counts are a dash, never 0; a vhost down on a node is marked.
func TestVHostsUnknownIsADash(t *testing.T) {
	k := keys.Default()
	v := NewVHosts(&k)
	v.SetSize(160, 24)
	v.SetPage(vhostsPage())
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	evil := lines[2]
	if strings.Contains(evil, " 0 ") || strings.Count(evil, "–") < 4 {
		t.Errorf("unknown counts not dashes: %q", evil)
	}
	if orders := lines[3]; !strings.Contains(orders, "–") {
		t.Errorf("orders' failed queue count not a dash: %q", orders)
	}
	if !strings.Contains(lines[len(lines)-1], "not running on every node") {
		t.Errorf("position line does not explain the highlight: %q", lines[len(lines)-1])
	}
}

func TestVHostsCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewVHosts(&k)
	v.SetSize(120, 24)
	p := vhostsPage()
	v.SetPage(p)
	v.Update(press("G")) // telemetry
	// Sorted by messages, largest first, it comes first.
	v.Update(press("s"))
	re := Page[mgmt.VHost]{Rows: []mgmt.VHost{p.Rows[3], p.Rows[0], p.Rows[2], p.Rows[1]},
		Raw: [][]byte{p.Raw[3], p.Raw[0], p.Raw[2], p.Raw[1]}, Matched: 4, Total: 4}
	v.SetPage(re)
	h, ok := v.Selected()
	if !ok || h.Name != "telemetry" {
		t.Fatalf("after the re-sort the cursor is on %q", h.Name)
	}
	if open := msgOf(v.Update(press("Q"))).(OpenViewRequested); open.VHost != "telemetry" {
		t.Fatalf("Q opened %#v", open)
	}
}

// :vhost does not scope the vhost list, where a vhost is chosen.
func TestVHostsIgnoreTheVHostScope(t *testing.T) {
	k := keys.Default()
	v := NewVHosts(&k)
	v.SetVHost("orders")
	if v.VHost() != "" || v.Query().VHost != "" {
		t.Fatalf("vhost list scoped to %q", v.VHost())
	}
}
