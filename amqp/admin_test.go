package amqp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/demo"
	"github.com/mqtop/mqtop/internal/testenv"
)

func TestPurgeReportsAndAchievesCount(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "work", nil)
	testenv.Publish(t, env, vh, "", "work", numbered(12)...)
	// Two held unacked by a consumer: purge leaves them alone.
	testenv.Hold(t, env, vh, "work", 2)
	s := newSession(t)
	n, err := s.Purge(testCtx(t), vh, "work")
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("purged %d, want 10 (12 minus 2 unacked)", n)
	}
	if d := queueDepth(t, env, vh, "work"); d != 0 {
		t.Fatalf("ready after purge = %d, want 0", d)
	}
	if _, err := s.Purge(testCtx(t), vh, "missing"); Code(err) != 404 {
		t.Fatalf("purge of a missing queue: %v (code %d), want 404", err, Code(err))
	}
}

func TestDeleteQueueIfEmptyRefusesThenDeletes(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "full", nil)
	testenv.Publish(t, env, vh, "", "full", numbered(3)...)
	s := newSession(t)
	_, err := s.DeleteQueue(testCtx(t), vh, "full", false, true)
	if Code(err) != 406 || !strings.Contains(err.Error(), "PRECONDITION_FAILED") {
		t.Fatalf("delete if-empty of a non-empty queue: %v, want 406 PRECONDITION_FAILED", err)
	}
	if !queueExists(t, env, vh, "full") {
		t.Fatal("queue deleted despite if-empty")
	}
	n, err := s.DeleteQueue(testCtx(t), vh, "full", false, false)
	if err != nil || n != 3 {
		t.Fatalf("delete: %d, %v; want 3 messages", n, err)
	}
	if queueExists(t, env, vh, "full") {
		t.Fatal("queue still there")
	}
}

func TestReadOnlyRefusesMutationsAndBrowseWithoutAllow(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "q", nil)
	testenv.DeclareQueue(t, env, vh, "s", amqp091.Table{"x-queue-type": "stream"})
	testenv.Publish(t, env, vh, "", "q", numbered(4)...)
	testenv.Publish(t, env, vh, "", "s", numbered(4)...)
	ro := newSession(t, func(c *Config) { c.ReadOnly = true })
	ctx := testCtx(t)
	checks := map[string]error{}
	_, checks["publish"] = ro.Publish(ctx, PublishRequest{VHost: vh, RoutingKey: "q", Body: []byte("x")})
	_, checks["repeat"] = ro.PublishRepeat(ctx, PublishRequest{VHost: vh, RoutingKey: "q", Body: []byte("x")}, 5, 0, nil)
	_, checks["purge"] = ro.Purge(ctx, vh, "q")
	_, checks["delete"] = ro.DeleteQueue(ctx, vh, "q", false, false)
	_, checks["rpc"] = ro.RPC(ctx, RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "q"}})
	_, checks["browse"] = ro.Browse(ctx, BrowseRequest{VHost: vh, Queue: "q", QueueType: Classic, N: 2})
	for what, err := range checks {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s in read-only mode: %v, want ErrReadOnly", what, err)
		}
	}
	if !errors.Is(checks["browse"], ErrBrowseNeedsAllow) {
		t.Errorf("browse refusal should say --allow-browse is needed: %v", checks["browse"])
	}
	if d := queueDepth(t, env, vh, "q"); d != 4 {
		t.Fatalf("depth %d after refused actions, want 4", d)
	}
	// Streams change nothing when read: always allowed.
	res, err := ro.Browse(ctx, BrowseRequest{VHost: vh, Queue: "s", QueueType: Stream, N: 2})
	if err != nil || len(res.Messages) != 2 {
		t.Fatalf("read-only stream browse: %d messages, %v", len(res.Messages), err)
	}
	// With AllowBrowse a read-only session may browse a classic queue, and nothing is lost.
	allow := newSession(t, func(c *Config) { c.ReadOnly, c.AllowBrowse = true, true })
	res, err = allow.Browse(ctx, BrowseRequest{VHost: vh, Queue: "q", QueueType: Classic, N: 2})
	if err != nil || len(res.Messages) != 2 || !res.MarkedRedelivered {
		t.Fatalf("allowed browse: %+v, %v", res, err)
	}
	wantStrings(t, "after allowed browse", deliveryBodies(drain(t, env, vh, "q", 4)), seq("m-", 0, 4))
}

// The demo's own Fibonacci responder on rpc_queue, as make demo runs it.
func TestRPCAgainstDemoResponder(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, demo.Config{MgmtURL: env.MgmtURL, AMQPURL: env.AMQPURL, User: env.User,
			Password: env.Password, VHost: vh, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	t.Cleanup(func() { cancel(); <-done })
	s := newSession(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := s.RPC(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "rpc_queue",
			Body: []byte("30")}, Timeout: 2 * time.Second})
		if err == nil && res.Reply != nil {
			if got := string(res.Reply.Body); got != "832040" {
				t.Fatalf("fib(30) = %q, want 832040", got)
			}
			if res.RTT <= 0 || res.RTT > 2*time.Second {
				t.Fatalf("RTT %v", res.RTT)
			}
			t.Logf("fib(30) answered in %v", res.RTT)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from the demo responder: %+v, %v", res, err)
		}
		time.Sleep(300 * time.Millisecond) // the demo is still declaring rpc_queue
	}
}

// Inspect answers what the queue holds now, before the management API's
// statistics catch up, and in read-only mode too (it changes nothing).
func TestInspectIsExactAtOnce(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "work", nil)
	testenv.Publish(t, env, vh, "", "work", numbered(7)...)
	testenv.Hold(t, env, vh, "work", 2) // a consumer holding 2 unacked
	s := newSession(t)
	st, err := s.Inspect(testCtx(t), vh, "work")
	if err != nil || st.Ready != 5 || st.Consumers != 1 {
		t.Fatalf("inspect: %+v %v, want 5 ready and 1 consumer", st, err)
	}
	if _, err := s.Purge(testCtx(t), vh, "work"); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Inspect(testCtx(t), vh, "work"); err != nil || st.Ready != 0 {
		t.Fatalf("right after the purge: %+v %v, want 0 ready", st, err)
	}
	if _, err := s.Inspect(testCtx(t), vh, "missing"); Code(err) != 404 {
		t.Fatalf("inspect of a missing queue: %v", err)
	}
	ro := NewSession(Config{URL: env.AMQPURL, User: env.User, Password: env.Password, ReadOnly: true})
	t.Cleanup(func() { _ = ro.Close() })
	if _, err := ro.Inspect(testCtx(t), vh, "work"); err != nil {
		t.Fatalf("read-only inspect: %v", err)
	}
}
