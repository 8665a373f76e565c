package mgmt_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func client(t *testing.T, env testenv.Env, mutate ...func(*mgmt.Options)) *mgmt.Client {
	t.Helper()
	o := mgmt.Options{URLs: []string{env.MgmtURL}, PrometheusURL: env.PromURL, User: env.User, Password: env.Password, Timeout: 10 * time.Second}
	for _, f := range mutate {
		f(&o)
	}
	c, err := mgmt.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string { return "http://" + testenv.ClosedAddr(t) }

// seed declares queues q-01..q-n in a fresh vhost, q-i holding i messages,
// and holds `held` of q-n's messages unacknowledged.
func seed(t *testing.T, env testenv.Env, n, held int) string {
	vh := testenv.VHost(t)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("q-%02d", i)
		testenv.DeclareQueue(t, env, vh, name, nil)
		bodies := make([][]byte, i)
		for j := range bodies {
			bodies[j] = []byte(fmt.Sprintf("m%d", j))
		}
		testenv.Publish(t, env, vh, "", name, bodies...)
	}
	if held > 0 {
		testenv.Hold(t, env, vh, fmt.Sprintf("q-%02d", n), held)
	}
	return vh
}

func TestOverviewAndNodes(t *testing.T) {
	env := testenv.Broker(t)
	c := client(t, env)
	ctx := context.Background()
	o, err := c.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(o.RabbitMQVersion, "3.") && !strings.HasPrefix(o.RabbitMQVersion, "4.") {
		t.Fatalf("unexpected version %q", o.RabbitMQVersion)
	}
	if !o.Queues.OK || o.ClusterName == "" {
		t.Fatalf("overview incomplete: %+v", o)
	}
	// A node's statistics appear one emission interval after it starts:
	// until then they are absent, and decoded as unknown, not as zero.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		nodes, err := c.Nodes(ctx)
		if err != nil || len(nodes) == 0 || !nodes[0].Running {
			return false, fmt.Sprintf("nodes = %+v, %v", nodes, err)
		}
		if !nodes[0].MemLimit.OK || !nodes[0].MemUsed.OK {
			return false, fmt.Sprintf("node statistics not there yet: %+v", nodes[0])
		}
		return true, ""
	})
}

// waitPage polls until check accepts the page: management stats trail the
// broker by its statistics interval.
func waitPage(t *testing.T, src mgmt.QueueSource, q mgmt.QueueQuery, check func(mgmt.QueuePage) string) mgmt.QueuePage {
	t.Helper()
	var last mgmt.QueuePage
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		p, err := src.QueuePage(context.Background(), q)
		if err != nil {
			return false, err.Error()
		}
		last = p
		why := check(p)
		return why == "", why
	})
	return last
}

func names(p mgmt.QueuePage) string {
	var out []string
	for _, q := range p.Queues {
		out = append(out, fmt.Sprintf("%s=%s/%s/%s", q.Name, fmtC(q.Ready), fmtC(q.Unacked), fmtC(q.Messages)))
	}
	return strings.Join(out, " ")
}

func fmtC(c mgmt.Count) string {
	if !c.OK {
		return "?"
	}
	return fmt.Sprint(c.N)
}

// Both sources must agree on the same broker state.
func testSource(t *testing.T, env testenv.Env, vh string, src mgmt.QueueSource, wantSource string) {
	// Depth order, first window of 5: q-12 (12, 3 of them unacked) first.
	p := waitPage(t, src, mgmt.QueueQuery{VHost: vh, Sort: mgmt.SortMessages, Desc: true, Limit: 5}, func(p mgmt.QueuePage) string {
		if len(p.Queues) != 5 || p.Matched != 12 {
			return fmt.Sprintf("matched %d rows %d", p.Matched, len(p.Queues))
		}
		top := p.Queues[0]
		if top.Name != "q-12" || top.Ready != mgmt.C(9) || top.Unacked != mgmt.C(3) || top.Messages != mgmt.C(12) {
			return "top row " + names(p)
		}
		if p.Queues[4].Name != "q-08" || p.Queues[4].Messages != mgmt.C(8) {
			return "fifth row " + names(p)
		}
		return ""
	})
	if p.Source != wantSource {
		t.Fatalf("served by %q, want %q", p.Source, wantSource)
	}
	// A window further down, in name order.
	p = waitPage(t, src, mgmt.QueueQuery{VHost: vh, Sort: mgmt.SortName, Offset: 7, Limit: 3}, func(p mgmt.QueuePage) string {
		if p.Offset != 7 || len(p.Queues) != 3 || p.Queues[0].Name != "q-08" || p.Queues[2].Name != "q-10" {
			return fmt.Sprintf("offset %d: %s", p.Offset, names(p))
		}
		return ""
	})
	// Regex filter.
	waitPage(t, src, mgmt.QueueQuery{VHost: vh, Filter: "^q-1[01]$", Sort: mgmt.SortName, Limit: 10}, func(p mgmt.QueuePage) string {
		if p.Matched != 2 || len(p.Queues) != 2 || p.Queues[0].Name != "q-10" || p.Queues[1].Name != "q-11" {
			return fmt.Sprintf("filter matched %d: %s", p.Matched, names(p))
		}
		return ""
	})
	// Rows carry the columns the index lacks.
	waitPage(t, src, mgmt.QueueQuery{VHost: vh, Filter: "^q-03$", Limit: 1}, func(p mgmt.QueuePage) string {
		if len(p.Queues) != 1 || p.Queues[0].Type != "classic" || p.Queues[0].State != "running" || !p.Queues[0].Detailed {
			return fmt.Sprintf("row not detailed: %+v", p.Queues)
		}
		return ""
	})
}

