package views

import (
	"regexp"
	"strings"

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
func (v *Queues) SetVHost(vh string) { v.vhost = vh; v.cursor, v.top = 0, 0 }

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
	return mgmt.QueueQuery{VHost: v.vhost, Filter: v.filter, Sort: v.sortKey, Desc: v.desc, Offset: v.top, Limit: v.rowsVisible()}
}

// SetPage stores a freshly loaded page and what the root derived per row.
func (v *Queues) SetPage(p mgmt.QueuePage, info map[string]RowInfo) {
	v.page, v.info, v.ready = p, info, true
	v.clampScroll()
}

// Selected returns the queue under the cursor, when it is loaded.
func (v *Queues) Selected() (mgmt.Queue, bool) {
	i := v.cursor - v.page.Offset
	if i < 0 || i >= len(v.page.Queues) {
		return mgmt.Queue{}, false
	}
	return v.page.Queues[i], true
}

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
		v.cursor, v.top = 0, 0
		return changed
	case key.Matches(msg, k.Filter.Binding):
		v.filtering = true
		v.input.SetValue(v.filter)
		v.input.CursorEnd()
		return v.input.Focus()
	case key.Matches(msg, k.Back.Binding) && v.filter != "":
		v.filter, v.filterErr = "", ""
		v.cursor, v.top = 0, 0
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
	v.cursor, v.top = 0, 0
}

func (v *Queues) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		v.filtering, v.filterErr = false, ""
		v.input.Blur()
		v.clampScroll()
		return nil
	case "enter":
		val := strings.TrimSpace(v.input.Value())
		if _, err := regexp.Compile(val); err != nil {
			v.filterErr = "bad regex: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			return nil
		}
		v.filtering, v.filterErr = false, ""
		v.input.Blur()
		v.filter = val
		v.cursor, v.top = 0, 0
		return changed
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	v.filterErr = ""
	return cmd
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
