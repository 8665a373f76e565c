package mgmt

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A scrape as the plugin writes it, with the cases a line parser can get
// wrong: escapes in label values, a timestamp, float syntax, other families
// and labels, a sample without a queue label, label order.
const promSample = `# TYPE rabbitmq_detailed_queue_messages_ready gauge
# HELP rabbitmq_detailed_queue_messages_ready Messages ready to be delivered to consumers
rabbitmq_detailed_queue_messages_ready{vhost="/",queue="orders"} 12
rabbitmq_detailed_queue_messages_ready{vhost="v 2",queue="we\"ird\\name\n"} 1.0e3
rabbitmq_detailed_queue_messages_ready{queue="b",vhost="/"} 4 1700000000000
# TYPE rabbitmq_detailed_queue_messages_unacked gauge
rabbitmq_detailed_queue_messages_unacked{vhost="/",queue="orders"} 3
rabbitmq_detailed_queue_messages_unacked{vhost="v 2",queue="we\"ird\\name\n"} 0
rabbitmq_detailed_queue_messages_unacked{vhost="/",queue="b"} 1
# TYPE rabbitmq_detailed_queue_messages gauge
rabbitmq_detailed_queue_messages{vhost="/",queue="orders"} 15
rabbitmq_detailed_queue_messages{vhost="v 2",queue="we\"ird\\name\n"} 1000
rabbitmq_detailed_queue_messages{vhost="/",queue="b"} 5
# TYPE rabbitmq_detailed_queue_process_reductions_total counter
rabbitmq_detailed_queue_process_reductions_total{vhost="/",queue="orders"} 123456
# TYPE rabbitmq_detailed_queue_consumers gauge
rabbitmq_detailed_queue_consumers{vhost="/",queue="orders"} 2
rabbitmq_detailed_queue_consumers{vhost="/",queue="b"} 0
rabbitmq_detailed_queue_consumers{vhost="v 2",queue="we\"ird\\name\n"} NaN
# TYPE rabbitmq_identity_info untyped
rabbitmq_identity_info{rabbitmq_node="rabbit@h",rabbitmq_cluster="rabbit@h",rabbitmq_cluster_permanent_id="x"} 1
# TYPE telemetry_scrape_duration_seconds summary
telemetry_scrape_duration_seconds{registry="detailed",content_type="text/plain; version=0.0.4",quantile="0.5"} 0.001
telemetry_scrape_duration_seconds_count{registry="detailed",content_type="text/plain; version=0.0.4"} 9
`

// indexByExpfmt is the general parser's reading, the reference.
func indexByExpfmt(t testing.TB, text string) []IndexEntry {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*IndexEntry{}
	for name, field := range promMetrics {
		mf := families[name]
		if mf == nil || field == fieldIdentity {
			continue
		}
		for _, m := range mf.GetMetric() {
			var vh, q string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "vhost":
					vh = l.GetValue()
				case "queue":
					q = l.GetValue()
				}
			}
			e := byKey[vh+"\x00"+q]
			if e == nil {
				e = &IndexEntry{VHost: vh, Name: q}
				byKey[vh+"\x00"+q] = e
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
			if v != v {
				v = 0
			}
			setField(e, field, int64(v))
		}
	}
	out := []IndexEntry{}
	for _, e := range byKey {
		out = append(out, *e)
	}
	return out
}

// identityByExpfmt is the general parser's reading of rabbitmq_identity_info.
func identityByExpfmt(t testing.TB, text string) promIdentity {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var who promIdentity
	for _, m := range families["rabbitmq_identity_info"].GetMetric() {
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "rabbitmq_node":
				who.Node = l.GetValue()
			case "rabbitmq_cluster":
				who.Cluster = l.GetValue()
			}
		}
	}
	return who
}

func setField(e *IndexEntry, f int, v int64) {
	switch f {
	case fieldReady:
		e.Ready = v
	case fieldUnacked:
		e.Unacked = v
	case fieldMessages:
		e.Messages = v
	case fieldConsumers:
		e.Consumers = v
	}
}

func sorted(xs []IndexEntry) []IndexEntry {
	xs = slices.Clone(xs)
	slices.SortFunc(xs, func(a, b IndexEntry) int { return strings.Compare(a.Key(), b.Key()) })
	return xs
}

func TestParseQueueIndexMatchesExpfmt(t *testing.T) {
	texts := []string{promSample, string(synthScrape(500))}
	for _, text := range texts {
		got, who, err := parseQueueIndex(strings.NewReader(text), nil)
		if err != nil {
			t.Fatal(err)
		}
		if wantWho := identityByExpfmt(t, text); who != wantWho {
			t.Fatalf("identity %+v, want %+v", who, wantWho)
		}
		want := indexByExpfmt(t, text)
		if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
			t.Fatalf("parsed\n%+v\nwant\n%+v", g, w)
		}
		// Again with the previous index: same result.
		again, _, err := parseQueueIndex(strings.NewReader(text), got)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sorted(again), sorted(got)) {
			t.Fatal("reparse with the previous index differs")
		}
	}
	got, who, _ := parseQueueIndex(strings.NewReader(promSample), nil)
	if who != (promIdentity{Node: "rabbit@h", Cluster: "rabbit@h"}) {
		t.Fatalf("identity of the sample: %+v", who)
	}
	want := IndexEntry{VHost: "v 2", Name: "we\"ird\\name\n", Ready: 1000, Messages: 1000}
	if !slices.Contains(got, want) {
		t.Fatalf("escaped name or float value wrong: %+v", got)
	}
}

func TestParseQueueIndexErrors(t *testing.T) {
	for _, bad := range []string{
		`rabbitmq_detailed_queue_messages{vhost="/",queue="a} 1`,
		`rabbitmq_detailed_queue_messages{vhost="/",queue="a"} x`,
		`rabbitmq_detailed_queue_messages{vhost="/",queue="a"`,
	} {
		if _, _, err := parseQueueIndex(strings.NewReader(bad+"\n"), nil); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// synthScrape is a scrape of n queues as the plugin writes it.
func synthScrape(n int) []byte {
	var b bytes.Buffer
	for name, field := range promMetrics {
		if field == fieldIdentity {
			fmt.Fprintf(&b, "# TYPE %s untyped\n%s{rabbitmq_node=\"bench@h\",rabbitmq_cluster=\"bench cluster\"} 1\n", name, name)
			continue
		}
		fmt.Fprintf(&b, "# TYPE %s gauge\n", name)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%s{vhost=\"/\",queue=\"bench-q-%05d\"} %d\n", name, i, i%7)
		}
	}
	b.WriteString("# TYPE rabbitmq_detailed_queue_process_reductions_total counter\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "rabbitmq_detailed_queue_process_reductions_total{vhost=\"/\",queue=\"bench-q-%05d\"} %d\n", i, 1000+i)
	}
	return b.Bytes()
}

func BenchmarkParseQueueIndex50k(b *testing.B) {
	text := synthScrape(50000)
	prev, _, _ := parseQueueIndex(bytes.NewReader(text), nil)
	b.Run("line parser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := parseQueueIndex(bytes.NewReader(text), prev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("expfmt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = indexByExpfmt(b, string(text))
		}
	})
}
