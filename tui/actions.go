package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// QueueAdmin performs the queue mutations; the AMQP session implements it
// and refuses them itself in read-only mode.
type QueueAdmin interface {
	Purge(ctx context.Context, vhost, queue string) (int, error)
	DeleteQueue(ctx context.Context, vhost, queue string, ifUnused, ifEmpty bool) (int, error)
}

// errNoSession is returned when mqtop has no AMQP session to act with.
var errNoSession = errors.New("no AMQP session: mutations are unavailable")

// pendingAction is the mutation a confirmation dialog is about; it is
// captured when the dialog opens, so the selection moving under the dialog
// cannot change its target. run performs it off the UI loop with the
// dialog's options as answered; it must log the mutation itself.
type pendingAction struct {
	what         string // e.g. `purge queue "orders" in vhost "/"`
	vhost, queue string // the queue it changes, read again at once ("" none)
	page         int    // the form it was submitted from (0 none)
	run          func(ctx context.Context, opts []views.Option) (done string, err error)
	// start, instead of run, begins a long mutation (a move) that reports
	// progress on its page and can be cancelled.
	start func() tea.Cmd
}

// MutationFinished reports any mutation's outcome.
type MutationFinished struct {
	VHost, Queue string // the queue it changed, read again at once
	What         string // e.g. `purge queue "orders" in vhost "/"`
	Done         string // what to tell the operator on success
	Err          error
	Polls        bool // poll at once after it
	Page         int  // the form it came from: closed on success, shows the error otherwise
}

func target(vhost, name string) string {
	return fmt.Sprintf("%s (vhost %s)", views.Clean(name), views.Clean(vhost))
}

func (m *Model) openDialog(c *views.Confirm, a pendingAction) tea.Cmd {
	m.dialogSeq++
	c.ID = m.dialogSeq
	c.SetWidth(m.width)
	m.dialog, m.pendingAct = c, a
	return nil
}

func (m *Model) requestPurge(r views.PurgeRequested) tea.Cmd {
	if m.deps.Context.ReadOnly {
		m.errorf("purge refused: read-only mode")
		return nil
	}
	n := "all ready"
	if r.Ready.OK {
		n = humanize.Comma(r.Ready.N)
	}
	c := views.NewConfirm(0, "Purge queue", fmt.Sprintf("Purge %s messages from %s?\nUnacknowledged messages stay with their consumers.", n, target(r.VHost, r.Queue)), m.now)
	c.Danger = true
	admin, log := m.deps.Admin, m.logger()
	cmd := m.openDialog(c, pendingAction{what: fmt.Sprintf("purge queue %q in vhost %q", r.Queue, r.VHost), vhost: r.VHost, queue: r.Queue,
		run: func(ctx context.Context, _ []views.Option) (string, error) {
			if admin == nil {
				return "", errNoSession
			}
			n, err := admin.Purge(ctx, r.VHost, r.Queue)
			log.Info("mutation", "action", "purge", "vhost", r.VHost, "queue", r.Queue, "purged", n, "err", err)
			return fmt.Sprintf("purged %s messages from %s", humanize.Comma(int64(n)), target(r.VHost, r.Queue)), err
		}})
	if m.deps.Production {
		return tea.Batch(cmd, c.RequireTyping(r.Queue))
	}
	return cmd
}

func (m *Model) requestDelete(r views.DeleteQueueRequested) tea.Cmd {
	if m.deps.Context.ReadOnly {
		m.errorf("delete refused: read-only mode")
		return nil
	}
	q := fmt.Sprintf("Delete queue %s holding %s messages with %s consumers?", target(r.VHost, r.Queue),
		views.FmtCount(r.Messages), views.FmtCount(r.Consumers))
	c := views.NewConfirm(0, "Delete queue", q, m.now)
	c.Danger = true
	c.Options = []views.Option{{Key: "e", Label: "only if empty"}, {Key: "u", Label: "only if unused (no consumers)"}}
	admin, log := m.deps.Admin, m.logger()
	cmd := m.openDialog(c, pendingAction{what: fmt.Sprintf("delete queue %q in vhost %q", r.Queue, r.VHost), vhost: r.VHost, queue: r.Queue,
		run: func(ctx context.Context, opts []views.Option) (string, error) {
			if admin == nil {
				return "", errNoSession
			}
			ifEmpty, ifUnused := opts[0].On, opts[1].On
			n, err := admin.DeleteQueue(ctx, r.VHost, r.Queue, ifUnused, ifEmpty)
			log.Info("mutation", "action", "delete_queue", "vhost", r.VHost, "queue", r.Queue, "if_empty", ifEmpty, "if_unused", ifUnused, "messages", n, "err", err)
			return fmt.Sprintf("deleted %s with %s messages", target(r.VHost, r.Queue), humanize.Comma(int64(n))), err
		}})
	if !r.Messages.OK || r.Messages.N > 0 {
		return tea.Batch(cmd, c.RequireTyping(r.Queue))
	}
	return cmd
}

// answered runs the confirmed mutation as a command.
func (m *Model) answered(a views.ConfirmAnswered) tea.Cmd {
	if m.dialog == nil || a.ID != m.dialog.ID {
		return nil
	}
	act := m.pendingAct
	m.dialog = nil
	if !a.Yes {
		return m.info("cancelled")
	}
	if act.start != nil {
		return act.start()
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done, err := act.run(ctx, a.Options)
		return MutationFinished{VHost: act.vhost, Queue: act.queue, What: act.what, Done: done, Err: err, Polls: true, Page: act.page}
	}
}

func (m *Model) finished(f MutationFinished) tea.Cmd {
	var cmds []tea.Cmd
	if f.Err != nil {
		m.errorf("%s", failure(f.What, f.Err))
	} else {
		cmds = append(cmds, m.info("%s", f.Done))
	}
	if p := m.actionPage(f.Page); f.Page != 0 && p != nil {
		if f.Err != nil {
			p.Finished([]string{failure(f.What, f.Err)}, true)
		} else if s, ok := m.top().(*actionScreen); ok && s.ActionPage == p {
			cmds = append(cmds, m.back())
		}
	}
	if f.Polls {
		cmds = append(cmds, m.startPoll())
	}
	cmds = append(cmds, m.inspect(f.VHost, f.Queue))
	return tea.Batch(cmds...)
}

func (m *Model) logger() *slog.Logger {
	if m.deps.Logger != nil {
		return m.deps.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (m *Model) now() time.Time {
	if m.deps.Now != nil {
		return m.deps.Now()
	}
	return time.Now()
}

var _ = mgmt.C
