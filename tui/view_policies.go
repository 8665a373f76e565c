package tui

import (
	"context"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

func init() {
	register(viewDef{name: "policies", aliases: []string{"pol", "policy"}, open: func(m *Model) Screen {
		list := clientList((*mgmt.Client).Policies)
		return &listScreen[mgmt.Policy]{listView: views.NewPolicies(&m.keys), title: "policies",
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"matching", &k.Detail}, {"add", &k.New}, {"edit", &k.Rebind}},
					[]hintAction{{"delete", &k.Delete}, {"json", &k.RawJSON}, {"refresh", &k.Refresh}})
			},
			fetchPage: func(ctx context.Context, d Deps, q views.ListQuery) (views.Page[mgmt.Policy], error) {
				return list(ctx, d, policyQuery(q))
			}}
	}})
}

// policyQuery maps the view's "priority, highest first" to the broker's
// precedence, mgmt's sort "" (highest priority first, ties by vhost and
// name A→Z); "priority" ascending is mgmt's "priority".
func policyQuery(q views.ListQuery) views.ListQuery {
	if q.Sort == "priority" && q.Desc {
		q.Sort, q.Desc = "", false
	}
	return q
}
