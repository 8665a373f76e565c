package amqp

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

func TestPublishEveryPropertyAndHeaderType(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "props", nil)
	s := newSession(t)
	ts := time.Unix(1700000000, 0)
	req := PublishRequest{
		VHost: vh, Exchange: "", RoutingKey: "props",
		Properties: Properties{
			ContentType: "application/json", ContentEncoding: "identity", DeliveryMode: Persistent, Priority: 7,
			Expiration: "600000", CorrelationID: "corr-1", ReplyTo: "replies", MessageID: "msg-1", Type: "order.created",
			AppID: "mqtop-test", UserID: env.User, Timestamp: ts,
		},
		Headers: map[string]any{
			"string": "hello", "int": 42, "int32": int32(-7), "bool": true, "float": 2.5,
			"nested": map[string]any{"a": "b", "n": int64(1), "deeper": map[string]any{"x": false}},
			"array":  []any{"one", int64(2), true}, "bytes": []byte{0, 1, 0xff}, "time": ts,
			"strings": []string{"k1", "k2"},
		},
		Body: []byte(`{"id":1}`),
	}
	res, err := s.Publish(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Confirmed || res.String() != "confirmed and routed" {
		t.Fatalf("outcome %v (%s), want confirmed and routed", res.Outcome, res)
	}

	// Read back with a plain consumer: what the broker really holds.
	d := drain(t, env, vh, "props", 1)[0]
	want := amqp091.Delivery{ContentType: "application/json", ContentEncoding: "identity", DeliveryMode: 2, Priority: 7,
		Expiration: "600000", CorrelationId: "corr-1", ReplyTo: "replies", MessageId: "msg-1", Type: "order.created",
		AppId: "mqtop-test", UserId: env.User}
	got := amqp091.Delivery{ContentType: d.ContentType, ContentEncoding: d.ContentEncoding, DeliveryMode: d.DeliveryMode,
		Priority: d.Priority, Expiration: d.Expiration, CorrelationId: d.CorrelationId, ReplyTo: d.ReplyTo,
		MessageId: d.MessageId, Type: d.Type, AppId: d.AppId, UserId: d.UserId}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("properties:\n got %+v\nwant %+v", got, want)
	}
	if !d.Timestamp.Equal(ts) || string(d.Body) != `{"id":1}` {
		t.Fatalf("timestamp %v body %q", d.Timestamp, d.Body)
	}
	h := fromTable(d.Headers)
	checks := map[string]any{
		"string": "hello", "int": int64(42), "int32": int32(-7), "bool": true, "float": 2.5,
		"nested":  map[string]any{"a": "b", "n": int64(1), "deeper": map[string]any{"x": false}},
		"array":   []any{"one", int64(2), true},
		"strings": []any{"k1", "k2"},
	}
	for k, v := range checks {
		if !reflect.DeepEqual(h[k], v) {
			t.Errorf("header %s: got %#v (%T), want %#v (%T)", k, h[k], h[k], v, v)
		}
	}
	if b, ok := h["bytes"].([]byte); !ok || !bytes.Equal(b, []byte{0, 1, 0xff}) {
		t.Errorf("header bytes: got %#v", h["bytes"])
	}
	if tm, ok := h["time"].(time.Time); !ok || !tm.Equal(ts) {
		t.Errorf("header time: got %#v", h["time"])
	}
}

