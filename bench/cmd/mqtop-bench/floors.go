package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// recReq is one request mqtop sent, as the recording proxy saw it.
type recReq struct {
	Base, URI, Accept, AcceptEncoding string
}

func (r recReq) path() string { p, _, _ := strings.Cut(r.URI, "?"); return p }

// recorder sits between mqtop and the broker to learn the exact requests
// mqtop sends (so the floors are timed on the same URLs and headers) and to
// count polls (one /api/overview per poll).
type recorder struct {
	mu          sync.Mutex
	reqs        []recReq
	overviews   atomic.Int64
	contentEnc  atomic.Value
	mgmt, prom  string // proxy URLs (prom: one per endpoint, comma-separated)
	stopServers []func()
}

func newRecorder(b *broker) (*recorder, error) {
	r := &recorder{}
	var err error
	if r.mgmt, err = r.proxy(b.mgmtURL); err != nil {
		return nil, err
	}
	// One proxy per Prometheus endpoint (every node's, on a cluster).
	var proms []string
	for _, u := range strings.Split(b.promURL, ",") {
		p, err := r.proxy(u)
		if err != nil {
			r.close()
			return nil, err
		}
		proms = append(proms, p)
	}
	r.prom = strings.Join(proms, ",")
	return r, nil
}

func (r *recorder) proxy(target string) (string, error) {
	tu, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	rp := httputil.NewSingleHostReverseProxy(tu)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	rp.ModifyResponse = func(resp *http.Response) error {
		if ce := resp.Header.Get("Content-Encoding"); ce != "" {
			r.contentEnc.Store(ce)
		}
		return nil
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, recReq{Base: target, URI: req.URL.RequestURI(), Accept: req.Header.Get("Accept"),
			AcceptEncoding: req.Header.Get("Accept-Encoding")})
		r.mu.Unlock()
		if req.URL.Path == "/api/overview" {
			r.overviews.Add(1)
		}
		rp.ServeHTTP(w, req)
	})}
	go func() { _ = srv.Serve(l) }()
	r.stopServers = append(r.stopServers, func() { _ = srv.Close() })
	return "http://" + l.Addr().String(), nil
}

