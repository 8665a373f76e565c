package mgmt_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	o, err := c.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A node just started lists no applications for its first seconds
	// (its first statistics emission): the version comes with them.
	var nodes []mgmt.Node
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		nodes, err = c.Nodes(ctx)
		if err != nil || len(nodes) == 0 {
			return false, fmt.Sprintf("nodes: %v %v", nodes, err)
		}
		return nodes[0].Version == o.RabbitMQVersion, fmt.Sprintf("node version %q, broker %q", nodes[0].Version, o.RabbitMQVersion)
	})
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

// An endpoint that accepts and never answers (a node cut off) does not hold
// the nodes list up until the request timeout: its check is given up first.
// The hung endpoint would answer after 20 s; the client's timeouts are a
// minute, so only the quorum check's own bound ends the wait before that.
func TestQuorumCriticalGivesUpAHungEndpoint(t *testing.T) {
	env := testenv.Broker(t)
	gaveUp := make(chan bool, 4)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			gaveUp <- true
		case <-time.After(20 * time.Second):
			gaveUp <- false
			fmt.Fprint(w, `{"node":"rabbit@hung"}`)
		}
	}))
	defer hung.Close()
	c := client(t, env, func(o *mgmt.Options) {
		o.URLs = append(o.URLs, hung.URL)
		o.Timeout, o.ObjectTimeout = time.Minute, time.Minute
	})
	crit, err := c.QuorumCritical(context.Background())
	if err != nil || len(crit) != 1 {
		t.Fatalf("with a hung endpoint: %q %v; want the live node's answer alone", crit, err)
	}
	if !<-gaveUp {
		t.Fatal("the hung endpoint's check was waited for until it answered")
	}
}
