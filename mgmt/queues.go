package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// SortKey names a queue column mqtop can sort by.
type SortKey string

const (
	SortName      SortKey = "name"
	SortVHost     SortKey = "vhost"
	SortReady     SortKey = "ready"
	SortUnacked   SortKey = "unacked"
	SortMessages  SortKey = "messages"
	SortConsumers SortKey = "consumers"
	SortType      SortKey = "type"
	SortState     SortKey = "state"
	SortIn        SortKey = "in"
	SortOut       SortKey = "out"
)

// serverSort maps a sort key to the management API's sort field.
var serverSort = map[SortKey]string{
	SortName: "name", SortVHost: "vhost", SortReady: "messages_ready", SortUnacked: "messages_unacknowledged",
	SortMessages: "messages", SortConsumers: "consumers", SortType: "type", SortState: "state",
	SortIn: "message_stats.publish_details.avg_rate", SortOut: "message_stats.deliver_get_details.avg_rate",
}

// queueColumns are the fields a queue row needs; columns= keeps each page tiny.
const queueColumns = "name,vhost,type,state,node,leader,members,online,policy,durable,auto_delete,exclusive,messages,messages_ready," +
	"messages_unacknowledged,consumers,message_stats.publish_details.avg_rate," +
	"message_stats.deliver_get_details.avg_rate,message_stats.ack_details.avg_rate," +
	"message_stats.publish_details.rate,message_stats.deliver_get_details.rate,message_stats.ack_details.rate"

// MaxPageSize is the management API's own limit.
const MaxPageSize = 500

// QueueQuery asks for one window of the queue list.
type QueueQuery struct {
	VHost  string // "" means every vhost
	Filter string // a regular expression on the name; "" for none
	Sort   SortKey
	Desc   bool
	Offset int // first row wanted (0-based)
	Limit  int // rows wanted
	// Track is the queue under the cursor: the page says where it is now
	// (QueuePage.Tracked), so the cursor can follow it rather than a row
	// number when the order changes.
	Track *QueueRef
}

// QueueRef names a queue.
type QueueRef struct{ VHost, Name string }

// Key identifies the queue across vhosts, like Queue.Key.
func (r QueueRef) Key() string { return r.VHost + "\x00" + r.Name }

// Tracked is where the tracked queue is now.
type Tracked struct {
	Ref QueueRef
	// Rank is its position in the sorted, filtered list, or -1 when the
	// source cannot tell (the management API pages; the queue is off the
	// window) or the queue does not match.
	Rank int
	// Gone: the queue no longer exists. Unmatched: it exists but the filter
	// or the vhost scope excludes it.
	Gone, Unmatched bool
	// Queue is its row, read fresh when it is not in the window (so the
	// cursor can stay on it, pinned, while its rank is unknown).
	Queue *Queue
}

// QueuePage is one window of the queue list.
type QueuePage struct {
	Queues  []Queue
	Offset  int // index of Queues[0] in the whole sorted, filtered list
	Matched int // rows matching the filter
	Total   int // rows in scope before filtering
	Source  string
	Tracked *Tracked // when the query tracked a queue
}

type pagedQueues struct {
	FilteredCount int               `json:"filtered_count"`
	TotalCount    int               `json:"total_count"`
	ItemCount     int               `json:"item_count"`
	Items         []json.RawMessage `json:"items"`
}

