package mgmt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// Read-only is enforced in mgmt, the layer that mutates (SPEC §1). These
// tests prove it for every method of *mgmt.Client: each is either in
// roMutations, with a call that would change the broker and must come back
// ErrReadOnly, or in roReaders, the methods that only read. A method in
// neither list fails TestReadOnlyEveryMethodClassified, so a new mutation
// cannot be added without being proven refused here.

// roMutations are the methods that change the broker, each with a call
// aimed at what roFixture made: in vhost f.vh, queue orders, topic
// exchange shop bound to it with key k, policy ro-pol, a max-connections
// limit; user f.user with permissions and topic permissions there; an
// AMQP connection f.conn.
func roMutations(f roFix) map[string]func(ctx context.Context, c *mgmt.Client) error {
	vh, user := f.vh, f.user
	b := mgmt.Binding{Source: "shop", Destination: "orders", DestinationType: "queue", RoutingKey: "k"}
	b2 := b
	b2.RoutingKey = "k2"
	return map[string]func(ctx context.Context, c *mgmt.Client) error{
		"DeclareQueue": func(ctx context.Context, c *mgmt.Client) error {
			return c.DeclareQueue(ctx, vh, mgmt.QueueDecl{Name: "ro-new-q", Durable: true})
		},
		"DeclareExchange": func(ctx context.Context, c *mgmt.Client) error {
			return c.DeclareExchange(ctx, vh, mgmt.ExchangeDecl{Name: "ro-new-x", Type: "direct", Durable: true})
		},
		"DeleteExchange": func(ctx context.Context, c *mgmt.Client) error { return c.DeleteExchange(ctx, vh, "shop", false) },
		"Bind":           func(ctx context.Context, c *mgmt.Client) error { return c.Bind(ctx, vh, b2) },
		"Unbind":         func(ctx context.Context, c *mgmt.Client) error { return c.Unbind(ctx, vh, b) },
		"Rebind": func(ctx context.Context, c *mgmt.Client) error {
			_, err := c.Rebind(ctx, vh, b, b2)
			return err
		},
		// Administration.
		"AddUser": func(ctx context.Context, c *mgmt.Client) error {
			return c.AddUser(ctx, mgmt.UserDecl{Name: user + "-new", Password: "Ro-New-Pw-1", Tags: []string{"management"}})
		},
		"DeleteUser": func(ctx context.Context, c *mgmt.Client) error { return c.DeleteUser(ctx, user, true) },
		"SetUserTags": func(ctx context.Context, c *mgmt.Client) error {
			return c.SetUserTags(ctx, user, []string{"administrator"})
		},
		"SetPassword": func(ctx context.Context, c *mgmt.Client) error { return c.SetPassword(ctx, user, "Ro-Changed-Pw-2") },
		"SetPermissions": func(ctx context.Context, c *mgmt.Client) error {
			return c.SetPermissions(ctx, vh, user, mgmt.Permission{Configure: "", Write: "", Read: ".*"})
		},
		"ClearPermissions": func(ctx context.Context, c *mgmt.Client) error { return c.ClearPermissions(ctx, vh, user) },
		"SetTopicPermissions": func(ctx context.Context, c *mgmt.Client) error {
			return c.SetTopicPermissions(ctx, vh, user, mgmt.TopicPermission{Exchange: "amq.topic", Write: "^x$", Read: "^x$"})
		},
		"ClearTopicPermissions": func(ctx context.Context, c *mgmt.Client) error {
			return c.ClearTopicPermissions(ctx, vh, user, "amq.topic")
		},
		"AddVHost": func(ctx context.Context, c *mgmt.Client) error {
			return c.AddVHost(ctx, mgmt.VHostDecl{Name: vh + "-new"})
		},
		"DeleteVHost":     func(ctx context.Context, c *mgmt.Client) error { return c.DeleteVHost(ctx, vh) },
		"SetVHostLimit":   func(ctx context.Context, c *mgmt.Client) error { return c.SetVHostLimit(ctx, vh, "max-queues", 5) },
		"ClearVHostLimit": func(ctx context.Context, c *mgmt.Client) error { return c.ClearVHostLimit(ctx, vh, "max-connections") },
		"PutPolicy": func(ctx context.Context, c *mgmt.Client) error {
			return c.PutPolicy(ctx, mgmt.PolicyDecl{VHost: vh, Name: "ro-new-pol", Pattern: "^orders$", ApplyTo: "queues",
				Definition: map[string]any{"max-length": 1}})
		},
		"DeletePolicy":    func(ctx context.Context, c *mgmt.Client) error { return c.DeletePolicy(ctx, vh, "ro-pol", false) },
		"CloseConnection": func(ctx context.Context, c *mgmt.Client) error { return c.CloseConnection(ctx, f.connName, "") },
	}
}

