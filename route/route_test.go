package route

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// topo builds a Topology: exchanges as "name:type", "name:type:ae=x",
// "name:type:internal"; bindings as "src -> q:key" (queue) or "src => x:key"
// (exchange); every queue named by a binding exists, plus extra.
func topo(exchanges []string, bindings []string, extra ...string) Topology {
	t := Topology{Exchanges: map[string]Exchange{}, Queues: map[string]bool{}}
	for _, e := range exchanges {
		f := strings.Split(e, ":")
		x := Exchange{Name: f[0], Type: f[1]}
		for _, opt := range f[2:] {
			switch {
			case opt == "internal":
				x.Internal = true
			case strings.HasPrefix(opt, "ae="):
				x.AlternateExchange = strings.TrimPrefix(opt, "ae=")
			}
		}
		t.Exchanges[x.Name] = x
	}
	for _, b := range bindings {
		arrow := " -> "
		toX := strings.Contains(b, " => ")
		if toX {
			arrow = " => "
		}
		src, rest, _ := strings.Cut(b, arrow)
		dst, key, _ := strings.Cut(rest, ":")
		t.Bindings = append(t.Bindings, Binding{Source: src, Destination: dst, DestinationIsExchange: toX, RoutingKey: key})
		if !toX {
			t.Queues[dst] = true
		}
	}
	for _, q := range extra {
		t.Queues[q] = true
	}
	return t
}

func predict(t *testing.T, tp Topology, x string, m Message) Result {
	t.Helper()
	r, err := Predict(tp, x, m)
	if err != nil {
		t.Fatalf("Predict(%q, %+v): %v", x, m, err)
	}
	return r
}

func wantQueues(t *testing.T, r Result, want ...string) {
	t.Helper()
	if !slices.Equal(r.Queues, want) {
		t.Fatalf("queues %q, want %q (path %+v)", r.Queues, want, r.Path)
	}
	if r.Unroutable != (len(want) == 0) {
		t.Fatalf("unroutable = %v with queues %q", r.Unroutable, r.Queues)
	}
}

func visited(r Result) []string {
	var out []string
	for _, h := range r.Path {
		out = append(out, h.Exchange+"/"+h.Reached.String())
	}
	return out
}

func TestPredictExchangeTypes(t *testing.T) {
	tp := topo([]string{"d:direct", "f:fanout", "t:topic", "h:headers"}, []string{
		"d -> q1:a", "d -> q2:a.b", "d -> q1:b", "d -> q3:",
		"f -> q1:ignored", "f -> q2:",
		"t -> q1:kern.*", "t -> q2:#", "t -> q3:*.critical",
	})
	tp.Bindings = append(tp.Bindings,
		Binding{Source: "h", Destination: "q1", Arguments: H{"x-match": "any", "a": "1", "b": "2"}},
		Binding{Source: "h", Destination: "q2", Arguments: H{"a": "1", "b": "2"}})
	for _, c := range []struct {
		x, key  string
		headers H
		want    []string
		matched []int
	}{
		{"d", "a", nil, []string{"q1"}, []int{0}},
		{"d", "a.b", nil, []string{"q2"}, []int{1}},
		{"d", "A", nil, nil, nil},
		{"d", "", nil, []string{"q3"}, []int{3}},
		{"d", "a.*", nil, nil, nil},
		{"f", "whatever", nil, []string{"q1", "q2"}, []int{4, 5}},
		{"t", "kern.critical", nil, []string{"q1", "q2", "q3"}, []int{6, 7, 8}},
		{"t", "kern", nil, []string{"q2"}, []int{7}},
		{"t", "", nil, []string{"q2"}, []int{7}},
		{"h", "", H{"a": "1"}, []string{"q1"}, []int{9}},
		{"h", "", H{"a": "1", "b": "2"}, []string{"q1", "q2"}, []int{9, 10}},
		{"h", "", nil, nil, nil},
	} {
		r := predict(t, tp, c.x, Message{RoutingKey: c.key, Headers: c.headers})
		wantQueues(t, r, c.want...)
		if !slices.Equal(r.Path[0].Matched, c.matched) {
			t.Errorf("%s %q: matched %v, want %v", c.x, c.key, r.Path[0].Matched, c.matched)
		}
		if !r.Exact {
			t.Errorf("%s %q: inexact: %v", c.x, c.key, r.Inexact)
		}
	}
	// Direct ignores arguments; a queue bound twice is reached once.
	tp = topo([]string{"d:direct"}, []string{"d -> q:k", "d -> q:k"})
	tp.Bindings[1].Arguments = H{"x-whatever": "1"}
	r := predict(t, tp, "d", Message{RoutingKey: "k"})
	wantQueues(t, r, "q")
	if !slices.Equal(r.Path[0].Matched, []int{0, 1}) || !slices.Equal(r.Path[0].Queues, []string{"q"}) {
		t.Fatalf("hop %+v", r.Path[0])
	}
	if got := tp.BindingsFrom("d"); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("BindingsFrom = %v", got)
	}
}

