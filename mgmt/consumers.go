package mgmt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
)

// ConsumerRow is one consumer of the consumers view: the fields a queue's
// detail page shows (Consumer, whose type is shared with QueueConsumers)
// plus where it is, since the list spans queues.
type ConsumerRow struct {
	Consumer
	VHost, Queue string
	// ChannelNumber is unknown when the broker had no channel details (the
	// channel is closing, or its statistics are not in yet).
	ChannelNumber Count
	// ActiveKnown: the broker said whether the consumer is active (3.8+
	// always does; Active is false when it did not). ActivityStatus is
	// "up", "single_active", "waiting" or "suspected_down" (4.x), or "".
	ActiveKnown    bool
	ActivityStatus string
}

// ConsumerSort maps the consumers view's sort keys to ListQuery.Sort
// values (named like the API's fields; /api/consumers does not page or
// sort, so mqtop sorts locally). "queue" is the default.
var ConsumerSort = map[string]string{
	"queue": "queue.name", "tag": "consumer_tag", "channel": "channel_details.name",
	"prefetch": "prefetch_count", "active": "active",
}

const consumerColumns = "consumer_tag,queue.name,queue.vhost,channel_details.name,channel_details.number," +
	"channel_details.connection_name,channel_details.peer_host,channel_details.user," +
	"ack_required,prefetch_count,active,activity_status,exclusive"

// Consumers fetches /api/consumers[/{vhost}] whole and serves the window;
// the filter matches the queue name or the consumer tag.
func (c *Client) Consumers(ctx context.Context, q ListQuery) (ListPage[ConsumerRow], error) {
	field := sortKeyField(ConsumerSort, q.Sort, "queue.name")
	byQueue := func(a, b ConsumerRow) int {
		return cmp.Or(cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.VHost, b.VHost), cmp.Compare(a.Tag, b.Tag),
			cmp.Compare(a.ChannelName, b.ChannelName))
	}
	less := func(a, b ConsumerRow) int {
		var k int
		switch field {
		case "consumer_tag":
			k = cmp.Compare(a.Tag, b.Tag)
		case "channel_details.name":
			k = cmp.Or(cmp.Compare(a.ChannelName, b.ChannelName), cmpCount(a.ChannelNumber, b.ChannelNumber))
		case "prefetch_count":
			k = cmpCount(a.Prefetch, b.Prefetch)
		case "active":
			k = cmp.Compare(activeRank(a), activeRank(b))
		}
		return cmp.Or(k, byQueue(a, b))
	}
	match := func(re *regexp.Regexp, r ConsumerRow) bool { return re.MatchString(r.Queue) || re.MatchString(r.Tag) }
	p, err := wholeList(ctx, c, scoped("consumers", q.VHost), consumerColumns, q, decodeConsumer, match, less)
	if err != nil {
		return p, fmt.Errorf("list consumers%s: %w", ofVHost(q.VHost), err)
	}
	return p, nil
}

// activeRank orders unknown before inactive before active.
func activeRank(r ConsumerRow) int {
	switch {
	case !r.ActiveKnown:
		return 0
	case !r.Active:
		return 1
	}
	return 2
}

// cmpCount orders unknown before every known value.
func cmpCount(a, b Count) int {
	return cmp.Or(cmp.Compare(boolInt(a.OK), boolInt(b.OK)), cmp.Compare(a.N, b.N))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortKeyField turns a short sort key into its field; a field or "" passes.
func sortKeyField(keys map[string]string, sort, def string) string {
	if f, ok := keys[sort]; ok {
		return f
	}
	return cmp.Or(sort, def)
}

func decodeConsumer(raw json.RawMessage) (ConsumerRow, error) {
	var r struct {
		Tag            Text            `json:"consumer_tag"`
		AckRequired    Flag            `json:"ack_required"`
		Prefetch       Count           `json:"prefetch_count"`
		Active         *Flag           `json:"active"`
		ActivityStatus Text            `json:"activity_status"`
		Exclusive      Flag            `json:"exclusive"`
		Queue          json.RawMessage `json:"queue"`
		Channel        json.RawMessage `json:"channel_details"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return ConsumerRow{}, err
	}
	var qu struct {
		Name  Text `json:"name"`
		VHost Text `json:"vhost"`
	}
	var ch struct {
		Name           Text  `json:"name"`
		Number         Count `json:"number"`
		ConnectionName Text  `json:"connection_name"`
		PeerHost       Text  `json:"peer_host"`
		User           Text  `json:"user"`
	}
	if err := decodeNested(r.Queue, &qu); err != nil {
		return ConsumerRow{}, fmt.Errorf("queue: %w", err)
	}
	if err := decodeNested(r.Channel, &ch); err != nil {
		return ConsumerRow{}, fmt.Errorf("channel_details: %w", err)
	}
	row := ConsumerRow{
		Consumer: Consumer{
			Tag: string(r.Tag), AckRequired: bool(r.AckRequired), Prefetch: r.Prefetch, Exclusive: bool(r.Exclusive),
			ChannelName: string(ch.Name), ConnectionName: string(ch.ConnectionName), PeerHost: string(ch.PeerHost), User: string(ch.User),
		},
		VHost: string(qu.VHost), Queue: string(qu.Name), ChannelNumber: ch.Number, ActivityStatus: string(r.ActivityStatus),
	}
	switch {
	case r.Active != nil:
		row.Active, row.ActiveKnown = bool(*r.Active), true
	case row.ActivityStatus != "":
		// Only the status: "up" and "single_active" deliver.
		row.Active, row.ActiveKnown = row.ActivityStatus == "up" || row.ActivityStatus == "single_active", true
	}
	return row, nil
}

// decodeNested decodes a nested object the broker may send as [] or null when it
// has nothing to say (channel_details of a channel whose stats are gone).
func decodeNested(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	return json.Unmarshal(raw, v)
}
