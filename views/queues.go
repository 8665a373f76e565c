package views

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/tui/keys"
)

// Queues is the queue list: a window onto any number of queues, of which
// only the rows on screen (plus a margin) are ever fetched.
type Queues struct {
	keys *keys.Map

	page  mgmt.QueuePage
	info  map[string]RowInfo
	ready bool // a page has arrived

	cursor, top   int // absolute row indexes in the sorted, filtered list
	sortKey       mgmt.SortKey
	desc          bool
	filter        string
	vhost         string
	width, height int

	filtering bool
	input     textinput.Model
	filterErr string
	before    string // the filter when `/` was pressed, for esc
	typed     int    // counts keystrokes in the filter, for the debounce

	// sel is the queue the operator chose: the cursor follows it, not a
	// row number, across refreshes, re-sorts and filter changes. pinned is
	// its row, held under the cursor while its new position is unknown.
	sel    *mgmt.QueueRef
	pinned *mgmt.Queue
}

// NewQueues starts sorted by name over all vhosts.
func NewQueues(k *keys.Map) *Queues {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "regex on queue name"
	return &Queues{keys: k, sortKey: mgmt.SortName, input: in, info: map[string]RowInfo{}}
}

// SetSize gives the view its share of the screen.
func (v *Queues) SetSize(w, h int) { v.width, v.height = w, h; v.clampScroll() }

// SetVHost scopes the list to one vhost ("" for all).
func (v *Queues) SetVHost(vh string) { v.vhost = vh; v.cursor, v.top = 0, 0; v.pinned = nil }

// VHost is the current scope.
func (v *Queues) VHost() string { return v.vhost }

// Filter is the applied filter.
func (v *Queues) Filter() string { return v.filter }

// Capturing reports whether keys are going to the filter input.
func (v *Queues) Capturing() bool { return v.filtering }

// rowsVisible is the number of table rows that fit (one line is the header).
func (v *Queues) rowsVisible() int {
	n := v.height - 2 // column titles and the position line
	if v.filtering {
		n--
	}
	return max(n, 1)
}

// Query is the window the view needs now, copied for the poll command.
func (v *Queues) Query() mgmt.QueueQuery {
	q := mgmt.QueueQuery{VHost: v.vhost, Filter: v.filter, Sort: v.sortKey, Desc: v.desc, Offset: v.top, Limit: v.rowsVisible()}
	if v.sel != nil {
		ref := *v.sel
		q.Track = &ref
	}
	return q
}

// SetPage stores a freshly loaded page and what the root derived per row,
// and moves the cursor to where the chosen queue is now. It returns whether
// the window must be fetched again (the queue moved off it) and a note for
// the status line (the queue is gone).
func (v *Queues) SetPage(p mgmt.QueuePage, info map[string]RowInfo) (refetch bool, note string) {
	v.page, v.info, v.ready = p, info, true
	v.pinned = nil
	if t := p.Tracked; v.sel != nil && t != nil && t.Ref == *v.sel {
		switch {
		case t.Rank >= 0:
			row := v.cursor - v.top
			v.cursor = t.Rank
			if t.Rank < p.Offset || t.Rank >= p.Offset+len(p.Queues) {
				// Off the window: bring the window to it, the row where it was.
				v.top = max(t.Rank-row, 0)
				refetch = true
			}
		case t.Gone:
			note = fmt.Sprintf("queue %s is gone; the cursor is on its neighbour", target(t.Ref))
			v.sel = nil
		case t.Unmatched:
			v.sel = nil // filtered out (a new filter): start from the top
			v.cursor, v.top = 0, 0
		case t.Queue != nil:
			v.pinned = t.Queue // where it went is unknown: keep it under the cursor
		}
	}
	top := v.top
	v.clampScroll()
	if v.top != top {
		refetch = true
	}
	if v.sel == nil {
		v.selectUnderCursor()
	}
	return refetch, note
}

func target(r mgmt.QueueRef) string {
	if r.VHost == "" || r.VHost == "/" {
		return Clean(r.Name)
	}
	return Clean(r.Name) + " (vhost " + Clean(r.VHost) + ")"
}

