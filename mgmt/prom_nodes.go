package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The Prometheus plugin reports queue metrics per node: each node its own
// classic queues and the quorum queues and streams it leads. One node's
// scrape misses every queue that lives elsewhere, so in a cluster the index
// scrapes every running node's endpoint, in parallel, and merges them.

// nodeGap is a node whose queues the index cannot vouch for.
type nodeGap struct {
	Node   string
	Reason string // "not running", "not answering: ...", ...
}

// indexScrape is one scrape of the index: the queues, the management API's
// identity it was checked against, and the nodes it lacks.
type indexScrape struct {
	idx     []IndexEntry
	id      Identity
	nodes   int // nodes scraped (1 without a cluster)
	lacking []nodeGap
}

// lackingText says which nodes' queues the index lacks, or "".
func (r indexScrape) lackingText() string {
	if len(r.lacking) == 0 {
		return ""
	}
	names := make([]string, len(r.lacking))
	for i, g := range r.lacking {
		names[i] = g.Node + " " + g.Reason
	}
	noun := "node"
	if len(r.lacking) > 1 {
		noun = "nodes"
	}
	return fmt.Sprintf("prometheus: %s %s (%d of %d nodes scraped)",
		noun, strings.Join(names, "; "), r.nodes-len(r.lacking), r.nodes)
}

func (r indexScrape) lackingError() error { return errors.New(r.lackingText()) }

// scrapeIndex scrapes the configured or derived endpoint; when the endpoint
// is derived and the cluster has more than one node, every node's.
func (c *Client) scrapeIndex(ctx context.Context, vhost string, prev []IndexEntry, consumers bool) (indexScrape, error) {
	endpoint, derived, id, err := c.PrometheusEndpoint(ctx)
	r := indexScrape{id: id, nodes: 1}
	if err != nil {
		return r, err
	}
	if derived && id.Node != "" && len(listenerNodes(id)) > 1 {
		return c.scrapeNodes(ctx, id, vhost, prev, consumers)
	}
	if len(c.promURLs) > 1 {
		return c.scrapeListed(ctx, id, vhost, prev, consumers)
	}
	idx, who, err := c.scrapeEndpoint(ctx, c.promNodeURL(id.Node, endpoint), vhost, prev, consumers)
	if err != nil {
		return r, err
	}
	if err := checkIdentity(KindPrometheus, endpoint, who, id, derived); err != nil {
		return r, err
	}
	r.idx = idx
	return r, nil
}

// listenerNodes are the nodes the overview lists listeners of, sorted.
func listenerNodes(id Identity) []string {
	var out []string
	for _, l := range id.Listeners {
		if l.Node != "" && !slices.Contains(out, l.Node) {
			out = append(out, l.Node)
		}
	}
	slices.Sort(out)
	return out
}

// members are the cluster's nodes and which of them run: /api/nodes when
// the user may read it (authoritative: the overview may still list some
// listeners of a node that has just stopped), else the nodes the overview
// lists listeners of, taken as running.
func (c *Client) members(ctx context.Context, id Identity) (nodes []string, running map[string]bool) {
	nodes = listenerNodes(id)
	running = map[string]bool{}
	var members []clusterNode
	if err := c.getJSON(ctx, "nodes", url.Values{"columns": {"name,running"}}, &members); err == nil && len(members) > 0 {
		nodes = nodes[:0]
		for _, m := range members {
			if n := string(m.Name); n != "" && !slices.Contains(nodes, n) {
				nodes = append(nodes, n)
				running[n] = bool(m.Running)
			}
		}
		slices.Sort(nodes)
		return nodes, running
	}
	for _, n := range nodes {
		running[n] = true
	}
	return nodes, running
}

