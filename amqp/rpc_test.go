package amqp

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

func fib(n int) int {
	a, b := 0, 1
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}

// responder answers requests on queue with Fibonacci of the body, replying
// to reply_to with the request's correlation id (or a wrong one).
func responder(t *testing.T, env testenv.Env, vhost, queue string, wrongID bool) {
	t.Helper()
	testenv.DeclareQueue(t, env, vhost, queue, nil)
	conn := testenv.Dial(t, env, vhost)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(queue, "responder", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for d := range ds { // ends when the connection closes at cleanup
			n, _ := strconv.Atoi(string(d.Body))
			corr := d.CorrelationId
			if wrongID {
				corr = "not-" + corr
			}
			_ = ch.Publish("", d.ReplyTo, false, false, amqp091.Publishing{CorrelationId: corr,
				ContentType: "text/plain", Body: []byte(strconv.Itoa(fib(n)))})
		}
	}()
	// Cleanups run last-in first-out: close the connection here, or the
	// wait would come before Dial's close and never end.
	t.Cleanup(func() { _ = conn.Close(); wg.Wait() })
}

func TestRPCFibonacci(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	responder(t, env, vh, "fib", false)
	s := newSession(t)
	res, err := s.RPC(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "fib", Body: []byte("10")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reply == nil || string(res.Reply.Body) != "55" || res.TimedOut || res.Returned != nil || len(res.Mismatched) != 0 {
		t.Fatalf("result %+v", res)
	}
	if res.RTT <= 0 || res.Reply.CorrelationID != res.CorrelationID || len(res.CorrelationID) < 16 ||
		res.Reply.ContentType != "text/plain" {
		t.Fatalf("rtt %v, correlation %q / %q, reply %+v", res.RTT, res.CorrelationID, res.Reply.CorrelationID, res.Reply)
	}
}

func TestRPCTimesOutWithoutResponder(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "silent", nil)
	s := newSession(t)
	res, err := s.RPC(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "silent", Body: []byte("1")},
		Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Reply != nil || res.Returned != nil {
		t.Fatalf("result %+v", res)
	}
	// The request was routed: it waits in the queue.
	if n := queueDepth(t, env, vh, "silent"); n != 1 {
		t.Fatalf("queue holds %d", n)
	}
	// And the session goes on working.
	res, err = s.RPC(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "silent"},
		Timeout: 100 * time.Millisecond})
	if err != nil || !res.TimedOut {
		t.Fatalf("second RPC: %+v %v", res, err)
	}
}

func TestRPCUnroutableIsReturned(t *testing.T) {
	vh := testenv.VHost(t)
	s := newSession(t)
	res, err := s.RPC(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, Exchange: "amq.direct",
		RoutingKey: "nobody"}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Returned == nil || res.Returned.Outcome != Returned || res.Returned.ReplyCode != 312 || res.TimedOut {
		t.Fatalf("result %+v", res)
	}
}

func TestRPCMismatchedReplyIsNotTheAnswer(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	responder(t, env, vh, "liar", true)
	s := newSession(t)
	res, err := s.RPC(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "liar", Body: []byte("7")},
		Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reply != nil || !res.TimedOut || len(res.Mismatched) != 1 {
		t.Fatalf("result %+v", res)
	}
	if m := res.Mismatched[0]; string(m.Body) != "13" || m.CorrelationID != "not-"+res.CorrelationID {
		t.Fatalf("mismatched %+v", m)
	}
}

func TestRPCRepeat(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	responder(t, env, vh, "fib", false)
	s := newSession(t)
	var done []int
	sum, err := s.RPCRepeat(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "fib",
		Body: []byte("20")}}, 30, func(n int) { done = append(done, n) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.N != 30 || sum.OK != 30 || sum.Timeouts != 0 || sum.Returned != 0 || sum.Mismatched != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if !(0 < sum.Min && sum.Min <= sum.P50 && sum.P50 <= sum.P99 && sum.P99 <= sum.Max) {
		t.Fatalf("latencies out of order: %+v", sum)
	}
	if len(done) != 30 || done[29] != 30 {
		t.Fatalf("progress %v", done)
	}

	// Timeouts are counted, not fatal.
	testenv.DeclareQueue(t, env, vh, "silent", nil)
	sum, err = s.RPCRepeat(testCtx(t), RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "silent"},
		Timeout: 50 * time.Millisecond}, 3, nil)
	if err != nil || sum.Timeouts != 3 || sum.OK != 0 || sum.Max != 0 {
		t.Fatalf("silent repeat: %+v %v", sum, err)
	}
}

// Cancelling ctx ends a waiting RPC at once, with the cancellation as error.
func TestRPCCancel(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "silent", nil)
	s := newSession(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		// Cancel once the request is waiting in the queue.
		testenv.WaitFor(t, time.Minute, func() (bool, string) { return queueDepth(t, env, vh, "silent") == 1, "not yet" })
		cancel()
	}()
	_, err := s.RPC(ctx, RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "silent"}, Timeout: time.Hour})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err %v", err)
	}
}
