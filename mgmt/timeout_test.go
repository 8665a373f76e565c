package mgmt_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// A GET of one queue (and of its bindings) is bounded by ObjectTimeout, not
// by the 30 s a list may take: against an API that accepts and never
// answers, it ends with a deadline error although the caller's context and
// Timeout allow much longer.
func TestObjectTimeoutBoundsOneQueue(t *testing.T) {
	env := testenv.Broker(t)
	u, err := url.Parse(env.MgmtURL)
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.StartProxy(t, u.Host, testenv.Stall)
	c := client(t, env, func(o *mgmt.Options) {
		o.URLs, o.Timeout, o.ObjectTimeout = []string{p.URL()}, 5*time.Minute, 300*time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err = c.QueueDetails(ctx, "/", "q")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("QueueDetails against a stalled API: %v, want a deadline error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the caller's context ended first: the test proved nothing")
	}
	if _, err = c.QueueBindings(ctx, "/", "q"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("QueueBindings against a stalled API: %v, want a deadline error", err)
	}
}
