package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// These tests run the demo against a real broker; `make test` starts a
// private one and exports its URLs.
func brokerURLs(t *testing.T) (mgmt, amqpURL string) {
	t.Helper()
	mgmt, amqpURL = os.Getenv("MQTOP_TEST_URL"), os.Getenv("MQTOP_TEST_AMQP_URL")
	if mgmt == "" || amqpURL == "" {
		t.Fatal("MQTOP_TEST_URL and MQTOP_TEST_AMQP_URL are not set: this test needs a real RabbitMQ broker. " +
			"Run `make test`, which starts a private broker and sets them.")
	}
	return mgmt, amqpURL
}

type api struct {
	t    *testing.T
	base string
}

func (a api) call(method, path string, in any) (int, []byte) {
	a.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(a.base, "/")+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	req.SetBasicAuth("guest", "guest")
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (a api) mustOK(method, path string, in any) []byte {
	a.t.Helper()
	code, b := a.call(method, path, in)
	if code >= 300 {
		a.t.Fatalf("%s %s: HTTP %d %s", method, path, code, b)
	}
	return b
}

// objects maps name -> type ("quorum", "fanout", ...) for /api/queues/{vhost} or /api/exchanges/{vhost}.
func (a api) objects(kind, vhost string) map[string]string {
	a.t.Helper()
	var xs []struct{ Name, Type string }
	if err := json.Unmarshal(a.mustOK("GET", "/api/"+kind+"/"+esc(vhost), nil), &xs); err != nil {
		a.t.Fatal(err)
	}
	m := map[string]string{}
	for _, x := range xs {
		m[x.Name] = x.Type
	}
	return m
}

func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", within, what, detail)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func missing(have map[string]string, want []string) []string {
	var out []string
	for _, w := range want {
		if _, ok := have[w]; !ok {
			out = append(out, w)
		}
	}
	return out
}

