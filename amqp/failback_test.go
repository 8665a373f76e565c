package amqp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// heldResponder answers the first request on queue only once release is
// closed; got is closed when the request has arrived.
func heldResponder(t *testing.T, env testenv.Env, vhost, queue string) (got chan struct{}, release chan struct{}) {
	t.Helper()
	testenv.DeclareQueue(t, env, vhost, queue, nil)
	conn := testenv.Dial(t, env, vhost)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(queue, "held", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, release = make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		first := true
		for d := range ds {
			if first {
				close(got)
				first = false
			}
			<-release
			_ = ch.Publish("", d.ReplyTo, false, false, amqp091.Publishing{CorrelationId: d.CorrelationId,
				Body: append([]byte("re: "), d.Body...)})
		}
	}()
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		_ = conn.Close()
		wg.Wait()
	})
	return got, release
}

// The channels in use are counted per connection: opened by openChannel,
// uncounted once by Close, also for a channel the broker closed.
func TestChannelCountPerConnection(t *testing.T) {
	testenv.Broker(t)
	vh := testenv.VHost(t)
	s := newSession(t)
	ctx := testCtx(t)
	a, err := s.openChannel(ctx, vh)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.openChannel(ctx, vh)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.channels(vh); n != 2 {
		t.Fatalf("two channels open, counted %d", n)
	}
	// The broker closes b (404): still counted until b is closed.
	if _, err := b.QueueDeclarePassive("no-such-queue", true, false, false, false, nil); Code(err) != amqp091.NotFound {
		t.Fatalf("passive declare of a missing queue: %v", err)
	}
	if n := s.channels(vh); n != 2 {
		t.Fatalf("a channel the broker closed is uncounted before Close: %d", n)
	}
	_ = b.Close()
	_ = b.Close() // twice: uncounted once
	if n := s.channels(vh); n != 1 {
		t.Fatalf("after closing one of two (twice), counted %d", n)
	}
	_ = a.Close()
	if n := s.channels(vh); n != 0 {
		t.Fatalf("after closing both, counted %d", n)
	}
	// Every action closes its channel.
	if _, err := s.Purge(ctx, vh, "no-such-queue"); Code(err) != amqp091.NotFound {
		t.Fatalf("purge of a missing queue: %v", err)
	}
	if err := s.withChannel(ctx, vh, "test", func(context.Context, *achan) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := s.channels(vh); n != 0 {
		t.Fatalf("after two actions, counted %d", n)
	}
}

// The failback on one broker: the first endpoint does not answer, the
// session dials the second; once the first answers (another spelling of
// the same broker) the session swaps it in, the channel in use on the old
// connection keeps working, and the old connection is closed when that
// channel is closed, without being reported lost.
func TestSessionFailsBackOnOneBroker(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "fb-q", nil)
	u, err := url.Parse(env.AMQPURL)
	if err != nil {
		t.Fatal(err)
	}
	alias := "amqp://localhost:" + u.Port() // the same broker, another URL
	var first atomic.Value
	first.Store(deadAMQP(t))
	logs := &syncBuffer{}
	s := newSession(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		c.Target = func(context.Context) (Target, error) {
			return Target{URL: first.Load().(string), Others: []string{env.AMQPURL}}, nil
		}
	})
	ctx := testCtx(t)
	held, err := s.openChannel(ctx, vh)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Status(vh); st.URL != env.AMQPURL {
		t.Fatalf("first endpoint dead: on %q, want %q", st.URL, env.AMQPURL)
	}
	old := held.conn
	first.Store(alias)
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		st := s.Status(vh)
		return st.URL == alias, "on " + st.URL
	})
	if old.IsClosed() {
		t.Fatal("the old connection closed with a channel still in use on it")
	}
	// The held channel still works; a new action uses the new connection.
	if err := held.Publish("", "fb-q", false, false, amqp091.Publishing{Body: []byte("old")}); err != nil {
		t.Fatalf("publish on the channel held across the swap: %v", err)
	}
	if _, err := held.QueueDeclarePassive("fb-q", true, false, false, false, nil); err != nil {
		t.Fatalf("the channel held across the swap: %v", err)
	}
	if n, err := s.Purge(ctx, vh, "fb-q"); err != nil || n != 1 {
		t.Fatalf("purge after the swap: %d %v", n, err)
	}
	c2, err := s.openChannel(ctx, vh)
	if err != nil {
		t.Fatal(err)
	}
	if c2.conn == old {
		t.Fatal("a new channel opened on the retired connection")
	}
	_ = c2.Close()
	_ = held.Close()
	testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
		return old.IsClosed(), "the retired connection closes after its last channel"
	})
	if st := s.Status(vh); !st.Connected || st.URL != alias || st.Dials != 1 {
		t.Fatalf("after the old connection closed: %+v", st)
	}
	if lost := s.TakeLost(); len(lost) != 0 {
		t.Fatalf("the retired connection reported lost: %+v", lost)
	}
	if out := logs.String(); !strings.Contains(out, "amqp back on the first endpoint") || !strings.Contains(out, "url="+alias) {
		t.Fatalf("no failback logged:\n%s", out)
	}
}

