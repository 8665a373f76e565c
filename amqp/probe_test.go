package amqp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/route"
)

type table = map[string]any

// probeCase is one exchange type: its bindings, and the messages to route
// through them.
type probeCase struct {
	typ      string
	bindings []ProbeBinding
	messages []route.Message
}

func keys(ks ...string) []ProbeBinding {
	out := make([]ProbeBinding, len(ks))
	for i, k := range ks {
		out[i] = ProbeBinding{RoutingKey: k}
	}
	return out
}

func withKeys(ks ...string) []route.Message {
	out := make([]route.Message, len(ks))
	for i, k := range ks {
		out[i] = route.Message{RoutingKey: k}
	}
	return out
}

func withHeaders(hs ...table) []route.Message {
	out := make([]route.Message, len(hs))
	for i, h := range hs {
		out[i] = route.Message{Headers: h}
	}
	return out
}

var trickyKeys = []string{"", ".", "..", "a", "A", "a.", ".a", "a.b", "a..b", "a.x.b", "a.b.b", "a.b.c", "x.a",
	"*", "#", "a.#", "a*", "ab", "#a", "café.crème", "東京.日本", " a", "kern.critical"}

func probeCases() []probeCase {
	topicMsgs := withKeys(trickyKeys...)
	topicMsgs = append(topicMsgs,
		route.Message{RoutingKey: "zzz", Headers: table{"CC": []any{"a.b"}}},
		route.Message{RoutingKey: "zzz", Headers: table{"BCC": []any{".", []byte("a")}}})
	directMsgs := withKeys(trickyKeys...)
	directMsgs = append(directMsgs, route.Message{RoutingKey: "zzz", Headers: table{"CC": []any{"a", "a.b"}, "BCC": []any{""}}})
	return []probeCase{
		{typ: "topic", bindings: keys("#", "*", "", ".", "..", "*.*", "*.*.*", "#.#", "a.#.b", "a.#", "#.a", "a.*", "a.",
			".a", "a..b", "a.*.b", "*.#", "#.*", "*.#.*", "a*", "#a", "café.*", "*.日本", "A", "a", "kern.*", "#.#.a.#.#"),
			messages: topicMsgs},
		{typ: "direct", bindings: keys("a", "A", "", "a.b", "#", "*", " a", "a "), messages: directMsgs},
		{typ: "fanout", bindings: keys("x", "", "x"), messages: withKeys("", "x", "y")},
		{typ: "headers", bindings: []ProbeBinding{
			{Arguments: nil},
			{Arguments: table{"x-match": "any"}},
			{Arguments: table{"a": "1"}},
			{Arguments: table{"a": "1", "b": "2"}},
			{Arguments: table{"x-match": "any", "a": "1", "b": "2"}},
			{Arguments: table{"x-match": "all", "x-foo": "1"}},
			{Arguments: table{"x-match": "any", "x-foo": "1", "a": "9"}},
			{Arguments: table{"x-match": "all-with-x", "x-foo": "1"}},
			{Arguments: table{"x-match": "all-with-x", "x-foo": "1", "a": "1"}},
			{Arguments: table{"x-match": "any-with-x", "x-foo": "1", "a": "9"}},
			{Arguments: table{"x-match": "any-with-x"}},
			{Arguments: table{"v": nil}},
			{Arguments: table{"v": "undefined"}}, // the management API's void
			{Arguments: table{"n": int64(1)}},
			{Arguments: table{"n": float64(1)}}, // a JSON 1: a long
			{Arguments: table{"n": json.Number("1.0")}},
			{Arguments: table{"n": 1.5}},
			{Arguments: table{"n": int32(1)}},
			{Arguments: table{"t": int64(5)}},
			{Arguments: table{"s": "1"}},
			{Arguments: table{"b": true}},
			{Arguments: table{"arr": []any{int64(1), "x"}}},
			{Arguments: table{"BCC": nil}},
			{Arguments: table{"CC": nil}},
			{Arguments: table{"A": "1"}},
		}, messages: withHeaders(nil,
			table{"a": "1"}, table{"a": "1", "b": "2"}, table{"b": "2"}, table{"a": "2", "b": "1"},
			table{"x-foo": "1"}, table{"x-foo": "1", "a": "1"}, table{"x-match": "any-with-x"}, table{"a": "1", "x-match": "any"},
			table{"v": int64(0)}, table{"v": nil}, table{"v": "undefined"},
			table{"n": int64(1)}, table{"n": 1.0}, table{"n": int8(1)}, table{"n": uint16(1)}, table{"n": 1.5},
			table{"n": float32(1.5)}, table{"n": "1"}, table{"n": int64(2)},
			table{"t": time.Unix(5, 0)}, table{"t": int64(5000)},
			table{"s": []byte("1")}, table{"s": int64(1)}, table{"b": true}, table{"b": "true"}, table{"b": int64(1)},
			table{"arr": []any{int64(1), "x"}}, table{"arr": []any{int32(1), "x"}}, table{"arr": []any{1.0, "x"}},
			table{"arr": []any{"x", int64(1)}},
			table{"BCC": []any{"q"}}, table{"CC": []any{"q"}}, table{"A": "1"}, table{"a": "1", "A": "1"},
		)},
	}
}