func TestPredictDefaultExchange(t *testing.T) {
	tp := topo(nil, nil, "orders", "audit", "amq.gen-x")
	wantQueues(t, predict(t, tp, "", Message{RoutingKey: "orders"}), "orders")
	wantQueues(t, predict(t, tp, "", Message{RoutingKey: "missing"}))
	wantQueues(t, predict(t, tp, "", Message{RoutingKey: ""}))
	wantQueues(t, predict(t, tp, "", Message{RoutingKey: "Orders"}))
	// CC and BCC are more routing keys; duplicates count once.
	r := predict(t, tp, "", Message{RoutingKey: "missing", Headers: H{"CC": []any{"orders", "orders"}, "BCC": []string{"audit"}}})
	wantQueues(t, r, "audit", "orders")
	// Only longstr elements of CC are routing keys.
	wantQueues(t, predict(t, tp, "", Message{RoutingKey: "x", Headers: H{"CC": []any{[]byte("orders"), int64(1)}}}))
	// A CC that is not an array makes the broker refuse the message.
	for _, v := range []any{"orders", nil, int64(1)} {
		if _, err := Predict(tp, "", Message{RoutingKey: "orders", Headers: H{"CC": v}}); !errors.Is(err, ErrRoutingHeader) {
			t.Fatalf("CC %v: %v, want ErrRoutingHeader", v, err)
		}
	}
	// The lower-case header is just a header.
	wantQueues(t, predict(t, tp, "", Message{RoutingKey: "x", Headers: H{"cc": []any{"orders"}}}))
	// Direct reply-to is no queue, and not predicted.
	r = predict(t, tp, "", Message{RoutingKey: "amq.rabbitmq.reply-to.g1h2AA"})
	if r.Exact || len(r.Queues) != 0 || !strings.Contains(r.Inexact[0], "direct reply-to") {
		t.Fatalf("direct reply-to: %+v", r)
	}
}

func TestPredictCCOnOtherExchanges(t *testing.T) {
	tp := topo([]string{"d:direct", "t:topic", "h:headers", "f:fanout"}, []string{"d -> q1:a", "d -> q2:b", "t -> q3:b.*", "f -> q4:"})
	tp.Bindings = append(tp.Bindings, Binding{Source: "h", Destination: "q5", Arguments: H{"BCC": nil}})
	wantQueues(t, predict(t, tp, "d", Message{RoutingKey: "a", Headers: H{"CC": []any{"b"}}}), "q1", "q2")
	wantQueues(t, predict(t, tp, "d", Message{RoutingKey: "x", Headers: H{"BCC": []any{"b"}}}), "q2")
	wantQueues(t, predict(t, tp, "t", Message{RoutingKey: "a", Headers: H{"CC": []any{"b.x"}}}), "q3")
	wantQueues(t, predict(t, tp, "f", Message{RoutingKey: "a", Headers: H{"CC": []any{"b.x"}}}), "q4")
	// The broker strips BCC before routing: a headers exchange never sees it.
	wantQueues(t, predict(t, tp, "h", Message{Headers: H{"BCC": []any{"q5"}}}))
}

