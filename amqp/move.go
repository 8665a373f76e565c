package amqp

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/num"
)

// MovedHeader counts how many times mqtop has moved a message.
const MovedHeader = "x-mqtop-moved"

// MoveOptions say which messages Move takes and where it sends them.
type MoveOptions struct {
	// QueueType of the source, Classic or Quorum, as for Browse: the caller
	// knows it from the management API (a passive declare does not say).
	// A Stream is refused: acknowledging removes nothing from a stream.
	QueueType string
	// Exchange and RoutingKey are the destination ("" is the default
	// exchange); ignored with ToOrigin.
	Exchange, RoutingKey string
	// ToOrigin sends each message back where the first (most recent) entry
	// of its x-death says it was published: that exchange, with the first
	// routing key, and any further keys of that entry (CC keys) restored to
	// the CC header when dead-lettering removed them, so the message reaches
	// every queue the original publish reached. A message without x-death
	// stays on the source and counts as NoOrigin.
	ToOrigin bool
	// ToOriginQueue sends each message back to the queue its most recent
	// x-death entry says it died in, through the default exchange: only
	// that queue gets it again, where ToOrigin re-routes through the
	// original exchange and so also reaches the other queues that exchange
	// routes the key to. The default for a dead-letter queue. A message
	// without x-death stays on the source and counts as NoOrigin; one whose
	// queue is gone is returned and stays too.
	ToOriginQueue bool
	// Max is how many messages to take, from the head; 0 takes all the
	// messages the queue holds when the move starts (a passive declare's
	// count), never more: messages arriving meanwhile are not chased.
	Max int
	// Window is the consumer's prefetch and the most publishes awaiting
	// their confirm; ConfirmWindow if zero. Messages held on the source
	// (returned, no origin...) do not count against it.
	Window int
}

// MoveProgress is reported while Move runs. Moved counts messages published,
// confirmed and then acknowledged on the source; Returned (unroutable),
// NoOrigin and Failed (nacked by the broker, or never published: exchange
// gone, foreign user-id) count messages left on the source. Rate is settled
// messages per second so far, ETA the time the rest would take at it.
type MoveProgress struct {
	Moved, Returned, NoOrigin, Failed, Total int
	Rate                                     float64
	ETA                                      time.Duration
}

// MoveSummary is the outcome of a Move, valid whatever its error.
type MoveSummary struct {
	MoveProgress
	// InDoubt counts messages published whose outcome was not settled when
	// the move stopped on an error (or a cancel whose confirms did not come
	// in time): they are still on the source and may be at the destination
	// too.
	InDoubt   int
	Took      time.Duration
	Cancelled bool
	// Note explains what was left where, and how a message can be in both
	// places.
	Note string
}

// moveCancelGrace bounds how long a cancelled move waits for the confirms of
// what it has published (and Config.Timeout, if shorter).
const moveCancelGrace = 5 * time.Second

// moveProbeIdle is how long a move waits for a delivery before it asks the
// queue whether anything is left (another consumer may have taken the rest).
const moveProbeIdle = time.Second

