package amqp

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// Every test runs against a real broker (testenv), each in a vhost of its
// own.
func TestMain(m *testing.M) { testenv.Main(m) }

// newSession opens a Session on the test broker, closed when the test ends.
func newSession(t testing.TB, mod ...func(*Config)) *Session {
	t.Helper()
	env := testenv.Broker(t)
	cfg := Config{URL: env.AMQPURL, User: env.User, Password: env.Password, Timeout: 20 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	s := NewSession(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// numbered returns bodies "m-0" .. "m-(n-1)".
func numbered(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("m-%d", i))
	}
	return out
}

func bodies(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Body)
	}
	return out
}

// queueDepth reads a queue's ready count with a passive declare (exact, no
// statistics lag); it fails the test when the queue does not exist.
func queueDepth(t testing.TB, env testenv.Env, vhost, queue string) int {
	t.Helper()
	ch, err := testenv.Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("queue %s: %v", queue, err)
	}
	return q.Messages
}

// queueExists says whether a queue exists.
func queueExists(t testing.TB, env testenv.Env, vhost, queue string) bool {
	t.Helper()
	ch, err := testenv.Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err == nil {
		ch.Close()
		return true
	}
	if Code(err) != amqp091.NotFound {
		t.Fatalf("passive declare %s: %v", queue, err)
	}
	return false
}

// drain consumes (and acks) exactly want messages from a classic or quorum
// queue, then checks the queue is empty: what came back is everything.
func drain(t testing.TB, env testenv.Env, vhost, queue string, want int) []amqp091.Delivery {
	t.Helper()
	ch, err := testenv.Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if err := ch.Qos(want+1, 0, false); err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(queue, "drain", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []amqp091.Delivery
	for len(got) < want {
		select {
		case d := <-ds:
			got = append(got, d)
		case <-time.After(20 * time.Second):
			t.Fatalf("drained %d of %d messages from %s", len(got), want, queue)
		}
	}
	if err := ch.Ack(got[len(got)-1].DeliveryTag, true); err != nil {
		t.Fatal(err)
	}
	if err := ch.Cancel("drain", false); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ch.Get(queue, false); err != nil || ok {
		t.Fatalf("after %d messages the queue %s still had one (err %v)", want, queue, err)
	}
	return got
}

// readStream reads want messages of a stream from its first offset.
func readStream(t testing.TB, env testenv.Env, vhost, queue string, want int) []amqp091.Delivery {
	t.Helper()
	ch, err := testenv.Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if err := ch.Qos(want+1, 0, false); err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(queue, "read", false, false, false, false, amqp091.Table{"x-stream-offset": "first"})
	if err != nil {
		t.Fatal(err)
	}
	var got []amqp091.Delivery
	for len(got) < want {
		select {
		case d := <-ds:
			got = append(got, d)
		case <-time.After(20 * time.Second):
			t.Fatalf("read %d of %d messages from stream %s", len(got), want, queue)
		}
	}
	return got
}

func deliveryBodies(ds []amqp091.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d.Body)
	}
	return out
}

func wantStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}
