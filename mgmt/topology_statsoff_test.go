package mgmt_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// On a node with the management metrics collector off (Prometheus-only
// setups) exchanges come without message_stats, so their rates are unknown,
// and sorting by them still works; bindings and policies are unaffected;
// GET /api/consumers is refused with 400 and the broker's reason, which the
// error carries so the view can show it.
func TestTopologyStatsOff(t *testing.T) {
	// broker.sh appends this to the node's rabbitmq.conf; StartBroker's
	// child inherits the environment.
	t.Setenv("MQTOP_BROKER_EXTRA_CONF", "management_agent.disable_metrics_collector = true")
	b := testenv.StartBroker(t, testenv.BrokerOptions{})
	vh := "stats-off"
	testenv.CreateVHost(t, b.Env, vh)
	testenv.DeclareQueue(t, b.Env, vh, "work", nil)
	putExchange(t, b.Env, vh, "ex-a", "fanout", nil)
	putBinding(t, b.Env, vh, "ex-a", "q", "work", "", nil)
	putPolicy(t, b.Env, vh, "policies", "p", "^work$", "queues", 1, map[string]any{"max-length": 5})
	testenv.Publish(t, b.Env, vh, "ex-a", "", []byte("m"), []byte("m"))
	startConsumer(t, b.Env, vh, "work", "c", 1, false, false)
	c, ctx := client(t, b.Env), context.Background()

	p, err := c.Exchanges(ctx, mgmt.ListQuery{VHost: vh, Sort: mgmt.ExchangeSort["in"], Desc: true})
	if err != nil || p.Total != len(builtinExchanges)+1 {
		t.Fatalf("exchanges: %+v, %v", p, err)
	}
	for _, e := range p.Items {
		if e.InRate.OK || e.OutRate.OK {
			t.Errorf("%q: rates %+v %+v with statistics off", e.Name, e.InRate, e.OutRate)
		}
	}
	if bs, err := c.Bindings(ctx, mgmt.ListQuery{VHost: vh}); err != nil || bs.Total != 2 {
		t.Fatalf("bindings: %+v, %v", bs, err)
	}
	if from, _, err := c.ExchangeBindings(ctx, vh, "ex-a"); err != nil || len(from) != 1 {
		t.Fatalf("exchange bindings: %+v, %v", from, err)
	}
	if ps, err := c.Policies(ctx, mgmt.ListQuery{VHost: vh}); err != nil || ps.Total != 1 {
		t.Fatalf("policies: %+v, %v", ps, err)
	}
	_, err = c.Consumers(ctx, mgmt.ListQuery{VHost: vh})
	if mgmt.StatusOf(err) != 400 || !strings.Contains(err.Error(), "list consumers of vhost") || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("consumers with statistics off: %v", err)
	}
	t.Logf("consumers with statistics off: %v", err)
}
