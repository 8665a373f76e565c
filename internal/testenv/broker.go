package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

var httpClient = &http.Client{Timeout: 15 * time.Second}

// API performs one management API call and returns the status and body.
func API(t testing.TB, env Env, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(env.MgmtURL, "/")+"/api/"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(env.User, env.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// MustAPI is API that fails the test on a non-2xx answer.
func MustAPI(t testing.TB, env Env, method, path string, body any) []byte {
	t.Helper()
	code, out := API(t, env, method, path, body)
	if code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	return out
}

// GetJSON decodes a management API GET into v.
func GetJSON(t testing.TB, env Env, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(MustAPI(t, env, http.MethodGet, path, nil), v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// VHost creates a fresh vhost for the test, with full permissions for the
// test user, and deletes it when the test ends.
func VHost(t testing.TB) string {
	t.Helper()
	env := Broker(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := unsafeName.ReplaceAllString(t.Name(), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	vh := "mqtop-test-" + name + "-" + hex.EncodeToString(b)
	MustAPI(t, env, http.MethodPut, "vhosts/"+url.PathEscape(vh), map[string]any{})
	MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(env.User),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	t.Cleanup(func() { API(t, env, http.MethodDelete, "vhosts/"+url.PathEscape(vh), nil) })
	return vh
}

// AMQPURL is env's AMQP URL for vhost, without credentials.
func (e Env) AMQPURLFor(vhost string) string {
	return strings.TrimRight(e.AMQPURL, "/") + "/" + url.PathEscape(vhost)
}

// Dial opens an AMQP connection named mqtop-test to vhost, closed at cleanup.
func Dial(t testing.TB, env Env, vhost string) *amqp.Connection {
	t.Helper()
	u, err := url.Parse(env.AMQPURLFor(vhost))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(env.User, env.Password)
	conn, err := amqp.DialConfig(u.String(), amqp.Config{Properties: amqp.Table{"connection_name": "mqtop-test"}, Heartbeat: 10 * time.Second})
	if err != nil {
		t.Fatalf("dial %s: %v", env.AMQPURLFor(vhost), err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// DeclareQueue declares a durable queue (x-queue-type in args picks
// classic, quorum or stream).
func DeclareQueue(t testing.TB, env Env, vhost, name string, args amqp.Table) {
	t.Helper()
	ch, err := Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		t.Fatalf("declare queue %s: %v", name, err)
	}
}

// Publish publishes bodies in order with publisher confirms and waits for
// every confirm.
func Publish(t testing.TB, env Env, vhost, exchange, key string, bodies ...[]byte) {
	t.Helper()
	conn := Dial(t, env, vhost)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, len(bodies)+1))
	for i, b := range bodies {
		err := ch.Publish(exchange, key, true, false, amqp.Publishing{Body: b, DeliveryMode: amqp.Persistent,
			MessageId: fmt.Sprintf("m-%d", i)})
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	for range bodies {
		select {
		case c := <-confirms:
			if !c.Ack {
				t.Fatalf("publish %d nacked", c.DeliveryTag)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("no publisher confirm within 15s")
		}
	}
}

// Hold consumes n messages without acknowledging them and keeps them
// unacknowledged until the test ends.
func Hold(t testing.TB, env Env, vhost, queue string, n int) {
	t.Helper()
	ch, err := Dial(t, env, vhost).Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(n, 0, false); err != nil {
		t.Fatal(err)
	}
	deliveries, err := ch.Consume(queue, "mqtop-test-hold", false, false, false, false, nil)
	if err != nil {
		t.Fatalf("consume %s: %v", queue, err)
	}
	for i := 0; i < n; i++ {
		select {
		case <-deliveries:
		case <-time.After(15 * time.Second):
			t.Fatalf("held %d of %d messages from %s", i, n, queue)
		}
	}
}

// WaitFor polls cond until it holds or the timeout passes; the management
// API lags the broker by its statistics interval.
func WaitFor(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var why string
	for {
		var ok bool
		ok, why = cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v: %s", timeout, why)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
