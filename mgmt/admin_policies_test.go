package mgmt_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// sampleValue is a value the key takes.
func sampleValue(k mgmt.PolicyKey) any {
	switch k.Kind {
	case mgmt.ArgInt:
		return max(k.Min, 1)
	case mgmt.ArgBool:
		return true
	case mgmt.ArgEnum:
		return k.Enum[len(k.Enum)-1]
	case mgmt.ArgDuration:
		return "7D"
	}
	return "some-exchange"
}

// TestPolicyKeysAgreeWithBroker puts a policy with each key mqtop offers,
// user and operator, and checks the broker takes exactly the ones
// ValidatePolicy takes for its version.
func TestPolicyKeysAgreeWithBroker(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ctx := context.Background()
	o, err := client(t, env).Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	version := o.RabbitMQVersion
	accepted := map[bool][]string{}
	for _, operator := range []bool{false, true} {
		for _, k := range mgmt.PolicyKeys("all", operator) {
			if k.Plugin != "" {
				continue // not enabled on the test broker
			}
			def := map[string]any{k.Name: sampleValue(k)}
			if strings.HasPrefix(k.Name, "ha-") && k.Name != "ha-mode" {
				def["ha-mode"] = "all"
			}
			if k.Name == "ha-params" {
				def["ha-mode"] = "exactly"
			}
			if k.Name == "ha-mode" && def[k.Name] != "all" {
				def["ha-params"] = 1
				if def[k.Name] == "nodes" {
					def["ha-params"] = []any{"rabbit@nowhere"}
				}
			}
			applyTo := "queues"
			if k.Exchanges && len(k.AppliesTo) == 0 {
				applyTo = "exchanges"
			}
			d := mgmt.PolicyDecl{VHost: vh, Name: "keys", Pattern: "^nothing$", ApplyTo: applyTo, Definition: def, Operator: operator}
			valid := mgmt.ValidatePolicy(d, version)
			kind := "policies"
			if operator {
				kind = "operator-policies"
			}
			code, out := testenv.API(t, env, http.MethodPut, kind+"/"+url.PathEscape(vh)+"/keys",
				map[string]any{"pattern": d.Pattern, "apply-to": applyTo, "definition": def})
			if (code < 300) != (valid == nil) {
				t.Errorf("%s %v: broker %d %s, ValidatePolicy(%s): %v", kind, def, code, out, version, valid)
			}
			if code < 300 {
				accepted[operator] = append(accepted[operator], k.Name)
			}
		}
	}
	// Keys mqtop does not offer, or not for operator policies, are refused by both.
	for _, tc := range []struct {
		operator bool
		def      map[string]any
	}{
		{false, map[string]any{"bogus-key": 1}},
		{true, map[string]any{"dead-letter-exchange": "x"}},
		{true, map[string]any{"overflow": "drop-head"}}, // 3.12 and later
		{false, map[string]any{"target-group-size": 3}}, // 3.13 and later
		{false, map[string]any{"max-length": "ten"}},    // the broker: not a valid maximum length
		{false, map[string]any{"queue-version": 3}},     // 1 or 2
		{false, map[string]any{"ha-mode": "exactly"}},   // needs ha-params
	} {
		kind := map[bool]string{true: "operator-policies", false: "policies"}[tc.operator]
		d := mgmt.PolicyDecl{VHost: vh, Name: "bad", Pattern: ".*", ApplyTo: "queues", Definition: tc.def, Operator: tc.operator}
		code, out := testenv.API(t, env, http.MethodPut, kind+"/"+url.PathEscape(vh)+"/bad",
			map[string]any{"pattern": ".*", "apply-to": "queues", "definition": tc.def})
		if code != 400 || mgmt.ValidatePolicy(d, version) == nil {
			t.Errorf("%s %v: broker %d %s, ValidatePolicy %v", kind, tc.def, code, out, mgmt.ValidatePolicy(d, version))
		}
	}
	// On 3.10.8 that is its registry, read from the node with rabbitmqctl
	// eval 'rabbit_registry:lookup_all(policy_validator).' (and
	// operator_policy_validator); the federation plugin adds its two.
	if strings.HasPrefix(version, "3.10.") {
		user := strings.Fields(`alternate-exchange dead-letter-exchange dead-letter-routing-key dead-letter-strategy
			delivery-limit expires ha-mode ha-params ha-promote-on-failure ha-promote-on-shutdown ha-sync-batch-size
			ha-sync-mode initial-cluster-size max-age max-in-memory-bytes max-in-memory-length max-length
			max-length-bytes message-ttl overflow queue-leader-locator queue-master-locator queue-mode queue-version
			stream-max-segment-size-bytes`)
		operator := strings.Fields(`delivery-limit expires max-in-memory-bytes max-in-memory-length max-length max-length-bytes message-ttl`)
		slices.Sort(accepted[false])
		slices.Sort(accepted[true])
		if !slices.Equal(accepted[false], user) || !slices.Equal(accepted[true], operator) {
			t.Errorf("accepted %v\nand for operator policies %v", accepted[false], accepted[true])
		}
	} else if len(accepted[false]) < 15 {
		t.Errorf("the broker took only %v", accepted[false])
	}
}