// Move moves messages of queue source to a destination, at least once: each
// message is republished with its properties and headers (plus MovedHeader,
// counted up; x-delivery-count, a delivery annotation, is dropped) with
// mandatory set under publisher confirms on a channel of its own, and is
// acknowledged on the source only once the broker confirmed that publish
// and routed it. A message the broker returns (unroutable) or nacks stays
// on the source. Cancelling ctx stops taking at once; what is published
// waits (at most 5 s) for its confirms and is then acknowledged, or left on
// the source. Nothing is lost when mqtop or the broker dies mid-move: at
// worst a message whose publish was confirmed but whose acknowledgement did
// not reach the broker is in both places (at most Window messages).
// progress (optional) is called on Move's goroutine at most every 100 ms
// and at the end, and must return quickly. Config.Timeout bounds each wait
// (a confirm, a delivery), not the whole move.
//
// Returned, nacked and origin-less messages are held unacknowledged until
// the move ends, when closing the channel gives them all back at once (a
// classic queue puts them back in their places): a nack with requeue would
// put each back at the head, where the consumer would take it again and loop. Held messages
// use up the consumer's prefetch, so once they fill half of it the consumer
// is cancelled and a new one subscribed: the prefetch counts each consumer's
// own unacknowledged messages, and the held ones stay with the old one.
// Acknowledgements are kept back near the end, so the broker never delivers
// more than the count to take (see flushAcks).
//
// Quorum sources: every message the move takes and gives back (returned,
// nacked, no origin, unpublished when cancelled) counts a delivery
// (x-delivery-count + 1). A quorum queue with a delivery limit (from
// RabbitMQ 4.0 every one: 20 by default) dead-letters or drops a message
// that comes back past its limit, so repeated moves of messages that cannot
// be routed wear them down; the summary's note gives the highest count.
func (s *Session) Move(ctx context.Context, vhost, source string, o MoveOptions,
	progress func(MoveProgress)) (MoveSummary, error) {
	vhost = normVHost(vhost)
	op := o.op(source)
	if s.cfg.ReadOnly {
		return MoveSummary{}, readOnly(op, vhost)
	}
	if err := o.check(source); err != nil {
		return MoveSummary{}, opErr(op, vhost, err)
	}
	// A move publishes on the vhost's connection: while the broker blocks
	// it, nothing would be confirmed (and nothing acked): say so at once.
	if err := s.refuseBlocked(op, vhost); err != nil {
		return MoveSummary{}, err
	}
	if o.Window <= 0 {
		o.Window = ConfirmWindow
	}
	start := time.Now()
	st, err := s.Inspect(ctx, vhost, source)
	if err != nil {
		var oe *OpError
		if errors.As(err, &oe) {
			e := *oe
			e.Op = op
			err = &e
		}
		return MoveSummary{Cancelled: ctx.Err() != nil}, err
	}
	total := st.Ready
	if o.Max > 0 {
		total = min(total, o.Max)
	}
	m := &mover{s: s, vhost: vhost, source: source, o: o, progress: progress, total: total,
		consumers: st.Consumers, start: start, exchanges: map[string]bool{}, missing: map[string]int{}}
	err = m.run(ctx)
	m.report(true)
	sum := m.summary()
	sum.Cancelled = m.stopping || (err != nil && ctx.Err() != nil)
	return sum, opErr(op, vhost, err)
}

func (o *MoveOptions) op(source string) string {
	switch {
	case o.ToOriginQueue:
		return fmt.Sprintf("move messages of queue %q back to the queues they were dead-lettered from", source)
	case o.ToOrigin:
		return fmt.Sprintf("move messages of queue %q back to their origin", source)
	case o.Exchange == "":
		return fmt.Sprintf("move messages of queue %q to the default exchange with routing key %q", source, o.RoutingKey)
	}
	return fmt.Sprintf("move messages of queue %q to exchange %q with routing key %q", source, o.Exchange, o.RoutingKey)
}

func (o *MoveOptions) check(source string) error {
	switch o.QueueType {
	case Classic, Quorum:
	case Stream:
		return errors.New("cannot move messages out of a stream: acknowledging removes nothing from a stream, " +
			"so every message would stay where it is and also reach the destination")
	case "":
		return errors.New("the queue type (classic or quorum) is needed to move messages")
	default:
		return fmt.Errorf("cannot move messages out of a queue of type %q", o.QueueType)
	}
	if o.Max < 0 {
		return fmt.Errorf("the most messages to move must not be negative, got %d", o.Max)
	}
	if o.Window < 0 || o.Window > 65535 {
		return fmt.Errorf("the window must be between 1 and 65535 (an AMQP prefetch count), got %d", o.Window)
	}
	if o.ToOrigin && o.ToOriginQueue {
		return errors.New("move back to the origin exchange or to the origin queue, not both")
	}
	origin := o.ToOrigin || o.ToOriginQueue
	if !origin && o.Exchange == "" && o.RoutingKey == source {
		return errors.New("the destination is the source queue itself")
	}
	if !origin && o.Exchange == "" && o.RoutingKey == "" {
		return errors.New("no destination: name an exchange or a routing key, or move messages back to their origin")
	}
	return nil
}

