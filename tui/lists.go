package tui

import (
	"context"
	"errors"
	"math"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// listView is a list view of package views (the list component and the
// view's own keys), over rows of type T.
type listView[T any] interface {
	Update(tea.KeyPressMsg) tea.Cmd
	View() string
	SetSize(w, h int)
	Query() views.ListQuery
	SetPage(views.Page[T]) (refetch bool, note string)
	SetState(string)
	SetVHost(string)
	SetFilter(string)
	Filter() string
	FilterOwn() bool
	Sort() (string, bool)
	SetSort(key string, desc bool)
	Capturing() bool
	FilterPaused(views.FilterTyped) tea.Cmd
}

// listScreen puts a list view on the stack with its fetch: a view is its
// spec (in views) and this (registered in its own file).
type listScreen[T any] struct {
	listView[T]
	title string
	hints func(k *keys.Map) []views.Hint
	// fetchPage reads one window; it runs off the UI loop with the
	// dependencies copied when the poll started.
	fetchPage func(ctx context.Context, d Deps, q views.ListQuery) (views.Page[T], error)
}

func (s *listScreen[T]) Title() string { return s.title }

func (s *listScreen[T]) Hints(k *keys.Map) []views.Hint {
	if s.hints != nil {
		return s.hints(k)
	}
	return listHints(k, []hintAction{{"related", &k.Detail}}, []hintAction{{"json", &k.RawJSON}, {"refresh", &k.Refresh}})
}

// fetched is a page with the query it answers.
type fetched[T any] struct {
	q    views.ListQuery
	page views.Page[T]
}

func (s *listScreen[T]) fetch(d Deps) func(ctx context.Context) (any, error) {
	q, f := s.Query(), s.fetchPage
	return func(ctx context.Context) (any, error) {
		p, err := f(ctx, d, q)
		return fetched[T]{q: q, page: p}, err
	}
}

// sameQuery: a page fetched before the filter, sort or scope changed
// answers another question; applied, it would put the cursor on a row the
// list no longer shows.
func sameQuery(a, b views.ListQuery) bool {
	return a.VHost == b.VHost && a.Filter == b.Filter && a.Sort == b.Sort && a.Desc == b.Desc
}

func (s *listScreen[T]) apply(_ *Model, data any, err error, _ time.Time) (bool, string) {
	if f, ok := data.(fetched[T]); ok && !sameQuery(f.q, s.Query()) {
		return false, "" // the poll the change started brings the right page
	}
	if err != nil {
		// This view's data only: a 403 here leaves the header and the other
		// views working, and says what was refused.
		s.SetState(views.Clean(err.Error()))
		return false, ""
	}
	var p views.Page[T]
	switch d := data.(type) {
	case fetched[T]:
		p = d.page
	case views.Page[T]:
		p = d
	}
	return s.SetPage(p)
}

// errNoBackend: the backend in use (a test's fake) cannot list this.
var errNoBackend = errors.New("this backend cannot list it")

// mgmtQuery is the list's window as the management calls take it.
func mgmtQuery(q views.ListQuery) mgmt.ListQuery {
	return mgmt.ListQuery{VHost: q.VHost, Filter: q.Filter, Sort: q.Sort, Desc: q.Desc, Offset: q.Offset, Limit: q.Limit}
}

// fromMgmt turns a management page into the list's.
func fromMgmt[T any](p mgmt.ListPage[T], err error) (views.Page[T], error) {
	if err != nil {
		return views.Page[T]{}, err
	}
	out := views.Page[T]{Rows: p.Items, Offset: p.Offset, Matched: p.Matched, Total: p.Total}
	for _, r := range p.Raw {
		out.Raw = append(out.Raw, r)
	}
	return out, nil
}

// clientList builds fetchPage from a management list call, given as a
// method expression: clientList((*mgmt.Client).Exchanges).
func clientList[T any](call func(*mgmt.Client, context.Context, mgmt.ListQuery) (mgmt.ListPage[T], error)) func(context.Context, Deps, views.ListQuery) (views.Page[T], error) {
	return func(ctx context.Context, d Deps, q views.ListQuery) (views.Page[T], error) {
		c, ok := d.Backend.(*mgmt.Client)
		if !ok {
			return views.Page[T]{}, errNoBackend
		}
		return fromMgmt(call(c, ctx, mgmtQuery(q)))
	}
}

// exactFilter builds fetchPage for a view whose related-objects filter is
// not a regex the API could apply ("channel:NAME", "exchange:NAME"): read
// reads (via take) whether a filter is one and its value, the whole list is
// fetched (one request either way for these unpaged endpoints), keep picks
// the rows, and the window is cut here. Other filters go to call as usual.
func exactFilter[T any](call func(*mgmt.Client, context.Context, mgmt.ListQuery) (mgmt.ListPage[T], error),
	take func(filter string) (string, bool), keep func(row T, value string) bool) func(context.Context, Deps, views.ListQuery) (views.Page[T], error) {
	return func(ctx context.Context, d Deps, q views.ListQuery) (views.Page[T], error) {
		c, ok := d.Backend.(*mgmt.Client)
		if !ok {
			return views.Page[T]{}, errNoBackend
		}
		value, exact := take(q.Filter)
		if !exact {
			return fromMgmt(call(c, ctx, mgmtQuery(q)))
		}
		all := mgmtQuery(q)
		all.Filter, all.Offset, all.Limit = "", 0, math.MaxInt32
		p, err := call(c, ctx, all)
		if err != nil {
			return views.Page[T]{}, err
		}
		kept := mgmt.ListPage[T]{Total: p.Total}
		for i, r := range p.Items {
			if keep(r, value) {
				kept.Items = append(kept.Items, r)
				if i < len(p.Raw) {
					kept.Raw = append(kept.Raw, p.Raw[i])
				}
			}
		}
		n, limit := len(kept.Items), q.Limit
		if limit <= 0 {
			limit = 50
		}
		lo := min(max(q.Offset, 0), n)
		hi := min(lo+limit, n)
		out := mgmt.ListPage[T]{Items: kept.Items[lo:hi], Offset: lo, Matched: n, Total: p.Total}
		if len(kept.Raw) == n {
			out.Raw = kept.Raw[lo:hi]
		}
		return fromMgmt(out, nil)
	}
}