// brokerEquality is how the broker under test compares header values.
func brokerEquality(t *testing.T, env testenv.Env) route.Equality {
	var ov struct {
		Version string `json:"rabbitmq_version"`
	}
	testenv.GetJSON(t, env, "overview", &ov)
	return route.EqualityFor(ov.Version)
}

// The proof that route's matchers are RabbitMQ's: for every binding and
// message the broker's verdict (ProbeRoute) is route.Predict's.
func TestProbeRouteAgreesWithPredict(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	eq := brokerEquality(t, env)
	s := newSession(t)
	ctx := testCtx(t)
	t.Run("types", func(t *testing.T) {
		for _, c := range probeCases() {
			t.Run(c.typ, func(t *testing.T) {
				t.Parallel()
				tp := route.Topology{Exchanges: map[string]route.Exchange{"x": {Name: "x", Type: c.typ}}, Equality: eq}
				for i, b := range c.bindings {
					tp.Bindings = append(tp.Bindings, route.Binding{Source: "x", Destination: fmt.Sprint("q", i),
						RoutingKey: b.RoutingKey, Arguments: b.Arguments})
				}
				var wg sync.WaitGroup
				sem := make(chan struct{}, 8)
				for _, m := range c.messages {
					wg.Go(func() {
						sem <- struct{}{}
						defer func() { <-sem }()
						probeOne(t, s, ctx, vh, c, tp, m)
					})
				}
				wg.Wait()
			})
		}
	})
	assertNothingLeft(t, env, vh)
}

