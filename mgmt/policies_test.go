package mgmt_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

func putPolicy(t *testing.T, env testenv.Env, vh, kind, name, pattern, applyTo string, priority int, def map[string]any) {
	t.Helper()
	testenv.MustAPI(t, env, http.MethodPut, kind+"/"+url.PathEscape(vh)+"/"+url.PathEscape(name),
		map[string]any{"pattern": pattern, "apply-to": applyTo, "priority": priority, "definition": def})
}

// policyUser creates a user with the tags and full permissions on vhosts,
// deleted when the test ends; it returns env logged in as that user.
func policyUser(t *testing.T, env testenv.Env, who, tags string, vhosts ...string) testenv.Env {
	t.Helper()
	name := "mqtop-test-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + who
	testenv.MustAPI(t, env, http.MethodPut, "users/"+url.PathEscape(name), map[string]any{"password": "pw-" + name, "tags": tags})
	t.Cleanup(func() { testenv.API(t, env, http.MethodDelete, "users/"+url.PathEscape(name), nil) })
	for _, vh := range vhosts {
		testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(name),
			map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	}
	env.User, env.Password = name, "pw-"+name
	return env
}

func policyNames(p mgmt.ListPage[mgmt.Policy]) []string {
	var out []string
	for _, pol := range p.Items {
		out = append(out, pol.Name)
	}
	return out
}

// seedPolicies sets three user policies and one operator policy in vh.
func seedPolicies(t *testing.T, env testenv.Env, vh string) {
	putPolicy(t, env, vh, "policies", "p-a", "^a", "queues", 5, map[string]any{"max-length": 10})
	putPolicy(t, env, vh, "policies", "p-b", "^b", "exchanges", 1, map[string]any{"alternate-exchange": "amq.fanout"})
	putPolicy(t, env, vh, "policies", "p-c", "^c", "all", 3, map[string]any{"max-length-bytes": 1000})
	putPolicy(t, env, vh, "operator-policies", "op-x", "^x", "queues", 2, map[string]any{"max-length": 100})
}

