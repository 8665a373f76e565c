package tui

import (
	"context"
	"fmt"
	"sort"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// policies handles the policy intents; ok is false for any other message.
func (m *Model) policies(msg tea.Msg) (tea.Cmd, bool) {
	log := m.logger()
	switch msg := msg.(type) {
	case views.PolicyRequested:
		if m.refuseReadOnly("edit policy") {
			return nil, true
		}
		vh := msg.VHost
		p, cmd := views.NewPolicyPage(m.nextActionID(), vh, msg.Existing, func() views.PolicyNames { return m.policyNames(vh) })
		m.push(&actionScreen{p})
		return tea.Batch(cmd, m.loadRouteTopology(vh)), true
	case views.PolicySubmitted:
		kind := "policy"
		if msg.Operator {
			kind = "operator policy"
		}
		d := mgmt.PolicyDecl{VHost: msg.VHost, Name: msg.Name, Pattern: msg.Pattern, ApplyTo: msg.ApplyTo, Priority: msg.Priority,
			Definition: msg.Definition, Operator: msg.Operator}
		if err := mgmt.ValidatePolicy(d, m.overview.RabbitMQVersion); err != nil {
			if p := m.actionPage(msg.ID); p != nil {
				p.Form.SetError(err.Error())
			}
			return nil, true
		}
		q := fmt.Sprintf("Save %s %s (vhost %s): pattern %q on %s, priority %d, definition %s?", kind, views.Clean(msg.Name),
			views.Clean(msg.VHost), views.Clean(msg.Pattern), views.Clean(msg.ApplyTo), msg.Priority, describeArgs(msg.Definition))
		return m.admin("Save policy", q, false, msg.ID, fmt.Sprintf("save %s %q in vhost %q", kind, msg.Name, msg.VHost),
			func(ctx context.Context, a Administrator) (string, error) {
				err := a.PutPolicy(ctx, d)
				log.Info("mutation", "action", "put_policy", "vhost", msg.VHost, "policy", msg.Name, "operator", msg.Operator,
					"pattern", msg.Pattern, "apply_to", msg.ApplyTo, "priority", msg.Priority, "definition", describeArgs(msg.Definition), "err", err)
				return "saved " + kind + " " + views.Clean(msg.Name), err
			}), true
	case views.DeletePolicyRequested:
		pol := msg.Policy
		kind := "policy"
		if pol.Operator {
			kind = "operator policy"
		}
		q := fmt.Sprintf("Delete %s %s (vhost %s)? What it sets on the queues and exchanges matching %q stops applying.",
			kind, views.Clean(pol.Name), views.Clean(pol.VHost), views.Clean(pol.Pattern))
		return m.admin("Delete policy", q, true, 0, fmt.Sprintf("delete %s %q in vhost %q", kind, pol.Name, pol.VHost),
			func(ctx context.Context, a Administrator) (string, error) {
				err := a.DeletePolicy(ctx, pol.VHost, pol.Name, pol.Operator)
				log.Info("mutation", "action", "delete_policy", "vhost", pol.VHost, "policy", pol.Name, "operator", pol.Operator, "err", err)
				return "deleted " + kind + " " + views.Clean(pol.Name), err
			}), true
	}
	return nil, false
}

// policyNames are the vhost's queues and exchanges as the route preview
// read them, for the policy form's preview.
func (m *Model) policyNames(vh string) views.PolicyNames {
	t := m.routeTopos[vh]
	if t.err != nil || !t.ok {
		return views.PolicyNames{Err: t.err}
	}
	n := views.PolicyNames{Loaded: true}
	for q := range t.t.Queues {
		n.Queues = append(n.Queues, q)
	}
	for x := range t.t.Exchanges {
		if x != "" {
			n.Exchanges = append(n.Exchanges, x)
		}
	}
	sort.Strings(n.Queues)
	sort.Strings(n.Exchanges)
	return n
}
