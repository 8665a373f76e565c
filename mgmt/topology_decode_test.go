package mgmt

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files replayed here were captured from RabbitMQ 3.10.8 by
// TestCaptureTestdata: *_stats from a normal node, *_nostats from one with
// the metrics collector disabled (no consumers file: that broker answers
// GET /api/consumers with 400).

// capturedRows reads a testdata file's rows: a list, or a page's items.
func capturedRows(t *testing.T, file string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var rows []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		err = json.Unmarshal(b, &rows)
	} else {
		var page struct{ Items []json.RawMessage }
		err = json.Unmarshal(b, &page)
		rows = page.Items
	}
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %d rows, %v", file, len(rows), err)
	}
	return rows
}

// rowIdentity are the fields a row is recognised by; every variant keeps them.
var rowIdentity = map[string]bool{"name": true, "vhost": true, "consumer_tag": true, "source": true, "destination": true}

// rowVariants are the shapes brokers send the same row in: as captured; with
// the statistics gone (message_stats, *_details: stats off, or not emitted
// yet); with every other field null (as brokers before 3.13 send unknowns);
// and with those nulls dropped (3.13+ omits null fields).
func rowVariants(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	nulled := rewriteJSON(v, func(k string, x any) (any, bool) {
		if _, obj := x.(map[string]any); obj || rowIdentity[k] {
			return x, true
		}
		return nil, true
	})
	out := map[string]json.RawMessage{
		"as sent": raw,
		"stats removed": marshalVariant(t, rewriteJSON(v, func(k string, x any) (any, bool) {
			return x, k != "message_stats" && !strings.HasSuffix(k, "_details")
		})),
		"avg_rate removed": marshalVariant(t, rewriteJSON(v, func(k string, x any) (any, bool) { return x, k != "avg_rate" })),
		"fields null":      marshalVariant(t, nulled),
		"nulls removed":    marshalVariant(t, rewriteJSON(nulled, func(k string, x any) (any, bool) { return x, x != nil })),
	}
	return out
}

// rewriteJSON copies v, passing every object member through f (new value,
// keep); objects are rewritten depth first.
func rewriteJSON(v any, f func(key string, x any) (any, bool)) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			if e, keep := f(k, rewriteJSON(e, f)); keep {
				m[k] = e
			}
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = rewriteJSON(e, f)
		}
		return out
	}
	return v
}