func TestPredictExchangeToExchange(t *testing.T) {
	tp := topo([]string{"x:topic", "y:fanout:internal", "z:direct", "w:fanout"}, []string{
		"x => y:a.#", "x => z:a.b", "x -> qx:a.*", "y -> qy:", "z -> qz:a.b", "z => w:a.b", "y => w:", "w -> qw:", "w => x:", "z => z:a.b",
	})
	r := predict(t, tp, "x", Message{RoutingKey: "a.b"})
	wantQueues(t, r, "qw", "qx", "qy", "qz")
	// Each exchange once: w is reached from y and z, x again from w, z from itself.
	if got, want := visited(r), []string{"x/published", "y/bound", "z/bound", "w/bound"}; !slices.Equal(got, want) {
		t.Fatalf("visited %v, want %v", got, want)
	}
	if h := r.Path[0]; !slices.Equal(h.Exchanges, []string{"y", "z"}) || !slices.Equal(h.Queues, []string{"qx"}) {
		t.Fatalf("hop x: %+v", h)
	}
	// Internal y is followed; only publishing to it is refused.
	if _, err := Predict(tp, "y", Message{}); !errors.Is(err, ErrInternal) {
		t.Fatalf("publish to internal y: %v", err)
	}
	if _, err := Predict(tp, "nope", Message{}); !errors.Is(err, ErrNoExchange) {
		t.Fatalf("publish to a missing exchange: %v", err)
	}
	// A cycle ends.
	tp = topo([]string{"a:fanout", "b:fanout"}, []string{"a => b:", "b => a:", "a => a:"})
	r = predict(t, tp, "a", Message{})
	wantQueues(t, r)
	if len(r.Path) != 2 {
		t.Fatalf("cycle path %v", visited(r))
	}
	// A destination exchange the topology does not have is skipped.
	tp = topo([]string{"a:fanout"}, []string{"a => gone:", "a -> q:"})
	r = predict(t, tp, "a", Message{})
	wantQueues(t, r, "q")
	if len(r.Path) != 2 || !r.Path[1].Missing || !r.Exact {
		t.Fatalf("missing destination: %+v", r)
	}
}

