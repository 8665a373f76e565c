package views

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/internal/theme"
)

// nameMin is the least the flexible column keeps before others drop.
const nameMin = 14

// layout picks the columns that fit the width, the flexible one taking what
// is left; the vhost column goes when the list is scoped to one vhost.
func (l *List[T]) layout() []Column[T] {
	maxPrio := 0
	for _, c := range l.Spec.Columns {
		maxPrio = max(maxPrio, c.Priority)
	}
	for ; maxPrio >= 0; maxPrio-- {
		used, cols := 0, []Column[T]{}
		for _, c := range l.Spec.Columns {
			if c.Priority <= maxPrio && !(c.VHost && l.vhost != "") && !(c.Sparse && l.empty(c)) && (c.When == nil || c.When()) {
				cols = append(cols, c)
				used += c.Width + 1
			}
		}
		if used+nameMin <= l.width || maxPrio == 0 {
			for i := range cols {
				if cols[i].Width == 0 {
					cols[i].Width, cols[i].flex = max(l.width-used, nameMin), true
				}
			}
			return cols
		}
	}
	return nil
}

// empty says no row of the page has a value in column c.
func (l *List[T]) empty(c Column[T]) bool {
	for _, r := range l.page.Rows {
		if c.Cell(r) != "" {
			return false
		}
	}
	return true
}

// View renders the titles, the window of rows and the position line.
func (l *List[T]) View() string {
	cols := l.layout()
	var b strings.Builder
	for i, c := range cols {
		title, st := c.Title, theme.TableHead
		if c.Sort != "" && c.Sort == l.sortKey {
			title, st = sortedTitle(title, c.Width, l.desc), theme.SortedCol
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(st.Render(fit(title, c.Width, c.Right)))
	}
	b.WriteByte('\n')
	switch {
	case l.state != "":
		b.WriteString(theme.Error.Render(Clean(l.state)) + "\n")
	case !l.ready:
		b.WriteString(theme.Dim.Render("loading "+l.Spec.Noun+"…") + "\n")
	case l.page.Matched == 0:
		msg := "no " + l.Spec.Noun
		if l.filter != "" {
			msg = fmt.Sprintf("no %s match /%s/", l.Spec.Noun, Clean(l.filter))
		}
		b.WriteString(theme.Dim.Render(msg) + "\n")
	default:
		for r := 0; r < l.RowsVisible() && l.top+r < l.page.Matched; r++ {
			b.WriteString(l.renderRow(cols, l.top+r) + "\n")
		}
	}
	out := strings.TrimRight(b.String(), "\n")
	lines := strings.Count(out, "\n") + 1
	out += strings.Repeat("\n", max(l.height-2-lines, 0)+1)
	switch {
	case l.filtering && l.filterErr != "":
		out += l.input.View() + "  " + theme.Error.Render(l.filterErr) + "\n"
	case l.filtering:
		out += l.input.View() + "\n"
	case l.filterErr != "":
		out += theme.Error.Render(l.filterErr) + "\n"
	}
	return out + l.positionLine()
}

func (l *List[T]) renderRow(cols []Column[T], abs int) string {
	selected := abs == l.cursor
	row, ok := l.rowAt(abs)
	pinned := selected && l.pinned != nil
	if pinned {
		row, ok = *l.pinned, true
	}
	if !ok {
		line := fit(theme.Dim.Render("…"), l.width, false)
		if selected {
			return theme.Selected.Render(line)
		}
		return line
	}
	cells := make([]string, len(cols))
	for i, c := range cols {
		cell := c.Cell(row)
		if pinned && c.flex {
			// The chosen row left this place when the order changed; where it
			// went is unknown (the API pages), so it stays, said to have moved.
			cell = "↕ " + cell + " (moved)"
		}
		cells[i] = fit(cell, c.Width, c.Right)
	}
	line := strings.Join(cells, " ")
	switch {
	case selected:
		return theme.Selected.Render(line)
	case l.Spec.Highlight != nil && l.Spec.Highlight(row):
		return theme.Attention.Render(line)
	}
	return line
}

func (l *List[T]) positionLine() string {
	n := l.page.Matched
	pos := 0
	if n > 0 {
		pos = l.cursor + 1
	}
	s := fmt.Sprintf("%s/%s %s", humanize.Comma(int64(pos)), humanize.Comma(int64(n)), l.Spec.Noun)
	if l.filter != "" {
		s += fmt.Sprintf(" matching /%s/ of %s", Clean(l.filter), humanize.Comma(int64(l.page.Total)))
	}
	if l.vhost != "" {
		s += " in vhost " + Clean(l.vhost)
	}
	if t := l.hiddenSort(); t != "" {
		s += " · sorted by " + t
	}
	if l.Spec.Legend != nil {
		if lg := l.Spec.Legend(); lg != "" {
			s += " · " + lg
		}
	}
	return theme.Dim.Render(Truncate(s, l.width))
}

// sortedTitle marks the sorted column; a title cut to its column keeps the
// arrow (UNACKE↓, not UNACKE…).
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

// hiddenSort names the order when its column is not on screen (dropped on
// a narrow terminal), so the order is still said; "" when it is shown.
func (l *List[T]) hiddenSort() string {
	for _, c := range l.layout() {
		if c.Sort == l.sortKey {
			return ""
		}
	}
	for _, c := range l.Spec.Columns {
		if c.Sort == l.sortKey {
			return sortedTitle(c.Title, 0, l.desc)
		}
	}
	return ""
}
