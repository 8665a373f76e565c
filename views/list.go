package views

import (
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
)

// Column is one column of a list view.
type Column[T any] struct {
	Title    string
	Width    int // 0: takes what the other columns leave
	Right    bool
	Priority int    // 0 is always shown; the highest numbers drop first on narrow terminals
	Sort     string // the sort key this column orders by; "" when it cannot
	VHost    bool   // the vhost column: dropped when the list is scoped to one vhost
	// Sparse columns (a queue's node, its online members) are dropped while
	// no row of the page has a value: a single node's list stays as it was.
	Sparse bool
	// When, if set, says whether the column is shown at all (a queue's node
	// only on a cluster).
	When func() bool
	Cell func(row T) string

	flex bool // took the free width in this layout
}

// ListSpec is what a list view is: its columns, how its rows are named,
// how it sorts. A new view is a spec and a fetch; the List does the rest.
type ListSpec[T any] struct {
	Noun    string // "exchanges", for the position line and the empty state
	One     string // "exchange", for messages about one row
	Columns []Column[T]
	// Key identifies a row: the cursor follows it across refreshes, re-sorts
	// and filter changes.
	Key func(row T) string
	// Sorts is the order `s` cycles through; the first is the default.
	Sorts []string
	// Ascending says which sort keys read best A→Z (names); the others
	// start largest first.
	Ascending   func(sort string) bool
	DefaultDesc bool
	FilterHint  string // the `/` prompt's placeholder
	// Highlight marks rows that need the operator's eye.
	Highlight func(row T) bool
	// Legend adds to the position line (a marker's meaning), or "".
	Legend func() string
	// Describe names a row by its key in messages; the key itself if nil.
	Describe func(key string) string
	// Tracks: the fetch says where the chosen row went (Page.Track), also
	// under another filter. Without it, a new filter or scope starts from the
	// top, and a row that left the window on a refresh stays pinned.
	Tracks bool
}

// Page is one window of a list, as the fetch returns it.
type Page[T any] struct {
	Rows    []T
	Raw     [][]byte // each row's JSON as the broker sent it, for `y`; may be nil
	Offset  int      // index of Rows[0] in the sorted, filtered list
	Matched int      // rows matching the filter
	Total   int      // rows in scope
	// Track says where the chosen row is now, when the fetch knows.
	Track *Track[T]
}

// Track is where the chosen row went (see mgmt.Tracked for queues).
type Track[T any] struct {
	Key             string
	Rank            int // -1 when unknown
	Gone, Unmatched bool
	Row             *T // a fresh copy, when it is off the window and its rank unknown
}

// ListQuery is the window a list needs now, copied into the poll.
type ListQuery struct {
	VHost, Filter, Sort string
	Desc                bool
	Offset, Limit       int
	Track               string // the chosen row's key, "" for none
}

// List is the one list component: columns that drop by priority, sort
// (server-side where the fetch can), `/` regex filter narrowing as you type,
// vhost scope, a paging window of only the rows on screen, and a cursor
// that stays on the row chosen. Views embed it and add their own keys.
type List[T any] struct {
	Spec ListSpec[T]
	keys *keys.Map

	page  Page[T]
	ready bool
	state string // why there is no data ("403 …"), shown instead of rows

	cursor, top   int
	sortKey       string
	desc          bool
	filter, vhost string
	width, height int

	filtering bool
	input     textinput.Model
	filterErr string
	before    string
	preset    string // the filter the list was opened with (related objects)
	typed     int

	sel    string // key of the chosen row
	seen   *T     // the chosen row as last shown
	pinned *T     // the chosen row, held under the cursor while its position is unknown
}

// NewList starts a list in its spec's default order.
func NewList[T any](k *keys.Map, spec ListSpec[T]) *List[T] {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = spec.FilterHint
	l := &List[T]{Spec: spec, keys: k, input: in, desc: spec.DefaultDesc}
	if len(spec.Sorts) > 0 {
		l.sortKey = spec.Sorts[0]
	}
	return l
}

