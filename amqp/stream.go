package amqp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// OffsetKind says where a stream browse starts.
type OffsetKind int

const (
	OffsetFirst     OffsetKind = iota // the first message still in the stream
	OffsetLast                        // the last chunk written (one or more messages)
	OffsetNext                        // only messages published from now on
	OffsetAt                          // the message at Offset
	OffsetTimestamp                   // messages written from Time on (chunk precision)
)

// StreamOffset is a stream browse's starting point; the zero value is the
// first message.
type StreamOffset struct {
	Kind   OffsetKind
	Offset int64
	Time   time.Time
}

func (o StreamOffset) arg() any {
	switch o.Kind {
	case OffsetLast:
		return "last"
	case OffsetNext:
		return "next"
	case OffsetAt:
		return o.Offset
	case OffsetTimestamp:
		return o.Time
	}
	return "first"
}

func (o StreamOffset) String() string {
	switch o.Kind {
	case OffsetAt:
		return fmt.Sprintf("offset %d", o.Offset)
	case OffsetTimestamp:
		return "from " + o.Time.Format(time.RFC3339)
	}
	return fmt.Sprint(o.arg())
}

// browseStream reads up to N messages of a stream with a consumer: basic.get
// is not supported on streams. The consumer does not auto-ack (streams
// refuse it); its acks only renew the prefetch credit, as acking removes
// nothing from a stream. Nothing about the stream changes, so a read-only
// session may always do it.
func (s *Session) browseStream(ctx context.Context, vhost, op string, req BrowseRequest) (BrowseResult, error) {
	op = fmt.Sprintf("%s from %s", op, req.Offset)
	wait := req.Wait
	if wait <= 0 {
		wait = time.Second
	}
	ctx, cancel := s.bounded(ctx, wait)
	defer cancel()
	res := BrowseResult{Remaining: -1}
	err := s.withChannel(ctx, vhost, op, func(ctx context.Context, ch *achan) error {
		prefetch := min(req.N, 1000)
		if err := ch.Qos(prefetch, 0, false); err != nil {
			return err
		}
		tag := "mqtop-browse-" + randomHex(6)
		deliveries, err := ch.Consume(req.Queue, tag, false, false, false, false,
			amqp091.Table{"x-stream-offset": req.Offset.arg()})
		if err != nil {
			return err
		}
		idle := time.NewTimer(wait)
		defer idle.Stop()
		// A stream written to all the time never falls idle: after
		// Config.Timeout the browse ends with what it has.
		overall := time.NewTimer(s.cfg.Timeout)
		defer overall.Stop()
		for len(res.Messages) < req.N {
			select {
			case d, ok := <-deliveries:
				if !ok {
					return ch.closeErr()
				}
				if err := d.Ack(false); err != nil {
					return err
				}
				m := fromDelivery(&d)
				// Delivery starts at a chunk boundary: skip what precedes
				// the offset asked for.
				if req.Offset.Kind == OffsetAt && m.StreamOffset != nil && *m.StreamOffset < req.Offset.Offset {
					continue
				}
				res.Messages = append(res.Messages, m)
				resetTimer(idle, wait)
			case <-idle.C:
				return nil
			case <-overall.C:
				res.StoppedWaiting = true
				return nil
			case e, ok := <-ch.closed:
				return ch.failed(e, ok)
			case <-ctx.Done():
				return ctxErr(ctx)
			}
		}
		res.Truncated = true // N reached; the stream may hold more
		return nil           // closing the channel cancels the consumer
	})
	if err != nil {
		return BrowseResult{}, err
	}
	return res, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
