package tui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// TopologyEditor is the management API's topology mutations; the
// management client implements it and refuses them itself in read-only
// mode.
type TopologyEditor interface {
	DeclareQueue(ctx context.Context, vhost string, d mgmt.QueueDecl) error
	DeclareExchange(ctx context.Context, vhost string, d mgmt.ExchangeDecl) error
	DeleteExchange(ctx context.Context, vhost, name string, ifUnused bool) error
	Bind(ctx context.Context, vhost string, b mgmt.Binding) error
	Unbind(ctx context.Context, vhost string, b mgmt.Binding) error
	Rebind(ctx context.Context, vhost string, old, new mgmt.Binding) (mgmt.RebindResult, error)
	ExchangeTypes(ctx context.Context) ([]mgmt.ExchangeType, error)
	ExplainQueueConflict(ctx context.Context, vhost string, d mgmt.QueueDecl) (string, error)
	ExplainExchangeConflict(ctx context.Context, vhost string, d mgmt.ExchangeDecl) (string, error)
	ExchangeBindings(ctx context.Context, vhost, name string) (from, to []mgmt.Binding, err error)
}

var errNoEditor = errors.New("this backend cannot change the topology")

// exchangeTypesLoaded carries the broker's exchange types for the declare form.
type exchangeTypesLoaded struct{ names []string }

// exchangeDependents is what goes with an exchange, read before the delete
// dialog opens so that it can name them.
type exchangeDependents struct {
	vhost, name string
	from, to    []mgmt.Binding
	err         error
}

func (m *Model) editor() (TopologyEditor, bool) {
	e, ok := m.deps.Backend.(TopologyEditor)
	return e, ok
}

// refuseReadOnly says why an action is not available in read-only mode.
func (m *Model) refuseReadOnly(what string) bool {
	if m.deps.Context.ReadOnly {
		m.errorf("%s refused: read-only mode", what)
		return true
	}
	return false
}

// topology handles the topology intents; ok is false for any other message.
func (m *Model) topology(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case views.RefusedRequested:
		m.errorf("%s", msg.Why)
	case views.DeclareQueueRequested:
		if m.refuseReadOnly("declare queue") {
			return nil, true
		}
		p, cmd := views.NewDeclareQueuePage(m.nextActionID(), cmpOr(msg.VHost, "/"), m.overview.RabbitMQVersion)
		return m.openAction(p, cmd), true
	case views.DeclareExchangeRequested:
		if m.refuseReadOnly("declare exchange") {
			return nil, true
		}
		vh := cmpOr(msg.VHost, "/")
		p, cmd := views.NewDeclareExchangePage(m.nextActionID(), vh, func() []string { return m.exchangeTypes }, m.exchangesOf(vh))
		return tea.Batch(m.openAction(p, cmd), m.loadExchanges(vh), m.loadExchangeTypes()), true
	case exchangeTypesLoaded:
		m.exchangeTypes = msg.names
	case views.BindRequested:
		if m.refuseReadOnly("bind") {
			return nil, true
		}
		p, cmd := views.NewBindPage(m.nextActionID(), msg.VHost, msg.Destination, msg.DestinationType, m.exchangesOf(msg.VHost))
		return tea.Batch(m.openAction(p, cmd), m.loadExchanges(msg.VHost)), true
	case views.RebindRequested:
		if m.refuseReadOnly("rebind") {
			return nil, true
		}
		p, cmd := views.NewRebindPage(m.nextActionID(), msg.Binding, m.exchangesOf(msg.Binding.VHost))
		m.push(&actionScreen{p})
		return tea.Batch(cmd, m.loadExchanges(msg.Binding.VHost)), true
	case views.DeclareQueueSubmitted:
		return m.confirmDeclareQueue(msg), true
	case views.DeclareExchangeSubmitted:
		return m.confirmDeclareExchange(msg), true
	case views.BindSubmitted:
		return m.confirmBind(msg), true
	case views.RebindSubmitted:
		return m.confirmRebind(msg), true
	case views.UnbindRequested:
		return m.confirmUnbind(msg.Binding), true
	case views.DeleteExchangeRequested:
		return m.readDependents(msg), true
	case exchangeDependents:
		return m.confirmDeleteExchange(msg), true
	case views.RoutePreviewRequested:
		return m.openRoutePreview(msg), true
	case routeTopologyLoaded:
		m.routeTopos[msg.vhost] = msg.topo
	case views.RouteCheckSubmitted:
		return m.checkRoute(msg), true
	case views.MoveRequested:
		return m.requestMove(msg), true
	case views.MoveSubmitted:
		return m.confirmMove(msg), true
	default:
		return nil, false
	}
	return nil, true
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m *Model) loadExchangeTypes() tea.Cmd {
	e, ok := m.editor()
	if !ok || m.exchangeTypes != nil {
		return nil
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		types, err := e.ExchangeTypes(ctx)
		if err != nil {
			return nil // the form accepts any type and the broker judges it
		}
		var names []string
		for _, t := range types {
			if t.Enabled || t.Name != "" {
				names = append(names, t.Name)
			}
		}
		sort.Strings(names)
		return exchangeTypesLoaded{names: names}
	}
}