func (l *List[T]) SetSize(w, h int) { l.width, l.height = w, h; l.clampScroll() }

// SetVHost scopes the list to one vhost ("" for all).
func (l *List[T]) SetVHost(vh string) { l.vhost = vh; l.cursor, l.top = 0, 0; l.narrowed() }

func (l *List[T]) VHost() string  { return l.vhost }
func (l *List[T]) Filter() string { return l.filter }

// Capturing reports whether keys are going to the filter input.
func (l *List[T]) Capturing() bool { return l.filtering }

// Sort is the current order.
func (l *List[T]) Sort() (string, bool) { return l.sortKey, l.desc }

// SetSort puts the list in an order (a remembered one, at start).
func (l *List[T]) SetSort(key string, desc bool) {
	for _, s := range l.Spec.Sorts {
		if s == key {
			l.sortKey, l.desc = key, desc
		}
	}
}

// SetFilter sets the filter (a view opened on related objects).
func (l *List[T]) SetFilter(re string) {
	l.filter, l.preset = re, re
	l.cursor, l.top = 0, 0
	l.pinned, l.sel = nil, ""
}

// FilterOwn reports whether the filter is the one the list was opened
// with (none, or the related objects'): esc then goes back rather than
// clearing it.
func (l *List[T]) FilterOwn() bool { return l.filter == l.preset }

// narrowed: the filter or scope changed. A list whose fetch cannot say
// where the chosen row went starts again from the top.
func (l *List[T]) narrowed() {
	l.pinned = nil
	if !l.Spec.Tracks {
		l.sel, l.cursor, l.top = "", 0, 0
	}
}

// SetState shows why there is no data (a 403, an unsupported endpoint)
// instead of rows; "" clears it.
func (l *List[T]) SetState(s string) { l.state = s }

// RowsVisible is the number of rows that fit (titles and position line aside).
func (l *List[T]) RowsVisible() int {
	n := l.height - 2
	if l.filtering {
		n--
	}
	return max(n, 1)
}

// Query is the window the list needs now.
func (l *List[T]) Query() ListQuery {
	return ListQuery{VHost: l.vhost, Filter: l.filter, Sort: l.sortKey, Desc: l.desc, Offset: l.top, Limit: l.RowsVisible(), Track: l.sel}
}

// SetPage stores a freshly loaded window and moves the cursor to where the
// chosen row is now. It returns whether the window must be fetched again
// (the row moved off it) and a note for the status line (the row is gone).
func (l *List[T]) SetPage(p Page[T]) (refetch bool, note string) {
	l.page, l.ready, l.state = p, true, ""
	if p.Matched == 0 {
		l.sel, l.pinned = "", nil // nothing is listed: nothing can be acted on
	}
	prevPinned := l.pinned
	l.pinned = nil
	if l.sel != "" {
		if i := l.indexOf(l.sel); i >= 0 {
			l.cursor = p.Offset + i
			l.seen = &p.Rows[i]
		} else if t := p.Track; t != nil && t.Key == l.sel {
			switch {
			case t.Rank >= 0:
				row := l.cursor - l.top
				l.cursor = t.Rank
				l.top = max(t.Rank-row, 0)
				refetch = true
			case t.Gone:
				note = l.Spec.One + " " + l.describe(t.Key) + " is gone; the cursor is on its neighbour"
				l.sel = ""
			case t.Unmatched:
				l.sel = ""
				l.cursor, l.top = 0, 0
			case t.Row != nil:
				l.pinned = t.Row
			}
		} else if p.Offset == 0 && len(p.Rows) >= p.Matched {
			// Every matching row is on the page and it is not: gone
			// (deleted, renamed, or out of the filter).
			note = l.Spec.One + " " + l.describe(l.sel) + " is gone; the cursor is on its neighbour"
			l.sel = ""
		} else if prevPinned != nil {
			l.pinned = prevPinned // off the window, position unknown: keep it
		} else if p.Track == nil {
			// A fetch that cannot say where it went: keep it under the cursor.
			if old, ok := l.lastSeen(); ok {
				l.pinned = &old
			}
		}
	}
	top := l.top
	l.clampScroll()
	if l.top != top {
		refetch = true
	}
	if l.sel == "" {
		l.selectUnderCursor()
	}
	return refetch, note
}

