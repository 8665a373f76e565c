package tui

import (
	"time"

	"github.com/mqtop/mqtop/mgmt"
)

// SnapshotLoaded is the result of one poll; everything in it was fetched
// by a command built from values copied when the poll started.
type SnapshotLoaded struct {
	Seq  int
	At   time.Time
	Took time.Duration

	Overview    mgmt.Overview
	OverviewErr error
	Nodes       []mgmt.Node
	NodesErr    error

	// The queue list, when the list was on screen.
	Page    *mgmt.QueuePage
	PageErr error
	Status  mgmt.SourceStatus

	// The detail page's queue, when a detail page was on screen.
	Detail         *mgmt.Queue
	DetailBindings []mgmt.Binding
	DetailErr      error

	// The answer of the screen in front's own fetch (see fetcher), for
	// ViewFor; its error is the view's to show, not a stale marker.
	View    any
	ViewErr error
	ViewFor Screen
}

// Err is the first error of the poll, for the stale marker.
func (s SnapshotLoaded) Err() error {
	nodesErr := s.NodesErr
	if mgmt.MissingTag(nodesErr) != "" {
		// A management or policymaker user may not list the nodes: that
		// leaves the header without them, it does not make the data stale.
		nodesErr = nil
	}
	for _, e := range []error{s.OverviewErr, s.PageErr, s.DetailErr, nodesErr} {
		if e != nil {
			return e
		}
	}
	return nil
}

// tickMsg re-arms polling; gen drops ticks superseded by a refresh-now.
type tickMsg struct{ gen int }

// clockMsg redraws ages once a second while data is stale.
type clockMsg struct{}

// vhostsLoaded feeds :vhost completion.
type vhostsLoaded struct {
	names []string
	err   error
}

// statusFaded clears an info message after a while.
type statusFaded struct{ id int }