// edit opens the confirmation of a topology mutation; run performs it with
// the editor and returns what to say on success. page is the form it came
// from (0 none): it closes on success and shows the error otherwise.
func (m *Model) edit(title, question string, danger bool, page int, what string, opts []views.Option,
	run func(ctx context.Context, e TopologyEditor, opts []views.Option) (string, error)) tea.Cmd {
	if m.refuseReadOnly(what) {
		return nil
	}
	e, ok := m.editor()
	c := views.NewConfirm(0, title, question, m.now)
	c.Danger, c.Options = danger, opts
	return m.openDialog(c, pendingAction{what: what, page: page,
		run: func(ctx context.Context, opts []views.Option) (string, error) {
			if !ok {
				return "", errNoEditor
			}
			return run(ctx, e, opts)
		}})
}

func describeArgs(args map[string]any) string {
	if len(args) == 0 {
		return ""
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", views.Clean(k), views.Clean(fmt.Sprint(args[k])))
	}
	return strings.Join(parts, ", ")
}

func (m *Model) confirmDeclareQueue(s views.DeclareQueueSubmitted) tea.Cmd {
	d, log := s.Decl, m.logger()
	props := []string{cmpOr(d.Type, "classic")}
	if d.Durable {
		props = append(props, "durable")
	} else {
		props = append(props, "transient")
	}
	if d.AutoDelete {
		props = append(props, "auto-delete")
	}
	q := fmt.Sprintf("Declare queue %s: %s", target(s.VHost, d.Name), strings.Join(props, ", "))
	if a := describeArgs(d.Arguments); a != "" {
		q += "\nwith " + a
	}
	what := fmt.Sprintf("declare queue %q in vhost %q", d.Name, s.VHost)
	return m.edit("Declare queue", q+"?", false, s.ID, what, nil, func(ctx context.Context, e TopologyEditor, _ []views.Option) (string, error) {
		err := e.DeclareQueue(ctx, s.VHost, d)
		if mgmt.IsPreconditionFailed(err) {
			if why, xerr := e.ExplainQueueConflict(ctx, s.VHost, d); xerr == nil && why != "" {
				err = &conflict{why: why, err: err}
			}
		}
		log.Info("mutation", "action", "declare_queue", "vhost", s.VHost, "queue", d.Name, "type", d.Type, "durable", d.Durable,
			"auto_delete", d.AutoDelete, "arguments", describeArgs(d.Arguments), "err", err)
		return "declared queue " + target(s.VHost, d.Name), err
	})
}

