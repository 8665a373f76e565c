package mgmt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// declaredQueueJSON is a queue as the API returns it, for reading declarations back.
type declaredQueueJSON struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Durable    bool           `json:"durable"`
	AutoDelete bool           `json:"auto_delete"`
	Arguments  map[string]any `json:"arguments"`
}

func declaredQueue(t *testing.T, env testenv.Env, vh, name string) declaredQueueJSON {
	t.Helper()
	var q declaredQueueJSON
	testenv.GetJSON(t, env, "queues/"+url.PathEscape(vh)+"/"+url.PathEscape(name), &q)
	return q
}

// boundKeys lists the bindings from the exchange to a queue ("q") or
// an exchange ("e") as "key args".
func boundKeys(t *testing.T, env testenv.Env, vh, src, kind, dst string) []string {
	t.Helper()
	var raw []mgmt.Binding
	testenv.GetJSON(t, env, "bindings/"+url.PathEscape(vh)+"/e/"+url.PathEscape(src)+"/"+kind+"/"+url.PathEscape(dst), &raw)
	out := []string{}
	for _, b := range raw {
		s := b.RoutingKey
		if len(b.Arguments) > 0 {
			s += fmt.Sprintf(" %v", map[string]any(b.Arguments))
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantErrText(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

func TestDeclareQueueTypesAndArguments(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	putExchange(t, env, vh, "dlx", "fanout", nil)
	cases := []struct {
		decl     mgmt.QueueDecl
		wantType string
	}{
		{mgmt.QueueDecl{Name: "classic-q", Type: "classic", Durable: true, Arguments: map[string]any{
			"x-message-ttl": int64(60000), "x-expires": int64(3600000), "x-max-length": int64(100), "x-max-length-bytes": int64(1 << 20),
			"x-overflow": "reject-publish-dlx", "x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "dead",
			"x-max-priority": int64(5), "x-single-active-consumer": true, "x-queue-version": int64(2)}}, "classic"},
		{mgmt.QueueDecl{Name: "transient", Durable: false, AutoDelete: true}, "classic"},
		{mgmt.QueueDecl{Name: "quorum-q", Type: "quorum", Durable: true, Arguments: map[string]any{
			"x-delivery-limit": 5, "x-dead-letter-exchange": "dlx", "x-dead-letter-strategy": "at-least-once",
			"x-overflow": "reject-publish", "x-quorum-initial-group-size": 1, "x-queue-leader-locator": "balanced",
			"x-message-ttl": 1000, "x-single-active-consumer": true}}, "quorum"},
		{mgmt.QueueDecl{Name: "stream-q", Type: "stream", Durable: true, Arguments: map[string]any{
			"x-max-age": "7D", "x-max-length-bytes": int64(100_000_000), "x-stream-max-segment-size-bytes": int64(10_000_000),
			"x-initial-cluster-size": 1}}, "stream"},
		{mgmt.QueueDecl{Name: "typed by argument", Durable: true, Arguments: map[string]any{"x-queue-type": "quorum"}}, "quorum"},
	}
	for _, tc := range cases {
		before := fmt.Sprint(tc.decl.Arguments)
		if err := c.DeclareQueue(ctx, vh, tc.decl); err != nil {
			t.Fatal(err)
		}
		if after := fmt.Sprint(tc.decl.Arguments); after != before {
			t.Errorf("%s: the caller's arguments changed: %s, were %s", tc.decl.Name, after, before)
		}
		got := declaredQueue(t, env, vh, tc.decl.Name)
		if got.Type != tc.wantType || got.Durable != tc.decl.Durable || got.AutoDelete != tc.decl.AutoDelete {
			t.Errorf("%s: read back %+v", tc.decl.Name, got)
		}
		for k, v := range tc.decl.Arguments {
			if asJSON(t, got.Arguments[k]) != asJSON(t, v) {
				t.Errorf("%s: argument %s = %v, want %v", tc.decl.Name, k, got.Arguments[k], v)
			}
		}
		if tc.decl.Type != "" && got.Arguments["x-queue-type"] != tc.decl.Type {
			t.Errorf("%s: x-queue-type %v, want %s", tc.decl.Name, got.Arguments["x-queue-type"], tc.decl.Type)
		}
		// Declaring it again as it is does nothing.
		if err := c.DeclareQueue(ctx, vh, tc.decl); err != nil {
			t.Errorf("%s: re-declare: %v", tc.decl.Name, err)
		}
	}
	// The broker's own refusal names the queue and the vhost.
	err := c.DeclareQueue(ctx, vh, mgmt.QueueDecl{Name: "bad-ttl", Durable: true, Arguments: map[string]any{"x-custom": "ok", "x-message-ttl": int64(-1)}})
	wantErrText(t, err, `declare queue "bad-ttl" in vhost "`+vh+`"`, "x-message-ttl must be a whole number")
	err = c.DeclareQueue(ctx, "no-such-vhost", mgmt.QueueDecl{Name: "q", Durable: true})
	wantErrText(t, err, `declare queue "q" in vhost "no-such-vhost": 404 not found`)
}

// TestDeclareExclusiveIsNotPossible records why QueueDecl has no
// Exclusive: the API takes "exclusive": true and declares a queue that is not.
func TestDeclareExclusiveIsNotPossible(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.MustAPI(t, env, http.MethodPut, "queues/"+url.PathEscape(vh)+"/ex", map[string]any{"durable": false, "exclusive": true, "arguments": map[string]any{}})
	var q struct{ Exclusive bool }
	testenv.GetJSON(t, env, "queues/"+url.PathEscape(vh)+"/ex", &q)
	if q.Exclusive {
		t.Fatal("the API declared an exclusive queue: QueueDecl could offer Exclusive")
	}
	if _, ok := reflect.TypeFor[mgmt.QueueDecl]().FieldByName("Exclusive"); ok {
		t.Fatal("QueueDecl offers Exclusive, which the API ignores")
	}
}

// TestDeclareRefusedBeforeAnyIO: what mqtop can tell is wrong is refused
// without asking the broker (the client points at a closed port).
func TestDeclareRefusedBeforeAnyIO(t *testing.T) {
	c, err := mgmt.New(mgmt.Options{URLs: []string{closedPort(t)}, User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		d    mgmt.QueueDecl
		want string
	}{
		{mgmt.QueueDecl{Durable: true}, "the queue needs a name"},
		{mgmt.QueueDecl{Name: "amq.mine", Durable: true}, `queue names starting "amq." are reserved`},
		{mgmt.QueueDecl{Name: "q", Type: "fast", Durable: true}, `unknown queue type "fast"`},
		{mgmt.QueueDecl{Name: "q", Type: "quorum"}, "quorum queues are always durable"},
		{mgmt.QueueDecl{Name: "q", Type: "stream", Durable: true, AutoDelete: true}, "stream queues cannot be auto-delete"},
		{mgmt.QueueDecl{Name: "q", Type: "quorum", Durable: true, Arguments: map[string]any{"x-max-priority": 5}}, "x-max-priority does not apply to quorum queues"},
		{mgmt.QueueDecl{Name: "q", Type: "quorum", Durable: true, Arguments: map[string]any{"x-queue-type": "classic"}}, "x-queue-type=classic contradicts the queue type quorum"},
		{mgmt.QueueDecl{Name: "q", Durable: true, Arguments: map[string]any{"x-dead-letter-routing-key": "k"}}, "x-dead-letter-routing-key needs x-dead-letter-exchange"},
	} {
		err := c.DeclareQueue(ctx, "/", tc.d)
		wantErrText(t, err, `declare queue "`+tc.d.Name+`" in vhost "/": `+tc.want)
	}
	for _, tc := range []struct {
		d    mgmt.ExchangeDecl
		want string
	}{
		{mgmt.ExchangeDecl{Type: "direct"}, "the exchange needs a name"},
		{mgmt.ExchangeDecl{Name: "amq.mine", Type: "direct"}, `exchange names starting "amq." are reserved`},
		{mgmt.ExchangeDecl{Name: "x"}, "the exchange needs a type"},
		{mgmt.ExchangeDecl{Name: "x", Type: "direct", AlternateExchange: "a", Arguments: map[string]any{"alternate-exchange": "b"}}, "alternate-exchange is given twice"},
	} {
		wantErrText(t, c.DeclareExchange(ctx, "/", tc.d), tc.want)
	}
	wantErrText(t, c.DeleteExchange(ctx, "/", "", false), "the default exchange cannot be deleted")
	wantErrText(t, c.DeleteExchange(ctx, "/", "amq.direct", false), `exchange names starting "amq." are reserved`)
	for _, tc := range []struct {
		b    mgmt.Binding
		want string
	}{
		{mgmt.Binding{Source: "", Destination: "q", DestinationType: "queue"}, "the default exchange's bindings are implicit"},
		{mgmt.Binding{Source: "x", Destination: "q", DestinationType: "stream"}, `destination type must be queue or exchange, got "stream"`},
		{mgmt.Binding{Source: "x", DestinationType: "queue"}, "the binding needs a destination"},
		{mgmt.Binding{Source: "x", Destination: "q", DestinationType: "queue", RoutingKey: "a~b", Arguments: mgmt.Table{"k": "v"}},
			`a routing key containing "~" cannot have binding arguments`},
	} {
		wantErrText(t, c.Bind(ctx, "/", tc.b), "add binding", tc.want)
	}
	wantErrText(t, c.Unbind(ctx, "/", mgmt.Binding{Destination: "q", DestinationType: "queue"}), "remove binding", "implicit")
	_, err = c.Rebind(ctx, "/", mgmt.Binding{Source: "x", Destination: "q", DestinationType: "queue", RoutingKey: "k"},
		mgmt.Binding{Source: "x", Destination: "q", DestinationType: "queue", RoutingKey: "k"})
	if !errors.Is(err, mgmt.ErrNothingToChange) {
		t.Fatalf("rebind to itself: %v", err)
	}
	_, err = c.Rebind(ctx, "/", mgmt.Binding{Source: "x", Destination: "q", DestinationType: "queue", Arguments: mgmt.Table{"n": float64(1)}},
		mgmt.Binding{Source: "x", Destination: "q", DestinationType: "queue", Arguments: mgmt.Table{"n": int64(1)}})
	wantErrText(t, err, "nothing to change")
}

func TestPreconditionExplainedQueue(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	orders := mgmt.QueueDecl{Name: "orders", Durable: true, Arguments: map[string]any{"x-message-ttl": 60000, "x-dead-letter-exchange": "dlx"}}
	if err := c.DeclareQueue(ctx, vh, orders); err != nil {
		t.Fatal(err)
	}
	again := mgmt.QueueDecl{Name: "orders", Durable: true, Arguments: map[string]any{"x-message-ttl": 30000, "x-max-length": 5, "x-dead-letter-exchange": "dlx"}}
	err := c.DeclareQueue(ctx, vh, again)
	wantErrText(t, err, `declare queue "orders" in vhost "`+vh+`": 400`, "inequivalent arg")
	if !mgmt.IsPreconditionFailed(err) || mgmt.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("not a precondition failure: %v (status %d)", err, mgmt.StatusOf(err))
	}
	why, err := c.ExplainQueueConflict(ctx, vh, again)
	if err != nil {
		t.Fatal(err)
	}
	want := `queue "orders" exists with x-max-length not set; you asked for 5` + "\n" +
		`queue "orders" exists with x-message-ttl=60000; you asked for 30000`
	if why != want {
		t.Fatalf("explanation:\n%s\nwant:\n%s", why, want)
	}
	// Type, durability, a missing argument, a string where a number is.
	other := mgmt.QueueDecl{Name: "orders", Type: "quorum", Durable: true, Arguments: map[string]any{"x-message-ttl": "60000"}}
	err = c.DeclareQueue(ctx, vh, other)
	if !mgmt.IsPreconditionFailed(err) {
		t.Fatalf("re-declare as quorum: %v", err)
	}
	why, err = c.ExplainQueueConflict(ctx, vh, other)
	if err != nil {
		t.Fatal(err)
	}
	want = `queue "orders" exists with type=classic; you asked for quorum` + "\n" +
		`queue "orders" exists with x-dead-letter-exchange="dlx"; you did not set it` + "\n" +
		`queue "orders" exists with x-message-ttl=60000; you asked for "60000"`
	if why != want {
		t.Fatalf("explanation:\n%s\nwant:\n%s", why, want)
	}
	if why, err := c.ExplainQueueConflict(ctx, vh, orders); err != nil || why != "" {
		t.Fatalf("nothing differs: %q, %v", why, err)
	}
	if _, err := c.ExplainQueueConflict(ctx, vh, mgmt.QueueDecl{Name: "gone"}); mgmt.StatusOf(err) != http.StatusNotFound {
		t.Fatalf("explain a missing queue: %v", err)
	}
	// Not every refusal is a precondition.
	if mgmt.IsPreconditionFailed(c.DeclareQueue(ctx, vh, mgmt.QueueDecl{Name: "x", Durable: true, Arguments: map[string]any{"x-custom-ttl": 1, "x-message-ttl": int64(-5)}})) {
		t.Fatal("a refused argument taken for a precondition")
	}
}

func TestPreconditionExplainedWithoutBroker(t *testing.T) {
	existing := mgmt.Queue{Name: "orders", Type: "quorum", Durable: true,
		Arguments: mgmt.Table{"x-queue-type": "quorum", "x-dead-letter-exchange": "a&b", "x-delivery-limit": float64(5)}}
	// No type asked for: the vhost's default type, which mqtop does not
	// know, so the type is not compared; numbers compare by value.
	asked := mgmt.QueueDecl{Name: "orders", Durable: true, AutoDelete: true, Arguments: map[string]any{"x-delivery-limit": int64(5)}}
	want := `queue "orders" exists with auto_delete=false; you asked for true` + "\n" +
		`queue "orders" exists with x-dead-letter-exchange="a&b"; you did not set it`
	if got := mgmt.ExplainPrecondition(existing, asked); got != want {
		t.Errorf("explanation:\n%s\nwant:\n%s", got, want)
	}
	asked = mgmt.QueueDecl{Name: "orders", Type: "classic", Durable: true, Arguments: map[string]any{"x-delivery-limit": 5, "x-dead-letter-exchange": "a&b"}}
	if got, want := mgmt.ExplainPrecondition(existing, asked), `queue "orders" exists with type=quorum; you asked for classic`; got != want {
		t.Errorf("explanation:\n%s\nwant:\n%s", got, want)
	}
	ex := mgmt.Exchange{Name: "events", Type: "topic", Durable: true}
	if got := mgmt.ExplainExchangePrecondition(ex, mgmt.ExchangeDecl{Name: "events", Type: "topic", Durable: true}); got != "" {
		t.Errorf("nothing differs: %q", got)
	}
	if got, want := mgmt.ExplainExchangePrecondition(ex, mgmt.ExchangeDecl{Name: "events", Type: "topic", Durable: true, AlternateExchange: "ae"}),
		`exchange "events" exists with alternate-exchange not set; you asked for "ae"`; got != want {
		t.Errorf("explanation %q, want %q", got, want)
	}
}

func TestPreconditionExplainedExchange(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	d := mgmt.ExchangeDecl{Name: "events", Type: "topic", Durable: true, Internal: true, AlternateExchange: "unrouted"}
	if err := c.DeclareExchange(ctx, vh, d); err != nil {
		t.Fatal(err)
	}
	asked := mgmt.ExchangeDecl{Name: "events", Type: "direct", Durable: true}
	err := c.DeclareExchange(ctx, vh, asked)
	wantErrText(t, err, `declare exchange "events" in vhost "`+vh+`": 400`, "inequivalent arg 'type'")
	if !mgmt.IsPreconditionFailed(err) {
		t.Fatalf("not a precondition failure: %v", err)
	}
	why, err := c.ExplainExchangeConflict(ctx, vh, asked)
	if err != nil {
		t.Fatal(err)
	}
	want := `exchange "events" exists with type=topic; you asked for direct` + "\n" +
		`exchange "events" exists with internal=true; you asked for false` + "\n" +
		`exchange "events" exists with alternate-exchange="unrouted"; you did not set it`
	if why != want {
		t.Fatalf("explanation:\n%s\nwant:\n%s", why, want)
	}
}

func TestExchangeEditDeclareAndDelete(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	d := mgmt.ExchangeDecl{Name: "events", Type: "topic", Durable: true, Internal: true, AlternateExchange: "unrouted",
		Arguments: map[string]any{"x-note": "kept"}}
	if err := c.DeclareExchange(ctx, vh, d); err != nil {
		t.Fatal(err)
	}
	if len(d.Arguments) != 1 {
		t.Fatalf("the caller's arguments changed: %v", d.Arguments)
	}
	if err := c.DeclareExchange(ctx, vh, mgmt.ExchangeDecl{Name: "scratch", Type: "fanout", AutoDelete: true}); err != nil {
		t.Fatal(err)
	}
	var events, scratch map[string]any
	testenv.GetJSON(t, env, "exchanges/"+url.PathEscape(vh)+"/events", &events)
	testenv.GetJSON(t, env, "exchanges/"+url.PathEscape(vh)+"/scratch", &scratch)
	if events["type"] != "topic" || events["durable"] != true || events["internal"] != true || events["auto_delete"] != false ||
		fmt.Sprint(events["arguments"]) != "map[alternate-exchange:unrouted x-note:kept]" {
		t.Fatalf("events read back: %v", events)
	}
	if scratch["type"] != "fanout" || scratch["durable"] != false || scratch["auto_delete"] != true || scratch["internal"] != false {
		t.Fatalf("scratch read back: %v", scratch)
	}
	wantErrText(t, c.DeclareExchange(ctx, vh, mgmt.ExchangeDecl{Name: "odd", Type: "x-no-such-type"}),
		`declare exchange "odd" in vhost "`+vh+`": 400`, "unknown exchange type 'x-no-such-type'")

	// The bindings that go with an exchange are ExchangeBindings' from and to.
	testenv.DeclareQueue(t, env, vh, "audit", nil)
	putExchange(t, env, vh, "upstream", "fanout", nil)
	putBinding(t, env, vh, "events", "q", "audit", "#", nil)
	putBinding(t, env, vh, "upstream", "e", "events", "", nil)
	from, to, err := c.ExchangeBindings(ctx, vh, "events")
	if err != nil || len(from) != 1 || from[0].Destination != "audit" || len(to) != 1 || to[0].Source != "upstream" {
		t.Fatalf("dependents: from %+v to %+v, %v", from, to, err)
	}
	// if-unused refuses while it is a source; without, it goes with its bindings.
	err = c.DeleteExchange(ctx, vh, "events", true)
	wantErrText(t, err, `delete exchange "events" in vhost "`+vh+`": 400`, "in use")
	if err := c.DeleteExchange(ctx, vh, "events", false); err != nil {
		t.Fatal(err)
	}
	if code, _ := testenv.API(t, env, http.MethodGet, "exchanges/"+url.PathEscape(vh)+"/events", nil); code != http.StatusNotFound {
		t.Fatalf("events still there: %d", code)
	}
	if got := boundKeys(t, env, vh, "upstream", "e", "events"); len(got) != 0 {
		t.Fatalf("bindings into the deleted exchange: %q", got)
	}
	if err := c.DeleteExchange(ctx, vh, "scratch", true); err != nil {
		t.Fatalf("delete unused with if-unused: %v", err)
	}
	err = c.DeleteExchange(ctx, vh, "events", false)
	wantErrText(t, err, `delete exchange "events" in vhost "`+vh+`": 404 not found`)
}

func TestExchangeTypes(t *testing.T) {
	env := testenv.Broker(t)
	types, err := client(t, env).ExchangeTypes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, et := range types {
		names = append(names, et.Name)
		if !et.Enabled || et.Description == "" {
			t.Errorf("%+v", et)
		}
	}
	for _, want := range []string{"direct", "fanout", "headers", "topic"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s in %q", want, names)
		}
	}
}

func TestBindAndUnbind(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "shop", "topic", nil)
	putExchange(t, env, vh, "audit", "fanout", nil)
	putExchange(t, env, vh, "match", "headers", nil)
	q := func(src, key string, args mgmt.Table) mgmt.Binding {
		return mgmt.Binding{Source: src, Destination: "orders", DestinationType: "queue", RoutingKey: key, Arguments: args}
	}
	for _, b := range []mgmt.Binding{
		q("shop", "orders.#", nil),
		q("shop", "", nil),
		q("shop", "a b/c+d%e~f", nil), // every character the properties key escapes
		q("match", "", mgmt.Table{"x-match": "all", "region": "eu", "tier": int64(1)}),
		q("match", "", mgmt.Table{"x-match": "any", "region": "us"}),
		{Source: "shop", Destination: "audit", DestinationType: "exchange", RoutingKey: "#"},
	} {
		if err := c.Bind(ctx, vh, b); err != nil {
			t.Fatal(err)
		}
		if err := c.Bind(ctx, vh, b); err != nil { // adding it again does nothing
			t.Fatal(err)
		}
	}
	if got, want := boundKeys(t, env, vh, "shop", "q", "orders"), []string{"", "a b/c+d%e~f", "orders.#"}; !slices.Equal(got, want) {
		t.Fatalf("shop → orders: %q, want %q", got, want)
	}
	if got, want := boundKeys(t, env, vh, "match", "q", "orders"),
		[]string{" map[region:eu tier:1 x-match:all]", " map[region:us x-match:any]"}; !slices.Equal(got, want) {
		t.Fatalf("match → orders: %q, want %q", got, want)
	}
	if got := boundKeys(t, env, vh, "shop", "e", "audit"); !slices.Equal(got, []string{"#"}) {
		t.Fatalf("shop → audit: %q", got)
	}
	// A missing end: the broker's 404 names it.
	err := c.Bind(ctx, vh, q("nope", "k", nil))
	wantErrText(t, err, `add binding "nope" → queue "orders", key "k" in vhost "`+vh+`": 404 not found`, "no exchange 'nope'")

	// Unbind by the properties key the list gives, or by key and arguments.
	qb, err := c.QueueBindings(ctx, vh, "orders")
	if err != nil {
		t.Fatal(err)
	}
	var odd mgmt.Binding
	for _, b := range qb {
		if b.RoutingKey == "a b/c+d%e~f" {
			odd = b
		}
	}
	if odd.PropertiesKey != "a+b%2Fc%2Bd%25e%7Ef" {
		t.Fatalf("properties key of %q: %q", odd.RoutingKey, odd.PropertiesKey)
	}
	if err := c.Unbind(ctx, vh, odd); err != nil {
		t.Fatal(err)
	}
	if err := c.Unbind(ctx, vh, q("shop", "", nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.Unbind(ctx, vh, q("match", "", mgmt.Table{"x-match": "all", "region": "eu", "tier": float64(1)})); err != nil {
		t.Fatal(err)
	}
	if err := c.Unbind(ctx, vh, mgmt.Binding{Source: "shop", Destination: "audit", DestinationType: "exchange", RoutingKey: "#"}); err != nil {
		t.Fatal(err)
	}
	if got := boundKeys(t, env, vh, "shop", "q", "orders"); !slices.Equal(got, []string{"orders.#"}) {
		t.Fatalf("shop → orders after unbinding: %q", got)
	}
	if got := boundKeys(t, env, vh, "match", "q", "orders"); !slices.Equal(got, []string{" map[region:us x-match:any]"}) {
		t.Fatalf("match → orders after unbinding: %q", got)
	}
	if got := boundKeys(t, env, vh, "shop", "e", "audit"); len(got) != 0 {
		t.Fatalf("shop → audit after unbinding: %q", got)
	}
	// Gone, by search or by key: no such binding.
	err = c.Unbind(ctx, vh, q("shop", "", nil))
	wantErrText(t, err, `remove binding "shop" → queue "orders", key "" in vhost "`+vh+`": no such binding`)
	if !errors.Is(err, mgmt.ErrNoSuchBinding) {
		t.Fatalf("not ErrNoSuchBinding: %v", err)
	}
	err = c.Unbind(ctx, vh, odd)
	if !errors.Is(err, mgmt.ErrNoSuchBinding) || mgmt.StatusOf(err) != http.StatusNotFound {
		t.Fatalf("unbind by a stale key: %v", err)
	}
	wantErrText(t, err, "no such binding (404 not found")
	err = c.Unbind(ctx, vh, q("match", "", mgmt.Table{"x-match": "any", "region": "eu"}))
	if !errors.Is(err, mgmt.ErrNoSuchBinding) {
		t.Fatalf("unbind with other arguments: %v", err)
	}
}

// TestBindAccessRefused: a 401 "Access refused." is a permission, not a
// login: the error must not send the user to check the password.
func TestBindAccessRefused(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "shop", "topic", nil)
	limited := policyUser(t, env, "limited", "management", vh)
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(limited.User),
		map[string]string{"configure": "^$", "write": "^$", "read": ".*"})
	var logs bytes.Buffer
	c := client(t, limited, func(o *mgmt.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	ctx := context.Background()
	err := c.Bind(ctx, vh, mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"})
	wantErrText(t, err, "401 access refused: the user's configure/write/read permissions in this vhost do not allow it")
	if strings.Contains(err.Error(), "password") || mgmt.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("access refused read as a login failure: %v (status %d)", err, mgmt.StatusOf(err))
	}
	wantErrText(t, c.DeclareQueue(ctx, vh, mgmt.QueueDecl{Name: "mine", Durable: true}), "401 access refused")
	wantErrText(t, c.DeclareExchange(ctx, vh, mgmt.ExchangeDecl{Name: "mine", Type: "direct"}), "401 access refused")
	// A wrong password is the login failure it is, and never shown.
	wrong := limited
	wrong.Password = "Secret-Wrong-Pw-1234"
	cw := client(t, wrong, func(o *mgmt.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	err = cw.DeclareQueue(ctx, vh, mgmt.QueueDecl{Name: "mine", Durable: true})
	wantErrText(t, err, "401 unauthorized: wrong user or password")
	err2 := cw.Bind(ctx, vh, mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"})
	wantErrText(t, err2, "401 unauthorized: wrong user or password")
	_, err3 := cw.Rebind(ctx, vh, mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"},
		mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k2"})
	wantErrText(t, err3, "rebind failed at add new binding", "401 unauthorized")
	for _, e := range []error{err, err2, err3} {
		if strings.Contains(e.Error(), wrong.Password) || strings.Contains(e.Error(), limited.Password) {
			t.Fatalf("an error shows the password: %v", e)
		}
	}
	if strings.Contains(logs.String(), wrong.Password) || strings.Contains(logs.String(), limited.Password) || !strings.Contains(logs.String(), "status=401") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

func TestRebind(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "shop", "topic", nil)
	putExchange(t, env, vh, "shop-v2", "topic", nil)
	putExchange(t, env, vh, "match", "headers", nil)
	putExchange(t, env, vh, "audit", "fanout", nil)
	q := func(src, key string, args mgmt.Table) mgmt.Binding {
		return mgmt.Binding{Source: src, Destination: "orders", DestinationType: "queue", RoutingKey: key, Arguments: args}
	}
	putBinding(t, env, vh, "shop", "q", "orders", "orders.eu", nil)

	// Routing key.
	res, err := c.Rebind(ctx, vh, q("shop", "orders.eu", nil), q("shop", "orders.*", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.New.RoutingKey != "orders.*" || res.New.PropertiesKey == "" || res.NewExisted || res.Removed.RoutingKey != "orders.eu" {
		t.Fatalf("result %+v", res)
	}
	if got := boundKeys(t, env, vh, "shop", "q", "orders"); !slices.Equal(got, []string{"orders.*"}) {
		t.Fatalf("after the key change: %q", got)
	}
	// Source.
	if _, err := c.Rebind(ctx, vh, q("shop", "orders.*", nil), q("shop-v2", "orders.*", nil)); err != nil {
		t.Fatal(err)
	}
	if a, b := boundKeys(t, env, vh, "shop", "q", "orders"), boundKeys(t, env, vh, "shop-v2", "q", "orders"); len(a) != 0 || !slices.Equal(b, []string{"orders.*"}) {
		t.Fatalf("after the source change: shop %q, shop-v2 %q", a, b)
	}
	// Arguments of a headers binding.
	putBinding(t, env, vh, "match", "q", "orders", "", map[string]any{"x-match": "all", "region": "eu"})
	if _, err := c.Rebind(ctx, vh, q("match", "", mgmt.Table{"x-match": "all", "region": "eu"}),
		q("match", "", mgmt.Table{"x-match": "any", "region": "eu", "tier": int64(1)})); err != nil {
		t.Fatal(err)
	}
	if got := boundKeys(t, env, vh, "match", "q", "orders"); !slices.Equal(got, []string{" map[region:eu tier:1 x-match:any]"}) {
		t.Fatalf("after the arguments change: %q", got)
	}
	// To an exchange destination.
	if _, err := c.Rebind(ctx, vh, q("shop-v2", "orders.*", nil),
		mgmt.Binding{Source: "shop-v2", Destination: "audit", DestinationType: "exchange", RoutingKey: "orders.*"}); err != nil {
		t.Fatal(err)
	}
	if a, b := boundKeys(t, env, vh, "shop-v2", "q", "orders"), boundKeys(t, env, vh, "shop-v2", "e", "audit"); len(a) != 0 || !slices.Equal(b, []string{"orders.*"}) {
		t.Fatalf("after the destination change: %q, %q", a, b)
	}

	// Step 1 fails (the new source does not exist): the old binding stays.
	putBinding(t, env, vh, "shop", "q", "orders", "k1", nil)
	_, err = c.Rebind(ctx, vh, q("shop", "k1", nil), q("no-such-exchange", "k1", nil))
	var re *mgmt.RebindError
	if !errors.As(err, &re) || re.Step != mgmt.RebindAdd || mgmt.StatusOf(err) != http.StatusNotFound {
		t.Fatalf("rebind from a missing exchange: %v", err)
	}
	wantErrText(t, err, `rebind "shop" → queue "orders", key "k1" to "no-such-exchange" → queue "orders", key "k1" in vhost "`+vh+`": `,
		"rebind failed at add new binding: 404 not found", `the old binding "shop" → queue "orders", key "k1" is in place; nothing was changed`)
	if got := boundKeys(t, env, vh, "shop", "q", "orders"); !slices.Equal(got, []string{"k1"}) {
		t.Fatalf("the old binding after a failed step 1: %q", got)
	}

	// Step 3 fails (the old binding was removed behind its back): the new
	// one is in place and the error says so.
	old := q("shop", "k1", nil)
	qb, err := c.QueueBindings(ctx, vh, "orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range qb {
		if b.Source == "shop" && b.RoutingKey == "k1" {
			old = b
		}
	}
	if err := c.Unbind(ctx, vh, old); err != nil {
		t.Fatal(err)
	}
	_, err = c.Rebind(ctx, vh, old, q("shop", "k2", nil))
	if !errors.As(err, &re) || re.Step != mgmt.RebindRemove || !errors.Is(err, mgmt.ErrNoSuchBinding) {
		t.Fatalf("rebind of a vanished binding: %v", err)
	}
	wantErrText(t, err, "rebind failed at remove old binding: no such binding; ",
		`the new binding "shop" → queue "orders", key "k2" is in place; the old binding "shop" → queue "orders", key "k1" was not found`)
	if got := boundKeys(t, env, vh, "shop", "q", "orders"); !slices.Equal(got, []string{"k2"}) {
		t.Fatalf("after a failed step 3: %q", got)
	}

	// The new binding existed already: step 1 adds nothing, the old one
	// goes, the new one stays.
	putBinding(t, env, vh, "shop", "q", "orders", "k3", nil)
	res, err = c.Rebind(ctx, vh, q("shop", "k3", nil), q("shop", "k2", nil))
	if err != nil || !res.NewExisted || res.New.RoutingKey != "k2" {
		t.Fatalf("rebind onto an existing binding: %+v, %v", res, err)
	}
	if got := boundKeys(t, env, vh, "shop", "q", "orders"); !slices.Equal(got, []string{"k2"}) {
		t.Fatalf("after rebinding onto an existing binding: %q", got)
	}
}

// TestRebindRemoveRefused: step 3 refused by the broker (the user may bind
// from shop-v2 but not unbind from shop) leaves both bindings, and says so.
func TestRebindRemoveRefused(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "shop", "topic", nil)
	putExchange(t, env, vh, "shop-v2", "topic", nil)
	putBinding(t, env, vh, "shop", "q", "orders", "k", nil)
	limited := policyUser(t, env, "binder", "management", vh)
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(limited.User),
		map[string]string{"configure": "^$", "write": "^orders$", "read": "^shop-v2$"})
	c := client(t, limited)
	_, err := c.Rebind(context.Background(), vh,
		mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"},
		mgmt.Binding{Source: "shop-v2", Destination: "orders", DestinationType: "queue", RoutingKey: "k"})
	var re *mgmt.RebindError
	if !errors.As(err, &re) || re.Step != mgmt.RebindRemove {
		t.Fatalf("rebind without the right to unbind: %v", err)
	}
	wantErrText(t, err, "rebind failed at remove old binding: 401 access refused",
		`both bindings are in place now: "shop" → queue "orders", key "k" and "shop-v2" → queue "orders", key "k"`)
	if a, b := boundKeys(t, env, vh, "shop", "q", "orders"), boundKeys(t, env, vh, "shop-v2", "q", "orders"); !slices.Equal(a, []string{"k"}) || !slices.Equal(b, []string{"k"}) {
		t.Fatalf("after a refused step 3: shop %q, shop-v2 %q", a, b)
	}
}

// TestReadOnlyRefusesTopologyEdits: every edit is refused before any I/O;
// the client points at a closed port, where any request would fail
// otherwise.
func TestReadOnlyRefusesTopologyEdits(t *testing.T) {
	c, err := mgmt.New(mgmt.Options{URLs: []string{closedPort(t)}, User: "u", Password: "p", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"}
	b2 := b
	b2.RoutingKey = "k2"
	_, rebindErr := c.Rebind(ctx, "/", b, b2)
	for name, err := range map[string]error{
		"declare queue":    c.DeclareQueue(ctx, "/", mgmt.QueueDecl{Name: "q", Durable: true}),
		"declare exchange": c.DeclareExchange(ctx, "/", mgmt.ExchangeDecl{Name: "x", Type: "direct"}),
		"delete exchange":  c.DeleteExchange(ctx, "/", "x", false),
		"bind":             c.Bind(ctx, "/", b),
		"unbind":           c.Unbind(ctx, "/", b), // no properties key: would list first
		"unbind by key":    c.Unbind(ctx, "/", mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", PropertiesKey: "k"}),
		"rebind":           rebindErr,
		// Even what would be refused for another reason.
		"declare invalid": c.DeclareQueue(ctx, "/", mgmt.QueueDecl{}),
	} {
		if !errors.Is(err, mgmt.ErrReadOnly) || err.Error() != mgmt.ErrReadOnly.Error() {
			t.Errorf("%s: %v, want ErrReadOnly", name, err)
		}
	}
}

// TestReadOnlyChangesNothing: against the real broker, a read-only client
// leaves the topology as it was.
func TestReadOnlyChangesNothing(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "shop", "topic", nil)
	putBinding(t, env, vh, "shop", "q", "orders", "k", nil)
	c, ctx := client(t, env, func(o *mgmt.Options) { o.ReadOnly = true }), context.Background()
	b := mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"}
	_ = c.DeclareQueue(ctx, vh, mgmt.QueueDecl{Name: "new-q", Durable: true})
	_ = c.DeclareExchange(ctx, vh, mgmt.ExchangeDecl{Name: "new-x", Type: "direct"})
	_ = c.DeleteExchange(ctx, vh, "shop", false)
	_ = c.Unbind(ctx, vh, b)
	_, _ = c.Rebind(ctx, vh, b, mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k2"})
	if code, _ := testenv.API(t, env, http.MethodGet, "queues/"+url.PathEscape(vh)+"/new-q", nil); code != http.StatusNotFound {
		t.Errorf("new-q declared: %d", code)
	}
	if code, _ := testenv.API(t, env, http.MethodGet, "exchanges/"+url.PathEscape(vh)+"/new-x", nil); code != http.StatusNotFound {
		t.Errorf("new-x declared: %d", code)
	}
	if code, _ := testenv.API(t, env, http.MethodGet, "exchanges/"+url.PathEscape(vh)+"/shop", nil); code != http.StatusOK {
		t.Errorf("shop deleted: %d", code)
	}
	if got := boundKeys(t, env, vh, "shop", "q", "orders"); !slices.Equal(got, []string{"k"}) {
		t.Errorf("bindings changed: %q", got)
	}
}
