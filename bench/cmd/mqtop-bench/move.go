package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	mqamqp "github.com/mqtop/mqtop/amqp"
)

// MoveResult compares mqtop's Session.Move with a plain amqp091-go mover
// doing the same: consume with a prefetch of Window, publish each message
// with mandatory under publisher confirms on a second channel of the same
// connection, acknowledge it after its confirm; from one durable classic
// queue to another through the default exchange. Each run moves N messages
// the runs before it left nowhere (both queues purged, the source refilled);
// runs alternate, median of Reps. A run is timed as a whole, from the call
// to the last acknowledgement (channels, passive declare and subscription
// included): that is what the operator waits for.
type MoveResult struct {
	N, BodyBytes, Window, Reps int
	Source, Destination        string
	MqtopMsgsPerSec            []float64
	FloorMsgsPerSec            []float64
	MqtopMedian, FloorMedian   float64
	Ratio                      float64
	Errors                     []string
}

func runMove(args []string) error {
	fs := flag.NewFlagSet("move", flag.ContinueOnError)
	n := fs.Int("n", 50000, "messages per run")
	body := fs.Int("body", 256, "body bytes")
	reps := fs.Int("reps", 3, "runs of each mover")
	outDir := fs.String("out", ".", "directory for move.json and move.md")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := brokerFromEnv()
	if err != nil {
		return err
	}
	res := &MoveResult{N: *n, BodyBytes: *body, Window: mqamqp.ConfirmWindow, Reps: *reps,
		Source: "bench-move-src", Destination: "bench-move-dst"}
	save := func() error {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*outDir, "move.json"), data, 0o644); err != nil {
			return err
		}
		var md bytes.Buffer
		writeMove(&md, res)
		return os.WriteFile(filepath.Join(*outDir, "move.md"), md.Bytes(), 0o644)
	}
	conn, ch, err := dial(b)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{res.Source, res.Destination} {
		if _, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{"x-queue-type": "classic"}); err != nil {
			return fmt.Errorf("declare %s: %w", q, err)
		}
	}
	payload := make([]byte, *body)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	// fill empties both queues and puts k messages in the source.
	fill := func(k int) error {
		for _, q := range []string{res.Source, res.Destination} {
			if _, err := ch.QueuePurge(q, false); err != nil {
				return err
			}
		}
		pch, err := conn.Channel()
		if err != nil {
			return err
		}
		defer pch.Close()
		_, err = plainPublish(pch, res.Source, payload, k, res.Window)
		return err
	}
	// moved checks that a run left everything at the destination.
	moved := func(k int) error {
		src, err := ch.QueueDeclarePassive(res.Source, true, false, false, false, nil)
		if err != nil {
			return err
		}
		dst, err := ch.QueueDeclarePassive(res.Destination, true, false, false, false, nil)
		if err != nil {
			return err
		}
		if src.Messages != 0 || dst.Messages != k {
			return fmt.Errorf("source holds %d, destination %d; want 0 and %d", src.Messages, dst.Messages, k)
		}
		return nil
	}
	sess := mqamqp.NewSession(mqamqp.Config{URL: b.amqpURL, User: user, Password: password, Timeout: 30 * time.Second,
		ConnectionName: "mqtop-bench move"})
	defer sess.Close()
	opts := mqamqp.MoveOptions{QueueType: mqamqp.Classic, RoutingKey: res.Destination}
	mqtopRun := func(k int) (float64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		sum, err := sess.Move(ctx, "/", res.Source, opts, func(mqamqp.MoveProgress) {})
		wall := time.Since(start)
		if err == nil && sum.Moved != k {
			err = fmt.Errorf("%d of %d moved: %+v", sum.Moved, k, sum)
		}
		return float64(k) / wall.Seconds(), err
	}
	plainRun := func(k int) (float64, error) {
		start := time.Now()
		err := plainMove(conn, res.Source, res.Destination, res.Window)
		return float64(k) / time.Since(start).Seconds(), err
	}
	// One untimed round of each first (the session dials on first use, as
	// mqtop's is connected long before a move starts).
	warm := max(*n/5, 1)
	for _, run := range []func(int) (float64, error){mqtopRun, plainRun} {
		if err := fill(warm); err != nil {
			return err
		}
		if _, err := run(warm); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	for i := 0; i < *reps; i++ {
		for _, r := range []struct {
			name  string
			run   func(int) (float64, error)
			rates *[]float64
		}{{"mqtop Move", mqtopRun, &res.MqtopMsgsPerSec}, {"plain amqp091-go", plainRun, &res.FloorMsgsPerSec}} {
			if err := fill(*n); err != nil {
				return err
			}
			rate, err := r.run(*n)
			if err == nil {
				err = moved(*n)
			}
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("%s run %d: %v", r.name, i+1, err))
			} else {
				*r.rates = append(*r.rates, rate)
			}
			logf("move: %s %d: %.0f msg/s %v", r.name, i+1, rate, err)
		}
		if err := save(); err != nil {
			return err
		}
	}
	for _, q := range []string{res.Source, res.Destination} {
		_, _ = ch.QueueDelete(q, false, false, false)
	}
	res.MqtopMedian, res.FloorMedian = median(res.MqtopMsgsPerSec), median(res.FloorMsgsPerSec)
	if res.FloorMedian > 0 {
		res.Ratio = res.MqtopMedian / res.FloorMedian
	}
	logf("move: mqtop %.0f msg/s, plain %.0f msg/s: %.0f %%", res.MqtopMedian, res.FloorMedian, 100*res.Ratio)
	return save()
}

