package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/mgmt"
)

// The bench always talks to its private broker as guest/guest.
const user, password = "guest", "guest"

// broker is the private node broker.sh started, from its env file; or the
// private cluster cluster.sh started (its first node's URLs, every node's
// Prometheus endpoint in promURL, comma-separated, and every node's dir).
type broker struct {
	mgmtURL, promURL, amqpURL, dir string
	dirs                           []string // every node's (one without a cluster)
	c                              *mgmt.Client
}

func brokerFromEnv() (*broker, error) {
	b := &broker{mgmtURL: os.Getenv("MQTOP_TEST_URL"), promURL: os.Getenv("MQTOP_TEST_PROM_URL"),
		amqpURL: os.Getenv("MQTOP_TEST_AMQP_URL"), dir: os.Getenv("MQTOP_BROKER_DIR")}
	if n, _ := strconv.Atoi(os.Getenv("MQTOP_CLUSTER_SIZE")); n >= 2 {
		nodes, err := clusterFromEnv()
		if err != nil {
			return nil, err
		}
		var proms []string
		for _, n := range nodes {
			proms, b.dirs = append(proms, n.promURL), append(b.dirs, n.dir)
		}
		b.promURL, b.dir = strings.Join(proms, ","), nodes[0].dir
	} else {
		b.dirs = []string{b.dir}
	}
	if b.mgmtURL == "" || b.promURL == "" || b.amqpURL == "" || b.dir == "" {
		return nil, errors.New("MQTOP_TEST_URL, MQTOP_TEST_PROM_URL, MQTOP_TEST_AMQP_URL and MQTOP_BROKER_DIR must be set (source the broker's env file)")
	}
	for _, u := range append([]string{b.mgmtURL, b.amqpURL}, strings.Split(b.promURL, ",")...) {
		if p, err := url.Parse(u); err != nil || (p.Hostname() != "127.0.0.1" && p.Hostname() != "localhost" && p.Hostname() != "::1") {
			return nil, fmt.Errorf("refusing a non-loopback broker address %q", u)
		}
	}
	c, err := mgmt.New(mgmt.Options{URLs: []string{b.mgmtURL}, PrometheusURLs: strings.Split(b.promURL, ","), User: user, Password: password, Timeout: 60 * time.Second})
	if err != nil {
		return nil, err
	}
	b.c = c
	return b, nil
}

// beamPID is the (first) broker's Erlang VM, whose CPU time we read.
func (b *broker) beamPID() (int, error) { return readPID(b.dir) }

