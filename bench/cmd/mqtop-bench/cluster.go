package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mqtop/mqtop/mgmt"
)

// ClusterResult is the 3-node row: queues spread over the nodes (classic
// ones imported through each node, so each lives where it was declared; a
// share quorum), mqtop's index scraped from every node against the
// management API's own depth sort and full list.
type ClusterResult struct {
	Nodes, Size, Quorum int
	PerNode             []int     // queues each node's Prometheus endpoint reports
	ImportS             float64   // declaring them all
	IndexMs             float64   // median multi-node index scrape (every node in parallel, merged)
	IndexQueues         int       // queues in the merged index
	ObjectTotals        int       // object_totals.queues
	NodeIndexMs         []float64 // median scrape of each node alone
	FreshMs             float64   // mqtop's first screen, depth order: a fresh IndexSource (scrape + 32 GETs)
	FreshQueues         []int     // the index's queue count on each fresh start
	KeptMs              float64   // a refresh with the index kept (32 GETs; the index rescraped in the background)
	MgmtPageMs          float64   // the management source's depth-order screen
	SortMs              float64   // the management API's first page by depth (its floor)
	FullListMs          float64   // the full /api/queues (name, vhost, messages)
	RSSMB               []float64 // each beam after setup
	Reps                int
}

type clusterNodeEnv struct{ name, mgmtURL, promURL, dir string }

func clusterFromEnv() ([]clusterNodeEnv, error) {
	n, _ := strconv.Atoi(os.Getenv("MQTOP_CLUSTER_SIZE"))
	if n < 2 {
		return nil, errors.New("MQTOP_CLUSTER_SIZE is not set: source the env of scripts/cluster.sh start")
	}
	var out []clusterNodeEnv
	for i := 1; i <= n; i++ {
		p := fmt.Sprintf("MQTOP_NODE%d_", i)
		e := clusterNodeEnv{name: os.Getenv(p + "NAME"), mgmtURL: os.Getenv(p + "URL"), promURL: os.Getenv(p + "PROM_URL"), dir: os.Getenv(p + "DIR")}
		if e.name == "" || e.mgmtURL == "" || e.promURL == "" || e.dir == "" {
			return nil, fmt.Errorf("%s* are not all set", p)
		}
		out = append(out, e)
	}
	return out, nil
}

func runCluster(args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	size := fs.Int("size", 30000, "queues in all")
	quorum := fs.Int("quorum", 1000, "of which quorum queues (the rest classic, a third per node)")
	reps := fs.Int("reps", 5, "repetitions of each measurement")
	out := fs.String("out", ".", "directory for cluster.json and cluster.md")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nodes, err := clusterFromEnv()
	if err != nil {
		return err
	}
	res := ClusterResult{Nodes: len(nodes), Size: *size, Quorum: *quorum, Reps: *reps}
	start := time.Now()
	classic := *size - *quorum
	next := 0
	for i, n := range nodes {
		count := classic / len(nodes)
		if i == 0 {
			count += classic % len(nodes)
		}
		var qs []map[string]any
		for j := 0; j < count; j++ {
			qs = append(qs, map[string]any{"name": queueName(next), "vhost": "/", "durable": true, "auto_delete": false, "arguments": map[string]any{}})
			next++
		}
		// The quorum share through every node too, so leaders spread.
		for j := 0; j < *quorum/len(nodes)+boolInt(i == 0)*(*quorum%len(nodes)); j++ {
			qs = append(qs, map[string]any{"name": queueName(next), "vhost": "/", "durable": true, "auto_delete": false,
				"arguments": map[string]any{"x-queue-type": "quorum"}})
			next++
		}
		body, _ := json.Marshal(map[string]any{"queues": qs})
		t := time.Now()
		if err := apiPost(&broker{mgmtURL: n.mgmtURL}, "definitions", body, 30*time.Minute); err != nil {
			return fmt.Errorf("import through %s: %w", n.name, err)
		}
		logf("imported %d queues through %s in %.1fs", len(qs), n.name, time.Since(t).Seconds())
	}
	res.ImportS = time.Since(start).Seconds()

	c, err := mgmt.New(mgmt.Options{URLs: []string{nodes[0].mgmtURL}, DerivePrometheus: true, User: user, Password: password, Timeout: 60 * time.Second})
	if err != nil {
		return err
	}
	ctx := context.Background()
	// Wait until the cluster counts them all and every node reports its
	// share (quorum queues reach their leader's metrics on its next tick).
	deadline := time.Now().Add(10 * time.Minute)
	for {
		o, err := c.Overview(ctx)
		idx, serr := c.ScrapeQueueIndex(ctx, "")
		if err == nil && serr == nil && o.Queues.OK && int(o.Queues.N) == *size && len(idx) == *size {
			res.ObjectTotals, res.IndexQueues = int(o.Queues.N), len(idx)
			break
		}
		if serr == nil && len(idx) != *size {
			logf("index %d of %d queues", len(idx), *size)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the index did not reach %d queues (index %d, %v; overview %v, %v)", *size, len(idx), serr, o.Queues, err)
		}
		time.Sleep(2 * time.Second)
	}
	logf("every node reports its queues: %d in the index, object_totals %d", res.IndexQueues, res.ObjectTotals)

	var times []float64
	for r := 0; r < *reps; r++ {
		t := time.Now()
		idx, err := c.ScrapeQueueIndex(ctx, "")
		if err != nil {
			return err
		}
		times = append(times, msOf(time.Since(t)))
		if len(idx) != *size {
			logf("scrape %d: %d of %d queues in the index", r, len(idx), *size)
		}
		res.IndexQueues = min(res.IndexQueues, len(idx))
	}
	res.IndexMs = median(times)
	for _, n := range nodes {
		one, err := mgmt.New(mgmt.Options{URLs: []string{n.mgmtURL}, PrometheusURL: n.promURL, User: user, Password: password, Timeout: 60 * time.Second})
		if err != nil {
			return err
		}
		times = times[:0]
		count := 0
		for r := 0; r < *reps; r++ {
			t := time.Now()
			idx, err := one.ScrapeQueueIndex(ctx, "")
			if err != nil {
				return fmt.Errorf("scrape %s alone: %w", n.name, err)
			}
			times = append(times, msOf(time.Since(t)))
			count = len(idx)
		}
		res.NodeIndexMs = append(res.NodeIndexMs, median(times))
		res.PerNode = append(res.PerNode, count)
	}
	// mqtop's queue sources, as the queue list uses them: one screen (32
	// rows) in depth order.
	q := mgmt.QueueQuery{Sort: mgmt.SortMessages, Desc: true, Limit: 32}
	var fresh, kept, page []float64
	for r := 0; r < *reps; r++ {
		src := &mgmt.IndexSource{C: c}
		t := time.Now()
		p, err := src.QueuePage(ctx, q)
		if err != nil {
			return fmt.Errorf("index source: %w", err)
		}
		fresh = append(fresh, msOf(time.Since(t)))
		// Not a failure: a quorum queue whose leader is being re-elected
		// (1,000 of them on 2 cores) is in no node's metrics for a moment.
		res.FreshQueues = append(res.FreshQueues, p.Total)
		for k := 0; k < 3; k++ {
			time.Sleep(500 * time.Millisecond)
			t = time.Now()
			if _, err := src.QueuePage(ctx, q); err != nil {
				return fmt.Errorf("index source: %w", err)
			}
			kept = append(kept, msOf(time.Since(t)))
		}
		t = time.Now()
		if _, err := (mgmt.ManagementSource{C: c}).QueuePage(ctx, q); err != nil {
			return fmt.Errorf("management source: %w", err)
		}
		page = append(page, msOf(time.Since(t)))
	}
	res.FreshMs, res.KeptMs, res.MgmtPageMs = median(fresh), median(kept), median(page)
	if res.SortMs, err = timeGET(nodes[0].mgmtURL+"/api/queues?page=1&page_size=100&sort=messages&sort_reverse=true&columns=name,vhost,messages", *reps); err != nil {
		return err
	}
	if res.FullListMs, err = timeGET(nodes[0].mgmtURL+"/api/queues?columns=name,vhost,messages", min(*reps, 3)); err != nil {
		return err
	}
	for _, n := range nodes {
		if data, err := os.ReadFile(filepath.Join(n.dir, "pid")); err == nil {
			pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			_, rss := procRSS(pid)
			res.RSSMB = append(res.RSSMB, rss)
		}
	}
	logf("index %.0f ms over %d nodes (alone: %v ms, %v queues); mqtop fresh %.0f ms, kept %.0f ms, management source %.0f ms; management depth sort %.0f ms, full list %.0f ms",
		res.IndexMs, res.Nodes, res.NodeIndexMs, res.PerNode, res.FreshMs, res.KeptMs, res.MgmtPageMs, res.SortMs, res.FullListMs)
	js, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "cluster.json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "cluster.md"), []byte(res.markdown()), 0o644)
}

