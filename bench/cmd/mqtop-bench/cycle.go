package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/tui"
)

// capSource keeps the last page served, to check what was on screen.
type capSource struct {
	tui.Source
	mu    sync.Mutex
	last  mgmt.QueuePage
	lastQ mgmt.QueueQuery
}

func (c *capSource) QueuePage(ctx context.Context, q mgmt.QueueQuery) (mgmt.QueuePage, error) {
	p, err := c.Source.QueuePage(ctx, q)
	c.mu.Lock()
	c.lastQ = q
	if err == nil {
		c.last = p
	}
	c.mu.Unlock()
	return p, err
}

// lastSort is the order of the last query the list sent.
func (c *capSource) lastSort() mgmt.SortKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastQ.Sort
}

// orderSort is the list's sort for a bench order.
func orderSort(order string) mgmt.SortKey {
	if order == "depth" {
		return mgmt.SortMessages
	}
	return mgmt.SortName
}

func (c *capSource) lastPage() mgmt.QueuePage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// newModel builds mqtop's root model as cmd/mqtop's connect() does (10 s
// per request, 30 s for the queue list; AutoSource with or without the
// Prometheus index) at 120x40.
func newModel(mgmtURL, promURL, source, order string) (*tui.Model, *capSource, *mgmt.Client, error) {
	timeout, listTimeout := 10*time.Second, 30*time.Second
	c, err := mgmt.New(mgmt.Options{URLs: []string{mgmtURL}, PrometheusURLs: strings.Split(promURL, ","), User: user, Password: password,
		Timeout: listTimeout, ObjectTimeout: timeout})
	if err != nil {
		return nil, nil, nil, err
	}
	src := &mgmt.AutoSource{Mgmt: mgmt.ManagementSource{C: c}}
	if source == "prometheus" {
		src.Index = &mgmt.IndexSource{C: c}
	}
	cs := &capSource{Source: src}
	m := tui.New(tui.Deps{Context: tui.Context{Name: "bench", Endpoint: c.Endpoint()}, Backend: c, Source: cs,
		Refresh: 2 * time.Second, Timeout: timeout, ListTimeout: listTimeout, Keys: keys.Default()})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	// The queue list opens deepest first; s cycles through its sorts
	// (messages, ready, unacked, consumers, in, out, type, state, vhost,
	// name). Every refresh checks the order the list asked for.
	if order == "name" {
		for range 9 {
			m.Update(tea.KeyPressMsg{Code: 's', Text: "s"})
		}
	}
	return m, cs, c, nil
}

// tick is one refresh: its time, the part spent in the poll command
// (requests + decoding), and the rendered screen's size.
type tick struct {
	total, poll time.Duration
	size        int
}

// cycleOnce is one refresh: request + decode (the poll command), update, render.
func cycleOnce(m *tui.Model) (tick, error) {
	start := time.Now()
	cmd := m.PollNow()
	if cmd == nil {
		return tick{}, errors.New("a poll was already in flight")
	}
	msg := cmd()
	polled := time.Since(start)
	m.Update(msg)
	screen := m.Render()
	t := tick{total: time.Since(start), poll: polled, size: len(screen)}
	if s, ok := msg.(tui.SnapshotLoaded); ok {
		if err := s.Err(); err != nil {
			return t, err
		}
	}
	return t, nil
}

// Cycle is mqtop's refresh through one source in one order.
type Cycle struct {
	Source, Order string
	Cold          bool // a fresh mqtop's first screen (Prometheus: scrape included)
	N, Errors     int
	Wrong         int // refreshes served by the other source
	MedianMs      float64
	PollMs        float64 // median of the poll command alone (requests + decoding)
	DrawMs        float64 // median of update + render
	P90Ms, MaxMs  float64
	FirstMs       float64 // the first refresh of the warm run (its own scrape)
	CPUms         float64 // getrusage over the timed refreshes
	PeakRSSMB     float64 // VmHWM
	SteadyRSSMB   float64 // median VmRSS over the second half of the refreshes
	HeapInuseMB   float64
	Scrapes       int // index scrapes seen during the timed refreshes
	Rows          int
	Top           string
	TopMessages   int64
	RenderBytes   int
	LastErr       string
}