func TestPublishUnroutableIsReturned(t *testing.T) {
	vh := testenv.VHost(t)
	s := newSession(t)
	res, err := s.Publish(testCtx(t), PublishRequest{VHost: vh, Exchange: "amq.direct", RoutingKey: "nobody-binds-this",
		Body: []byte("lost")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Returned || res.ReplyCode != 312 || res.ReplyText != "NO_ROUTE" {
		t.Fatalf("got %+v, want returned 312 NO_ROUTE", res)
	}
	if res.String() != "returned: unroutable (312 NO_ROUTE)" {
		t.Fatalf("String() = %q", res.String())
	}
}

func TestPublishToMissingExchangeThenNextPublishWorks(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "after", nil)
	s := newSession(t)
	_, err := s.Publish(testCtx(t), PublishRequest{VHost: vh, Exchange: "nope", RoutingKey: "k", Body: []byte("x")})
	if err == nil {
		t.Fatal("publish to a missing exchange succeeded")
	}
	if Code(err) != 404 {
		t.Fatalf("code %d, want 404: %v", Code(err), err)
	}
	want := `publish to exchange "nope" with routing key "k" in vhost "` + vh + `": 404 NOT_FOUND - no exchange 'nope' in vhost '` + vh + `'`
	if err.Error() != want {
		t.Fatalf("error\n got %s\nwant %s", err, want)
	}
	res, err := s.Publish(testCtx(t), PublishRequest{VHost: vh, RoutingKey: "after", Body: []byte("fine")})
	if err != nil || res.Outcome != Confirmed {
		t.Fatalf("next publish: %v %v", res, err)
	}
	if n := queueDepth(t, env, vh, "after"); n != 1 {
		t.Fatalf("queue holds %d, want 1", n)
	}
	// A channel error closes the channel, not the connection.
	if st := s.Status(vh); !st.Connected || st.Dials != 1 {
		t.Fatalf("status %+v: want the first connection still up", st)
	}
}

func TestPublishRefusesHeaderAMQPCannotCarry(t *testing.T) {
	vh := testenv.VHost(t)
	s := newSession(t)
	_, err := s.Publish(testCtx(t), PublishRequest{VHost: vh, RoutingKey: "q", Headers: map[string]any{"ch": make(chan int)}})
	if err == nil || !strings.Contains(err.Error(), `header "ch"`) {
		t.Fatalf("got %v", err)
	}
}

func TestPublishRepeat(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "many", nil)
	s := newSession(t)
	var mu sync.Mutex
	var last RepeatProgress
	calls := 0
	sum, err := s.PublishRepeat(testCtx(t), PublishRequest{VHost: vh, RoutingKey: "many", Body: []byte("x")}, 2000, 0,
		func(p RepeatProgress) {
			mu.Lock()
			defer mu.Unlock()
			if p.Sent < last.Sent || p.Confirmed < last.Confirmed {
				t.Errorf("progress went backwards: %+v after %+v", p, last)
			}
			last, calls = p, calls+1
		})
	if err != nil {
		t.Fatal(err)
	}
	if sum.N != 2000 || sum.Sent != 2000 || sum.Confirmed != 2000 || sum.Returned != 0 || sum.Nacked != 0 || sum.MsgsPerSec <= 0 {
		t.Fatalf("summary %+v", sum)
	}
	mu.Lock()
	if calls == 0 || last.Sent != 2000 || last.Confirmed != 2000 {
		t.Fatalf("%d progress calls, last %+v", calls, last)
	}
	mu.Unlock()
	if n := queueDepth(t, env, vh, "many"); n != 2000 {
		t.Fatalf("queue holds %d, want 2000", n)
	}

	// Unroutable: every one returned, none counted as confirmed.
	sum, err = s.PublishRepeat(testCtx(t), PublishRequest{VHost: vh, Exchange: "amq.direct", RoutingKey: "unbound"}, 300, 0, nil)
	if err != nil || sum.Sent != 300 || sum.Returned != 300 || sum.Confirmed != 0 {
		t.Fatalf("unroutable repeat: %+v %v", sum, err)
	}

	// Paced: message i is never sent before i/rate.
	sum, err = s.PublishRepeat(testCtx(t), PublishRequest{VHost: vh, RoutingKey: "many"}, 11, 50, nil)
	if err != nil || sum.Confirmed != 11 {
		t.Fatalf("paced repeat: %+v %v", sum, err)
	}
	if sum.Elapsed < 200*time.Millisecond {
		t.Fatalf("11 messages at 50/s took %v; pacing needs at least 200ms", sum.Elapsed)
	}
}

func TestPublishRepeatCancel(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "cancel", nil)
	s := newSession(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	var once sync.Once
	sum, err := s.PublishRepeat(ctx, PublishRequest{VHost: vh, RoutingKey: "cancel"}, 1_000_000, 500, func(p RepeatProgress) {
		if p.Confirmed >= 20 {
			once.Do(cancel)
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if sum.Sent < 20 || sum.Sent >= sum.N || sum.Confirmed != sum.Sent {
		t.Fatalf("summary %+v: want what was sent, all confirmed", sum)
	}
	if n := queueDepth(t, env, vh, "cancel"); n != sum.Sent {
		t.Fatalf("queue holds %d, summary says %d sent", n, sum.Sent)
	}
}
