package tui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// Messaging is what mqtop does over AMQP besides purge and delete; the
// AMQP session implements it and enforces read-only mode itself.
type Messaging interface {
	Publish(ctx context.Context, req amqp.PublishRequest) (amqp.PublishResult, error)
	PublishRepeat(ctx context.Context, req amqp.PublishRequest, n int, rate float64, progress func(amqp.RepeatProgress)) (amqp.RepeatSummary, error)
	Browse(ctx context.Context, req amqp.BrowseRequest) (amqp.BrowseResult, error)
	RPC(ctx context.Context, req amqp.RPCRequest) (amqp.RPCResult, error)
	RPCRepeat(ctx context.Context, req amqp.RPCRequest, n int, progress func(done int)) (amqp.LatencySummary, error)
}

// ExchangeLister is the optional part of a Backend that lists a vhost's
// exchanges for the publish form's picker.
type ExchangeLister interface {
	ExchangeNames(ctx context.Context, vhost string) ([]string, error)
}

var errNoMessaging = errors.New("no AMQP session: publish, browse and RPC are unavailable")

type exchangesLoaded struct {
	vhost string
	names []string
}

// actionProgress carries a running action's progress line; the root keeps
// listening on the same channels until actionDone arrives.
type actionProgress struct {
	id   int
	line string
	prog <-chan string
	done <-chan tea.Msg
}

// actionDone is a publish or RPC outcome for the page that ran it.
type actionDone struct {
	id     int
	lines  []string
	failed bool
	status string // for the status line and the log
}

// browseDone is a browse outcome.
type browseDone struct {
	id                 int
	vhost, queue, kind string
	res                amqp.BrowseResult
	err                error
}

func listen(id int, prog <-chan string, done <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		select {
		case d := <-done:
			return d
		case p := <-prog:
			return actionProgress{id: id, line: p, prog: prog, done: done}
		}
	}
}

// run starts f in the background with a cancellable context; f reports
// progress with report (dropped when the UI has not taken the last one).
func (m *Model) run(id int, f func(ctx context.Context, report func(string)) tea.Msg) tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancelAction = cancel
	prog, done := make(chan string, 1), make(chan tea.Msg, 1)
	go func() {
		defer cancel()
		done <- f(ctx, func(s string) {
			select {
			case prog <- s:
			default:
				select { // replace the stale line
				case <-prog:
				default:
				}
				select {
				case prog <- s:
				default:
				}
			}
		})
	}()
	return listen(id, prog, done)
}

func (m *Model) openAction(p *views.ActionPage, cmd tea.Cmd) tea.Cmd {
	if v, ok := m.remembered[p.TargetKey()]; ok {
		p.Form.Restore(v)
	}
	m.push(&actionScreen{p})
	return cmd
}

// actionPage is the form on the stack running action id (any, for id < 0).
func (m *Model) actionPage(id int) *views.ActionPage {
	if s, ok := findScreen[*actionScreen](m); ok && (id < 0 || s.ID == id) {
		return s.ActionPage
	}
	return nil
}

func (m *Model) nextActionID() int {
	m.actionSeq++
	return m.actionSeq
}

// exchangesOf is the picker's list for vhost; nil until loaded.
func (m *Model) exchangesOf(vhost string) func() []string {
	return func() []string { return m.exchanges[vhost] }
}

func (m *Model) loadExchanges(vhost string) tea.Cmd {
	l, ok := m.deps.Backend.(ExchangeLister)
	if !ok {
		return nil
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		names, err := l.ExchangeNames(ctx, vhost)
		if err != nil {
			return nil // the picker stays empty and the broker judges the name
		}
		return exchangesLoaded{vhost: vhost, names: names}
	}
}

func (m *Model) requestPublish(r views.PublishRequested) tea.Cmd {
	if r.Queue == "" { // to an exchange: its name filled in, the routing key to type
		return m.requestForm("publish", r.VHost, "", func(id int, vhost, _ string, exchanges func() []string, now func() time.Time) (*views.ActionPage, tea.Cmd) {
			p, cmd := views.NewPublishPage(id, vhost, "", exchanges, now)
			p.Exchange = r.Exchange
			p.Form.Get("exchange").SetValue(r.Exchange)
			p.Form.Title = "Publish to exchange " + views.ExchangeLabel(r.Exchange) + " (vhost " + views.Clean(vhost) + ")"
			return p, cmd
		})
	}
	return m.requestForm("publish", r.VHost, r.Queue, views.NewPublishPage)
}