// probeOne compares the broker's verdict on one message with Predict's.
func probeOne(t *testing.T, s *Session, ctx context.Context, vh string, c probeCase, tp route.Topology, m route.Message) {
	r, err := route.Predict(tp, "x", m)
	if err != nil {
		t.Error(err)
		return
	}
	hop := r.Path[0]
	if len(hop.Unsure) > 0 {
		t.Errorf("key %q headers %v: prediction unsure: %v", m.RoutingKey, m.Headers, r.Inexact)
		return
	}
	got, err := s.ProbeRoute(ctx, vh, c.typ, c.bindings, m.RoutingKey, m.Headers)
	if err != nil {
		t.Errorf("key %q headers %v: %v", m.RoutingKey, m.Headers, err)
		return
	}
	want := hop.Matched
	if want == nil {
		want = []int{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("key %q headers %v: broker matched %s, predicted %s",
			m.RoutingKey, m.Headers, describe(c.bindings, got), describe(c.bindings, want))
	}
}

func describe(bs []ProbeBinding, idx []int) string {
	var out []string
	for _, i := range idx {
		if bs[i].Arguments != nil {
			out = append(out, fmt.Sprintf("%d%v", i, bs[i].Arguments))
		} else {
			out = append(out, fmt.Sprintf("%d %q", i, bs[i].RoutingKey))
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// assertNothingLeft checks that vh holds only the exchanges every vhost
// has, and no queue.
func assertNothingLeft(t *testing.T, env testenv.Env, vh string) {
	t.Helper()
	testenv.WaitFor(t, 10*time.Second, func() (bool, string) {
		var xs, qs []struct{ Name string }
		testenv.GetJSON(t, env, "exchanges/"+url.PathEscape(vh), &xs)
		testenv.GetJSON(t, env, "queues/"+url.PathEscape(vh), &qs)
		var left []string
		for _, x := range xs {
			if x.Name != "" && !strings.HasPrefix(x.Name, "amq.") {
				left = append(left, "exchange "+x.Name)
			}
		}
		for _, q := range qs {
			left = append(left, "queue "+q.Name)
		}
		return len(left) == 0, fmt.Sprintf("left behind: %v", left)
	})
}

func TestProbeRouteFailuresLeaveNothingBehind(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	s := newSession(t)
	ctx := testCtx(t)
	// The broker refuses the third binding (406): what was declared goes.
	bad := []ProbeBinding{{Arguments: table{"a": "1"}}, {Arguments: table{"b": "1"}}, {Arguments: table{"x-match": "ALL"}}}
	_, err := s.ProbeRoute(ctx, vh, "headers", bad, "", nil)
	if Code(err) != amqp091.PreconditionFailed || !strings.Contains(err.Error(), "x-match") {
		t.Fatalf("invalid x-match: %v, want 406 naming x-match", err)
	}
	assertNothingLeft(t, env, vh)
	// A CC header that is no array: the broker refuses the message.
	_, err = s.ProbeRoute(ctx, vh, "direct", keys("a"), "a", amqp091.Table{"CC": "a"})
	if Code(err) != amqp091.PreconditionFailed {
		t.Fatalf("CC string: %v, want 406", err)
	}
	assertNothingLeft(t, env, vh)
	// Cancelled half way through many bindings: cleaned up all the same.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(30*time.Millisecond, cancel)
	many := make([]ProbeBinding, 3000)
	for i := range many {
		many[i].RoutingKey = fmt.Sprint("k", i)
	}
	if _, err := s.ProbeRoute(cctx, vh, "direct", many, "k1", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled probe: %v", err)
	}
	assertNothingLeft(t, env, vh)
	// The session still works, and a plugin type is refused before asking.
	if got, err := s.ProbeRoute(ctx, vh, "direct", many[:3], "k1", nil); err != nil || !slices.Equal(got, []int{1}) {
		t.Fatalf("after the cancel: %v, %v", got, err)
	}
	if _, err := s.ProbeRoute(ctx, vh, "x-consistent-hash", keys("1"), "a", nil); err == nil || !strings.Contains(err.Error(), "x-consistent-hash") {
		t.Fatalf("plugin type: %v", err)
	}
	if got, err := s.ProbeRoute(ctx, vh, "topic", nil, "a", nil); err != nil || len(got) != 0 {
		t.Fatalf("no bindings: %v, %v", got, err)
	}
	// Unroutable: nothing matched, the message came back.
	if got, err := s.ProbeRoute(ctx, vh, "topic", keys("b.*"), "a", nil); err != nil || len(got) != 0 {
		t.Fatalf("unroutable: %v, %v", got, err)
	}
	assertNothingLeft(t, env, vh)
}

func TestProbeRouteRefusedReadOnly(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ro := newSession(t, func(c *Config) { c.ReadOnly = true; c.AllowBrowse = true })
	_, err := ro.ProbeRoute(testCtx(t), vh, "topic", keys("#"), "a", nil)
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "route check") {
		t.Fatalf("read-only probe: %v, want ErrReadOnly", err)
	}
	assertNothingLeft(t, env, vh)
}

// TestProbePredictWholeTopology routes real publishes through a topology
// of exchange-to-exchange bindings, alternate exchanges (by argument and by
// policy), cycles, internal exchanges, CC/BCC and bindings made through the
// management API, read back as mqtop reads it (JSON into map[string]any),
// and checks route.Predict says which queues get each message.
func TestProbePredictWholeTopology(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ev := url.PathEscape(vh)
	ch, err := testenv.Dial(t, env, vh).Channel()
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	type xdecl struct {
		name, typ string
		internal  bool
		args      amqp091.Table
	}
	for _, x := range []xdecl{
		{"logs", "topic", false, amqp091.Table{"alternate-exchange": "logs.ae"}},
		{"logs.ae", "fanout", true, nil},
		{"kern", "direct", true, amqp091.Table{"alternate-exchange": "kern.ae"}},
		{"kern.ae", "fanout", false, nil},
		{"fan", "fanout", false, nil},
		{"hdr", "headers", false, nil},
		{"pol.x", "direct", false, nil},
		{"pol.y", "direct", false, amqp091.Table{"alternate-exchange": "arg.ae"}},
		{"pol.ae", "fanout", false, nil},
		{"arg.ae", "fanout", false, nil},
		{"dead", "direct", false, amqp091.Table{"alternate-exchange": "missing-ae"}},
		{"secret", "fanout", true, nil},
		{"ae.loop1", "direct", false, amqp091.Table{"alternate-exchange": "ae.loop2"}},
		{"ae.loop2", "direct", false, amqp091.Table{"alternate-exchange": "ae.loop1"}},
	} {
		must(ch.ExchangeDeclare(x.name, x.typ, true, false, x.internal, false, x.args))
	}
	queues := []string{"unrouted", "kern-crit", "kern-other", "h-void", "h-n1", "h-f", "h-any", "h-cc", "h-bcc",
		"pol-q", "arg-q", "orders", "secret-q", "fan-q"}
	for _, q := range queues {
		_, err := ch.QueueDeclare(q, true, false, false, false, nil)
		must(err)
	}
	must(ch.ExchangeBind("kern", "kern.#", "logs", false, nil))
	must(ch.ExchangeBind("fan", "loop.#", "logs", false, nil))
	must(ch.ExchangeBind("logs", "", "fan", false, nil))
	must(ch.ExchangeBind("secret", "", "fan", false, nil))
	for _, b := range [][3]string{
		{"unrouted", "logs.ae", ""}, {"kern-crit", "kern", "kern.crit"}, {"kern-other", "kern.ae", ""},
		{"pol-q", "pol.ae", ""}, {"arg-q", "arg.ae", ""}, {"secret-q", "secret", ""},
	} {
		must(ch.QueueBind(b[0], b[2], b[1], false, nil))
	}
	// A void argument (nil over AMQP; the management API shows "undefined").
	must(ch.QueueBind("h-void", "", "hdr", false, amqp091.Table{"v": nil}))
	must(ch.QueueBind("h-cc", "", "hdr", false, amqp091.Table{"CC": nil}))
	must(ch.QueueBind("h-bcc", "", "hdr", false, amqp091.Table{"BCC": nil}))
	// Numbers as the management API's JSON makes them: 1 a long, 1.5 a double.
	for q, args := range map[string]string{
		"h-n1": `{"n": 1}`, "h-f": `{"f": 1.5}`, "h-any": `{"x-match": "any", "n": 1, "s": "a"}`,
	} {
		testenv.MustAPI(t, env, http.MethodPost, "bindings/"+ev+"/e/hdr/q/"+q,
			map[string]any{"routing_key": "", "arguments": json.RawMessage(args)})
	}
	// The alternate exchange by policy; an argument wins over it.
	testenv.MustAPI(t, env, http.MethodPut, "policies/"+ev+"/ae", map[string]any{
		"pattern": `^pol\.`, "apply-to": "exchanges", "definition": map[string]any{"alternate-exchange": "pol.ae"},
	})

	tp := readTopology(t, env, vh)
	s := newSession(t)
	ctx := testCtx(t)
	get, err := testenv.Dial(t, env, vh).Channel()
	must(err)
	for _, c := range []struct {
		exchange, key string
		headers       table
		want          []string
	}{
		{"logs", "kern.crit", nil, []string{"kern-crit"}},
		{"logs", "kern.info", nil, []string{"kern-other"}}, // kern matched nothing: its alternate, not logs'
		{"logs", "app.x", nil, []string{"unrouted"}},
		// logs matched fan, so no alternate; fan's binding back to logs leads to a visited exchange.
		{"logs", "loop.a", nil, []string{"secret-q"}},
		{"logs", "loop.a", table{"CC": []any{"kern.crit"}}, []string{"kern-crit", "secret-q"}},
		{"fan", "kern.crit", nil, []string{"kern-crit", "secret-q"}},
		{"fan", "zzz", nil, []string{"secret-q", "unrouted"}}, // fan matched; logs matched nothing: logs' alternate
		{"hdr", "", table{"v": int64(0)}, []string{"h-void"}},
		{"hdr", "", table{"n": int64(1)}, []string{"h-any", "h-n1"}},
		{"hdr", "", table{"n": 1.0}, []string{"h-any", "h-n1"}},
		{"hdr", "", table{"n": int8(1)}, []string{"h-any", "h-n1"}},
		{"hdr", "", table{"n": "1"}, nil},
		{"hdr", "", table{"f": 1.5}, []string{"h-f"}},
		{"hdr", "", table{"f": float32(1.5)}, []string{"h-f"}},
		{"hdr", "", table{"s": "a"}, []string{"h-any"}},
		{"hdr", "", table{"CC": []any{"orders"}}, []string{"h-cc"}},
		{"hdr", "", table{"BCC": []any{"orders"}}, nil},
		{"pol.x", "k", nil, []string{"pol-q"}},
		{"pol.y", "k", nil, []string{"arg-q"}},
		{"dead", "k", nil, nil},
		{"ae.loop1", "k", nil, nil},
		{"", "orders", nil, []string{"orders"}},
		{"", "nosuch", table{"BCC": []any{"orders"}}, []string{"orders"}},
		{"", "nosuch", table{"CC": []any{"orders", "h-f"}, "BCC": []any{"orders"}}, []string{"h-f", "orders"}},
		{"", "nosuch", nil, nil},
		{"", "Orders", nil, nil},
	} {
		what := fmt.Sprintf("publish to %q key %q headers %v", c.exchange, c.key, c.headers)
		r, err := route.Predict(tp, c.exchange, route.Message{RoutingKey: c.key, Headers: c.headers})
		if err != nil {
			t.Fatalf("%s: predict: %v", what, err)
		}
		if !r.Exact {
			t.Errorf("%s: inexact: %v", what, r.Inexact)
		}
		res, err := s.Publish(ctx, PublishRequest{VHost: vh, Exchange: c.exchange, RoutingKey: c.key, Headers: c.headers})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var got []string
		for _, q := range queues {
			for n := 0; ; n++ {
				_, ok, err := get.Get(q, true)
				must(err)
				if !ok {
					break
				}
				if n == 0 {
					got = append(got, q)
				} else {
					t.Errorf("%s: queue %s got the message twice", what, q)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: the broker routed to %q, the test expects %q", what, got, c.want)
		}
		if !slices.Equal(got, r.Queues) {
			t.Errorf("%s: the broker routed to %q, Predict says %q (path %+v)", what, got, r.Queues, r.Path)
		}
		if (res.Outcome == Returned) != r.Unroutable {
			t.Errorf("%s: outcome %v, Predict says unroutable %v", what, res.Outcome, r.Unroutable)
		}
	}
	// Publishing to an internal exchange: refused by both.
	_, perr := s.Publish(ctx, PublishRequest{VHost: vh, Exchange: "secret"})
	if _, err := route.Predict(tp, "secret", route.Message{}); !errors.Is(err, route.ErrInternal) || Code(perr) != amqp091.AccessRefused {
		t.Fatalf("internal: predict %v, broker %v", err, perr)
	}
	// A CC that is no array: refused by both.
	_, perr = s.Publish(ctx, PublishRequest{VHost: vh, RoutingKey: "orders", Headers: table{"CC": "orders"}})
	if _, err := route.Predict(tp, "", route.Message{RoutingKey: "orders", Headers: table{"CC": "orders"}}); !errors.Is(err, route.ErrRoutingHeader) || Code(perr) != amqp091.PreconditionFailed {
		t.Fatalf("CC string: predict %v, broker %v", err, perr)
	}
}

// readTopology reads vh as mqtop's mgmt package does: JSON decoded into
// map[string]any; the alternate exchange from the argument, else from the
// policy applied.
func readTopology(t *testing.T, env testenv.Env, vh string) route.Topology {
	ev := url.PathEscape(vh)
	var pols []struct {
		Name       string
		Definition map[string]any
	}
	var xs []struct {
		Name, Type, Policy string
		Internal           bool
		Arguments          map[string]any
	}
	testenv.WaitFor(t, 10*time.Second, func() (bool, string) {
		testenv.GetJSON(t, env, "exchanges/"+ev, &xs)
		for _, x := range xs {
			if strings.HasPrefix(x.Name, "pol.") && x.Policy == "" {
				return false, "policy not applied to " + x.Name
			}
		}
		return true, ""
	})
	testenv.GetJSON(t, env, "policies/"+ev, &pols)
	tp := route.Topology{Exchanges: map[string]route.Exchange{}, Queues: map[string]bool{}, Equality: brokerEquality(t, env)}
	for _, x := range xs {
		ae, ok := x.Arguments["alternate-exchange"].(string)
		for _, p := range pols {
			if !ok && p.Name == x.Policy {
				ae, _ = p.Definition["alternate-exchange"].(string)
			}
		}
		tp.Exchanges[x.Name] = route.Exchange{Name: x.Name, Type: x.Type, Internal: x.Internal, AlternateExchange: ae}
	}
	var bs []struct {
		Source, Destination string
		DestinationType     string `json:"destination_type"`
		RoutingKey          string `json:"routing_key"`
		Arguments           map[string]any
	}
	testenv.GetJSON(t, env, "bindings/"+ev, &bs)
	for _, b := range bs {
		if b.Source == "" {
			continue // the default exchange's implicit bindings
		}
		tp.Bindings = append(tp.Bindings, route.Binding{Source: b.Source, Destination: b.Destination,
			DestinationIsExchange: b.DestinationType == "exchange", RoutingKey: b.RoutingKey, Arguments: b.Arguments})
	}
	var qs []struct{ Name string }
	testenv.GetJSON(t, env, "queues/"+ev, &qs)
	for _, q := range qs {
		tp.Queues[q.Name] = true
	}
	if v := tp.Bindings; !slices.ContainsFunc(v, func(b route.Binding) bool { return b.Arguments["v"] == "undefined" }) {
		t.Fatalf("the void argument is not shown as \"undefined\": %+v", v)
	}
	return tp
}
