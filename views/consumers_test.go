package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func consumerRow(vh, queue, tag, conn string, n int64, ack bool, prefetch mgmt.Count, status string) mgmt.ConsumerRow {
	r := mgmt.ConsumerRow{VHost: vh, Queue: queue, ActivityStatus: status,
		Consumer: mgmt.Consumer{Tag: tag, AckRequired: ack, Prefetch: prefetch, ConnectionName: conn, User: "orders"}}
	if conn != "" {
		r.ChannelName, r.ChannelNumber = fmt.Sprintf("%s (%d)", conn, n), mgmt.C(n)
	}
	switch status {
	case "up", "single_active":
		r.Active, r.ActiveKnown = true, true
	case "waiting":
		r.ActiveKnown = true
	}
	return r
}

func sampleConsumers() Page[mgmt.ConsumerRow] {
	conn := "10.0.0.5:5555 -> 10.0.0.1:5672"
	rows := []mgmt.ConsumerRow{
		consumerRow("/", "orders", "amq.ctag-4aZxFqS2Tn1PpG0Jd-8Wlw", conn, 1, true, mgmt.C(250), "up"),
		consumerRow("/", "orders.sac", "worker-1", conn, 2, true, mgmt.C(10), "single_active"),
		consumerRow("/", "orders.sac", "worker-2", hostileConn, 1, true, mgmt.C(10), "waiting"),
		// The channel is closing: no channel details, nothing said about activity.
		consumerRow("eu", "eu.notifications", "ctag-\x1b[31mred", "", 0, false, mgmt.Count{}, ""),
	}
	p := Page[mgmt.ConsumerRow]{Rows: rows, Matched: len(rows), Total: len(rows)}
	for _, r := range rows {
		p.Raw = append(p.Raw, []byte(fmt.Sprintf(`{"consumer_tag":%q}`, r.Tag)))
	}
	return p
}

func TestConsumersGolden(t *testing.T) {
	k := keys.Default()
	goldenList(t, sized(NewConsumers(&k), func(v *Consumers) { v.SetPage(sampleConsumers()) }), func(int) []string {
		return []string{"waiting", "yes (SAC)", "manual", "auto", "–", `\x1b[31m`}
	})
}

func TestConsumerCells(t *testing.T) {
	r := consumerRow("/", "q", "t", "10.0.0.5:5555 -> 10.0.0.1:5672", 7, true, mgmt.C(1), "up")
	if got := shortChannel(r); got != "10.0.0.5:5555 (7)" {
		t.Errorf("channel shown as %q", got)
	}
	r.ChannelName = "<rabbit@a.1699.0> (1)" // a direct connection's
	if got := shortChannel(r); got != r.ChannelName {
		t.Errorf("direct channel shown as %q", got)
	}
	for _, tc := range []struct {
		r    mgmt.ConsumerRow
		want string
	}{
		{mgmt.ConsumerRow{}, "–"},
		{mgmt.ConsumerRow{ActiveKnown: true}, "no"},
		{mgmt.ConsumerRow{ActiveKnown: true, Consumer: mgmt.Consumer{Active: true}}, "yes"},
		{mgmt.ConsumerRow{ActiveKnown: true, ActivityStatus: "waiting"}, "waiting"},
	} {
		if got := consActive(tc.r); got != tc.want {
			t.Errorf("active of %+v = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestConsumersKeysEmitIntents(t *testing.T) {
	k := keys.Default()
	v := NewConsumers(&k)
	v.SetSize(120, 10)
	p := sampleConsumers()
	v.SetPage(p)
	ch := OpenViewRequested{View: "channels", Filter: `^10\.0\.0\.5:5555 -> 10\.0\.0\.1:5672 \(1\)$`}
	for _, key := range []string{"enter", "H"} {
		if got := msgOf(v.Update(press(key))); got != ch {
			t.Errorf("%s on the first consumer = %#v, want %#v", key, got, ch)
		}
	}
	if !mustFilterRegexp(t, ch.Filter).MatchString(p.Rows[0].ChannelName) {
		t.Error("the channel filter does not match the channel")
	}
	conn := OpenViewRequested{View: "connections", Filter: `^10\.0\.0\.5:5555 -> 10\.0\.0\.1:5672$`}
	if got := msgOf(v.Update(press("O"))); got != conn {
		t.Errorf("O = %#v, want %#v", got, conn)
	}
	v.Update(press("G")) // no channel details: nowhere to go, but its JSON
	for _, key := range []string{"enter", "H", "O"} {
		if got := msgOf(v.Update(press(key))); got != nil {
			t.Errorf("%s on a consumer without a channel = %#v", key, got)
		}
	}
	raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
	if !ok || string(raw.Raw) != fmt.Sprintf(`{"consumer_tag":%q}`, p.Rows[3].Tag) || strings.Contains(raw.Title, "\x1b") {
		t.Fatalf("y on the last consumer = %#v", raw)
	}
}

func TestConsumersSortCyclesAndCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewConsumers(&k)
	v.SetSize(160, 10)
	p := sampleConsumers()
	v.SetPage(p)
	for _, s := range v.Spec.Sorts {
		if _, ok := mgmt.ConsumerSort[s]; !ok {
			t.Errorf("sort key %q is not one of mgmt.ConsumerSort's", s)
		}
	}
	testSortCycle(t, v.List, v.Update, []string{"queue", "tag", "channel", "prefetch", "active"},
		map[string]bool{"prefetch": true, "active": true})
	// Two consumers of one queue differ by tag and channel: the cursor
	// follows the one chosen, not the queue.
	v.Update(press("g"))
	v.Update(press("j"))
	v.Update(press("j"))
	chosen, _ := v.Selected()
	v.SetPage(Page[mgmt.ConsumerRow]{Rows: []mgmt.ConsumerRow{p.Rows[2], p.Rows[1], p.Rows[3], p.Rows[0]}, Matched: 4, Total: 4})
	if got, ok := v.Selected(); !ok || got.Tag != chosen.Tag || got.Tag != "worker-2" {
		t.Fatalf("after a reordering refresh the cursor is on %q, want %q", got.Tag, chosen.Tag)
	}
}
