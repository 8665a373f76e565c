package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func bindingRaw(b mgmt.Binding) []byte {
	return []byte(fmt.Sprintf(`{"source":%q,"destination":%q,"properties_key":%q}`, b.Source, b.Destination, b.PropertiesKey))
}

func sampleBindings() Page[mgmt.Binding] {
	rows := []mgmt.Binding{
		// The default exchange's implicit binding to every queue.
		{VHost: "/", Source: "", Destination: "orders", DestinationType: "queue", RoutingKey: "orders", PropertiesKey: "orders"},
		{VHost: "/", Source: "orders.x", Destination: "orders", DestinationType: "queue", RoutingKey: "order.created", PropertiesKey: "order.created"},
		{VHost: "/", Source: "orders.x", Destination: "audit.x", DestinationType: "exchange", RoutingKey: "#", PropertiesKey: "%23"},
		{VHost: "/", Source: "match.h", Destination: "a.b*", DestinationType: "queue", RoutingKey: "",
			Arguments: mgmt.Table{"x-match": "all", "region": "eu", "tier": float64(2)}, PropertiesKey: "~Y6Nk"},
		// Fields the broker left out: no kind, no arguments.
		{VHost: "eu", Source: "eu.fanout", Destination: "eu.events"},
		{VHost: "eu\x1b[31m", Source: hostileExchange, Destination: "q\x1b[31mred", DestinationType: "queue",
			RoutingKey: "rk.\x1b[31mred", Arguments: mgmt.Table{"x-\x1b[31m": "v\x1b[31m"}, PropertiesKey: "x"},
	}
	p := Page[mgmt.Binding]{Rows: rows, Matched: len(rows), Total: len(rows)}
	for _, r := range rows {
		p.Raw = append(p.Raw, bindingRaw(r))
	}
	return p
}

func TestBindingsGolden(t *testing.T) {
	k := keys.Default()
	v := NewBindings(&k)
	goldenList(t, sized(v, func(v *Bindings) { v.SetPage(sampleBindings()) }), func(w int) []string {
		wants := []string{DefaultExchangeName, "order.created", "audit.x", "exchange", `\x1b[31m`, "1/6 bindings"}
		if w > 80 {
			wants = append(wants, "ARGUMENTS", "region = eu, tier = 2, …") // ARGUMENTS drops at 80; cut to its 24 cells
		} else if strings.Contains(ansi.Strip(v.View()), "ARGUMENTS") {
			t.Errorf("ARGUMENTS shown at %d columns", w)
		}
		return wants
	})
}

func bindingCell(t *testing.T, v *Bindings, title string, b mgmt.Binding) string {
	t.Helper()
	for _, c := range v.Spec.Columns {
		if c.Title == title {
			return c.Cell(b)
		}
	}
	t.Fatalf("no column %s", title)
	return ""
}

// The columns; the default exchange by its display name; arguments on
// one line, sorted by key, values compact (JSON for the non-scalars).
func TestBindingsColumnsAndArguments(t *testing.T) {
	k := keys.Default()
	v := NewBindings(&k)
	v.SetSize(160, 24)
	v.SetPage(sampleBindings())
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	want := []string{"VHOST", "SOURCE↑", "DESTINATION", "KIND", "ROUTING", "KEY", "ARGUMENTS"}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("titles = %q, want %q", got, want)
	}
	if got := strings.Fields(lines[1]); strings.Join(got, " ") != "/ (AMQP default) orders queue orders" {
		t.Errorf("default exchange row = %q", got)
	}
	if got := strings.Fields(lines[5]); strings.Join(got, " ") != "eu eu.fanout eu.events" {
		t.Errorf("row without kind and arguments = %q", got)
	}
	for _, c := range []struct {
		args mgmt.Table
		want string
	}{
		{nil, ""},
		{mgmt.Table{}, ""},
		{mgmt.Table{"x-match": "any"}, "x-match = any"},
		{mgmt.Table{"x-match": "all", "region": "eu", "tier": float64(2)}, "region = eu, tier = 2, x-match = all"},
		{mgmt.Table{"ratio": 0.5, "on": true, "list": []any{"a", float64(1)}, "nested": map[string]any{"k": "v"}},
			`list = ["a",1], nested = {"k":"v"}, on = true, ratio = 0.5`},
		{mgmt.Table{"x-\x1b[31m": "v\x1b[31m"}, `x-\x1b[31m = v\x1b[31m`},
	} {
		if got := bindingCell(t, v, "ARGUMENTS", mgmt.Binding{Arguments: c.args}); got != c.want {
			t.Errorf("arguments %v = %q, want %q", c.args, got, c.want)
		}
	}
	if got := bindingCell(t, v, "SOURCE", mgmt.Binding{}); got != DefaultExchangeName {
		t.Errorf("source \"\" = %q", got)
	}
	if got := bindingCell(t, v, "SOURCE", mgmt.Binding{Source: hostileExchange}); strings.Contains(got, "\x1b") {
		t.Errorf("hostile source = %q", got)
	}
}

