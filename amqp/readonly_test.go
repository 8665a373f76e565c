package amqp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// Read-only is enforced here, in the layer that mutates (SPEC §1). Every
// method of *Session is either in roMutations, with a call that would
// change the broker and must be refused with ErrReadOnly before anything is
// dialled, or in roReaders. A method in neither list fails
// TestReadOnlyEveryMethodClassified, so a new action cannot be added
// without being proven refused here.

// roMutations are the actions that change the broker (or, for browsing a
// classic or quorum queue, mark its messages redelivered and count a
// delivery), each aimed at what roFixture declared in vh.
func roMutations(vh string) map[string]func(ctx context.Context, s *Session) error {
	pub := PublishRequest{VHost: vh, RoutingKey: "q", Body: []byte("x")}
	return map[string]func(ctx context.Context, s *Session) error{
		"Publish": func(ctx context.Context, s *Session) error { _, err := s.Publish(ctx, pub); return err },
		"PublishRepeat": func(ctx context.Context, s *Session) error {
			_, err := s.PublishRepeat(ctx, pub, 5, 0, nil)
			return err
		},
		"Purge": func(ctx context.Context, s *Session) error { _, err := s.Purge(ctx, vh, "q"); return err },
		"DeleteQueue": func(ctx context.Context, s *Session) error {
			_, err := s.DeleteQueue(ctx, vh, "q", false, false)
			return err
		},
		"Move": func(ctx context.Context, s *Session) error {
			_, err := s.Move(ctx, vh, "q", MoveOptions{QueueType: Classic, RoutingKey: "dest"}, nil)
			return err
		},
		"ProbeRoute": func(ctx context.Context, s *Session) error {
			_, err := s.ProbeRoute(ctx, vh, "direct", []ProbeBinding{{RoutingKey: "k"}}, "k", nil)
			return err
		},
		"RPC": func(ctx context.Context, s *Session) error {
			_, err := s.RPC(ctx, RPCRequest{PublishRequest: pub})
			return err
		},
		"RPCRepeat": func(ctx context.Context, s *Session) error {
			_, err := s.RPCRepeat(ctx, RPCRequest{PublishRequest: pub}, 3, nil)
			return err
		},
		"Browse": func(ctx context.Context, s *Session) error {
			_, err := s.Browse(ctx, BrowseRequest{VHost: vh, Queue: "q", QueueType: Classic, N: 2})
			if err == nil || !errors.Is(err, ErrBrowseNeedsAllow) {
				return err
			}
			_, err = s.Browse(ctx, BrowseRequest{VHost: vh, Queue: "qq", QueueType: Quorum, N: 2})
			return err
		},
	}
}

// roReaders change nothing on the broker: Inspect is a passive declare,
// Browse of a stream (under Browse above) reads from an offset, the rest is
// the session's own state.
var roReaders = []string{"Close", "ForgetNearLimit", "Inspect", "ReadOnly", "Refused", "Status", "TakeLost"}

func TestReadOnlyEveryMethodClassified(t *testing.T) {
	mutations := roMutations("/")
	typ := reflect.TypeOf(&Session{})
	have := map[string]bool{}
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		have[name] = true
		_, mut := mutations[name]
		read := slices.Contains(roReaders, name)
		switch {
		case mut && read:
			t.Errorf("(*amqp.Session).%s is listed both as a mutation and as a reader", name)
		case !mut && !read:
			t.Errorf("(*amqp.Session).%s is new: if it changes the broker, add it to roMutations in amqp/readonly_test.go "+
				"with a call that must be refused in read-only mode (and refuse it with readOnly()); if it only reads, add it to roReaders", name)
		}
	}
	for name := range mutations {
		if !have[name] {
			t.Errorf("roMutations lists %s, which *amqp.Session no longer has", name)
		}
	}
	for _, name := range roReaders {
		if !have[name] {
			t.Errorf("roReaders lists %s, which *amqp.Session no longer has", name)
		}
	}
}

// roFixture: classic queue q with 4 messages, quorum queue qq with 3, an
// empty destination queue dest, a stream s with 2 messages.
func roFixture(t *testing.T, env testenv.Env) string {
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "q", nil)
	testenv.DeclareQueue(t, env, vh, "qq", amqp091.Table{"x-queue-type": "quorum"})
	testenv.DeclareQueue(t, env, vh, "dest", nil)
	testenv.DeclareQueue(t, env, vh, "s", amqp091.Table{"x-queue-type": "stream"})
	testenv.Publish(t, env, vh, "", "q", numbered(4)...)
	testenv.Publish(t, env, vh, "", "qq", numbered(3)...)
	testenv.Publish(t, env, vh, "", "s", numbered(2)...)
	return vh
}

