package amqp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// Browse 5 of 10, twice, then 3, then consume everything: same order,
// nothing lost, and the browsed ones (only those) are redelivered. The
// smaller third browse is the hard case on a quorum queue, which serves the
// messages it took back first, in the order they came back.
func TestBrowseKeepsOrderAndLosesNothing(t *testing.T) {
	for _, qt := range []string{Classic, Quorum} {
		t.Run(qt, func(t *testing.T) {
			env := testenv.Broker(t)
			vh := testenv.VHost(t)
			testenv.DeclareQueue(t, env, vh, "q", amqp091.Table{"x-queue-type": qt})
			testenv.Publish(t, env, vh, "", "q", numbered(10)...)
			s := newSession(t)
			req := BrowseRequest{VHost: vh, Queue: "q", QueueType: qt, N: 5}
			// A quorum browse also takes the returned messages past N and
			// the first new one behind them.
			wantTaken := map[string][]int{Classic: {5, 5, 3}, Quorum: {5, 6, 7}}[qt]
			res, err := s.Browse(testCtx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			wantStrings(t, "first browse", bodies(res.Messages), seq("m-", 0, 5))
			if !res.MarkedRedelivered || !res.Truncated || res.Remaining != 5 || res.StoppedNearLimit != nil ||
				res.Taken != wantTaken[0] {
				t.Fatalf("result flags %+v", res)
			}
			for i, m := range res.Messages {
				if m.Redelivered || m.MessageID != fmt.Sprintf("m-%d", i) || m.DeliveryMode != Persistent {
					t.Fatalf("message %d: %+v", i, m)
				}
				if qt == Quorum && (!m.HasDeliveryCount || m.DeliveryCount != 0) {
					t.Fatalf("quorum message %d: delivery count %d (%v)", i, m.DeliveryCount, m.HasDeliveryCount)
				}
			}

			res, err = s.Browse(testCtx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			wantStrings(t, "second browse", bodies(res.Messages), seq("m-", 0, 5))
			if res.Taken != wantTaken[1] {
				t.Fatalf("second browse took %d", res.Taken)
			}
			for i, m := range res.Messages {
				if !m.Redelivered {
					t.Fatalf("message %d not redelivered after a browse", i)
				}
				if qt == Quorum && m.DeliveryCount != 1 {
					t.Fatalf("quorum message %d: delivery count %d after one browse", i, m.DeliveryCount)
				}
			}

			res, err = s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "q", QueueType: qt, N: 3})
			if err != nil {
				t.Fatal(err)
			}
			wantStrings(t, "third browse", bodies(res.Messages), seq("m-", 0, 3))
			if !res.Truncated || res.Remaining != 7 || res.OrderMayChange || res.Taken != wantTaken[2] {
				t.Fatalf("third browse flags %+v", res)
			}

			got := drain(t, env, vh, "q", 10)
			wantStrings(t, "consumed", deliveryBodies(got), seq("m-", 0, 10))
			for i, d := range got {
				if d.Redelivered != (i < slices.Max(wantTaken)) {
					t.Fatalf("message %d redelivered=%v", i, d.Redelivered)
				}
			}
		})
	}
}

func TestBrowseStream(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "st", amqp091.Table{"x-queue-type": "stream"})
	testenv.Publish(t, env, vh, "", "st", numbered(10)...)
	s := newSession(t)
	browse := func(n int, off StreamOffset) BrowseResult {
		t.Helper()
		res, err := s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "st", QueueType: Stream, N: n, Offset: off,
			Wait: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := browse(5, StreamOffset{Kind: OffsetFirst})
	wantStrings(t, "first", bodies(res.Messages), seq("m-", 0, 5))
	if res.MarkedRedelivered || !res.Truncated {
		t.Fatalf("flags %+v", res)
	}
	for i, m := range res.Messages {
		if m.Redelivered || m.StreamOffset == nil || *m.StreamOffset != int64(i) {
			t.Fatalf("message %d: redelivered %v offset %v", i, m.Redelivered, m.StreamOffset)
		}
	}

	res = browse(5, StreamOffset{Kind: OffsetAt, Offset: 7})
	wantStrings(t, "offset 7", bodies(res.Messages), seq("m-", 7, 10))
	if res.Truncated {
		t.Fatal("3 of 5 reported as truncated")
	}

	// "last" is the last chunk: it ends with the last message.
	res = browse(20, StreamOffset{Kind: OffsetLast})
	if len(res.Messages) == 0 || string(res.Messages[len(res.Messages)-1].Body) != "m-9" {
		t.Fatalf("last: %q", bodies(res.Messages))
	}

	res = browse(20, StreamOffset{Kind: OffsetTimestamp, Time: time.Now().Add(-time.Hour)})
	wantStrings(t, "since an hour ago", bodies(res.Messages), seq("m-", 0, 10))

	// "next" sees only what is published after the browse began.
	done := make(chan BrowseResult, 1)
	go func() {
		res, err := s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "st", QueueType: Stream, N: 1,
			Offset: StreamOffset{Kind: OffsetNext}, Wait: time.Minute})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	for late := 0; ; late++ {
		testenv.Publish(t, env, vh, "", "st", []byte(fmt.Sprintf("late-%d", late)))
		select {
		case res = <-done:
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	if len(res.Messages) != 1 || string(res.Messages[0].Body[:5]) != "late-" {
		t.Fatalf("next: %q", bodies(res.Messages))
	}

	// Browsing changed nothing: the stream reads back whole, in order.
	wantStrings(t, "stream", deliveryBodies(readStream(t, env, vh, "st", 10)), seq("m-", 0, 10))
}

func TestBrowseNeedsQueueType(t *testing.T) {
	vh := testenv.VHost(t)
	s := newSession(t)
	if _, err := s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "q"}); err == nil {
		t.Fatal("browse without a queue type succeeded")
	}
}

