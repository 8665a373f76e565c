package mgmt

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// The index on a 3-node cluster: classic queues declared through each
// node's AMQP port live on that node, quorum queues and a stream are led by
// one node each; the Prometheus plugin reports each queue on its node only,
// so only a scrape of every node holds them all. One cluster for the whole
// test (starting one takes half a minute); the subtests share it, the last
// one stops a node.
func TestClusterIndex(t *testing.T) {
	c := testenv.StartCluster(t, 3)
	env := c.Nodes[0].Env
	const vh = "mqtop-cluster"
	testenv.CreateVHost(t, env, vh)

	var want []string
	onNode := map[string]string{} // classic queue -> the node it must live on
	for i, n := range c.Nodes {
		for j := range 4 {
			q := fmt.Sprintf("classic-n%d-%d", i+1, j)
			testenv.DeclareQueue(t, n.Env, vh, q, nil)
			want, onNode[q] = append(want, q), n.Node
		}
		q := fmt.Sprintf("quorum-via-n%d", i+1)
		testenv.DeclareQueue(t, n.Env, vh, q, amqp.Table{"x-queue-type": "quorum"})
		want = append(want, q)
	}
	testenv.DeclareQueue(t, c.Nodes[2].Env, vh, "stream-via-n3", amqp.Table{"x-queue-type": "stream"})
	want = append(want, "stream-via-n3")
	slices.Sort(want)

	// The fixture is what the test says: classic queues on every node.
	var listed []struct{ Name, Node, Type string }
	testenv.GetJSON(t, env, "queues/"+url.PathEscape(vh)+"?columns=name,node,type", &listed)
	for _, q := range listed {
		if n, ok := onNode[q.Name]; ok && q.Node != n {
			t.Fatalf("queue %s lives on %s, not on %s that declared it", q.Name, q.Node, n)
		}
	}
	if len(listed) != len(want) {
		t.Fatalf("the management API lists %d queues, want %d", len(listed), len(want))
	}

	client := func(t *testing.T) *Client {
		cl, err := New(Options{URLs: []string{env.MgmtURL}, DerivePrometheus: true, User: env.User, Password: env.Password})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	inVHost := func(idx []IndexEntry) []string {
		var out []string
		for _, e := range idx {
			if e.VHost == vh {
				out = append(out, e.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	ctx := context.Background()

	t.Run("every node's queues", func(t *testing.T) {
		cl := client(t)
		src := &IndexSource{C: cl}
		// Quorum queues and streams reach their leader's metrics on its
		// next tick (a few seconds); object_totals lags by a statistics
		// interval.
		testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
			if err := src.refresh(ctx, "", true, false); err != nil {
				return false, err.Error()
			}
			id, err := cl.Identity(ctx, 0)
			if err != nil {
				return false, err.Error()
			}
			src.mu.Lock()
			idx := src.index
			src.mu.Unlock()
			got := inVHost(idx)
			return slices.Equal(got, want) && id.Queues.OK && int(id.Queues.N) == len(idx),
				fmt.Sprintf("index %d queues (%v), object_totals.queues %v; want %v", len(idx), got, id.Queues, want)
		})
		if gap := src.Incomplete(); gap != "" {
			t.Errorf("complete index says %q", gap)
		}
		// One node's endpoint alone lacks the others' classic queues:
		// what the test would see if mqtop scraped one node.
		idx, who, err := cl.scrapeEndpoint(ctx, c.Nodes[0].PromURL, "", nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if who.Node != c.Nodes[0].Node {
			t.Fatalf("node 1's endpoint says it is %s", who.Node)
		}
		for _, q := range inVHost(idx) {
			if strings.HasPrefix(q, "classic-n2") || strings.HasPrefix(q, "classic-n3") {
				t.Errorf("node 1 reports %s of another node: the test proves nothing", q)
			}
		}
		if len(inVHost(idx)) >= len(want) {
			t.Errorf("node 1 alone reports all %d queues", len(want))
		}
		// The auto source serves from the index.
		auto := &AutoSource{Index: src, Mgmt: ManagementSource{C: cl}}
		p, err := auto.QueuePage(ctx, QueueQuery{VHost: vh, Sort: SortName, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if st := auto.Status(); st.Source != "prometheus" || p.Matched != len(want) {
			t.Errorf("source %+v, %d matched; want the prometheus index with %d", st, p.Matched, len(want))
		}
	})

	// A context listing every node's Prometheus URL (mqtop
	// --prometheus-url URL1,URL2,URL3) gets the same complete index.
	listedClient := func(t *testing.T) *Client {
		var urls []string
		for _, n := range c.Nodes {
			urls = append(urls, n.PromURL)
		}
		cl, err := New(Options{URLs: []string{env.MgmtURL}, PrometheusURLs: urls, User: env.User, Password: env.Password})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	t.Run("listed endpoints", func(t *testing.T) {
		src := &IndexSource{C: listedClient(t)}
		if err := src.refresh(ctx, "", true, false); err != nil {
			t.Fatal(err)
		}
		src.mu.Lock()
		idx := src.index
		src.mu.Unlock()
		if got := inVHost(idx); !slices.Equal(got, want) {
			t.Errorf("listed endpoints' index %v, want %v", got, want)
		}
		if gap := src.Incomplete(); gap != "" {
			t.Errorf("complete index says %q", gap)
		}
	})

	t.Run("a node's endpoint not answering", func(t *testing.T) {
		cl := client(t)
		dead := deadURL(t)
		promNodeURLs.Store(cl, func(node, endpoint string) string {
			if node == c.Nodes[1].Node {
				return dead
			}
			return endpoint
		})
		t.Cleanup(func() { promNodeURLs.Delete(cl) })
		src := &IndexSource{C: cl}
		assertFallsBack(t, src, c.Nodes[1].Node, "not answering", vh, len(want))
	})

	t.Run("a node stopped", func(t *testing.T) {
		c.StopNode(1)
		cl := client(t)
		src := &IndexSource{C: cl}
		assertFallsBack(t, src, c.Nodes[1].Node, "not running", vh, len(want))
		assertFallsBack(t, &IndexSource{C: listedClient(t)}, c.Nodes[1].Node, "not running", vh, len(want))
		// The management API still lists node 2's classic queues (down).
		var qs []struct{ Name string }
		testenv.GetJSON(t, env, "queues/"+url.PathEscape(vh)+"?columns=name", &qs)
		if len(qs) != len(want) {
			t.Errorf("management lists %d queues with node 2 down, want %d", len(qs), len(want))
		}
	})
}

// assertFallsBack: the index names node and why it lacks its queues, and
// the auto source serves the management API's complete list and says so.
func assertFallsBack(t *testing.T, src *IndexSource, node, why, vh string, want int) {
	t.Helper()
	ctx := context.Background()
	if err := src.refresh(ctx, "", true, false); err != nil {
		t.Fatal(err)
	}
	gap := src.Incomplete()
	if !strings.Contains(gap, node+" "+why) || !strings.Contains(gap, "2 of 3 nodes") {
		t.Fatalf("Incomplete() = %q; want it to name %s %s", gap, node, why)
	}
	auto := &AutoSource{Index: src, Mgmt: ManagementSource{C: src.C}}
	p, err := auto.QueuePage(ctx, QueueQuery{VHost: vh, Sort: SortName, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	st := auto.Status()
	if st.Source != "management" || !strings.Contains(st.Distrust, node) {
		t.Errorf("status %+v; want the management source, distrusting the index for %s", st, node)
	}
	if p.Source != "management" || p.Matched != want {
		t.Errorf("page from %s with %d queues, want management with %d", p.Source, p.Matched, want)
	}
}