// ListQueuesPage fetches one page from /api/queues[/{vhost}] with server-side
// sort and regex filter. The API pages in fixed-size pages, so the window
// [Offset, Offset+Limit) is served from the smallest page size covering it.
func (c *Client) ListQueuesPage(ctx context.Context, q QueueQuery) (QueuePage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	size, page := pageFor(q.Offset, q.Limit)
	v := url.Values{
		"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}, "columns": {queueColumns},
		"msg_rates_age": {rateWindowAge}, "msg_rates_incr": {rateWindowIncr},
	}
	if s, ok := serverSort[q.Sort]; ok {
		v.Set("sort", s)
		if q.Desc {
			v.Set("sort_reverse", "true")
		}
	}
	if q.Filter != "" {
		v.Set("name", q.Filter)
		v.Set("use_regex", "true")
	}
	path := "queues"
	if q.VHost != "" {
		path += "/" + pathEscape(q.VHost)
	}
	var raw pagedQueues
	err := c.getJSON(ctx, path, v, &raw)
	if StatusOf(err) == 400 && page > 1 {
		// The page is past the end (the list shrank): show the first rows.
		v.Set("page", "1")
		page, q.Offset = 1, 0
		err = c.getJSON(ctx, path, v, &raw)
	}
	if err != nil {
		return QueuePage{}, fmt.Errorf("list queues%s: %w", inVHost(q.VHost), err)
	}
	first := (page - 1) * size
	out := QueuePage{Offset: first, Matched: raw.FilteredCount, Total: raw.TotalCount, Source: "management"}
	for _, item := range raw.Items {
		qu, err := decodeQueue(item)
		if err != nil {
			return QueuePage{}, fmt.Errorf("decode queue: %w", err)
		}
		out.Queues = append(out.Queues, qu)
	}
	// Trim to the window asked for.
	lo := q.Offset - first
	if lo > len(out.Queues) {
		lo = len(out.Queues)
	}
	if lo < 0 {
		lo = 0
	}
	hi := lo + q.Limit
	if hi > len(out.Queues) {
		hi = len(out.Queues)
	}
	out.Queues = out.Queues[lo:hi]
	out.Offset = first + lo
	if q.Track != nil {
		out.Tracked = c.track(ctx, q, out)
	}
	return out, nil
}

// track finds the tracked queue in the window, or reads it alone (3-9 ms):
// the management API cannot say where a queue ranks without listing all.
func (c *Client) track(ctx context.Context, q QueueQuery, p QueuePage) *Tracked {
	t := &Tracked{Ref: *q.Track, Rank: -1}
	for i, qu := range p.Queues {
		if qu.VHost == t.Ref.VHost && qu.Name == t.Ref.Name {
			t.Rank = p.Offset + i
			return t
		}
	}
	got, err := c.GetQueue(ctx, t.Ref.VHost, t.Ref.Name)
	switch {
	case StatusOf(err) == 404:
		t.Gone = true
	case err != nil:
		// Unknown: say nothing rather than that it is gone.
	case (q.VHost != "" && q.VHost != t.Ref.VHost) || !matches(q.Filter, t.Ref.Name):
		t.Unmatched = true
	default:
		t.Queue = &got
	}
	return t
}

// matches applies a queue filter locally (the same regex the server gets).
func matches(filter, name string) bool {
	if filter == "" {
		return true
	}
	re, err := regexp.Compile(filter)
	return err != nil || re.MatchString(name)
}

// pageFor picks (page_size, page) so one request covers [offset, offset+limit):
// the smallest size >= limit whose page boundaries contain the window.
func pageFor(offset, limit int) (size, page int) {
	for size = limit; size < MaxPageSize; size++ {
		if offset/size == (offset+limit-1)/size {
			return size, offset/size + 1
		}
	}
	return MaxPageSize, offset/MaxPageSize + 1
}

func inVHost(vh string) string {
	if vh == "" {
		return ""
	}
	return " in vhost " + strconv.Quote(vh)
}

// GetQueue reads one queue with the row columns (3-9 ms even at 50,000 queues).
func (c *Client) GetQueue(ctx context.Context, vhost, name string) (Queue, error) {
	return c.getQueue(ctx, vhost, name, withRateWindow(url.Values{"columns": {queueColumns}}))
}

// QueueDetails reads everything the broker knows about one queue, including
// its consumers, for the detail page.
func (c *Client) QueueDetails(ctx context.Context, vhost, name string) (Queue, error) {
	return c.getQueue(ctx, vhost, name, withRateWindow(url.Values{"disable_stats": {"false"}}))
}

func (c *Client) getQueue(ctx context.Context, vhost, name string, v url.Values) (Queue, error) {
	var raw json.RawMessage
	if err := c.getObject(ctx, "queues/"+pathEscape(vhost)+"/"+pathEscape(name), v, &raw); err != nil {
		return Queue{}, fmt.Errorf("get queue %q%s: %w", name, inVHost(vhost), err)
	}
	return decodeQueue(raw)
}

