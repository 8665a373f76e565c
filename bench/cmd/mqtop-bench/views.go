package main

// mqtop-bench views: every list view's first screen (one mgmt call, Limit =
// 32 rows, offset 0, default sort) against its floor (the same HTTP
// requests by curl, spaced like mqtop's polls) and against the full
// unpaged list the peers (TBunny, rabtap) fetch, on a broker holding many
// exchanges, bindings, connections and channels.
//
//	mqtop-bench views -out DIR        (broker from MQTOP_TEST_* env; writes views.json and views.md)
//	mqtop-bench views-report DIR/views.json   (Markdown to stdout)
//	mqtop-bench hold-conns ...        (child: holds the AMQP connections)
//
// Sizes come from MQTOP_BENCH_VIEW_CONNS (5000), _CHANNELS (2 per
// connection), _EXCHANGES (10000), _BINDINGS (20000), _QUEUES (200),
// _USERS (100), _POLICIES (50), _CONSUME (1: each connection's last
// channel consumes); MQTOP_BENCH_VIEW_REPS (9) rounds per view.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mqtop/mqtop/mgmt"
)

// The subcommands are dispatched here, before main's switch sees them, so
// that main.go stays as it is.
func init() {
	if len(os.Args) < 2 {
		return
	}
	var run func([]string) error
	switch os.Args[1] {
	case "views":
		run = runViews
	case "views-report":
		run = runViewsReport
	case "hold-conns":
		run = runHoldConns
	default:
		return
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "mqtop-bench:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// viewRows is the first screen at 120x40, as in the queue bench.
const viewRows = 32

type viewSizes struct {
	Conns, ChannelsPerConn, Exchanges, Bindings, Queues, Users, Policies int
	Consume                                                              bool
}

func loadViewSizes() viewSizes {
	return viewSizes{
		Conns: envInt("MQTOP_BENCH_VIEW_CONNS", 5000), ChannelsPerConn: envInt("MQTOP_BENCH_VIEW_CHANNELS", 2),
		Exchanges: envInt("MQTOP_BENCH_VIEW_EXCHANGES", 10000), Bindings: envInt("MQTOP_BENCH_VIEW_BINDINGS", 20000),
		Queues: envInt("MQTOP_BENCH_VIEW_QUEUES", 200), Users: envInt("MQTOP_BENCH_VIEW_USERS", 100),
		Policies: envInt("MQTOP_BENCH_VIEW_POLICIES", 50), Consume: os.Getenv("MQTOP_BENCH_VIEW_CONSUME") != "0",
	}
}

// Stat is the distribution of one timed thing, in ms.
type Stat struct {
	MedianMs, P90Ms, MinMs float64
	N                      int
	Bytes                  int64 `json:",omitempty"` // floors: bytes on the wire per call
}

func statOf(ms []float64) Stat {
	return Stat{MedianMs: median(ms), P90Ms: percentile(ms, 0.9), MinMs: minOf(ms), N: len(ms)}
}

// FullList is the peers' whole unpaged GET of the view's endpoint.
type FullList struct {
	Path              string
	FirstMs, MedianMs float64
	RunsMs            []float64
	Bytes             int64
	N                 int
	TimedOut          bool // given up after the cap (FirstMs/MedianMs hold the cap)
	// ClientMs: one GET of it by Go's net/http (gzip) decoded into
	// []map[string]any, as a peer's client does; 0 when not measured.
	ClientMs   float64
	ClientRows int
}

// ViewResult is one view.
type ViewResult struct {
	Name     string
	Paged    bool     // the API serves just the window
	Requests []string // what mqtop's call sent, in order
	Rows     int      // rows on the first screen
	Total    int      // rows in the whole list (the ListPage's Total)
	First    Stat     // mqtop: fresh client (new connection), one call
	Steady   Stat     // mqtop: kept client, one call per poll interval
	// The floors: the same requests by curl; first on a fresh connection,
	// steady with the TCP connect taken off (mqtop's connection is kept).
	FloorFirst, FloorSteady Stat
	Full                    FullList
	Errors                  []string `json:",omitempty"`
}

// ViewsResult is everything views measured; views-report reads it.
type ViewsResult struct {
	Sizes              viewSizes
	Reps               int
	Interval           time.Duration
	FullListCap        time.Duration
	ImportS, ConnectS  float64
	SettleS            float64
	Totals             objectTotals
	BrokerRSSMB        float64
	GoAcceptEncoding   string
	Views              []ViewResult
	Notes              []string
	StartedAt, EndedAt time.Time
}

func (r *ViewsResult) note(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	r.Notes = append(r.Notes, s)
	logf("note: %s", s)
}

// listView is one view's first-screen call and its peers' full list.
type listView struct {
	name, full string
	paged      bool
	call       func(ctx context.Context, c *mgmt.Client) (rows, total int, err error)
}

func pageOf[T any](p mgmt.ListPage[T], err error) (int, int, error) {
	return len(p.Items), p.Total, err
}

var listViews = []listView{
	{"exchanges", "/api/exchanges", true, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Exchanges(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"bindings", "/api/bindings", false, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Bindings(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"connections", "/api/connections", true, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Connections(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"channels", "/api/channels", true, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Channels(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"consumers", "/api/consumers", false, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Consumers(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"users", "/api/users", false, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Users(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"vhosts", "/api/vhosts", true, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.ListVHosts(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
	{"policies", "/api/policies", false, func(ctx context.Context, c *mgmt.Client) (int, int, error) {
		return pageOf(c.Policies(ctx, mgmt.ListQuery{Limit: viewRows}))
	}},
}

func newViewClient(base string) (*mgmt.Client, error) {
	return mgmt.New(mgmt.Options{URLs: []string{base}, User: user, Password: password, Timeout: 60 * time.Second})
}

func runViews(args []string) error {
	fs := flag.NewFlagSet("views", flag.ContinueOnError)
	outDir := fs.String("out", ".", "directory for views.json and views.md")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st := loadSettings()
	sz := loadViewSizes()
	if sz.Exchanges < 1 || sz.Queues < 1 {
		return fmt.Errorf("need at least one exchange and one queue")
	}
	b, err := brokerFromEnv()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := &ViewsResult{Sizes: sz, Reps: envInt("MQTOP_BENCH_VIEW_REPS", 9), Interval: st.Interval, FullListCap: st.FullListCap,
		StartedAt: time.Now().UTC()}
	out := filepath.Join(*outDir, "views.json")
	save := func() error {
		res.EndedAt = time.Now().UTC()
		return saveResult(out, res, filepath.Join(*outDir, "views.md"), func(w io.Writer) { writeViews(w, res) })
	}

	logf("== views: import %d exchanges, %d bindings, %d queues, %d users, %d policies", sz.Exchanges, sz.Bindings, sz.Queues, sz.Users, sz.Policies)
	defs, err := viewDefinitions(sz)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := apiPost(b, "definitions", defs, 30*time.Minute); err != nil {
		return fmt.Errorf("import definitions: %w", err)
	}
	res.ImportS = time.Since(start).Seconds()
	logf("imported %d KB of definitions in %.1fs", len(defs)>>10, res.ImportS)

	logf("== views: open %d connections with %d channels each (child process)", sz.Conns, sz.ChannelsPerConn)
	h, took, err := startHolder(self, b, sz, 30*time.Minute)
	res.ConnectS = took.Seconds()
	if err != nil {
		_ = save()
		return err
	}
	defer h.stop()
	start = time.Now()
	if res.Totals, err = waitTotals(b, sz, 15*time.Minute); err != nil {
		_ = save()
		return err
	}
	res.SettleS = time.Since(start).Seconds()
	res.BrokerRSSMB = brokerRSS(b)
	logf("statistics show %+v after %.1fs; broker rss %.0f MB", res.Totals, res.SettleS, res.BrokerRSSMB)

	reqs, err := discoverViews(b, res)
	if err != nil {
		_ = save()
		return err
	}
	for _, v := range listViews {
		logf("== views: %s", v.name)
		res.Views = append(res.Views, measureView(b, res, v, reqs[v.name]))
		if err := save(); err != nil {
			return err
		}
	}
	// The full lists last: the broker caches a list for a multiple of its
	// duration, which must not serve the paged measurements above.
	for i, v := range listViews {
		logf("== views: full %s", v.full)
		res.Views[i].Full = measureFull(b, res, v.full)
		if err := save(); err != nil {
			return err
		}
	}
	logf("== views: done, %s", out)
	return nil
}

// discoverViews runs every view's call once through the recording proxy.
func discoverViews(b *broker, res *ViewsResult) (map[string][]recReq, error) {
	rec, err := newRecorder(b)
	if err != nil {
		return nil, err
	}
	defer rec.close()
	c, err := newViewClient(rec.mgmt)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	out := map[string][]recReq{}
	for _, v := range listViews {
		rec.take()
		err := withTimeout(2*time.Minute, func(ctx context.Context) error {
			rows, total, err := v.call(ctx, c)
			logf("%s: %d rows of %d", v.name, rows, total)
			return err
		})
		if err != nil {
			res.note("%s through the recorder: %v", v.name, err)
		}
		out[v.name] = rec.take()
		for _, r := range out[v.name] {
			if r.AcceptEncoding != "" {
				res.GoAcceptEncoding = r.AcceptEncoding
			}
		}
	}
	return out, nil
}

// measureView times reps rounds, one every interval; in each, a quarter
// interval apart: mqtop on a fresh client, curl on a fresh connection,
// mqtop on its kept client, curl with the connect taken off. So each kind
// of request comes once per interval, as mqtop polls.
func measureView(b *broker, res *ViewsResult, v listView, reqs []recReq) ViewResult {
	vr := ViewResult{Name: v.name, Paged: v.paged}
	fail := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		vr.Errors = append(vr.Errors, s)
		res.note("%s: %s", v.name, s)
	}
	for _, r := range reqs {
		vr.Requests = append(vr.Requests, r.URI)
	}
	if len(reqs) == 0 {
		fail("no requests recorded")
		return vr
	}
	enc := res.GoAcceptEncoding
	kept, err := newViewClient(b.mgmtURL)
	if err != nil {
		fail("%v", err)
		return vr
	}
	defer kept.Close()
	timeCall := func(c *mgmt.Client) (float64, error) {
		var ms float64
		err := withTimeout(2*time.Minute, func(ctx context.Context) error {
			t := time.Now()
			rows, total, err := v.call(ctx, c)
			ms = float64(time.Since(t).Microseconds()) / 1000
			vr.Rows, vr.Total = rows, total
			return err
		})
		return ms, err
	}
	if _, err := timeCall(kept); err != nil { // opens the kept connection
		fail("warm-up: %v", err)
	}
	var first, steady, ffirst, fsteady []float64
	var bytesOnWire []float64
	// Each step starts a quarter interval after the last one started, and
	// at least an eighth of one after it ended.
	gap := res.Interval / 4
	var last time.Time
	wait := func() {
		at := last.Add(gap)
		if soon := time.Now().Add(gap / 2); at.Before(soon) {
			at = soon
		}
		time.Sleep(time.Until(at))
		last = time.Now()
	}
	for i := 0; i < res.Reps; i++ {
		wait()
		if c, err := newViewClient(b.mgmtURL); err == nil {
			if ms, err := timeCall(c); err != nil {
				fail("first screen: %v", err)
			} else {
				first = append(first, ms)
			}
			c.Close()
		}
		wait()
		if f, s, n, err := curlSeq(reqs, enc); err != nil {
			fail("floor: %v", err)
		} else {
			ffirst, bytesOnWire = append(ffirst, f), append(bytesOnWire, float64(n))
			_ = s
		}
		wait()
		if ms, err := timeCall(kept); err != nil {
			fail("steady refresh: %v", err)
		} else {
			steady = append(steady, ms)
		}
		wait()
		if _, s, _, err := curlSeq(reqs, enc); err != nil {
			fail("floor: %v", err)
		} else {
			fsteady = append(fsteady, s)
		}
	}
	vr.First, vr.Steady = statOf(first), statOf(steady)
	vr.FloorFirst, vr.FloorSteady = statOf(ffirst), statOf(fsteady)
	vr.FloorFirst.Bytes = int64(median(bytesOnWire))
	vr.FloorSteady.Bytes = vr.FloorFirst.Bytes
	logf("%-12s mqtop first %7.1f ms (floor %7.1f), steady %7.1f ms (floor %7.1f), %d B, %d rows of %d, %d requests",
		v.name, vr.First.MedianMs, vr.FloorFirst.MedianMs, vr.Steady.MedianMs, vr.FloorSteady.MedianMs,
		vr.FloorFirst.Bytes, vr.Rows, vr.Total, len(reqs))
	return vr
}

// curlSeq sends the recorded requests in order in one curl on one
// connection (as mqtop's client does) and returns the total ms with the
// connection set-up (first) and without it (steady), and the bytes.
func curlSeq(reqs []recReq, enc string) (first, steady float64, size int64, err error) {
	args := []string{"-q", "-s", "--noproxy", "*", "-u", user + ":" + password, "--max-time", "120",
		"-w", "%{time_total} %{time_connect} %{size_download} %{http_code}\\n"}
	if a := reqs[0].Accept; a != "" {
		args = append(args, "-H", "Accept: "+a)
	}
	if enc != "" {
		args = append(args, "-H", "Accept-Encoding: "+enc)
	}
	for _, r := range reqs {
		args = append(args, "-o", "/dev/null", r.Base+r.URI)
	}
	var out bytes.Buffer
	cmd := exec.Command("curl", args...)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, fmt.Errorf("curl: %v", err)
	}
	sc := bufio.NewScanner(&out)
	var connect float64
	k := 0
	for sc.Scan() {
		var total, conn float64
		var n int64
		var code int
		if _, err := fmt.Sscan(sc.Text(), &total, &conn, &n, &code); err != nil {
			return 0, 0, 0, fmt.Errorf("curl -w output %q: %v", sc.Text(), err)
		}
		if code != 200 {
			return 0, 0, 0, fmt.Errorf("%s: HTTP %d", reqs[k].path(), code)
		}
		if k == 0 {
			connect = conn
		}
		first += total * 1000
		size += n
		k++
	}
	if k != len(reqs) {
		return 0, 0, 0, fmt.Errorf("curl reported %d of %d transfers", k, len(reqs))
	}
	return first, first - connect*1000, size, nil
}

// measureFull times the peers' unpaged GET up to 3 times, an interval
// apart, each given up after the cap; after a timeout it is not repeated.
func measureFull(b *broker, res *ViewsResult, path string) FullList {
	fl := FullList{Path: path}
	var secs, sizes []float64
	for i := 0; i < 3; i++ {
		if i > 0 {
			time.Sleep(res.Interval)
		}
		ts, _, err := curlMax([]string{b.mgmtURL + path}, "", res.GoAcceptEncoding, 1, res.FullListCap)
		if err == errCurlTimeout {
			capMs := res.FullListCap.Seconds() * 1000
			fl.TimedOut, fl.N = true, i+1
			if i == 0 {
				fl.FirstMs = capMs
			}
			fl.MedianMs = capMs
			break
		}
		if err != nil {
			res.note("full %s: %v", path, err)
			break
		}
		secs, sizes = append(secs, ts[0].sec*1000), append(sizes, float64(ts[0].size))
		if i == 0 {
			fl.FirstMs = ts[0].sec * 1000
		}
		// A slow list is not repeated: it is the peers' cost either way.
		if ts[0].sec > 20 {
			break
		}
	}
	if !fl.TimedOut {
		fl.MedianMs, fl.N = median(secs), len(secs)
		time.Sleep(res.Interval)
		if ms, rows, err := fullClient(b, path, res.FullListCap); err != nil {
			res.note("full %s, client: %v", path, err)
		} else {
			fl.ClientMs, fl.ClientRows = ms, rows
		}
	}
	fl.RunsMs = secs
	fl.Bytes = int64(median(sizes))
	logf("full %-18s first %8.1f ms, median %8.1f ms, %d B, timed out %v; client %.1f ms, %d rows", path, fl.FirstMs, fl.MedianMs,
		fl.Bytes, fl.TimedOut, fl.ClientMs, fl.ClientRows)
	return fl
}

// fullClient is a peer's poll of the whole list: GET (gzip) and decode.
func fullClient(b *broker, path string, limit time.Duration) (float64, int, error) {
	req, err := http.NewRequest(http.MethodGet, b.mgmtURL+path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.SetBasicAuth(user, password)
	t := time.Now()
	resp, err := (&http.Client{Timeout: limit}).Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, 0, fmt.Errorf("HTTP %s", resp.Status)
	}
	var rows []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		return 0, 0, err
	}
	return float64(time.Since(t).Microseconds()) / 1000, len(rows), nil
}
