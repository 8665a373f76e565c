package mgmt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// QueueSource serves windows of the queue list. Two implementations sit
// behind it: the Prometheus index (every queue's depth in one cheap scrape,
// sorted and filtered locally) and the paged management query.
type QueueSource interface {
	QueuePage(ctx context.Context, q QueueQuery) (QueuePage, error)
}

// SourceStatus tells the header which source served and how old the index is.
type SourceStatus struct {
	Source    string        // "prometheus" or "management"
	IndexAge  time.Duration // age of the Prometheus index, 0 for management
	IndexTook time.Duration // how long the last scrape took
	Fallback  string        // why the Prometheus source is not used, if it is not
	// Distrust is set when the Prometheus endpoint was refused for being
	// another broker's, or its index misses queues: what the operator must
	// be told, not just a routine fallback.
	Distrust string
}

// ManagementSource is the paged management query.
type ManagementSource struct{ C *Client }

func (m ManagementSource) QueuePage(ctx context.Context, q QueueQuery) (QueuePage, error) {
	return m.C.ListQueuesPage(ctx, q)
}

// IndexSource keeps the Prometheus index of every queue and fetches full
// rows only for the window asked for.
type IndexSource struct {
	C           *Client
	Parallel    int           // per-queue GETs in flight; default 8
	MinInterval time.Duration // never scrape more often than this; default 2s

	mu    sync.Mutex
	index []IndexEntry
	gen   uint64 // counts the scrapes, to know when view is out of date
	scope string // vhost the index covers ("" all)
	// consumers says the index holds consumer counts: a fresh start
	// ordered by depth scrapes without them (a third of the broker's time
	// at 50,000 queues) and fills them in with a background scrape at once.
	consumers bool
	at        time.Time
	took      time.Duration
	inflight  bool
	lastErr   error
	view      indexView // the index filtered and sorted for the last query
	gaps      int       // consecutive scrapes that found fewer queues than the cluster has
	gap       string    // why the index is incomplete, while gaps >= 2
	lacking   string    // the nodes of a cluster the last scrape has no queues of
}

// indexView is the index filtered and sorted for one query, kept until the
// next scrape: refreshes between scrapes (most of them with 50,000 queues)
// then cost a slice of it, not a regex match and sort of every queue.
type indexView struct {
	gen    uint64
	filter string
	re     *regexp.Regexp
	sort   SortKey
	desc   bool
	total  int
	rows   []IndexEntry
}

// buildView filters and sorts idx for the query of v (rows not set).
func buildView(idx []IndexEntry, v indexView) indexView {
	rows := make([]IndexEntry, 0, len(idx))
	for _, e := range idx {
		if v.re == nil || v.re.MatchString(e.Name) {
			rows = append(rows, e)
		}
	}
	SortIndex(rows, v.sort, v.desc)
	v.rows, v.total = rows, len(idx)
	return v
}

// indexInterval grows with the scrape time so a slow scrape (tens of
// thousands of queues) runs less often than the rows on screen refresh:
// at 50,000 queues a scrape costs the broker ~2.7 s, so every ~27 s. The
// rows on screen stay live (their own GETs each refresh); only the order
// and the matches lag, and the header shows the index's age.
func (s *IndexSource) indexInterval() time.Duration {
	iv := s.MinInterval
	if iv <= 0 {
		iv = 2 * time.Second
	}
	if d := indexIntervalFactor * s.took; d > iv {
		iv = d
	}
	return iv
}

// indexIntervalFactor: the index is scraped at most once per this many
// scrape durations (5 cost the broker 0.36 of full-list polling's CPU at
// 50,000 queues, over the ⅓ target).
const indexIntervalFactor = 10

// Status reports the index age and scrape time.
func (s *IndexSource) Status() SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SourceStatus{Source: "prometheus", IndexTook: s.took}
	if !s.at.IsZero() {
		st.IndexAge = time.Since(s.at)
	}
	return st
}