// moveItem is one message taken from the source.
type moveItem struct {
	tag           uint64 // on the source channel
	consumer      string
	seq           uint64 // publish sequence number, once published
	exchange, key string
	pub           amqp091.Publishing
	returned      bool
	doubtful      bool  // a return could not be matched: it may be this one
	count         int64 // x-delivery-count as delivered (quorum)
}

type mover struct {
	s             *Session
	vhost, source string
	o             MoveOptions
	progress      func(MoveProgress)
	total         int
	consumers     int

	src *achan
	pub *publisher

	// The current consumer: tag is "" once it is cancelled; deliveries is
	// nil once its channel has closed.
	deliveries           <-chan amqp091.Delivery
	tag                  string
	prefetch, takenFirst int // its prefetch; messages taken before it
	acked, held          int // of its messages

	taken                    int
	queued, inflight, toAck  []*moveItem
	seq                      uint64
	heldAny, untracked       bool // multiple acks would take held or unseen messages
	stopping, exhausted      bool
	exchanges                map[string]bool
	missing                  map[string]int // origin exchanges gone: messages
	foreignUser, nacked      int
	unmatched, unpublished   int
	maxCount                 int64 // the highest x-delivery-count given back
	start, lastReport        time.Time
	confirmWait              time.Time // since when confirms are awaited
	moved, returned, noOrig  int
	failed, inDoubt, settled int
}

func (m *mover) run(ctx context.Context) (err error) {
	if m.total == 0 {
		return nil
	}
	if !m.o.ToOrigin && m.o.Exchange != "" {
		if ok, err := m.exchangeExists(ctx, m.o.Exchange); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("no exchange %q", m.o.Exchange)
		}
	}
	pubCh, err := m.s.openChannel(ctx, m.vhost)
	if err != nil {
		return err
	}
	defer pubCh.Close()
	if m.pub, err = newPublisher(pubCh, m.o.Window); err != nil {
		return err
	}
	if m.src, err = m.s.openChannel(ctx, m.vhost); err != nil {
		return err
	}
	defer func() {
		m.settleOnExit(err)
		_ = m.src.Close() // gives back everything not acknowledged, in order
	}()
	if err := m.subscribe(); err != nil {
		return err
	}
	wait := time.NewTimer(moveProbeIdle)
	defer wait.Stop()
	var grace <-chan time.Time
	lastDelivery := time.Now()
	for {
		if err := m.publishQueued(); err != nil {
			return err
		}
		if err := m.flushAcks(); err != nil {
			return err
		}
		if err := m.adjustConsumer(); err != nil {
			return err
		}
		m.report(false)
		if m.finished() {
			if m.stopping {
				return ctxErr(ctx)
			}
			return nil
		}
		done := ctx.Done()
		if m.stopping {
			done = nil
		}
		select {
		case d, ok := <-m.deliveries:
			if !ok {
				m.deliveries = nil
				if m.tag != "" && !m.stopping {
					return fmt.Errorf("the broker cancelled mqtop's consumer of queue %q (deleted?)", m.source)
				}
				continue
			}
			lastDelivery = time.Now()
			if err := m.take(ctx, &d); err != nil {
				return err
			}
		case c, ok := <-m.pub.confirms:
			if !ok {
				return m.pub.ch.closeErr()
			}
			if err := m.confirms(c); err != nil {
				return err
			}
		case r, ok := <-m.pub.returns:
			if ok {
				m.pub.pending = append(m.pub.pending, r)
			}
		case e, ok := <-m.src.closed:
			return m.src.failed(e, ok)
		case e, ok := <-m.pub.ch.closed:
			return m.pub.ch.failed(e, ok)
		case <-done:
			m.stop()
			grace = time.After(min(moveCancelGrace, m.s.cfg.Timeout))
		case <-grace:
			return ctxErr(ctx)
		case <-wait.C:
			wait.Reset(moveProbeIdle)
			if len(m.inflight) > 0 {
				if time.Since(m.confirmWait) > m.s.cfg.Timeout {
					return fmt.Errorf("no publisher confirm within %v (%d unconfirmed)", m.s.cfg.Timeout, len(m.inflight))
				}
				continue
			}
			if m.stopping || m.tag == "" || len(m.queued) > 0 || time.Since(lastDelivery) < moveProbeIdle {
				continue
			}
			st, err := m.s.Inspect(ctx, m.vhost, m.source)
			if err != nil {
				return err
			}
			if st.Ready == 0 {
				m.exhausted = true // taken by another consumer, or expired
			} else if time.Since(lastDelivery) > m.s.cfg.Timeout {
				return fmt.Errorf("no message delivered within %v although the queue holds %d ready "+
					"(another consumer may be its single active consumer)", m.s.cfg.Timeout, st.Ready)
			}
		}
	}
}

