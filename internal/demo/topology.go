package demo

import (
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Every role declares the part of the topology it uses each time it
// connects. Declarations are idempotent, and this way a broker that lost its
// definitions (reset, fresh node) gets them back on the first reconnect
// without a separate "topology" step that could race with the roles.
// Everything is durable so it survives broker restarts and so nothing
// relies on transient non-exclusive queues, which newer brokers deprecate.

type binding struct{ queue, key, exchange string }

func declareQueue(ch *amqp.Channel, name string, args amqp.Table) error {
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %q: %w", name, err)
	}
	return nil
}

func declareExchange(ch *amqp.Channel, name, kind string) error {
	if err := ch.ExchangeDeclare(name, kind, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %q: %w", name, err)
	}
	return nil
}

func bind(ch *amqp.Channel, bs ...binding) error {
	for _, b := range bs {
		if err := ch.QueueBind(b.queue, b.key, b.exchange, false, nil); err != nil {
			return fmt.Errorf("bind %q to %q with %q: %w", b.queue, b.exchange, b.key, err)
		}
	}
	return nil
}

func declareHello(ch *amqp.Channel) error { return declareQueue(ch, QueueHello, nil) }

func declareTasks(ch *amqp.Channel) error { return declareQueue(ch, QueueTasks, nil) }

// declareLogs covers the three tutorial exchanges (fanout, direct, topic)
// because one publisher feeds them all.
func declareLogs(ch *amqp.Channel) error {
	for _, e := range []struct{ name, kind string }{
		{ExchangeLogs, amqp.ExchangeFanout},
		{ExchangeDirectLogs, amqp.ExchangeDirect},
		{ExchangeTopicLogs, amqp.ExchangeTopic},
	} {
		if err := declareExchange(ch, e.name, e.kind); err != nil {
			return err
		}
	}
	for _, q := range []string{QueueLogsConsole, QueueLogsArchive, QueueLogsErrors, QueueLogsAll, QueueTopicKern, QueueTopicCritical} {
		if err := declareQueue(ch, q, nil); err != nil {
			return err
		}
	}
	bs := []binding{
		{QueueLogsConsole, "", ExchangeLogs},
		{QueueLogsArchive, "", ExchangeLogs},
		{QueueLogsErrors, "error", ExchangeDirectLogs},
		{QueueTopicKern, "kern.*", ExchangeTopicLogs},
		{QueueTopicCritical, "*.critical", ExchangeTopicLogs},
	}
	for _, sev := range severities {
		bs = append(bs, binding{QueueLogsAll, sev, ExchangeDirectLogs})
	}
	return bind(ch, bs...)
}

func declareRPC(ch *amqp.Channel) error { return declareQueue(ch, QueueRPC, nil) }

// declareOrders declares the dead-letter side first: rejected orders must
// have somewhere to go from the very first message.
func declareOrders(ch *amqp.Channel) error {
	if err := declareExchange(ch, ExchangeOrdersDLX, amqp.ExchangeFanout); err != nil {
		return err
	}
	// Nobody consumes the DLQ, so it needs a cap to bound broker memory.
	if err := declareQueue(ch, QueueOrdersDLQ, amqp.Table{"x-max-length": int64(DLQMaxLength)}); err != nil {
		return err
	}
	if err := bind(ch, binding{QueueOrdersDLQ, "", ExchangeOrdersDLX}); err != nil {
		return err
	}
	return declareQueue(ch, QueueOrders, amqp.Table{"x-dead-letter-exchange": ExchangeOrdersDLX})
}

// declareInvoices: drop-head keeps the backlog bounded and always "fresh"
// without needing publisher confirms to notice refused publishes.
func declareInvoices(ch *amqp.Channel) error {
	return declareQueue(ch, QueueInvoices, amqp.Table{
		"x-max-length": int64(InvoicesMaxLength),
		"x-overflow":   "drop-head",
	})
}

func declarePayments(ch *amqp.Channel) error {
	return declareQueue(ch, QueuePayments, amqp.Table{"x-queue-type": "quorum"})
}

// declareEvents sets a small segment size as well: retention only removes
// whole segments, and with the default 500 MB segment a 50 MB cap would
// never take effect.
func declareEvents(ch *amqp.Channel) error {
	return declareQueue(ch, StreamEvents, amqp.Table{
		"x-queue-type":                    "stream",
		"x-max-length-bytes":              int64(EventsMaxBytes),
		"x-stream-max-segment-size-bytes": int64(5 << 20),
	})
}

func declareEU(ch *amqp.Channel) error {
	for _, q := range SecondVHostQueues() {
		if err := declareQueue(ch, q, nil); err != nil {
			return err
		}
	}
	return nil
}
