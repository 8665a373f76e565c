package mgmt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtop/mqtop/mgmt"
)

// node is a fake management endpoint that can stop answering: while down it
// drops every connection without a response, as a stopped node's port does.
type node struct {
	name string
	down atomic.Bool
	hits atomic.Int64
	srv  *httptest.Server
}

func newNode(t *testing.T, name string) *node {
	n := &node{name: name}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.down.Load() {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		n.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"cluster_name":"c1","node":"` + n.name + `","rabbitmq_version":"3.10.8"}`))
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// The first endpoint stops answering: the same request goes to the next at
// once, concurrent requests move on only one endpoint, and the client goes
// back to the first once it answers again.
func TestFailoverMovesOnAndComesBack(t *testing.T) {
	a, b, c := newNode(t, "rabbit@a"), newNode(t, "rabbit@b"), newNode(t, "rabbit@c")
	cl, err := mgmt.New(mgmt.Options{URLs: []string{a.srv.URL, b.srv.URL, c.srv.URL}, User: "u", Password: "p", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	node := func() string {
		t.Helper()
		o, err := cl.Overview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return o.Node
	}
	if got := node(); got != "rabbit@a" || !cl.FailedOver().IsZero() {
		t.Fatalf("on %s, failed over %v", got, cl.FailedOver())
	}
	a.down.Store(true)
	// Eight requests of one poll fail on a at once: they must all land on
	// b, not push each other past it.
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if o, err := cl.Overview(ctx); err == nil {
				got[i] = o.Node
			}
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != "rabbit@b" {
			t.Fatalf("answers during the failover: %q (want every one from rabbit@b)", got)
		}
	}
	if cl.Endpoint() != b.srv.URL || cl.FailedOver().IsZero() || c.hits.Load() != 0 {
		t.Fatalf("endpoint %s, failed over %v, c asked %d times", cl.Endpoint(), cl.FailedOver(), c.hits.Load())
	}
	// a answers again: within the probe interval the client is back on it.
	a.down.Store(false)
	deadline := time.Now().Add(15 * time.Second)
	for node() != "rabbit@a" {
		if time.Now().After(deadline) {
			t.Fatalf("still on %s 15 s after the first endpoint answered again", cl.Endpoint())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !cl.FailedOver().IsZero() {
		t.Fatal("back on the first endpoint but still said failed over")
	}
}
