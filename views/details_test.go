package views

import (
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/mgmt"
)

const evil = "evil\x1b]52;c;aGk=\x07\u202ename\x1b[31m"

func assertClean(t *testing.T, page string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u202e"} {
		if strings.Contains(page, bad) {
			t.Fatalf("page holds %q:\n%s", bad, page)
		}
	}
}

func lineWith(t *testing.T, page, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no line starting %q in:\n%s", prefix, page)
	return ""
}

func TestConnectionDetailShowsClientPropertiesAndChannels(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c := mgmt.Connection{Name: "10.0.0.5:5555 -> 10.0.0.1:5672", User: "app", VHost: "/", Node: "rabbit@a", State: "blocked",
		Protocol: "AMQP 0-9-1", Type: "network", PeerHost: "10.0.0.5", PeerPort: mgmt.C(5555), TLS: true, Mine: true,
		ConnectedAt: mgmt.C(now.Add(-90 * time.Second).UnixMilli()), RecvRate: mgmt.R(2048),
		ClientProperties: mgmt.Table{"connection_name": evil, "product": "mqtop", "capabilities": map[string]any{"publisher_confirms": true}}}
	chans := []mgmt.Channel{{Number: mgmt.C(1), State: "running", Prefetch: mgmt.C(10), Unacked: mgmt.C(3), Consumers: mgmt.C(1), Confirm: true, PublishRate: mgmt.R(5)},
		{Number: mgmt.C(2), State: "idle"}}
	page := ConnectionDetail(c, chans, now)
	assertClean(t, page)
	if l := lineWith(t, page, "connected"); !strings.Contains(l, "2026-12-03 11:58:30 UTC (1m30s ago)") {
		t.Errorf("connected line %q", l)
	}
	if l := lineWith(t, page, "opened by"); !strings.Contains(l, "mqtop") {
		t.Errorf("own connection not marked: %q", l)
	}
	if l := lineWith(t, page, "recv / send"); l != "recv / send        2.0 KiB/s / –/s" {
		t.Errorf("rates %q (an unknown rate must be a dash, not 0)", l)
	}
	if l := lineWith(t, page, "capabilities"); !strings.Contains(l, "publisher_confirms") {
		t.Errorf("nested client property %q", l)
	}
	if !strings.Contains(page, "Channels (2)") {
		t.Error("no channel count")
	}
	row := strings.Fields(lineWith(t, page, "1 "))
	if strings.Join(row, " ") != "1 running 10 3 – 1 yes 5.0 –" {
		t.Errorf("channel row %q", row)
	}
	if row := strings.Fields(lineWith(t, page, "2 ")); strings.Join(row, " ") != "2 idle – – – – no – –" {
		t.Errorf("channel of unknown counts %q", row)
	}
	empty := ConnectionDetail(mgmt.Connection{Name: "direct"}, nil, now)
	for _, want := range []string{"none sent", "none open", "peer               –"} {
		if !strings.Contains(empty, want) {
			t.Errorf("a bare connection's page lacks %q:\n%s", want, empty)
		}
	}
}

func TestChannelDetailListsConsumers(t *testing.T) {
	ch := mgmt.Channel{Name: "c (1)", ConnectionName: "c", Number: mgmt.C(1), Prefetch: mgmt.C(10), GlobalPrefetch: mgmt.C(0), Unacked: mgmt.C(4)}
	cons := []mgmt.ChannelConsumer{{Tag: evil, Queue: "orders", AckRequired: true, Active: true, Status: "up", Prefetch: mgmt.C(10), Arguments: mgmt.Table{"x-priority": float64(5)}},
		{Tag: "standby", Queue: "orders", Active: false, Status: "waiting"}}
	page := ChannelDetail(ch, cons)
	assertClean(t, page)
	if l := lineWith(t, page, "prefetch"); l != "prefetch           10 per consumer, 0 per channel" {
		t.Errorf("prefetch %q", l)
	}
	if l := lineWith(t, page, "standby"); strings.Join(strings.Fields(l), " ") != "standby orders auto – no (waiting) no" {
		t.Errorf("standby consumer %q", l)
	}
	if !strings.Contains(page, "x-priority: 5") || !strings.Contains(page, "Consumers (2)") {
		t.Errorf("consumers section:\n%s", page)
	}
	if !strings.Contains(ChannelDetail(ch, nil), "Consumers (0)\n  none") {
		t.Error("no consumers not said")
	}
}

func TestUserDetailSaysWhatEmptyRegexesMean(t *testing.T) {
	u := mgmt.User{Name: evil, Tags: []string{"monitoring"}, Permissions: []mgmt.Permission{{VHost: "/", Configure: "", Write: "^amq\\.", Read: ".*"}}}
	topic := []mgmt.TopicPermission{{VHost: "/", Exchange: "amq.topic", Write: "^kern\\.", Read: ""}}
	page := UserDetail(u, topic)
	assertClean(t, page)
	if l := strings.Join(strings.Fields(lineWith(t, page, "/  ")), " "); l != `/ "" (nothing) ^amq\. .*` {
		t.Errorf("permission row %q", l)
	}
	if l := strings.Join(strings.Fields(lineWith(t, page, "/      amq.topic")), " "); l != `/ amq.topic ^kern\. "" (nothing)` {
		t.Errorf("topic permission row %q", l)
	}
	bare := UserDetail(mgmt.User{Name: "nobody"}, nil)
	for _, want := range []string{"no tags", "none: the user can open no vhost", "Topic permissions (0)"} {
		if !strings.Contains(bare, want) {
			t.Errorf("a bare user's page lacks %q:\n%s", want, bare)
		}
	}
}

func TestVHostDetailShowsLimits(t *testing.T) {
	h := mgmt.VHost{Name: evil, Description: "orders", Queues: mgmt.C(12), Messages: mgmt.C(30), Ready: mgmt.C(20), Unacked: mgmt.C(10),
		ClusterState: map[string]string{"rabbit@b": "stopped", "rabbit@a": "running"}}
	page := VHostDetail(h, map[string]int64{"max-queues": 100, "max-connections": 0})
	assertClean(t, page)
	checks := map[string]string{
		"max-connections": "max-connections    0 (none allowed)",
		"max-queues":      "max-queues         100",
		"messages":        "messages           30 (20 ready, 10 unacked)",
		"state":           "state              rabbit@a: running, rabbit@b: stopped",
		"default queue":   "default queue type –",
	}
	for prefix, want := range checks {
		if l := lineWith(t, page, prefix); l != want {
			t.Errorf("%q, want %q", l, want)
		}
	}
	free := VHostDetail(mgmt.VHost{Name: "x"}, map[string]int64{})
	if l := lineWith(t, free, "max-queues"); l != "max-queues         no limit" {
		t.Errorf("no limit: %q", l)
	}
	if l := lineWith(t, free, "queues"); l != "queues             –" {
		t.Errorf("unknown queue count: %q", l)
	}
}
