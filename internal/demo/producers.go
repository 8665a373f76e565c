package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

type outgoing struct {
	exchange, key string
	msg           amqp.Publishing
}

// producer publishes a batch after each wait. Rates are deliberately low
// (tens of messages per second in total) so the demo never loads the box.
type producer struct {
	declare func(*amqp.Channel) error
	wait    func() time.Duration
	batch   func(next func() uint64) []outgoing
	// spacing between messages of one batch, so a burst ramps up over a
	// couple of seconds the way real producers do instead of in one tick.
	spacing time.Duration
	// seq survives reconnects so message ids stay unique for the whole run.
	// Only the role's supervise goroutine touches it.
	seq uint64
}

func (d *demo) produce(name string, p *producer) func(context.Context, *amqp.Connection) error {
	return func(ctx context.Context, conn *amqp.Connection) error {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		if err := p.declare(ch); err != nil {
			return err
		}
		gate := &blockGate{events: conn.NotifyBlocked(make(chan amqp.Blocking, 4)), log: d.log.With("role", name)}
		next := func() uint64 { p.seq++; return p.seq }
		for {
			if !sleepCtx(ctx, p.wait()) || !gate.wait(ctx) {
				return ctx.Err()
			}
			for i, o := range p.batch(next) {
				if i > 0 && p.spacing > 0 && !sleepCtx(ctx, p.spacing) {
					return ctx.Err()
				}
				if err := ch.PublishWithContext(ctx, o.exchange, o.key, false, false, o.msg); err != nil {
					return fmt.Errorf("publish to exchange %q key %q: %w", o.exchange, o.key, err)
				}
				d.stats.published.Add(1)
			}
		}
	}
}

// blockGate pauses a producer while the broker has blocked its connection
// (memory or disk alarm). Publishing anyway would only fill socket buffers
// until a write hangs, and a hung write cannot be interrupted on shutdown.
type blockGate struct {
	events  <-chan amqp.Blocking
	blocked bool
	log     *slog.Logger
}

func (g *blockGate) note(b amqp.Blocking) {
	if b.Active && !g.blocked {
		g.log.Warn("broker blocked publishing", "reason", b.Reason)
	} else if !b.Active && g.blocked {
		g.log.Info("broker unblocked publishing")
	}
	g.blocked = b.Active
}

// wait returns false only if ctx ends while blocked. The events channel is
// drained on every call because amqp091 delivers to it synchronously.
func (g *blockGate) wait(ctx context.Context) bool {
	for {
		select {
		case b := <-g.events:
			g.note(b)
			continue
		default:
		}
		if !g.blocked {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case b := <-g.events:
			g.note(b)
		}
	}
}

func every(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

// toQueue publishes through the default exchange, as the first tutorials do.
func toQueue(queue string, mk func(uint64) amqp.Publishing) func(func() uint64) []outgoing {
	return func(next func() uint64) []outgoing {
		return []outgoing{{exchange: "", key: queue, msg: mk(next())}}
	}
}

func helloProducer() *producer {
	return &producer{declare: declareHello, wait: every(time.Second), batch: toQueue(QueueHello, helloMsg)}
}

// taskProducer sends bursts of 30–80 persistent tasks every 10–20 s; the
// workers cannot keep up with a burst, so depth jumps and then drains
// (see worker): the depth graph is a saw tooth.
func taskProducer() *producer {
	first := true
	return &producer{
		declare: declareTasks,
		wait: func() time.Duration {
			if first {
				first = false
				return 2 * time.Second
			}
			return between(10*time.Second, 20*time.Second)
		},
		batch: func(next func() uint64) []outgoing {
			n := 30 + rand.IntN(51)
			out := make([]outgoing, n)
			for i := range out {
				out[i] = outgoing{key: QueueTasks, msg: taskMsg(next())}
			}
			return out
		},
		spacing: 20 * time.Millisecond,
	}
}

// logProducer feeds the fanout, direct and topic exchanges in turn.
func logProducer() *producer {
	return &producer{
		declare: declareLogs,
		wait:    every(300 * time.Millisecond),
		batch: func(next func() uint64) []outgoing {
			seq := next()
			switch seq % 3 {
			case 0:
				return []outgoing{{exchange: ExchangeLogs, msg: logMsg(seq, pick(severities))}}
			case 1:
				sev := pick(severities)
				return []outgoing{{exchange: ExchangeDirectLogs, key: sev, msg: logMsg(seq, sev)}}
			default:
				key := pick(topicKeys)
				return []outgoing{{exchange: ExchangeTopicLogs, key: key, msg: logMsg(seq, topicLevel(key))}}
			}
		},
	}
}

// topicLevel extracts the severity part of a "facility.severity" key.
func topicLevel(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '.' {
			return key[i+1:]
		}
	}
	return key
}

func orderProducer() *producer {
	return &producer{declare: declareOrders, wait: every(333 * time.Millisecond), batch: toQueue(QueueOrders, orderMsg)}
}

// invoiceProducer trickles into a queue nobody consumes: a steadily growing
// backlog, the classic "forgotten queue" mqtop should make obvious.
func invoiceProducer() *producer {
	return &producer{declare: declareInvoices, wait: every(2 * time.Second), batch: toQueue(QueueInvoices, invoiceMsg)}
}

func paymentProducer() *producer {
	return &producer{declare: declarePayments, wait: every(500 * time.Millisecond), batch: toQueue(QueuePayments, paymentMsg)}
}

func eventProducer() *producer {
	return &producer{declare: declareEvents, wait: every(200 * time.Millisecond), batch: toQueue(StreamEvents, eventMsg)}
}

func euProducer() *producer {
	return &producer{
		declare: declareEU,
		wait:    every(time.Second),
		batch: func(next func() uint64) []outgoing {
			seq := next()
			out := []outgoing{{key: QueueEUOrders, msg: euMsg(seq, QueueEUOrders)}}
			if seq%2 == 0 {
				out = append(out, outgoing{key: QueueEUNotifications, msg: euMsg(seq, QueueEUNotifications)})
			}
			return out
		},
	}
}