func (r *recorder) take() []recReq {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

func (r *recorder) close() {
	for _, f := range r.stopServers {
		f()
	}
}

// Floor is the broker's own time and bytes for one query (or one batch).
type Floor struct {
	Label    string
	Query    string  // path and query, shortened for the table
	MedianMs float64 // per query; per batch for the per-queue GETs
	MinMs    float64
	SumOver8 float64 // batches: sum of the transfers' times / 8, per batch
	Bytes    int64   // on the wire (compressed as mqtop would get it); per batch for batches
	N        int
	TimedOut bool // given up after MedianMs (the cap): the real time is longer
}

// screen is what one refresh of one source and order sent.
type screen struct {
	overview, nodes, members, page recReq
	scrapes                        []recReq // one per node's endpoint
	gets                           []recReq
}

// membersQuery is the member list a cluster's index asks for before its
// scrapes (mgmt's members()), apart from the poll's node health.
const membersQuery = "columns=name%2Crunning"

func classify(reqs []recReq) (s screen) {
	for _, r := range reqs {
		switch p := r.path(); {
		case p == "/api/overview":
			s.overview = r
		case p == "/api/nodes" && strings.Contains(r.URI, membersQuery):
			s.members = r
		case p == "/api/nodes":
			s.nodes = r
		case p == "/metrics/detailed":
			s.scrapes = append(s.scrapes, r)
		case p == "/api/queues":
			s.page = r
		case strings.HasPrefix(p, "/api/queues/"):
			s.gets = append(s.gets, r)
		}
	}
	return s
}

// discover runs mqtop's refresh through the recorder for each source and
// order and returns what it sent.
func discover(b *broker, res *SizeResult) (map[string]screen, error) {
	rec, err := newRecorder(b)
	if err != nil {
		return nil, err
	}
	defer rec.close()
	out := map[string]screen{}
	for _, c := range []struct{ source, order string }{{"prometheus", "name"}, {"prometheus", "depth"}, {"management", "name"}, {"management", "depth"}} {
		m, cs, cl, err := newModel(rec.mgmt, rec.prom, c.source, c.order)
		if err != nil {
			return nil, err
		}
		// A refresh that fails (a timeout at the broker) still shows what was sent.
		rec.take()
		if _, err := cycleOnce(m); err != nil {
			res.note("discovering %s/%s, first refresh: %v", c.source, c.order, err)
		}
		cold := classify(rec.take())
		if _, err := cycleOnce(m); err != nil {
			res.note("discovering %s/%s, second refresh: %v", c.source, c.order, err)
		}
		warm := classify(rec.take())
		cl.Close()
		if got := cs.lastSort(); got != orderSort(c.order) {
			return nil, fmt.Errorf("%s/%s: the list asked for %s order", c.source, c.order, got)
		}
		if st := cs.Status().Source; st != c.source {
			res.note("%s/%s: served by %s", c.source, c.order, st)
		}
		warm.scrapes, warm.members = cold.scrapes, cold.members
		out[c.source+"/"+c.order] = warm
		if p := cs.lastPage(); len(p.Queues) > 0 {
			logf("%s/%s: %d rows, first %s (%d messages), %d GETs", c.source, c.order, len(p.Queues),
				p.Queues[0].Name, p.Queues[0].Messages.N, len(warm.gets))
		}
		if warm.overview.AcceptEncoding != "" {
			res.GoAcceptEncoding = warm.overview.AcceptEncoding
		}
	}
	if ce, ok := rec.contentEnc.Load().(string); ok {
		res.ContentEncoding = ce
	}
	return out, nil
}

func measureFloors(b *broker, res *SizeResult, st settings) error {
	scr, err := discover(b, res)
	if err != nil {
		return err
	}
	enc := res.GoAcceptEncoding
	pn, pd, mn, md := scr["prometheus/name"], scr["prometheus/depth"], scr["management/name"], scr["management/depth"]
	one := func(key, label string, r recReq, reps int) {
		f, err := curlOne(r.Base+r.URI, r.Accept, enc, reps)
		if err != nil {
			res.note("floor %s: %v", key, err)
			return
		}
		f.Label, f.Query = label, short(r.URI)
		res.Floors[key] = f
		logf("floor %-12s %8.1f ms %9d B  %s", key, f.MedianMs, f.Bytes, f.Query)
	}
	one("overview", "overview (every poll)", pn.overview, st.Reps)
	one("nodes", "nodes (every poll)", pn.nodes, st.Reps)
	switch len(pn.scrapes) {
	case 0:
		res.note("floor scrape: mqtop scraped no Prometheus endpoint")
	case 1:
		one("scrape", "Prometheus scrape (index)", pn.scrapes[0], st.Reps)
	default:
		// A cluster: the member list, then every node's endpoint at once.
		if pn.members.URI != "" {
			one("members", "cluster members (before each scrape)", pn.members, st.Reps)
		}
		f, err := curlBatch(pn.scrapes, enc, len(pn.scrapes), st.Reps)
		if err != nil {
			res.note("floor scrape: %v", err)
			break
		}
		f.Label = fmt.Sprintf("Prometheus scrape (index), every node's endpoint in parallel (%d)", len(pn.scrapes))
		f.Query = short(pn.scrapes[0].URI) + " …"
		res.Floors["scrape"] = f
		logf("floor %-12s %8.1f ms %9d B  (%d endpoints in parallel)", "scrape", f.MedianMs, f.Bytes, len(pn.scrapes))
	}
	for _, g := range []struct {
		key, label string
		gets       []recReq
	}{{"gets-name", "per-queue GETs, name screen", pn.gets}, {"gets-depth", "per-queue GETs, depth screen", pd.gets}} {
		f, err := curlBatch(g.gets, enc, 8, st.Reps)
		if err != nil {
			res.note("floor %s: %v", g.key, err)
			continue
		}
		f.Label = fmt.Sprintf("%s (%d, 8 in parallel)", g.label, len(g.gets))
		if len(g.gets) > 0 {
			f.Query = short(g.gets[0].URI) + " …"
		}
		res.Floors[g.key] = f
		logf("floor %-12s %8.1f ms %9d B  (sum/8 %.1f ms)", g.key, f.MedianMs, f.Bytes, f.SumOver8)
	}
	one("page-name", "management page, name order", mn.page, st.Reps)
	one("page-depth", "management page, depth order", md.page, st.Reps)
	accept := mn.page.Accept
	if f, err := curlCapped(b.mgmtURL+"/api/queues", accept, enc, min(st.Reps, 3), st.FullListCap); err != nil {
		res.note("floor peer-full: %v", err)
	} else {
		f.Label, f.Query = "peers: full queue list", "/api/queues"
		res.Floors["peer-full"] = f
		logf("floor %-12s %8.1f ms %9d B  timed out: %v", "peer-full", f.MedianMs, f.Bytes, f.TimedOut)
	}
	one("peer-sort", "peers: management depth sort, page of 50",
		recReq{Base: b.mgmtURL, URI: "/api/queues?page=1&page_size=50&sort=messages&sort_reverse=true", Accept: accept}, st.Reps)
	return nil
}

func short(uri string) string {
	if len(uri) > 90 {
		return uri[:87] + "…"
	}
	return uri
}