// refresh scrapes the index (with the consumer counts or not); callers
// hold no lock. A background scrape also filters and sorts the new index
// for the last query before publishing it, so the refresh that follows
// slices a ready view instead of sorting every queue on the poll's path.
func (s *IndexSource) refresh(ctx context.Context, vhost string, consumers, background bool) error {
	start := time.Now()
	s.mu.Lock()
	prev, last := s.index, s.view
	s.mu.Unlock()
	r, err := s.C.scrapeIndex(ctx, vhost, prev, consumers)
	idx, id := r.idx, r.id
	scraped := len(idx)
	if err == nil {
		idx, err = s.C.onlyVisible(ctx, idx)
	}
	took := time.Since(start)
	var view indexView
	if err == nil && background && last.rows != nil {
		view = buildView(idx, last)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = false
	s.lastErr = err
	if err != nil {
		return err
	}
	s.index, s.scope, s.at, s.consumers = idx, vhost, time.Now(), consumers
	// A scrape without consumer counts is not the steady cost: the
	// interval follows the full scrapes.
	if consumers || s.took == 0 {
		s.took = took
	}
	s.gen++
	if view.rows != nil {
		view.gen = s.gen
		s.view = view
	}
	s.checkComplete(vhost, scraped, id)
	s.lacking = r.lackingText() // a node not scraped: known at once, no tolerance
	return nil
}

// checkComplete compares the index with the cluster's queue count. The
// count comes from the statistics database and lags queues being declared
// and deleted, so a gap counts only beyond a tolerance and on two scrapes in
// a row. Per-vhost scopes are not checked: the overview counts the cluster.
func (s *IndexSource) checkComplete(vhost string, have int, id Identity) {
	if vhost != "" || !id.Queues.OK {
		s.gaps, s.gap = 0, ""
		return
	}
	want := int(id.Queues.N)
	if want-have <= max(2, want/100) {
		s.gaps, s.gap = 0, ""
		return
	}
	s.gaps++
	if s.gaps >= 2 {
		s.gap = fmt.Sprintf("the prometheus index has %d of the cluster's %d queues", have, want)
	}
}

// Incomplete says why the index misses queues the cluster has, or "".
func (s *IndexSource) Incomplete() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lacking != "" {
		return s.lacking
	}
	return s.gap
}

