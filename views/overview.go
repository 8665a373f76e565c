package views

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Overview is `:o`: the cluster's message rates over the session, then one
// row per node. enter shows the node's listeners and the feature flags.
type Overview struct {
	*List[mgmt.Node]
	keys             *keys.Map
	publish, deliver []float64
	width            int
}

// chartLines is what the rate charts take above the node list.
const chartLines = 4

// NewOverview lists the nodes by name.
func NewOverview(k *keys.Map) *Overview {
	return &Overview{keys: k, List: NewList(k, ListSpec[mgmt.Node]{
		Noun: "nodes", One: "node", FilterHint: "regex on node name",
		Key:   func(n mgmt.Node) string { return n.Name },
		Sorts: []string{"name"}, Ascending: func(string) bool { return true },
		Highlight: func(n mgmt.Node) bool {
			return !n.Running || n.MemAlarm || n.DiskAlarm || len(n.Partitions) > 0 || n.QuorumCritical != ""
		},
		Columns: []Column[mgmt.Node]{
			{Title: "NODE", Sort: "name", Cell: func(n mgmt.Node) string { return Clean(n.Name) }},
			{Title: "RUNNING", Width: 7, Cell: func(n mgmt.Node) string { return runningCell(n) }},
			{Title: "VERSION", Width: 8, Priority: 2, Sparse: true, Cell: func(n mgmt.Node) string { return Clean(n.Version) }},
			{Title: "UPTIME", Width: 8, Right: true, Priority: 3, Cell: func(n mgmt.Node) string { return uptime(n.Uptime) }},
			{Title: "MEMORY", Width: 21, Priority: 1, Cell: func(n mgmt.Node) string { return usage(n.MemUsed, n.MemLimit, FmtBytes) }},
			{Title: "DISK FREE", Width: 21, Priority: 1, Cell: func(n mgmt.Node) string { return usage(n.DiskFree, n.DiskFreeLimit, FmtBytes) }},
			{Title: "FD", Width: 15, Right: true, Priority: 2, Cell: func(n mgmt.Node) string { return FmtCount(n.FDUsed) + "/" + FmtCount(n.FDTotal) }},
			{Title: "SOCKETS", Width: 12, Right: true, Priority: 4, Cell: func(n mgmt.Node) string { return FmtCount(n.SocketsUsed) + "/" + FmtCount(n.SocketsTotal) }},
			{Title: "PROCS", Width: 17, Right: true, Priority: 4, Cell: func(n mgmt.Node) string { return FmtCount(n.ProcUsed) + "/" + FmtCount(n.ProcTotal) }},
			{Title: "ALARMS", Width: 12, Priority: 0, Cell: nodeAlarms},
			{Title: "PARTITIONS", Width: 12, Priority: 2, Cell: func(n mgmt.Node) string { return Clean(strings.Join(n.Partitions, ",")) }},
			{Title: "QUORUM", Width: 9, Priority: 1, Sparse: true, Cell: quorumCell},
		},
	})}
}

func uptime(ms mgmt.Count) string {
	if !ms.OK {
		return "–"
	}
	return FmtDuration(time.Duration(ms.N) * time.Millisecond)
}

// usage is "used/limit" with a bar of how full it is.
func usage(used, limit mgmt.Count, f func(mgmt.Count) string) string {
	s := f(used) + "/" + f(limit)
	if used.OK && limit.OK && limit.N > 0 {
		full := min(4, max(0, int(4*float64(used.N)/float64(limit.N))))
		s = "[" + strings.Repeat("█", full) + strings.Repeat("·", 4-full) + "]" + s
	}
	return s
}

func runningCell(n mgmt.Node) string {
	if n.Running {
		return "yes"
	}
	return "DOWN"
}

// quorumCell: CRITICAL when stopping the node would cost quorum queues or
// streams their majority; "" where the check did not answer.
func quorumCell(n mgmt.Node) string {
	switch {
	case n.QuorumCritical != "":
		return "CRITICAL"
	case n.QuorumChecked:
		return "ok"
	}
	return ""
}

// clusterWarnings are the cluster-wide troubles worth a line above the
// nodes: a network partition, mixed RabbitMQ versions (a rolling upgrade
// half done), nodes that may not be stopped now.
func clusterWarnings(nodes []mgmt.Node) []string {
	var out []string
	versions := map[string]int{}
	var order []string
	for _, n := range nodes {
		if len(n.Partitions) > 0 {
			out = append(out, fmt.Sprintf("NETWORK PARTITION: %s cannot see %s", Clean(n.Name), Clean(strings.Join(n.Partitions, ", "))))
		}
		if n.Version != "" {
			if versions[n.Version] == 0 {
				order = append(order, n.Version)
			}
			versions[n.Version]++
		}
	}
	if len(versions) > 1 {
		var parts []string
		for _, v := range order {
			parts = append(parts, fmt.Sprintf("%s on %d", Clean(v), versions[v]))
		}
		out = append(out, "mixed RabbitMQ versions ("+strings.Join(parts, ", ")+"): an upgrade in progress?")
	}
	for _, n := range nodes {
		if n.QuorumCritical != "" {
			out = append(out, fmt.Sprintf("%s is quorum-critical: %s", Clean(n.Name), Clean(n.QuorumCritical)))
		}
	}
	return out
}

func nodeAlarms(n mgmt.Node) string {
	var out []string
	if n.MemAlarm {
		out = append(out, "MEMORY")
	}
	if n.DiskAlarm {
		out = append(out, "DISK")
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

// SetRates gives the cluster's publish and deliver rates over the session.
func (v *Overview) SetRates(publish, deliver []float64) { v.publish, v.deliver = publish, deliver }

// SetSize leaves room for the charts above the list.
func (v *Overview) SetSize(w, h int) {
	v.width = w
	v.List.SetSize(w, max(h-chartLines, 3))
}

// View draws the rate charts, then the nodes.
func (v *Overview) View() string {
	room := max(v.width-22, 10)
	last := func(xs []float64) string {
		if len(xs) == 0 || math.IsNaN(xs[len(xs)-1]) {
			return "–" // no rate (statistics off, nothing delivered yet)
		}
		return fmtFloat(xs[len(xs)-1])
	}
	// The line under the charts says what is wrong with the cluster, the
	// worst first (a partition), loud.
	warn := ""
	if ws := clusterWarnings(v.page.Rows); len(ws) > 0 {
		warn = ws[0]
		if len(ws) > 1 {
			warn += fmt.Sprintf(" (+%d more: enter on a node)", len(ws)-1)
		}
		warn = theme.Error.Render(Truncate(warn, v.width))
	}
	head := fmt.Sprintf("publish/s %-8s %s\ndeliver/s %-8s %s\n(cluster, %s averages over the session)\n%s\n",
		last(v.publish), Sparkline(v.publish, room), last(v.deliver), Sparkline(v.deliver, room), FmtDuration(mgmt.RateWindow), warn)
	return head + v.List.View()
}

// Update: the list's keys, then enter (listeners and feature flags) and y.
func (v *Overview) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	n, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Detail.Binding):
		return emit(DetailRequested{View: "overview", Key: n.Name})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "node " + Clean(n.Name), Raw: raw})
		}
	}
	return nil
}
