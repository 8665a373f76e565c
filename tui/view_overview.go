package tui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/history"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// overviewScreen is the nodes list with the cluster's rate charts, which
// come from the header's own polls (no request of its own).
type overviewScreen struct {
	listScreen[mgmt.Node]
	view *views.Overview
}

func (s *overviewScreen) apply(m *Model, data any, err error, at time.Time) (bool, string) {
	series := m.totals.Get("")
	s.view.SetRates(series.Values(func(x history.Sample) float64 { return x.In }), series.Values(func(x history.Sample) float64 { return x.Out }))
	return s.listScreen.apply(m, data, err, at)
}

func init() {
	register(viewDef{name: "overview", aliases: []string{"o", "nodes"}, open: func(m *Model) Screen {
		v := views.NewOverview(&m.keys)
		return &overviewScreen{view: v, listScreen: listScreen[mgmt.Node]{listView: v, title: "overview", fetchPage: nodesPage,
			hints: func(k *keys.Map) []views.Hint {
				return listHints(k, []hintAction{{"listeners & feature flags", &k.Detail}}, []hintAction{{"refresh", &k.Refresh}})
			}}}
	}, detail: nodeDetail})
}

// quorumChecker says which nodes are quorum-critical (mgmt.Client).
type quorumChecker interface {
	QuorumCritical(ctx context.Context) (map[string]string, error)
}

// nodesPage lists the nodes (a cluster has a handful: one request, cut
// locally).
func nodesPage(ctx context.Context, d Deps, q views.ListQuery) (views.Page[mgmt.Node], error) {
	nodes, err := d.Backend.Nodes(ctx)
	if err != nil {
		return views.Page[mgmt.Node]{}, err
	}
	if qc, ok := d.Backend.(quorumChecker); ok && len(nodes) > 1 {
		// Which nodes may not be stopped now: asked of every endpoint of
		// the context; a failed check leaves the column empty, not the list.
		if crit, err := qc.QuorumCritical(ctx); err == nil {
			for i := range nodes {
				if reason, ok := crit[nodes[i].Name]; ok {
					nodes[i].QuorumCritical, nodes[i].QuorumChecked = reason, true
				}
			}
		}
	}
	var re *regexp.Regexp
	if q.Filter != "" {
		if re, err = regexp.Compile(q.Filter); err != nil {
			return views.Page[mgmt.Node]{}, err
		}
	}
	var rows []mgmt.Node
	for _, n := range nodes {
		if re == nil || re.MatchString(n.Name) {
			rows = append(rows, n)
		}
	}
	if q.Desc {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	off := min(q.Offset, len(rows))
	return views.Page[mgmt.Node]{Rows: rows[off:min(off+q.Limit, len(rows))], Offset: off, Matched: len(rows), Total: len(nodes)}, nil
}

// nodeDetail is a node's listeners (from the overview the header polls)
// and the cluster's feature flags (read now).
func nodeDetail(m *Model, node string) tea.Cmd {
	listeners := m.overview.Listeners
	b, timeout := m.deps.Backend, m.deps.Timeout
	return func() tea.Msg {
		var t strings.Builder
		fmt.Fprintf(&t, "Listeners of %s\n", views.Clean(node))
		for _, l := range listeners {
			if l.Node == node {
				fmt.Fprintf(&t, "  %-18s %s:%d\n", views.Clean(l.Protocol), views.Clean(l.IP), l.Port)
			}
		}
		t.WriteString("\nFeature flags\n")
		c, ok := b.(*mgmt.Client)
		if !ok {
			return textReady{title: "node " + node, text: t.String()}
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		flags, err := c.FeatureFlags(ctx)
		if err != nil {
			fmt.Fprintf(&t, "  unreadable: %s\n", views.Clean(err.Error()))
		}
		for _, f := range flags {
			fmt.Fprintf(&t, "  %-10s %-36s %s %s\n", views.Clean(f.State), views.Clean(f.Name), views.Clean(f.Stability), views.Clean(f.Desc))
		}
		return textReady{title: "node " + node, text: t.String()}
	}
}
