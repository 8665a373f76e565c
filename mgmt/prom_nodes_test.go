package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// fakeCluster is a management API and one Prometheus endpoint per node, on
// loopback: enough for scrapeNodes without a broker.
type fakeCluster struct {
	t       *testing.T
	mgmt    *httptest.Server
	proms   []*httptest.Server
	nodes   []string
	cluster []string // what each node's identity_info says
	queues  [][]string
	running []bool
	queuesN int // object_totals.queues
	mu      sync.Mutex
	scrapes []int // node index of each scrape
}

func newFakeCluster(t *testing.T, queues [][]string) *fakeCluster {
	f := &fakeCluster{t: t, queues: queues}
	for i := range queues {
		i := i
		node := fmt.Sprintf("rabbit-%d@localhost", i+1)
		f.nodes = append(f.nodes, node)
		// An unnamed cluster: each node reports its own default name.
		f.cluster = append(f.cluster, fmt.Sprintf("rabbit-%d@host.example", i+1))
		f.running = append(f.running, true)
		f.queuesN += len(queues[i])
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.scrapes = append(f.scrapes, i)
			cl := f.cluster[i]
			f.mu.Unlock()
			fmt.Fprintf(w, "rabbitmq_identity_info{rabbitmq_node=%q,rabbitmq_cluster=%q} 1\n", node, cl)
			for _, q := range f.queues[i] {
				fmt.Fprintf(w, "rabbitmq_detailed_queue_messages_ready{vhost=\"/\",queue=%q} %d\n", q, len(q))
				fmt.Fprintf(w, "rabbitmq_detailed_queue_messages{vhost=\"/\",queue=%q} %d\n", q, len(q))
			}
		}))
		t.Cleanup(srv.Close)
		f.proms = append(f.proms, srv)
	}
	f.mgmt = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch r.URL.Path {
		case "/api/overview":
			var ls []map[string]any
			for i, n := range f.nodes {
				if f.running[i] {
					ls = append(ls, map[string]any{"node": n, "protocol": "http/prometheus", "port": port(t, f.proms[i].URL)})
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"cluster_name": f.cluster[0], "node": f.nodes[0],
				"listeners": ls, "object_totals": map[string]int{"queues": f.queuesN}})
		case "/api/nodes":
			var out []map[string]any
			for i, n := range f.nodes {
				out = append(out, map[string]any{"name": n, "running": f.running[i]})
			}
			_ = json.NewEncoder(w).Encode(out)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.mgmt.Close)
	return f
}