func (m *Model) requestRPC(r views.RPCRequested) tea.Cmd {
	return m.requestForm("test RPC", r.VHost, r.Queue, views.NewRPCPage)
}

// requestForm opens the publish or RPC form on a queue, with the vhost's
// exchanges loading for its picker.
func (m *Model) requestForm(what, vhost, queue string,
	open func(id int, vhost, queue string, exchanges func() []string, now func() time.Time) (*views.ActionPage, tea.Cmd)) tea.Cmd {
	if m.deps.Context.ReadOnly {
		m.errorf("%s refused: read-only mode", what)
		return nil
	}
	p, cmd := open(m.nextActionID(), vhost, queue, m.exchangesOf(vhost), m.now)
	// Where the message will go, live under the form.
	p.Panel = views.RoutePanel(p.Form, func() string { return strings.TrimSpace(p.Form.Value("exchange")) }, m.routeTopologyOf(vhost))
	return tea.Batch(m.openAction(p, cmd), m.loadExchanges(vhost), m.loadRouteTopology(vhost))
}

func (m *Model) requestBrowse(r views.BrowseRequested) tea.Cmd {
	if r.Type == "" {
		r.Type = amqp.Classic // 3.x omits the type of classic queues in some listings
	}
	if m.deps.Context.ReadOnly && !m.deps.AllowBrowse && r.Type != amqp.Stream {
		m.errorf("browse refused: it marks %s messages redelivered; start mqtop with --allow-browse (or allow_browse in the context) to browse in read-only mode", r.Type)
		return nil
	}
	p, cmd := views.NewBrowsePage(m.nextActionID(), r.VHost, r.Queue, r.Type)
	return m.openAction(p, cmd)
}