// scrapeListed scrapes every configured endpoint (a context's list, one per
// node: for clusters whose nodes' Prometheus endpoints are not reachable
// at the addresses their names and listeners give, behind a load balancer
// or in Kubernetes) in parallel and merges them. Each must prove to be a
// node of the management API's cluster; which node it is, it says itself.
// A running node no endpoint proved to be is lacking, with the failed
// endpoints' errors.
func (c *Client) scrapeListed(ctx context.Context, id Identity, vhost string, prev []IndexEntry, consumers bool) (indexScrape, error) {
	r := indexScrape{id: id}
	type result struct {
		idx []IndexEntry
		who promIdentity
		err error
	}
	nodes, running := c.members(ctx, id)
	known := len(nodes) > 0 // else only the endpoints say which nodes there are
	members := slices.Clone(nodes)
	results := make([]result, len(c.promURLs))
	var wg sync.WaitGroup
	for i, endpoint := range c.promURLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx, who, err := c.scrapeEndpoint(ctx, endpoint, vhost, prev, consumers)
			if err == nil {
				err = checkListedIdentity(endpoint, who, id, members)
			}
			results[i] = result{idx: idx, who: who, err: err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return r, err
	}
	covered := map[string]bool{}
	var failed []string
	var firstErr error
	var parts [][]IndexEntry
	for i, res := range results {
		var wb *WrongBroker
		switch {
		case errors.As(res.err, &wb):
			return r, res.err
		case res.err != nil:
			failed = append(failed, RedactURL(c.promURLs[i])+": "+res.err.Error())
			firstErr = cmpOr(firstErr, res.err)
		case covered[res.who.Node]:
			// Two endpoints of one node (a slip in the list): counted once.
		default:
			covered[res.who.Node] = true
			parts = append(parts, res.idx)
			if !slices.Contains(nodes, res.who.Node) {
				nodes = append(nodes, res.who.Node)
				running[res.who.Node] = true
			}
		}
	}
	if len(parts) == 0 {
		return r, fmt.Errorf("no listed prometheus endpoint answered: %w", firstErr)
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		switch {
		case covered[n]:
		case !running[n]:
			r.lacking = append(r.lacking, nodeGap{Node: n, Reason: "not running"})
		case len(failed) > 0:
			r.lacking = append(r.lacking, nodeGap{Node: n, Reason: "not answering (" + strings.Join(failed, "; ") + ")"})
		default:
			r.lacking = append(r.lacking, nodeGap{Node: n, Reason: "not in the listed prometheus URLs"})
		}
	}
	if !known {
		// Nodes unknown to this user: each failed endpoint may be a node
		// whose queues the index lacks.
		for _, f := range failed {
			r.lacking = append(r.lacking, nodeGap{Node: "at", Reason: f})
			nodes = append(nodes, f)
		}
	}
	r.nodes = len(nodes)
	r.idx = mergeIndexes(parts)
	return r, nil
}

// checkListedIdentity: a listed endpoint must be a node of the management
// API's cluster. One naming a member is checked as that node's derived
// endpoint would be (which accepts an unnamed cluster's per-node default
// names); any other must carry the cluster's name.
func checkListedIdentity(endpoint string, who promIdentity, id Identity, members []string) error {
	if who.Node != "" && slices.Contains(members, who.Node) {
		return checkNodeIdentity(endpoint, who, id, who.Node)
	}
	return checkIdentity(KindPrometheus, endpoint, who, id, false)
}

// mergeIndexes joins per-node indexes. A queue is reported by the node it
// lives on (the leader, for quorum queues and streams); while a leader
// moves two nodes may both report it: the first is kept.
func mergeIndexes(parts [][]IndexEntry) []IndexEntry {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	out := make([]IndexEntry, 0, total)
	seen := make(map[string]struct{}, total)
	for _, p := range parts {
		for _, e := range p {
			k := e.Key()
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			out = append(out, e)
		}
	}
	return out
}

// clusterNode is a member as /api/nodes lists it.
type clusterNode struct {
	Name    Text `json:"name"`
	Running Flag `json:"running"`
}

