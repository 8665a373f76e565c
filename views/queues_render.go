package views

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/mgmt"
)

type column struct {
	title    string
	width    int
	right    bool
	sort     mgmt.SortKey
	priority int // lower survives narrower terminals
	cell     func(q mgmt.Queue, info RowInfo) string
}

func rateCell(r mgmt.Rate) string { return FmtRate(r) }

// inCell shows the publish rate, or, when the broker reports no rates at
// all (stats off), the net change of depth between polls marked with Δ.
func inCell(q mgmt.Queue, info RowInfo) string {
	if !q.PublishRate.OK && !q.DeliverRate.OK && info.NetRate.OK {
		return "Δ" + FmtRate(info.NetRate)
	}
	return FmtRate(q.PublishRate)
}

var queueColumns = []column{
	{title: "VHOST", width: 10, sort: mgmt.SortVHost, priority: 9, cell: func(q mgmt.Queue, _ RowInfo) string { return Clean(q.VHost) }},
	{title: "NAME", width: 0, sort: mgmt.SortName, priority: 0, cell: func(q mgmt.Queue, _ RowInfo) string { return Clean(q.Name) }},
	{title: "TYPE", width: 7, sort: mgmt.SortType, priority: 6, cell: func(q mgmt.Queue, _ RowInfo) string { return Clean(q.Type) }},
	{title: "STATE", width: 8, sort: mgmt.SortState, priority: 7, cell: func(q mgmt.Queue, _ RowInfo) string { return Clean(q.State) }},
	{title: "READY", width: 8, right: true, sort: mgmt.SortReady, priority: 1, cell: func(q mgmt.Queue, i RowInfo) string { return exactMark(FmtCount(q.Ready), i) }},
	{title: "UNACKED", width: 7, right: true, sort: mgmt.SortUnacked, priority: 1, cell: func(q mgmt.Queue, _ RowInfo) string { return FmtCount(q.Unacked) }},
	{title: "TOTAL", width: 8, right: true, sort: mgmt.SortMessages, priority: 1, cell: func(q mgmt.Queue, i RowInfo) string { return exactMark(FmtCount(q.Messages), i) }},
	{title: "CONS", width: 5, right: true, sort: mgmt.SortConsumers, priority: 2, cell: func(q mgmt.Queue, _ RowInfo) string { return FmtCount(q.Consumers) }},
	{title: "IN/S", width: 6, right: true, sort: mgmt.SortIn, priority: 3, cell: inCell},
	{title: "OUT/S", width: 6, right: true, sort: mgmt.SortOut, priority: 3, cell: func(q mgmt.Queue, _ RowInfo) string { return rateCell(q.DeliverRate) }},
	{title: "TREND", width: 15, priority: 4, cell: func(_ mgmt.Queue, i RowInfo) string { return FmtTrend(i.Trend) }},
}

// layout picks the columns that fit the width, NAME taking what is left.
func (v *Queues) layout() []column {
	const nameMin = 14
	maxPrio := 9
	if v.vhost != "" {
		maxPrio = 8 // the vhost column says nothing when scoped to one
	}
	for ; maxPrio >= 0; maxPrio-- {
		used, cols := 0, []column{}
		for _, c := range queueColumns {
			if c.priority <= maxPrio {
				cols = append(cols, c)
				used += c.width + 1
			}
		}
		if used+nameMin <= v.width || maxPrio == 0 {
			for i := range cols {
				if cols[i].width == 0 {
					cols[i].width = max(v.width-used, nameMin)
				}
			}
			return cols
		}
	}
	return nil
}

