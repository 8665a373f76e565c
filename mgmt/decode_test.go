package mgmt

import (
	"encoding/json"
	"testing"
)

// A 3.13+ style row: null fields omitted, no message_stats, arguments as [].
const sparseQueue = `{"name":"orders","vhost":"/","type":"quorum","arguments":[],"durable":true,"leader":"rabbit@a","members":["rabbit@a","rabbit@b"],"online":["rabbit@a"]}`

// A 3.10 style row with stats and a queue in a state without counts.
const fullQueue = `{"name":"q","vhost":"v","state":"running","messages":15,"messages_ready":12,"messages_unacknowledged":3,"consumers":2,
"auto_delete":"undefined","exclusive_consumer_tag":null,"policy":null,
"message_stats":{"publish":40,"publish_details":{"rate":2.5},"deliver_get_details":{"rate":1.25},"ack_details":{"rate":1.0}},
"arguments":{"x-max-length":1000,"x-dead-letter-exchange":"dlx"}}`

func TestDecodeSparseQueue(t *testing.T) {
	q, err := decodeQueue(json.RawMessage(sparseQueue))
	if err != nil {
		t.Fatal(err)
	}
	if q.Ready.OK || q.Messages.OK || q.Consumers.OK || q.PublishRate.OK {
		t.Fatalf("absent stats must be unknown, got %+v", q)
	}
	if q.Type != "quorum" || q.Leader != "rabbit@a" || len(q.Members) != 2 || len(q.Online) != 1 {
		t.Fatalf("placement wrong: %+v", q)
	}
	if q.Arguments != nil {
		t.Fatalf("[] arguments should decode as empty, got %#v", q.Arguments)
	}
}

func TestDecodeFullQueue(t *testing.T) {
	q, err := decodeQueue(json.RawMessage(fullQueue))
	if err != nil {
		t.Fatal(err)
	}
	if q.Messages != C(15) || q.Ready != C(12) || q.Unacked != C(3) || q.Consumers != C(2) {
		t.Fatalf("counts wrong: %+v", q)
	}
	if q.PublishRate != R(2.5) || q.DeliverRate != R(1.25) || q.AckRate != R(1) {
		t.Fatalf("rates wrong: %+v %+v %+v", q.PublishRate, q.DeliverRate, q.AckRate)
	}
	if q.AutoDelete || q.Policy != "" || q.Arguments["x-dead-letter-exchange"] != "dlx" {
		t.Fatalf("flags or arguments wrong: %+v", q)
	}
	if q.Type != "classic" {
		t.Fatalf("missing type should default to classic, got %q", q.Type)
	}
	if string(q.Raw) != fullQueue {
		t.Fatal("raw JSON not kept for the y view")
	}
}

func TestTotalDerivedFromReadyAndUnacked(t *testing.T) {
	q, _ := decodeQueue(json.RawMessage(`{"name":"a","messages_ready":4,"messages_unacknowledged":1}`))
	if q.Messages != C(5) {
		t.Fatalf("total = %+v", q.Messages)
	}
}

func TestDecodeOverviewWithoutStats(t *testing.T) {
	o, err := decodeOverview(json.RawMessage(`{"cluster_name":"c","rabbitmq_version":"4.1.0","disable_stats":true,"object_totals":{"queues":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Ready.OK || o.PublishRate.OK || !o.StatsDisabled || o.Queues != C(3) {
		t.Fatalf("overview wrong: %+v", o)
	}
}

func TestPageFor(t *testing.T) {
	cases := []struct{ off, lim, size, page int }{
		{0, 20, 20, 1}, {20, 20, 20, 2}, {5, 20, 25, 1}, {30, 20, 25, 2}, {0, 600, 500, 1},
	}
	for _, c := range cases {
		size, page := pageFor(c.off, c.lim)
		if size != c.size || page != c.page {
			t.Errorf("pageFor(%d,%d) = %d,%d want %d,%d", c.off, c.lim, size, page, c.size, c.page)
		}
		if c.lim <= MaxPageSize {
			first := (page - 1) * size
			if first > c.off || first+size < c.off+c.lim {
				t.Errorf("pageFor(%d,%d) does not cover the window", c.off, c.lim)
			}
		}
	}
}

func TestSortIndex(t *testing.T) {
	rows := []IndexEntry{{VHost: "/", Name: "b", Messages: 5}, {VHost: "/", Name: "a", Messages: 5}, {VHost: "x", Name: "c", Messages: 9}, {VHost: "/", Name: "d", Messages: 1}}
	SortIndex(rows, SortMessages, true)
	got := []string{rows[0].Name, rows[1].Name, rows[2].Name, rows[3].Name}
	want := []string{"c", "a", "b", "d"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("by messages desc = %v, want %v", got, want)
		}
	}
	SortIndex(rows, SortName, false)
	if rows[0].Name != "a" || rows[3].Name != "d" {
		t.Fatalf("by name = %+v", rows)
	}
}

func TestRedactURL(t *testing.T) {
	if got := RedactURL("http://u:s3cret@h:15672/api"); got != "http://u:xxxxx@h:15672/api" {
		t.Fatalf("RedactURL = %q", got)
	}
}

func TestEffectiveDeliveryLimit(t *testing.T) {
	cases := []struct {
		args, eff Table
		version   string
		want      int
	}{
		{nil, nil, "3.10.8", 0},
		{nil, nil, "4.0.5", 20},
		{Table{"x-delivery-limit": float64(5)}, nil, "4.1.0", 5},
		{nil, Table{"delivery-limit": float64(7)}, "3.13.0", 7},
		{Table{"x-delivery-limit": float64(-1)}, nil, "4.0.0", 0},
	}
	for _, c := range cases {
		q := Queue{Arguments: c.args, Effective: c.eff}
		if got := EffectiveDeliveryLimit(q, c.version); got != c.want {
			t.Errorf("%v / %v on %s: %d, want %d", c.args, c.eff, c.version, got, c.want)
		}
	}
}
