package amqp

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// What a move reports: progress while it runs, the summary and its note.

func (m *mover) snapshot() MoveProgress {
	p := MoveProgress{Moved: m.moved, Returned: m.returned, NoOrigin: m.noOrig, Failed: m.failed, Total: m.total}
	if el := time.Since(m.start); el > 0 && m.settled > 0 {
		p.Rate = float64(m.settled) / el.Seconds()
		p.ETA = time.Duration(float64(max(m.total-m.settled, 0)) / p.Rate * float64(time.Second))
	}
	return p
}

func (m *mover) report(final bool) {
	if m.progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(m.lastReport) < progressEvery {
		return
	}
	m.lastReport = now
	m.progress(m.snapshot())
}

func (m *mover) summary() MoveSummary {
	sum := MoveSummary{MoveProgress: m.snapshot(), InDoubt: m.inDoubt, Took: time.Since(m.start)}
	var notes []string
	add := func(format string, a ...any) { notes = append(notes, fmt.Sprintf(format, a...)) }
	add("Each message was acknowledged on the source only after the broker confirmed its publish; "+
		"if mqtop, its connection or the broker dies between a confirm and the acknowledgement, "+
		"that message is in both places (at most %d at a time).", m.o.Window)
	if m.inDoubt > 0 {
		add("%d published messages were not settled when the move stopped: they are still on the source "+
			"and may be at the destination too.", m.inDoubt)
	}
	if m.returned > 0 {
		add("%d were returned as unroutable and stay on the source.", m.returned)
	}
	if m.noOrig > 0 {
		add("%d have no x-death saying where they came from and stay on the source.", m.noOrig)
	}
	if len(m.missing) > 0 {
		var names []string
		for name, n := range m.missing {
			names = append(names, fmt.Sprintf("%d from exchange %q", n, name))
		}
		sort.Strings(names)
		add("The origin exchange of some no longer exists (%s): they stay on the source.", strings.Join(names, ", "))
	}
	if m.foreignUser > 0 {
		add("%d carry a user-id other than %q, which the broker would refuse; they stay on the source.",
			m.foreignUser, m.s.cfg.User)
	}
	if m.nacked > 0 {
		add("The broker nacked %d publishes; those messages stay on the source.", m.nacked)
	}
	if m.unmatched > 0 {
		add("%d returns could not be matched to their publish, so the messages then outstanding stay on the "+
			"source (some may be at the destination too).", m.unmatched)
	}
	if m.exhausted && m.taken < m.total {
		add("The queue ran out %d messages short of the %d counted at the start (another consumer, or expiry).",
			m.total-m.taken, m.total)
	}
	if m.consumers > 0 {
		add("The queue had %d other consumers when the move started.", m.consumers)
	}
	back := m.returned + m.noOrig + m.failed + m.inDoubt + m.unpublished
	if m.o.QueueType == Quorum && back > 0 {
		add("The quorum queue counted a delivery for each of the %d messages given back (highest x-delivery-count "+
			"now %d); past its delivery limit (from RabbitMQ 4.0, 20 by default) it dead-letters or drops a message.",
			back, m.maxCount)
	}
	sum.Note = strings.Join(notes, " ")
	return sum
}
