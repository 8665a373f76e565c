package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer describes one basic.consume with manual acks. Manual acks plus
// a prefetch limit are what make slow consumers show up as "unacked"
// messages and growing depth, which is the point of the demo.
type consumer struct {
	queue    string
	prefetch int
	args     amqp.Table
	// work simulates processing time.
	work func(amqp.Delivery) time.Duration
	// accept decides ack (true) or reject without requeue (false).
	accept func(amqp.Delivery) bool
}

// consumeAll declares the topology the consumers need once, then runs them
// on one connection, each on its own channel so a slow one does not hold up
// the others, and returns when the first fails.
func (d *demo) consumeAll(tag string, declare func(*amqp.Channel) error, cs ...consumer) func(context.Context, *amqp.Connection) error {
	return func(ctx context.Context, conn *amqp.Connection) error {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		if err := declare(ch); err != nil {
			return err
		}
		if err := ch.Close(); err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var (
			wg    sync.WaitGroup
			once  sync.Once
			first error
		)
		for _, c := range cs {
			wg.Go(func() {
				err := d.consume(ctx, conn, tag, c)
				once.Do(func() { first = err })
				cancel()
			})
		}
		wg.Wait()
		return first
	}
}

func (d *demo) consume(ctx context.Context, conn *amqp.Connection, tag string, c consumer) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := ch.Qos(c.prefetch, 0, false); err != nil {
		return fmt.Errorf("qos on %q: %w", c.queue, err)
	}
	deliveries, err := ch.Consume(c.queue, "mqtop-demo "+tag+" "+c.queue, false, false, false, false, c.args)
	if err != nil {
		return fmt.Errorf("consume %q: %w", c.queue, err)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-deliveries:
			if !ok {
				// Channel closed, or the broker cancelled us (queue deleted);
				// either way a reconnect re-declares and resubscribes.
				return fmt.Errorf("consumer on %q stopped", c.queue)
			}
			if c.work != nil && !sleepCtx(ctx, c.work(m)) {
				// Unacked; the broker redelivers it after we disconnect.
				return ctx.Err()
			}
			if c.accept == nil || c.accept(m) {
				err = m.Ack(false)
				d.stats.consumed.Add(1)
			} else {
				err = m.Reject(false)
				d.stats.deadLettered.Add(1)
			}
			if err != nil {
				return fmt.Errorf("ack on %q: %w", c.queue, err)
			}
		}
	}
}

func jittered(lo, hi time.Duration) func(amqp.Delivery) time.Duration {
	return func(amqp.Delivery) time.Duration { return between(lo, hi) }
}

func helloConsumer() consumer {
	return consumer{queue: QueueHello, prefetch: 10}
}

// worker is the tutorial's fair-dispatch worker: prefetch 1 so the fast
// worker takes more tasks than the slow one instead of round-robin halves.
// Like the tutorial's dots, a task's weight scales its processing time.
// With weights 1–5 the workers (100 ms and 250 ms per unit) drain ~4.7
// tasks/s against ~3.7/s produced on average, so bursts pile up into a
// backlog that takes tens of seconds to work off.
func worker(perUnit time.Duration) consumer {
	return consumer{queue: QueueTasks, prefetch: 1,
		work: func(m amqp.Delivery) time.Duration {
			var t struct{ Weight int }
			if json.Unmarshal(m.Body, &t) != nil || t.Weight < 1 {
				t.Weight = 1
			}
			return time.Duration(min(t.Weight, 10)) * perUnit
		}}
}

// logConsumers: the archive consumer is slower, so its queue sits a little
// behind the console queue even though both get every fanout message.
func logConsumers() []consumer {
	return []consumer{
		{queue: QueueLogsConsole, prefetch: 20},
		{queue: QueueLogsArchive, prefetch: 5, work: jittered(100*time.Millisecond, 600*time.Millisecond)},
		{queue: QueueLogsErrors, prefetch: 20},
		{queue: QueueLogsAll, prefetch: 20, work: jittered(10*time.Millisecond, 50*time.Millisecond)},
		{queue: QueueTopicKern, prefetch: 20},
		{queue: QueueTopicCritical, prefetch: 20},
	}
}

// orderConsumer rejects invalid orders without requeueing, which sends them
// through orders.dlx to orders.dlq with an x-death header.
func (d *demo) orderConsumer() consumer {
	return consumer{
		queue: QueueOrders, prefetch: 10,
		work: jittered(50*time.Millisecond, 150*time.Millisecond),
		accept: func(m amqp.Delivery) bool {
			if err := validateOrder(m.Body); err != nil {
				d.log.Debug("order rejected", "message_id", m.MessageId, "err", err)
				return false
			}
			return true
		},
	}
}

func paymentConsumer() consumer {
	return consumer{queue: QueuePayments, prefetch: 10, work: jittered(100*time.Millisecond, 300*time.Millisecond)}
}

// eventConsumer reads the stream. Streams need manual acks with a prefetch
// (acks are what grant the consumer more credit) and take a start offset;
// "next" avoids re-reading up to 50 MB of history on every reconnect.
func eventConsumer() consumer {
	return consumer{queue: StreamEvents, prefetch: 100, args: amqp.Table{"x-stream-offset": "next"}}
}

func euConsumers() []consumer {
	return []consumer{
		{queue: QueueEUOrders, prefetch: 10, work: jittered(100*time.Millisecond, 400*time.Millisecond)},
		{queue: QueueEUNotifications, prefetch: 5, work: jittered(200*time.Millisecond, 1500*time.Millisecond)},
	}
}
