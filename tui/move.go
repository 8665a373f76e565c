package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/views"
)

// Mover moves messages at least once; the AMQP session implements it and
// refuses it itself in read-only mode.
type Mover interface {
	Move(ctx context.Context, vhost, source string, o amqp.MoveOptions, progress func(amqp.MoveProgress)) (amqp.MoveSummary, error)
}

func (m *Model) requestMove(r views.MoveRequested) tea.Cmd {
	if m.refuseReadOnly("move") {
		return nil
	}
	if r.Type == "" {
		r.Type = amqp.Classic // 3.x omits the type of classic queues in some listings
	}
	if r.Type == amqp.Stream {
		m.errorf("move refused: %s is a stream, and acknowledging removes nothing from a stream", views.Clean(r.Queue))
		return nil
	}
	p, cmd := views.NewMovePage(m.nextActionID(), r, m.exchangesOf(r.VHost))
	return tea.Batch(m.openAction(p, cmd), m.loadExchanges(r.VHost))
}

func (m *Model) confirmMove(s views.MoveSubmitted) tea.Cmd {
	p := m.actionPage(s.ID)
	if p == nil || p.Running() {
		return nil
	}
	mv, ok := m.deps.AMQP.(Mover)
	c := views.NewConfirm(0, "Move messages", views.MoveQuestion(s), m.now)
	c.Danger = true
	what := fmt.Sprintf("move messages of queue %q in vhost %q", s.Queue, s.VHost)
	cmd := m.openDialog(c, pendingAction{what: what, start: func() tea.Cmd {
		if !ok {
			p.Finished([]string{errNoMessaging.Error()}, true)
			return nil
		}
		m.remembered[p.TargetKey()] = p.Form.Values()
		p.Started("moving…")
		log := m.logger()
		return m.run(s.ID, func(ctx context.Context, report func(string)) tea.Msg {
			sum, err := mv.Move(ctx, s.VHost, s.Queue, s.Options, func(pr amqp.MoveProgress) { report(moveLine(pr)) })
			log.Info("mutation", "action", "move", "vhost", s.VHost, "queue", s.Queue, "to_origin_queue", s.Options.ToOriginQueue,
				"to_origin", s.Options.ToOrigin, "exchange", s.Options.Exchange, "routing_key", s.Options.RoutingKey, "max", s.Options.Max,
				"moved", sum.Moved, "returned", sum.Returned, "no_origin", sum.NoOrigin, "failed", sum.Failed, "in_doubt", sum.InDoubt,
				"cancelled", sum.Cancelled, "err", err)
			return moveDone(s, sum, err)
		})
	}})
	if m.deps.Production {
		return tea.Batch(cmd, c.RequireTyping(s.Queue))
	}
	return cmd
}

func moveLine(pr amqp.MoveProgress) string {
	done := pr.Moved + pr.Returned + pr.NoOrigin + pr.Failed
	eta := ""
	if pr.ETA > 0 {
		eta = " · ETA " + views.FmtDuration(pr.ETA)
	}
	return fmt.Sprintf("%s %s/%s · moved %s · returned %s · no origin %s · failed %s · %s msgs/s%s",
		views.ProgressBar(done, pr.Total, 20), humanize.Comma(int64(done)), humanize.Comma(int64(pr.Total)),
		humanize.Comma(int64(pr.Moved)), humanize.Comma(int64(pr.Returned)), humanize.Comma(int64(pr.NoOrigin)),
		humanize.Comma(int64(pr.Failed)), humanize.Comma(int64(pr.Rate)), eta)
}

func moveDone(s views.MoveSubmitted, sum amqp.MoveSummary, err error) actionDone {
	line := fmt.Sprintf("moved %s of %s from %s · returned (kept on the source) %s · no origin %s · failed %s · in doubt %s · over %s",
		humanize.Comma(int64(sum.Moved)), humanize.Comma(int64(sum.Total)), views.Clean(s.Queue), humanize.Comma(int64(sum.Returned)),
		humanize.Comma(int64(sum.NoOrigin)), humanize.Comma(int64(sum.Failed)), humanize.Comma(int64(sum.InDoubt)),
		views.FmtDuration(sum.Took))
	failed := sum.Returned+sum.NoOrigin+sum.Failed+sum.InDoubt > 0
	switch {
	case sum.Cancelled || errors.Is(err, context.Canceled):
		line, failed = "cancelled: "+line, true
	case err != nil:
		line, failed = views.Clean(err.Error())+" — "+line, true
	}
	lines := []string{line}
	if sum.Note != "" {
		lines = append(lines, views.Clean(sum.Note))
	}
	return actionDone{id: s.ID, lines: lines, failed: failed, status: line}
}