// subscribe starts a consumer whose prefetch is at most what is left to take.
func (m *mover) subscribe() error {
	p := min(m.o.Window, m.total-m.taken)
	if err := m.src.Qos(p, 0, false); err != nil {
		return err
	}
	tag := "mqtop-move-" + randomHex(6)
	ds, err := m.src.Consume(m.source, tag, false, false, false, false, nil)
	if err != nil {
		return err
	}
	m.deliveries, m.tag, m.prefetch, m.takenFirst, m.acked, m.held = ds, tag, p, m.taken, 0, 0
	return nil
}

// adjustConsumer cancels the consumer once everything is taken, or when held
// messages fill half its prefetch, and subscribes a new one once the old
// one's deliveries have all come in (its channel closed after cancel-ok).
func (m *mover) adjustConsumer() error {
	if m.stopping {
		return nil
	}
	if m.tag != "" && (m.taken >= m.total || m.exhausted || 2*m.held >= m.prefetch) {
		tag := m.tag
		m.tag = ""
		if err := m.src.Cancel(tag, false); err != nil {
			return err
		}
	}
	if m.tag == "" && m.deliveries == nil && m.taken < m.total && !m.exhausted {
		return m.subscribe()
	}
	return nil
}

// stop ends taking at once: the consumer is cancelled without waiting, so
// deliveries still on their way are dropped by the library and given back
// when the channel closes; what is queued is not published.
func (m *mover) stop() {
	m.stopping = true
	m.untracked = true
	if m.tag != "" {
		_ = m.src.Cancel(m.tag, true)
		m.tag = ""
	}
	m.deliveries = nil
}

func (m *mover) finished() bool {
	if len(m.inflight) > 0 || len(m.toAck) > 0 {
		return false
	}
	if m.stopping {
		return true
	}
	return (m.taken >= m.total || m.exhausted) && m.tag == "" && m.deliveries == nil && len(m.queued) == 0
}

