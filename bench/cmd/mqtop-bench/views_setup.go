package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The list views' broker: exchanges, bindings, queues, users and policies
// by one definitions import; connections, channels and consumers held by a
// child process (hold-conns) for as long as the views are measured.

func viewQueue(i int) string    { return fmt.Sprintf("bench-vq-%03d", i) }
func viewExchange(i int) string { return fmt.Sprintf("bench-x-%05d", i) }

// viewDefinitions is the import: sz.Exchanges direct exchanges, sz.Bindings
// exchange-to-queue bindings spread evenly over them (binding i goes from
// exchange i mod Exchanges to queue i mod Queues), sz.Users users with a
// permission on "/" each, and sz.Policies policies that match nothing.
func viewDefinitions(sz viewSizes) ([]byte, error) {
	type obj = map[string]any
	defs := struct {
		Users       []obj `json:"users"`
		Permissions []obj `json:"permissions"`
		Policies    []obj `json:"policies"`
		Queues      []obj `json:"queues"`
		Exchanges   []obj `json:"exchanges"`
		Bindings    []obj `json:"bindings"`
	}{}
	for i := 0; i < sz.Users; i++ {
		u := fmt.Sprintf("bench-user-%04d", i)
		// An empty hash: the user exists (and is listed) but cannot log in.
		defs.Users = append(defs.Users, obj{"name": u, "password_hash": "", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ""})
		defs.Permissions = append(defs.Permissions, obj{"user": u, "vhost": "/", "configure": "^bench-", "write": "^bench-", "read": "^bench-"})
	}
	for i := 0; i < sz.Policies; i++ {
		defs.Policies = append(defs.Policies, obj{"vhost": "/", "name": fmt.Sprintf("bench-policy-%04d", i),
			"pattern": fmt.Sprintf("^bench-nothing-%04d$", i), "apply-to": "queues", "priority": i % 10,
			"definition": obj{"max-length": 1000 + i}})
	}
	for i := 0; i < sz.Queues; i++ {
		defs.Queues = append(defs.Queues, obj{"name": viewQueue(i), "vhost": "/", "durable": true, "auto_delete": false, "arguments": obj{}})
	}
	for i := 0; i < sz.Exchanges; i++ {
		defs.Exchanges = append(defs.Exchanges, obj{"name": viewExchange(i), "vhost": "/", "type": "direct", "durable": true,
			"auto_delete": false, "internal": false, "arguments": obj{}})
	}
	for i := 0; i < sz.Bindings; i++ {
		defs.Bindings = append(defs.Bindings, obj{"source": viewExchange(i % sz.Exchanges), "vhost": "/", "destination": viewQueue(i % sz.Queues),
			"destination_type": "queue", "routing_key": fmt.Sprintf("rk-%05d", i), "arguments": obj{}})
	}
	return json.Marshal(defs)
}

// holder is the hold-conns child: it owns the connections until Stop.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

// startHolder re-executes this binary as hold-conns and waits until it
// reports every connection open (or gives up after timeout).
func startHolder(self string, b *broker, sz viewSizes, timeout time.Duration) (*holder, time.Duration, error) {
	args := []string{"hold-conns", "-url", b.amqpURL, "-n", fmt.Sprint(sz.Conns), "-channels", fmt.Sprint(sz.ChannelsPerConn),
		"-queues", fmt.Sprint(sz.Queues), "-timeout", (4 * time.Hour).String()}
	if sz.Consume {
		args = append(args, "-consume")
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	h := &holder{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "ready") || strings.HasPrefix(line, "failed") {
				select {
				case ready <- line:
				default:
				}
			}
		}
		h.done <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		if strings.HasPrefix(line, "failed") {
			h.stop()
			return nil, time.Since(start), fmt.Errorf("hold-conns: %s", line)
		}
		return h, time.Since(start), nil
	case err := <-h.done:
		return nil, time.Since(start), fmt.Errorf("hold-conns exited before it was ready: %v", err)
	case <-time.After(timeout):
		h.stop()
		return nil, time.Since(start), fmt.Errorf("hold-conns not ready after %s", timeout)
	}
}

// stop closes the child's stdin (its signal to exit) and waits a little.
func (h *holder) stop() {
	if h == nil {
		return
	}
	_ = h.stdin.Close()
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
}

