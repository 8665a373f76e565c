package views

import (
	"fmt"

	"github.com/mqtop/mqtop/mgmt"
)

// inCell shows the publish rate, or, when the broker reports no rates at
// all (stats off), the net change of depth over the window marked with Δ.
func inCell(q mgmt.Queue, info RowInfo) string {
	if !q.PublishRate.OK && !q.DeliverRate.OK && info.NetRate.OK {
		return "Δ" + FmtRate(info.NetRate)
	}
	return FmtRate(q.PublishRate)
}

// columns are the queue list's; cells that need what the root derived
// (trend, exact counts) read it from v.info.
func (v *Queues) columns() []Column[mgmt.Queue] {
	info := func(q mgmt.Queue) RowInfo { return v.info[q.Key()] }
	return []Column[mgmt.Queue]{
		{Title: "VHOST", Width: 10, Sort: string(mgmt.SortVHost), Priority: 9, VHost: true, Cell: func(q mgmt.Queue) string { return Clean(q.VHost) }},
		{Title: "NAME", Sort: string(mgmt.SortName), Cell: func(q mgmt.Queue) string { return Clean(q.Name) }},
		{Title: "TYPE", Width: 7, Sort: string(mgmt.SortType), Priority: 6, Cell: func(q mgmt.Queue) string { return Clean(q.Type) }},
		{Title: "STATE", Width: 8, Sort: string(mgmt.SortState), Priority: 7, Cell: func(q mgmt.Queue) string { return Clean(q.State) }},
		{Title: "READY", Width: 8, Right: true, Sort: string(mgmt.SortReady), Priority: 1, Cell: func(q mgmt.Queue) string { return exactMark(FmtCount(q.Ready), info(q)) }},
		{Title: "UNACKED", Width: 7, Right: true, Sort: string(mgmt.SortUnacked), Priority: 1, Cell: func(q mgmt.Queue) string { return FmtCount(q.Unacked) }},
		{Title: "TOTAL", Width: 8, Right: true, Sort: string(mgmt.SortMessages), Priority: 1, Cell: func(q mgmt.Queue) string { return exactMark(FmtCount(q.Messages), info(q)) }},
		{Title: "CONS", Width: 5, Right: true, Sort: string(mgmt.SortConsumers), Priority: 2, Cell: func(q mgmt.Queue) string { return FmtCount(q.Consumers) }},
		{Title: "IN/S", Width: 6, Right: true, Sort: string(mgmt.SortIn), Priority: 3, Cell: func(q mgmt.Queue) string { return inCell(q, info(q)) }},
		{Title: "OUT/S", Width: 6, Right: true, Sort: string(mgmt.SortOut), Priority: 3, Cell: func(q mgmt.Queue) string { return FmtRate(q.DeliverRate) }},
		{Title: "TREND", Width: 15, Priority: 4, Cell: func(q mgmt.Queue) string { return FmtTrend(info(q).Trend) }},
		{Title: "NODE", Width: 16, Priority: 8, Sparse: true, When: func() bool { return v.nodes > 1 }, Cell: func(q mgmt.Queue) string { return Clean(v.nodeNames.Short(q.Home())) }},
		{Title: "ONLINE", Width: 6, Right: true, Priority: 5, Sparse: true, Cell: membersCell},
	}
}

// membersCell is a replicated queue's online members of its members
// ("2/3", marked when fewer are online); "" for a queue on one node.
func membersCell(q mgmt.Queue) string {
	if len(q.Members) == 0 {
		return ""
	}
	s := fmt.Sprintf("%d/%d", len(q.Online), len(q.Members))
	if q.UnderReplicated() {
		s = "!" + s
	}
	return s
}

// exactSign marks a count read just now (a passive declare after an
// action) instead of from the statistics, which lag it.
const exactSign = "•"

func exactMark(s string, i RowInfo) string {
	if i.Exact {
		return s + exactSign
	}
	return s
}

func (v *Queues) legend() string {
	for _, i := range v.info {
		if i.Exact {
			return exactSign + " exact now, statistics catching up"
		}
	}
	return ""
}
