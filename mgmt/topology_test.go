package mgmt_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// builtinExchanges are the exchanges every vhost has.
var builtinExchanges = []string{"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.rabbitmq.trace", "amq.topic"}

func exchangeNames(p mgmt.ListPage[mgmt.Exchange]) []string {
	var out []string
	for _, e := range p.Items {
		out = append(out, e.Name)
	}
	return out
}

func TestExchangesPagingSortFilter(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	for i, typ := range []string{"topic", "fanout", "direct", "headers", "topic"} {
		putExchange(t, env, vh, fmt.Sprintf("ex-%02d", i+1), typ, map[string]any{"x-n": i})
	}
	putPolicy(t, env, vh, "policies", "ae", "^ex-05$", "exchanges", 0, map[string]any{"alternate-exchange": "amq.fanout"})
	c, ctx := client(t, env), context.Background()
	get := func(q mgmt.ListQuery) mgmt.ListPage[mgmt.Exchange] {
		t.Helper()
		q.VHost = vh
		p, err := c.Exchanges(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Paged || len(p.Raw) != len(p.Items) {
			t.Fatalf("page not served by the server or Raw missing: %+v", p)
		}
		return p
	}
	// Everything, by name: the default exchange "" first.
	p := get(mgmt.ListQuery{Sort: mgmt.ExchangeSort["name"], Limit: 50})
	want := append(slices.Clone(builtinExchanges), "ex-01", "ex-02", "ex-03", "ex-04", "ex-05")
	slices.Sort(want)
	if got := exchangeNames(p); !slices.Equal(got, want) || p.Total != 12 || p.Matched != 12 || p.Offset != 0 {
		t.Fatalf("all: %q matched %d total %d", got, p.Matched, p.Total)
	}
	def := p.Items[0]
	if def.Name != "" || def.Type != "direct" || !def.Durable || def.VHost != vh {
		t.Fatalf("default exchange: %+v", def)
	}
	if ex := p.Items[slices.Index(want, "ex-03")]; ex.Type != "direct" || !ex.Durable || ex.Internal || ex.AutoDelete || ex.Arguments["x-n"] != float64(2) {
		t.Fatalf("ex-03: %+v", ex)
	}
	if ex := p.Items[slices.Index(want, "ex-05")]; ex.Policy != "ae" || p.Items[0].Policy != "" {
		t.Fatalf("policy: ex-05 %q, default exchange %q", ex.Policy, p.Items[0].Policy)
	}
	// Windows of the filtered list, both directions.
	p = get(mgmt.ListQuery{Filter: "^ex-", Sort: "name", Offset: 1, Limit: 2})
	if got := exchangeNames(p); !slices.Equal(got, []string{"ex-02", "ex-03"}) || p.Offset != 1 || p.Matched != 5 || p.Total != 12 {
		t.Fatalf("window 1+2: %q offset %d matched %d total %d", got, p.Offset, p.Matched, p.Total)
	}
	p = get(mgmt.ListQuery{Filter: "^ex-", Sort: "name", Desc: true, Offset: 3, Limit: 5})
	if got := exchangeNames(p); !slices.Equal(got, []string{"ex-02", "ex-01"}) || p.Offset != 3 {
		t.Fatalf("window 3+5 descending: %q offset %d", got, p.Offset)
	}
	// Past the end (the list shrank under the cursor): the broker says 400
	// page_out_of_range; the caller still learns how many rows match.
	if p = get(mgmt.ListQuery{Filter: "^ex-", Sort: "name", Offset: 40, Limit: 5}); p.Matched != 5 || p.Offset+len(p.Items) > 5 {
		t.Fatalf("past the end: %q offset %d matched %d", exchangeNames(p), p.Offset, p.Matched)
	}
	// By type, both ways.
	for _, desc := range []bool{false, true} {
		p = get(mgmt.ListQuery{Filter: "^ex-", Sort: mgmt.ExchangeSort["type"], Desc: desc, Limit: 10})
		types := make([]string, len(p.Items))
		for i, e := range p.Items {
			types[i] = e.Type
		}
		sorted := slices.Clone(types)
		slices.Sort(sorted)
		if desc {
			slices.Reverse(sorted)
		}
		if !slices.Equal(types, sorted) || len(types) != 5 {
			t.Fatalf("by type (desc %v): %q", desc, types)
		}
	}
	// A regex matching the default exchange's empty name.
	if p = get(mgmt.ListQuery{Filter: "^$"}); len(p.Items) != 1 || p.Items[0].Name != "" {
		t.Fatalf("filter ^$: %q", exchangeNames(p))
	}
}

func TestExchangesVHostScope(t *testing.T) {
	env := testenv.Broker(t)
	vh, other := testenv.VHost(t), testenv.VHost(t)
	mine := "scope-" + vh // unique on the whole broker
	putExchange(t, env, vh, mine, "topic", nil)
	c, ctx := client(t, env), context.Background()
	p, err := c.Exchanges(ctx, mgmt.ListQuery{Filter: "^" + regexp.QuoteMeta(mine) + "$"})
	if err != nil || len(p.Items) != 1 || p.Items[0].VHost != vh || p.Total < 2*len(builtinExchanges)+1 {
		t.Fatalf("every vhost: %+v, %v", p, err)
	}
	if p, err = c.Exchanges(ctx, mgmt.ListQuery{VHost: other, Filter: regexp.QuoteMeta(mine)}); err != nil || p.Matched != 0 || p.Total != len(builtinExchanges) {
		t.Fatalf("other vhost: %+v, %v", p, err)
	}
	_, err = c.Exchanges(ctx, mgmt.ListQuery{VHost: "no-such-" + vh})
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `list exchanges of vhost "no-such-`) {
		t.Fatalf("missing vhost: %v", err)
	}
}

