package views

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Queues is the queue list: the list component over mgmt.Queue, with the
// queue's own actions. Rows come from either queue source (the Prometheus
// index or the paged management query); only the window on screen is read.
type Queues struct {
	*List[mgmt.Queue]
	keys *keys.Map
	info map[string]RowInfo // what the root derived per row (trend, exact counts)
	// nodes is the cluster's node count: the NODE column shows on a cluster.
	nodes int
	// nodeNames shortens the NODE column's names (nil: whole).
	nodeNames *NodeNames
}

// UseNodeNames shortens node names as n says (shared with the header).
func (v *Queues) UseNodeNames(n *NodeNames) { v.nodeNames = n }

// SetNodes tells the list how many nodes the cluster has.
func (v *Queues) SetNodes(n int) { v.nodes = n }

// queueSorts is the order `s` cycles through: deepest first, because the
// on-call question is "what is backing up?".
var queueSorts = []mgmt.SortKey{mgmt.SortMessages, mgmt.SortReady, mgmt.SortUnacked, mgmt.SortConsumers,
	mgmt.SortIn, mgmt.SortOut, mgmt.SortType, mgmt.SortState, mgmt.SortVHost, mgmt.SortName}

// NewQueues starts deepest first over all vhosts.
func NewQueues(k *keys.Map) *Queues {
	v := &Queues{keys: k, info: map[string]RowInfo{}}
	sorts := make([]string, len(queueSorts))
	for i, s := range queueSorts {
		sorts[i] = string(s)
	}
	v.List = NewList(k, ListSpec[mgmt.Queue]{
		Noun: "queues", One: "queue", Columns: v.columns(), Key: mgmt.Queue.Key, Sorts: sorts, DefaultDesc: true,
		Ascending: func(s string) bool {
			return s == string(mgmt.SortName) || s == string(mgmt.SortVHost) || s == string(mgmt.SortType) || s == string(mgmt.SortState)
		},
		FilterHint: "regex on queue name",
		Describe:   describeQueueKey,
		Highlight:  func(q mgmt.Queue) bool { return highlight(q, v.info[q.Key()]) },
		Legend:     v.legend,
		Tracks:     true, // both queue sources say where the chosen queue went
	})
	return v
}

func describeQueueKey(k string) string {
	vh, name, _ := strings.Cut(k, "\x00")
	return target(mgmt.QueueRef{VHost: vh, Name: name})
}

func target(r mgmt.QueueRef) string {
	if r.VHost == "" || r.VHost == "/" {
		return Clean(r.Name)
	}
	return Clean(r.Name) + " (vhost " + Clean(r.VHost) + ")"
}

// Query is the window the view needs now, for the queue sources.
func (v *Queues) Query() mgmt.QueueQuery {
	l := v.List.Query()
	q := mgmt.QueueQuery{VHost: l.VHost, Filter: l.Filter, Sort: mgmt.SortKey(l.Sort), Desc: l.Desc, Offset: l.Offset, Limit: l.Limit}
	if l.Track != "" {
		vh, name, _ := strings.Cut(l.Track, "\x00")
		q.Track = &mgmt.QueueRef{VHost: vh, Name: name}
	}
	return q
}

// SetPage stores a loaded page and what the root derived per row; see
// List.SetPage for what it returns.
func (v *Queues) SetPage(p mgmt.QueuePage, info map[string]RowInfo) (refetch bool, note string) {
	if info == nil {
		info = map[string]RowInfo{}
	}
	v.info = info
	page := Page[mgmt.Queue]{Rows: p.Queues, Offset: p.Offset, Matched: p.Matched, Total: p.Total}
	if t := p.Tracked; t != nil {
		page.Track = &Track[mgmt.Queue]{Key: t.Ref.Key(), Rank: t.Rank, Gone: t.Gone, Unmatched: t.Unmatched, Row: t.Queue}
	}
	return v.List.SetPage(page)
}

// Find returns a loaded row by name.
func (v *Queues) Find(vhost, name string) (mgmt.Queue, bool) {
	return v.List.Find(mgmt.Queue{VHost: vhost, Name: name}.Key())
}

// SortKey and Desc are the current order.
func (v *Queues) SortKey() (mgmt.SortKey, bool) {
	s, d := v.Sort()
	return mgmt.SortKey(s), d
}

// Update handles a key: the list's own, then the queue's actions, each on
// the queue chosen when the key was pressed.
func (v *Queues) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	k := v.keys
	if key.Matches(msg, k.New.Binding) {
		return emit(DeclareQueueRequested{VHost: v.VHost()})
	}
	q, ok := v.Selected()
	if !ok {
		return nil
	}
	var intent tea.Msg
	switch {
	case key.Matches(msg, k.Move.Binding):
		intent = MoveRequested{VHost: q.VHost, Queue: q.Name, Type: q.Type, Ready: q.Ready}
	case key.Matches(msg, k.Bind.Binding):
		intent = BindRequested{VHost: q.VHost, Destination: q.Name, DestinationType: "queue"}
	case key.Matches(msg, k.Detail.Binding):
		intent = OpenQueueRequested{VHost: q.VHost, Name: q.Name}
	case key.Matches(msg, k.RawJSON.Binding):
		intent = QueueJSONRequested{VHost: q.VHost, Name: q.Name}
	case key.Matches(msg, k.Publish.Binding):
		intent = PublishRequested{VHost: q.VHost, Queue: q.Name}
	case key.Matches(msg, k.RPC.Binding):
		intent = RPCRequested{VHost: q.VHost, Queue: q.Name}
	case key.Matches(msg, k.Browse.Binding):
		intent = BrowseRequested{VHost: q.VHost, Queue: q.Name, Type: q.Type}
	case key.Matches(msg, k.Purge.Binding):
		intent = PurgeRequested{VHost: q.VHost, Queue: q.Name, Ready: q.Ready}
	case key.Matches(msg, k.Delete.Binding):
		intent = DeleteQueueRequested{VHost: q.VHost, Queue: q.Name, Messages: q.Messages, Consumers: q.Consumers}
	case key.Matches(msg, k.ShowBindings.Binding):
		intent = OpenViewRequested{View: "bindings", VHost: q.VHost, Filter: Exactly(q.Name)}
	case key.Matches(msg, k.ShowConsumers.Binding):
		intent = OpenViewRequested{View: "consumers", VHost: q.VHost, Filter: Exactly(q.Name)}
	default:
		return nil
	}
	return func() tea.Msg { return intent }
}

// highlight says whether a row needs the operator's eye: a backlog nobody
// consumes, or unacked messages piling up with no acks.
func highlight(q mgmt.Queue, info RowInfo) bool {
	backlog := q.Ready.OK && q.Ready.N > 0 && q.Consumers.OK && q.Consumers.N == 0 && q.Type != "stream"
	return backlog || info.UnackedStuck || q.UnderReplicated()
}
