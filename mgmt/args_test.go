package mgmt_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/mgmt"
)

func TestArgsCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range mgmt.QueueArgs() {
		if seen[a.Name] {
			t.Errorf("%s listed twice", a.Name)
		}
		seen[a.Name] = true
		if a.Explain == "" || len(a.AppliesTo) == 0 {
			t.Errorf("%s: no explanation or no queue type: %+v", a.Name, a)
		}
		if strings.Contains(a.Explain, "\n") {
			t.Errorf("%s: the explanation is more than one line", a.Name)
		}
		if (a.Kind == mgmt.ArgEnum) != (len(a.Enum) > 0) {
			t.Errorf("%s: kind %s with enum %q", a.Name, a.Kind, a.Enum)
		}
	}
	for _, name := range []string{"x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes", "x-overflow",
		"x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy", "x-max-priority",
		"x-delivery-limit", "x-single-active-consumer", "x-max-age", "x-stream-max-segment-size-bytes",
		"x-queue-version", "x-queue-mode", "x-queue-leader-locator", "x-initial-cluster-size", "x-quorum-initial-group-size"} {
		if !seen[name] {
			t.Errorf("%s is not in the catalogue", name)
		}
	}
	if ex := mgmt.ExchangeArgs(); len(ex) != 1 || ex[0].Name != "alternate-exchange" || ex[0].Kind != mgmt.ArgString {
		t.Errorf("exchange arguments: %+v", ex)
	}
}