// selectUnderCursor makes the row under the cursor the chosen queue.
func (v *Queues) selectUnderCursor() {
	v.pinned = nil
	v.sel = nil
	if q, ok := v.rowAt(v.cursor); ok {
		v.sel = &mgmt.QueueRef{VHost: q.VHost, Name: q.Name}
	}
}

func (v *Queues) rowAt(abs int) (mgmt.Queue, bool) {
	i := abs - v.page.Offset
	if i < 0 || i >= len(v.page.Queues) {
		return mgmt.Queue{}, false
	}
	return v.page.Queues[i], true
}

// Selected returns the chosen queue: the pinned one while its position is
// unknown, otherwise the row under the cursor, and nothing while that row is
// not the chosen queue (the window is being fetched), so that an action can
// never land on a queue that slid under the cursor.
func (v *Queues) Selected() (mgmt.Queue, bool) {
	if v.pinned != nil {
		return *v.pinned, true
	}
	q, ok := v.rowAt(v.cursor)
	if !ok || (v.sel != nil && (q.VHost != v.sel.VHost || q.Name != v.sel.Name)) {
		return mgmt.Queue{}, false
	}
	return q, true
}

// Find returns a loaded row by name.
func (v *Queues) Find(vhost, name string) (mgmt.Queue, bool) {
	for _, q := range v.page.Queues {
		if q.VHost == vhost && q.Name == name {
			return q, true
		}
	}
	if v.pinned != nil && v.pinned.VHost == vhost && v.pinned.Name == name {
		return *v.pinned, true
	}
	return mgmt.Queue{}, false
}

// Pinned reports whether the chosen queue is held under the cursor because
// its new position is unknown.
func (v *Queues) Pinned() bool { return v.pinned != nil }

func (v *Queues) clampScroll() {
	n := v.page.Matched
	if v.cursor >= n {
		v.cursor = n - 1
	}
	if v.cursor < 0 {
		v.cursor = 0
	}
	rows := v.rowsVisible()
	if v.cursor < v.top {
		v.top = v.cursor
	}
	if v.cursor >= v.top+rows {
		v.top = v.cursor - rows + 1
	}
	if v.top > max(n-rows, 0) {
		v.top = max(n-rows, 0)
	}
}

var sortOrder = []mgmt.SortKey{mgmt.SortName, mgmt.SortMessages, mgmt.SortReady, mgmt.SortUnacked,
	mgmt.SortConsumers, mgmt.SortIn, mgmt.SortOut, mgmt.SortType, mgmt.SortState, mgmt.SortVHost}

func changed() tea.Msg { return QueryChanged{} }

// Update handles a key; it returns QueryChanged when a new fetch is needed.
func (v *Queues) Update(msg tea.KeyPressMsg) tea.Cmd {
	if v.filtering {
		return v.updateFilter(msg)
	}
	k := v.keys
	prevTop := v.top
	switch {
	case key.Matches(msg, k.Up.Binding):
		v.cursor--
	case key.Matches(msg, k.Down.Binding):
		v.cursor++
	case key.Matches(msg, k.PageUp.Binding):
		v.cursor -= v.rowsVisible()
	case key.Matches(msg, k.PageDown.Binding):
		v.cursor += v.rowsVisible()
	case key.Matches(msg, k.Top.Binding):
		v.cursor = 0
	case key.Matches(msg, k.Bottom.Binding):
		v.cursor = v.page.Matched - 1
	case key.Matches(msg, k.Sort.Binding):
		v.nextSort()
		return changed
	case key.Matches(msg, k.SortReverse.Binding):
		v.desc = !v.desc
		v.pinned = nil // the chosen queue stays chosen; the page says where it went
		return changed
	case key.Matches(msg, k.Filter.Binding):
		v.filtering, v.before = true, v.filter
		v.input.SetValue(v.filter)
		v.input.CursorEnd()
		return v.input.Focus()
	case key.Matches(msg, k.Back.Binding) && v.filter != "":
		v.filter, v.filterErr = "", ""
		v.pinned = nil
		return changed
	case key.Matches(msg, k.Detail.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg { return OpenQueueRequested{VHost: q.VHost, Name: q.Name} }
		}
	case key.Matches(msg, k.RawJSON.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg { return QueueJSONRequested{VHost: q.VHost, Name: q.Name} }
		}
	case key.Matches(msg, k.Publish.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg { return PublishRequested{VHost: q.VHost, Queue: q.Name} }
		}
	case key.Matches(msg, k.RPC.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg { return RPCRequested{VHost: q.VHost, Queue: q.Name} }
		}
	case key.Matches(msg, k.Browse.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg { return BrowseRequested{VHost: q.VHost, Queue: q.Name, Type: q.Type} }
		}
	case key.Matches(msg, k.Purge.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg { return PurgeRequested{VHost: q.VHost, Queue: q.Name, Ready: q.Ready} }
		}
	case key.Matches(msg, k.Delete.Binding):
		if q, ok := v.Selected(); ok {
			return func() tea.Msg {
				return DeleteQueueRequested{VHost: q.VHost, Queue: q.Name, Messages: q.Messages, Consumers: q.Consumers}
			}
		}
	default:
		return nil
	}
	v.clampScroll()
	v.selectUnderCursor()
	if v.top != prevTop {
		return changed
	}
	return nil
}