// With a Target the list can change (a derived endpoint follows the
// management node): a connection on what was the first endpoint moves to
// the new first once it answers.
func TestSessionFollowsTheFirstOfAChangedList(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	u, err := url.Parse(env.AMQPURL)
	if err != nil {
		t.Fatal(err)
	}
	alias := "amqp://localhost:" + u.Port()
	var list atomic.Value
	list.Store([]string{env.AMQPURL})
	s := newSession(t, func(c *Config) {
		c.Target = func(context.Context) (Target, error) {
			l := list.Load().([]string)
			return Target{URL: l[0], Others: l[1:]}, nil
		}
	})
	ctx := testCtx(t)
	if _, err := s.acquire(ctx, vh); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(vh); st.URL != env.AMQPURL {
		t.Fatalf("on %q, want %q", st.URL, env.AMQPURL)
	}
	list.Store([]string{alias, env.AMQPURL})
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		st := s.Status(vh)
		return st.Connected && st.URL == alias, "on " + st.URL
	})
	// Only the new connection is left (named "client addr -> server addr").
	s.mu.Lock()
	now := s.conns[vh].conn.LocalAddr().String()
	s.mu.Unlock()
	testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
		var names []string
		for _, c := range testenv.MqtopConnections(t, env) {
			if c.VHost == vh {
				names = append(names, c.Name)
			}
		}
		return len(names) == 1 && strings.HasPrefix(names[0], now+" "), "mqtop's connections: " + strings.Join(names, "; ") + "; want only " + now
	})
	if lost := s.TakeLost(); len(lost) != 0 {
		t.Fatalf("the replaced connection reported lost: %+v", lost)
	}
}

// mgmtConn is an AMQP connection as /api/connections lists it, with its node.
type mgmtConn struct {
	Name             string         `json:"name"`
	Node             string         `json:"node"`
	VHost            string         `json:"vhost"`
	ClientProperties map[string]any `json:"client_properties"`
}

// mqtopNodes lists the nodes of mqtop's connections to vhost.
func mqtopNodes(t *testing.T, env testenv.Env, vhost string) []string {
	t.Helper()
	var all []mgmtConn
	testenv.GetJSON(t, env, "connections?columns=name,node,vhost,client_properties", &all)
	var out []string
	for _, c := range all {
		if p, _ := c.ClientProperties["product"].(string); p == "mqtop" && c.VHost == vhost {
			out = append(out, c.Node)
		}
	}
	return out
}