func TestArgsValidateQueueArg(t *testing.T) {
	cases := []struct {
		typ, name, value, version string
		want                      any
		err                       string // a part of the error; "" for none
	}{
		// x-message-ttl: classic and quorum (quorum from 3.10), ≥ 0.
		{"classic", "x-message-ttl", "60000", "3.10.8", int64(60000), ""},
		{"classic", "x-message-ttl", " 0 ", "", int64(0), ""},
		{"quorum", "x-message-ttl", "1000", "3.10.8", int64(1000), ""},
		{"quorum", "x-message-ttl", "1000", "3.9.29", nil, "x-message-ttl on quorum queues needs RabbitMQ 3.10 or later; the broker runs 3.9.29"},
		{"classic", "x-message-ttl", "abc", "", nil, `x-message-ttl must be a whole number of milliseconds ≥ 0, got "abc"`},
		{"classic", "x-message-ttl", "-1", "", nil, `x-message-ttl must be a whole number of milliseconds ≥ 0, got "-1"`},
		{"classic", "x-message-ttl", "1.5", "", nil, `got "1.5"`},
		{"stream", "x-message-ttl", "1000", "", nil, "x-message-ttl does not apply to stream queues (only to classic and quorum)"},
		// x-expires: positive.
		{"classic", "x-expires", "1800000", "", int64(1800000), ""},
		{"quorum", "x-expires", "1", "", int64(1), ""},
		{"classic", "x-expires", "0", "", nil, `x-expires must be a whole number of milliseconds ≥ 1, got "0"`},
		{"stream", "x-expires", "1000", "", nil, "does not apply to stream queues"},
		// Length limits.
		{"classic", "x-max-length", "10", "", int64(10), ""},
		{"quorum", "x-max-length", "0", "", int64(0), ""},
		{"classic", "x-max-length", "ten", "", nil, `x-max-length must be a whole number of messages ≥ 0, got "ten"`},
		{"stream", "x-max-length", "10", "", nil, "x-max-length does not apply to stream queues"},
		{"stream", "x-max-length-bytes", "20000000000", "", int64(20000000000), ""},
		{"classic", "x-max-length-bytes", "-5", "", nil, "whole number of bytes ≥ 0"},
		// x-overflow: quorum has no reject-publish-dlx, streams none.
		{"classic", "x-overflow", "reject-publish-dlx", "", "reject-publish-dlx", ""},
		{"quorum", "x-overflow", "reject-publish", "", "reject-publish", ""},
		{"quorum", "x-overflow", "drop-head", "", "drop-head", ""},
		{"quorum", "x-overflow", "reject-publish-dlx", "", nil, "x-overflow=reject-publish-dlx does not apply to quorum queues (they take drop-head, reject-publish)"},
		{"stream", "x-overflow", "drop-head", "", nil, "x-overflow does not apply to stream queues"},
		{"classic", "x-overflow", "drop-tail", "", nil, `x-overflow must be one of drop-head, reject-publish, reject-publish-dlx, got "drop-tail"`},
		// Dead-lettering.
		{"classic", "x-dead-letter-exchange", "dlx", "", "dlx", ""},
		{"quorum", "x-dead-letter-exchange", "", "", "", ""}, // the default exchange
		{"classic", "x-dead-letter-routing-key", "dead.orders", "", "dead.orders", ""},
		{"stream", "x-dead-letter-exchange", "dlx", "", nil, "does not apply to stream queues"},
		{"classic", "x-dead-letter-exchange", strings.Repeat("x", 256), "", nil, "x-dead-letter-exchange is 256 bytes; AMQP allows at most 255"},
		{"quorum", "x-dead-letter-strategy", "at-least-once", "3.10.8", "at-least-once", ""},
		{"quorum", "x-dead-letter-strategy", "at-least-once", "3.9.0", nil, "x-dead-letter-strategy needs RabbitMQ 3.10 or later"},
		{"quorum", "x-dead-letter-strategy", "exactly-once", "", nil, "must be one of at-most-once, at-least-once"},
		{"classic", "x-dead-letter-strategy", "at-least-once", "", nil, "x-dead-letter-strategy does not apply to classic queues (only to quorum)"},
		// x-max-priority: classic, 1..255.
		{"classic", "x-max-priority", "10", "", int64(10), ""},
		{"", "x-max-priority", "255", "", int64(255), ""}, // "" is classic
		{"classic", "x-max-priority", "0", "", nil, `x-max-priority must be a whole number from 1 to 255, got "0"`},
		{"classic", "x-max-priority", "256", "", nil, "from 1 to 255"},
		{"quorum", "x-max-priority", "5", "", nil, "x-max-priority does not apply to quorum queues (only to classic)"},
		// x-delivery-limit: quorum; -1 (none) from 4.0.
		{"quorum", "x-delivery-limit", "5", "3.10.8", int64(5), ""},
		{"quorum", "x-delivery-limit", "-1", "4.0.5", int64(-1), ""},
		{"quorum", "x-delivery-limit", "-1", "3.13.7", nil, "x-delivery-limit -1 (no limit) needs RabbitMQ 4.0 or later"},
		{"quorum", "x-delivery-limit", "-2", "", nil, "x-delivery-limit must be a whole number of deliveries ≥ -1"},
		{"classic", "x-delivery-limit", "5", "", nil, "x-delivery-limit does not apply to classic queues (only to quorum)"},
		// x-single-active-consumer: a boolean.
		{"classic", "x-single-active-consumer", "true", "", true, ""},
		{"quorum", "x-single-active-consumer", "No", "", false, ""},
		{"classic", "x-single-active-consumer", "maybe", "", nil, `x-single-active-consumer must be true or false, got "maybe"`},
		{"stream", "x-single-active-consumer", "true", "", nil, "does not apply to stream queues"},
		// Streams.
		{"stream", "x-max-age", "7D", "", "7D", ""},
		{"stream", "x-max-age", "12h", "", "12h", ""},
		{"stream", "x-max-age", "1Y", "", "1Y", ""},
		{"stream", "x-max-age", "30m", "", "30m", ""},
		{"stream", "x-max-age", "7days", "", nil, `x-max-age must be a number and a unit Y, M, D, h, m or s (7D, 12h), got "7days"`},
		{"stream", "x-max-age", "1d", "", nil, "unit Y, M, D, h, m or s"},
		{"stream", "x-max-age", "10", "", nil, "unit Y, M, D, h, m or s"},
		{"stream", "x-max-age", "1.5h", "", nil, "unit Y, M, D, h, m or s"},
		{"stream", "x-max-age", "0s", "", nil, `x-max-age must be more than 0, got "0s"`},
		{"classic", "x-max-age", "7D", "", nil, "x-max-age does not apply to classic queues (only to stream)"},
		{"stream", "x-stream-max-segment-size-bytes", "100000000", "", int64(100000000), ""},
		{"stream", "x-stream-max-segment-size-bytes", "0", "", nil, "≥ 1"},
		{"quorum", "x-stream-max-segment-size-bytes", "1000", "", nil, "does not apply to quorum queues"},
		{"stream", "x-stream-filter-size-bytes", "32", "3.13.0", int64(32), ""},
		{"stream", "x-stream-filter-size-bytes", "32", "3.12.4", nil, "needs RabbitMQ 3.13 or later"},
		{"stream", "x-stream-filter-size-bytes", "8", "", nil, "from 16 to 255"},
		{"stream", "x-initial-cluster-size", "3", "", int64(3), ""},
		{"quorum", "x-initial-cluster-size", "3", "", nil, "x-initial-cluster-size does not apply to quorum queues (only to stream)"},
		{"quorum", "x-quorum-initial-group-size", "3", "", int64(3), ""},
		{"quorum", "x-quorum-initial-group-size", "0", "", nil, "≥ 1"},
		// Classic storage.
		{"classic", "x-queue-version", "2", "3.10.8", int64(2), ""},
		{"classic", "x-queue-version", "1", "3.13.7", int64(1), ""},
		{"classic", "x-queue-version", "1", "4.0.0", nil, "x-queue-version 1 was removed in RabbitMQ 4.0"},
		{"classic", "x-queue-version", "2", "3.9.29", nil, "x-queue-version needs RabbitMQ 3.10 or later; the broker runs 3.9.29"},
		{"classic", "x-queue-version", "3", "", nil, "from 1 to 2"},
		{"quorum", "x-queue-version", "2", "", nil, "does not apply to quorum queues"},
		{"classic", "x-queue-mode", "lazy", "3.11.28", "lazy", ""},
		{"classic", "x-queue-mode", "lazy", "", "lazy", ""},
		{"classic", "x-queue-mode", "lazy", "3.12.0", nil, "x-queue-mode has no effect since RabbitMQ 3.12; the broker runs 3.12.0"},
		{"quorum", "x-queue-mode", "lazy", "", nil, "does not apply to quorum queues"},
		// Leader placement.
		{"quorum", "x-queue-leader-locator", "balanced", "3.10.8", "balanced", ""},
		{"stream", "x-queue-leader-locator", "client-local", "", "client-local", ""},
		{"classic", "x-queue-leader-locator", "balanced", "", nil, "does not apply to classic queues (only to quorum and stream)"},
		{"quorum", "x-queue-leader-locator", "random", "", nil, "must be one of client-local, balanced"},
		// Not in the catalogue, or not for the form.
		{"classic", "x-custom", "1", "", nil, `"x-custom" is not a queue argument mqtop knows`},
		{"classic", "x-queue-type", "quorum", "", nil, "x-queue-type is set by the queue type field"},
		{"bogus", "x-message-ttl", "1", "", nil, `unknown queue type "bogus"`},
	}
	for _, c := range cases {
		got, err := mgmt.ValidateQueueArg(c.typ, c.name, c.value, c.version)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s %s=%q on %q: %v", c.typ, c.name, c.value, c.version, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s %s=%q on %q: error %v, want %q", c.typ, c.name, c.value, c.version, err, c.err)
		case c.err == "" && !reflect.DeepEqual(got, c.want):
			t.Errorf("%s %s=%q: %#v, want %#v", c.typ, c.name, c.value, got, c.want)
		}
	}
}