// scrapeNodes scrapes every running node's endpoint in parallel and merges
// the indexes. A node that is down, lists no Prometheus listener, or whose
// endpoint does not answer is in lacking; an endpoint that proves to be
// another broker fails the whole scrape, as the single endpoint would.
func (c *Client) scrapeNodes(ctx context.Context, id Identity, vhost string, prev []IndexEntry, consumers bool) (indexScrape, error) {
	r := indexScrape{id: id}
	// The members, running or not: the overview lists the listeners of
	// running nodes only, and a stopped node's classic queues still count
	// in object_totals.queues.
	nodes, running := c.members(ctx, id)
	r.nodes = len(nodes)
	type result struct {
		idx     []IndexEntry
		err     error
		derived bool // err is about deriving the endpoint, not scraping it
	}
	results := make([]result, len(nodes))
	var wg sync.WaitGroup
	for i, node := range nodes {
		if !running[node] {
			results[i].err = errNodeDown
			continue
		}
		endpoint, err := c.nodePromURL(ctx, id, node)
		if err != nil {
			results[i] = result{err: err, derived: true}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx, who, err := c.scrapeEndpoint(ctx, c.promNodeURL(node, endpoint), vhost, prev, consumers)
			if err == nil {
				err = checkNodeIdentity(endpoint, who, id, node)
			}
			results[i] = result{idx: idx, err: err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return r, err
	}
	var firstErr error
	for i, res := range results {
		var wb *WrongBroker
		switch {
		case errors.As(res.err, &wb):
			return r, res.err
		case errors.Is(res.err, errNodeDown):
			r.lacking = append(r.lacking, nodeGap{Node: nodes[i], Reason: "not running"})
		case res.err != nil && res.derived:
			r.lacking = append(r.lacking, nodeGap{Node: nodes[i], Reason: "without an endpoint: " + res.err.Error()})
			firstErr = cmpOr(firstErr, res.err)
		case res.err != nil:
			r.lacking = append(r.lacking, nodeGap{Node: nodes[i], Reason: "not answering: " + res.err.Error()})
			firstErr = cmpOr(firstErr, res.err)
		}
	}
	if len(r.lacking) == len(nodes) {
		if firstErr == nil {
			firstErr = errors.New(r.lackingText())
		}
		return r, fmt.Errorf("no node's prometheus endpoint answered: %w", firstErr)
	}
	parts := make([][]IndexEntry, len(results))
	for i, res := range results {
		parts[i] = res.idx
	}
	r.idx = mergeIndexes(parts)
	return r, nil
}

var errNodeDown = errors.New("node not running")

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// nodePromURL derives node's Prometheus endpoint from its listener. The
// host: the management URL's for the node that answered it; for another
// node the host part of its name (rabbit@HOST), except that a management
// URL on a loopback address keeps loopback when HOST is this machine too
// (a cluster on one host, or reached through a tunnel to one of them).
func (c *Client) nodePromURL(ctx context.Context, id Identity, node string) (string, error) {
	if node == id.Node {
		return ListenerURL(c.Endpoint(), id, KindPrometheus)
	}
	if !slices.Contains(listenerNodes(id), node) {
		return "", fmt.Errorf("the overview lists no listeners of node %s yet", node)
	}
	u, err := url.Parse(c.Endpoint())
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("bad management URL %q", RedactURL(c.Endpoint()))
	}
	_, host, ok := strings.Cut(node, "@")
	if !ok || host == "" {
		return "", fmt.Errorf("node name %q has no host", node)
	}
	if isLoopback(u.Hostname()) && resolvesToLoopback(ctx, host) {
		host = u.Hostname()
	}
	other := id
	other.Node = node
	return ListenerURL(u.Scheme+"://"+net.JoinHostPort(host, portOf(u)), other, KindPrometheus)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolvesToLoopback: every address host resolves to is a loopback one.
func resolvesToLoopback(ctx context.Context, host string) bool {
	if isLoopback(host) {
		return true
	}
	if net.ParseIP(host) != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// checkNodeIdentity: the endpoint derived for node must be that node of the
// management API's cluster. A cluster without a name set reports a
// different default on every node (its own name part at the machine's
// host name: rabbit@node-1.example.com), so there the node's own default
// stands for the cluster; the node name (unique per host) must match.
func checkNodeIdentity(endpoint string, got promIdentity, want Identity, node string) error {
	if got.Node == node && got.Cluster != want.Cluster && isDefaultClusterName(want.Cluster, want.Node) && isDefaultClusterName(got.Cluster, node) {
		return nil
	}
	w := want
	w.Node = node
	return checkIdentity(KindPrometheus, endpoint, got, w, true)
}

// isDefaultClusterName: cluster is the name RabbitMQ gives a cluster of
// node when none is set (the node's name part, "@", a host name).
func isDefaultClusterName(cluster, node string) bool {
	name, _, ok := strings.Cut(node, "@")
	return ok && name != "" && strings.HasPrefix(cluster, name+"@") && len(cluster) > len(name)+1
}

// UnnamedClusterMember reports whether cluster, the name some endpoint
// announced, is the default name of a node of id's cluster while that
// cluster has no name set. RabbitMQ then gives each node its own default
// (the node's name part, "@", its host's FQDN), so the nodes of one
// cluster announce different names; a default name is accepted for a
// member whose name part it carries and, unless the member's host is
// localhost (a cluster on one machine), whose host it names.
func UnnamedClusterMember(id Identity, cluster string) bool {
	if cluster == id.Cluster {
		return true
	}
	if id.Node == "" || !isDefaultClusterName(id.Cluster, id.Node) {
		return false
	}
	cname, chost, ok := strings.Cut(cluster, "@")
	if !ok || cname == "" || chost == "" {
		return false
	}
	for _, n := range listenerNodes(id) {
		name, host, _ := strings.Cut(n, "@")
		if name == cname && (host == "localhost" || chost == host || strings.HasPrefix(chost, host+".")) {
			return true
		}
	}
	return false
}

// promNodeURLs rewrites node endpoints, for tests (a node whose endpoint
// does not answer while the node runs): client -> func(node, url) url.
var promNodeURLs sync.Map

func (c *Client) promNodeURL(node, endpoint string) string {
	if f, ok := promNodeURLs.Load(c); ok {
		return f.(func(node, endpoint string) string)(node, endpoint)
	}
	return endpoint
}