func TestExchangesRates(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "sink", nil)
	for _, ex := range []string{"ex-slow", "ex-fast", "ex-idle"} {
		putExchange(t, env, vh, ex, "fanout", nil)
		putBinding(t, env, vh, ex, "q", "sink", "", nil)
	}
	msgs := func(n int) [][]byte { return slices.Repeat([][]byte{[]byte("m")}, n) }
	c := client(t, env)
	var p mgmt.ListPage[mgmt.Exchange]
	// Published on every try: on a loaded machine the statistics may lag
	// a single burst out of the rate window before they show it.
	testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
		testenv.Publish(t, env, vh, "ex-slow", "", msgs(5)...)
		testenv.Publish(t, env, vh, "ex-fast", "", msgs(60)...)
		var err error
		p, err = c.Exchanges(context.Background(), mgmt.ListQuery{VHost: vh, Filter: "^ex-", Sort: mgmt.ExchangeSort["in"], Desc: true})
		if err != nil {
			return false, err.Error()
		}
		got := exchangeNames(p)
		if len(got) != 3 || got[0] != "ex-fast" || got[1] != "ex-slow" {
			return false, fmt.Sprintf("by in/s: %q", got)
		}
		fast, slow := p.Items[0], p.Items[1]
		if !fast.InRate.OK || !slow.InRate.OK || fast.InRate.PerSec <= slow.InRate.PerSec || slow.InRate.PerSec <= 0 {
			return false, fmt.Sprintf("in/s fast %+v slow %+v", fast.InRate, slow.InRate)
		}
		if !fast.OutRate.OK || fast.OutRate.PerSec <= 0 {
			return false, fmt.Sprintf("out/s fast %+v", fast.OutRate)
		}
		return true, ""
	})
	// Nothing was ever published to ex-idle: no message_stats, so unknown, not 0.
	if idle := p.Items[2]; idle.Name != "ex-idle" || idle.InRate.OK || idle.OutRate.OK {
		t.Fatalf("idle exchange: %+v", idle)
	}
	// The short key does as well as the field.
	p, err := c.Exchanges(context.Background(), mgmt.ListQuery{VHost: vh, Filter: "^ex-", Sort: "out"})
	if got := exchangeNames(p); err != nil || !slices.Equal(got[1:], []string{"ex-slow", "ex-fast"}) {
		t.Fatalf("by out/s ascending: %q, %v", got, err)
	}
}