// enter opens the destination (a queue or an exchange), X the source
// exchange, each filtered to exactly that name; y the binding's JSON.
func TestBindingsKeysEmitIntents(t *testing.T) {
	k := keys.Default()
	v := NewBindings(&k)
	v.SetSize(160, 12)
	p := sampleBindings()
	v.SetPage(p)
	for i, b := range p.Rows {
		if i > 0 {
			v.Update(press("j"))
		}
		view := "queues"
		if b.DestinationType == "exchange" {
			view = "exchanges"
		}
		want := OpenViewRequested{View: view, VHost: b.VHost, Filter: Exactly(b.Destination)}
		if got := msgOf(v.Update(press("enter"))); got != want {
			t.Errorf("enter on binding %d = %#v, want %#v", i, got, want)
		}
		src := OpenViewRequested{View: "exchanges", VHost: b.VHost, Filter: Exactly(b.Source)}
		got, ok := msgOf(v.Update(press("X"))).(OpenViewRequested)
		if !ok || got != src {
			t.Errorf("X on binding %d = %#v, want %#v", i, got, src)
		}
		if re := mustFilterRegexp(t, got.Filter); !re.MatchString(b.Source) || re.MatchString(b.Source+"x") || re.MatchString("x"+b.Source) {
			t.Errorf("X's filter %q does not match exactly %q", got.Filter, b.Source)
		}
		raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
		if !ok || string(raw.Raw) != string(p.Raw[i]) {
			t.Errorf("y on binding %d = %#v", i, raw)
		}
		if strings.Contains(raw.Title, "\x1b") || !strings.HasPrefix(raw.Title, "binding ") {
			t.Errorf("y's title %q", raw.Title)
		}
	}
	// The default exchange's binding: its source is the empty name.
	v.Update(press("g"))
	if got := msgOf(v.Update(press("X"))).(OpenViewRequested); got.Filter != "^$" {
		t.Errorf("X on the default exchange's binding = %#v", got)
	}
	if raw := msgOf(v.Update(press("y"))).(RawJSONRequested); raw.Title != "binding "+DefaultExchangeName+" → orders" {
		t.Errorf("y's title on the default binding %q", raw.Title)
	}
	// The queue named with metacharacters: only that queue.
	for range 3 {
		v.Update(press("j"))
	}
	re := mustFilterRegexp(t, msgOf(v.Update(press("enter"))).(OpenViewRequested).Filter)
	if !re.MatchString("a.b*") || re.MatchString("aXb") || re.MatchString("a.bb") {
		t.Errorf("the filter of queue a.b* is %v", re)
	}
}

func TestBindingsSortCyclesAndCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewBindings(&k)
	v.SetSize(160, 12)
	p := sampleBindings()
	v.SetPage(p)
	for _, s := range v.Spec.Sorts {
		if _, ok := mgmt.BindingSort[s]; !ok {
			t.Errorf("sort key %q is not one of mgmt.BindingSort's", s)
		}
	}
	testSortCycle(t, v.List, v.Update, []string{"source", "destination", "routing_key", "destination_type", "vhost"}, nil)

	// Two bindings from orders.x differ by destination: the cursor follows
	// the one chosen when a refresh reorders them.
	v.Update(press("g"))
	v.Update(press("j"))
	v.Update(press("j")) // orders.x → audit.x
	re := Page[mgmt.Binding]{Rows: []mgmt.Binding{p.Rows[2], p.Rows[1], p.Rows[0], p.Rows[3], p.Rows[4], p.Rows[5]},
		Raw: [][]byte{p.Raw[2], p.Raw[1], p.Raw[0], p.Raw[3], p.Raw[4], p.Raw[5]}, Matched: 6, Total: 6}
	v.SetPage(re)
	got, ok := v.Selected()
	if !ok || got.Destination != "audit.x" {
		t.Fatalf("after a reordering refresh the cursor is on %+v", got)
	}
	if open := msgOf(v.Update(press("enter"))).(OpenViewRequested); open.View != "exchanges" || open.Filter != Exactly("audit.x") {
		t.Fatalf("enter after the reorder = %#v", open)
	}
}

// Scoped to one vhost, the VHOST column goes.
func TestBindingsVHostScopeDropsTheColumn(t *testing.T) {
	k := keys.Default()
	v := NewBindings(&k)
	v.SetSize(160, 12)
	v.SetVHost("/")
	p := sampleBindings()
	v.SetPage(Page[mgmt.Binding]{Rows: p.Rows[:4], Raw: p.Raw[:4], Matched: 4, Total: 4})
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	if !strings.HasPrefix(lines[0], "SOURCE") || strings.Contains(lines[0], "VHOST") {
		t.Fatalf("titles with a vhost scope: %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "4 bindings in vhost /") {
		t.Fatalf("position line %q", last)
	}
}