func TestArgsValidateExchangeArg(t *testing.T) {
	if v, err := mgmt.ValidateExchangeArg("alternate-exchange", "unrouted"); err != nil || v != "unrouted" {
		t.Errorf("alternate-exchange: %v, %v", v, err)
	}
	if _, err := mgmt.ValidateExchangeArg("x-message-ttl", "5"); err == nil || !strings.Contains(err.Error(), "not an exchange argument") {
		t.Errorf("x-message-ttl on an exchange: %v", err)
	}
}

func TestArgsParseFree(t *testing.T) {
	cases := []struct {
		text string
		want map[string]any
		err  string
	}{
		{"", nil, ""},
		{"# nothing\n\n", nil, ""},
		// Known names are typed by the catalogue, also when written as text.
		{"x-message-ttl=60000\nx-single-active-consumer=true\nx-overflow=reject-publish",
			map[string]any{"x-message-ttl": int64(60000), "x-single-active-consumer": true, "x-overflow": "reject-publish"}, ""},
		{"x-max-length: 10\nx-dead-letter-exchange = dlx ", map[string]any{"x-max-length": int64(10), "x-dead-letter-exchange": "dlx"}, ""},
		{"x-message-ttl:=60000\nx-single-active-consumer:=false", map[string]any{"x-message-ttl": int64(60000), "x-single-active-consumer": false}, ""},
		{`{"x-max-length": 5, "x-max-age": "7D", "alternate-exchange": "ae"}`,
			map[string]any{"x-max-length": int64(5), "x-max-age": "7D", "alternate-exchange": "ae"}, ""},
		// Unknown names pass as given.
		{"x-custom=5\nx-list:=[1,2]", map[string]any{"x-custom": "5", "x-list": []any{int64(1), int64(2)}}, ""},
		// Type mismatches and bad values of known names.
		{"x-message-ttl=abc", nil, `x-message-ttl must be a whole number of milliseconds ≥ 0, got "abc"`},
		{`x-message-ttl:="60000x"`, nil, `got "60000x"`},
		{"x-message-ttl:=1.5", nil, "x-message-ttl must be a whole number of milliseconds ≥ 0, got 1.5"},
		{"x-message-ttl:=true", nil, "got true"},
		{"x-single-active-consumer:=1.0", nil, "x-single-active-consumer must be true or false, got 1"},
		{"x-dead-letter-exchange:=5", nil, "x-dead-letter-exchange must be a string, got 5"},
		{`{"x-max-priority": 300}`, nil, "x-max-priority must be a whole number from 1 to 255, got 300"},
		{"x-max-age=7 days", nil, "x-max-age must be a number and a unit"},
		{"alternate-exchange:=[1]", nil, "alternate-exchange must be a string, got [1]"},
		// Syntax errors speak of arguments.
		{"x-message-ttl", nil, `line 1: "x-message-ttl" is not key=value`},
		{"a=1\na=2", nil, `line 2: argument "a" given twice`},
		{"a:={", nil, `line 1: argument "a": "{" after := is not JSON`},
		{"x=1\n=2", nil, "line 2: argument name is empty"},
		{"header x", nil, `line 1: "header x" is not key=value`}, // the text shown is the user's
		{"[1]", nil, "arguments: JSON must be an object, got an array"},
	}
	for _, c := range cases {
		got, err := mgmt.ParseFreeArgs(c.text)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.text, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q", c.text, err, c.err)
		case c.err == "" && !reflect.DeepEqual(got, c.want):
			t.Errorf("%q: %#v, want %#v", c.text, got, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "header") && !strings.Contains(c.text, "header") {
			t.Errorf("%q: %v speaks of headers", c.text, err)
		}
	}
}