// ensureIndex scrapes synchronously when there is no usable index (first
// use, or the vhost scope changed). When the index is merely old it returns
// it with a function that starts a background scrape: QueuePage calls it
// once the rows on screen are fetched, so the scrape (a second of broker
// time at 50,000 queues) never competes with them and the rows never wait.
//
// The first scrape of an order that does not need consumer counts leaves
// them out (a third of the broker's time at 50,000 queues); the background
// scrape that follows at once brings them. An index without them is not
// usable for the consumers order.
func (s *IndexSource) ensureIndex(ctx context.Context, vhost string, sort SortKey) ([]IndexEntry, uint64, func(), error) {
	s.mu.Lock()
	stale := time.Since(s.at) >= s.indexInterval()
	// An index that lacked a node is scraped again before it is served
	// once it is old: the node may be back, and the list should come back
	// to the index at once rather than a retry period later.
	usable := !s.at.IsZero() && s.scope == vhost && (s.consumers || sort != SortConsumers) && !(s.lacking != "" && stale)
	old := usable && (!s.consumers || stale)
	var later func()
	if usable && old && !s.inflight {
		later = s.backgroundScrape(vhost)
	}
	idx, gen := s.index, s.gen
	s.mu.Unlock()
	if usable {
		return idx, gen, later, nil
	}
	if err := s.refresh(ctx, vhost, sort == SortConsumers, false); err != nil {
		return nil, 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.consumers && !s.inflight {
		later = s.backgroundScrape(vhost)
	}
	return s.index, s.gen, later, nil
}

// backgroundScrape marks a scrape in flight and returns the function that
// starts it (a full one, consumer counts included); s.mu is held.
func (s *IndexSource) backgroundScrape(vhost string) func() {
	s.inflight = true
	return func() {
		go func() {
			bctx, cancel := context.WithTimeout(context.Background(), 3*s.C.timeout)
			defer cancel()
			_ = s.refresh(bctx, vhost, true, true)
		}()
	}
}

// IndexSortable reports whether the index can sort by the key locally.
func IndexSortable(k SortKey) bool {
	switch k {
	case SortName, SortVHost, SortReady, SortUnacked, SortMessages, SortConsumers, "":
		return true
	}
	return false
}

func (s *IndexSource) QueuePage(ctx context.Context, q QueueQuery) (QueuePage, error) {
	if !IndexSortable(q.Sort) {
		return QueuePage{}, fmt.Errorf("the prometheus index cannot sort by %s", q.Sort)
	}
	var re *regexp.Regexp
	if q.Filter != "" {
		var err error
		if re, err = regexp.Compile(q.Filter); err != nil {
			return QueuePage{}, fmt.Errorf("bad filter: %w", err)
		}
	}
	idx, gen, scrapeLater, err := s.ensureIndex(ctx, q.VHost, q.Sort)
	if err != nil {
		return QueuePage{}, err
	}
	rows := s.sortedView(idx, gen, re, q)
	page := QueuePage{Matched: len(rows), Total: len(idx), Source: "prometheus", Offset: clamp(q.Offset, 0, len(rows))}
	end := clamp(page.Offset+q.Limit, page.Offset, len(rows))
	window := rows[page.Offset:end]
	s.mu.Lock()
	consumers := s.consumers && s.gen == gen
	s.mu.Unlock()
	page.Queues, err = s.details(ctx, window, consumers)
	if q.Track != nil {
		page.Tracked = trackInIndex(*q.Track, idx, rows)
		if q.VHost != "" && q.Track.VHost != q.VHost {
			page.Tracked.Gone, page.Tracked.Unmatched = false, true
		}
	}
	if scrapeLater != nil {
		scrapeLater()
	}
	return page, err
}

// trackInIndex ranks the tracked queue in the sorted view: the index knows
// every queue's position, so the cursor's window can follow it anywhere.
func trackInIndex(ref QueueRef, idx, rows []IndexEntry) *Tracked {
	t := &Tracked{Ref: ref, Rank: -1}
	for i := range rows {
		if rows[i].Name == ref.Name && rows[i].VHost == ref.VHost {
			t.Rank = i
			return t
		}
	}
	t.Gone = true
	for i := range idx {
		if idx[i].Name == ref.Name && idx[i].VHost == ref.VHost {
			t.Gone, t.Unmatched = false, true
			break
		}
	}
	return t
}

// sortedView filters and sorts the index for q, or reuses the last result
// when neither the index nor the query's filter and order changed. The
// result is never modified afterwards, so callers may keep slices of it.
func (s *IndexSource) sortedView(idx []IndexEntry, gen uint64, re *regexp.Regexp, q QueueQuery) []IndexEntry {
	s.mu.Lock()
	v := s.view
	s.mu.Unlock()
	if v.rows != nil && v.gen == gen && v.filter == q.Filter && v.sort == q.Sort && v.desc == q.Desc && v.total == len(idx) {
		return v.rows
	}
	v = buildView(idx, indexView{gen: gen, filter: q.Filter, re: re, sort: q.Sort, desc: q.Desc})
	s.mu.Lock()
	if s.gen == gen {
		s.view = v
	}
	s.mu.Unlock()
	return v.rows
}

// details fetches the full row of each queue in the window, bounded in
// parallel; a queue deleted since the scrape keeps its index values (the
// consumer count only when the index has them).
func (s *IndexSource) details(ctx context.Context, window []IndexEntry, consumers bool) ([]Queue, error) {
	out := make([]Queue, len(window))
	g, gctx := errgroup.WithContext(ctx)
	par := s.Parallel
	if par <= 0 {
		par = 8
	}
	g.SetLimit(par)
	for i, e := range window {
		out[i] = Queue{VHost: e.VHost, Name: e.Name, Ready: C(e.Ready), Unacked: C(e.Unacked), Messages: C(e.Messages)}
		if consumers {
			out[i].Consumers = C(e.Consumers)
		}
		g.Go(func() error {
			q, err := s.C.GetQueue(gctx, e.VHost, e.Name)
			switch {
			case err == nil:
				// Stats lag a new queue by one emission interval; the
				// index may already know its depth.
				if !q.Messages.OK {
					q.Ready, q.Unacked, q.Messages = out[i].Ready, out[i].Unacked, out[i].Messages
				}
				if !q.Consumers.OK {
					q.Consumers = out[i].Consumers
				}
				out[i] = q
			case StatusOf(err) == 404:
				out[i].State = "deleted"
			default:
				return err
			}
			return nil
		})
	}
	return out, g.Wait()
}

// SortIndex sorts entries by key; ties break by vhost then name so the
// order is stable between refreshes.
func SortIndex(rows []IndexEntry, k SortKey, desc bool) {
	var val func(e *IndexEntry) int64
	switch k {
	case SortReady:
		val = func(e *IndexEntry) int64 { return e.Ready }
	case SortUnacked:
		val = func(e *IndexEntry) int64 { return e.Unacked }
	case SortMessages:
		val = func(e *IndexEntry) int64 { return e.Messages }
	case SortConsumers:
		val = func(e *IndexEntry) int64 { return e.Consumers }
	}
	byName := k == SortName || k == SortVHost || k == ""
	flip := func(c int) int {
		if desc {
			return -c
		}
		return c
	}
	// The order is total (vhost and name identify a queue), so an unstable
	// sort gives the same result as a stable one.
	slices.SortFunc(rows, func(a, b IndexEntry) int {
		if k == SortVHost {
			if c := strings.Compare(a.VHost, b.VHost); c != 0 {
				return flip(c)
			}
		}
		if val != nil {
			if va, vb := val(&a), val(&b); va != vb {
				return flip(cmp.Compare(va, vb))
			}
		}
		if byName {
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return flip(c)
			}
			return strings.Compare(a.VHost, b.VHost)
		}
		if c := strings.Compare(a.VHost, b.VHost); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// AutoSource uses the Prometheus index while it answers and the management
// query otherwise, retrying the index now and then to come back on its own.
type AutoSource struct {
	Index *IndexSource
	Mgmt  ManagementSource
	Retry time.Duration // how long to stay on management after a failed scrape; default 30s

	mu       sync.Mutex
	downTill time.Time
	reason   string
	distrust string
	last     string
}

func (a *AutoSource) QueuePage(ctx context.Context, q QueueQuery) (QueuePage, error) {
	useIndex := a.Index != nil && IndexSortable(q.Sort)
	a.mu.Lock()
	if time.Now().Before(a.downTill) {
		useIndex = false
	}
	a.mu.Unlock()
	if useIndex {
		p, err := a.Index.QueuePage(ctx, q)
		if err == nil {
			if gap := a.Index.Incomplete(); gap != "" {
				// A list missing queues could hide the deepest one: the
				// management API lists them all.
				err = errors.New(gap)
			}
		}
		if err == nil {
			a.setLast("prometheus", "")
			return p, nil
		}
		if ctx.Err() != nil {
			return p, err
		}
		retry := a.Retry
		if retry <= 0 {
			retry = 30 * time.Second
		}
		var wb *WrongBroker
		a.mu.Lock()
		a.downTill = time.Now().Add(retry)
		a.distrust = ""
		if errors.As(err, &wb) || a.Index.Incomplete() != "" {
			a.distrust = err.Error()
		}
		a.mu.Unlock()
		a.setLast("management", err.Error())
	} else if a.Index == nil {
		a.setLast("management", "prometheus source disabled")
	} else if !IndexSortable(q.Sort) {
		a.setLast("management", "sorted by "+string(q.Sort)+" on the server")
	}
	p, err := a.Mgmt.QueuePage(ctx, q)
	if err == nil && p.Source == "management" {
		a.mu.Lock()
		a.last = "management"
		a.mu.Unlock()
	}
	return p, err
}

func (a *AutoSource) setLast(src, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = src
	if reason != "" || src == "prometheus" {
		a.reason = reason
	}
	if src == "prometheus" {
		a.distrust = ""
	}
}

// Status says which source served the last page and why.
func (a *AutoSource) Status() SourceStatus {
	a.mu.Lock()
	last, reason, distrust := a.last, a.reason, a.distrust
	a.mu.Unlock()
	if last == "prometheus" && a.Index != nil {
		return a.Index.Status()
	}
	return SourceStatus{Source: "management", Fallback: reason, Distrust: distrust}
}
