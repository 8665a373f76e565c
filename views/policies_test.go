package views

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func policiesPage() Page[mgmt.Policy] {
	rows := []mgmt.Policy{
		{VHost: "orders", Name: "cap", Pattern: "^", ApplyTo: "queues", Priority: mgmt.C(20), Operator: true,
			Definition: mgmt.Table{"max-length": float64(1e6), "overflow": "reject-publish"}},
		{VHost: "orders", Name: "orders-limit", Pattern: `^orders\.`, ApplyTo: "quorum_queues", Priority: mgmt.C(10),
			Definition: mgmt.Table{"delivery-limit": float64(20), "dead-letter-exchange": "orders.dlx"}},
		{VHost: "/", Name: "ha-all", Pattern: ".*", ApplyTo: "all", Priority: mgmt.C(0),
			Definition: mgmt.Table{"ha-mode": "nodes", "ha-params": []any{"rabbit@a", "rabbit@b"}, "ha-sync-mode": "automatic"}},
		{VHost: "/", Name: adminHostile, Pattern: `^amq\.` + "\x1b[31m", ApplyTo: "exchanges",
			Definition: mgmt.Table{"alternate-exchange": "ae\x1b[31m"}}, // priority unknown
		{VHost: "/", Name: "legacy", Pattern: "^legacy$"}, // apply-to and definition unknown
	}
	return Page[mgmt.Policy]{Rows: rows, Raw: adminRaw(rows), Matched: len(rows), Total: len(rows)}
}

func TestPoliciesGolden(t *testing.T) {
	k := keys.Default()
	v := NewPolicies(&k)
	v.SetSize(80, 24)
	v.SetPage(policiesPage())
	adminGolden(t, v)
}

// Scoped to one vhost, the vhost column goes.
func TestPoliciesScopedDropTheVHostColumn(t *testing.T) {
	k := keys.Default()
	v := NewPolicies(&k)
	v.SetVHost("orders")
	p := policiesPage()
	p.Rows, p.Raw, p.Matched = p.Rows[:2], p.Raw[:2], 2
	v.SetSize(160, 48)
	v.SetPage(p)
	out := ansi.Strip(v.View())
	if strings.Contains(out, "VHOST") || !strings.Contains(out, "in vhost orders") {
		t.Fatalf("scoped list:\n%s", out)
	}
	if v.Query().VHost != "orders" {
		t.Fatalf("query not scoped: %+v", v.Query())
	}
}

func TestPoliciesKeys(t *testing.T) {
	k := keys.Default()
	v := NewPolicies(&k)
	v.SetSize(120, 24)
	p := policiesPage()
	v.SetPage(p)
	for i, want := range []OpenViewRequested{
		{View: "queues", VHost: "orders", Filter: "^"},
		{View: "queues", VHost: "orders", Filter: `^orders\.`},
		{View: "queues", VHost: "/", Filter: ".*"},
		{View: "exchanges", VHost: "/", Filter: `^amq\.` + "\x1b[31m"},
		{View: "queues", VHost: "/", Filter: "^legacy$"},
	} {
		if got, ok := msgOf(v.Update(press("enter"))).(OpenViewRequested); !ok || got != want {
			t.Errorf("row %d: enter = %#v, want %#v", i, got, want)
		}
		raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
		if !ok || string(raw.Raw) != string(p.Raw[i]) {
			t.Errorf("row %d: y = %#v", i, raw)
		}
		if i == 0 && !strings.Contains(raw.Title, "operator") {
			t.Errorf("the operator policy's JSON title = %q", raw.Title)
		}
		v.Update(press("j"))
	}

	// Priority, highest first (the broker's precedence), is the default;
	// s goes through the names A→Z.
	if s, desc := v.Sort(); s != "priority" || !desc {
		t.Fatalf("default sort = %s desc=%v", s, desc)
	}
	for _, want := range []struct {
		sort string
		desc bool
	}{{"name", false}, {"vhost", false}, {"apply-to", false}, {"priority", true}} {
		if _, ok := msgOf(v.Update(press("s"))).(QueryChanged); !ok {
			t.Fatal("s did not ask for a new query")
		}
		if s, desc := v.Sort(); s != want.sort || desc != want.desc {
			t.Fatalf("sort = %s desc=%v, want %+v", s, desc, want)
		}
		if _, ok := mgmt.PolicySort[want.sort]; !ok {
			t.Fatalf("sort %s is not one mgmt.Policies knows", want.sort)
		}
	}
}

func TestPolicyDefinitionIsCompact(t *testing.T) {
	p := policiesPage()
	if got := definitionCell(p.Rows[2].Definition); got != `ha-mode=nodes ha-params=["rabbit@a","rabbit@b"] ha-sync-mode=automatic` {
		t.Errorf("definition = %q", got)
	}
	if got := definitionCell(p.Rows[0].Definition); got != "max-length=1000000 overflow=reject-publish" {
		t.Errorf("definition = %q", got)
	}
	if got := definitionCell(nil); got != "–" {
		t.Errorf("no definition = %q", got)
	}
}

// A user and an operator policy of the same name are two rows; the cursor
// follows the one chosen across a reorder.
func TestPoliciesCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewPolicies(&k)
	v.SetSize(120, 24)
	p := policiesPage()
	twin := p.Rows[0]
	twin.Operator, twin.Priority = false, mgmt.C(1)
	rows := []mgmt.Policy{p.Rows[0], twin, p.Rows[1]}
	v.SetPage(Page[mgmt.Policy]{Rows: rows, Raw: adminRaw(rows), Matched: 3, Total: 3})
	v.Update(press("j")) // the user policy "cap"
	re := []mgmt.Policy{p.Rows[1], p.Rows[0], twin}
	v.SetPage(Page[mgmt.Policy]{Rows: re, Raw: adminRaw(re), Matched: 3, Total: 3})
	got, ok := v.Selected()
	if !ok || got.Name != "cap" || got.Operator {
		t.Fatalf("after the reorder the cursor is on %+v", got)
	}
	// Gone: the note names it as a policy.
	rest := []mgmt.Policy{p.Rows[1], p.Rows[0]}
	_, note := v.SetPage(Page[mgmt.Policy]{Rows: rest, Raw: adminRaw(rest), Matched: 2, Total: 2,
		Track: &Track[mgmt.Policy]{Key: policyKey(twin), Rank: -1, Gone: true}})
	if note != "policy cap (vhost orders) is gone; the cursor is on its neighbour" {
		t.Fatalf("note = %q", note)
	}
}
