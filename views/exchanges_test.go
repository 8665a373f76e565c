package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// hostileExchange is an exchange name that tries to colour the terminal.
const hostileExchange = "evil.x\x1b[31mred"

func exchangeRaw(e mgmt.Exchange) []byte {
	return []byte(fmt.Sprintf(`{"name":%q,"vhost":%q}`, e.Name, e.VHost))
}

func sampleExchanges() Page[mgmt.Exchange] {
	rows := []mgmt.Exchange{
		{VHost: "/", Name: "", Type: "direct", Durable: true, InRate: mgmt.R(12.5), OutRate: mgmt.R(12.5)},
		{VHost: "/", Name: "amq.topic", Type: "topic", Durable: true, Internal: false, InRate: mgmt.R(0), OutRate: mgmt.R(0)},
		{VHost: "/", Name: "a.b*", Type: "fanout", AutoDelete: true, InRate: mgmt.R(1500), OutRate: mgmt.R(4500)},
		// Statistics not in yet: both rates unknown.
		{VHost: "/", Name: "orders.x", Type: "headers", Durable: true, Internal: true},
		// The same name in another vhost: another row.
		{VHost: "eu", Name: "orders.x", Type: "topic", Durable: true, InRate: mgmt.R(0.4), OutRate: mgmt.R(0)},
		{VHost: "eu\x1b[31m", Name: hostileExchange, Type: "x-\x1b[31mcustom", InRate: mgmt.R(0), OutRate: mgmt.R(0)},
	}
	p := Page[mgmt.Exchange]{Rows: rows, Matched: len(rows), Total: len(rows)}
	for _, r := range rows {
		p.Raw = append(p.Raw, exchangeRaw(r))
	}
	return p
}

func TestExchangesGolden(t *testing.T) {
	k := keys.Default()
	goldenList(t, sized(NewExchanges(&k), func(v *Exchanges) { v.SetPage(sampleExchanges()) }), func(int) []string {
		return []string{DefaultExchangeName, "amq.topic", "a.b*", "headers", "–", `\x1b[31m`, "1/6 exchanges"}
	})
}

// The columns, and the cells of a row: the default exchange by its
// display name, flags as yes/no, unknown rates as a dash.
func TestExchangesColumns(t *testing.T) {
	k := keys.Default()
	v := NewExchanges(&k)
	v.SetSize(160, 24)
	v.SetPage(sampleExchanges())
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	want := []string{"VHOST", "NAME↑", "TYPE", "DURABLE", "AUTO-DEL", "INTERNAL", "IN/S", "OUT/S"}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("titles = %q, want %q", got, want)
	}
	for _, c := range []struct {
		line int
		want []string
	}{
		{1, []string{"/", "(AMQP", "default)", "direct", "yes", "no", "no", "12", "12"}},
		{3, []string{"/", "a.b*", "fanout", "no", "yes", "no", "1500", "4500"}},
		{4, []string{"/", "orders.x", "headers", "yes", "no", "yes", "–", "–"}},
		{5, []string{"eu", "orders.x", "topic", "yes", "no", "no", "0.4", "0"}},
	} {
		if got := strings.Fields(lines[c.line]); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("row %d = %q, want %q", c.line, got, c.want)
		}
	}
	// Only the default exchange is shown under the placeholder.
	if got := exchangeName(mgmt.Exchange{Name: "amq.default"}); got != "amq.default" {
		t.Errorf("amq.default shown as %q", got)
	}
	if got := exchangeName(mgmt.Exchange{}); got != DefaultExchangeName {
		t.Errorf("the default exchange shown as %q", got)
	}
}

