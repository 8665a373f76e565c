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

// ListQuery asks for one window of a list the management API serves
// (exchanges, connections, channels, vhosts, bindings, consumers, users,
// policies): the same shape as QueueQuery, with the API's own sort field.
type ListQuery struct {
	VHost  string // "" means every vhost
	Filter string // a regular expression; on the name where the API filters
	Sort   string // the API's sort field ("name", "message_stats.publish_in_details.avg_rate"); "" for its order
	Desc   bool
	Offset int // first row wanted (0-based)
	Limit  int // rows wanted; 50 if zero
}

// ListPage is one window of a list; Raw holds each row's JSON, for `y`.
type ListPage[T any] struct {
	Items   []T
	Raw     []json.RawMessage
	Offset  int // index of Items[0] in the whole sorted, filtered list
	Matched int // rows matching the filter
	Total   int // rows in scope before filtering
	// Paged: the API served just this window (sorted and filtered on the
	// server); otherwise mqtop fetched the whole list and cut it locally.
	Paged bool
}

// pagedList fetches one window from an endpoint that pages (queues,
// exchanges, connections, channels, vhosts): page, page_size=rows on
// screen, columns=, sort, sort_reverse, name + use_regex, and message rates
// averaged over RateWindow. decode turns one item into a row.
func pagedList[T any](ctx context.Context, c *Client, path, columns string, q ListQuery, decode func(json.RawMessage) (T, error)) (ListPage[T], error) {
	return pagedWithParams(ctx, c, path, columns, withRateWindow(url.Values{}), q, decode)
}

// wholeList fetches an endpoint that does not page (bindings, consumers,
// users, policies, nodes) with columns= and serves the window locally:
// filter by match (the regex on the fields that view searches), order by
// less, then cut. It is one request either way; columns= keeps it small.
func wholeList[T any](ctx context.Context, c *Client, path, columns string, q ListQuery, decode func(json.RawMessage) (T, error),
	match func(re *regexp.Regexp, row T) bool, less func(a, b T) int) (ListPage[T], error) {
	return wholeWithParams(ctx, c, path, columns, nil, q, decode, match, less)
}

// pagedWithParams is pagedList with the query parameters given in extra
// (the data-rate window of connections) instead of the message-rate window.
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
		page, q.Offset = 1, 0
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

// windowLocally filters, orders and cuts a whole list, for callers that
// fetch (or clean) the items themselves.
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

// scoped is path, or path/{vhost} when the query names one.
func scoped(path, vhost string) string {
	if vhost == "" {
		return path
	}
	return path + "/" + pathEscape(vhost)
}

// byString orders rows by one text field, for wholeList.
func byString[T any](f func(T) string) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(f(a), f(b)) }
}

// decodeJSON is the decode of a row type that unmarshals itself leniently.
func decodeJSON[T any](raw json.RawMessage) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