func (r ClusterResult) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %d-node cluster: %d queues (%d quorum), classic ones a third per node\n\n", r.Nodes, r.Size, r.Quorum)
	fmt.Fprintf(&b, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| queues each node's endpoint reports | %v (sum %d) |\n", r.PerNode, sum(r.PerNode))
	fmt.Fprintf(&b, "| merged index / object_totals.queues | %d / %d |\n", r.IndexQueues, r.ObjectTotals)
	fmt.Fprintf(&b, "| index scrape, every node in parallel (median of %d) | %.0f ms |\n", r.Reps, r.IndexMs)
	fmt.Fprintf(&b, "| each node alone | %v ms |\n", roundAll(r.NodeIndexMs))
	fmt.Fprintf(&b, "| mqtop, index source, depth order, fresh start (scrape + 32 GETs) | %.0f ms |\n", r.FreshMs)
	fmt.Fprintf(&b, "| queues in the index on each fresh start | %v |\n", r.FreshQueues)
	fmt.Fprintf(&b, "| mqtop, index source, depth order, index kept (32 GETs) | %.0f ms |\n", r.KeptMs)
	fmt.Fprintf(&b, "| mqtop, management source, depth order | %.0f ms |\n", r.MgmtPageMs)
	fmt.Fprintf(&b, "| management API, first page by depth (the floor of the management source) | %.0f ms |\n", r.SortMs)
	fmt.Fprintf(&b, "| management API, full /api/queues | %.0f ms |\n", r.FullListMs)
	if r.SortMs > 0 {
		fmt.Fprintf(&b, "| index scrape / management depth sort | %.2f |\n", r.IndexMs/r.SortMs)
		fmt.Fprintf(&b, "| mqtop fresh start, index / management source | %.2f |\n", r.FreshMs/r.MgmtPageMs)
	}
	fmt.Fprintf(&b, "| declaring them (definitions import through each node) | %.1f s |\n", r.ImportS)
	fmt.Fprintf(&b, "| beam RSS after setup | %v MB |\n", roundAll(r.RSSMB))
	return b.String()
}

func timeGET(u string, reps int) (float64, error) {
	var times []float64
	for r := 0; r < reps; r++ {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return 0, err
		}
		req.SetBasicAuth(user, password)
		t := time.Now()
		resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %s %v", u, resp.Status, err)
		}
		times = append(times, msOf(time.Since(t)))
	}
	return median(times), nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func roundAll(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}
