package amqp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// mustChannel opens a channel on a connection closed when the test ends.
func mustChannel(t testing.TB, env testenv.Env, vhost string) *amqp091.Channel {
	t.Helper()
	ch, err := testenv.Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// publishAll publishes msgs with confirms and mandatory, failing on a nack
// or a return.
func publishAll(t testing.TB, env testenv.Env, vhost, exchange, key string, msgs []amqp091.Publishing) {
	t.Helper()
	ch := mustChannel(t, env, vhost)
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, len(msgs)+1))
	returns := ch.NotifyReturn(make(chan amqp091.Return, len(msgs)+1))
	for i, m := range msgs {
		if err := ch.Publish(exchange, key, true, false, m); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	for range msgs {
		select {
		case c := <-confirms:
			if !c.Ack {
				t.Fatalf("publish %d nacked", c.DeliveryTag)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no publisher confirm within 30s")
		}
	}
	select {
	case r := <-returns:
		t.Fatalf("message %s returned: %d %s", r.MessageId, r.ReplyCode, r.ReplyText)
	default:
	}
}

// rejectAll takes n messages of queue and rejects them without requeue, so
// that the broker dead-letters them.
func rejectAll(t testing.TB, env testenv.Env, vhost, queue string, n int) {
	t.Helper()
	ch := mustChannel(t, env, vhost)
	defer ch.Close()
	if err := ch.Qos(500, 0, false); err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(queue, "reject", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		select {
		case d := <-ds:
			if i%500 == 0 || i == n {
				if err := ch.Nack(d.DeliveryTag, true, false); err != nil {
					t.Fatal(err)
				}
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("rejected %d of %d messages of %s", i-1, n, queue)
		}
	}
}

// drainAll takes every message of a queue (see drain).
func drainAll(t testing.TB, env testenv.Env, vhost, queue string) []amqp091.Delivery {
	t.Helper()
	n := queueDepth(t, env, vhost, queue)
	if n == 0 {
		return nil
	}
	return drain(t, env, vhost, queue, n)
}

func countIDs(lists ...[]amqp091.Delivery) map[string]int {
	seen := map[string]int{}
	for _, ds := range lists {
		for _, d := range ds {
			seen[d.MessageId]++
		}
	}
	return seen
}

func waitDepth(t testing.TB, env testenv.Env, vhost, queue string, want int) {
	t.Helper()
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		n := queueDepth(t, env, vhost, queue)
		return n == want, fmt.Sprintf("%s holds %d, want %d", queue, n, want)
	})
}

// orderMessage is message i of the dead-letter test, with every property set.
func orderMessage(i int) amqp091.Publishing {
	return amqp091.Publishing{
		ContentType: "application/json", ContentEncoding: "identity", DeliveryMode: amqp091.Persistent, Priority: 3,
		CorrelationId: fmt.Sprintf("corr-%d", i), ReplyTo: "replies", MessageId: strconv.Itoa(i),
		Timestamp: time.Unix(1700000000+int64(i), 0), Type: "order.created", AppId: "shop",
		Headers: amqp091.Table{"tenant": "acme", "seq": int64(i), "nested": amqp091.Table{"region": "eu"}},
		Body:    []byte(fmt.Sprintf(`{"order":%d}`, i)),
	}
}

