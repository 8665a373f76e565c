package amqp

import (
	"fmt"
	"sort"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/num"
)

// Delivery modes.
const (
	Transient  uint8 = 1
	Persistent uint8 = 2
)

// Properties are a message's AMQP basic properties. Zero values are not
// sent. Priority 0 cannot be told from no priority on the wire (the client
// library sends the field only when it is not zero); both mean the lowest
// priority to a priority queue.
type Properties struct {
	ContentType, ContentEncoding string
	DeliveryMode                 uint8 // 0 unset, 1 transient, 2 persistent
	Priority                     uint8
	Expiration                   string // per-message TTL in milliseconds, as text
	CorrelationID, ReplyTo       string
	MessageID, Type, AppID       string
	UserID                       string    // the broker checks it against the connection's user
	Timestamp                    time.Time // zero = unset; whole seconds on the wire
}

// Message is one message read from a queue: all properties and headers,
// the delivery information, and the body.
type Message struct {
	Properties
	Headers map[string]any // AMQP table values: nested tables are map[string]any
	Body    []byte

	Exchange, RoutingKey string // as published
	Redelivered          bool   // as delivered to us (before our own browse)
	// DeliveryCount is the quorum queue's x-delivery-count as fetched, when
	// HasDeliveryCount; returning the message (as a browse does) adds one.
	DeliveryCount    int64
	HasDeliveryCount bool
	StreamOffset     *int64  // streams: x-stream-offset
	Deaths           []Death // x-death, parsed
}

func fromDelivery(d *amqp091.Delivery) Message {
	m := Message{
		Properties: Properties{
			ContentType: d.ContentType, ContentEncoding: d.ContentEncoding, DeliveryMode: d.DeliveryMode,
			Priority: d.Priority, Expiration: d.Expiration, CorrelationID: d.CorrelationId, ReplyTo: d.ReplyTo,
			MessageID: d.MessageId, Type: d.Type, AppID: d.AppId, UserID: d.UserId, Timestamp: d.Timestamp,
		},
		Headers:     fromTable(d.Headers),
		Body:        d.Body,
		Exchange:    d.Exchange,
		RoutingKey:  d.RoutingKey,
		Redelivered: d.Redelivered,
	}
	if v, ok := m.Headers["x-delivery-count"]; ok {
		if n, ok := num.Int64(v); ok {
			m.DeliveryCount, m.HasDeliveryCount = n, true
		}
	}
	if v, ok := m.Headers["x-stream-offset"]; ok {
		if n, ok := num.Int64(v); ok {
			m.StreamOffset = &n
		}
	}
	m.Deaths = ParseXDeath(m.Headers)
	return m
}

// fromTable turns a library table into plain Go maps and slices.
func fromTable(t amqp091.Table) map[string]any {
	if t == nil {
		return nil
	}
	m := make(map[string]any, len(t))
	for k, v := range t {
		m[k] = fromValue(v)
	}
	return m
}

func fromValue(v any) any {
	switch x := v.(type) {
	case amqp091.Table:
		return fromTable(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromValue(e)
		}
		return out
	}
	return v
}

// toTable turns headers into a library table, accepting the common Go
// shapes (map[string]any, map[string]string, []string, int, uint...) and
// refusing what AMQP cannot carry.
func toTable(m map[string]any) (amqp091.Table, error) {
	if len(m) == 0 {
		return nil, nil
	}
	t := make(amqp091.Table, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := toValue(m[k])
		if err != nil {
			return nil, fmt.Errorf("header %q: %w", k, err)
		}
		t[k] = v
	}
	return t, nil
}

func toValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int8, int16, int32, int64, uint8, uint16, uint32, float32, float64, string, []byte, time.Time, amqp091.Decimal:
		return v, nil
	case int:
		return int64(x), nil
	case uint:
		if uint64(x) > 1<<63-1 {
			return nil, fmt.Errorf("%d does not fit a signed 64-bit AMQP integer", x)
		}
		return int64(x), nil
	case uint64:
		if x > 1<<63-1 {
			return nil, fmt.Errorf("%d does not fit a signed 64-bit AMQP integer", x)
		}
		return int64(x), nil
	case map[string]any:
		return toTable(x)
	case amqp091.Table:
		return toTable(x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return toTable(m)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := toValue(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %T cannot be an AMQP header value", v)
}

func (p Properties) publishing(headers amqp091.Table, body []byte) amqp091.Publishing {
	return amqp091.Publishing{
		Headers: headers, ContentType: p.ContentType, ContentEncoding: p.ContentEncoding,
		DeliveryMode: p.DeliveryMode, Priority: p.Priority, CorrelationId: p.CorrelationID, ReplyTo: p.ReplyTo,
		Expiration: p.Expiration, MessageId: p.MessageID, Timestamp: p.Timestamp, Type: p.Type,
		UserId: p.UserID, AppId: p.AppID, Body: body,
	}
}