// take decides where a delivery goes: queued for publishing, or held.
func (m *mover) take(ctx context.Context, d *amqp091.Delivery) error {
	if m.stopping || m.taken >= m.total {
		m.untracked = true // beyond what the move takes: given back untouched
		return nil
	}
	m.taken++
	it := &moveItem{tag: d.DeliveryTag, consumer: d.ConsumerTag, exchange: m.o.Exchange, key: m.o.RoutingKey}
	if n, ok := num.Int64(d.Headers["x-delivery-count"]); ok {
		it.count = n
	}
	var cc []string
	if m.o.ToOriginQueue {
		deaths := ParseXDeath(d.Headers)
		if len(deaths) == 0 || deaths[0].Queue == "" {
			m.hold(it, &m.noOrig)
			return nil
		}
		it.exchange, it.key = "", deaths[0].Queue
		if it.key == m.source {
			m.hold(it, &m.failed) // it died here: moving it back is a loop
			return nil
		}
	} else if m.o.ToOrigin {
		deaths := ParseXDeath(d.Headers)
		if len(deaths) == 0 || len(deaths[0].RoutingKeys) == 0 {
			m.hold(it, &m.noOrig)
			return nil
		}
		it.exchange, it.key, cc = deaths[0].Exchange, deaths[0].RoutingKeys[0], deaths[0].RoutingKeys[1:]
		ok, err := m.exchangeExists(ctx, it.exchange)
		if err != nil {
			return err
		}
		if !ok {
			m.missing[it.exchange]++
			m.hold(it, &m.failed)
			return nil
		}
	}
	if d.UserId != "" && d.UserId != m.s.cfg.User {
		// The broker refuses a user-id other than the connection's own
		// with a channel error that would end the whole move.
		m.foreignUser++
		m.hold(it, &m.failed)
		return nil
	}
	it.pub = amqp091.Publishing{
		Headers: movedHeaders(d.Headers, cc), ContentType: d.ContentType, ContentEncoding: d.ContentEncoding,
		DeliveryMode: d.DeliveryMode, Priority: d.Priority, CorrelationId: d.CorrelationId, ReplyTo: d.ReplyTo,
		Expiration: d.Expiration, MessageId: d.MessageId, Timestamp: d.Timestamp, Type: d.Type,
		UserId: d.UserId, AppId: d.AppId, Body: d.Body,
	}
	m.queued = append(m.queued, it)
	return nil
}

// movedHeaders is a copy of h with MovedHeader counted up, x-delivery-count
// dropped, and the CC keys of cc that h lacks added back.
func movedHeaders(h amqp091.Table, cc []string) amqp091.Table {
	out := make(amqp091.Table, len(h)+1)
	for k, v := range h {
		if k != "x-delivery-count" {
			out[k] = v
		}
	}
	n, _ := num.Int64(h[MovedHeader])
	out[MovedHeader] = n + 1
	have, _ := h["CC"].([]any)
	have = append([]any(nil), have...)
	for _, k := range cc {
		found := false
		for _, v := range have {
			found = found || v == k
		}
		if !found {
			have = append(have, k)
			out["CC"] = have
		}
	}
	return out
}

// exchangeExists asks the broker (once per exchange) on a channel of its
// own, as a passive declare of a missing exchange closes its channel.
func (m *mover) exchangeExists(ctx context.Context, name string) (bool, error) {
	if name == "" {
		return true, nil
	}
	if ok, seen := m.exchanges[name]; seen {
		return ok, nil
	}
	ctx, cancel := m.s.bounded(ctx, 0)
	defer cancel()
	err := m.s.withChannel(ctx, m.vhost, fmt.Sprintf("check exchange %q", name), func(ctx context.Context, ch *achan) error {
		return ch.ExchangeDeclarePassive(name, amqp091.ExchangeDirect, false, false, false, false, nil)
	})
	if err != nil && Code(err) != amqp091.NotFound {
		return false, err
	}
	m.exchanges[name] = err == nil
	return err == nil, nil
}

func (m *mover) hold(it *moveItem, count *int) {
	*count++
	m.settled++
	m.heldAny = true
	if it.consumer == m.tag {
		m.held++
	}
	m.maxCount = max(m.maxCount, it.count+1)
}

func (m *mover) publishQueued() error {
	for len(m.queued) > 0 && len(m.inflight) < m.o.Window && !m.stopping {
		it := m.queued[0]
		if err := m.pub.ch.Publish(it.exchange, it.key, true, false, it.pub); err != nil {
			if m.pub.ch.IsClosed() {
				return m.pub.ch.closeErr()
			}
			return err
		}
		m.queued[0] = nil
		m.queued = m.queued[1:]
		m.seq++
		it.seq = m.seq
		if len(m.inflight) == 0 {
			m.confirmWait = time.Now()
		}
		m.inflight = append(m.inflight, it)
	}
	return nil
}