func TestPoliciesList(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	seedPolicies(t, env, vh)
	c, ctx := client(t, env), context.Background()
	get := func(q mgmt.ListQuery) mgmt.ListPage[mgmt.Policy] {
		t.Helper()
		q.VHost = vh
		p, err := c.Policies(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Paged || p.Total != 4 || len(p.Raw) != len(p.Items) {
			t.Fatalf("%+v: paged %v total %d raw %d", q, p.Paged, p.Total, len(p.Raw))
		}
		return p
	}
	// By default in the broker's precedence: highest priority first.
	p := get(mgmt.ListQuery{})
	if got := policyNames(p); !slices.Equal(got, []string{"p-a", "p-c", "op-x", "p-b"}) || p.Matched != 4 {
		t.Fatalf("default order: %q", got)
	}
	a, x := p.Items[0], p.Items[2]
	if a.VHost != vh || a.Pattern != "^a" || a.ApplyTo != "queues" || a.Priority != mgmt.C(5) || a.Definition["max-length"] != float64(10) || a.Operator {
		t.Errorf("p-a: %+v", a)
	}
	if !x.Operator || x.Pattern != "^x" || x.Priority != mgmt.C(2) {
		t.Errorf("op-x: %+v", x)
	}
	sorts := []struct {
		key  string
		desc bool
		want []string
	}{
		{"", true, []string{"p-b", "op-x", "p-c", "p-a"}},
		{"priority", false, []string{"p-b", "op-x", "p-c", "p-a"}},
		{"priority", true, []string{"p-a", "p-c", "op-x", "p-b"}},
		{"name", false, []string{"op-x", "p-a", "p-b", "p-c"}},
		{"name", true, []string{"p-c", "p-b", "p-a", "op-x"}},
		{"apply-to", false, []string{"p-c", "p-b", "op-x", "p-a"}},
		{"apply-to", true, []string{"p-a", "op-x", "p-b", "p-c"}},
		{"vhost", false, []string{"op-x", "p-a", "p-b", "p-c"}},
	}
	for _, s := range sorts {
		if got := policyNames(get(mgmt.ListQuery{Sort: mgmt.PolicySort[s.key], Desc: s.desc})); !slices.Equal(got, s.want) {
			t.Errorf("by %q (desc %v): %q, want %q", s.key, s.desc, got, s.want)
		}
	}
	// The filter matches the name or the pattern.
	for f, want := range map[string][]string{"^p-": {"p-a", "p-c", "p-b"}, `\^x`: {"op-x"}, `^\^[ab]$`: {"p-a", "p-b"}, "nothing": nil} {
		if got := policyNames(get(mgmt.ListQuery{Filter: f})); !slices.Equal(got, want) {
			t.Errorf("filter %q: %q, want %q", f, got, want)
		}
	}
	if p = get(mgmt.ListQuery{Offset: 1, Limit: 2}); !slices.Equal(policyNames(p), []string{"p-c", "op-x"}) || p.Offset != 1 || p.Matched != 4 {
		t.Fatalf("window 1+2: %q offset %d matched %d", policyNames(p), p.Offset, p.Matched)
	}
	if p = get(mgmt.ListQuery{Filter: "^p-", Offset: 2, Limit: 9}); !slices.Equal(policyNames(p), []string{"p-b"}) || p.Matched != 3 {
		t.Fatalf("window 2+9 of p-: %q matched %d", policyNames(p), p.Matched)
	}
}

func TestPoliciesVHostScope(t *testing.T) {
	env := testenv.Broker(t)
	vh, other := testenv.VHost(t), testenv.VHost(t)
	mine := "scope-" + vh
	putPolicy(t, env, vh, "policies", mine, "^zzz", "all", 0, map[string]any{"max-length": 1})
	putPolicy(t, env, vh, "operator-policies", mine, "^zzz", "queues", 0, map[string]any{"max-length": 1})
	c, ctx := client(t, env), context.Background()
	p, err := c.Policies(ctx, mgmt.ListQuery{Filter: "^" + regexp.QuoteMeta(mine) + "$"})
	if err != nil || len(p.Items) != 2 || p.Items[0].Operator || !p.Items[1].Operator || p.Items[0].VHost != vh || p.Items[1].VHost != vh {
		t.Fatalf("whole broker, a user and an operator policy of one name: %+v, %v", p, err)
	}
	if p, err = c.Policies(ctx, mgmt.ListQuery{VHost: other}); err != nil || p.Total != 0 {
		t.Fatalf("other vhost: %+v, %v", p, err)
	}
	_, err = c.Policies(ctx, mgmt.ListQuery{VHost: "no-such-" + vh})
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `list policies of vhost "no-such-`) {
		t.Fatalf("missing vhost: %v", err)
	}
	if _, err = c.Policies(ctx, mgmt.ListQuery{VHost: vh, Filter: "["}); err == nil || !strings.Contains(err.Error(), "bad filter") {
		t.Fatalf("bad filter: %v", err)
	}
}

// A user without the administrator tag: RabbitMQ 3.10.8 shows a
// management user the operator policies too (GET only needs vhost access),
// so both kinds come back; without access to the vhost both are refused.
func TestPoliciesNonAdmin(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	seedPolicies(t, env, vh)
	ctx := context.Background()
	user := client(t, policyUser(t, env, "user", "management", vh))
	p, err := user.Policies(ctx, mgmt.ListQuery{VHost: vh})
	if err != nil || p.Total != 4 {
		t.Fatalf("management user: %q total %d, %v", policyNames(p), p.Total, err)
	}
	stranger := client(t, policyUser(t, env, "stranger", "management"))
	_, err = stranger.Policies(ctx, mgmt.ListQuery{VHost: vh})
	if st := mgmt.StatusOf(err); (st != 401 && st != 403) || !strings.Contains(err.Error(), "list policies of vhost") {
		t.Fatalf("no access to the vhost: %v", err)
	}
	// On the whole broker the vhost's policies are simply not there.
	if p, err = stranger.Policies(ctx, mgmt.ListQuery{Filter: "^(p-a|op-x)$"}); err != nil {
		t.Fatal(err)
	}
	for _, pol := range p.Items {
		if pol.VHost == vh {
			t.Fatalf("stranger sees %+v", pol)
		}
	}
	_, _, err = stranger.ExchangeBindings(ctx, vh, "amq.direct")
	if st := mgmt.StatusOf(err); (st != 401 && st != 403) || !strings.Contains(err.Error(), `list bindings from exchange "amq.direct" in vhost`) {
		t.Fatalf("exchange bindings without access: %v", err)
	}
}