// submitted runs a validated action.
func (m *Model) submitted(s views.ActionSubmitted) tea.Cmd {
	p := m.actionPage(s.ID)
	if p == nil || p.Running() {
		return nil
	}
	m.remembered[p.TargetKey()] = p.Form.Values()
	msg, log, timeout, width := m.deps.AMQP, m.logger(), m.deps.Timeout, m.width
	if msg == nil {
		p.Finished([]string{errNoMessaging.Error()}, true)
		return nil
	}
	switch s.Kind {
	case views.ActionBrowse:
		p.Started(fmt.Sprintf("browsing %d messages…", s.Browse.N))
		b, version := m.deps.Backend, m.overview.RabbitMQVersion
		req := s.Browse
		return m.run(s.ID, func(ctx context.Context, _ func(string)) tea.Msg {
			d := browseDone{id: s.ID, vhost: req.VHost, queue: req.Queue, kind: req.QueueType}
			qctx, cancel := context.WithTimeout(ctx, timeout)
			q, err := b.QueueDetails(qctx, req.VHost, req.Queue)
			cancel()
			if err != nil {
				d.err = fmt.Errorf("read queue %q before browsing: %w", req.Queue, err)
				return d
			}
			if q.Type != "" {
				req.QueueType, d.kind = q.Type, q.Type
			}
			if req.QueueType == amqp.Quorum {
				req.DeliveryLimit = mgmt.EffectiveDeliveryLimit(q, version)
			}
			d.res, d.err = msg.Browse(ctx, req)
			log.Info("browse", "vhost", req.VHost, "queue", req.Queue, "type", req.QueueType, "n", req.N,
				"got", len(d.res.Messages), "taken", d.res.Taken, "err", d.err)
			return d
		})
	case views.ActionPublish:
		req, n, rate, file := s.Publish, s.N, s.Rate, s.BodyFile
		where := fmt.Sprintf("exchange %s, routing key %s", quoteExchange(req.Exchange), strconv.Quote(req.RoutingKey))
		// The body file is read here, off the UI loop (it may be 128 MiB).
		withBody := func(f func(ctx context.Context, report func(string)) tea.Msg) func(context.Context, func(string)) tea.Msg {
			return func(ctx context.Context, report func(string)) tea.Msg {
				if file != "" {
					b, err := views.ReadBodyFile(file)
					if err != nil {
						return actionDone{id: s.ID, lines: []string{err.Error()}, failed: true, status: failure("publish", err)}
					}
					req.Body = b
				}
				return f(ctx, report)
			}
		}
		if n == 1 {
			p.Started("publishing…")
			return m.run(s.ID, withBody(func(ctx context.Context, _ func(string)) tea.Msg {
				res, err := msg.Publish(ctx, req)
				log.Info("mutation", "action", "publish", "vhost", req.VHost, "exchange", req.Exchange,
					"routing_key", req.RoutingKey, "bytes", len(req.Body), "result", res.String(), "err", err)
				if err != nil {
					return actionDone{id: s.ID, lines: []string{err.Error()}, failed: true, status: failure("publish failed", err)}
				}
				line := fmt.Sprintf("%s — %s, %s at %s", res, humanize.IBytes(uint64(len(req.Body))), where, time.Now().Format("15:04:05"))
				return actionDone{id: s.ID, lines: []string{line}, failed: res.Outcome != amqp.Confirmed, status: "publish: " + res.String()}
			}))
		}
		p.Started(fmt.Sprintf("publishing %s messages…", humanize.Comma(int64(n))))
		return m.run(s.ID, withBody(func(ctx context.Context, report func(string)) tea.Msg {
			sum, err := msg.PublishRepeat(ctx, req, n, rate, func(pr amqp.RepeatProgress) {
				rateNow := 0.0
				if pr.Elapsed > 0 {
					rateNow = float64(pr.Confirmed+pr.Returned+pr.Nacked) / pr.Elapsed.Seconds()
				}
				report(fmt.Sprintf("%s %s/%s sent · %s confirmed · %s returned · %s nacked · %s msgs/s",
					views.ProgressBar(pr.Sent, pr.N, 20), humanize.Comma(int64(pr.Sent)), humanize.Comma(int64(pr.N)),
					humanize.Comma(int64(pr.Confirmed)), humanize.Comma(int64(pr.Returned)), humanize.Comma(int64(pr.Nacked)),
					humanize.Comma(int64(rateNow))))
			})
			log.Info("mutation", "action", "publish_repeat", "vhost", req.VHost, "exchange", req.Exchange,
				"routing_key", req.RoutingKey, "n", n, "sent", sum.Sent, "confirmed", sum.Confirmed,
				"returned", sum.Returned, "nacked", sum.Nacked, "err", err)
			line := fmt.Sprintf("sent %s of %s · confirmed and routed %s · returned %s · nacked %s · %s msgs/s over %s",
				humanize.Comma(int64(sum.Sent)), humanize.Comma(int64(n)), humanize.Comma(int64(sum.Confirmed)),
				humanize.Comma(int64(sum.Returned)), humanize.Comma(int64(sum.Nacked)),
				humanize.Comma(int64(sum.MsgsPerSec)), views.FmtDuration(sum.Elapsed.Round(time.Millisecond)))
			if sum.Elapsed < time.Second {
				line = strings.Replace(line, " over 0s", fmt.Sprintf(" over %d ms", sum.Elapsed.Milliseconds()), 1)
			}
			lines := []string{line, where}
			failed := sum.Returned > 0 || sum.Nacked > 0
			if errors.Is(err, context.Canceled) {
				lines = append([]string{"cancelled: " + line}, where)
				return actionDone{id: s.ID, lines: lines, failed: true, status: "publish cancelled: " + line}
			}
			if err != nil {
				// The error first (a blocked broker, a timeout), then
				// the counts: the status line says both.
				lines = append([]string{err.Error()}, lines...)
				return actionDone{id: s.ID, lines: lines, failed: true, status: failure("publish failed", err) + " · " + line}
			}
			return actionDone{id: s.ID, lines: lines, failed: failed, status: "publish: " + line}
		}))
	case views.ActionRPC:
		req, n := s.RPC, s.N
		if n == 1 {
			p.Started("waiting for the reply…")
			return m.run(s.ID, func(ctx context.Context, _ func(string)) tea.Msg {
				res, err := msg.RPC(ctx, req)
				log.Info("mutation", "action", "rpc", "vhost", req.VHost, "exchange", req.Exchange,
					"routing_key", req.RoutingKey, "rtt", res.RTT, "timed_out", res.TimedOut, "err", err)
				return rpcDone(s.ID, req, res, err, width)
			})
		}
		p.Started(fmt.Sprintf("%d requests…", n))
		return m.run(s.ID, func(ctx context.Context, report func(string)) tea.Msg {
			sum, err := msg.RPCRepeat(ctx, req, n, func(done int) {
				report(fmt.Sprintf("%s %d/%d requests", views.ProgressBar(done, n, 20), done, n))
			})
			log.Info("mutation", "action", "rpc_repeat", "vhost", req.VHost, "exchange", req.Exchange,
				"routing_key", req.RoutingKey, "n", n, "ok", sum.OK, "timeouts", sum.Timeouts, "err", err)
			if err != nil {
				return actionDone{id: s.ID, lines: []string{err.Error()}, failed: true, status: failure("RPC failed", err)}
			}
			line := fmt.Sprintf("%d requests: %d answered · %d without reply within %s · %d returned · %d replies with another correlation-id",
				sum.N, sum.OK, sum.Timeouts, views.FmtDuration(timeoutOf(req)), sum.Returned, sum.Mismatched)
			lat := fmt.Sprintf("latency min %s · p50 %s · p99 %s · max %s", ms(sum.Min), ms(sum.P50), ms(sum.P99), ms(sum.Max))
			return actionDone{id: s.ID, lines: []string{line, lat}, failed: sum.OK < sum.N, status: "RPC: " + line}
		})
	}
	return nil
}

