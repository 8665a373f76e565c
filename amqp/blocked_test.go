package amqp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// A memory alarm on a node of the test's own blocks publishers
// (connection.blocked "low on memory"). A publish already under way when
// the block came ends at its confirm timeout as unconfirmed (never as
// success), the next one is refused at once with the broker's reason, and
// a repeat of large messages (more than the socket holds, so the sends
// themselves wait on the broker) ends by itself. Once the alarm is
// cleared, publishing works again, and the queues hold what was confirmed
// plus at most what was reported unconfirmed.
func TestPublishBlockedByAnAlarm(t *testing.T) {
	n := testenv.StartNode(t)
	const q, big = "blocked-q", "blocked-big"
	testenv.DeclareQueue(t, n.Env, "/", q, nil)
	testenv.DeclareQueue(t, n.Env, "/", big, nil)
	const timeout = 3 * time.Second
	newS := func() *Session {
		s := NewSession(Config{URL: n.AMQPURL, User: n.User, Password: n.Password, Timeout: timeout})
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := newS()
	ctx := testCtx(t)
	small := PublishRequest{RoutingKey: q, Body: []byte("small")}
	bigReq := PublishRequest{RoutingKey: big, Body: bytes.Repeat([]byte("x"), 1<<20)}
	confirmedQ, unconfirmedQ, confirmedBig, unconfirmedBig := 0, 0, 0, 0

	if res, err := s.Publish(ctx, small); err != nil || res.Outcome != Confirmed {
		t.Fatalf("publish before the alarm: %v, %v", res, err)
	}
	confirmedQ++

	t.Logf("rabbitmqctl: %s", strings.TrimSpace(n.MustCtl("set_vm_memory_high_watermark", "0.0001")))
	cleared := false
	t.Cleanup(func() {
		if !cleared {
			n.Ctl("set_vm_memory_high_watermark", "0.4")
		}
	})
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var nodes []struct {
			MemAlarm bool `json:"mem_alarm"`
		}
		testenv.GetJSON(t, n.Env, "nodes", &nodes)
		return len(nodes) == 1 && nodes[0].MemAlarm, "the node's memory alarm"
	})

	// Publishes until one is refused at once: the broker blocks a
	// connection when it next publishes (or at once), so the first may
	// already have been sent.
	var blocked *BlockedError
	for i := 0; i < 3; i++ {
		res, err := s.Publish(ctx, small)
		if err == nil {
			t.Fatalf("publish %d under the alarm: %v, no error", i, res)
		}
		var be *BlockedError
		if !errors.As(err, &be) {
			t.Fatalf("publish %d under the alarm: %v, not a BlockedError", i, err)
		}
		t.Logf("publish %d under the alarm: %v", i, err)
		if be.Unconfirmed == 0 {
			blocked = be
			want := "publishers are blocked by the broker: low on memory"
			if !strings.HasSuffix(err.Error(), want) {
				t.Fatalf("refusal %q does not end with %q", err, want)
			}
			break
		}
		unconfirmedQ++
		want := "unconfirmed: the broker blocked publishers (low on memory); the message may or may not have been enqueued"
		if !strings.HasSuffix(err.Error(), want) {
			t.Fatalf("unconfirmed publish %q does not end with %q", err, want)
		}
	}
	if blocked == nil {
		t.Fatal("no publish was refused at once while the broker blocks the connection")
	}
	if st := s.Status("/"); st.BlockedBy != "low on memory" {
		t.Fatalf("status %+v, want blocked by low on memory", st)
	}
	// A repeat on a connection the broker blocks: refused at once.
	sum, err := s.PublishRepeat(ctx, bigReq, 64, 0, nil)
	if !errors.As(err, &blocked) || blocked.Unconfirmed != 0 || sum.Sent != 0 {
		t.Fatalf("repeat on the blocked connection: %+v, %v; want refused at once", sum, err)
	}

	// So is an RPC.
	if _, err := s.RPC(ctx, RPCRequest{PublishRequest: small, Timeout: timeout}); !errors.As(err, &blocked) || blocked.Unconfirmed != 0 {
		t.Fatalf("RPC on the blocked connection: %v; want refused at once", err)
	}
	// And a move, before it takes a message.
	before := queueDepth(t, n.Env, "/", q)
	if _, err := s.Move(ctx, "/", q, MoveOptions{QueueType: Classic, RoutingKey: big}, nil); !errors.As(err, &blocked) {
		t.Fatalf("move on the blocked connection: %v; want refused at once", err)
	}
	if after := queueDepth(t, n.Env, "/", q); after != before {
		t.Fatalf("the refused move changed %s: %d -> %d", q, before, after)
	}

	// A repeat of 64 × 1 MiB on a new connection, which the broker blocks
	// only once it publishes: it ends by itself, and says how many are
	// unconfirmed.
	s2 := newS()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sum, err = s2.PublishRepeat(ctx, bigReq, 64, 0, nil)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("a repeat of large messages under the alarm did not end")
	}
	t.Logf("repeat of 64 × 1 MiB on a new connection under the alarm: %+v, %v", sum, err)
	if err == nil || sum.Confirmed == 64 {
		t.Fatalf("repeat under the alarm: %+v, %v; want it stopped by the block", sum, err)
	}
	var be *BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("repeat under the alarm: %v, not a BlockedError", err)
	}
	confirmedBig += sum.Confirmed
	unconfirmedBig += be.Unconfirmed
	if be.Unconfirmed != sum.Sent-sum.Confirmed-sum.Returned-sum.Nacked {
		t.Fatalf("repeat says %d unconfirmed, its summary %+v", be.Unconfirmed, sum)
	}

	n.MustCtl("set_vm_memory_high_watermark", "0.4")
	cleared = true
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		why, _, _ := s.blockState("/")
		return why == "", "connection.unblocked"
	})
	if res, err := s.Publish(ctx, small); err != nil || res.Outcome != Confirmed {
		t.Fatalf("publish after the alarm cleared: %v, %v", res, err)
	}
	confirmedQ++
	sum, err = s.PublishRepeat(ctx, PublishRequest{RoutingKey: big, Body: []byte("after")}, 10, 0, nil)
	if err != nil || sum.Confirmed != 10 {
		t.Fatalf("repeat after the alarm cleared: %+v, %v", sum, err)
	}
	confirmedBig += 10

	// What the broker read once it unblocked the connections has arrived by
	// the time the publishes after clearing were confirmed (one connection,
	// in order) for s; s2's may still be on its way.
	time.Sleep(time.Second)
	for _, c := range []struct {
		queue                  string
		confirmed, unconfirmed int
	}{{q, confirmedQ, unconfirmedQ}, {big, confirmedBig, unconfirmedBig}} {
		got := messages(t, n.Env, c.queue)
		t.Logf("%s holds %d: %d confirmed, %d reported unconfirmed", c.queue, got, c.confirmed, c.unconfirmed)
		if got < c.confirmed || got > c.confirmed+c.unconfirmed {
			t.Errorf("%s holds %d messages; %d were confirmed and %d reported unconfirmed", c.queue, got, c.confirmed, c.unconfirmed)
		}
	}
}

// messages is what queue holds now (a passive declare, not the API's
// statistics, which lag).
func messages(t *testing.T, env testenv.Env, queue string) int {
	t.Helper()
	ch, err := testenv.Dial(t, env, "/").Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	st, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st.Messages
}
