package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"golang.org/x/sync/errgroup"
)

// VHost is one virtual host.
type VHost struct {
	Name, Description string
	DefaultQueueType  string // "" when none is set (3.10 says "undefined")
	Tags              []string
	Ready, Unacked    Count
	Messages          Count
	// Queues is counted with one extra request per row of the window; it is
	// unknown when that request failed.
	Queues       Count
	Tracing      bool
	ClusterState map[string]string // node -> running, stopped, ...
}

// VHostSort maps the vhosts view's sort keys to the API's sort fields.
// There is no queue count to sort by: the vhost object has none.
var VHostSort = map[string]string{
	"name": "name", "messages": "messages", "ready": "messages_ready", "unacked": "messages_unacknowledged",
}

const vhostColumns = "name,description,tags,default_queue_type,metadata,messages,messages_ready," +
	"messages_unacknowledged,tracing,cluster_state"

// queueCountParallel bounds the per-vhost queue-count requests of a page.
const queueCountParallel = 4

// tagList is a list of tags sent as a JSON list (3.10+) or, by older
// brokers, a comma-separated string.
type tagList = userTags

func decodeVHost(b json.RawMessage) (VHost, error) {
	type meta struct {
		Description      Text    `json:"description"`
		Tags             tagList `json:"tags"`
		DefaultQueueType Text    `json:"default_queue_type"`
	}
	var r struct {
		Name Text `json:"name"`
		meta
		// 3.10 sends description and tags both at the top level and here;
		// either alone is enough, for brokers that send only one.
		Metadata *meta           `json:"metadata"`
		Ready    Count           `json:"messages_ready"`
		Unacked  Count           `json:"messages_unacknowledged"`
		Messages Count           `json:"messages"`
		Tracing  Flag            `json:"tracing"`
		Cluster  map[string]Text `json:"cluster_state"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return VHost{}, err
	}
	m := r.meta
	if r.Metadata != nil {
		m.Description = cmp.Or(m.Description, r.Metadata.Description)
		m.DefaultQueueType = cmp.Or(definedText(m.DefaultQueueType), r.Metadata.DefaultQueueType)
		if m.Tags == nil {
			m.Tags = r.Metadata.Tags
		}
	}
	v := VHost{
		Name: string(r.Name), Description: string(m.Description), DefaultQueueType: string(definedText(m.DefaultQueueType)),
		Tags: m.Tags, Ready: r.Ready, Unacked: r.Unacked, Messages: r.Messages, Tracing: bool(r.Tracing),
	}
	if len(r.Cluster) > 0 {
		v.ClusterState = make(map[string]string, len(r.Cluster))
		for node, st := range r.Cluster {
			v.ClusterState[node] = string(st)
		}
	}
	return v, nil
}

// definedText maps Erlang's undefined (how 3.10 writes an unset
// default_queue_type) to "".
func definedText(t Text) Text {
	if t == "undefined" {
		return ""
	}
	return t
}

// ListVHosts fetches one window of /api/vhosts (paged, sorted and filtered
// by name on the server; q.VHost is ignored) and counts each row's queues.
func (c *Client) ListVHosts(ctx context.Context, q ListQuery) (ListPage[VHost], error) {
	q.Sort = sortKeyField(VHostSort, q.Sort, "")
	q.VHost = ""
	p, err := pagedList(ctx, c, "vhosts", vhostColumns, q, decodeVHost)
	if err != nil {
		return p, fmt.Errorf("list vhosts: %w", err)
	}
	if err := c.countQueues(ctx, p.Items); err != nil {
		return ListPage[VHost]{}, fmt.Errorf("list vhosts: %w", err)
	}
	return p, nil
}

// countQueues fills Queues from total_count of a one-row queue page per
// vhost (the vhost object carries no queue count). Only the rows of the
// window are counted, a few at a time; a failed count (the vhost was just
// deleted, say) leaves Queues unknown. Only the caller giving up fails.
func (c *Client) countQueues(ctx context.Context, rows []VHost) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(queueCountParallel)
	for i := range rows {
		g.Go(func() error {
			var page struct {
				TotalCount Count `json:"total_count"`
			}
			v := url.Values{"page": {"1"}, "page_size": {"1"}, "columns": {"name"}}
			if err := c.getJSON(gctx, "queues/"+pathEscape(rows[i].Name), v, &page); err == nil {
				rows[i].Queues = page.TotalCount
			}
			return nil
		})
	}
	_ = g.Wait()
	return ctx.Err()
}

// VHostLimits reads a vhost's limits (max-connections, max-queues); a vhost
// without limits gives an empty map.
func (c *Client) VHostLimits(ctx context.Context, vhost string) (map[string]int64, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "vhost-limits/"+pathEscape(vhost), nil, &raw); err != nil {
		return nil, fmt.Errorf("read limits of vhost %q: %w", vhost, err)
	}
	out, err := decodeVHostLimits(raw)
	if err != nil {
		return nil, fmt.Errorf("decode limits of vhost %q: %w", vhost, err)
	}
	return out, nil
}

// decodeVHostLimits reads [{"vhost": v, "value": {limit: n}}] ([] when
// the vhost has none).
func decodeVHostLimits(b json.RawMessage) (map[string]int64, error) {
	var raw []struct {
		Value map[string]Count `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, r := range raw {
		for k, v := range r.Value {
			if v.OK {
				out[k] = v.N
			}
		}
	}
	return out, nil
}

// FeatureFlag is one feature flag, as /api/feature-flags has it since 3.8.
// Stability is "stable" or "experimental" on 3.10, and also "required" on
// later brokers. 3.10 has no deprecated flags; from 3.13 deprecated
// features are a separate list (/api/deprecated-features), not flags.
type FeatureFlag struct {
	Name, State, Stability string // State: enabled, disabled, state_changing
	Desc, DocURL           string
	ProvidedBy             string
}

// FeatureFlags lists the cluster's feature flags (needs administrator).
func (c *Client) FeatureFlags(ctx context.Context) ([]FeatureFlag, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "feature-flags", nil, &raw); err != nil {
		return nil, fmt.Errorf("list feature flags: %w", err)
	}
	out, err := decodeFeatureFlags(raw)
	if err != nil {
		return nil, fmt.Errorf("decode feature flags: %w", err)
	}
	return out, nil
}

func decodeFeatureFlags(b json.RawMessage) ([]FeatureFlag, error) {
	var raw []struct {
		Name       Text `json:"name"`
		State      Text `json:"state"`
		Stability  Text `json:"stability"`
		Desc       Text `json:"desc"`
		DocURL     Text `json:"doc_url"`
		ProvidedBy Text `json:"provided_by"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := make([]FeatureFlag, 0, len(raw))
	for _, f := range raw {
		out = append(out, FeatureFlag{
			Name: string(f.Name), State: string(f.State), Stability: string(f.Stability),
			Desc: string(f.Desc), DocURL: string(f.DocURL), ProvidedBy: string(f.ProvidedBy),
		})
	}
	return out, nil
}