func runCycle(args []string) error {
	fs := flag.NewFlagSet("cycle", flag.ContinueOnError)
	mgmtURL := fs.String("mgmt", "", "management URL")
	promURL := fs.String("prom", "", "Prometheus URL")
	source := fs.String("source", "prometheus", "prometheus or management")
	order := fs.String("order", "name", "name or depth")
	n := fs.Int("n", 30, "refreshes")
	interval := fs.Duration("interval", 2*time.Second, "refresh interval")
	cold := fs.Bool("cold", false, "time n fresh mqtops' first screens instead")
	prof := fs.String("profile", "", "write CPU and heap profiles with this path prefix")
	budget := fs.Duration("budget", 0, "stop after this long once MinRefreshes are timed (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *prof != "" {
		f, err := os.Create(*prof + ".cpu.pprof")
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
			if h, err := os.Create(*prof + ".heap.pprof"); err == nil {
				_ = pprof.WriteHeapProfile(h)
				h.Close()
			}
		}()
	}
	res := Cycle{Source: *source, Order: *order, Cold: *cold}
	var times, polls, draws []float64
	check := func(cs *capSource, t tick, err error) {
		if err != nil {
			res.Errors++
			res.LastErr = err.Error()
			return
		}
		times = append(times, t.total.Seconds()*1000)
		polls = append(polls, t.poll.Seconds()*1000)
		draws = append(draws, (t.total-t.poll).Seconds()*1000)
		if cs.Status().Source != *source {
			res.Wrong++
		}
		if got := cs.lastSort(); got != orderSort(*order) {
			res.Errors++
			res.LastErr = fmt.Sprintf("the list asked for %s order, not %s", got, orderSort(*order))
		}
		p := cs.lastPage()
		res.Rows, res.RenderBytes = len(p.Queues), t.size
		if len(p.Queues) > 0 {
			res.Top, res.TopMessages = p.Queues[0].Name, p.Queues[0].Messages.N
		}
	}
	if *cold {
		for i := 0; i < *n; i++ {
			m, cs, c, err := newModel(*mgmtURL, *promURL, *source, *order)
			if err != nil {
				return err
			}
			t, err := cycleOnce(m)
			check(cs, t, err)
			c.Close()
		}
	} else {
		m, cs, _, err := newModel(*mgmtURL, *promURL, *source, *order)
		if err != nil {
			return err
		}
		t, err := cycleOnce(m)
		if err != nil {
			return fmt.Errorf("first refresh: %w", err)
		}
		res.FirstMs = t.total.Seconds() * 1000
		var rss []float64
		lastAge := cs.Status().IndexAge
		ru0 := rusage()
		next := time.Now()
		began := next
		for i := 0; i < *n; i++ {
			if *budget > 0 && i >= MinRefreshes && time.Since(began) > *budget {
				break // slow refreshes (the management depth sort at 50,000 queues)
			}
			time.Sleep(time.Until(next))
			next = time.Now().Add(*interval)
			t, err := cycleOnce(m)
			check(cs, t, err)
			age := cs.Status().IndexAge
			if age < lastAge {
				res.Scrapes++ // the index was replaced since the last refresh
			}
			lastAge = age
			if i >= *n/2 || len(rss) == 0 {
				_, cur := procRSS(os.Getpid())
				rss = append(rss, cur)
			}
		}
		res.CPUms = float64(rusage()-ru0) / 1e6
		res.PeakRSSMB, _ = procRSS(os.Getpid())
		res.SteadyRSSMB = median(rss)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.HeapInuseMB = float64(ms.HeapInuse) / (1 << 20)
	}
	res.N = len(times)
	res.MedianMs, res.MaxMs = median(times), maxOf(times)
	res.PollMs, res.DrawMs = median(polls), median(draws)
	res.P90Ms = percentile(times, 0.9)
	return json.NewEncoder(os.Stdout).Encode(res)
}

func rusage() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCycles runs each source and order in its own child process, so
// that CPU and RSS are mqtop's alone.
func measureCycles(b *broker, res *SizeResult, st settings, self string) error {
	type run struct {
		source, order string
		cold          bool
	}
	runs := []run{{"prometheus", "name", false}, {"prometheus", "depth", false}, {"prometheus", "name", true},
		{"prometheus", "depth", true}, {"management", "name", false}, {"management", "depth", false}}
	for _, r := range runs {
		n := st.Refreshes
		if r.cold {
			n = st.Reps
		}
		args := []string{"cycle", "-mgmt", b.mgmtURL, "-prom", b.promURL, "-source", r.source, "-order", r.order,
			"-n", fmt.Sprint(n), "-interval", st.Interval.String(), fmt.Sprintf("-cold=%v", r.cold), "-budget", st.CycleBudget.String()}
		if st.ProfileDir != "" {
			tag := fmt.Sprintf("size-%d-%s-%s", res.Size, r.source, r.order)
			if r.cold {
				tag += "-cold"
			}
			args = append(args, "-profile", filepath.Join(st.ProfileDir, tag))
		}
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n+5)*(st.Interval+40*time.Second))
		cmd := exec.CommandContext(ctx, self, args...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		cancel()
		if err != nil {
			res.note("cycle %s/%s cold=%v: %v %s", r.source, r.order, r.cold, err, errb.String())
			continue
		}
		var c Cycle
		if err := json.Unmarshal(out.Bytes(), &c); err != nil {
			return err
		}
		res.Cycles = append(res.Cycles, c)
		logf("cycle %s/%s cold=%v: median %.1f ms, p90 %.1f, %d errors, cpu %.0f ms, rss %.1f/%.1f MB, top %s (%d)",
			r.source, r.order, r.cold, c.MedianMs, c.P90Ms, c.Errors, c.CPUms, c.PeakRSSMB, c.SteadyRSSMB, c.Top, c.TopMessages)
		if c.Errors > 0 {
			res.note("cycle %s/%s cold=%v: %d of %d refreshes failed: %s", r.source, r.order, r.cold, c.Errors, c.Errors+c.N, c.LastErr)
		}
		if c.Wrong > 0 {
			res.note("cycle %s/%s: %d refreshes served by the other source", r.source, r.order, c.Wrong)
		}
	}
	return nil
}
