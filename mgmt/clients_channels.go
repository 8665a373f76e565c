package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Channel is one AMQP channel.
type Channel struct {
	Name           string // "<connection name> (<number>)"
	ConnectionName string
	PeerHost       string
	User           string
	VHost          string
	Node           string
	State          string // running, flow, idle, closing
	Number         Count
	Prefetch       Count // per consumer (basic.qos global=false)
	GlobalPrefetch Count
	Unacked        Count
	Unconfirmed    Count
	Consumers      Count
	Confirm        bool
	Transactional  bool
	IdleSince      string // set while the channel is idle
	// Messages per second, averaged over RateWindow.
	PublishRate, DeliverRate, AckRate Rate
}

// ChannelSort maps the channels view's sort keys to the API's sort fields,
// for ListQuery.Sort (a short key is accepted there too).
var ChannelSort = map[string]string{
	"name": "name", "connection": "connection_details.name", "user": "user", "vhost": "vhost", "state": "state",
	"unacked": "messages_unacknowledged", "prefetch": "prefetch_count", "consumers": "consumer_count",
	"in": "message_stats.publish_details.avg_rate", "out": "message_stats.deliver_get_details.avg_rate",
}

// channelOrder orders rows locally by those API fields, for a vhost's
// channels, which the API neither pages nor sorts.
var channelOrder = func() map[string]func(a, b Channel) int {
	byName := func(a, b Channel) int { return strings.Compare(a.Name, b.Name) }
	text := func(f func(Channel) string) func(a, b Channel) int { return orderText(f, byName) }
	count := func(f func(Channel) Count) func(a, b Channel) int { return orderCount(f, byName) }
	rate := func(f func(Channel) Rate) func(a, b Channel) int { return orderRate(f, byName) }
	return map[string]func(a, b Channel) int{
		"name":                                   byName,
		"connection_details.name":                text(func(c Channel) string { return c.ConnectionName }),
		"user":                                   text(func(c Channel) string { return c.User }),
		"vhost":                                  text(func(c Channel) string { return c.VHost }),
		"state":                                  text(func(c Channel) string { return c.State }),
		"messages_unacknowledged":                count(func(c Channel) Count { return c.Unacked }),
		"prefetch_count":                         count(func(c Channel) Count { return c.Prefetch }),
		"consumer_count":                         count(func(c Channel) Count { return c.Consumers }),
		"message_stats.publish_details.avg_rate": rate(func(c Channel) Rate { return c.PublishRate }),
		"message_stats.deliver_get_details.avg_rate": rate(func(c Channel) Rate { return c.DeliverRate }),
	}
}()

const channelColumns = "name,connection_details.name,connection_details.peer_host,user,vhost,node,state,number," +
	"prefetch_count,global_prefetch_count,messages_unacknowledged,messages_unconfirmed,consumer_count," +
	"confirm,transactional,idle_since," +
	"message_stats.publish_details.avg_rate,message_stats.publish_details.rate," +
	"message_stats.deliver_get_details.avg_rate,message_stats.deliver_get_details.rate," +
	"message_stats.ack_details.avg_rate,message_stats.ack_details.rate"

type rawChannel struct {
	Name       Text `json:"name"`
	Connection *struct {
		Name     Text `json:"name"`
		PeerHost Text `json:"peer_host"`
	} `json:"connection_details"`
	User           Text          `json:"user"`
	VHost          Text          `json:"vhost"`
	Node           Text          `json:"node"`
	State          Text          `json:"state"`
	Number         Count         `json:"number"`
	Prefetch       Count         `json:"prefetch_count"`
	GlobalPrefetch Count         `json:"global_prefetch_count"`
	Unacked        Count         `json:"messages_unacknowledged"`
	Unconfirmed    Count         `json:"messages_unconfirmed"`
	Consumers      Count         `json:"consumer_count"`
	Confirm        Flag          `json:"confirm"`
	Transactional  Flag          `json:"transactional"`
	IdleSince      Text          `json:"idle_since"`
	MessageStats   *messageStats `json:"message_stats"`
}

func decodeChannel(b json.RawMessage) (Channel, error) {
	var r rawChannel
	if err := json.Unmarshal(b, &r); err != nil {
		return Channel{}, err
	}
	ch := Channel{
		Name: string(r.Name), User: string(r.User), VHost: string(r.VHost), Node: string(r.Node), State: string(r.State),
		Number: r.Number, Prefetch: r.Prefetch, GlobalPrefetch: r.GlobalPrefetch, Unacked: r.Unacked,
		Unconfirmed: r.Unconfirmed, Consumers: r.Consumers, Confirm: bool(r.Confirm), Transactional: bool(r.Transactional),
		IdleSince: string(r.IdleSince),
	}
	if r.Connection != nil {
		ch.ConnectionName, ch.PeerHost = string(r.Connection.Name), string(r.Connection.PeerHost)
	}
	if s := r.MessageStats; s != nil {
		ch.PublishRate, ch.DeliverRate, ch.AckRate = s.Publish.get(), s.DeliverGet.get(), s.Ack.get()
	}
	return ch, nil
}