func TestExchangeBindings(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "in x", "topic", nil) // a space, escaped in the path
	putExchange(t, env, vh, "audit", "fanout", nil)
	putBinding(t, env, vh, "in x", "q", "orders", "orders.#", map[string]any{"x-k": "v"})
	putBinding(t, env, vh, "in x", "e", "audit", "audit.*", nil)
	c, ctx := client(t, env), context.Background()
	from, to, err := c.ExchangeBindings(ctx, vh, "in x")
	if err != nil || len(from) != 2 || len(to) != 0 {
		t.Fatalf("in x: from %+v to %+v, %v", from, to, err)
	}
	slices.SortFunc(from, func(a, b mgmt.Binding) int { return strings.Compare(a.Destination, b.Destination) })
	if b := from[0]; b.Destination != "audit" || b.DestinationType != "exchange" || b.RoutingKey != "audit.*" || b.Source != "in x" || b.VHost != vh {
		t.Fatalf("e2e binding: %+v", b)
	}
	if b := from[1]; b.Destination != "orders" || b.DestinationType != "queue" || b.Arguments["x-k"] != "v" || b.PropertiesKey == "" {
		t.Fatalf("queue binding: %+v", b)
	}
	if from, to, err = c.ExchangeBindings(ctx, vh, "audit"); err != nil || len(from) != 0 || len(to) != 1 || to[0].Source != "in x" {
		t.Fatalf("audit: from %+v to %+v, %v", from, to, err)
	}
	// The default exchange: one implicit binding per queue, keyed by its name.
	from, to, err = c.ExchangeBindings(ctx, vh, "")
	if err != nil || len(from) != 1 || from[0].Source != "" || from[0].Destination != "orders" || from[0].RoutingKey != "orders" || len(to) != 0 {
		t.Fatalf("default exchange: from %+v to %+v, %v", from, to, err)
	}
	// The broker does not 404 a missing exchange here: no bindings.
	if from, to, err = c.ExchangeBindings(ctx, vh, "no-such"); err != nil || len(from)+len(to) != 0 {
		t.Fatalf("missing exchange: %+v %+v, %v", from, to, err)
	}
	// Nor a missing vhost (3.10.8), where GET of the exchange itself is a 404.
	if from, to, err = c.ExchangeBindings(ctx, "no-such-"+vh, "x"); err != nil || len(from)+len(to) != 0 {
		t.Fatalf("missing vhost: %+v %+v, %v", from, to, err)
	}
}

func bindingRows(p mgmt.ListPage[mgmt.Binding]) []string {
	var out []string
	for _, b := range p.Items {
		out = append(out, fmt.Sprintf("%s>%s:%s", b.Source, b.Destination, b.RoutingKey))
	}
	return out
}

