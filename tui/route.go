package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/route"
	"github.com/mqtop/mqtop/views"
)

// RouteReader reads what the route preview predicts from; the management
// client implements it.
type RouteReader interface {
	RouteTopology(ctx context.Context, vhost string) (route.Topology, error)
}

// Prober checks one exchange's bindings on the broker with temporary
// objects; the AMQP session implements it (and refuses it in read-only
// mode).
type Prober interface {
	ProbeRoute(ctx context.Context, vhost, exchangeType string, bindings []amqp.ProbeBinding, key string, headers amqp091.Table) ([]int, error)
}

// routeTopo is a vhost's topology as the route preview has it.
type routeTopo struct {
	t   route.Topology
	ok  bool
	err error
}

type routeTopologyLoaded struct {
	vhost string
	topo  routeTopo
}

func (m *Model) openRoutePreview(r views.RoutePreviewRequested) tea.Cmd {
	p, cmd := views.NewRoutePage(m.nextActionID(), r.VHost, r.Exchange, m.routeTopologyOf(r.VHost))
	m.push(&actionScreen{p})
	return tea.Batch(cmd, m.loadRouteTopology(r.VHost))
}

// routeTopologyOf is the route preview's view of vhost's topology.
func (m *Model) routeTopologyOf(vh string) func() (route.Topology, bool, error) {
	return func() (route.Topology, bool, error) {
		t := m.routeTopos[vh]
		return t.t, t.ok, t.err
	}
}

// loadRouteTopology reads vhost's topology afresh (each preview or form
// that predicts reads it when it opens).
func (m *Model) loadRouteTopology(vh string) tea.Cmd {
	delete(m.routeTopos, vh)
	rr, ok := m.deps.Backend.(RouteReader)
	if !ok {
		m.routeTopos[vh] = routeTopo{err: errNoBackend}
		return nil
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 3*timeout)
		defer cancel()
		t, err := rr.RouteTopology(ctx, vh)
		return routeTopologyLoaded{vhost: vh, topo: routeTopo{t: t, ok: err == nil, err: err}}
	}
}

// checkRoute confirms a prediction on the broker: each exchange on the
// predicted path whose type the broker can copy is probed with its
// bindings, and the broker's matches compared with the prediction's.
func (m *Model) checkRoute(s views.RouteCheckSubmitted) tea.Cmd {
	p := m.actionPage(s.ID)
	if p == nil || p.Running() {
		return nil
	}
	topo := m.routeTopos[s.VHost]
	if !topo.ok {
		p.Finished([]string{"the topology is not read yet"}, true)
		return nil
	}
	pr, ok := m.deps.AMQP.(Prober)
	if !ok {
		p.Finished([]string{errNoMessaging.Error()}, true)
		return nil
	}
	if m.refuseReadOnly("route check") {
		p.Finished([]string{"route check refused: read-only mode (it declares temporary objects)"}, true)
		return nil
	}
	res, err := route.Predict(topo.t, s.Exchange, s.Message)
	if err != nil {
		p.Finished([]string{err.Error()}, true)
		return nil
	}
	p.Started("checking on the broker…")
	log := m.logger()
	return m.run(s.ID, func(ctx context.Context, report func(string)) tea.Msg {
		lines, failed := probePath(ctx, pr, s, topo.t, res, report)
		log.Info("route check", "vhost", s.VHost, "exchange", s.Exchange, "routing_key", s.Message.RoutingKey, "agrees", !failed)
		return actionDone{id: s.ID, lines: lines, failed: failed, status: lines[0]}
	})
}

func probePath(ctx context.Context, pr Prober, s views.RouteCheckSubmitted,
	t route.Topology, res route.Result, report func(string)) ([]string, bool) {
	var lines []string
	agree, checked := true, 0
	for _, h := range res.Path {
		name := h.Exchange
		if name == "" {
			name = views.DefaultExchangeName
		}
		switch {
		case h.Exchange == "" || h.Missing:
			continue // routes by queue name / skipped by the broker too
		case h.Inexact != "":
			lines = append(lines, fmt.Sprintf("%s: not checked (%s)", views.Clean(name), views.Clean(h.Inexact)))
			continue
		}
		idx := t.BindingsFrom(h.Exchange)
		bs := make([]amqp.ProbeBinding, len(idx))
		for j, i := range idx {
			bs[j] = amqp.ProbeBinding{RoutingKey: t.Bindings[i].RoutingKey, Arguments: t.Bindings[i].Arguments}
		}
		report(fmt.Sprintf("checking %s (%d bindings)…", views.Clean(name), len(bs)))
		got, err := pr.ProbeRoute(ctx, s.VHost, h.Type, bs, s.Message.RoutingKey, amqp091.Table(s.Message.Headers))
		if err != nil {
			return append([]string{"check failed at " + views.Clean(name) + ": " + views.Clean(err.Error())}, lines...), true
		}
		checked++
		broker := make([]int, len(got))
		for j, g := range got {
			broker[j] = idx[g]
		}
		if !slices.Equal(broker, h.Matched) {
			agree = false
			lines = append(lines, fmt.Sprintf("%s: the broker matched %s; predicted %s", views.Clean(name),
				keysOf(t, broker), keysOf(t, h.Matched)))
		} else {
			lines = append(lines, fmt.Sprintf("%s: the broker matched the same %d binding(s)", views.Clean(name), len(broker)))
		}
	}
	head := fmt.Sprintf("checked on the broker: it agrees with the prediction at %d exchange(s)", checked)
	if !agree {
		head = "checked on the broker: it DIFFERS from the prediction (please report this)"
	}
	if checked == 0 && agree {
		head = "nothing to check on the broker (the default exchange routes by queue name)"
	}
	return append([]string{head}, lines...), !agree
}

func keysOf(t route.Topology, idx []int) string {
	if len(idx) == 0 {
		return "none"
	}
	var out []string
	for _, i := range idx {
		out = append(out, fmt.Sprintf("%q→%s", views.Clean(t.Bindings[i].RoutingKey), views.Clean(t.Bindings[i].Destination)))
	}
	return strings.Join(out, ", ")
}