// roReaders only read (GET) or touch nothing on the broker.
var roReaders = []string{
	"Bindings", "ChannelConsumers", "ChannelDetail", "Channels", "Close", "ConnectionChannels", "Connections",
	"Consumers", "Endpoint", "Endpoints", "ExchangeBindings", "ExchangeNames", "ExchangeTypes", "Exchanges",
	"ExplainExchangeConflict", "ExplainQueueConflict", "FailedOver", "FeatureFlags", "GetConnection", "GetQueue", "Identity",
	"ListQueuesPage", "ListVHosts", "Nodes", "Overview", "Policies", "PrometheusEndpoint", "QueueBindings", "QuorumCritical", "VisibleVHosts",
	"QueueDetails", "ReadOnly", "RouteTopology", "ScrapeQueueIndex", "TopicPermissions", "UserDetail", "Users",
	"VHostDetail", "VHostLimits", "VHosts",
	"PolicyPreview", "PolicyTargets", "VHostContents", "WhoAmI",
}

func TestReadOnlyEveryMethodClassified(t *testing.T) {
	mutations := roMutations(roFix{vh: "/"})
	typ := reflect.TypeOf(&mgmt.Client{})
	have := map[string]bool{}
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		have[name] = true
		_, mut := mutations[name]
		read := slices.Contains(roReaders, name)
		switch {
		case mut && read:
			t.Errorf("(*mgmt.Client).%s is listed both as a mutation and as a reader", name)
		case !mut && !read:
			t.Errorf("(*mgmt.Client).%s is new: if it changes the broker, add it to roMutations in mgmt/readonly_test.go "+
				"with a call that must be refused in read-only mode (and make it return ErrReadOnly); if it only reads, add it to roReaders", name)
		}
	}
	for name := range mutations {
		if !have[name] {
			t.Errorf("roMutations lists %s, which *mgmt.Client no longer has", name)
		}
	}
	for _, name := range roReaders {
		if !have[name] {
			t.Errorf("roReaders lists %s, which *mgmt.Client no longer has", name)
		}
	}
}

// recorder is a reverse proxy to the broker's management API that notes
// every request it passes on.
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) start(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.RequestURI())
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// changes lists the requests that were not reads.
func (r *recorder) changes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.reqs {
		if !strings.HasPrefix(q, "GET ") && !strings.HasPrefix(q, "HEAD ") {
			out = append(out, q)
		}
	}
	return out
}

// roFix is what roFixture made.
type roFix struct {
	vh, user, connName string
	conn               *amqp.Connection
}