// plainMove is the floor: the textbook amqp091-go at-least-once mover. It
// takes the count from a passive declare, consumes with prefetch window,
// publishes every delivery (mandatory) on a confirm-mode channel and
// acknowledges each one after its confirm.
func plainMove(conn *amqp.Connection, src, dst string, window int) error {
	in, err := conn.Channel()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := conn.Channel()
	if err != nil {
		return err
	}
	defer out.Close()
	q, err := in.QueueDeclarePassive(src, true, false, false, false, nil)
	if err != nil {
		return err
	}
	if err := out.Confirm(false); err != nil {
		return err
	}
	confirms := out.NotifyPublish(make(chan amqp.Confirmation, window+1))
	returns := out.NotifyReturn(make(chan amqp.Return, window+1))
	if err := in.Qos(window, 0, false); err != nil {
		return err
	}
	deliveries, err := in.Consume(src, "", false, false, false, false, nil)
	if err != nil {
		return err
	}
	var tags []uint64 // published, in confirm order
	taken, acked := 0, 0
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for acked < q.Messages {
		select {
		case d := <-deliveries:
			if taken == q.Messages {
				continue // not ours to take: given back on close
			}
			taken++
			err := out.Publish("", dst, true, false, amqp.Publishing{Headers: d.Headers, ContentType: d.ContentType,
				ContentEncoding: d.ContentEncoding, DeliveryMode: d.DeliveryMode, Priority: d.Priority,
				CorrelationId: d.CorrelationId, ReplyTo: d.ReplyTo, Expiration: d.Expiration, MessageId: d.MessageId,
				Timestamp: d.Timestamp, Type: d.Type, UserId: d.UserId, AppId: d.AppId, Body: d.Body})
			if err != nil {
				return err
			}
			tags = append(tags, d.DeliveryTag)
		case c, ok := <-confirms:
			if !ok {
				return fmt.Errorf("publish channel closed")
			}
			if !c.Ack {
				return fmt.Errorf("publish %d nacked", c.DeliveryTag)
			}
			if err := in.Ack(tags[0], false); err != nil {
				return err
			}
			tags = tags[1:]
			acked++
			timeout.Reset(30 * time.Second)
		case r := <-returns:
			return fmt.Errorf("returned: %d %s", r.ReplyCode, r.ReplyText)
		case <-timeout.C:
			return fmt.Errorf("stalled after %d of %d", acked, q.Messages)
		}
	}
	return nil
}

// writeMove reports Session.Move against the plain mover.
func writeMove(w io.Writer, r *MoveResult) {
	fmt.Fprintf(w, "\n## Moving %d messages\n\n", r.N)
	fmt.Fprintf(w, "mqtop's `amqp.Session.Move` against a plain amqp091-go mover (the floor): consume with prefetch %d, "+
		"publish each message (mandatory, publisher confirms) on a second channel, acknowledge it after its confirm; "+
		"%d transient %d-byte messages from the durable classic queue `%s` to `%s` through the default exchange, "+
		"the source refilled before each run; runs alternate, median of %d; each run timed as a whole "+
		"(channels, passive declare and subscription included).\n\n", r.Window, r.N, r.BodyBytes, r.Source, r.Destination, r.Reps)
	fmt.Fprintln(w, "| mover | runs, msg/s | median msg/s |\n|---|---|--:|")
	runs := func(xs []float64) string {
		var parts []string
		for _, x := range xs {
			parts = append(parts, fmt.Sprintf("%.0f", x))
		}
		return strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "| plain amqp091-go (floor) | %s | %.0f |\n", runs(r.FloorMsgsPerSec), r.FloorMedian)
	fmt.Fprintf(w, "| mqtop Session.Move | %s | %.0f |\n", runs(r.MqtopMsgsPerSec), r.MqtopMedian)
	fmt.Fprintf(w, "\nmqtop reaches **%.0f %%** of the floor; target ≥ 80 %%: %s.\n", 100*r.Ratio, yes(r.Ratio >= 0.8))
	for _, e := range r.Errors {
		fmt.Fprintf(w, "- %s\n", e)
	}
}