func (v *Queues) nextSort() {
	for i, s := range sortOrder {
		if s == v.sortKey {
			v.sortKey = sortOrder[(i+1)%len(sortOrder)]
			break
		}
	}
	// Names read best A→Z; numbers are interesting largest first.
	v.desc = !(v.sortKey == mgmt.SortName || v.sortKey == mgmt.SortVHost || v.sortKey == mgmt.SortType || v.sortKey == mgmt.SortState)
	v.pinned = nil
}

// filterDebounce is how long typing pauses before the list narrows.
const filterDebounce = 250 * time.Millisecond

// FilterTyped is the debounce tick of the filter input; the root hands it
// back to the view.
type FilterTyped struct{ n int }

// updateFilter narrows the list as the operator types (debounced), keeps
// the filter on enter and restores the one before on esc.
func (v *Queues) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.filtering, v.filterErr = false, ""
		v.input.Blur()
		v.typed++ // a pending debounce must not apply
		if v.filter != v.before {
			v.filter = v.before
			return changed
		}
		return nil
	case "enter":
		val := strings.TrimSpace(v.input.Value())
		if _, err := regexp.Compile(val); err != nil {
			v.filterErr = "bad regex: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			return nil
		}
		v.filtering, v.filterErr = false, ""
		v.input.Blur()
		v.typed++
		if val != v.filter {
			v.filter = val
			return changed
		}
		return nil
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	v.filterErr = ""
	v.typed++
	n := v.typed
	return tea.Batch(cmd, tea.Tick(filterDebounce, func(time.Time) tea.Msg { return FilterTyped{n: n} }))
}

// FilterPaused applies what is typed so far once typing paused: an invalid
// regex (half typed) says why inline and leaves the list as it is.
func (v *Queues) FilterPaused(f FilterTyped) tea.Cmd {
	if !v.filtering || f.n != v.typed {
		return nil
	}
	val := strings.TrimSpace(v.input.Value())
	if _, err := regexp.Compile(val); err != nil {
		v.filterErr = "bad regex: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return nil
	}
	if val == v.filter {
		return nil
	}
	v.filter = val
	v.pinned = nil
	return changed
}

// SortKey and Desc are the current order, for the header and tests.
func (v *Queues) SortKey() (mgmt.SortKey, bool) { return v.sortKey, v.desc }

// highlight says whether a row needs the operator's eye: a backlog nobody
// consumes, or unacked messages piling up with no acks.
func highlight(q mgmt.Queue, info RowInfo) bool {
	backlog := q.Ready.OK && q.Ready.N > 0 && q.Consumers.OK && q.Consumers.N == 0 && q.Type != "stream"
	return backlog || info.UnackedStuck
}

var _ = theme.Title
