package views

import "github.com/mqtop/mqtop/mgmt"

// QueryChanged says the queue list's query (sort, filter, scroll window or
// vhost) changed; the root polls at once.
type QueryChanged struct{}

// OpenQueueRequested asks for a queue's detail page.
type OpenQueueRequested struct{ VHost, Name string }

// RawJSONRequested asks to show an object's JSON as the broker sent it.
type RawJSONRequested struct {
	Title string
	Raw   []byte
}

// QueueJSONRequested asks for a queue's full JSON, fetched fresh: the row
// on screen holds only the columns the list needs.
type QueueJSONRequested struct{ VHost, Name string }

// BackRequested asks to leave the current page.
type BackRequested struct{}

// RowInfo is what the root derived from the session's history for one queue.
type RowInfo struct {
	Trend        Trend
	NetRate      mgmt.Rate // change of depth per second, when the broker gives no rates
	UnackedStuck bool      // unacked rising with no acks
	// Exact: ready and consumers were read just now (after an action), not
	// from the statistics, which have not caught up yet.
	Exact bool
}

// PurgeRequested asks to purge a queue; the counts are those on screen when
// the key was pressed, for the confirmation dialog.
type PurgeRequested struct {
	VHost, Queue string
	Ready        mgmt.Count
}

// DeleteQueueRequested asks to delete a queue.
type DeleteQueueRequested struct {
	VHost, Queue        string
	Messages, Consumers mgmt.Count
}

// OpenViewRequested asks to open a list view in front, scoped and filtered
// to what relates to the object chosen (a queue's bindings, a connection's
// channels); esc returns to the list it came from, as it was.
type OpenViewRequested struct {
	View          string // a view's name, as the command line knows it
	VHost, Filter string
}

// DetailRequested asks for the detail page of a view's row (by its key);
// the view's registration knows how to read it.
type DetailRequested struct{ View, Key string }
