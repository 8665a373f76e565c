package mgmt_test

import (
	"context"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// Each node says its RabbitMQ version, and the health check answers for the
// node behind each management endpoint.
func TestNodeVersionAndQuorumCritical(t *testing.T) {
	env := testenv.Broker(t)
	c := client(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nodes, err := c.Nodes(ctx)
	if err != nil || len(nodes) == 0 {
		t.Fatalf("nodes: %v %v", nodes, err)
	}
	o, err := c.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if nodes[0].Version == "" || nodes[0].Version != o.RabbitMQVersion {
		t.Fatalf("node version %q, broker %q", nodes[0].Version, o.RabbitMQVersion)
	}
	crit, err := c.QuorumCritical(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reason, ok := crit[nodes[0].Name]
	if !ok || reason != "" || len(crit) != 1 {
		t.Fatalf("a single node is never quorum-critical: %q", crit)
	}
	// An endpoint that does not answer is left out, not an error.
	dead := client(t, env, func(o *mgmt.Options) { o.URLs = append(o.URLs, "http://"+closedPort(t)) })
	if crit, err := dead.QuorumCritical(ctx); err != nil || len(crit) != 1 {
		t.Fatalf("with a dead endpoint too: %q %v", crit, err)
	}
}