func TestPolicyValidateWithoutBroker(t *testing.T) {
	base := func(f func(*mgmt.PolicyDecl)) mgmt.PolicyDecl {
		d := mgmt.PolicyDecl{VHost: "/", Name: "p", Pattern: "^q\\.", ApplyTo: "queues", Definition: map[string]any{"max-length": 10}}
		f(&d)
		return d
	}
	for _, tc := range []struct {
		d       mgmt.PolicyDecl
		version string
		want    string // "" for valid
	}{
		{base(func(d *mgmt.PolicyDecl) {}), "3.10.8", ""},
		{base(func(d *mgmt.PolicyDecl) { d.ApplyTo = "quorum_queues" }), "3.10.8", "apply-to quorum_queues needs RabbitMQ 3.12"},
		{base(func(d *mgmt.PolicyDecl) { d.ApplyTo = "quorum_queues" }), "3.12.1", ""},
		{base(func(d *mgmt.PolicyDecl) { d.ApplyTo = "streams" }), "3.13.0", "max-length does nothing under apply-to streams"},
		{base(func(d *mgmt.PolicyDecl) { d.ApplyTo = "everything" }), "", "unknown apply-to"},
		{base(func(d *mgmt.PolicyDecl) { d.Pattern = "^(q" }), "", "pattern: bad regular expression"},
		{base(func(d *mgmt.PolicyDecl) { d.Pattern = "^(?!amq\\.)" }), "", ""},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = nil }), "", "definition is empty"},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = map[string]any{"max-length": "10"} }), "", ""},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = map[string]any{"max-length": -1} }), "", "max-length must be"},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = map[string]any{"alternate-exchange": "ae"} }), "", "does nothing under apply-to queues"},
		{base(func(d *mgmt.PolicyDecl) { d.ApplyTo = ""; d.Definition = map[string]any{"alternate-exchange": "ae"} }), "", ""},
		{base(func(d *mgmt.PolicyDecl) { d.Operator = true; d.Definition = map[string]any{"ha-mode": "all"} }), "", "not allowed in an operator policy"},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = map[string]any{"ha-mode": "all"} }), "4.0.1", "removed in RabbitMQ 4.0"},
		{base(func(d *mgmt.PolicyDecl) {
			d.Definition = map[string]any{"ha-mode": "nodes", "ha-params": []string{"rabbit@a"}}
		}), "", ""},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = map[string]any{"ha-mode": "nodes", "ha-params": 2} }), "", "a list of node names"},
		{base(func(d *mgmt.PolicyDecl) { d.Definition = map[string]any{"queue-mode": "lazy"} }), "3.12.0", "no effect since RabbitMQ 3.12"},
		{base(func(d *mgmt.PolicyDecl) { d.Name = "" }), "", "needs a name"},
	} {
		err := mgmt.ValidatePolicy(tc.d, tc.version)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v on %q: %v, want %q", tc.d, tc.version, err, tc.want)
		}
	}
	if p, err := mgmt.ParsePolicyPriority(" -5 "); err != nil || p != -5 {
		t.Errorf("priority: %d %v", p, err)
	}
	if _, err := mgmt.ParsePolicyPriority("1.5"); err == nil {
		t.Error("1.5 parsed as a priority")
	}
	names := func(ks []mgmt.PolicyKey) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.Name)
		}
		return out
	}
	op := names(mgmt.PolicyKeys("queues", true))
	for _, want := range []string{"expires", "message-ttl", "max-length", "max-length-bytes", "max-in-memory-length", "max-in-memory-bytes", "delivery-limit"} {
		if !slices.Contains(op, want) {
			t.Errorf("operator keys %v lack %s", op, want)
		}
	}
	if ex := names(mgmt.PolicyKeys("exchanges", false)); !slices.Equal(ex, []string{"alternate-exchange", "federation-upstream", "federation-upstream-set"}) {
		t.Errorf("exchange keys %v", ex)
	}
	if st := names(mgmt.PolicyKeys("streams", false)); slices.Contains(st, "message-ttl") || !slices.Contains(st, "max-age") {
		t.Errorf("stream keys %v", st)
	}
}

