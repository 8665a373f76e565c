package views

import (
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Policies is the policy list (`:pol`): user and operator policies, in the
// broker's precedence (highest priority first) unless sorted otherwise.
// enter opens what the policy matches now (the queues, or the exchanges,
// of its vhost filtered by its pattern); y its JSON.
type Policies struct {
	*List[mgmt.Policy]
	keys *keys.Map
}

// OperatorMark marks an operator policy in the KIND column.
const OperatorMark = "operator"

// policyKey names a policy: a user and an operator policy may share a name.
func policyKey(p mgmt.Policy) string {
	kind := "user"
	if p.Operator {
		kind = OperatorMark
	}
	return p.VHost + "\x00" + p.Name + "\x00" + kind
}

func describePolicyKey(k string) string {
	vh, rest, _ := strings.Cut(k, "\x00")
	name, kind, _ := strings.Cut(rest, "\x00")
	if kind == OperatorMark {
		return Clean(name) + " (vhost " + Clean(vh) + ", operator)"
	}
	return Clean(name) + " (vhost " + Clean(vh) + ")"
}

// NewPolicies lists policies by precedence: the sort "priority", highest
// first, is the broker's own order (the fetch sends it as mgmt's "" sort).
func NewPolicies(k *keys.Map) *Policies {
	return &Policies{keys: k, List: NewList(k, ListSpec[mgmt.Policy]{
		Noun: "policies", One: "policy", FilterHint: "regex on policy name or pattern",
		Key: policyKey, Describe: describePolicyKey,
		Sorts: []string{"priority", "name", "vhost", "apply-to"}, DefaultDesc: true,
		Ascending: func(s string) bool { return s != "priority" },
		Columns: []Column[mgmt.Policy]{
			{Title: "VHOST", Width: 10, Sort: "vhost", Priority: 4, VHost: true, Cell: func(p mgmt.Policy) string { return Clean(p.VHost) }},
			{Title: "NAME", Width: 16, Sort: "name", Cell: func(p mgmt.Policy) string { return Clean(p.Name) }},
			{Title: "PATTERN", Width: 14, Cell: func(p mgmt.Policy) string { return Clean(p.Pattern) }},
			{Title: "APPLY-TO", Width: 14, Sort: "apply-to", Priority: 3, Cell: policyApplyTo},
			{Title: "PRIO", Width: 5, Right: true, Sort: "priority", Priority: 1, Cell: func(p mgmt.Policy) string { return FmtCount(p.Priority) }},
			{Title: "KIND", Width: 8, Priority: 1, Cell: func(p mgmt.Policy) string {
				if p.Operator {
					return OperatorMark
				}
				return "user"
			}},
			{Title: "DEFINITION", Cell: func(p mgmt.Policy) string { return definitionCell(p.Definition) }},
		},
	})}
}

func policyApplyTo(p mgmt.Policy) string {
	if p.ApplyTo == "" {
		return unknown
	}
	return Clean(p.ApplyTo)
}

// definitionCell is a policy's definition as key=value pairs in key order:
// "max-length=1000 overflow=reject-publish".
func definitionCell(t mgmt.Table) string {
	if len(t) == 0 {
		return unknown
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = Clean(k) + "=" + Clean(valueString(t[k]))
	}
	return strings.Join(parts, " ")
}

// PolicyTarget is the view that lists what a policy applies to: the
// exchanges for apply-to "exchanges", the queues otherwise ("all" matches
// both; its queues are what an operator asks about).
func PolicyTarget(applyTo string) string {
	if applyTo == "exchanges" {
		return "exchanges"
	}
	return "queues"
}

// Update: the list's keys, then enter (what the policy matches now) and y
// (its JSON).
func (v *Policies) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	if key.Matches(msg, v.keys.New.Binding) {
		return emit(PolicyRequested{VHost: cmpStr(v.VHost(), "/")})
	}
	p, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Rebind.Binding):
		return emit(PolicyRequested{VHost: p.VHost, Existing: &p})
	case key.Matches(msg, v.keys.Delete.Binding):
		return emit(DeletePolicyRequested{Policy: p})
	case key.Matches(msg, v.keys.Detail.Binding):
		// The broker matches the pattern unanchored with Erlang's re; the
		// list filters are regexes too (sent to the server by the management
		// source), and agree on the patterns policies use (see
		// mgmt.PolicyMatches).
		return emit(OpenViewRequested{View: PolicyTarget(p.ApplyTo), VHost: p.VHost, Filter: p.Pattern})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "policy " + describePolicyKey(policyKey(p)), Raw: raw})
		}
	}
	return nil
}
