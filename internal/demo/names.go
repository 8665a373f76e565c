package demo

// Names of everything the demo declares. They are exported so tests and
// mqtop's own demo checks can refer to the objects without copying strings.
const (
	QueueHello         = "hello"
	QueueTasks         = "task_queue"
	QueueLogsConsole   = "logs.console"
	QueueLogsArchive   = "logs.archive"
	QueueLogsErrors    = "logs.errors"
	QueueLogsAll       = "logs.all-severities"
	QueueTopicKern     = "topic.kern"
	QueueTopicCritical = "topic.critical"
	QueueRPC           = "rpc_queue"
	QueueOrders        = "orders"
	QueueOrdersDLQ     = "orders.dlq"
	QueueInvoices      = "invoices.pending"
	QueuePayments      = "payments"
	StreamEvents       = "events"

	ExchangeLogs       = "logs"
	ExchangeDirectLogs = "direct_logs"
	ExchangeTopicLogs  = "topic_logs"
	ExchangeOrdersDLX  = "orders.dlx"

	// Queues in the second vhost.
	QueueEUOrders        = "eu.orders"
	QueueEUNotifications = "eu.notifications"

	// DefaultSecondVHost is the vhost created for the multi-vhost part of the
	// demo unless configured otherwise.
	DefaultSecondVHost = "demo-eu"

	// DirectReplyTo is RabbitMQ's pseudo-queue for RPC replies without a
	// reply queue per client.
	DirectReplyTo = "amq.rabbitmq.reply-to"
)

// Caps that bound broker memory for queues nobody (or only sometimes) drains.
const (
	DLQMaxLength      = 5000
	InvoicesMaxLength = 10000
	EventsMaxBytes    = 50 << 20
)

// Queues lists every queue (and stream) the demo declares in the primary vhost.
func Queues() []string {
	return []string{
		QueueHello, QueueTasks,
		QueueLogsConsole, QueueLogsArchive, QueueLogsErrors, QueueLogsAll,
		QueueTopicKern, QueueTopicCritical,
		QueueRPC, QueueOrders, QueueOrdersDLQ, QueueInvoices,
		QueuePayments, StreamEvents,
	}
}

// Exchanges lists every exchange the demo declares in the primary vhost.
func Exchanges() []string {
	return []string{ExchangeLogs, ExchangeDirectLogs, ExchangeTopicLogs, ExchangeOrdersDLX}
}

// SecondVHostQueues lists the queues the demo declares in the second vhost.
func SecondVHostQueues() []string {
	return []string{QueueEUOrders, QueueEUNotifications}
}