func readPID(dir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// beamCPU is the CPU time of every node's Erlang VM together.
func (b *broker) beamCPU() (time.Duration, error) {
	var sum time.Duration
	for _, d := range b.dirs {
		pid, err := readPID(d)
		if err != nil {
			return 0, err
		}
		t, err := procCPU(pid)
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

// beamRSS is every node's Erlang VM's resident set together, in MB.
func (b *broker) beamRSS() float64 {
	var sum float64
	for _, d := range b.dirs {
		if pid, err := readPID(d); err == nil {
			_, rss := procRSS(pid)
			sum += rss
		}
	}
	return sum
}

func queueName(i int) string { return fmt.Sprintf("bench-q-%05d", i) }

// depthOf gives every 100th queue 100-499 messages, spread so that depth
// order differs from name order; the others stay empty.
func depthOf(i int) int {
	if i%100 != 0 {
		return 0
	}
	return 100 + (i/100*137)%400
}

// hotQueues get a message now and then while terminal bytes are counted;
// both are on the first screen in name order.
var hotQueues = []string{queueName(1), queueName(3)}

func setup(b *broker, res *SizeResult) error {
	n := res.Size
	logf("broker up, rss %.0f MB", b.beamRSS())
	defs := struct {
		Queues []map[string]any `json:"queues"`
	}{}
	for i := 0; i < n; i++ {
		defs.Queues = append(defs.Queues, map[string]any{"name": queueName(i), "vhost": "/", "durable": true,
			"auto_delete": false, "arguments": map[string]any{}})
	}
	body, _ := json.Marshal(defs)
	start := time.Now()
	if err := apiPost(b, "definitions", body, 30*time.Minute); err != nil {
		return fmt.Errorf("import definitions: %w", err)
	}
	res.ImportS = time.Since(start).Seconds()
	logf("imported %d queues in %.1fs", n, res.ImportS)
	if err := waitCounts(b, n, 0, 10*time.Minute); err != nil {
		return err
	}

	start = time.Now()
	total, deep, err := publishAll(b, n)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	res.Messages, res.DeepQueues, res.PublishS = total, deep, time.Since(start).Seconds()
	logf("published %d messages to %d queues in %.1fs", total, deep, res.PublishS)
	start = time.Now()
	if err := waitCounts(b, n, total, 10*time.Minute); err != nil {
		return err
	}
	res.SettleS = time.Since(start).Seconds()
	res.BrokerRSSMB = b.beamRSS()
	logf("statistics settled in %.1fs; broker rss %.0f MB", res.SettleS, res.BrokerRSSMB)
	return nil
}

func apiPost(b *broker, path string, body []byte, timeout time.Duration) error {
	req, err := http.NewRequest(http.MethodPost, b.mgmtURL+"/api/"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", resp.Status, msg)
	}
	return nil
}

// publishAll fills the deep queues, with publisher confirms.
func publishAll(b *broker, n int) (total, deep int, err error) {
	conn, ch, err := dial(b)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	for i := 0; i < n; i++ {
		total += depthOf(i)
	}
	if err := ch.Confirm(false); err != nil {
		return 0, 0, err
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, total+1))
	body := bytes.Repeat([]byte("m"), 100)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		d := depthOf(i)
		if d > 0 {
			deep++
		}
		for j := 0; j < d; j++ {
			if err := ch.PublishWithContext(ctx, "", queueName(i), false, false, amqp.Publishing{Body: body}); err != nil {
				return 0, 0, err
			}
		}
	}
	for k := 0; k < total; k++ {
		select {
		case c := <-confirms:
			if !c.Ack {
				return 0, 0, fmt.Errorf("message %d nacked", c.DeliveryTag)
			}
		case <-ctx.Done():
			return 0, 0, fmt.Errorf("%d of %d confirms after 10 min", k, total)
		}
	}
	return total, deep, nil
}

func dial(b *broker) (*amqp.Connection, *amqp.Channel, error) {
	u, err := url.Parse(b.amqpURL)
	if err != nil {
		return nil, nil, err
	}
	u.User = url.UserPassword(user, password)
	conn, err := amqp.Dial(u.String())
	if err != nil {
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, ch, nil
}

// waitCounts waits until both the management overview and the Prometheus
// index report n queues holding msgs messages (statistics lag one
// emission interval behind the queues).
func waitCounts(b *broker, n, msgs int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		ov, err1 := b.c.Overview(ctx)
		idx, err2 := b.c.ScrapeQueueIndex(ctx, "")
		cancel()
		var sum int64
		for _, e := range idx {
			sum += e.Messages
		}
		last = fmt.Sprintf("overview: %d queues, %d messages (%v); prometheus: %d queues, %d messages (%v)",
			ov.Queues.Or(-1), ov.Messages.Or(-1), err1, len(idx), sum, err2)
		if err1 == nil && err2 == nil && ov.Queues.Or(-1) == int64(n) && ov.Messages.Or(-1) == int64(msgs) &&
			len(idx) == n && sum == int64(msgs) {
			return nil
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("counts never settled: %s", last)
}

// procRSS reads a process's peak and current resident set, in MB.
func procRSS(pid int) (peak, cur float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmHWM":
			peak = kb / 1024
		case "VmRSS":
			cur = kb / 1024
		}
	}
	return peak, cur
}

// procCPU is a process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state); utime is field 14, stime 15
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clkTck, nil
}