func marshalVariant(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeCapturedExchanges(t *testing.T) {
	for _, file := range []string{"topology_exchanges_stats.json", "topology_exchanges_nostats.json"} {
		for _, raw := range capturedRows(t, file) {
			for shape, b := range rowVariants(t, raw) {
				e, err := decodeExchange(b)
				if err != nil {
					t.Fatalf("%s, %s: %v", file, shape, err)
				}
				if e.VHost != "capture" {
					t.Errorf("%s, %s: vhost %q", file, shape, e.VHost)
				}
				full := shape == "as sent" || shape == "avg_rate removed"
				published := e.Name == "ex-in" && file == "topology_exchanges_stats.json" && full
				if e.InRate.OK != published || e.OutRate.OK != published {
					t.Errorf("%s, %s: %q rates in %+v out %+v; known only where published", file, shape, e.Name, e.InRate, e.OutRate)
				}
				switch {
				case published && shape == "as sent" && !(e.InRate.PerSec > 0 && e.InRate.PerSec < 4):
					t.Errorf("%s: in/s %v is not the 30 s average (0 < avg_rate < rate = 4)", file, e.InRate.PerSec)
				case published && shape == "avg_rate removed" && e.InRate != R(4):
					t.Errorf("%s: without avg_rate in/s %v, want the plain rate 4", file, e.InRate)
				}
				if !full {
					continue
				}
				if e.Name == "" && (e.Type != "direct" || !e.Durable || e.Internal || e.AutoDelete) {
					t.Errorf("%s: default exchange %+v", file, e)
				}
				if e.Name == "ex-in" && (e.Type != "topic" || e.Arguments["alternate-exchange"] != "amq.fanout" || e.Policy != "ae") {
					t.Errorf("%s: ex-in %+v", file, e)
				}
			}
		}
	}
}

func TestDecodeCapturedBindings(t *testing.T) {
	for _, file := range []string{"topology_bindings_stats.json", "topology_bindings_nostats.json"} {
		for _, raw := range capturedRows(t, file) {
			for shape, b := range rowVariants(t, raw) {
				bd, err := decodeBinding(b)
				if err != nil {
					t.Fatalf("%s, %s: %v", file, shape, err)
				}
				if bd.VHost != "capture" || bd.Destination == "" {
					t.Errorf("%s, %s: %+v", file, shape, bd)
				}
				if shape == "as sent" && bd.Source == "ex-in" && bd.Destination == "work" &&
					(bd.RoutingKey != "orders.#" || bd.Arguments["x-match"] != "any" || bd.PropertiesKey == "" || bd.DestinationType != "queue") {
					t.Errorf("%s: %+v", file, bd)
				}
			}
		}
	}
}

func TestDecodeCapturedConsumers(t *testing.T) {
	seen := map[string]bool{}
	for _, raw := range capturedRows(t, "topology_consumers_stats.json") {
		vs := rowVariants(t, raw)
		// A channel whose details are gone is sent as "channel_details": [].
		vs["channel_details []"] = bytes.Replace(vs["stats removed"], []byte(`{`), []byte(`{"channel_details":[],`), 1)
		for shape, b := range vs {
			c, err := decodeConsumer(b)
			if err != nil {
				t.Fatalf("%s: %v", shape, err)
			}
			if c.VHost != "capture" || c.Queue == "" || c.Tag == "" {
				t.Errorf("%s: where is it? %+v", shape, c)
			}
			channel := shape == "as sent" || shape == "avg_rate removed"
			if c.ChannelNumber.OK != channel || (c.ConnectionName != "") != channel {
				t.Errorf("%s: channel %q #%+v known only when sent", shape, c.ConnectionName, c.ChannelNumber)
			}
			nulled := shape == "fields null" || shape == "nulls removed"
			if c.Prefetch.OK == nulled || c.ActiveKnown == nulled {
				t.Errorf("%s: prefetch %+v active known %v", shape, c.Prefetch, c.ActiveKnown)
			}
			if nulled {
				continue
			}
			seen[c.Tag] = true
			switch c.Tag {
			case "worker-1":
				if c.Queue != "work" || c.Prefetch != C(10) || !c.AckRequired || !c.Active || c.ActivityStatus != "up" {
					t.Errorf("%s: %+v", shape, c)
				}
			case "sac-active":
				if c.Queue != "sac" || !c.Active || c.ActivityStatus != "single_active" {
					t.Errorf("%s: %+v", shape, c)
				}
			case "sac-waiting":
				if c.Active || c.ActivityStatus != "waiting" || c.AckRequired || c.Prefetch != C(0) {
					t.Errorf("%s: %+v", shape, c)
				}
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("consumers seen: %v", seen)
	}
}

func TestDecodeCapturedPolicies(t *testing.T) {
	for _, file := range []string{"policies_user_stats.json", "policies_operator_stats.json", "policies_user_nostats.json", "policies_operator_nostats.json"} {
		operator := strings.Contains(file, "operator")
		for _, raw := range capturedRows(t, file) {
			for shape, b := range rowVariants(t, raw) {
				p, err := decodePolicy(operator)(b)
				if err != nil {
					t.Fatalf("%s, %s: %v", file, shape, err)
				}
				if p.VHost != "capture" || p.Name == "" || p.Operator != operator {
					t.Errorf("%s, %s: %+v", file, shape, p)
				}
				nulled := shape == "fields null" || shape == "nulls removed"
				if p.Priority.OK == nulled || (p.Pattern != "") == nulled || (p.ApplyTo != "") == nulled {
					t.Errorf("%s, %s: priority %+v pattern %q apply-to %q", file, shape, p.Priority, p.Pattern, p.ApplyTo)
				}
				if shape == "as sent" && p.Name == "limit" && (p.Priority != C(5) || p.ApplyTo != "queues" || p.Definition["max-length"] != float64(1000)) {
					t.Errorf("%s: %+v", file, p)
				}
			}
		}
	}
}