func (m *Model) confirmDeclareExchange(s views.DeclareExchangeSubmitted) tea.Cmd {
	d, log := s.Decl, m.logger()
	props := []string{d.Type}
	for _, p := range []struct {
		on   bool
		name string
	}{{d.Durable, "durable"}, {d.AutoDelete, "auto-delete"}, {d.Internal, "internal"}} {
		if p.on {
			props = append(props, p.name)
		}
	}
	q := fmt.Sprintf("Declare exchange %s: %s", target(s.VHost, d.Name), strings.Join(props, ", "))
	if d.AlternateExchange != "" {
		q += "\nalternate exchange " + views.Clean(d.AlternateExchange)
	}
	if a := describeArgs(d.Arguments); a != "" {
		q += "\nwith " + a
	}
	what := fmt.Sprintf("declare exchange %q in vhost %q", d.Name, s.VHost)
	return m.edit("Declare exchange", q+"?", false, s.ID, what, nil, func(ctx context.Context, e TopologyEditor, _ []views.Option) (string, error) {
		err := e.DeclareExchange(ctx, s.VHost, d)
		if mgmt.IsPreconditionFailed(err) {
			if why, xerr := e.ExplainExchangeConflict(ctx, s.VHost, d); xerr == nil && why != "" {
				err = &conflict{why: why, err: err}
			}
		}
		log.Info("mutation", "action", "declare_exchange", "vhost", s.VHost, "exchange", d.Name, "type", d.Type, "durable", d.Durable,
			"auto_delete", d.AutoDelete, "internal", d.Internal, "alternate_exchange", d.AlternateExchange, "err", err)
		return "declared exchange " + target(s.VHost, d.Name), err
	})
}

// bindingText says a binding in words: "exchange X → queue q, key k, x-match=all".
func bindingText(b mgmt.Binding) string {
	src := b.Source
	if src == "" {
		src = views.DefaultExchangeName
	}
	s := fmt.Sprintf("exchange %s → %s %s, key %q", views.Clean(src), b.DestinationType, views.Clean(b.Destination), views.Clean(b.RoutingKey))
	if a := describeArgs(b.Arguments); a != "" {
		s += ", " + a
	}
	return s
}

func (m *Model) confirmBind(s views.BindSubmitted) tea.Cmd {
	b, log := s.Binding, m.logger()
	what := fmt.Sprintf("bind %s %q to exchange %q in vhost %q", b.DestinationType, b.Destination, b.Source, s.VHost)
	return m.edit("Bind", "Add the binding "+bindingText(b)+" (vhost "+views.Clean(s.VHost)+")?", false, s.ID, what, nil,
		func(ctx context.Context, e TopologyEditor, _ []views.Option) (string, error) {
			err := e.Bind(ctx, s.VHost, b)
			log.Info("mutation", "action", "bind", "vhost", s.VHost, "source", b.Source, "destination", b.Destination,
				"destination_type", b.DestinationType, "routing_key", b.RoutingKey, "arguments", describeArgs(b.Arguments), "err", err)
			return "bound " + bindingText(b), err
		})
}

func (m *Model) confirmUnbind(b mgmt.Binding) tea.Cmd {
	log := m.logger()
	q := fmt.Sprintf("Remove the binding %s (vhost %s)?\n%s %s no longer receives what this exchange routes with this key.",
		bindingText(b), views.Clean(b.VHost), b.DestinationType, views.Clean(b.Destination))
	what := fmt.Sprintf("unbind %s %q from exchange %q in vhost %q", b.DestinationType, b.Destination, b.Source, b.VHost)
	return m.edit("Remove binding", q, true, 0, what, nil, func(ctx context.Context, e TopologyEditor, _ []views.Option) (string, error) {
		err := e.Unbind(ctx, b.VHost, b)
		log.Info("mutation", "action", "unbind", "vhost", b.VHost, "source", b.Source, "destination", b.Destination,
			"destination_type", b.DestinationType, "routing_key", b.RoutingKey, "arguments", describeArgs(b.Arguments), "err", err)
		return "removed the binding " + bindingText(b), err
	})
}