func TestArgsCheckQueueArgs(t *testing.T) {
	cases := []struct {
		typ     string
		args    map[string]any
		version string
		err     string
	}{
		{"classic", nil, "", ""},
		{"classic", map[string]any{"x-message-ttl": 60000, "x-max-priority": int64(5), "x-custom": "kept"}, "3.10.8", ""},
		{"quorum", map[string]any{"x-queue-type": "quorum", "x-delivery-limit": float64(5)}, "", ""},
		{"stream", map[string]any{"x-max-age": "7D", "x-max-length-bytes": 1 << 30}, "", ""},
		{"quorum", map[string]any{"x-queue-type": "stream"}, "", "x-queue-type=stream contradicts the queue type quorum"},
		{"", map[string]any{"x-queue-type": "quorum"}, "", "contradicts the queue type classic"},
		{"quorum", map[string]any{"x-max-priority": 5}, "", "x-max-priority does not apply to quorum queues"},
		{"classic", map[string]any{"x-message-ttl": "soon"}, "", `x-message-ttl must be a whole number of milliseconds ≥ 0, got "soon"`},
		{"classic", map[string]any{"x-message-ttl": 1.5}, "", "got 1.5"},
		{"classic", map[string]any{"x-dead-letter-routing-key": "k"}, "", "x-dead-letter-routing-key needs x-dead-letter-exchange"},
		{"classic", map[string]any{"x-dead-letter-routing-key": "k", "x-dead-letter-exchange": "dlx"}, "", ""},
		{"classic", map[string]any{"x-queue-mode": "lazy"}, "3.13.1", "x-queue-mode has no effect since RabbitMQ 3.12"},
	}
	for _, c := range cases {
		err := mgmt.CheckQueueArgs(c.typ, c.args, c.version)
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s %v on %q: %v, want %q", c.typ, c.args, c.version, err, c.err)
		}
	}
}

func TestArgsKindNames(t *testing.T) {
	var got []string
	for _, k := range []mgmt.ArgKind{mgmt.ArgInt, mgmt.ArgBool, mgmt.ArgString, mgmt.ArgEnum, mgmt.ArgDuration} {
		got = append(got, k.String())
	}
	if want := []string{"int", "bool", "string", "enum", "duration"}; !slices.Equal(got, want) {
		t.Errorf("kinds %q, want %q", got, want)
	}
}