func port(t *testing.T, raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

func (f *fakeCluster) client() *Client {
	c, err := New(Options{URLs: []string{f.mgmt.URL}, DerivePrometheus: true, User: "guest", Password: "guest"})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func names(idx []IndexEntry) []string {
	out := make([]string, len(idx))
	for i, e := range idx {
		out[i] = e.Name
	}
	slices.Sort(out)
	return out
}

func TestScrapeNodesMergesEveryNode(t *testing.T) {
	f := newFakeCluster(t, [][]string{{"a1", "a2"}, {"b1", "shared"}, {"c1", "c2", "shared"}})
	r, err := f.client().scrapeIndex(context.Background(), "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	// "shared" (a leader moving) is counted once.
	if got, want := names(r.idx), []string{"a1", "a2", "b1", "c1", "c2", "shared"}; !slices.Equal(got, want) {
		t.Errorf("index %v, want %v", got, want)
	}
	if r.nodes != 3 || len(r.lacking) != 0 || r.lackingText() != "" {
		t.Errorf("nodes %d lacking %v", r.nodes, r.lacking)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.scrapes) != 3 {
		t.Errorf("%d scrapes, want one per node", len(f.scrapes))
	}
}

func TestScrapeNodesSaysWhichNodeItLacks(t *testing.T) {
	f := newFakeCluster(t, [][]string{{"a1"}, {"b1"}, {"c1"}})
	c := f.client()
	// Node 2 runs, but its endpoint does not answer.
	dead := deadURL(t)
	promNodeURLs.Store(c, func(node, endpoint string) string {
		if node == f.nodes[1] {
			return dead
		}
		return endpoint
	})
	t.Cleanup(func() { promNodeURLs.Delete(c) })
	r, err := c.scrapeIndex(context.Background(), "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r.idx); !slices.Equal(got, []string{"a1", "c1"}) {
		t.Errorf("index %v", got)
	}
	txt := r.lackingText()
	if len(r.lacking) != 1 || r.lacking[0].Node != f.nodes[1] || !strings.Contains(txt, f.nodes[1]+" not answering") || !strings.Contains(txt, "2 of 3 nodes") {
		t.Errorf("lacking %v: %q", r.lacking, txt)
	}
	// The exported scrape says so as an error.
	if _, err := c.ScrapeQueueIndex(context.Background(), ""); err == nil || !strings.Contains(err.Error(), f.nodes[1]) {
		t.Errorf("ScrapeQueueIndex: %v", err)
	}

	// Node 3 stopped: not in the overview's listeners, not running in /api/nodes.
	f.mu.Lock()
	f.running[2] = false
	f.mu.Unlock()
	c.remember(Identity{}) // read the overview again
	r, err = c.scrapeIndex(context.Background(), "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.lacking) != 2 || r.lacking[1].Node != f.nodes[2] || r.lacking[1].Reason != "not running" {
		t.Errorf("lacking %v", r.lacking)
	}
	// Nodes 2 and 3 out, node 1 answers: a 1-of-3 index, still partial.
	if got := names(r.idx); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("index %v", got)
	}
}

func TestScrapeNodesNoneAnswering(t *testing.T) {
	f := newFakeCluster(t, [][]string{{"a1"}, {"b1"}})
	c := f.client()
	dead := deadURL(t)
	promNodeURLs.Store(c, func(string, string) string { return dead })
	t.Cleanup(func() { promNodeURLs.Delete(c) })
	if _, err := c.scrapeIndex(context.Background(), "", nil, true); err == nil || !strings.Contains(err.Error(), "no node's prometheus endpoint answered") {
		t.Errorf("err %v", err)
	}
}

func TestScrapeNodesRefusesAnotherBroker(t *testing.T) {
	f := newFakeCluster(t, [][]string{{"a1"}, {"b1"}})
	// Node 2's endpoint is another cluster's (its name set, not the default of node 2).
	f.cluster[1] = "production"
	_, err := f.client().scrapeIndex(context.Background(), "", nil, true)
	var wb *WrongBroker
	if !errors.As(err, &wb) || wb.WantNode != f.nodes[1] {
		t.Fatalf("err %v, want a refusal naming node 2", err)
	}
}

func TestCheckNodeIdentity(t *testing.T) {
	named := Identity{Cluster: "prod", Node: "rabbit@a"}
	unnamed := Identity{Cluster: "rabbit@a.example.com", Node: "rabbit@a"}
	cases := []struct {
		want Identity
		got  promIdentity
		node string
		ok   bool
	}{
		{named, promIdentity{Node: "rabbit@b", Cluster: "prod"}, "rabbit@b", true},
		{named, promIdentity{Node: "rabbit@c", Cluster: "prod"}, "rabbit@b", false},                 // another node
		{named, promIdentity{Node: "rabbit@b", Cluster: "rabbit@b.example.com"}, "rabbit@b", false}, // the cluster has a name
		{unnamed, promIdentity{Node: "rabbit@b", Cluster: "rabbit@b.example.com"}, "rabbit@b", true},
		{unnamed, promIdentity{Node: "rabbit@b", Cluster: "other@b.example.com"}, "rabbit@b", false},
		{unnamed, promIdentity{Node: "rabbit@b", Cluster: ""}, "rabbit@b", false},
		{unnamed, promIdentity{Node: "rabbit@c", Cluster: "rabbit@c.example.com"}, "rabbit@b", false},
	}
	for _, c := range cases {
		err := checkNodeIdentity("http://x:15692", c.got, c.want, c.node)
		if (err == nil) != c.ok {
			t.Errorf("want %+v got %+v node %s: %v", c.want, c.got, c.node, err)
		}
	}
}

func TestNodePromURLHost(t *testing.T) {
	id := Identity{Node: "rabbit@localhost", Listeners: []Listener{
		{Node: "rabbit@localhost", Protocol: "http/prometheus", Port: 15692},
		{Node: "rabbit-2@localhost", Protocol: "http/prometheus", Port: 15693},
		{Node: "rabbit@node-3.invalid", Protocol: "http/prometheus", Port: 15692},
		{Node: "rabbit@10.0.0.4", Protocol: "https/prometheus", Port: 15691},
	}}
	cases := []struct{ mgmt, node, want string }{
		{"http://127.0.0.1:15672", "rabbit@localhost", "http://127.0.0.1:15692"},
		{"http://127.0.0.1:15672", "rabbit-2@localhost", "http://127.0.0.1:15693"}, // loopback stays loopback
		{"http://mq.example.com:15672", "rabbit-2@localhost", "http://localhost:15693"},
		{"http://127.0.0.1:15672", "rabbit@node-3.invalid", "http://node-3.invalid:15692"},
		{"https://[::1]:15671", "rabbit@10.0.0.4", "https://10.0.0.4:15691"},
	}
	for _, c := range cases {
		cl, err := New(Options{URLs: []string{c.mgmt}, DerivePrometheus: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cl.nodePromURL(context.Background(), id, c.node)
		if err != nil || got != c.want {
			t.Errorf("%s, %s: %q, %v; want %q", c.mgmt, c.node, got, err, c.want)
		}
	}
	cl, _ := New(Options{URLs: []string{"http://127.0.0.1:15672"}, DerivePrometheus: true})
	if _, err := cl.nodePromURL(context.Background(), id, "rabbit@unlisted"); err == nil {
		t.Error("a node without listeners got an endpoint")
	}
}

// deadURL is an http URL nothing listens on.
func deadURL(t *testing.T) string { return "http://" + testenv.ClosedAddr(t) }

// Once old, an index that lacked a node is scraped again before it is
// served, so the list comes back to the index as soon as the node does.
func TestIndexLackingANodeIsScrapedAgainBeforeUse(t *testing.T) {
	f := newFakeCluster(t, [][]string{{"a1"}, {"b1"}, {"c1"}})
	f.mu.Lock()
	f.running[2] = false
	f.mu.Unlock()
	s := &IndexSource{C: f.client(), MinInterval: time.Millisecond}
	ctx := context.Background()
	idx, _, _, err := s.ensureIndex(ctx, "", SortMessages)
	if err != nil || len(idx) != 2 || s.Incomplete() == "" {
		t.Fatalf("with node 3 down: %v %v, incomplete %q", names(idx), err, s.Incomplete())
	}
	f.mu.Lock()
	f.running[2] = true
	f.mu.Unlock()
	s.C.remember(Identity{})
	time.Sleep(300 * time.Millisecond) // past the index interval (10 scrape times)
	idx, _, _, err = s.ensureIndex(ctx, "", SortMessages)
	if err != nil || len(idx) != 3 || s.Incomplete() != "" {
		t.Fatalf("node 3 back: served %v (%v), incomplete %q", names(idx), err, s.Incomplete())
	}
}

// listedClient scrapes the given endpoints of the fake cluster, as a
// context listing one Prometheus URL per node would.
func (f *fakeCluster) listedClient(urls ...string) *Client {
	c, err := New(Options{URLs: []string{f.mgmt.URL}, PrometheusURLs: urls, User: "guest", Password: "guest"})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// A context's list of Prometheus URLs: every one scraped and merged; a node
// of the cluster no listed endpoint covers, a listed endpoint not
// answering and a stopped node are each named; an endpoint of another
// cluster refuses the whole scrape.
func TestScrapeListedEndpoints(t *testing.T) {
	f := newFakeCluster(t, [][]string{{"a1", "a2"}, {"b1", "shared"}, {"c1", "shared"}})
	all := []string{f.proms[0].URL, f.proms[1].URL, f.proms[2].URL}
	ctx := context.Background()

	r, err := f.listedClient(all...).scrapeIndex(ctx, "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(r.idx), []string{"a1", "a2", "b1", "c1", "shared"}; !slices.Equal(got, want) || len(r.lacking) != 0 || r.nodes != 3 {
		t.Errorf("all listed: %v, lacking %v, %d nodes; want %v, none, 3", got, r.lacking, r.nodes, want)
	}

	r, err = f.listedClient(all[0], all[2]).scrapeIndex(ctx, "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if txt := r.lackingText(); !strings.Contains(txt, f.nodes[1]+" not in the listed prometheus URLs") || !strings.Contains(txt, "2 of 3 nodes") {
		t.Errorf("node 2 not listed: %q", txt)
	}
	if got := names(r.idx); slices.Contains(got, "b1") {
		t.Errorf("node 2's queue from nowhere: %v", got)
	}

	dead := deadURL(t)
	r, err = f.listedClient(all[0], dead, all[2]).scrapeIndex(ctx, "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if txt := r.lackingText(); !strings.Contains(txt, f.nodes[1]+" not answering ("+dead) {
		t.Errorf("a dead listed endpoint: %q", txt)
	}

	f.mu.Lock()
	f.running[1] = false
	f.mu.Unlock()
	r, err = f.listedClient(all[0], all[2]).scrapeIndex(ctx, "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if txt := r.lackingText(); !strings.Contains(txt, f.nodes[1]+" not running") {
		t.Errorf("a stopped node: %q", txt)
	}
	f.mu.Lock()
	f.running[1] = true
	f.mu.Unlock()

	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `rabbitmq_identity_info{rabbitmq_node="rabbit@elsewhere",rabbitmq_cluster="another"} 1`)
		fmt.Fprintln(w, `rabbitmq_detailed_queue_messages{vhost="/",queue="not-ours"} 5`)
	}))
	t.Cleanup(other.Close)
	r, err = f.listedClient(all[0], other.URL, all[2]).scrapeIndex(ctx, "", nil, true)
	var wb *WrongBroker
	if !errors.As(err, &wb) || len(r.idx) != 0 {
		t.Errorf("another cluster's endpoint in the list: %v, %d queues; want WrongBroker and no index", err, len(r.idx))
	}

	// Nothing answers: an error, not an empty index.
	if _, err := f.listedClient(dead, deadURL(t)).scrapeIndex(ctx, "", nil, true); err == nil || !strings.Contains(err.Error(), "no listed prometheus endpoint answered") {
		t.Errorf("no endpoint answering: %v", err)
	}
}

// An unnamed cluster's nodes each announce their own default name: any
// member's is accepted, another broker's (another name part, or the same
// name part on a host that is no member's) is not; a named cluster accepts
// its name only.
func TestUnnamedClusterMember(t *testing.T) {
	lst := func(nodes ...string) []Listener {
		var out []Listener
		for _, n := range nodes {
			out = append(out, Listener{Node: n, Protocol: "amqp", Port: 5672})
		}
		return out
	}
	unnamed := Identity{Cluster: "rabbit@host1.example.com", Node: "rabbit@host1",
		Listeners: lst("rabbit@host1", "rabbit@host2", "rabbit@host3")}
	local := Identity{Cluster: "mqtop-n1-1@vm.internal", Node: "mqtop-n1-1@localhost",
		Listeners: lst("mqtop-n1-1@localhost", "mqtop-n2-2@localhost")}
	named := Identity{Cluster: "prod", Node: "rabbit@host1", Listeners: unnamed.Listeners}
	for _, c := range []struct {
		id      Identity
		cluster string
		want    bool
	}{
		{unnamed, "rabbit@host1.example.com", true},
		{unnamed, "rabbit@host2.example.com", true},
		{unnamed, "rabbit@host3", true},
		{unnamed, "rabbit@host9.example.com", false}, // no member on host9
		{unnamed, "hare@host2.example.com", false},   // no member named hare
		{unnamed, "prod", false},
		{local, "mqtop-n2-2@vm.internal", true},
		{local, "mqtop-n3-3@vm.internal", false}, // another broker on the machine
		{named, "prod", true},
		{named, "rabbit@host2.example.com", false}, // a named cluster's nodes all say its name
		{Identity{Cluster: unnamed.Cluster, Listeners: unnamed.Listeners}, "rabbit@host2.example.com", false}, // node unknown
	} {
		if got := UnnamedClusterMember(c.id, c.cluster); got != c.want {
			t.Errorf("cluster %q, node %q: accepts %q = %v, want %v", c.id.Cluster, c.id.Node, c.cluster, got, c.want)
		}
	}
}