// Binding is one binding between an exchange and a queue or exchange.
type Binding struct {
	VHost           string `json:"vhost"`
	Source          string `json:"source"`
	Destination     string `json:"destination"`
	DestinationType string `json:"destination_type"`
	RoutingKey      string `json:"routing_key"`
	Arguments       Table  `json:"arguments"`
	PropertiesKey   string `json:"properties_key"`
}

// QueueBindings lists the bindings whose destination is the queue.
func (c *Client) QueueBindings(ctx context.Context, vhost, name string) ([]Binding, error) {
	var out []Binding
	err := c.getObject(ctx, "queues/"+pathEscape(vhost)+"/"+pathEscape(name)+"/bindings", nil, &out)
	if err != nil {
		return nil, fmt.Errorf("list bindings of queue %q%s: %w", name, inVHost(vhost), err)
	}
	return out, nil
}

// Consumer is one consumer on a queue.
type Consumer struct {
	Tag            string `json:"consumer_tag"`
	AckRequired    bool   `json:"ack_required"`
	Prefetch       Count  `json:"prefetch_count"`
	Active         bool   `json:"active"`
	Exclusive      bool   `json:"exclusive"`
	ChannelName    string `json:"channel_name"`
	ConnectionName string `json:"connection_name"`
	PeerHost       string `json:"peer_host"`
	User           string `json:"user"`
}

// QueueConsumers extracts consumer_details from a detailed queue's raw JSON.
func QueueConsumers(q Queue) []Consumer {
	var raw struct {
		Details []struct {
			Tag         Text  `json:"consumer_tag"`
			AckRequired Flag  `json:"ack_required"`
			Prefetch    Count `json:"prefetch_count"`
			Active      *Flag `json:"active"`
			Exclusive   Flag  `json:"exclusive"`
			Channel     *struct {
				Name           Text `json:"name"`
				ConnectionName Text `json:"connection_name"`
				PeerHost       Text `json:"peer_host"`
				User           Text `json:"user"`
			} `json:"channel_details"`
		} `json:"consumer_details"`
	}
	if err := json.Unmarshal(q.Raw, &raw); err != nil {
		return nil
	}
	out := make([]Consumer, 0, len(raw.Details))
	for _, d := range raw.Details {
		c := Consumer{Tag: string(d.Tag), AckRequired: bool(d.AckRequired), Prefetch: d.Prefetch, Active: true, Exclusive: bool(d.Exclusive)}
		if d.Active != nil {
			c.Active = bool(*d.Active)
		}
		if ch := d.Channel; ch != nil {
			c.ChannelName, c.ConnectionName, c.PeerHost, c.User = string(ch.Name), string(ch.ConnectionName), string(ch.PeerHost), string(ch.User)
		}
		out = append(out, c)
	}
	return out
}

// DeliveryLimit is the queue's effective x-delivery-limit (argument or
// policy), or 0 when none applies.
func DeliveryLimit(q Queue) int {
	n, _ := deliveryLimit(q)
	return max(n, 0)
}

// deliveryLimit returns the first delivery limit the queue's arguments or
// effective policy set, and whether any did.
func deliveryLimit(q Queue) (int, bool) {
	for _, src := range []Table{q.Arguments, q.Effective} {
		for _, k := range []string{"x-delivery-limit", "delivery-limit"} {
			if v, ok := src[k].(float64); ok {
				return int(v), true
			}
		}
	}
	return 0, false
}

// EffectiveDeliveryLimit is a quorum queue's delivery limit as the broker
// applies it: the argument or policy, else RabbitMQ 4.0's default of 20
// (none before 4.0); a limit set to 0 or less means none.
func EffectiveDeliveryLimit(q Queue, brokerVersion string) int {
	if n, set := deliveryLimit(q); set {
		return max(n, 0)
	}
	major, _, _ := strings.Cut(brokerVersion, ".")
	if n, err := strconv.Atoi(major); err == nil && n >= 4 {
		return 20
	}
	return 0
}