// A session whose first endpoint's node stops works through the second;
// once the first node answers again the session returns to it by itself,
// an RPC in flight on the second node's connection finishes there, and only
// then is that connection closed.
func TestSessionReturnsToTheFirstNode(t *testing.T) {
	c := testenv.StartCluster(t, 2)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	vh := "mqtop-failback"
	testenv.CreateVHost(t, n2.Env, vh)
	// Unnamed, each node announces a default of its own; a listed
	// endpoint of another node must still pass (mgmt.UnnamedClusterMember
	// is what mqtop's Target accepts with), and fails without it.
	t.Run("unnamed cluster: the next node's own default name is accepted", func(t *testing.T) {
		d1, _ := testenv.Dial(t, n1.Env, "/").Properties["cluster_name"].(string)
		d2, _ := testenv.Dial(t, n2.Env, "/").Properties["cluster_name"].(string)
		if d1 == "" || d1 == d2 {
			t.Fatalf("the unnamed nodes announce %q and %q: the test needs two defaults", d1, d2)
		}
		mc, err := mgmt.New(mgmt.Options{URLs: []string{n1.MgmtURL}, User: n1.User, Password: n1.Password})
		if err != nil {
			t.Fatal(err)
		}
		defer mc.Close()
		id, err := mc.Identity(testCtx(t), 0)
		if err != nil || id.Cluster != d1 {
			t.Fatalf("node 1's management says cluster %q (%v), its AMQP %q", id.Cluster, err, d1)
		}
		for _, accept := range []bool{true, false} {
			tg := Target{URL: deadAMQP(t), Others: []string{n2.AMQPURL}, Cluster: id.Cluster, Via: "test"}
			if accept {
				tg.Accept = func(c string) bool { return mgmt.UnnamedClusterMember(id, c) }
			}
			s := NewSession(Config{User: n1.User, Password: n1.Password, Timeout: 10 * time.Second,
				Target: func(context.Context) (Target, error) { return tg, nil }})
			// A purge of a queue that does not exist: connected, then 404.
			_, err := s.Purge(testCtx(t), "/", "mqtop-unnamed-probe")
			var wb *WrongBroker
			switch {
			case accept && errors.As(err, &wb):
				t.Errorf("node 2 (%q) refused though it is a member: %v", d2, err)
			case !accept && !errors.As(err, &wb):
				t.Errorf("without Accept node 2 (%q) was not refused: %v", d2, err)
			}
			s.Close()
		}
	})

	// Named, both announce the name.
	cluster := "mqtop-failback-cluster"
	testenv.MustAPI(t, n2.Env, http.MethodPut, "cluster-name", map[string]string{"name": cluster})
	for i, n := range c.Nodes {
		if got, _ := testenv.Dial(t, n.Env, vh).Properties["cluster_name"].(string); got != cluster {
			t.Fatalf("node %d announces cluster %q, want %q", i+1, got, cluster)
		}
	}
	// Classic queues declared on node 2: they live there, up all along.
	testenv.DeclareQueue(t, n2.Env, vh, "fb-work", nil)
	logs := &syncBuffer{}
	s := NewSession(Config{User: n1.User, Password: n1.Password, Timeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Target: func(context.Context) (Target, error) {
			return Target{URL: n1.AMQPURL, Others: []string{n2.AMQPURL}, Cluster: cluster, Via: "test"}, nil
		}})
	t.Cleanup(func() { s.Close() })
	ctx := testCtx(t)

	ok := t.Run("through node 2 while node 1 is down", func(t *testing.T) {
		if _, err := s.Purge(ctx, vh, "fb-work"); err != nil {
			t.Fatal(err)
		}
		if st := s.Status(vh); st.URL != n1.AMQPURL {
			t.Fatalf("all up: on %q, want node 1 %q", st.URL, n1.AMQPURL)
		}
		c.StopNode(0)
		testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
			st := s.Status(vh)
			return st.Connected && st.URL == n2.AMQPURL, "re-dialled node 2; on " + st.URL
		})
		res, err := s.Publish(ctx, PublishRequest{VHost: vh, RoutingKey: "fb-work", Body: []byte("via node 2")})
		if err != nil || res.Outcome != Confirmed {
			t.Fatalf("publish through node 2: %+v %v", res, err)
		}
		if nodes := mqtopNodes(t, n2.Env, vh); len(nodes) != 1 || nodes[0] != n2.Node {
			t.Fatalf("mqtop's connections: on %v, want only %s", nodes, n2.Node)
		}
		s.TakeLost() // node 1's connection, lost with its node
	})
	if !ok {
		t.FailNow()
	}

	t.Run("back on node 1 once it answers; the RPC in flight finishes on node 2", func(t *testing.T) {
		got, release := heldResponder(t, n2.Env, vh, "fb-rpc")
		type rpcOut struct {
			res RPCResult
			err error
		}
		done := make(chan rpcOut, 1)
		go func() {
			r, err := s.RPC(ctx, RPCRequest{PublishRequest: PublishRequest{VHost: vh, RoutingKey: "fb-rpc", Body: []byte("ping")},
				Timeout: 90 * time.Second})
			done <- rpcOut{r, err}
		}()
		select {
		case <-got:
		case r := <-done:
			t.Fatalf("the RPC ended before its request arrived: %+v %v", r.res, r.err)
		case <-time.After(30 * time.Second):
			t.Fatal("the RPC's request did not arrive")
		}
		c.StartNode(0)
		testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
			st := s.Status(vh)
			return st.Connected && st.URL == n1.AMQPURL, "back on node 1; on " + st.URL
		})
		// Both connections are listed: node 1's new one, node 2's with the RPC.
		testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
			nodes := mqtopNodes(t, n2.Env, vh)
			return len(nodes) == 2 && strings.Contains(strings.Join(nodes, " "), n1.Node) &&
				strings.Contains(strings.Join(nodes, " "), n2.Node), "connections on " + strings.Join(nodes, ", ")
		})
		// A new action goes through node 1 while the RPC is still waiting.
		if res, err := s.Publish(ctx, PublishRequest{VHost: vh, RoutingKey: "fb-work", Body: []byte("via node 1")}); err != nil || res.Outcome != Confirmed {
			t.Fatalf("publish after the swap: %+v %v", res, err)
		}
		select {
		case r := <-done:
			t.Fatalf("the RPC ended before its reply: %+v %v", r.res, r.err)
		default:
		}
		if nodes := mqtopNodes(t, n2.Env, vh); !strings.Contains(strings.Join(nodes, " "), n2.Node) {
			t.Fatalf("node 2's connection closed while the RPC was on it: %v", nodes)
		}
		close(release)
		var r rpcOut
		select {
		case r = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the RPC did not finish once replied to")
		}
		if r.err != nil || r.res.Reply == nil || string(r.res.Reply.Body) != "re: ping" {
			t.Fatalf("the RPC in flight across the swap: %+v %v", r.res, r.err)
		}
		testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
			nodes := mqtopNodes(t, n2.Env, vh)
			return len(nodes) == 1 && nodes[0] == n1.Node, "mqtop's connections on " + strings.Join(nodes, ", ")
		})
		if lost := s.TakeLost(); len(lost) != 0 {
			t.Fatalf("node 2's connection reported lost: %+v", lost)
		}
		if st := s.Status(vh); st.Redialing || st.URL != n1.AMQPURL {
			t.Fatalf("after the failback: %+v", st)
		}
		out := logs.String()
		if !strings.Contains(out, "amqp back on the first endpoint") {
			t.Fatalf("the failback was not logged:\n%s", out)
		}
		if strings.Contains(out, n1.User+":"+n1.Password+"@") {
			t.Fatal("credentials in the log")
		}
	})
}