// View renders the table for the current window.
func (v *Queues) View() string {
	cols := v.layout()
	var b strings.Builder
	for i, c := range cols {
		title := c.title
		st := theme.TableHead
		if c.sort != "" && c.sort == v.sortKey {
			title = sortedTitle(title, c.width, v.desc)
			st = theme.SortedCol
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(st.Render(fit(title, c.width, c.right)))
	}
	b.WriteByte('\n')
	rows := v.rowsVisible()
	for r := 0; r < rows; r++ {
		abs := v.top + r
		if abs >= v.page.Matched {
			break
		}
		b.WriteString(v.renderRow(cols, abs))
		b.WriteByte('\n')
	}
	if v.ready && v.page.Matched == 0 {
		msg := "no queues"
		if v.filter != "" {
			msg = fmt.Sprintf("no queue matches /%s/", Clean(v.filter))
		}
		b.WriteString(theme.Dim.Render(msg) + "\n")
	} else if !v.ready {
		b.WriteString(theme.Dim.Render("loading queues…") + "\n")
	}
	out := strings.TrimRight(b.String(), "\n")
	lines := strings.Count(out, "\n") + 1
	out += strings.Repeat("\n", max(v.height-2-lines, 0)+1)
	switch {
	case v.filtering && v.filterErr != "":
		out += v.input.View() + "  " + theme.Error.Render(v.filterErr) + "\n"
	case v.filtering:
		out += v.input.View() + "\n"
	case v.filterErr != "":
		out += theme.Error.Render(v.filterErr) + "\n"
	}
	return out + v.positionLine()
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

func (v *Queues) renderRow(cols []column, abs int) string {
	selected := abs == v.cursor
	q, ok := v.rowAt(abs)
	pinned := selected && v.pinned != nil
	if pinned {
		q, ok = *v.pinned, true
	}
	if !ok {
		line := fit(theme.Dim.Render("…"), v.width, false)
		if selected {
			return theme.Selected.Render(line)
		}
		return line
	}
	info := v.info[q.Key()]
	cells := make([]string, len(cols))
	for ci, c := range cols {
		cell := c.cell(q, info)
		if pinned && c.sort == mgmt.SortName {
			// The chosen queue left this row when the order changed; where
			// it went is unknown (the management API pages), so it stays.
			cell = "↕ " + cell + " (moved)"
		}
		cells[ci] = fit(cell, c.width, c.right)
	}
	line := strings.Join(cells, " ")
	switch {
	case selected:
		return theme.Selected.Render(line)
	case highlight(q, info):
		return theme.Attention.Render(line)
	}
	return line
}

func (v *Queues) positionLine() string {
	n := v.page.Matched
	pos := 0
	if n > 0 {
		pos = v.cursor + 1
	}
	s := fmt.Sprintf("%s/%s queues", humanize.Comma(int64(pos)), humanize.Comma(int64(n)))
	if v.filter != "" {
		s += fmt.Sprintf(" matching /%s/ of %s", Clean(v.filter), humanize.Comma(int64(v.page.Total)))
	}
	if v.vhost != "" {
		s += " in vhost " + Clean(v.vhost)
	}
	if t := v.hiddenSort(); t != "" {
		s += " · sorted by " + t
	}
	for _, i := range v.info {
		if i.Exact {
			s += " · " + exactSign + " exact now, statistics catching up"
			break
		}
	}
	return theme.Dim.Render(Truncate(s, v.width))
}

// sortedTitle marks the sorted column's title with the order's arrow. The
// arrow always shows: a title too long for the column loses letters
// instead (UNACKED at width 7 becomes UNACKE↓).
func sortedTitle(title string, width int, desc bool) string {
	arrow := "↑"
	if desc {
		arrow = "↓"
	}
	if width > 0 && ansi.StringWidth(title)+1 > width {
		title = ansi.Truncate(title, width-1, "")
	}
	return title + arrow
}

// hiddenSort names the sort order when its column is not on screen (dropped
// on a narrow terminal), so the order is still said; "" when it is shown.
func (v *Queues) hiddenSort() string {
	for _, c := range v.layout() {
		if c.sort == v.sortKey {
			return ""
		}
	}
	for _, c := range queueColumns {
		if c.sort == v.sortKey {
			return sortedTitle(c.title, 0, v.desc)
		}
	}
	return ""
}
