package amqp

import (
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/num"
)

// Death is one entry of a message's x-death header: the broker adds (or
// counts up) one per queue and reason each time it dead-letters the
// message. The most recent entry comes first.
type Death struct {
	Queue       string
	Reason      string // rejected, expired, maxlen, delivery_limit
	Count       int64
	Time        time.Time // when it was first dead-lettered from Queue for Reason
	Exchange    string    // the exchange it had been published to
	RoutingKeys []string
	// OriginalExpiration is the per-message TTL the message had, when the
	// broker removed it on dead-lettering.
	OriginalExpiration string
}

// ParseXDeath reads headers["x-death"] into a readable history; entries
// that are not tables are skipped and a missing header gives nil.
func ParseXDeath(headers map[string]any) []Death {
	raw, ok := headers["x-death"].([]any)
	if !ok {
		return nil
	}
	var out []Death
	for _, e := range raw {
		var t map[string]any
		switch x := e.(type) {
		case map[string]any:
			t = x
		case amqp091.Table:
			t = x
		default:
			continue
		}
		d := Death{}
		d.Queue, _ = t["queue"].(string)
		d.Reason, _ = t["reason"].(string)
		d.Exchange, _ = t["exchange"].(string)
		d.Count, _ = num.Int64(t["count"])
		d.Time, _ = t["time"].(time.Time)
		d.OriginalExpiration, _ = t["original-expiration"].(string)
		if keys, ok := t["routing-keys"].([]any); ok {
			for _, k := range keys {
				if s, ok := k.(string); ok {
					d.RoutingKeys = append(d.RoutingKeys, s)
				}
			}
		}
		out = append(out, d)
	}
	return out
}
