package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// MaxFib is the largest n whose Fibonacci number fits in a uint64.
const MaxFib = 93

// Fib returns the n-th Fibonacci number (Fib(0)=0, Fib(1)=1, Fib(10)=55).
// Iterative rather than the tutorial's recursive version so a large request
// cannot pin a CPU.
func Fib(n int) (uint64, error) {
	if n < 0 || n > MaxFib {
		return 0, fmt.Errorf("n must be between 0 and %d", MaxFib)
	}
	var a, b uint64 = 0, 1
	for range n {
		a, b = b, a+b
	}
	return a, nil
}

// rpcServer answers requests on rpc_queue. Replies go to the default
// exchange with routing key = reply_to, which is exactly what direct
// reply-to (amq.rabbitmq.reply-to) requires, and works for classic reply
// queues too.
func (d *demo) rpcServer(ctx context.Context, conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := declareRPC(ch); err != nil {
		return err
	}
	if err := ch.Qos(1, 0, false); err != nil {
		return err
	}
	reqs, err := ch.Consume(QueueRPC, "mqtop-demo rpc-server", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %q: %w", QueueRPC, err)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-reqs:
			if !ok {
				return fmt.Errorf("consumer on %q stopped", QueueRPC)
			}
			if err := d.answer(ctx, ch, m); err != nil {
				return err
			}
		}
	}
}

func (d *demo) answer(ctx context.Context, ch *amqp.Channel, m amqp.Delivery) error {
	body := "error: body must be a decimal integer"
	if n, err := strconv.Atoi(strings.TrimSpace(string(m.Body))); err == nil {
		if f, err := Fib(n); err == nil {
			body = strconv.FormatUint(f, 10)
		} else {
			body = "error: " + err.Error()
		}
	}
	if m.ReplyTo == "" {
		// Nobody to answer; acking drops the request instead of looping it.
		d.log.Debug("rpc request without reply_to dropped", "correlation_id", m.CorrelationId)
	} else {
		err := ch.PublishWithContext(ctx, "", m.ReplyTo, false, false, amqp.Publishing{
			ContentType:   "text/plain",
			CorrelationId: m.CorrelationId,
			Timestamp:     time.Now(),
			AppId:         "mqtop-demo",
			Body:          []byte(body),
		})
		if err != nil {
			return fmt.Errorf("rpc reply: %w", err)
		}
		d.stats.published.Add(1)
	}
	d.stats.consumed.Add(1)
	return m.Ack(false)
}

// rpcClient sends an occasional request so rpc_queue shows traffic, using
// direct reply-to: no reply queue to declare or clean up.
func (d *demo) rpcClient(ctx context.Context, conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := declareRPC(ch); err != nil {
		return err
	}
	// Direct reply-to demands no-ack mode, and consuming must start before
	// the first publish on this channel.
	replies, err := ch.Consume(DirectReplyTo, "", true, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", DirectReplyTo, err)
	}
	gate := &blockGate{events: conn.NotifyBlocked(make(chan amqp.Blocking, 4)), log: d.log.With("role", "rpc-client")}
	for {
		if !sleepCtx(ctx, between(2*time.Second, 5*time.Second)) || !gate.wait(ctx) {
			return ctx.Err()
		}
		n := 5 + mrand.IntN(36)
		got, err := call(ctx, ch, replies, n, 5*time.Second)
		switch {
		case errors.Is(err, errRPCTimeout):
			d.log.Warn("rpc request timed out", "n", n)
		case err != nil:
			return err
		default:
			d.log.Debug("rpc reply", "n", n, "fib", got)
		}
		d.stats.published.Add(1)
		d.stats.rpcCalls.Add(1)
	}
}

var errRPCTimeout = errors.New("rpc timeout")

// call publishes one request and waits for the reply with its correlation
// id, skipping late replies to earlier, timed-out requests.
func call(ctx context.Context, ch *amqp.Channel, replies <-chan amqp.Delivery, n int, timeout time.Duration) (string, error) {
	corr := newCorrelationID()
	err := ch.PublishWithContext(ctx, "", QueueRPC, false, false, amqp.Publishing{
		ContentType:   "text/plain",
		CorrelationId: corr,
		ReplyTo:       DirectReplyTo,
		Timestamp:     time.Now(),
		AppId:         "mqtop-demo",
		Body:          []byte(strconv.Itoa(n)),
	})
	if err != nil {
		return "", fmt.Errorf("rpc request: %w", err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
			return "", errRPCTimeout
		case m, ok := <-replies:
			if !ok {
				return "", errors.New("reply consumer stopped")
			}
			if m.CorrelationId == corr {
				return string(m.Body), nil
			}
		}
	}
}

func newCorrelationID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
