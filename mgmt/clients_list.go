package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
)

// The list helpers of list.go send only the message-rate window, and
// wholeList sends none. Connections need the data-rate window
// (data_rates_age / data_rates_incr: msg_rates_age does not average
// recv_oct / send_oct), and the per-vhost connection and channel endpoints
// do not page on 3.10 (they ignore page= and return a plain list), so these
// variants take the extra query parameters and serve an unpaged list locally.

// withDataRateWindow asks for byte rates (recv_oct_details,
// send_oct_details) averaged over RateWindow, like withRateWindow does for
// message rates.
func withDataRateWindow(v url.Values) url.Values {
	v.Set("data_rates_age", rateWindowAge)
	v.Set("data_rates_incr", rateWindowIncr)
	return v
}

// pagedWithParams is pagedList with extra query parameters instead of the
// message-rate window alone.
func pagedWithParams[T any](ctx context.Context, c *Client, path, columns string, extra url.Values, q ListQuery,
	decode func(json.RawMessage) (T, error)) (ListPage[T], error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	size, page := pageFor(q.Offset, q.Limit)
	v := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	for k, vals := range extra {
		v[k] = vals
	}
	if columns != "" {
		v.Set("columns", columns)
	}
	if q.Sort != "" {
		v.Set("sort", q.Sort)
		if q.Desc {
			v.Set("sort_reverse", "true")
		}
	}
	if q.Filter != "" {
		v.Set("name", q.Filter)
		v.Set("use_regex", "true")
	}
	var raw pagedQueues
	err := c.getJSON(ctx, path, v, &raw)
	if StatusOf(err) == 400 && page > 1 {
		v.Set("page", "1") // past the end (the list shrank): show the first rows
		page = 1
		err = c.getJSON(ctx, path, v, &raw)
	}
	if err != nil {
		return ListPage[T]{}, err
	}
	first := (page - 1) * size
	lo := clamp(q.Offset-first, 0, len(raw.Items))
	hi := clamp(lo+q.Limit, lo, len(raw.Items))
	out := ListPage[T]{Offset: first + lo, Matched: raw.FilteredCount, Total: raw.TotalCount, Paged: true}
	for _, item := range raw.Items[lo:hi] {
		row, err := decode(item)
		if err != nil {
			return ListPage[T]{}, fmt.Errorf("decode %s: %w", path, err)
		}
		out.Items = append(out.Items, row)
		out.Raw = append(out.Raw, item)
	}
	return out, nil
}

// wholeWithParams is wholeList with extra query parameters.
func wholeWithParams[T any](ctx context.Context, c *Client, path, columns string, extra url.Values, q ListQuery,
	decode func(json.RawMessage) (T, error), match func(*regexp.Regexp, T) bool, less func(a, b T) int) (ListPage[T], error) {
	re, err := compileFilter(q.Filter)
	if err != nil {
		return ListPage[T]{}, err
	}
	v := url.Values{}
	for k, vals := range extra {
		v[k] = vals
	}
	if columns != "" {
		v.Set("columns", columns)
	}
	var items []json.RawMessage
	if err := c.getJSON(ctx, path, v, &items); err != nil {
		return ListPage[T]{}, err
	}
	return windowLocally(path, items, q, re, decode, match, less)
}

func compileFilter(filter string) (*regexp.Regexp, error) {
	if filter == "" {
		return nil, nil
	}
	re, err := regexp.Compile(filter)
	if err != nil {
		return nil, fmt.Errorf("bad filter: %w", err)
	}
	return re, nil
}

// windowLocally filters, orders and cuts a whole list the way wholeList
// does, for callers that fetch (or clean) the items themselves.
func windowLocally[T any](what string, items []json.RawMessage, q ListQuery, re *regexp.Regexp,
	decode func(json.RawMessage) (T, error), match func(*regexp.Regexp, T) bool, less func(a, b T) int) (ListPage[T], error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	type pair struct {
		row T
		raw json.RawMessage
	}
	rows := make([]pair, 0, len(items))
	for _, item := range items {
		row, err := decode(item)
		if err != nil {
			return ListPage[T]{}, fmt.Errorf("decode %s: %w", what, err)
		}
		if re == nil || match(re, row) {
			rows = append(rows, pair{row, item})
		}
	}
	if less != nil {
		slices.SortStableFunc(rows, func(a, b pair) int {
			if q.Desc {
				return less(b.row, a.row)
			}
			return less(a.row, b.row)
		})
	}
	out := ListPage[T]{Matched: len(rows), Total: len(items), Offset: clamp(q.Offset, 0, len(rows))}
	for _, p := range rows[out.Offset:clamp(out.Offset+q.Limit, out.Offset, len(rows))] {
		out.Items = append(out.Items, p.row)
		out.Raw = append(out.Raw, p.raw)
	}
	return out, nil
}

// orderCount orders by a Count, unknown first (as the API puts absent
// fields first when it sorts), ties broken by tie.
func orderCount[T any](f func(T) Count, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		x, y := f(a), f(b)
		if r := cmp.Or(compareKnown(x.OK, y.OK), cmp.Compare(x.N, y.N)); r != 0 {
			return r
		}
		return tie(a, b)
	}
}

// orderRate is orderCount for a Rate.
func orderRate[T any](f func(T) Rate, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		x, y := f(a), f(b)
		if r := cmp.Or(compareKnown(x.OK, y.OK), cmp.Compare(x.PerSec, y.PerSec)); r != 0 {
			return r
		}
		return tie(a, b)
	}
}

// orderText orders by a string, ties broken by tie.
func orderText[T any](f func(T) string, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		if r := cmp.Compare(f(a), f(b)); r != 0 {
			return r
		}
		return tie(a, b)
	}
}

// compareKnown puts unknown before known.
func compareKnown(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// sortFieldOf turns a view's short sort key into the API field it stands
// for; an API field (or "") passes unchanged.
func sortFieldOf(keys map[string]string, sort string) string {
	if f, ok := keys[sort]; ok {
		return f
	}
	return sort
}
