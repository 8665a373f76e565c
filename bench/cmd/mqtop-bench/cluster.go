package main

import (
	"bytes"
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

// ClusterResult is what only a cluster has: queues spread over the nodes
// (classic ones imported through each node, so each lives where it was
// declared; a share quorum), mqtop's index found and scraped from every node
// (as mqtop does by default) against each node alone, against the
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

// runCluster is the 3-node row: the cluster's own setup (queues spread over
// the nodes, a share quorum, the deep queues filled as on one node), the
// index scraped from every node against each node alone, then the very
// steps of a single-node size (floors, mqtop's refresh through its model
// and renderer, the peers, broker CPU while watching — every node's beam
// summed — and terminal bytes), mqtop given every node's Prometheus
// endpoint (through the recording proxies) so the floors are timed on the
// requests it sent. Writes cluster-N.json (a SizeResult with Cluster set)
// and cluster.md.
func runCluster(args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	size := fs.Int("size", 30000, "queues in all")
	quorum := fs.Int("quorum", 1000, "of which quorum queues (the rest classic, a third per node)")
	bin := fs.String("mqtop", "bin/mqtop", "the built mqtop binary")
	outDir := fs.String("out", ".", "directory for cluster-N.json, cluster.md and raw data")
	startup := fs.Float64("startup", 0, "cluster start-up seconds, as measured by the driver")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st := loadSettings()
	nodes, err := clusterFromEnv()
	if err != nil {
		return err
	}
	b, err := brokerFromEnv()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := &SizeResult{Size: *size, Settings: st, StartupS: *startup, Floors: map[string]Floor{},
		Cluster: &ClusterResult{Nodes: len(nodes), Size: *size, Quorum: *quorum, Reps: st.Reps}}
	out := filepath.Join(*outDir, fmt.Sprintf("cluster-%d.json", *size))
	save := func() error {
		return saveResult(out, res, filepath.Join(*outDir, "cluster.md"), func(w io.Writer) { writeSize(w, res) })
	}
	logf("== %d-node cluster, %d queues: setup", len(nodes), *size)
	if err := clusterSetup(b, nodes, res); err != nil {
		_ = save()
		return fmt.Errorf("setup: %w", err)
	}
	steps := append([]step{{"cluster index", func() error { return measureClusterIndex(nodes, res.Cluster) }}},
		sizeSteps(b, res, st, self, *bin, *outDir)...)
	if err := runSteps(fmt.Sprintf("cluster, %d queues", *size), res, steps, save); err != nil {
		return err
	}
	logf("== cluster: done, %s", out)
	return nil
}

// clusterSetup declares the queues (classic ones imported through each
// node, so each lives there; the quorum share through every node, so
// leaders spread), fills the deep queues as a single node's size does
// (depthOf), and waits until the management API and every node's index
// agree on queues and messages.
func clusterSetup(b *broker, nodes []clusterNodeEnv, res *SizeResult) error {
	cr := res.Cluster
	start := time.Now()
	classic := cr.Size - cr.Quorum
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
		for j := 0; j < cr.Quorum/len(nodes)+boolInt(i == 0)*(cr.Quorum%len(nodes)); j++ {
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
	cr.ImportS = res.ImportS
	// Quorum queues reach their leader's metrics on its next tick.
	if err := waitCounts(b, cr.Size, 0, 10*time.Minute); err != nil {
		return err
	}
	start = time.Now()
	total, deep, err := publishAll(b, cr.Size)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	res.Messages, res.DeepQueues, res.PublishS = total, deep, time.Since(start).Seconds()
	logf("published %d messages to %d queues in %.1fs", total, deep, res.PublishS)
	start = time.Now()
	if err := waitCounts(b, cr.Size, total, 10*time.Minute); err != nil {
		return err
	}
	res.SettleS = time.Since(start).Seconds()
	res.BrokerRSSMB = b.beamRSS()
	for _, n := range nodes {
		if pid, err := readPID(n.dir); err == nil {
			_, rss := procRSS(pid)
			cr.RSSMB = append(cr.RSSMB, rss)
		}
	}
	logf("statistics settled in %.1fs; beams rss %v MB", res.SettleS, roundAll(cr.RSSMB))
	return nil
}

// measureClusterIndex: the index as mqtop finds it by default (every node's
// endpoint from /api/nodes and the listeners), against each node alone,
// and mqtop's two queue sources' depth-ordered screen.
func measureClusterIndex(nodes []clusterNodeEnv, res *ClusterResult) error {
	c, err := mgmt.New(mgmt.Options{URLs: []string{nodes[0].mgmtURL}, DerivePrometheus: true, User: user, Password: password, Timeout: 60 * time.Second})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := context.Background()
	o, err := c.Overview(ctx)
	if err != nil {
		return err
	}
	res.ObjectTotals = int(o.Queues.N)
	res.IndexQueues = res.Size
	var times []float64
	for r := 0; r < res.Reps; r++ {
		t := time.Now()
		idx, err := c.ScrapeQueueIndex(ctx, "")
		if err != nil {
			return err
		}
		times = append(times, msOf(time.Since(t)))
		if len(idx) != res.Size {
			logf("scrape %d: %d of %d queues in the index", r, len(idx), res.Size)
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
		for r := 0; r < res.Reps; r++ {
			t := time.Now()
			idx, err := one.ScrapeQueueIndex(ctx, "")
			if err != nil {
				return fmt.Errorf("scrape %s alone: %w", n.name, err)
			}
			times = append(times, msOf(time.Since(t)))
			count = len(idx)
		}
		one.Close()
		res.NodeIndexMs = append(res.NodeIndexMs, median(times))
		res.PerNode = append(res.PerNode, count)
	}
	// mqtop's queue sources, as the queue list uses them: one screen (32
	// rows) in depth order.
	q := mgmt.QueueQuery{Sort: mgmt.SortMessages, Desc: true, Limit: 32}
	var fresh, kept, page []float64
	for r := 0; r < res.Reps; r++ {
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
	if res.SortMs, err = timeGET(nodes[0].mgmtURL+"/api/queues?page=1&page_size=100&sort=messages&sort_reverse=true&columns=name,vhost,messages", res.Reps); err != nil {
		return err
	}
	if res.FullListMs, err = timeGET(nodes[0].mgmtURL+"/api/queues?columns=name,vhost,messages", min(res.Reps, 3)); err != nil {
		return err
	}
	logf("index %.0f ms over %d nodes (alone: %v ms, %v queues); mqtop fresh %.0f ms, kept %.0f ms, management source %.0f ms; management depth sort %.0f ms, full list %.0f ms",
		res.IndexMs, res.Nodes, res.NodeIndexMs, res.PerNode, res.FreshMs, res.KeptMs, res.MgmtPageMs, res.SortMs, res.FullListMs)
	return nil
}

func (r ClusterResult) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### The index over %d nodes (endpoints found from /api/nodes and the listeners, as mqtop does by default)\n\n", r.Nodes)
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

// saveResult writes v as JSON to jsonPath and its tables (md) to mdPath.
func saveResult(jsonPath string, v any, mdPath string, md func(io.Writer)) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(jsonPath, data, 0o644); err != nil {
		return err
	}
	var b bytes.Buffer
	md(&b)
	return os.WriteFile(mdPath, b.Bytes(), 0o644)
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