// 10,000 dead-lettered messages go back to the queue they died in, each
// exactly once, with properties and headers as they were, plus MovedHeader.
func TestMoveDeadLettersToOrigin(t *testing.T) {
	const n = 10000
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ch := mustChannel(t, env, vh)
	for _, x := range [][2]string{{"shop", "direct"}, {"dlx", "fanout"}} {
		if err := ch.ExchangeDeclare(x[0], x[1], true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	testenv.DeclareQueue(t, env, vh, "orders", amqp091.Table{"x-dead-letter-exchange": "dlx"})
	testenv.DeclareQueue(t, env, vh, "orders.dlq", nil)
	if err := ch.QueueBind("orders", "orders", "shop", false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind("orders.dlq", "", "dlx", false, nil); err != nil {
		t.Fatal(err)
	}
	msgs := make([]amqp091.Publishing, n)
	for i := range msgs {
		msgs[i] = orderMessage(i)
	}
	publishAll(t, env, vh, "shop", "orders", msgs)
	rejectAll(t, env, vh, "orders", n)
	waitDepth(t, env, vh, "orders.dlq", n)

	s := newSession(t)
	reports := 0
	start := time.Now()
	sum, err := s.Move(testCtx(t), vh, "orders.dlq", MoveOptions{QueueType: Classic, ToOrigin: true},
		func(MoveProgress) { reports++ })
	t.Logf("moved %d in %v (%d reports): %s", sum.Moved, time.Since(start), reports, sum.Note)
	if err != nil {
		t.Fatal(err)
	}
	want := MoveProgress{Moved: n, Total: n}
	if got := sum.MoveProgress; got.Moved != want.Moved || got.Total != n || got.Returned+got.NoOrigin+got.Failed+sum.InDoubt != 0 {
		t.Fatalf("summary %+v, want %d moved of %d and nothing else", sum, n, n)
	}
	if sum.Cancelled || reports == 0 {
		t.Fatalf("cancelled %v, %d progress reports", sum.Cancelled, reports)
	}
	if d := queueDepth(t, env, vh, "orders.dlq"); d != 0 {
		t.Fatalf("orders.dlq still holds %d", d)
	}
	got := drainAll(t, env, vh, "orders")
	if len(got) != n {
		t.Fatalf("orders holds %d, want %d", len(got), n)
	}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d.MessageId] {
			t.Fatalf("message %s twice", d.MessageId)
		}
		seen[d.MessageId] = true
		i, err := strconv.Atoi(d.MessageId)
		if err != nil || i < 0 || i >= n {
			t.Fatalf("unexpected message-id %q", d.MessageId)
		}
		w := orderMessage(i)
		if d.ContentType != w.ContentType || d.ContentEncoding != w.ContentEncoding || d.DeliveryMode != w.DeliveryMode ||
			d.Priority != w.Priority || d.CorrelationId != w.CorrelationId || d.ReplyTo != w.ReplyTo ||
			!d.Timestamp.Equal(w.Timestamp) || d.Type != w.Type || d.AppId != w.AppId || string(d.Body) != string(w.Body) {
			t.Fatalf("message %d changed: %+v", i, d)
		}
		nested, _ := d.Headers["nested"].(amqp091.Table)
		if d.Headers["tenant"] != "acme" || d.Headers["seq"] != int64(i) || nested["region"] != "eu" {
			t.Fatalf("message %d headers changed: %v", i, d.Headers)
		}
		if d.Headers[MovedHeader] != int64(1) {
			t.Fatalf("message %d: %s = %v (%T), want 1", i, MovedHeader, d.Headers[MovedHeader], d.Headers[MovedHeader])
		}
		deaths := ParseXDeath(d.Headers)
		if len(deaths) == 0 || deaths[0].Queue != "orders" || deaths[0].Reason != "rejected" || deaths[0].Exchange != "shop" {
			t.Fatalf("message %d: x-death %+v", i, deaths)
		}
	}
}

// Max takes the first N, in order; the rest stay, in order and never
// delivered (the move took no message past N).
func TestMoveMaxToExchange(t *testing.T) {
	for _, qt := range []string{Classic, Quorum} {
		t.Run(qt, func(t *testing.T) {
			const n, max = 1000, 300
			env := testenv.Broker(t)
			vh := testenv.VHost(t)
			ch := mustChannel(t, env, vh)
			if err := ch.ExchangeDeclare("dst-x", "direct", true, false, false, false, nil); err != nil {
				t.Fatal(err)
			}
			testenv.DeclareQueue(t, env, vh, "src", amqp091.Table{"x-queue-type": qt})
			testenv.DeclareQueue(t, env, vh, "dst", nil)
			if err := ch.QueueBind("dst", "k", "dst-x", false, nil); err != nil {
				t.Fatal(err)
			}
			testenv.Publish(t, env, vh, "", "src", numbered(n)...)
			s := newSession(t)
			sum, err := s.Move(testCtx(t), vh, "src", MoveOptions{QueueType: qt, Exchange: "dst-x", RoutingKey: "k", Max: max}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Moved != max || sum.Total != max || sum.Returned+sum.Failed+sum.InDoubt != 0 {
				t.Fatalf("summary %+v, want %d moved", sum, max)
			}
			moved := drainAll(t, env, vh, "dst")
			wantStrings(t, "destination", deliveryBodies(moved), seq("m-", 0, max))
			left := drainAll(t, env, vh, "src")
			wantStrings(t, "source", deliveryBodies(left), seq("m-", max, n))
			for _, d := range left {
				if d.Redelivered || d.Headers["x-delivery-count"] != nil {
					t.Fatalf("%s was delivered before (redelivered %v, x-delivery-count %v): the move took more than %d",
						d.Body, d.Redelivered, d.Headers["x-delivery-count"], max)
				}
			}
		})
	}
}

// An unroutable destination: every message is returned and stays on the
// source, taken exactly once (no loop).
func TestMoveUnroutableStaysOnSource(t *testing.T) {
	for _, qt := range []string{Classic, Quorum} {
		t.Run(qt, func(t *testing.T) {
			const n = 1000
			env := testenv.Broker(t)
			vh := testenv.VHost(t)
			if err := mustChannel(t, env, vh).ExchangeDeclare("nowhere", "direct", true, false, false, false, nil); err != nil {
				t.Fatal(err)
			}
			testenv.DeclareQueue(t, env, vh, "src", amqp091.Table{"x-queue-type": qt})
			testenv.Publish(t, env, vh, "", "src", numbered(n)...)
			s := newSession(t)
			start := time.Now()
			sum, err := s.Move(testCtx(t), vh, "src", MoveOptions{QueueType: qt, Exchange: "nowhere", RoutingKey: "k"}, nil)
			t.Logf("%v: %+v", time.Since(start), sum)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Returned != n || sum.Moved+sum.Failed+sum.InDoubt != 0 {
				t.Fatalf("summary %+v, want %d returned", sum, n)
			}
			if !strings.Contains(sum.Note, "returned as unroutable") {
				t.Fatalf("note %q", sum.Note)
			}
			left := drainAll(t, env, vh, "src")
			got := deliveryBodies(left)
			if qt == Classic {
				wantStrings(t, "source", got, seq("m-", 0, n))
				return
			}
			if c := countIDs(left); len(c) != n || len(left) != n {
				t.Fatalf("source holds %d messages, %d distinct, want %d", len(left), len(c), n)
			}
			for _, d := range left {
				if d.Headers["x-delivery-count"] != int64(1) {
					t.Fatalf("%s: x-delivery-count %v, want 1 (given back once)", d.Body, d.Headers["x-delivery-count"])
				}
			}
			if !strings.Contains(sum.Note, "x-delivery-count now 1") {
				t.Fatalf("note %q", sum.Note)
			}
		})
	}
}

// Back to origin from a queue holding messages of four kinds, interleaved:
// routable (moved), unroutable now (returned, and confirmed before the
// persistent routed ones around them), from an exchange since deleted
// (failed, never published) and without x-death (no origin).
func TestMoveToOriginMixed(t *testing.T) {
	const n = 600
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ch := mustChannel(t, env, vh)
	for _, x := range [][2]string{{"shop", "direct"}, {"old", "direct"}, {"dlx", "fanout"}} {
		if err := ch.ExchangeDeclare(x[0], x[1], true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	testenv.DeclareQueue(t, env, vh, "orders", amqp091.Table{"x-dead-letter-exchange": "dlx"})
	testenv.DeclareQueue(t, env, vh, "dlq", nil)
	for _, b := range [][2]string{{"a", "shop"}, {"b", "shop"}, {"c", "old"}} {
		if err := ch.QueueBind("orders", b[0], b[1], false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.QueueBind("dlq", "", "dlx", false, nil); err != nil {
		t.Fatal(err)
	}
	pubCh := mustChannel(t, env, vh)
	if err := pubCh.Confirm(false); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		key, exchange := []string{"a", "b", "c"}[i%3], []string{"shop", "shop", "old"}[i%3]
		if err := pubCh.Publish(exchange, key, true, false, amqp091.Publishing{DeliveryMode: amqp091.Persistent,
			MessageId: fmt.Sprintf("%s-%d", key, i), Body: []byte("same body")}); err != nil {
			t.Fatal(err)
		}
	}
	waitDepth(t, env, vh, "orders", n)
	rejectAll(t, env, vh, "orders", n)
	waitDepth(t, env, vh, "dlq", n)
	plain := make([]amqp091.Publishing, n/2)
	for i := range plain {
		plain[i] = amqp091.Publishing{DeliveryMode: amqp091.Persistent, MessageId: fmt.Sprintf("plain-%d", i), Body: []byte("same body")}
	}
	publishAll(t, env, vh, "", "dlq", plain)
	if err := ch.QueueUnbind("orders", "b", "shop", nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDelete("old", false, false); err != nil {
		t.Fatal(err)
	}

	s := newSession(t)
	sum, err := s.Move(testCtx(t), vh, "dlq", MoveOptions{QueueType: Classic, ToOrigin: true, Window: 64}, nil)
	t.Logf("%+v", sum)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Moved != n/3 || sum.Returned != n/3 || sum.Failed != n/3 || sum.NoOrigin != n/2 || sum.InDoubt != 0 {
		t.Fatalf("summary %+v, want %d moved, returned and failed, %d without origin", sum, n/3, n/2)
	}
	if !strings.Contains(sum.Note, `200 from exchange "old"`) {
		t.Fatalf("note %q", sum.Note)
	}
	var wantOrders, wantDLQ []string
	for i := range n {
		if i%3 == 0 {
			wantOrders = append(wantOrders, fmt.Sprintf("a-%d", i))
		} else {
			wantDLQ = append(wantDLQ, fmt.Sprintf("%s-%d", []string{"a", "b", "c"}[i%3], i))
		}
	}
	for i := range n / 2 {
		wantDLQ = append(wantDLQ, fmt.Sprintf("plain-%d", i))
	}
	wantIDs(t, "orders", drainAll(t, env, vh, "orders"), wantOrders)
	wantIDs(t, "dlq", drainAll(t, env, vh, "dlq"), wantDLQ)
}

// wantIDs compares message-ids in order, naming the first difference.
func wantIDs(t testing.TB, what string, got []amqp091.Delivery, want []string) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i].MessageId
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("%s: %d messages, want %d; message %d is %q, want %q", what, len(got), len(want), i, g, w)
		}
	}
}

// fillSource publishes n persistent messages m-0.. (message-ids m-0..) to
// a durable classic queue src and declares the destination queue dst.
func fillSource(t testing.TB, env testenv.Env, vh string, n int) {
	t.Helper()
	testenv.DeclareQueue(t, env, vh, "src", nil)
	testenv.DeclareQueue(t, env, vh, "dst", nil)
	testenv.Publish(t, env, vh, "", "src", numbered(n)...)
}

// checkAtLeastOnce drains src and dst and checks every message m-0..m-(n-1)
// is in one of them at least once, and at most window in both.
func checkAtLeastOnce(t testing.TB, env testenv.Env, vh string, n, window int) {
	t.Helper()
	src, dst := drainAll(t, env, vh, "src"), drainAll(t, env, vh, "dst")
	seen := countIDs(src, dst)
	dups := 0
	for i := range n {
		c := seen[fmt.Sprintf("m-%d", i)]
		if c == 0 {
			t.Fatalf("m-%d lost (source %d, destination %d)", i, len(src), len(dst))
		}
		dups += c - 1
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages, want %d", len(seen), n)
	}
	t.Logf("source %d + destination %d = %d, %d in both", len(src), len(dst), len(src)+len(dst), dups)
	if dups > window {
		t.Fatalf("%d messages in both places, more than the window of %d", dups, window)
	}
}

// Cancelling halfway stops at once; the counts add up exactly.
func TestMoveCancelHalfway(t *testing.T) {
	const n = 10000
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	fillSource(t, env, vh, n)
	s := newSession(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	sum, err := s.Move(ctx, vh, "src", MoveOptions{QueueType: Classic, RoutingKey: "dst"}, func(p MoveProgress) {
		if p.Moved >= n/2 {
			cancel()
		}
	})
	t.Logf("%v: %+v", err, sum)
	if !errors.Is(err, context.Canceled) || !sum.Cancelled {
		t.Fatalf("err %v, cancelled %v; want a cancellation", err, sum.Cancelled)
	}
	if sum.Moved < n/2 || sum.Moved >= n || sum.InDoubt != 0 {
		t.Fatalf("summary %+v", sum)
	}
	src, dst := drainAll(t, env, vh, "src"), drainAll(t, env, vh, "dst")
	if len(dst) != sum.Moved || len(src) != n-sum.Moved {
		t.Fatalf("source %d, destination %d; summary says %d moved of %d", len(src), len(dst), sum.Moved, n)
	}
	if seen := countIDs(src, dst); len(seen) != n {
		t.Fatalf("%d distinct messages, want %d", len(seen), n)
	}
}

const moveHelperEnv = "MQTOP_HELPER_MOVE"

// TestHelperMoveAndHang is not a test of its own: TestMoveSurvivesSIGKILL
// runs the test binary again with only this test and moveHelperEnv set; it
// moves src to dst and, halfway, says so and hangs inside Move until killed.
func TestHelperMoveAndHang(t *testing.T) {
	vh := os.Getenv(moveHelperEnv)
	if vh == "" {
		return
	}
	s := newSession(t)
	_, err := s.Move(context.Background(), vh, "src", MoveOptions{QueueType: Classic, RoutingKey: "dst"}, func(p MoveProgress) {
		if p.Moved >= p.Total/2 {
			fmt.Printf("HALFWAY %d\n", p.Moved)
			os.Stdout.Sync()
			select {} // until SIGKILL
		}
	})
	t.Fatalf("move returned (%v); it should have hung", err)
}

// A moving process killed outright loses nothing: what it had not
// acknowledged goes back to the source, and at most a window of messages is
// in both places.
func TestMoveSurvivesSIGKILL(t *testing.T) {
	const n = 10000
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	fillSource(t, env, vh, n)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMoveAndHang$", "-test.count=1")
	cmd.Env = append(os.Environ(), moveHelperEnv+"="+vh)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	halfway := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "HALFWAY") {
				halfway <- sc.Text()
			}
		}
		close(halfway)
	}()
	select {
	case l, ok := <-halfway:
		if !ok {
			t.Fatal("the helper ended before halfway")
		}
		t.Log(l)
	case <-time.After(90 * time.Second):
		t.Fatal("the helper did not get halfway")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	// The broker notices the dead socket at once; wait until nothing is
	// held any more.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		c := queueDepth(t, env, vh, "src") + queueDepth(t, env, vh, "dst")
		return c >= n, fmt.Sprintf("source + destination = %d", c)
	})
	checkAtLeastOnce(t, env, vh, n, ConfirmWindow)
}