func (m *Model) confirmRebind(s views.RebindSubmitted) tea.Cmd {
	log := m.logger()
	q := fmt.Sprintf("Rebind (vhost %s)\n  from  %s\n  to    %s\nThe new binding is added and read back before the old one is removed.",
		views.Clean(s.VHost), bindingText(s.Old), bindingText(s.New))
	what := fmt.Sprintf("rebind %s %q in vhost %q", s.Old.DestinationType, s.Old.Destination, s.VHost)
	return m.edit("Rebind", q, false, s.ID, what, nil, func(ctx context.Context, e TopologyEditor, _ []views.Option) (string, error) {
		res, err := e.Rebind(ctx, s.VHost, s.Old, s.New)
		step := ""
		var re *mgmt.RebindError
		if errors.As(err, &re) {
			step = re.Step
		}
		log.Info("mutation", "action", "rebind", "vhost", s.VHost, "old", bindingText(s.Old), "new", bindingText(s.New),
			"new_existed", res.NewExisted, "failed_step", step, "err", err)
		done := "rebound: " + bindingText(s.New)
		if res.NewExisted {
			done += " (it existed already; the old binding was removed)"
		}
		return done, err
	})
}

// readDependents reads an exchange's bindings before its delete dialog.
func (m *Model) readDependents(r views.DeleteExchangeRequested) tea.Cmd {
	if m.refuseReadOnly("delete exchange") {
		return nil
	}
	e, ok := m.editor()
	if !ok {
		m.errorf("delete exchange: %v", errNoEditor)
		return nil
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		from, to, err := e.ExchangeBindings(ctx, r.VHost, r.Name)
		return exchangeDependents{vhost: r.VHost, name: r.Name, from: from, to: to, err: err}
	}
}

// listBindings names up to four bindings, and how many more.
func listBindings(bs []mgmt.Binding, other func(mgmt.Binding) string) string {
	var parts []string
	for i, b := range bs {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("and %d more", len(bs)-4))
			break
		}
		parts = append(parts, other(b))
	}
	return strings.Join(parts, ", ")
}

func (m *Model) confirmDeleteExchange(d exchangeDependents) tea.Cmd {
	if d.err != nil {
		m.errorf("%s", failure(fmt.Sprintf("read the bindings of exchange %q", d.name), d.err))
		return nil
	}
	q := fmt.Sprintf("Delete exchange %s?", target(d.vhost, d.name))
	if len(d.from) == 0 && len(d.to) == 0 {
		q += "\nNo binding goes with it."
	}
	if len(d.from) > 0 {
		q += fmt.Sprintf("\nIts %d binding(s) to %s go with it: those destinations stop receiving from it.", len(d.from),
			listBindings(d.from, func(b mgmt.Binding) string { return b.DestinationType + " " + views.Clean(b.Destination) }))
	}
	if len(d.to) > 0 {
		q += fmt.Sprintf("\n%d binding(s) into it from %s go too.", len(d.to),
			listBindings(d.to, func(b mgmt.Binding) string { return "exchange " + views.Clean(b.Source) }))
	}
	log := m.logger()
	what := fmt.Sprintf("delete exchange %q in vhost %q", d.name, d.vhost)
	opts := []views.Option{{Key: "u", Label: "only if unused (no bindings from it)"}}
	cmd := m.edit("Delete exchange", q, true, 0, what, opts, func(ctx context.Context, e TopologyEditor, opts []views.Option) (string, error) {
		ifUnused := len(opts) > 0 && opts[0].On
		err := e.DeleteExchange(ctx, d.vhost, d.name, ifUnused)
		log.Info("mutation", "action", "delete_exchange", "vhost", d.vhost, "exchange", d.name, "if_unused", ifUnused,
			"bindings_from", len(d.from), "bindings_to", len(d.to), "err", err)
		return fmt.Sprintf("deleted exchange %s and %d binding(s)", target(d.vhost, d.name), len(d.from)+len(d.to)), err
	})
	if len(d.from)+len(d.to) > 0 && m.dialog != nil {
		return tea.Batch(cmd, m.dialog.RequireTyping(d.name))
	}
	return cmd
}

// conflict is a re-declare the broker refused, explained: what exists and
// what was asked, side by side.
type conflict struct {
	why string
	err error
}

func (c *conflict) Error() string {
	return c.why + " (the broker refused it as inequivalent; nothing changed)"
}
func (c *conflict) Unwrap() error { return c.err }