// roFixture declares queue orders, topic exchange shop and a binding shop
// -> orders with key k in a fresh vhost, a policy ro-pol and a
// max-connections limit there; a user with permissions and topic
// permissions on it; and opens an AMQP connection.
func roFixture(t *testing.T, env testenv.Env) roFix {
	t.Helper()
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "orders", nil)
	putExchange(t, env, vh, "shop", "topic", nil)
	putBinding(t, env, vh, "shop", "q", "orders", "k", nil)
	putPolicy(t, env, vh, "policies", "ro-pol", "^orders$", "queues", 0, map[string]any{"max-length": 100})
	testenv.MustAPI(t, env, http.MethodPut, "vhost-limits/"+url.PathEscape(vh)+"/max-connections", map[string]any{"value": 10})
	user := "ro-user-" + acRandomSuffix(t)
	testenv.MustAPI(t, env, http.MethodPut, "users/"+url.PathEscape(user), map[string]any{"password": "Ro-Pw-0", "tags": "monitoring"})
	t.Cleanup(func() { testenv.API(t, env, http.MethodDelete, "users/"+url.PathEscape(user), nil) })
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(user),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	testenv.MustAPI(t, env, http.MethodPut, "topic-permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(user),
		map[string]string{"exchange": "amq.topic", "write": ".*", "read": ".*"})
	conn := testenv.Dial(t, env, vh)
	return roFix{vh: vh, user: user, conn: conn, connName: conn.LocalAddr().String() + " -> " + conn.RemoteAddr().String()}
}

// brokerState is what roMutations could change, as the broker reports it:
// the vhost's definitions, the user, its permissions, the vhost's limits,
// and whether the objects the calls would create exist.
func brokerState(t *testing.T, env testenv.Env, f roFix) string {
	t.Helper()
	var defs map[string]any
	testenv.GetJSON(t, env, "definitions/"+url.PathEscape(f.vh), &defs)
	delete(defs, "rabbit_version")
	delete(defs, "rabbitmq_version")
	b, err := json.Marshal(defs)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{string(b)}
	for _, path := range []string{
		"users/" + url.PathEscape(f.user), "users/" + url.PathEscape(f.user+"-new"),
		"permissions/" + url.PathEscape(f.vh) + "/" + url.PathEscape(f.user),
		"topic-permissions/" + url.PathEscape(f.vh) + "/" + url.PathEscape(f.user),
		"vhost-limits/" + url.PathEscape(f.vh), "vhosts/" + url.PathEscape(f.vh+"-new"),
	} {
		code, body := testenv.API(t, env, http.MethodGet, path, nil)
		out = append(out, fmt.Sprintf("%s: %d %s", path, code, body))
	}
	return strings.Join(out, "\n")
}

// TestReadOnlyRefusesEveryMutation: each mutation, aimed at real objects,
// is refused with ErrReadOnly, no request other than a GET reaches the
// broker, and the vhost's definitions are as they were.
func TestReadOnlyRefusesEveryMutation(t *testing.T) {
	env := testenv.Broker(t)
	f := roFixture(t, env)
	before := brokerState(t, env, f)
	var rec recorder
	proxied := rec.start(t, env.MgmtURL)
	c := client(t, env, func(o *mgmt.Options) { o.URLs, o.ReadOnly = []string{proxied}, true })
	if !c.ReadOnly() {
		t.Fatal("a client made with ReadOnly says it is not read-only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for name, call := range roMutations(f) {
		if err := call(ctx, c); !errors.Is(err, mgmt.ErrReadOnly) {
			t.Errorf("%s in read-only mode: %v, want ErrReadOnly", name, err)
		}
	}
	if ch := rec.changes(); len(ch) > 0 {
		t.Errorf("read-only client sent %q", ch)
	}
	if after := brokerState(t, env, f); after != before {
		t.Errorf("the broker changed under a read-only client:\nbefore %s\nafter  %s", before, after)
	}
	if f.conn.IsClosed() {
		t.Error("a read-only client closed a connection")
	}
	// On a writable client each call, on a fixture of its own, changes what
	// brokerState shows (or closes the connection, or deletes the vhost):
	// the calls above were aimed at something real.
	w := client(t, env)
	for _, name := range slices.Sorted(maps.Keys(roMutations(f))) {
		g := roFixture(t, env)
		if name == "CloseConnection" { // the API lists it after a statistics interval
			testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
				code, _ := testenv.API(t, env, http.MethodGet, "connections/"+url.PathEscape(g.connName), nil)
				return code == http.StatusOK, "the connection listed"
			})
		}
		st := brokerState(t, env, g)
		if err := roMutations(g)[name](ctx, w); err != nil {
			t.Errorf("%s on a writable client: %v", name, err)
			continue
		}
		switch name {
		case "CloseConnection":
			testenv.WaitFor(t, 10*time.Second, func() (bool, string) { return g.conn.IsClosed(), "the connection closed" })
		case "DeleteVHost":
			if code, _ := testenv.API(t, env, http.MethodGet, "vhosts/"+url.PathEscape(g.vh), nil); code != http.StatusNotFound {
				t.Errorf("DeleteVHost on a writable client: the vhost is still there (%d)", code)
			}
		default:
			if brokerState(t, env, g) == st {
				t.Errorf("%s on a writable client changed nothing that the read-only check looks at", name)
			}
		}
	}
}

