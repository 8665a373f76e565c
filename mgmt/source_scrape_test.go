package mgmt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// scrapeRecorder is a proxy in front of the broker's Prometheus listener
// that records the families each scrape asked for.
type scrapeRecorder struct {
	mu      sync.Mutex
	scrapes []string
}

func (r *scrapeRecorder) start(t *testing.T, env testenv.Env) string {
	target, err := url.Parse(env.PromURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.scrapes = append(r.scrapes, strings.Join(req.URL.Query()["family"], ","))
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *scrapeRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.scrapes)
}

// A fresh start in depth order scrapes the depths alone (the consumer
// counts cost the broker twice as much again at 50,000 queues), serves the
// screen, and brings the consumer counts in the background at once; a
// fresh start in consumer order scrapes them before its first screen.
func TestIndexFreshStartScrapesDepthFirstThenConsumers(t *testing.T) {
	env := testenv.Broker(t)
	vh := seed(t, env, 12, 3) // q-12 has the one consumer (holding 3)
	// The metrics the index reads are emitted every statistics interval:
	// wait until they count the consumer, as a scrape must see it.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var q struct{ Consumers int }
		testenv.GetJSON(t, env, "queues/"+url.PathEscape(vh)+"/q-12", &q)
		return q.Consumers == 1, "q-12 shows no consumer yet"
	})
	var rec scrapeRecorder
	promURL := rec.start(t, env)
	c := client(t, env, func(o *mgmt.Options) { o.PrometheusURL = promURL })
	ctx := context.Background()
	// An hour between scrapes: any second scrape is the one that fills in
	// the consumer counts.
	src := &mgmt.IndexSource{C: c, MinInterval: time.Hour}
	p, err := src.QueuePage(ctx, mgmt.QueueQuery{VHost: vh, Sort: mgmt.SortMessages, Desc: true, Limit: 5})
	if err != nil || len(p.Queues) != 5 || p.Source != "prometheus" {
		t.Fatalf("first page: %v %+v", err, p)
	}
	if s := rec.seen(); len(s) < 1 || s[0] != "queue_coarse_metrics,identity_info" {
		t.Fatalf("first scrape asked for %q, want the depths and the identity only", s)
	}
	testenv.WaitFor(t, 10*time.Second, func() (bool, string) {
		s := rec.seen()
		return len(s) == 2 && s[1] == "queue_coarse_metrics,queue_consumer_count,identity_info", strings.Join(s, " | ")
	})
	// The index now orders by consumers without another scrape.
	waitPage(t, src, mgmt.QueueQuery{VHost: vh, Sort: mgmt.SortConsumers, Desc: true, Limit: 2}, func(p mgmt.QueuePage) string {
		if len(p.Queues) != 2 || p.Queues[0].Name != "q-12" || p.Queues[0].Consumers != mgmt.C(1) {
			return "by consumers: " + names(p)
		}
		return ""
	})
	if s := rec.seen(); len(s) != 2 {
		t.Fatalf("the consumers order scraped again: %q", s)
	}

	cold := &mgmt.IndexSource{C: c, MinInterval: time.Hour}
	if _, err := cold.QueuePage(ctx, mgmt.QueueQuery{VHost: vh, Sort: mgmt.SortConsumers, Desc: true, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	if s := rec.seen(); len(s) != 3 || s[2] != "queue_coarse_metrics,queue_consumer_count,identity_info" {
		t.Fatalf("a fresh start ordered by consumers scraped %q", s)
	}
}