func (l *List[T]) describe(key string) string {
	if l.Spec.Describe != nil {
		return l.Spec.Describe(key)
	}
	return Clean(key)
}

// lastSeen is the chosen row as last shown, kept so that it can stay under
// the cursor when it slides off a window whose fetch cannot rank it.
func (l *List[T]) lastSeen() (T, bool) {
	var zero T
	if l.seen == nil || l.Spec.Key(*l.seen) != l.sel {
		return zero, false
	}
	return *l.seen, true
}

func (l *List[T]) indexOf(key string) int {
	for i, r := range l.page.Rows {
		if l.Spec.Key(r) == key {
			return i
		}
	}
	return -1
}

func (l *List[T]) rowAt(abs int) (T, bool) {
	var zero T
	i := abs - l.page.Offset
	if i < 0 || i >= len(l.page.Rows) {
		return zero, false
	}
	return l.page.Rows[i], true
}

func (l *List[T]) selectUnderCursor() {
	l.pinned, l.sel = nil, ""
	if r, ok := l.rowAt(l.cursor); ok {
		l.sel = l.Spec.Key(r)
		l.seen = &r
	}
}

// Selected returns the chosen row: the pinned one while its position is
// unknown, otherwise the row under the cursor, and nothing while that row
// is not the chosen one (its window is being fetched), so that an action can
// never land on a row that slid under the cursor.
func (l *List[T]) Selected() (T, bool) {
	var zero T
	if l.pinned != nil {
		return *l.pinned, true
	}
	r, ok := l.rowAt(l.cursor)
	if !ok || (l.sel != "" && l.Spec.Key(r) != l.sel) {
		return zero, false
	}
	return r, true
}

// SelectedRaw is the chosen row's JSON as the broker sent it, when the
// fetch kept it and the row is in the window.
func (l *List[T]) SelectedRaw() ([]byte, bool) {
	if _, ok := l.Selected(); !ok || l.pinned != nil {
		return nil, false
	}
	i := l.cursor - l.page.Offset
	if i < 0 || i >= len(l.page.Raw) {
		return nil, false
	}
	return l.page.Raw[i], true
}

// Pinned reports whether the chosen row is held under the cursor.
func (l *List[T]) Pinned() bool { return l.pinned != nil }

// Rows is the loaded window.
func (l *List[T]) Rows() []T { return l.page.Rows }

// Find returns a loaded row by key.
func (l *List[T]) Find(key string) (T, bool) {
	if i := l.indexOf(key); i >= 0 {
		return l.page.Rows[i], true
	}
	if l.pinned != nil && l.Spec.Key(*l.pinned) == key {
		return *l.pinned, true
	}
	var zero T
	return zero, false
}

func (l *List[T]) clampScroll() {
	n := l.page.Matched
	l.cursor = min(l.cursor, n-1)
	l.cursor = max(l.cursor, 0)
	rows := l.RowsVisible()
	if l.cursor < l.top {
		l.top = l.cursor
	}
	if l.cursor >= l.top+rows {
		l.top = l.cursor - rows + 1
	}
	l.top = min(l.top, max(n-rows, 0))
}

func changed() tea.Msg { return QueryChanged{} }