// confirms settles c and every confirm already waiting, before anything is
// acknowledged.
func (m *mover) confirms(c amqp091.Confirmation) error {
	for {
		if err := m.confirm(c); err != nil {
			return err
		}
		m.confirmWait = time.Now()
		var ok bool
		select {
		case c, ok = <-m.pub.confirms:
			if !ok {
				return m.pub.ch.closeErr()
			}
		default:
			return nil
		}
	}
}

// confirm settles the oldest publish: the library hands confirms over in
// publish order, and the broker sends a message's basic.return before its
// basic.ack, so any return for it is already waiting.
func (m *mover) confirm(c amqp091.Confirmation) error {
	m.pub.drainReturns()
	for i := range m.pub.pending {
		m.matchReturn(&m.pub.pending[i])
	}
	m.pub.pending = m.pub.pending[:0]
	if len(m.inflight) == 0 || c.DeliveryTag != m.inflight[0].seq {
		return fmt.Errorf("publisher confirm %d does not match the oldest publish", c.DeliveryTag)
	}
	it := m.inflight[0]
	m.inflight[0] = nil
	m.inflight = m.inflight[1:]
	switch {
	case !c.Ack:
		m.nacked++
		m.hold(it, &m.failed)
	case it.returned:
		m.hold(it, &m.returned)
	case it.doubtful:
		m.hold(it, &m.failed)
	default:
		m.toAck = append(m.toAck, it)
	}
	return nil
}

// flushAcks acknowledges the confirmed messages that may be acknowledged
// now. Acknowledging frees prefetch, and the broker delivers at most acked +
// prefetch messages to a consumer, so messages of the current consumer are
// acknowledged only while that cannot exceed the count to take; the rest
// wait until it is cancelled. Once a message is held, or deliveries may have
// been dropped unseen (see stop), acknowledgements are one by one: a
// multiple one would take those too.
func (m *mover) flushAcks() error {
	n, acked := 0, m.acked
	for ; n < len(m.toAck); n++ {
		if m.toAck[n].consumer == m.tag {
			if m.takenFirst+acked+1+m.prefetch > m.total {
				break
			}
			acked++
		}
	}
	if n == 0 {
		return nil
	}
	if n > 1 && !m.heldAny && !m.untracked {
		// Every unacknowledged tag up to the last is in the batch: older
		// messages are acknowledged, later ones were confirmed later.
		if err := m.src.Ack(m.toAck[n-1].tag, true); err != nil {
			return err
		}
		m.acked = acked
		m.moved += n
		m.settled += n
		clear(m.toAck[:n])
		m.toAck = m.toAck[n:]
		return nil
	}
	for range n {
		if err := m.ack(); err != nil {
			return err
		}
	}
	return nil
}

// ack acknowledges the oldest confirmed message on its own.
func (m *mover) ack() error {
	it := m.toAck[0]
	if err := m.src.Ack(it.tag, false); err != nil {
		return err
	}
	if it.consumer == m.tag {
		m.acked++
	}
	m.moved++
	m.settled++
	m.toAck[0] = nil
	m.toAck = m.toAck[1:]
	return nil
}

// settleOnExit acknowledges what is confirmed when the source channel still
// works, and counts the rest as in doubt.
func (m *mover) settleOnExit(err error) {
	if err != nil && !m.src.IsClosed() {
		for len(m.toAck) > 0 && m.ack() == nil {
		}
	}
	m.inDoubt = len(m.inflight) + len(m.toAck)
	m.unpublished = len(m.queued)
	for _, list := range [][]*moveItem{m.queued, m.inflight, m.toAck} {
		for _, it := range list {
			m.maxCount = max(m.maxCount, it.count+1)
		}
	}
}