// A quorum queue with a delivery limit: repeated browses stop near the
// limit, and the message at the head is never dropped.
func TestBrowseStopsNearDeliveryLimit(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	const limit = 3
	args := amqp091.Table{"x-queue-type": "quorum", "x-delivery-limit": limit}
	testenv.DeclareQueue(t, env, vh, "limited", args)
	testenv.Publish(t, env, vh, "", "limited", numbered(3)...)
	s := newSession(t)
	req := BrowseRequest{VHost: vh, Queue: "limited", QueueType: Quorum, N: 3, DeliveryLimit: limit}

	res, err := s.Browse(testCtx(t), req)
	if err != nil || len(res.Messages) != 3 || res.StoppedNearLimit != nil {
		t.Fatalf("first browse: %q %+v %v", bodies(res.Messages), res.StoppedNearLimit, err)
	}
	// Count 1 now: returning it again makes 2 = limit - margin.
	res, err = s.Browse(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "second browse", bodies(res.Messages), []string{"m-0"})
	stopped := res
	nl := res.StoppedNearLimit
	if nl == nil || nl.DeliveryCount != 1 || nl.Limit != limit || nl.Remembered {
		t.Fatalf("second browse stopped %+v", nl)
	}
	for i := 0; i < 5; i++ {
		res, err = s.Browse(testCtx(t), req)
		if err != nil || len(res.Messages) != 0 || res.StoppedNearLimit == nil || !res.StoppedNearLimit.Remembered {
			t.Fatalf("browse %d after the stop: %q %+v %v", i+3, bodies(res.Messages), res.StoppedNearLimit, err)
		}
	}
	// The stop happened among messages the queue had taken back, so it
	// says their order may have changed; none is lost.
	if !stopped.OrderMayChange {
		t.Fatal("a stop among returned messages did not warn that the order may change")
	}
	got := deliveryBodies(drain(t, env, vh, "limited", 3))
	sort.Strings(got)
	wantStrings(t, "consumed", got, seq("m-", 0, 3))

	// Control: the same browses without the limit lose the head, which is
	// what the stop prevents (RabbitMQ drops a message returned more than
	// the limit allows).
	testenv.DeclareQueue(t, env, vh, "control", args)
	testenv.Publish(t, env, vh, "", "control", numbered(3)...)
	for i := 0; i <= limit; i++ {
		if _, err := s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "control", QueueType: Quorum, N: 1}); err != nil {
			t.Fatal(err)
		}
	}
	wantStrings(t, "control", deliveryBodies(drain(t, env, vh, "control", 2)), seq("m-", 1, 3))
}

// Dead-lettered messages carry x-death; Browse parses it.
func TestBrowseShowsDeathHistory(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "dlq", nil)
	testenv.DeclareQueue(t, env, vh, "work", amqp091.Table{"x-message-ttl": int32(1),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dlq"})
	before := time.Now().Add(-time.Minute)
	testenv.Publish(t, env, vh, "", "work", []byte("expired"))
	s := newSession(t)
	var res BrowseResult
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var err error
		res, err = s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "dlq", QueueType: Classic, N: 1})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Messages) == 1, "nothing dead-lettered yet"
	})
	d := res.Messages[0].Deaths
	if len(d) != 1 {
		t.Fatalf("deaths %+v", d)
	}
	if d[0].Queue != "work" || d[0].Reason != "expired" || d[0].Count != 1 || d[0].Exchange != "" ||
		fmt.Sprint(d[0].RoutingKeys) != "[work]" || d[0].Time.Before(before) {
		t.Fatalf("death %+v", d[0])
	}
}

func TestBrowseMissingQueue(t *testing.T) {
	vh := testenv.VHost(t)
	s := newSession(t)
	_, err := s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "absent", QueueType: Classic})
	var oe *OpError
	if !errors.As(err, &oe) || oe.Code != 404 {
		t.Fatalf("got %v, want 404", err)
	}
}

// A stream written to all the time never falls idle: the browse returns
// what it read after the session's timeout instead of failing.
func TestBrowseLiveStreamStopsWaiting(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "live", amqp091.Table{"x-queue-type": "stream"})
	testenv.Publish(t, env, vh, "", "live", numbered(3)...)
	stop := make(chan struct{})
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
				testenv.Publish(t, env, vh, "", "live", []byte(fmt.Sprintf("live-%d", i)))
			}
		}
	}()
	defer func() { close(stop); <-writer }()
	s := newSession(t, func(c *Config) { c.Timeout = 2 * time.Second })
	res, err := s.Browse(testCtx(t), BrowseRequest{VHost: vh, Queue: "live", QueueType: Stream, N: 1000, Wait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedWaiting || len(res.Messages) < 4 || string(res.Messages[0].Body) != "m-0" {
		t.Fatalf("stopped %v with %d messages: %q", res.StoppedWaiting, len(res.Messages), bodies(res.Messages))
	}
}