func TestPredictAlternateExchange(t *testing.T) {
	tp := topo([]string{"x:direct:ae=ae1", "ae1:fanout:ae=ae2", "ae2:fanout", "y:direct:ae=ae2", "ae3:topic:internal"}, []string{
		"x -> qx:k", "x => y:to-y", "ae2 -> qae2:", "y -> qy:y",
	})
	// Matched: no alternate.
	r := predict(t, tp, "x", Message{RoutingKey: "k"})
	wantQueues(t, r, "qx")
	if r.Path[0].Alternate != "" || len(r.Path) != 1 {
		t.Fatalf("alternate used despite a match: %+v", r.Path)
	}
	// Nothing matched: ae1, which matches nothing either (no bindings), so ae2.
	r = predict(t, tp, "x", Message{RoutingKey: "other"})
	wantQueues(t, r, "qae2")
	if got, want := visited(r), []string{"x/published", "ae1/alternate", "ae2/alternate"}; !slices.Equal(got, want) {
		t.Fatalf("visited %v, want %v", got, want)
	}
	if r.Path[0].Alternate != "ae1" || r.Path[1].Alternate != "ae2" || r.Path[2].From != "ae1" {
		t.Fatalf("path %+v", r.Path)
	}
	// x matches only its binding to y; y matches nothing: x's alternate is not
	// used (x's own routing found a destination), y's is.
	r = predict(t, tp, "x", Message{RoutingKey: "to-y"})
	wantQueues(t, r, "qae2")
	if got, want := visited(r), []string{"x/published", "y/bound", "ae2/alternate"}; !slices.Equal(got, want) {
		t.Fatalf("visited %v, want %v", got, want)
	}
	// Alternates in a cycle, and an alternate that is itself.
	tp = topo([]string{"a:direct:ae=b", "b:direct:ae=a", "c:direct:ae=c"}, nil)
	wantQueues(t, predict(t, tp, "a", Message{RoutingKey: "k"}))
	wantQueues(t, predict(t, tp, "c", Message{RoutingKey: "k"}))
	// An alternate that does not exist.
	tp = topo([]string{"a:direct:ae=gone"}, nil)
	r = predict(t, tp, "a", Message{})
	wantQueues(t, r)
	if len(r.Path) != 2 || !r.Path[1].Missing {
		t.Fatalf("missing alternate: %+v", r.Path)
	}
	// An internal alternate exchange works.
	tp = topo([]string{"a:direct:ae=i", "i:fanout:internal"}, []string{"i -> qi:"})
	wantQueues(t, predict(t, tp, "a", Message{}), "qi")
	// A headers exchange whose bindings do not match uses its alternate.
	tp = topo([]string{"h:headers:ae=i", "i:fanout"}, []string{"i -> qi:"})
	tp.Bindings = append(tp.Bindings, Binding{Source: "h", Destination: "qh", Arguments: H{"a": "1"}})
	wantQueues(t, predict(t, tp, "h", Message{Headers: H{"a": "2"}}), "qi")
	wantQueues(t, predict(t, tp, "h", Message{Headers: H{"a": "1"}}), "qh")
}

func TestPredictUnknownTypes(t *testing.T) {
	tp := topo([]string{"x:topic", "hash:x-consistent-hash:ae=ae", "ae:fanout", "delayed:x-delayed-message"}, []string{
		"x => hash:a", "x -> qx:#", "hash -> q1:1", "hash -> q2:1", "ae -> qae:", "delayed -> q3:",
	})
	r := predict(t, tp, "x", Message{RoutingKey: "a"})
	if r.Exact || len(r.Inexact) != 1 || r.Inexact[0] != `cannot predict: exchange "hash" is of plugin type x-consistent-hash` {
		t.Fatalf("inexact: %+v", r)
	}
	// What is known is still listed; the plugin exchange's bindings and
	// alternate are not guessed at.
	wantQueues(t, r, "qx")
	if len(r.Path) != 2 || r.Path[1].Inexact == "" || len(r.Path[1].Matched) != 0 {
		t.Fatalf("path %+v", r.Path)
	}
	r = predict(t, tp, "delayed", Message{})
	if r.Exact || len(r.Queues) != 0 || r.Path[0].Type != "x-delayed-message" {
		t.Fatalf("delayed: %+v", r)
	}
}

func TestPredictUnsureHeaders(t *testing.T) {
	tp := topo([]string{"h:headers:ae=ae", "ae:fanout"}, []string{"ae -> qae:"})
	tp.Bindings = append(tp.Bindings, Binding{Source: "h", Destination: "qh", Arguments: H{"n": float64(1)}})
	tp.Equality = Strict
	r := predict(t, tp, "h", Message{Headers: H{"n": int64(1)}})
	if r.Exact || !slices.Equal(r.Path[0].Unsure, []int{1}) || len(r.Queues) != 0 || len(r.Path) != 1 {
		t.Fatalf("unsure: %+v", r)
	}
	if !strings.Contains(r.Inexact[0], `binding to queue "qh"`) || !strings.Contains(r.Inexact[0], `alternate exchange "ae"`) {
		t.Fatalf("reason: %s", r.Inexact[0])
	}
	// Before 3.13 the type does not matter at top level.
	tp.Equality = Arithmetic
	r = predict(t, tp, "h", Message{Headers: H{"n": int64(1)}})
	wantQueues(t, r, "qh")
	if !r.Exact {
		t.Fatalf("inexact: %v", r.Inexact)
	}
}