// brokerDir finds the directory of a broker started by testenv.StartBroker
// from its own answer (its rabbitmq.conf lives there).
func brokerDir(t testing.TB, env testenv.Env) string {
	t.Helper()
	var nodes []struct {
		ConfigFiles []string `json:"config_files"`
	}
	// A node that has just started has not reported its files yet.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		testenv.GetJSON(t, env, "nodes", &nodes)
		return len(nodes) == 1 && len(nodes[0].ConfigFiles) > 0, fmt.Sprintf("no config_files in %+v", nodes)
	})
	dir := filepath.Dir(nodes[0].ConfigFiles[0])
	if _, err := os.Stat(filepath.Join(dir, "broker.vars")); err != nil {
		t.Fatalf("%s is not a broker.sh directory: %v", dir, err)
	}
	return dir
}

func brokerScript(t testing.TB, args ...string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := exec.Command(filepath.Join(root, "scripts", "broker.sh"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("broker.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("broker.sh %s: %v", args[0], time.Since(start).Round(time.Millisecond))
}

// A broker that stops halfway (on a private broker of this test, so that the
// shared one keeps running): Move returns the lost connection as an error,
// does not carry on once the broker is back, and nothing is lost.
func TestMoveSurvivesBrokerRestart(t *testing.T) {
	const n = 10000
	other := testenv.StartBroker(t, testenv.BrokerOptions{})
	env := other.Env
	dir := brokerDir(t, env)
	fillSource(t, env, "/", n)
	s := NewSession(Config{URL: env.AMQPURL, User: env.User, Password: env.Password, Timeout: 20 * time.Second})
	t.Cleanup(func() { s.Close() })
	var once sync.Once
	halted := make(chan time.Time, 1)
	sum, err := s.Move(testCtx(t), "/", "src", MoveOptions{QueueType: Classic, RoutingKey: "dst"}, func(p MoveProgress) {
		if p.Moved >= n/2 {
			// The broker stops under the move (it is held here meanwhile).
			once.Do(func() {
				brokerScript(t, "halt", dir)
				halted <- time.Now()
			})
		}
	})
	var since time.Duration
	select {
	case at := <-halted:
		since = time.Since(at)
	default:
		t.Fatalf("the move ended before the broker stopped: %v %+v", err, sum)
	}
	t.Logf("returned %v after the broker stopped: %v; %+v", since, err, sum)
	if err == nil || sum.Cancelled || sum.Moved >= n {
		t.Fatalf("err %v, summary %+v: want the lost connection as an error", err, sum)
	}
	brokerScript(t, "restart", dir)
	if d := queueDepth(t, env, "/", "dst"); d >= n {
		t.Fatalf("the destination holds %d: the move carried on after the restart", d)
	}
	checkAtLeastOnce(t, env, "/", n, ConfirmWindow)
}

// Read-only mode refuses before dialling; a stream, a missing queue type
// and the source as its own destination are refused with the reason.
func TestMoveRefusals(t *testing.T) {
	ro := NewSession(Config{URL: "amqp://127.0.0.1:1", ReadOnly: true})
	defer ro.Close()
	_, err := ro.Move(context.Background(), "/", "q", MoveOptions{QueueType: Classic, RoutingKey: "x"}, nil)
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), `move messages of queue "q"`) {
		t.Fatalf("read-only: %v", err)
	}
	if st := ro.Status("/"); st.Dials != 0 || st.LastError != nil {
		t.Fatalf("read-only move touched the network: %+v", st)
	}

	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "s", amqp091.Table{"x-queue-type": Stream})
	testenv.Publish(t, env, vh, "", "s", numbered(5)...)
	s := newSession(t)
	for _, c := range []struct {
		o    MoveOptions
		want string
	}{
		{MoveOptions{QueueType: Stream, RoutingKey: "dst"}, "acknowledging removes nothing from a stream"},
		{MoveOptions{RoutingKey: "dst"}, "queue type"},
		{MoveOptions{QueueType: Classic, RoutingKey: "s"}, "source queue itself"},
		{MoveOptions{QueueType: Classic}, "no destination"},
	} {
		_, err := s.Move(testCtx(t), vh, "s", c.o, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
	if st := s.Status(vh); st.Dials != 0 {
		t.Fatalf("refused moves dialled: %+v", st)
	}
	wantStrings(t, "stream", deliveryBodies(readStream(t, env, vh, "s", 5)), seq("m-", 0, 5))
	// A missing destination exchange is refused before anything is taken.
	testenv.DeclareQueue(t, env, vh, "q", nil)
	testenv.Publish(t, env, vh, "", "q", numbered(3)...)
	if _, err := s.Move(testCtx(t), vh, "q", MoveOptions{QueueType: Classic, Exchange: "gone"}, nil); Code(err) != 0 ||
		err == nil || !strings.Contains(err.Error(), `no exchange "gone"`) {
		t.Fatalf("missing exchange: %v", err)
	}
	wantStrings(t, "untouched", deliveryBodies(drainAll(t, env, vh, "q")), seq("m-", 0, 3))
}

// Moved back to their origin queue, dead-lettered messages reach that
// queue only: another queue the original exchange also routes the key to
// (an audit queue) gets no second copy, as it would through the exchange.
func TestMoveToOriginQueueReachesOnlyThatQueue(t *testing.T) {
	const n = 500
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ch := mustChannel(t, env, vh)
	for _, x := range [][2]string{{"shop", "fanout"}, {"dlx", "fanout"}} {
		if err := ch.ExchangeDeclare(x[0], x[1], true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	testenv.DeclareQueue(t, env, vh, "orders", amqp091.Table{"x-dead-letter-exchange": "dlx"})
	testenv.DeclareQueue(t, env, vh, "audit", nil)
	testenv.DeclareQueue(t, env, vh, "orders.dlq", nil)
	for _, b := range [][2]string{{"orders", "shop"}, {"audit", "shop"}, {"orders.dlq", "dlx"}} {
		if err := ch.QueueBind(b[0], "", b[1], false, nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs := make([]amqp091.Publishing, n)
	for i := range msgs {
		msgs[i] = orderMessage(i)
	}
	publishAll(t, env, vh, "shop", "", msgs)
	rejectAll(t, env, vh, "orders", n)
	waitDepth(t, env, vh, "orders.dlq", n)
	waitDepth(t, env, vh, "audit", n)
	publishAll(t, env, vh, "", "orders.dlq", []amqp091.Publishing{{MessageId: "never-dead", Body: []byte("x")}})

	s := newSession(t)
	if _, err := s.Move(testCtx(t), vh, "orders.dlq", MoveOptions{QueueType: Classic, ToOrigin: true, ToOriginQueue: true}, nil); err == nil {
		t.Fatal("both origins accepted")
	}
	sum, err := s.Move(testCtx(t), vh, "orders.dlq", MoveOptions{QueueType: Classic, ToOriginQueue: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Moved != n || sum.NoOrigin != 1 || sum.Returned+sum.Failed+sum.InDoubt != 0 {
		t.Fatalf("summary %+v", sum)
	}
	waitDepth(t, env, vh, "orders", n)
	if d := queueDepth(t, env, vh, "audit"); d != n { // every publish is confirmed: the count is final
		t.Fatalf("audit holds %d, want %d: moving back went through the exchange", d, n)
	}
	var want []string
	for i := range n {
		want = append(want, orderMessage(i).MessageId)
	}
	wantIDs(t, "orders", drainAll(t, env, vh, "orders"), want)
	wantIDs(t, "orders.dlq", drainAll(t, env, vh, "orders.dlq"), []string{"never-dead"})
}