// runHoldConns is the child: open n connections named bench-N with the
// given channels each (the last one consuming from a bench queue with
// -consume), print "ready N", then hold them until stdin closes or the
// timeout passes.
func runHoldConns(args []string) error {
	fs := flag.NewFlagSet("hold-conns", flag.ContinueOnError)
	amqpURL := fs.String("url", "", "AMQP URL (loopback)")
	n := fs.Int("n", 100, "connections")
	channels := fs.Int("channels", 2, "channels per connection")
	queues := fs.Int("queues", 200, "bench-vq-NNN queues to consume from")
	consume := fs.Bool("consume", false, "consume on each connection's last channel")
	parallel := fs.Int("parallel", 16, "connections opened at a time")
	timeout := fs.Duration("timeout", time.Hour, "exit after this even if stdin stays open")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if u, err := url.Parse(*amqpURL); err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return fmt.Errorf("refusing a non-loopback AMQP address %q", *amqpURL)
	}
	// Each connection is a file descriptor: raise the soft limit to the
	// hard one, and the hard one too where we may (root).
	need := uint64(*n + 1024)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < need {
		want := rl
		want.Cur = max(need, rl.Cur)
		want.Max = max(want.Cur, rl.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			want.Cur, want.Max = rl.Max, rl.Max
			_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
		}
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
		logf("hold-conns: RLIMIT_NOFILE %d (hard %d) for %d connections", rl.Cur, rl.Max, *n)
	}
	u, _ := url.Parse(*amqpURL)
	u.User = url.UserPassword(user, password)
	conns := make([]*amqp.Connection, *n)
	var opened atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	next := make(chan int)
	start := time.Now()
	for w := 0; w < *parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := holdOne(u.String(), i, *channels, *queues, *consume, conns); err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("connection bench-%d: %w", i, err))
					continue
				}
				if k := opened.Add(1); k%1000 == 0 {
					logf("hold-conns: %d connections open (%.0f/s)", k, float64(k)/time.Since(start).Seconds())
				}
			}
		}()
	}
	for i := 0; i < *n; i++ {
		if firstErr.Load() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		fmt.Printf("failed after %d of %d connections: %v\n", opened.Load(), *n, err)
		return err
	}
	logf("hold-conns: %d connections with %d channels each open in %.1fs", *n, *channels, time.Since(start).Seconds())
	fmt.Printf("ready %d\n", *n)
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-eof:
	case <-time.After(*timeout):
		logf("hold-conns: timeout, exiting")
	}
	// Exiting closes the sockets; the broker cleans up (faster than 5,000 polite closes).
	return nil
}

func holdOne(u string, i, channels, queues int, consume bool, conns []*amqp.Connection) error {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(fmt.Sprintf("bench-%d", i))
	conn, err := amqp.DialConfig(u, amqp.Config{Heartbeat: 60 * time.Second, Properties: props, Locale: "en_US"})
	if err != nil {
		return err
	}
	conns[i] = conn
	for c := 0; c < channels; c++ {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		if consume && c == channels-1 {
			if err := ch.Qos(10, 0, false); err != nil {
				return err
			}
			if _, err := ch.Consume(viewQueue(i%queues), fmt.Sprintf("bench-ctag-%d", i), false, false, false, false, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// objectTotals is /api/overview's object_totals.
type objectTotals struct {
	Connections int `json:"connections"`
	Channels    int `json:"channels"`
	Exchanges   int `json:"exchanges"`
	Queues      int `json:"queues"`
	Consumers   int `json:"consumers"`
}

func getJSON(b *broker, path string, v any) error {
	req, err := http.NewRequest(http.MethodGet, b.mgmtURL+"/api/"+path, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(user, password)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, msg)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// waitTotals waits until the overview's object totals and the paged
// lists' total_count show everything (statistics lag the objects).
func waitTotals(b *broker, sz viewSizes, timeout time.Duration) (objectTotals, error) {
	deadline := time.Now().Add(timeout)
	want := objectTotals{Connections: sz.Conns, Channels: sz.Conns * sz.ChannelsPerConn, Exchanges: sz.Exchanges, Queues: sz.Queues}
	if sz.Consume {
		want.Consumers = sz.Conns
	}
	var last string
	for time.Now().Before(deadline) {
		var ov struct {
			ObjectTotals objectTotals `json:"object_totals"`
		}
		err := getJSON(b, "overview", &ov)
		t := ov.ObjectTotals
		ok := err == nil && t.Connections >= want.Connections && t.Channels >= want.Channels && t.Exchanges >= want.Exchanges &&
			t.Queues >= want.Queues && t.Consumers >= want.Consumers
		last = fmt.Sprintf("overview %+v (want %+v, err %v)", t, want, err)
		if ok {
			// The lists themselves (the management DB) must agree too.
			counts := map[string]int{"connections": want.Connections, "channels": want.Channels, "exchanges": want.Exchanges}
			all := true
			for path, n := range counts {
				var p struct {
					TotalCount int `json:"total_count"`
				}
				err := getJSON(b, path+"?page=1&page_size=1&columns=name", &p)
				if err != nil || p.TotalCount < n {
					last = fmt.Sprintf("%s total_count %d < %d (err %v)", path, p.TotalCount, n, err)
					all = false
					break
				}
			}
			if all {
				return t, nil
			}
		}
		time.Sleep(2 * time.Second)
	}
	return objectTotals{}, fmt.Errorf("totals never settled: %s", last)
}

// brokerRSS is the broker's current RSS in MB (0 when unknown).
func brokerRSS(b *broker) float64 {
	pid, err := b.beamPID()
	if err != nil {
		return 0
	}
	_, cur := procRSS(pid)
	return cur
}

// withTimeout runs f with a context that ends after d.
func withTimeout(d time.Duration, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f(ctx)
}