// TestReadOnlyNoMethodSendsAChange calls every method of *mgmt.Client,
// listed or not, with arguments made up by reflection (the test's vhost for
// every string), on a read-only client behind the recording proxy: none
// sends anything but a GET. A new method that mutates without checking
// read-only fails here even before anyone lists it.
func TestReadOnlyNoMethodSendsAChange(t *testing.T) {
	env := testenv.Broker(t)
	f := roFixture(t, env)
	vh := f.vh
	before := brokerState(t, env, f)
	var rec recorder
	proxied := rec.start(t, env.MgmtURL)
	c := client(t, env, func(o *mgmt.Options) { o.URLs, o.ReadOnly = []string{proxied}, true })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	callEveryMethod(t, ctx, c, vh, func(name string) {
		if ch := rec.changes(); len(ch) > 0 {
			t.Fatalf("(*mgmt.Client).%s on a read-only client sent %q", name, ch)
		}
	})
	c.Close()
	if after := brokerState(t, env, f); after != before {
		t.Errorf("the broker changed under a read-only client:\nbefore %s\nafter  %s", before, after)
	}
	if rec.count() == 0 {
		t.Fatal("no request went through the proxy: the test proved nothing")
	}
	// The same calls on a writable client do send changes (into the test's
	// vhost): the made-up arguments reach the mutations.
	var wrec recorder
	w := client(t, env, func(o *mgmt.Options) { o.URLs = []string{wrec.start(t, env.MgmtURL)} })
	callEveryMethod(t, ctx, w, vh, func(string) {})
	if len(wrec.changes()) == 0 {
		t.Fatal("a writable client sent no change either: the made-up calls prove nothing")
	}
}

// callEveryMethod calls each method of c but Close with made-up arguments,
// and then after(name).
func callEveryMethod(t *testing.T, ctx context.Context, c *mgmt.Client, vh string, after func(name string)) {
	t.Helper()
	v := reflect.ValueOf(c)
	for i := range v.NumMethod() {
		name := v.Type().Method(i).Name
		if name == "Close" {
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
					t.Errorf("(*mgmt.Client).%s with made-up arguments panicked: %v", name, p)
				}
			}()
			m.Call(args)
		}()
		after(name)
	}
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

func TestMadeUpArguments(t *testing.T) {
	ctx := context.Background()
	if got := madeUp(reflect.TypeFor[context.Context](), ctx, "v").Interface(); got != ctx {
		t.Errorf("context: %v", got)
	}
	if got := madeUp(reflect.TypeFor[string](), ctx, "v").String(); got != "v" {
		t.Errorf("string: %q", got)
	}
	f := madeUp(reflect.TypeFor[func(int) error](), ctx, "v").Interface().(func(int) error)
	if f(1) != nil {
		t.Error("func does not return zero values")
	}
	if fmt.Sprint(madeUp(reflect.TypeFor[*mgmt.Binding](), ctx, "v").Interface()) == "<nil>" {
		t.Error("pointer is nil")
	}
}