func TestManagementSource(t *testing.T) {
	env := testenv.Broker(t)
	vh := seed(t, env, 12, 3)
	testSource(t, env, vh, mgmt.ManagementSource{C: client(t, env)}, "management")
}

func TestPrometheusIndexSource(t *testing.T) {
	env := testenv.Broker(t)
	vh := seed(t, env, 12, 3)
	c := client(t, env)
	testSource(t, env, vh, &mgmt.IndexSource{C: c, MinInterval: 100 * time.Millisecond}, "prometheus")
}

func TestAutoSourceFallsBackAndReturns(t *testing.T) {
	env := testenv.Broker(t)
	vh := seed(t, env, 12, 3)
	dead := client(t, env, func(o *mgmt.Options) { o.PrometheusURL = closedPort(t) })
	auto := &mgmt.AutoSource{Index: &mgmt.IndexSource{C: dead}, Mgmt: mgmt.ManagementSource{C: dead}}
	testSource(t, env, vh, auto, "management")
	if st := auto.Status(); st.Source != "management" || st.Fallback == "" {
		t.Fatalf("status does not say why it fell back: %+v", st)
	}
	// With the plugin reachable, the same source comes back to the index
	// once the retry delay has passed.
	live := client(t, env)
	back := &mgmt.AutoSource{Index: &mgmt.IndexSource{C: live}, Mgmt: mgmt.ManagementSource{C: live}, Retry: time.Millisecond}
	testSource(t, env, vh, back, "prometheus")
	// Sorting by a rate is the server's job even when the index answers.
	p, err := back.QueuePage(context.Background(), mgmt.QueueQuery{VHost: vh, Sort: mgmt.SortIn, Desc: true, Limit: 5})
	if err != nil || p.Source != "management" || len(p.Queues) != 5 {
		t.Fatalf("rate sort: source %q rows %d err %v", p.Source, len(p.Queues), err)
	}
}

func TestQueueDetailsConsumersAndBindings(t *testing.T) {
	env := testenv.Broker(t)
	vh := seed(t, env, 2, 1)
	c := client(t, env)
	var q mgmt.Queue
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var err error
		q, err = c.QueueDetails(context.Background(), vh, "q-02")
		if err != nil {
			return false, err.Error()
		}
		return len(mgmt.QueueConsumers(q)) == 1, fmt.Sprintf("consumers %d", len(mgmt.QueueConsumers(q)))
	})
	if cons := mgmt.QueueConsumers(q); !cons[0].AckRequired || cons[0].Tag == "" {
		t.Fatalf("consumer wrong: %+v", cons[0])
	}
	bs, err := c.QueueBindings(context.Background(), vh, "q-02")
	if err != nil || len(bs) != 1 || bs[0].Source != "" || bs[0].RoutingKey != "q-02" {
		t.Fatalf("bindings = %+v, %v", bs, err)
	}
	_, err = c.GetQueue(context.Background(), vh, "no-such-queue")
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), "no-such-queue") {
		t.Fatalf("missing queue error = %v", err)
	}
}

func TestWrongPasswordIsClearAndRedacted(t *testing.T) {
	env := testenv.Broker(t)
	c := client(t, env, func(o *mgmt.Options) { o.Password = "not-the-password-xyz" })
	_, err := c.Overview(context.Background())
	if mgmt.StatusOf(err) != 401 || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "not-the-password-xyz") {
		t.Fatal("password in error message")
	}
}

func TestFailoverToNextURL(t *testing.T) {
	env := testenv.Broker(t)
	down := closedPort(t)
	c := client(t, env, func(o *mgmt.Options) { o.URLs = []string{down, env.MgmtURL} })
	if _, err := c.Overview(context.Background()); err != nil {
		t.Fatalf("did not fail over: %v", err)
	}
	if c.Endpoint() != strings.TrimRight(env.MgmtURL, "/") {
		t.Fatalf("endpoint after failover = %s", c.Endpoint())
	}
}

func TestVHosts(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	got, err := client(t, env).VHosts(context.Background())
	if err != nil || !strings.Contains(strings.Join(got, ","), vh) {
		t.Fatalf("vhosts = %v, %v", got, err)
	}
}

var _ = os.Getenv
