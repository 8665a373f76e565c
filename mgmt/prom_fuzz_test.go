package mgmt

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// FuzzParseQueueIndex: the line parser never panics, and where the general
// parser (expfmt) reads the text without error, the two agree on every
// queue's values and on the identity; reading again with the result as the
// previous index gives the same.
func FuzzParseQueueIndex(f *testing.F) {
	f.Add(promSample)
	f.Add(string(synthScrape(3)))
	for _, s := range []string{
		"", "\n", "# only a comment\n", "rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 1\n",
		"rabbitmq_detailed_queue_messages{queue=\"a\"} 1",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\",} 1 1700000000000\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 1.5e3\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} -2\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} +Inf\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 1e300\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 99999999999999999999\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"\"} 1\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\\\\b\\\"c\\nd\"} 1\n",
		"rabbitmq_detailed_queue_messages{ vhost = \"/\" , queue=\"a\" } 1\n",
		"rabbitmq_detailed_queue_messages {vhost=\"/\",queue=\"a\"} 1\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"}\t1\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 1\r\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 1\nrabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 2\n",
		"# TYPE rabbitmq_detailed_queue_messages summary\nrabbitmq_detailed_queue_messages{queue=\"a\",quantile=\"0.5\"} 1\n",
		"rabbitmq_identity_info{rabbitmq_node=\"n\",rabbitmq_cluster=\"c\"} 1\nrabbitmq_identity_info{rabbitmq_node=\"m\"} 1\n",
		"{\"rabbitmq_detailed_queue_messages\",vhost=\"/\",queue=\"a\"} 1\n",
		"A+0\nrabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"a\"} 1\n",
		"other_metric 1\nrabbitmq_detailed_queue_messages\t{queue\t=\t\"a\"\t,vhost= \"v\"}\t3\n",
		"rabbitmq_detailed_queue_messages_total{vhost=\"/\",queue=\"a\"} 1\n",
		"rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"" + strings.Repeat("q", 70000) + "\"} 1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, who, err := parseQueueIndex(strings.NewReader(text), nil)
		want, wantWho, oracleErr := expfmtIndex(text)
		if oracleErr != nil {
			return // not valid exposition text: any error or reading will do
		}
		if err != nil {
			t.Fatalf("expfmt reads %q, the line parser fails: %v", text, err)
		}
		if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
			t.Fatalf("%q:\nparsed %+v\nexpfmt %+v", text, g, w)
		}
		if who != wantWho {
			t.Fatalf("%q: identity %+v, expfmt %+v", text, who, wantWho)
		}
		again, _, err := parseQueueIndex(strings.NewReader(text), got)
		if err != nil || !slices.Equal(sorted(again), sorted(got)) {
			t.Fatalf("%q: reading again with the previous index gives %+v, %v", text, again, err)
		}
	})
}

// expfmtIndex is indexByExpfmt returning the parser's error, with the line
// parser's documented readings of what the plugin never writes: a sample
// without a queue label (or with an empty one) is no queue, a value that
// is NaN or beyond ±2^62 counts 0, and the index reads gauges, counters
// and untyped samples only (a family typed otherwise is not compared).
// Label values holding NUL are not compared either: the index keys on
// vhost NUL name, so such a vhost and name can meet.
func expfmtIndex(text string) ([]IndexEntry, promIdentity, error) {
	if quotedNames(text) {
		// A quoted metric or label name is Prometheus 3's UTF-8 syntax,
		// which the plugin does not write and the line parser does not read.
		return nil, promIdentity{}, errSkip
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, promIdentity{}, err
	}
	byKey := map[string]*IndexEntry{}
	var order []string
	var who promIdentity
	for name, field := range promMetrics {
		mf := families[name]
		if mf == nil {
			continue
		}
		switch mf.GetType().String() {
		case "GAUGE", "COUNTER", "UNTYPED":
		default:
			return nil, who, errSkip
		}
		for _, m := range mf.GetMetric() {
			var vh, q string
			haveQ := false
			for _, l := range m.GetLabel() {
				if strings.ContainsRune(l.GetValue(), 0) {
					return nil, who, errSkip
				}
				switch l.GetName() {
				case "vhost":
					vh = l.GetValue()
				case "queue":
					q, haveQ = l.GetValue(), true
				case "rabbitmq_node":
					if field == fieldIdentity {
						who.Node = l.GetValue()
					}
				case "rabbitmq_cluster":
					if field == fieldIdentity {
						who.Cluster = l.GetValue()
					}
				}
			}
			if field == fieldIdentity || !haveQ || q == "" {
				continue
			}
			k := vh + "\x00" + q
			e := byKey[k]
			if e == nil {
				e = &IndexEntry{VHost: vh, Name: q}
				byKey[k] = e
				order = append(order, k)
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
			if v != v || v > 1<<62 || v < -(1<<62) {
				v = 0
			}
			setField(e, field, int64(v))
		}
	}
	out := make([]IndexEntry, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out, who, nil
}

// quotedNames reports a sample line with a quote that does not open a
// label value (one right after =): a quoted name.
func quotedNames(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimLeft(line, " \t"); strings.HasPrefix(l, "#") {
			continue
		}
		inValue, last := false, byte(0) // last: the last byte outside values but blanks
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case inValue && c == '\\':
				i++
			case inValue && c == '"':
				inValue, last = false, c
			case inValue:
			case c == '"' && last != '=':
				return true
			case c == '"':
				inValue = true
			case c != ' ' && c != '\t':
				last = c
			}
		}
	}
	return false
}

// errSkip marks text the comparison does not cover.
var errSkip = errors.New("not compared")
