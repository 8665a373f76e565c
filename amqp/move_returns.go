package amqp

import (
	"bytes"
	"reflect"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/num"
)

// Matching a returned message to the publish it answers.

// matchReturn marks the publish a return belongs to. Confirms of routed
// messages can come after a later message's return, so position says
// nothing: the return is matched by content to the oldest unsettled publish
// of the same message (identical messages are interchangeable). A return
// that matches none makes every publish outstanding doubtful: they are left
// on the source rather than risk acknowledging the returned one.
func (m *mover) matchReturn(r *amqp091.Return) {
	for _, it := range m.inflight {
		if !it.returned && !it.doubtful && sameMessage(r, it) {
			it.returned = true
			return
		}
	}
	m.unmatched++
	for _, it := range m.inflight {
		if !it.returned {
			it.doubtful = true
		}
	}
}

func sameMessage(r *amqp091.Return, it *moveItem) bool {
	p := &it.pub
	return r.Exchange == it.exchange && r.RoutingKey == it.key && bytes.Equal(r.Body, p.Body) &&
		r.MessageId == p.MessageId && r.CorrelationId == p.CorrelationId && r.ContentType == p.ContentType &&
		r.ContentEncoding == p.ContentEncoding && r.DeliveryMode == p.DeliveryMode && r.Priority == p.Priority &&
		r.ReplyTo == p.ReplyTo && r.Expiration == p.Expiration && r.Type == p.Type && r.UserId == p.UserId &&
		r.AppId == p.AppId && r.Timestamp.Unix() == p.Timestamp.Unix() && sameTable(r.Headers, p.Headers, true)
}

// sameTable compares header tables by value rather than by Go type (an
// integer of another width, text as a string or as bytes, a time to the
// second), so that what the library decodes from a return matches what it
// encoded; a top level BCC is skipped, as the broker strips it.
func sameTable(a, b map[string]any, top bool) bool {
	skip := func(k string) bool { return top && k == "BCC" }
	n := 0
	for k, v := range a {
		if skip(k) {
			continue
		}
		n++
		w, ok := b[k]
		if !ok || !sameValue(v, w) {
			return false
		}
	}
	for k := range b {
		if !skip(k) {
			n--
		}
	}
	return n == 0
}

func sameValue(a, b any) bool {
	if x, ok := num.Int64(a); ok {
		y, ok := num.Int64(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case string:
		return x == asText(b)
	case []byte:
		return string(x) == asText(b)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Unix() == y.Unix()
	case amqp091.Table:
		return sameTable(x, asMap(b), false)
	case map[string]any:
		return sameTable(x, asMap(b), false)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func asText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return "\x00not text"
}

func asMap(v any) map[string]any {
	switch x := v.(type) {
	case amqp091.Table:
		return x
	case map[string]any:
		return x
	}
	return map[string]any{"\x00": "not a table"}
}
