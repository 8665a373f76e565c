package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	mqamqp "github.com/mqtop/mqtop/amqp"
)

// PublishResult compares mqtop's repeat mode with a plain amqp091-go
// publisher doing the same: the same body, mandatory, publisher confirms,
// at most mqamqp.ConfirmWindow unconfirmed, one channel, to a durable
// classic queue purged before every run. Runs alternate, median of Reps.
type PublishResult struct {
	N, BodyBytes, Window, Reps int
	Queue                      string
	MqtopMsgsPerSec            []float64 // RepeatSummary.MsgsPerSec (first publish to last confirm)
	MqtopWallMsgsPerSec        []float64 // the whole PublishRepeat call (channel open and confirm select included)
	FloorMsgsPerSec            []float64 // first publish to last confirm
	MqtopMedian, MqtopWall     float64
	FloorMedian, Ratio         float64
	Errors                     []string
}

func runPublish(args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	n := fs.Int("n", 100000, "messages per run")
	body := fs.Int("body", 256, "body bytes")
	reps := fs.Int("reps", 3, "runs of each publisher")
	outDir := fs.String("out", ".", "directory for publish.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := brokerFromEnv()
	if err != nil {
		return err
	}
	res := &PublishResult{N: *n, BodyBytes: *body, Window: mqamqp.ConfirmWindow, Reps: *reps, Queue: "bench-publish"}
	save := func() error {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(*outDir, "publish.json"), data, 0o644)
	}
	conn, ch, err := dial(b)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := ch.QueueDeclare(res.Queue, true, false, false, false, amqp.Table{"x-queue-type": "classic"}); err != nil {
		return fmt.Errorf("declare %s: %w", res.Queue, err)
	}
	purge := func() error { _, err := ch.QueuePurge(res.Queue, false); return err }

	payload := make([]byte, *body)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	sess := mqamqp.NewSession(mqamqp.Config{URL: b.amqpURL, User: user, Password: password, Timeout: 30 * time.Second,
		ConnectionName: "mqtop-bench repeat"})
	defer sess.Close()
	req := mqamqp.PublishRequest{VHost: "/", RoutingKey: res.Queue, Body: payload,
		Properties: mqamqp.Properties{ContentType: "application/octet-stream"}}
	// The session dials on first use: do that outside the timed runs, as
	// mqtop's session is connected long before a repeat starts.
	if _, err := sess.Publish(context.Background(), req); err != nil {
		return fmt.Errorf("mqtop warm-up publish: %w", err)
	}
	pubConn, pubCh, err := dial(b)
	if err != nil {
		return err
	}
	defer pubConn.Close()
	pubCh.Close() // each run opens its own channel, as PublishRepeat does

	// One untimed round of each first: the first run into a fresh queue
	// was a third slower whichever publisher ran it.
	warm := max(*n/5, 1)
	if _, err := sess.PublishRepeat(context.Background(), req, warm, 0, nil); err != nil {
		return fmt.Errorf("mqtop warm-up: %w", err)
	}
	if wch, err := pubConn.Channel(); err == nil {
		_, err = plainPublish(wch, res.Queue, payload, warm, mqamqp.ConfirmWindow)
		wch.Close()
		if err != nil {
			return fmt.Errorf("plain warm-up: %w", err)
		}
	}
	for i := 0; i < *reps; i++ {
		if err := purge(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		start := time.Now()
		sum, err := sess.PublishRepeat(ctx, req, *n, 0, func(mqamqp.RepeatProgress) {})
		wall := time.Since(start)
		cancel()
		if err != nil || sum.Confirmed != *n {
			res.Errors = append(res.Errors, fmt.Sprintf("mqtop run %d: %v (%d of %d confirmed)", i+1, err, sum.Confirmed, *n))
		} else {
			res.MqtopMsgsPerSec = append(res.MqtopMsgsPerSec, sum.MsgsPerSec)
			res.MqtopWallMsgsPerSec = append(res.MqtopWallMsgsPerSec, float64(*n)/wall.Seconds())
		}
		logf("publish: mqtop PublishRepeat %d: %.0f msg/s (whole call %.0f msg/s) %v", i+1, sum.MsgsPerSec, float64(*n)/wall.Seconds(), err)
		if err := purge(); err != nil {
			return err
		}
		// A fresh channel per run, as PublishRepeat opens one: listeners
		// registered on a reused channel would pile up and block its reader.
		rate, err := 0.0, error(nil)
		if pubCh, err = pubConn.Channel(); err == nil {
			rate, err = plainPublish(pubCh, res.Queue, payload, *n, mqamqp.ConfirmWindow)
			pubCh.Close()
		}
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("plain run %d: %v", i+1, err))
			pubConn.Close()
			if pubConn, err = amqpDial(b); err != nil {
				return err
			}
		} else {
			res.FloorMsgsPerSec = append(res.FloorMsgsPerSec, rate)
		}
		logf("publish: plain amqp091-go %d: %.0f msg/s %v", i+1, rate, err)
		if err := save(); err != nil {
			return err
		}
	}
	_ = purge()
	_, _ = ch.QueueDelete(res.Queue, false, false, false)
	res.MqtopMedian, res.MqtopWall, res.FloorMedian = median(res.MqtopMsgsPerSec), median(res.MqtopWallMsgsPerSec), median(res.FloorMsgsPerSec)
	if res.FloorMedian > 0 {
		res.Ratio = res.MqtopMedian / res.FloorMedian
	}
	logf("publish: mqtop %.0f msg/s, plain %.0f msg/s: %.0f %%", res.MqtopMedian, res.FloorMedian, 100*res.Ratio)
	return save()
}

func amqpDial(b *broker) (*amqp.Connection, error) {
	conn, ch, err := dial(b)
	if err != nil {
		return nil, err
	}
	ch.Close()
	return conn, nil
}

// plainPublish is the floor: the textbook amqp091-go confirm loop with a
// sliding window, mandatory set, returns drained.
func plainPublish(ch *amqp.Channel, queue string, body []byte, n, window int) (float64, error) {
	if err := ch.Confirm(false); err != nil {
		return 0, err
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, window+1))
	returns := ch.NotifyReturn(make(chan amqp.Return, window+1))
	pub := amqp.Publishing{ContentType: "application/octet-stream", Body: body}
	sent, settled, acked, returned := 0, 0, 0, 0
	start := time.Now()
	var last time.Time
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for settled < n {
		for sent < n && sent-settled < window {
			if err := ch.Publish("", queue, true, false, pub); err != nil {
				return 0, err
			}
			sent++
		}
		select {
		case c, ok := <-confirms:
			if !ok {
				return 0, fmt.Errorf("channel closed")
			}
			settled++
			if c.Ack {
				acked++
			}
			last = time.Now()
			timeout.Reset(30 * time.Second)
		case <-returns:
			returned++
		case <-timeout.C:
			return 0, fmt.Errorf("no confirm within 30s (%d unconfirmed)", sent-settled)
		}
	}
	for drained := false; !drained; {
		select {
		case <-returns:
			returned++
		default:
			drained = true
		}
	}
	if acked != n || returned != 0 {
		return 0, fmt.Errorf("%d acked, %d returned of %d", acked, returned, n)
	}
	return float64(n) / last.Sub(start).Seconds(), nil
}