func TestDemoAgainstBroker(t *testing.T) {
	mgmtURL, amqpURL := brokerURLs(t)
	a := api{t: t, base: mgmtURL}
	vhost := fmt.Sprintf("mqtop-demo-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	second := vhost + "-eu"
	a.mustOK("PUT", "/api/vhosts/"+esc(vhost), map[string]string{})
	a.mustOK("PUT", "/api/permissions/"+esc(vhost)+"/guest", map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	t.Cleanup(func() {
		a.call("DELETE", "/api/vhosts/"+esc(vhost), nil)
		a.call("DELETE", "/api/vhosts/"+esc(second), nil)
	})

	cfg := Config{MgmtURL: mgmtURL, AMQPURL: amqpURL, User: "guest", Password: "guest",
		VHost: vhost, SecondVHost: second, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	stopped := false
	stopRun := func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancellation, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("Run did not return within 15s of cancellation")
		}
	}
	t.Cleanup(stopRun)

	eventually(t, 20*time.Second, "every queue and exchange to be declared", func() (bool, string) {
		m := slices.Concat(missing(a.objects("queues", vhost), Queues()), missing(a.objects("exchanges", vhost), Exchanges()))
		if code, _ := a.call("GET", "/api/vhosts/"+esc(second), nil); code != 200 {
			return false, "second vhost not created"
		}
		m = append(m, missing(a.objects("queues", second), SecondVHostQueues())...)
		return len(m) == 0, fmt.Sprintf("missing %v", m)
	})
	queues, exchanges := a.objects("queues", vhost), a.objects("exchanges", vhost)
	for name, want := range map[string]string{QueuePayments: "quorum", StreamEvents: "stream", QueueTasks: "classic"} {
		if queues[name] != want {
			t.Errorf("queue %s has type %q, want %q", name, queues[name], want)
		}
	}
	for name, want := range map[string]string{ExchangeLogs: "fanout", ExchangeDirectLogs: "direct", ExchangeTopicLogs: "topic"} {
		if exchanges[name] != want {
			t.Errorf("exchange %s has type %q, want %q", name, exchanges[name], want)
		}
	}

	t.Run("rejected orders are dead-lettered", func(t *testing.T) {
		a := api{t: t, base: mgmtURL} // t.Fatal must come from the subtest's goroutine
		eventually(t, 20*time.Second, "a message in orders.dlq with x-death from orders/rejected", func() (bool, string) {
			var msgs []struct {
				Properties struct {
					Headers map[string]any `json:"headers"`
				} `json:"properties"`
			}
			b := a.mustOK("POST", "/api/queues/"+esc(vhost)+"/"+esc(QueueOrdersDLQ)+"/get",
				map[string]any{"count": 5, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 10000})
			if err := json.Unmarshal(b, &msgs); err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				deaths, _ := m.Properties.Headers["x-death"].([]any)
				for _, d := range deaths {
					if d, _ := d.(map[string]any); d["queue"] == QueueOrders && d["reason"] == "rejected" {
						return true, ""
					}
				}
			}
			return false, fmt.Sprintf("%d messages, none with a matching x-death", len(msgs))
		})
	})

	t.Run("rpc over direct reply-to", func(t *testing.T) {
		conn, err := amqp.DialConfig(amqpURL, amqp.Config{
			SASL: []amqp.Authentication{&amqp.PlainAuth{Username: "guest", Password: "guest"}}, Vhost: vhost,
			Properties: amqp.Table{"connection_name": "mqtop-demo test rpc"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		replies, err := ch.Consume(DirectReplyTo, "", true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = ch.Publish("", QueueRPC, false, false, amqp.Publishing{CorrelationId: "test-fib-10", ReplyTo: DirectReplyTo, Body: []byte("10")})
		if err != nil {
			t.Fatal(err)
		}
		timeout := time.After(15 * time.Second)
		for {
			select {
			case m := <-replies:
				if m.CorrelationId != "test-fib-10" {
					t.Fatalf("reply has correlation id %q, want test-fib-10", m.CorrelationId)
				}
				if string(m.Body) != "55" {
					t.Fatalf("fib(10) reply %q, want 55", m.Body)
				}
				return
			case <-timeout:
				t.Fatal("no RPC reply within 15s")
			}
		}
	})

	t.Run("roles reconnect after connections are killed", func(t *testing.T) {
		a := api{t: t, base: mgmtURL} // t.Fatal must come from the subtest's goroutine
		// The management API lists connections once their first stats arrive.
		want := 0 // one connection per role in the primary vhost
		for _, r := range (&demo{cfg: cfg}).roles() {
			if r.vhost == vhost {
				want++
			}
		}
		var killed []string
		eventually(t, 20*time.Second, "the demo connections to be listed", func() (bool, string) {
			killed = connectionNames(a, vhost)
			return len(killed) >= want, fmt.Sprintf("%d of %d listed", len(killed), want)
		})
		for _, name := range killed {
			a.call("DELETE", "/api/connections/"+esc(name), nil)
		}
		eventually(t, 20*time.Second, "the demo connections to come back", func() (bool, string) {
			fresh := 0
			for _, name := range connectionNames(a, vhost) {
				if !slices.Contains(killed, name) {
					fresh++
				}
			}
			return fresh >= want, fmt.Sprintf("%d of %d reconnected", fresh, want)
		})
	})

	stopRun()
	tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Teardown(tctx, cfg); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	if left := a.objects("queues", vhost); len(left) != 0 {
		t.Errorf("queues left after Teardown: %v", left)
	}
	ex := a.objects("exchanges", vhost)
	for _, e := range Exchanges() {
		if _, ok := ex[e]; ok {
			t.Errorf("exchange %s left after Teardown", e)
		}
	}
	if code, _ := a.call("GET", "/api/vhosts/"+esc(second), nil); code != http.StatusNotFound {
		t.Errorf("second vhost still there after Teardown (HTTP %d)", code)
	}
	if err := Teardown(tctx, cfg); err != nil {
		t.Errorf("second Teardown should be a no-op, got %v", err)
	}
}

func connectionNames(a api, vhost string) []string {
	var conns []struct{ Name string }
	if err := json.Unmarshal(a.mustOK("GET", "/api/vhosts/"+esc(vhost)+"/connections", nil), &conns); err != nil {
		a.t.Fatal(err)
	}
	names := make([]string, len(conns))
	for i, c := range conns {
		names[i] = c.Name
	}
	return names
}

func TestFib(t *testing.T) {
	for n, want := range map[int]uint64{0: 0, 1: 1, 2: 1, 10: 55, 30: 832040, 93: 12200160415121876738} {
		if got, err := Fib(n); err != nil || got != want {
			t.Errorf("Fib(%d) = %d, %v; want %d", n, got, err, want)
		}
	}
	if _, err := Fib(94); err == nil {
		t.Error("Fib(94) overflows uint64 and must fail")
	}
}

func TestOrdersRejectedAtTwentyPercent(t *testing.T) {
	bad := 0
	for seq := uint64(1); seq <= 100; seq++ {
		if validateOrder(orderMsg(seq).Body) != nil {
			bad++
		}
	}
	if bad != 20 {
		t.Errorf("%d of 100 orders invalid, want 20", bad)
	}
	if err := validateOrder(newOrder("x", false).Body); err != nil {
		t.Errorf("valid order rejected: %v", err)
	}
}