// Update handles the keys every list has: moving, sorting, filtering. It
// reports whether it took the key; the view handles the others (enter, y,
// its actions).
func (l *List[T]) Update(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if l.filtering {
		return l.updateFilter(msg), true
	}
	k := l.keys
	prevTop := l.top
	switch {
	case key.Matches(msg, k.Up.Binding):
		l.cursor--
	case key.Matches(msg, k.Down.Binding):
		l.cursor++
	case key.Matches(msg, k.PageUp.Binding):
		l.cursor -= l.RowsVisible()
	case key.Matches(msg, k.PageDown.Binding):
		l.cursor += l.RowsVisible()
	case key.Matches(msg, k.Top.Binding):
		l.cursor = 0
	case key.Matches(msg, k.Bottom.Binding):
		l.cursor = l.page.Matched - 1
	case key.Matches(msg, k.Sort.Binding):
		l.nextSort()
		return changed, true
	case key.Matches(msg, k.SortReverse.Binding):
		l.desc = !l.desc
		l.pinned = nil // the chosen row stays chosen; the page says where it went
		return changed, true
	case key.Matches(msg, k.Filter.Binding):
		l.filtering, l.before = true, l.filter
		l.input.SetValue(l.filter)
		l.input.CursorEnd()
		return l.input.Focus(), true
	case key.Matches(msg, k.Back.Binding) && l.filter != l.preset:
		l.filter, l.filterErr = l.preset, ""
		l.narrowed()
		return changed, true
	default:
		return nil, false
	}
	l.clampScroll()
	l.selectUnderCursor()
	if l.top != prevTop {
		return changed, true
	}
	return nil, true
}

func (l *List[T]) nextSort() {
	if len(l.Spec.Sorts) == 0 {
		return
	}
	next := l.Spec.Sorts[0]
	for i, s := range l.Spec.Sorts {
		if s == l.sortKey {
			next = l.Spec.Sorts[(i+1)%len(l.Spec.Sorts)]
			break
		}
	}
	l.sortKey = next
	l.desc = l.Spec.Ascending == nil || !l.Spec.Ascending(next)
	l.pinned = nil
}

// filterDebounce is how long typing pauses before the list narrows.
const filterDebounce = 250 * time.Millisecond

// FilterTyped is the debounce tick of a filter input; the root hands it to
// the view in front.
type FilterTyped struct{ n int }

// updateFilter narrows the list as the operator types (debounced), keeps
// the filter on enter and restores the one before on esc.
func (l *List[T]) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		l.filtering, l.filterErr = false, ""
		l.input.Blur()
		l.typed++ // a pending debounce must not apply
		if l.filter != l.before {
			l.filter = l.before
			l.narrowed()
			return changed
		}
		return nil
	case "enter":
		val := strings.TrimSpace(l.input.Value())
		if err := badRegex(val); err != "" {
			l.filterErr = err
			return nil
		}
		l.filtering, l.filterErr = false, ""
		l.input.Blur()
		l.typed++
		if val != l.filter {
			l.filter = val
			l.narrowed()
			return changed
		}
		return nil
	}
	var cmd tea.Cmd
	l.input, cmd = l.input.Update(msg)
	l.filterErr = ""
	l.typed++
	n := l.typed
	return tea.Batch(cmd, tea.Tick(filterDebounce, func(time.Time) tea.Msg { return FilterTyped{n: n} }))
}

// FilterPaused applies what is typed so far once typing paused: a regex
// still being typed (invalid) says why inline and leaves the list as it is.
func (l *List[T]) FilterPaused(f FilterTyped) tea.Cmd {
	if !l.filtering || f.n != l.typed {
		return nil
	}
	val := strings.TrimSpace(l.input.Value())
	if err := badRegex(val); err != "" {
		l.filterErr = err
		return nil
	}
	if val == l.filter {
		return nil
	}
	l.filter = val
	l.narrowed()
	return changed
}

func badRegex(s string) string {
	if _, err := regexp.Compile(s); err != nil {
		return "bad regex: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
	}
	return ""
}
