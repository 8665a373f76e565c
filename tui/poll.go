package tui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
)

// Backend is what the root model reads from; mgmt.Client and the queue
// sources satisfy it, tests may replace it.
type Backend interface {
	Overview(ctx context.Context) (mgmt.Overview, error)
	Nodes(ctx context.Context) ([]mgmt.Node, error)
	VHosts(ctx context.Context) ([]string, error)
	QueueDetails(ctx context.Context, vhost, name string) (mgmt.Queue, error)
	QueueBindings(ctx context.Context, vhost, name string) ([]mgmt.Binding, error)
}

// Source serves the queue list and says which source answered.
type Source interface {
	mgmt.QueueSource
	Status() mgmt.SourceStatus
}

// pollSpec is everything a poll needs, copied from the model when the poll
// is built so the goroutine never reads the model.
type pollSpec struct {
	seq     int
	list    *mgmt.QueueQuery
	detail  *[2]string // vhost, name
	timeout time.Duration
	// listTimeout bounds the queue list: the management API's own paging
	// costs the broker ~10 s at 50,000 queues, longer than the rest may take.
	listTimeout time.Duration
	// view is the fetch of the screen in front (a list other than the
	// queues), viewFor that screen, so the answer goes to it.
	view    func(ctx context.Context) (any, error)
	viewFor Screen
	// noNodes: the user may not list the nodes (a management user): the
	// header goes without them instead of asking every poll for a 401.
	noNodes bool
}

func poll(b Backend, src Source, spec pollSpec) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), spec.timeout)
		defer cancel()
		start := time.Now()
		out := SnapshotLoaded{Seq: spec.seq}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); out.Overview, out.OverviewErr = b.Overview(ctx) }()
		if !spec.noNodes {
			wg.Add(1)
			go func() { defer wg.Done(); out.Nodes, out.NodesErr = b.Nodes(ctx) }()
		}
		if spec.list != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lctx, lcancel := context.WithTimeout(context.Background(), max(spec.listTimeout, spec.timeout))
				defer lcancel()
				p, err := src.QueuePage(lctx, *spec.list)
				out.PageErr = err
				if err == nil {
					out.Page = &p
				}
				out.Status = src.Status()
			}()
		}
		if spec.view != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				vctx, vcancel := context.WithTimeout(context.Background(), max(spec.listTimeout, spec.timeout))
				defer vcancel()
				out.View, out.ViewErr = spec.view(vctx)
			}()
		}
		out.ViewFor = spec.viewFor
		if d := spec.detail; d != nil {
			wg.Add(2)
			go func() {
				defer wg.Done()
				q, err := b.QueueDetails(ctx, d[0], d[1])
				if err == nil {
					out.Detail = &q
				} else {
					out.DetailErr = err
				}
			}()
			go func() { defer wg.Done(); out.DetailBindings, _ = b.QueueBindings(ctx, d[0], d[1]) }()
		}
		wg.Wait()
		out.At = time.Now()
		out.Took = out.At.Sub(start)
		return out
	}
}

func loadVHosts(b Backend, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		names, err := b.VHosts(ctx)
		return vhostsLoaded{names: names, err: err}
	}
}

// nextDelay is the time to the next poll: the interval, stretched when the
// API is slow and doubled per consecutive failure up to a ceiling.
func nextDelay(interval, took time.Duration, failures int) time.Duration {
	d := interval
	if slow := 2 * took; slow > d {
		d = slow
	}
	for i := 0; i < failures && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// startClock starts the once-a-second redraw (clockMsg) unless it runs
// already; it runs while the data is stale or a poll is outstanding, for
// the ages and the wait the header shows.
func (m *Model) startClock() tea.Cmd {
	if m.clockOn {
		return nil
	}
	m.clockOn = true
	return clock()
}

// unanswered is how long the poll in flight has waited for the API, once
// that is longer than the refresh interval (and a second); 0 otherwise.
func (m *Model) unanswered() time.Duration {
	if !m.inflight || m.pollStart.IsZero() {
		return 0
	}
	if w := time.Since(m.pollStart); w > max(m.interval, time.Second) {
		return w
	}
	return 0
}
