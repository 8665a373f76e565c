package mgmt_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestPolicyMatchesRules(t *testing.T) {
	kinds := []string{"exchange", "queue", "classic", "quorum", "stream", ""}
	admits := map[string][]bool{ // per kind above
		"all":            {true, true, true, true, true, true},
		"":               {true, true, true, true, true, true},
		"exchanges":      {true, false, false, false, false, false},
		"queues":         {false, true, true, true, true, true},
		"classic_queues": {false, false, true, false, false, false},
		"quorum_queues":  {false, false, false, true, false, false},
		"streams":        {false, false, false, false, true, false},
		"bogus":          {false, false, false, false, false, false},
	}
	for applyTo, want := range admits {
		for i, kind := range kinds {
			p := mgmt.Policy{Pattern: "^orders", ApplyTo: applyTo}
			if got := mgmt.PolicyMatches(p, kind, "orders.eu"); got != want[i] {
				t.Errorf("apply-to %q, kind %q: %v", applyTo, kind, got)
			}
			if mgmt.PolicyMatches(p, kind, "eu.orders") {
				t.Errorf("apply-to %q, kind %q: ^orders matched eu.orders", applyTo, kind)
			}
		}
	}
	patterns := []struct {
		pattern, name string
		want          bool
	}{
		{"mid", "a-mid-b", true}, // unanchored, like re:run
		{"^a-mid$", "a-mid-b", false},
		{".*", "", true},
		{"", "anything", true},
		{`^amq\.`, "amq.direct", true},
		{"^(?!amq\\.)", "orders", false}, // lookahead: PCRE only, no match
		{"[", "[", false},                // the broker would refuse it too
	}
	for _, c := range patterns {
		if got := mgmt.PolicyMatches(mgmt.Policy{Pattern: c.pattern, ApplyTo: "all"}, "queue", c.name); got != c.want {
			t.Errorf("pattern %q on %q: %v", c.pattern, c.name, got)
		}
	}
}

// The broker is the oracle: each policy targets the objects named after it
// ("<prefix>-<kind>") and no other, so an object's "policy" field must name
// the policy exactly when PolicyMatches says it targets the object.
func TestPolicyMatchesAgreesWithBroker(t *testing.T) {
	t.Parallel() // 16 quorum queues and streams to declare
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	esc := url.PathEscape(vh)
	policies := map[string]mgmt.Policy{} // by name
	for _, applyTo := range []string{"all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams"} {
		p := mgmt.Policy{Name: "pm-" + applyTo, Pattern: "^" + applyTo + "-", ApplyTo: applyTo}
		code, body := testenv.API(t, env, http.MethodPut, "policies/"+esc+"/"+p.Name, map[string]any{
			"pattern": p.Pattern, "apply-to": applyTo, "definition": map[string]any{"max-length-bytes": 1 << 20}})
		if code == http.StatusBadRequest {
			t.Logf("apply-to %q: the broker refuses it (%s); checked by TestPolicyMatchesRules only", applyTo, body)
			continue
		}
		if code >= 300 {
			t.Fatalf("policy %s: %d %s", p.Name, code, body)
		}
		policies[p.Name] = p
	}
	// Unanchored, as Erlang's re:run applies it.
	policies["pm-mid"] = mgmt.Policy{Name: "pm-mid", Pattern: "mid", ApplyTo: "all"}
	putPolicy(t, env, vh, "policies", "pm-mid", "mid", "all", 0, map[string]any{"max-length-bytes": 1 << 20})
	type object struct{ kind, name string }
	var objects []object
	for _, prefix := range []string{"all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams", "x-mid", "none"} {
		for _, kind := range []string{"classic", "quorum", "stream", "exchange"} {
			o := object{kind, prefix + "-" + kind}
			if kind == "exchange" {
				putExchange(t, env, vh, o.name, "topic", nil)
			} else {
				testenv.DeclareQueue(t, env, vh, o.name, amqp.Table{"x-queue-type": kind})
			}
			objects = append(objects, o)
		}
	}
	for _, o := range objects {
		want := ""
		for name, p := range policies {
			if mgmt.PolicyMatches(p, o.kind, o.name) {
				if want != "" {
					t.Fatalf("%s matches both %s and %s: the test's patterns overlap", o.name, want, name)
				}
				want = name
			}
		}
		path := "queues/" + esc + "/" + url.PathEscape(o.name)
		if o.kind == "exchange" {
			path = "exchanges/" + esc + "/" + url.PathEscape(o.name)
		}
		testenv.WaitFor(t, 10*time.Second, func() (bool, string) {
			var got struct{ Policy string }
			testenv.GetJSON(t, env, path, &got)
			return got.Policy == want, fmt.Sprintf("%s %s: broker applies %q, PolicyMatches says %q", o.kind, o.name, got.Policy, want)
		})
	}
}
