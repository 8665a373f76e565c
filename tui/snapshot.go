package tui

import (
	"fmt"
	"math"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/history"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// trendWindow is how far back a queue's trend looks.
const trendWindow = 30 * time.Second

// applySnapshot takes a poll's result: stale ones are dropped, errors keep
// the last good data on screen and mark it stale, and the next poll is armed
// only now, so polls never overlap.
func (m *Model) applySnapshot(s SnapshotLoaded) tea.Cmd {
	if s.Seq != m.seq {
		return nil
	}
	m.inflight = false
	m.lastTook, m.lastAt = s.Took, s.At
	wasStale := m.stale()
	if err := s.Err(); err != nil {
		m.failures++
		m.lastErr = err
	} else {
		m.failures, m.lastErr = 0, nil
		m.lastGood, m.everGood = s.At, true
	}
	if s.OverviewErr == nil {
		m.overview = s.Overview
		m.totals.Add("", history.Sample{At: s.At, Messages: float64(s.Overview.Messages.Or(0)),
			In: rateOrNaN(s.Overview.PublishRate), Out: rateOrNaN(s.Overview.DeliverRate)})
	}
	if mgmt.MissingTag(s.NodesErr) != "" {
		m.nodesHidden = true
	}
	if s.NodesErr == nil && !m.nodesHidden {
		m.nodes = s.Nodes
		m.queues.SetNodes(len(s.Nodes))
		names := make([]string, len(s.Nodes))
		for i, n := range s.Nodes {
			names[i] = n.Name
		}
		m.nodeNames.Set(names)
	}
	if r, ok := m.deps.AMQP.(interface{ Refused() error }); ok {
		m.amqpRefused = r.Refused()
	}
	var cmds []tea.Cmd
	if l, ok := m.deps.AMQP.(interface{ TakeLost() []amqp.Lost }); ok {
		// Said once each: a connection closed from the management UI (or
		// another mqtop) carries the reason the operator gave.
		// An aside: the outcome of an action it made fail stays on the line.
		for _, lost := range l.TakeLost() {
			cmds = append(cmds, m.aside(fmt.Sprintf("AMQP connection of vhost %s closed by the broker: %d %s; mqtop re-dials it",
				views.Clean(lost.VHost), lost.Code, views.Clean(lost.Reason))))
		}
	}
	if s.Page != nil {
		if d := s.Status.Distrust; d != "" && d != m.status.Distrust {
			m.errorf("%s", d) // in full, once: the header has room for a badge only
		}
		m.status = s.Status
		exact := m.patchExact(s.Page.Queues, s.At)
		info := m.record(s.At, s.Page.Queues)
		for k := range exact {
			r := info[k]
			r.Exact = true
			info[k] = r
		}
		qs, ok := s.ViewFor.(*queuesScreen)
		if !ok || !m.onStack(qs) {
			qs = m.queues
		}
		refetch, note := qs.SetPage(*s.Page, info)
		if note != "" {
			cmds = append(cmds, m.aside(note))
		}
		if refetch {
			m.pending = true // the chosen queue moved off the window: fetch where it is now
		}
	}
	if f, ok := s.ViewFor.(fetcher); ok && m.onStack(s.ViewFor) && (s.View != nil || s.ViewErr != nil) {
		refetch, note := f.apply(m, s.View, s.ViewErr, s.At)
		if note != "" {
			cmds = append(cmds, m.aside(note))
		}
		m.pending = m.pending || refetch
	}
	if d, ok := m.top().(*detailScreen); ok && s.Detail != nil && s.Detail.VHost == d.VHost && s.Detail.Name == d.Name {
		dq := []mgmt.Queue{*s.Detail}
		exact := m.patchExact(dq, s.At)
		info := m.record(s.At, dq)
		r := info[dq[0].Key()]
		r.Exact = exact[dq[0].Key()]
		d.SetData(dq[0], s.DetailBindings, m.book.Get(dq[0].Key()), r)
	}
	cmds = append(cmds, m.scheduleTick())
	if m.pending {
		cmds = append(cmds, m.startPoll())
	}
	if m.stale() && !wasStale {
		cmds = append(cmds, m.startClock())
	}
	return tea.Batch(cmds...)
}

// patchExact applies exact counts to the queues (in place) and returns the
// keys it patched.
func (m *Model) patchExact(qs []mgmt.Queue, now time.Time) map[string]bool {
	out := map[string]bool{}
	if len(m.exact) == 0 {
		return out
	}
	for i := range qs {
		if m.applyExact(&qs[i], now) {
			out[qs[i].Key()] = true
		}
	}
	return out
}

// record adds the queues to the session history and derives each row's
// trend, net rate and stuck-unacked flag.
func (m *Model) record(at time.Time, qs []mgmt.Queue) map[string]views.RowInfo {
	out := make(map[string]views.RowInfo, len(qs))
	for _, q := range qs {
		if !q.Messages.OK {
			continue
		}
		k := q.Key()
		m.book.Add(k, history.Sample{At: at, Messages: float64(q.Messages.N), Ready: float64(q.Ready.Or(0)),
			Unacked: float64(q.Unacked.Or(0)), In: rateOrNaN(q.PublishRate), Out: rateOrNaN(q.DeliverRate)})
		s := m.book.Get(k)
		info := views.RowInfo{Trend: s.Trend(trendWindow)}
		if r, ok := s.NetRate(mgmt.RateWindow); ok {
			info.NetRate = mgmt.R(r)
		}
		info.UnackedStuck = unackedStuck(s, q)
		out[k] = info
	}
	return out
}

// unackedStuck: unacked grew over the window while nothing was acked.
func unackedStuck(s *history.Series, q mgmt.Queue) bool {
	if !q.AckRate.OK || q.AckRate.PerSec > 0 || !q.Unacked.OK || q.Unacked.N == 0 {
		return false
	}
	samples := s.Samples()
	if len(samples) < 2 {
		return false
	}
	last := samples[len(samples)-1]
	for _, x := range samples {
		if last.At.Sub(x.At) <= trendWindow {
			return last.Unacked > x.Unacked
		}
	}
	return false
}

func rateOrNaN(r mgmt.Rate) float64 {
	if !r.OK {
		return math.NaN()
	}
	return r.PerSec
}