func rpcDone(id int, req amqp.RPCRequest, res amqp.RPCResult, err error, width int) actionDone {
	if err != nil {
		return actionDone{id: id, lines: []string{err.Error()}, failed: true, status: failure("RPC failed", err)}
	}
	var lines []string
	d := actionDone{id: id}
	switch {
	case res.Returned != nil:
		lines = append(lines, res.Returned.String())
		d.failed = true
	case res.Reply != nil:
		lines = append(lines, fmt.Sprintf("reply in %s (correlation-id %s)", ms(res.RTT), res.CorrelationID))
	default:
		lines = append(lines, fmt.Sprintf("no reply within %s (correlation-id %s)", views.FmtDuration(timeoutOf(req)), res.CorrelationID))
		d.failed = true
	}
	for _, mm := range res.Mismatched {
		lines = append(lines, theme.Warning.Render(fmt.Sprintf("ignored a reply with another correlation-id %q: not the answer to this request",
			views.Clean(mm.CorrelationID))))
	}
	if res.Reply != nil {
		lines = append(lines, views.MessageLines(*res.Reply, width)...)
	}
	d.lines, d.status = lines, "RPC: "+views.Clean(lines[0])
	return d
}

func timeoutOf(req amqp.RPCRequest) time.Duration {
	if req.Timeout > 0 {
		return req.Timeout
	}
	return amqp.DefaultRPCTimeout
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func quoteExchange(e string) string {
	if e == "" {
		return "(default)"
	}
	return strconv.Quote(e)
}

func (m *Model) cancelRunning(id int) tea.Cmd {
	if p := m.actionPage(id); p != nil && m.cancelAction != nil {
		m.cancelAction()
		m.cancelAction = nil
		p.Progress("cancelling…")
	}
	return nil
}

func (m *Model) progressed(p actionProgress) tea.Cmd {
	if a := m.actionPage(p.id); a != nil && a.Running() {
		a.Progress(p.line)
	}
	return listen(p.id, p.prog, p.done)
}

func (m *Model) actionFinished(d actionDone) tea.Cmd {
	m.cancelAction = nil
	var inspect tea.Cmd
	if a := m.actionPage(d.id); a != nil {
		a.Finished(d.lines, d.failed)
		inspect = m.inspect(a.VHost, a.Queue) // the queue the form was opened on
	}
	if d.failed {
		m.errorf("%s", d.status)
		return tea.Batch(m.startPoll(), inspect)
	}
	return tea.Batch(m.info("%s", d.status), m.startPoll(), inspect)
}

func (m *Model) browsed(d browseDone) tea.Cmd {
	m.cancelAction = nil
	a := m.actionPage(d.id)
	if a == nil {
		return nil
	}
	if d.err != nil {
		a.Finished([]string{d.err.Error()}, true)
		m.errorf("%s", failure("browse failed", d.err))
		return nil
	}
	a.Finished(nil, false)
	if s, ok := m.top().(*actionScreen); ok && s.ActionPage == a {
		m.replaceTop(&messagesScreen{views.NewMessages(&m.keys, d.vhost, d.queue, d.kind, d.res)}) // the result replaces the form
	}
	var inspect tea.Cmd
	if d.kind != amqp.Stream { // a stream browse changes nothing, and its declare-ok counts nothing
		inspect = m.inspect(d.vhost, d.queue)
	}
	return tea.Batch(m.startPoll(), inspect)
}