// enter opens the bindings of the exchange under the cursor, filtered to
// exactly its name; y its JSON as the broker sent it.
func TestExchangesKeysEmitIntents(t *testing.T) {
	k := keys.Default()
	v := NewExchanges(&k)
	v.SetSize(120, 10)
	p := sampleExchanges()
	v.SetPage(p)
	for i, e := range p.Rows {
		if i > 0 {
			v.Update(press("j"))
		}
		want := OpenViewRequested{View: "bindings", VHost: e.VHost, Filter: BindingsOfExchange(e.Name)}
		open, ok := msgOf(v.Update(press("enter"))).(OpenViewRequested)
		if !ok || open != want {
			t.Fatalf("enter on %q = %#v, want %#v", e.Name, open, want)
		}
		if name, ok := BindingsExchange(open.Filter); !ok || name != e.Name {
			t.Errorf("filter %q does not name exactly %q", open.Filter, e.Name)
		}
		raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
		if !ok || string(raw.Raw) != string(p.Raw[i]) {
			t.Fatalf("y on %q = %#v", e.Name, raw)
		}
		// The name in the title is neutralised. (The vhost is not: see
		// exchanges.go, `" in " + e.VHost`; the pager cleans the whole title.)
		if !strings.HasPrefix(raw.Title, "exchange "+exchangeName(e)+" in ") || strings.Contains(strings.TrimSuffix(raw.Title, e.VHost), "\x1b") {
			t.Errorf("y's title %q", raw.Title)
		}
	}
	// The metacharacters of a name are literal.
	re := mustFilterRegexp(t, Exactly("a.b*"))
	for _, s := range []string{"aXb", "a.b", "a.bbb", "a.b**", "aXb*"} {
		if re.MatchString(s) {
			t.Errorf("Exactly(a.b*) matches %q", s)
		}
	}
	// The default exchange's filter matches the empty name only.
	if re := mustFilterRegexp(t, Exactly("")); !re.MatchString("") || re.MatchString("amq.default") || re.MatchString(DefaultExchangeName) {
		t.Errorf("Exactly(\"\") = %q", Exactly(""))
	}
	// The title of the default exchange's JSON names it.
	v.Update(press("g"))
	if raw := msgOf(v.Update(press("y"))).(RawJSONRequested); !strings.Contains(raw.Title, DefaultExchangeName) {
		t.Errorf("y on the default exchange: title %q", raw.Title)
	}
}

// No row: enter and y do nothing.
func TestExchangesKeysOnAnEmptyList(t *testing.T) {
	k := keys.Default()
	v := NewExchanges(&k)
	v.SetSize(120, 10)
	v.SetPage(Page[mgmt.Exchange]{})
	for _, key := range []string{"enter", "y"} {
		if msg := msgOf(v.Update(press(key))); msg != nil {
			t.Errorf("%s on no exchange = %#v", key, msg)
		}
	}
	if out := ansi.Strip(v.View()); !strings.Contains(out, "no exchanges") {
		t.Errorf("empty list:\n%s", out)
	}
}

func TestExchangesSortCyclesAndCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewExchanges(&k)
	v.SetSize(160, 10)
	p := sampleExchanges()
	v.SetPage(p)
	for _, s := range v.Spec.Sorts {
		if _, ok := mgmt.ExchangeSort[s]; !ok {
			t.Errorf("sort key %q is not one of mgmt.ExchangeSort's", s)
		}
	}
	if len(v.Spec.Sorts) != len(mgmt.ExchangeSort) {
		t.Errorf("sorts %v, mgmt.ExchangeSort has %d keys", v.Spec.Sorts, len(mgmt.ExchangeSort))
	}
	testSortCycle(t, v.List, v.Update, []string{"name", "in", "out", "type", "vhost"},
		map[string]bool{"in": true, "out": true})

	// The cursor on orders.x in eu; a refresh in another order puts the
	// other orders.x (vhost /) where it was: the cursor follows the key.
	v.Update(press("g"))
	for range 4 {
		v.Update(press("j"))
	}
	chosen, _ := v.Selected()
	if chosen.VHost != "eu" || chosen.Name != "orders.x" {
		t.Fatalf("cursor on %q in %q", chosen.Name, chosen.VHost)
	}
	order := []int{5, 4, 3, 2, 1, 0}
	re := Page[mgmt.Exchange]{Matched: 6, Total: 6}
	for _, i := range order {
		re.Rows = append(re.Rows, p.Rows[i])
		re.Raw = append(re.Raw, p.Raw[i])
	}
	v.SetPage(re)
	got, ok := v.Selected()
	if !ok || got.VHost != "eu" || got.Name != "orders.x" {
		t.Fatalf("after a reordering refresh the cursor is on %q in %q", got.Name, got.VHost)
	}
	if q := v.Query(); q.Track != "eu\x00orders.x" {
		t.Fatalf("tracked key %q", q.Track)
	}
	if out := ansi.Strip(v.View()); !strings.Contains(out, "2/6 exchanges") {
		t.Fatalf("the position line does not follow the row:\n%s", out)
	}
	open := msgOf(v.Update(press("enter"))).(OpenViewRequested)
	if open.VHost != "eu" || open.Filter != BindingsOfExchange("orders.x") {
		t.Fatalf("enter after the reorder opened %#v", open)
	}
	if raw := msgOf(v.Update(press("y"))).(RawJSONRequested); string(raw.Raw) != string(p.Raw[4]) {
		t.Fatalf("y after the reorder gave %s", raw.Raw)
	}
}

// Scoped to one vhost, the VHOST column goes and the position line says
// the scope; the query carries it.
func TestExchangesVHostScopeDropsTheColumn(t *testing.T) {
	k := keys.Default()
	v := NewExchanges(&k)
	v.SetSize(120, 10)
	v.SetVHost("/")
	p := sampleExchanges()
	v.SetPage(Page[mgmt.Exchange]{Rows: p.Rows[:4], Raw: p.Raw[:4], Matched: 4, Total: 4})
	if q := v.Query(); q.VHost != "/" {
		t.Fatalf("query vhost %q", q.VHost)
	}
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	if f := strings.Fields(lines[0]); f[0] != "NAME↑" || strings.Contains(lines[0], "VHOST") {
		t.Fatalf("titles with a vhost scope: %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], DefaultExchangeName) {
		t.Fatalf("first row %q", lines[1])
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "in vhost /") {
		t.Fatalf("position line %q", last)
	}
	if open := msgOf(v.Update(press("enter"))).(OpenViewRequested); open.VHost != "/" || open.Filter != BindingsOfExchange("") {
		t.Fatalf("enter in the scoped list = %#v", open)
	}
	// Back to every vhost: the column is back.
	v.SetVHost("")
	if lines := strings.Split(ansi.Strip(v.View()), "\n"); !strings.HasPrefix(lines[0], "VHOST") {
		t.Fatalf("titles without a scope: %q", lines[0])
	}
}

// The bindings of an exchange are those from it and to it, not others
// whose routing key or destination happens to read like its name.
func TestBindingsOfExchangeAreFromOrToIt(t *testing.T) {
	name, ok := BindingsExchange(BindingsOfExchange("orders"))
	if !ok || name != "orders" {
		t.Fatalf("round trip: %q %v", name, ok)
	}
	if _, ok := BindingsExchange("^orders$"); ok {
		t.Fatal("a regex read as an exchange filter")
	}
	from := mgmt.Binding{Source: "orders", Destination: "q", DestinationType: "queue"}
	to := mgmt.Binding{Source: "upstream", Destination: "orders", DestinationType: "exchange"}
	implicit := mgmt.Binding{Source: "", Destination: "orders", DestinationType: "queue", RoutingKey: "orders"}
	if !FromOrTo(from, "orders") || !FromOrTo(to, "orders") || FromOrTo(implicit, "orders") {
		t.Fatal("from/to wrong")
	}
	if !FromOrTo(implicit, "") || FromOrTo(to, "") {
		t.Fatal("the default exchange's bindings wrong")
	}
}