// Channels lists one window of the channels, paged by the API across all
// vhosts; a vhost's channels (/api/vhosts/{vhost}/channels, unpaged on
// 3.10) are fetched whole and cut here.
func (c *Client) Channels(ctx context.Context, q ListQuery) (ListPage[Channel], error) {
	q.Sort = sortKeyField(ChannelSort, q.Sort, "")
	window := withRateWindow(url.Values{})
	var (
		p   ListPage[Channel]
		err error
	)
	if q.VHost == "" {
		p, err = pagedWithParams(ctx, c, "channels", channelColumns, window, q, decodeChannel)
	} else {
		p, err = wholeWithParams(ctx, c, "vhosts/"+pathEscape(q.VHost)+"/channels", channelColumns, window, q,
			decodeChannel, func(re *regexp.Regexp, ch Channel) bool { return re.MatchString(ch.Name) }, channelOrder[q.Sort])
	}
	if err != nil {
		return ListPage[Channel]{}, fmt.Errorf("list channels%s: %w", inVHost(q.VHost), err)
	}
	return p, nil
}

// ConnectionChannels lists a connection's channels in channel-number order
// (a handful; the endpoint does not page).
func (c *Client) ConnectionChannels(ctx context.Context, name string) ([]Channel, error) {
	var raw []json.RawMessage
	v := withRateWindow(url.Values{"columns": {channelColumns}})
	if err := c.getJSON(ctx, "connections/"+pathEscape(name)+"/channels", v, &raw); err != nil {
		return nil, fmt.Errorf("list channels of connection %q: %w", name, err)
	}
	out := make([]Channel, 0, len(raw))
	for _, item := range raw {
		ch, err := decodeChannel(item)
		if err != nil {
			return nil, fmt.Errorf("decode channel of connection %q: %w", name, err)
		}
		out = append(out, ch)
	}
	slices.SortStableFunc(out, func(a, b Channel) int { return cmp.Compare(a.Number.Or(0), b.Number.Or(0)) })
	return out, nil
}

// ChannelConsumer is one consumer on a channel.
type ChannelConsumer struct {
	Tag         string
	Queue       string
	QueueVHost  string
	AckRequired bool
	Exclusive   bool
	Active      bool   // false for a single-active-consumer standby
	Status      string // activity_status: up, single_active, waiting
	Prefetch    Count
	Arguments   Table
}

// ChannelConsumers reads a channel's consumer_details from GET
// /api/channels/{name} (which ignores columns=: the whole channel comes).
func (c *Client) ChannelConsumers(ctx context.Context, name string) ([]ChannelConsumer, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "channels/"+pathEscape(name), url.Values{"columns": {"consumer_details"}}, &raw); err != nil {
		return nil, fmt.Errorf("list consumers of channel %q: %w", name, err)
	}
	out, err := decodeChannelConsumers(raw)
	if err != nil {
		return nil, fmt.Errorf("decode consumers of channel %q: %w", name, err)
	}
	return out, nil
}

func decodeChannelConsumers(b json.RawMessage) ([]ChannelConsumer, error) {
	var raw struct {
		Details []struct {
			Tag         Text  `json:"consumer_tag"`
			AckRequired Flag  `json:"ack_required"`
			Exclusive   Flag  `json:"exclusive"`
			Active      *Flag `json:"active"`
			Status      Text  `json:"activity_status"`
			Prefetch    Count `json:"prefetch_count"`
			Arguments   Table `json:"arguments"`
			Queue       *struct {
				Name  Text `json:"name"`
				VHost Text `json:"vhost"`
			} `json:"queue"`
		} `json:"consumer_details"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := make([]ChannelConsumer, 0, len(raw.Details))
	for _, d := range raw.Details {
		cc := ChannelConsumer{
			Tag: string(d.Tag), AckRequired: bool(d.AckRequired), Exclusive: bool(d.Exclusive), Active: true,
			Status: string(d.Status), Prefetch: d.Prefetch, Arguments: d.Arguments,
		}
		if d.Active != nil {
			cc.Active = bool(*d.Active)
		}
		if d.Queue != nil {
			cc.Queue, cc.QueueVHost = string(d.Queue.Name), string(d.Queue.VHost)
		}
		out = append(out, cc)
	}
	return out, nil
}
