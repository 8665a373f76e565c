package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func sampleChannels() Page[mgmt.Channel] {
	conn := "10.0.0.5:5555 -> 10.0.0.1:5672"
	rows := []mgmt.Channel{
		{Name: conn + " (1)", ConnectionName: conn, User: "orders", VHost: "/", Node: "rabbit@a", State: "running",
			Number: mgmt.C(1), Prefetch: mgmt.C(250), Unacked: mgmt.C(1234), Consumers: mgmt.C(2), Confirm: false,
			PublishRate: mgmt.R(0), DeliverRate: mgmt.R(45.5)},
		{Name: conn + " (2)", ConnectionName: conn, User: "orders", VHost: "/", Node: "rabbit@a", State: "idle",
			Number: mgmt.C(2), Prefetch: mgmt.C(0), Unacked: mgmt.C(0), Consumers: mgmt.C(0), Confirm: true,
			PublishRate: mgmt.R(120), DeliverRate: mgmt.R(0)},
		// Statistics not in yet: every count and rate unknown.
		{Name: "[::1]:40000 -> [::1]:5672 (1)", ConnectionName: "[::1]:40000 -> [::1]:5672", User: "eu-app", VHost: "eu"},
		{Name: hostileConn + " (1)", ConnectionName: hostileConn, User: "evil", VHost: "/", State: "flow", Number: mgmt.C(1),
			Prefetch: mgmt.C(10), Unacked: mgmt.C(3), Consumers: mgmt.C(1), Transactional: true, PublishRate: mgmt.R(2), DeliverRate: mgmt.R(2)},
	}
	p := Page[mgmt.Channel]{Rows: rows, Matched: len(rows), Total: len(rows)}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"name":%q}`, r.Name)))
	}
	return p
}

func TestChannelsGolden(t *testing.T) {
	k := keys.Default()
	goldenList(t, sized(NewChannels(&k), func(v *Channels) { v.SetPage(sampleChannels()) }), func(w int) []string {
		wants := []string{"1,234", "confirm", "tx", "–"}
		if w > 80 {
			wants = append(wants, `\x1b[31m`) // cut off at 80
		}
		return wants
	})
}

func TestChannelsKeysEmitIntents(t *testing.T) {
	k := keys.Default()
	v := NewChannels(&k)
	v.SetSize(120, 10)
	p := sampleChannels()
	v.SetPage(p)
	first := p.Rows[0]
	want := OpenViewRequested{View: "consumers", VHost: "/", Filter: "channel:" + first.Name}
	if got := msgOf(v.Update(press("C"))); got != want {
		t.Errorf("C on the first channel = %#v, want %#v", got, want)
	}
	if got := msgOf(v.Update(press("enter"))); got != (DetailRequested{View: "channels", Key: first.Name}) {
		t.Errorf("enter on the first channel = %#v, want its detail page", got)
	}
	if name, ok := ConsumersChannel(want.Filter); !ok || name != first.Name {
		t.Errorf("the consumers filter reads back as %q, %v", name, ok)
	}
	if _, ok := ConsumersChannel("orders"); ok {
		t.Error("a plain regex read as a channel")
	}
	conn := OpenViewRequested{View: "connections", Filter: `^10\.0\.0\.5:5555 -> 10\.0\.0\.1:5672$`}
	if got := msgOf(v.Update(press("O"))); got != conn {
		t.Errorf("O = %#v, want %#v", got, conn)
	}
	v.Update(press("G"))
	raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
	if !ok || string(raw.Raw) != fmt.Sprintf(`{"name":%q}`, hostileConn+" (1)") {
		t.Fatalf("y on the last channel = %#v", raw)
	}
	re := mustFilterRegexp(t, msgOf(v.Update(press("O"))).(OpenViewRequested).Filter)
	if !re.MatchString(hostileConn) || re.MatchString(hostileConn+" ") {
		t.Fatal("O's filter does not match exactly the channel's connection")
	}
}

func TestChannelsSortCyclesAndCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewChannels(&k)
	v.SetSize(160, 10)
	p := sampleChannels()
	v.SetPage(p)
	for _, s := range v.Spec.Sorts {
		if _, ok := mgmt.ChannelSort[s]; !ok {
			t.Errorf("sort key %q is not one of mgmt.ChannelSort's", s)
		}
	}
	testSortCycle(t, v.List, v.Update, []string{"name", "unacked", "prefetch", "consumers", "in", "out", "user", "state", "vhost"},
		map[string]bool{"unacked": true, "prefetch": true, "consumers": true, "in": true, "out": true})
	v.Update(press("g"))
	v.Update(press("j"))
	v.Update(press("j"))
	chosen, _ := v.Selected()
	v.SetPage(Page[mgmt.Channel]{Rows: []mgmt.Channel{p.Rows[2], p.Rows[3], p.Rows[0], p.Rows[1]}, Matched: 4, Total: 4})
	if got, ok := v.Selected(); !ok || got.Name != chosen.Name {
		t.Fatalf("after a reordering refresh the cursor is on %q, want %q", got.Name, chosen.Name)
	}
	if out := ansi.Strip(v.View()); !strings.Contains(out, "1/4 channels") {
		t.Fatalf("the position line does not follow the row:\n%s", out)
	}
}