// roDefinitions is the vhost's topology as the broker exports it.
func roDefinitions(t *testing.T, env testenv.Env, vh string) string {
	t.Helper()
	var defs map[string]any
	testenv.GetJSON(t, env, "definitions/"+url.PathEscape(vh), &defs)
	delete(defs, "rabbit_version")
	delete(defs, "rabbitmq_version")
	b, err := json.Marshal(defs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadOnlyRefusesEveryMutation: each action, aimed at real queues, is
// refused with ErrReadOnly without dialling; the topology is as it was, no
// message moved or was taken (none comes back redelivered), and a stream
// can still be browsed.
func TestReadOnlyRefusesEveryMutation(t *testing.T) {
	env := testenv.Broker(t)
	vh := roFixture(t, env)
	before := roDefinitions(t, env, vh)
	ro := newSession(t, func(c *Config) { c.ReadOnly = true })
	if !ro.ReadOnly() {
		t.Fatal("a session made with ReadOnly says it is not read-only")
	}
	ctx := testCtx(t)
	for name, call := range roMutations(vh) {
		if err := call(ctx, ro); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s in read-only mode: %v, want ErrReadOnly", name, err)
		}
	}
	if vhosts := dialled(ro); len(vhosts) > 0 {
		t.Errorf("refused actions dialled the broker (vhosts %q)", vhosts)
	}
	if after := roDefinitions(t, env, vh); after != before {
		t.Errorf("the vhost changed under a read-only session:\nbefore %s\nafter  %s", before, after)
	}
	for q, n := range map[string]int{"q": 4, "qq": 3, "dest": 0} {
		if d := queueDepth(t, env, vh, q); d != n {
			t.Errorf("queue %s holds %d messages after refused actions, want %d", q, d, n)
		}
	}
	for _, d := range drain(t, env, vh, "q", 4) {
		if d.Redelivered {
			t.Errorf("message %s comes back redelivered: a refused browse took it", d.Body)
		}
	}
	for _, d := range drain(t, env, vh, "qq", 3) {
		if c := d.Headers["x-delivery-count"]; d.Redelivered || (c != nil && fmt.Sprint(c) != "0") {
			t.Errorf("quorum message %s was delivered before (%v): a refused browse took it", d.Body, d.Headers)
		}
	}
	// Reading a stream changes nothing: allowed.
	res, err := ro.Browse(ctx, BrowseRequest{VHost: vh, Queue: "s", QueueType: Stream, N: 2})
	if err != nil || len(res.Messages) != 2 {
		t.Fatalf("read-only stream browse: %d messages, %v", len(res.Messages), err)
	}
	if st, err := ro.Inspect(ctx, vh, "dest"); err != nil || st.Ready != 0 {
		t.Fatalf("read-only inspect: %+v, %v", st, err)
	}
}

// TestReadOnlyNoActionDials calls every method of *Session that is not a
// reader, listed or not, with arguments made up by reflection (the test's
// vhost for every string), on a read-only session: none dials the broker,
// so none can change it. A new action that forgets the read-only check
// fails here even before anyone lists it.
func TestReadOnlyNoActionDials(t *testing.T) {
	env := testenv.Broker(t)
	vh := roFixture(t, env)
	before := roDefinitions(t, env, vh)
	ro := newSession(t, func(c *Config) { c.ReadOnly = true })
	ctx := testCtx(t)
	v := reflect.ValueOf(ro)
	called := 0
	for i := range v.NumMethod() {
		name := v.Type().Method(i).Name
		if slices.Contains(roReaders, name) {
			continue
		}
		m := v.Method(i)
		args := make([]reflect.Value, m.Type().NumIn())
		for j := range args {
			args[j] = madeUp(m.Type().In(j), ctx, vh)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("(*amqp.Session).%s with made-up arguments panicked: %v", name, p)
				}
			}()
			m.Call(args)
		}()
		called++
		if vhosts := dialled(ro); len(vhosts) > 0 {
			t.Fatalf("(*amqp.Session).%s on a read-only session dialled the broker (vhosts %q)", name, vhosts)
		}
	}
	if called < len(roMutations(vh)) {
		t.Fatalf("called %d methods, fewer than the %d mutations", called, len(roMutations(vh)))
	}
	if after := roDefinitions(t, env, vh); after != before {
		t.Errorf("the vhost changed under a read-only session:\nbefore %s\nafter  %s", before, after)
	}
	if d := queueDepth(t, env, vh, "q"); d != 4 {
		t.Errorf("queue q holds %d messages, want 4", d)
	}
}

// dialled lists the vhosts the session has a connection for, or tried to.
func dialled(s *Session) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for vh := range s.conns {
		out = append(out, vh)
	}
	return out
}

// madeUp is an argument of type typ: ctx for a context, vh for a string, a
// function that returns zero values, a new value for a pointer, else zero.
func madeUp(typ reflect.Type, ctx context.Context, vh string) reflect.Value {
	switch {
	case typ == reflect.TypeFor[context.Context]():
		return reflect.ValueOf(ctx)
	case typ.Kind() == reflect.String:
		return reflect.ValueOf(vh).Convert(typ)
	case typ.Kind() == reflect.Func:
		return reflect.MakeFunc(typ, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, typ.NumOut())
			for i := range out {
				out[i] = reflect.Zero(typ.Out(i))
			}
			return out
		})
	case typ.Kind() == reflect.Pointer:
		return reflect.New(typ.Elem())
	}
	return reflect.Zero(typ)
}