func TestBindingsList(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	testenv.DeclareQueue(t, env, vh, "audit-q", nil)
	putExchange(t, env, vh, "ex-a", "topic", nil)
	putExchange(t, env, vh, "ex-b", "fanout", nil)
	putBinding(t, env, vh, "ex-a", "q", "orders", "orders.#", nil)
	putBinding(t, env, vh, "ex-a", "e", "ex-b", "b.key", nil)
	putBinding(t, env, vh, "ex-b", "q", "audit-q", "", nil)
	c, ctx := client(t, env), context.Background()
	get := func(q mgmt.ListQuery) []string {
		t.Helper()
		q.VHost = vh
		p, err := c.Bindings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Paged || p.Total != 5 || len(p.Raw) != len(p.Items) {
			t.Fatalf("%+v: paged %v total %d raw %d", q, p.Paged, p.Total, len(p.Raw))
		}
		return bindingRows(p)
	}
	// The default order is by source; the implicit default-exchange
	// bindings ("" to each queue, keyed by its name) come first.
	bySource := []string{">audit-q:audit-q", ">orders:orders", "ex-a>ex-b:b.key", "ex-a>orders:orders.#", "ex-b>audit-q:"}
	for _, sort := range []string{"", mgmt.BindingSort["source"]} {
		if got := get(mgmt.ListQuery{Sort: sort}); !slices.Equal(got, bySource) {
			t.Fatalf("sort %q: %q", sort, got)
		}
	}
	rev := slices.Clone(bySource)
	slices.Reverse(rev)
	if got := get(mgmt.ListQuery{Desc: true}); !slices.Equal(got, rev) {
		t.Fatalf("by source descending: %q", got)
	}
	cases := map[string][]string{
		"destination":      {">audit-q:audit-q", "ex-b>audit-q:", "ex-a>ex-b:b.key", ">orders:orders", "ex-a>orders:orders.#"},
		"routing_key":      {"ex-b>audit-q:", ">audit-q:audit-q", "ex-a>ex-b:b.key", ">orders:orders", "ex-a>orders:orders.#"},
		"destination_type": {"ex-a>ex-b:b.key", ">audit-q:audit-q", ">orders:orders", "ex-a>orders:orders.#", "ex-b>audit-q:"},
		"vhost":            bySource,
	}
	for key, want := range cases {
		if got := get(mgmt.ListQuery{Sort: mgmt.BindingSort[key]}); !slices.Equal(got, want) {
			t.Errorf("by %s: %q\nwant %q", key, got, want)
		}
	}
	// The filter matches the source, the destination or the routing key.
	filters := map[string][]string{
		"^ex-a$": {"ex-a>ex-b:b.key", "ex-a>orders:orders.#"},
		"^ex-b$": {"ex-a>ex-b:b.key", "ex-b>audit-q:"},
		`b\.key`: {"ex-a>ex-b:b.key"},
		"#":      {"ex-a>orders:orders.#"},
	}
	for f, want := range filters {
		if got := get(mgmt.ListQuery{Filter: f}); !slices.Equal(got, want) {
			t.Errorf("filter %q: %q, want %q", f, got, want)
		}
	}
	p, err := c.Bindings(ctx, mgmt.ListQuery{VHost: vh, Filter: "audit", Offset: 1, Limit: 1})
	if err != nil || p.Offset != 1 || p.Matched != 2 || !slices.Equal(bindingRows(p), []string{"ex-b>audit-q:"}) {
		t.Fatalf("window 1+1 of audit: %q offset %d matched %d, %v", bindingRows(p), p.Offset, p.Matched, err)
	}
	// Scope: the whole broker, another vhost, a bad filter.
	other := testenv.VHost(t)
	mine := "scope-" + vh
	testenv.DeclareQueue(t, env, vh, mine, nil)
	if p, err = c.Bindings(ctx, mgmt.ListQuery{Filter: regexp.QuoteMeta(mine)}); err != nil || len(p.Items) != 1 || p.Items[0].VHost != vh || p.Total < 6 {
		t.Fatalf("whole broker: %+v, %v", p, err)
	}
	if p, err = c.Bindings(ctx, mgmt.ListQuery{VHost: other}); err != nil || p.Total != 0 {
		t.Fatalf("other vhost: %+v, %v", p, err)
	}
	if _, err = c.Bindings(ctx, mgmt.ListQuery{VHost: vh, Filter: "("}); err == nil || !strings.Contains(err.Error(), "list bindings of vhost") {
		t.Fatalf("bad filter: %v", err)
	}
}