func TestPolicyPutAndDelete(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	d := mgmt.PolicyDecl{VHost: vh, Name: "limits", Pattern: "^q\\.", ApplyTo: "queues", Priority: 7,
		Definition: map[string]any{"max-length": "100", "overflow": "reject-publish"}}
	if err := c.PutPolicy(ctx, d); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pattern    string         `json:"pattern"`
		ApplyTo    string         `json:"apply-to"`
		Priority   int            `json:"priority"`
		Definition map[string]any `json:"definition"`
	}
	testenv.GetJSON(t, env, "policies/"+url.PathEscape(vh)+"/limits", &got)
	if got.Pattern != d.Pattern || got.ApplyTo != "queues" || got.Priority != 7 || got.Definition["max-length"] != float64(100) {
		t.Fatalf("read back %+v", got)
	}
	op := mgmt.PolicyDecl{VHost: vh, Name: "guard", Pattern: ".*", Definition: map[string]any{"expires": 3600000}, Operator: true}
	if err := c.PutPolicy(ctx, op); err != nil {
		t.Fatal(err)
	}
	testenv.GetJSON(t, env, "operator-policies/"+url.PathEscape(vh)+"/guard", &got)
	if got.ApplyTo != "all" || got.Definition["expires"] != float64(3600000) {
		t.Fatalf("operator policy read back %+v", got)
	}
	err := c.PutPolicy(ctx, mgmt.PolicyDecl{VHost: vh, Name: "bad", Pattern: "(", Definition: map[string]any{"max-length": 1}})
	wantErrText(t, err, `put policy "bad" in vhost "`+vh+`": pattern: bad regular expression`)
	// A key of a plugin the broker does not run: its own refusal.
	err = c.PutPolicy(ctx, mgmt.PolicyDecl{VHost: vh, Name: "fed", Pattern: ".*", ApplyTo: "exchanges", Definition: map[string]any{"federation-upstream-set": "all"}})
	wantErrText(t, err, `put policy "fed"`, "400", "not recognised policy settings")

	for _, del := range []struct {
		name     string
		operator bool
	}{{"limits", false}, {"guard", true}} {
		if err := c.DeletePolicy(ctx, vh, del.name, del.operator); err != nil {
			t.Fatal(err)
		}
		err := c.DeletePolicy(ctx, vh, del.name, del.operator)
		if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), fmt.Sprintf("policy %q in vhost %q", del.name, vh)) {
			t.Fatalf("deleting %s again: %v", del.name, err)
		}
	}
}

func TestPolicyPreview(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	for _, q := range []string{"orders.eu", "orders.us", "payments"} {
		testenv.DeclareQueue(t, env, vh, q, nil)
	}
	testenv.DeclareQueue(t, env, vh, "orders.q", map[string]any{"x-queue-type": "quorum"})
	putExchange(t, env, vh, "orders.events", "topic", nil)

	p, err := c.PolicyPreview(ctx, vh, "^orders\\.", "queues")
	if err != nil || !slices.Equal(p.Queues, []string{"orders.eu", "orders.q", "orders.us"}) || p.QueueCount != 3 || p.ExchangeCount != 0 {
		t.Fatalf("queues: %+v, %v", p, err)
	}
	p, err = c.PolicyPreview(ctx, vh, "^orders\\.", "all")
	if err != nil || p.QueueCount != 3 || !slices.Equal(p.Exchanges, []string{"orders.events"}) {
		t.Fatalf("all: %+v, %v", p, err)
	}
	p, err = c.PolicyPreview(ctx, vh, "^amq\\.", "exchanges")
	if err != nil || p.QueueCount != 0 || p.ExchangeCount != 6 { // amq.default is "" to the API, and left out
		t.Fatalf("amq exchanges: %+v, %v", p, err)
	}
	if _, err := c.PolicyPreview(ctx, vh, "^(?!orders)", "queues"); !errors.Is(err, mgmt.ErrCannotPreview) {
		t.Fatalf("lookahead: %v", err)
	}
	var re *mgmt.RegexError
	if _, err := c.PolicyPreview(ctx, vh, "^(orders", "queues"); !errors.As(err, &re) {
		t.Fatalf("bad pattern: %v", err)
	}

	// Without the broker: the typed apply-to, and the cap.
	targets := mgmt.PolicyTargets{Queues: []mgmt.PolicyTarget{{Name: "a", Type: "classic"}, {Name: "b", Type: "quorum"}}}
	for i := 0; i < mgmt.PreviewLimit+10; i++ {
		targets.Exchanges = append(targets.Exchanges, fmt.Sprintf("x%03d", i))
	}
	if p, err := mgmt.PreviewPolicy(targets, ".", "quorum_queues"); err != nil || !slices.Equal(p.Queues, []string{"b"}) || p.ExchangeCount != 0 {
		t.Fatalf("quorum_queues: %+v, %v", p, err)
	}
	if p, err := mgmt.PreviewPolicy(targets, "^x", ""); err != nil || len(p.Exchanges) != mgmt.PreviewLimit || p.ExchangeCount != mgmt.PreviewLimit+10 {
		t.Fatalf("capped: %d of %d, %v", len(p.Exchanges), p.ExchangeCount, err)
	}
}
