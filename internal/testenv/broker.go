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

// apiPath turns "queues/x", "/queues/x", "/api/queues/x" into "/api/queues/x".
func apiPath(path string) string {
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimPrefix(path, "api/")
	return "/api/" + path
}

// API performs one management API call (path relative to /api/, already
// escaped) and returns the status and body. A transport error fails the test.
func API(t testing.TB, env Env, method, path string, body any) (int, []byte) {
	t.Helper()
	code, out, err := api(env, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return code, out
}

func api(env Env, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(env.MgmtURL, "/")+apiPath(path), r)
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth(env.User, env.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, apiPath(path), err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: reading the answer: %w", method, apiPath(path), err)
	}
	return resp.StatusCode, out, nil
}

// MustAPI is API that fails the test on an answer other than 2xx.
func MustAPI(t testing.TB, env Env, method, path string, body any) []byte {
	t.Helper()
	code, out := API(t, env, method, path, body)
	if code < 200 || code >= 300 {
		t.Fatalf("%s %s: %d %s", method, apiPath(path), code, out)
	}
	return out
}

// GetJSON decodes the answer to a management API GET into v; path is
// relative to /api/ ("queues/%2F/work"; a leading "/api/" is accepted too).
func GetJSON(t testing.TB, env Env, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(MustAPI(t, env, http.MethodGet, path, nil), v); err != nil {
		t.Fatalf("decode %s: %v", apiPath(path), err)
	}
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// VHost creates a fresh vhost mqtop-test-<test name>-<random>, grants the
// test user full permissions on it, and deletes it when the test ends.
func VHost(t testing.TB) string {
	t.Helper()
	env := Broker(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := strings.Trim(unsafeName.ReplaceAllString(t.Name(), "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	vh := "mqtop-test-" + name + "-" + hex.EncodeToString(b)
	MustAPI(t, env, http.MethodPut, "vhosts/"+url.PathEscape(vh), map[string]any{})
	t.Cleanup(func() {
		// Not a test failure: a test may have stopped the broker on purpose.
		if code, out, err := api(env, http.MethodDelete, "vhosts/"+url.PathEscape(vh), nil); err != nil {
			t.Logf("testenv: deleting vhost %s: %v", vh, err)
		} else if code >= 300 && code != http.StatusNotFound {
			t.Logf("testenv: deleting vhost %s: %d %s", vh, code, out)
		}
	})
	MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(env.User),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	return vh
}

// AMQPURLFor is env's AMQP URL for vhost, without credentials; the vhost is
// the escaped path ("/" becomes "%2F").
func (e Env) AMQPURLFor(vhost string) string {
	return strings.TrimRight(e.AMQPURL, "/") + "/" + url.PathEscape(vhost)
}

// dial opens an AMQP connection named mqtop-test to vhost; the caller closes it.
func dial(env Env, vhost string) (*amqp.Connection, error) {
	u, err := url.Parse(env.AMQPURLFor(vhost))
	if err != nil {
		return nil, err
	}
	u.User = url.UserPassword(env.User, env.Password)
	conn, err := amqp.DialConfig(u.String(), amqp.Config{
		Properties: amqp.Table{"connection_name": "mqtop-test"},
		Heartbeat:  10 * time.Second,
		Locale:     "en_US",
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", env.AMQPURLFor(vhost), err) // no credentials in the message
	}
	return conn, nil
}

// Dial opens an AMQP connection named mqtop-test to vhost, closed when the
// test ends.
func Dial(t testing.TB, env Env, vhost string) *amqp.Connection {
	t.Helper()
	conn, err := dial(env, vhost)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// channel opens a short-lived connection and channel; close the connection.
func channel(t testing.TB, env Env, vhost string) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	conn, err := dial(env, vhost)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		t.Fatalf("open channel on %s: %v", vhost, err)
	}
	return conn, ch
}

// DeclareQueue declares a durable queue; x-queue-type in args picks classic,
// quorum or stream. Its connection is closed again before it returns.
func DeclareQueue(t testing.TB, env Env, vhost, name string, args amqp.Table) {
	t.Helper()
	conn, ch := channel(t, env, vhost)
	defer conn.Close()
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		t.Fatalf("declare queue %s in %s: %v", name, vhost, err)
	}
}

// Publish publishes bodies in order (persistent, mandatory) with publisher
// confirms and returns once every one is confirmed. A nack, or a message the
// broker returns as unroutable, fails the test.
func Publish(t testing.TB, env Env, vhost, exchange, key string, bodies ...[]byte) {
	t.Helper()
	conn, ch := channel(t, env, vhost)
	defer conn.Close()
	if err := ch.Confirm(false); err != nil {
		t.Fatalf("confirm mode: %v", err)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, len(bodies)+1))
	returns := ch.NotifyReturn(make(chan amqp.Return, len(bodies)+1))
	for i, b := range bodies {
		err := ch.Publish(exchange, key, true, false, amqp.Publishing{
			Body: b, DeliveryMode: amqp.Persistent, MessageId: fmt.Sprintf("m-%d", i),
		})
		if err != nil {
			t.Fatalf("publish %d to exchange %q key %q: %v", i, exchange, key, err)
		}
	}
	deadline := time.After(30 * time.Second)
	for n := 0; n < len(bodies); n++ {
		select {
		case c, ok := <-confirms:
			if !ok {
				t.Fatalf("channel closed after %d of %d publisher confirms", n, len(bodies))
			}
			if !c.Ack {
				t.Fatalf("publish %d to exchange %q key %q nacked", c.DeliveryTag, exchange, key)
			}
		case <-deadline:
			t.Fatalf("%d of %d publisher confirms within 30s", n, len(bodies))
		}
	}
	// The broker sends basic.return before the basic.ack of the same message.
	select {
	case r := <-returns:
		t.Fatalf("message to exchange %q key %q returned: %d %s", r.Exchange, r.RoutingKey, r.ReplyCode, r.ReplyText)
	default:
	}
}

// Hold consumes n messages from queue without acknowledging them and keeps
// its connection open until the test ends, so they stay unacknowledged. It
// returns once all n have been delivered.
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
	deadline := time.After(30 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case _, ok := <-deliveries:
			if !ok {
				t.Fatalf("consumer on %s closed after %d of %d messages", queue, i, n)
			}
		case <-deadline:
			t.Fatalf("held %d of %d messages from %s within 30s", i, n, queue)
		}
	}
}

// WaitFor polls cond every 250ms until it holds, failing the test with
// cond's last explanation after timeout. Use it for management API
// statistics, which lag the broker by the statistics interval.
func WaitFor(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v: %s", timeout, why)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
