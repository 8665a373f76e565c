package main_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// The topology flow as an operator types it, against the real binary and
// broker: declare a queue, bind it to topic_logs with kern.*, preview
// kern.critical (and check it on the broker), rebind it to *.critical,
// then move a dead-letter queue back to its origin. Each step is read back
// through the management API.
func TestE2EDeclareBindPreviewRebindMove(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	ev := url.PathEscape(vh)
	testenv.MustAPI(t, env, "PUT", "exchanges/"+ev+"/topic_logs", map[string]any{"type": "topic", "durable": true})
	testenv.MustAPI(t, env, "PUT", "exchanges/"+ev+"/orders.dlx", map[string]any{"type": "fanout", "durable": true})
	testenv.MustAPI(t, env, "PUT", "queues/"+ev+"/orders", map[string]any{"durable": true, "arguments": map[string]any{"x-dead-letter-exchange": "orders.dlx", "x-message-ttl": 1}})
	testenv.MustAPI(t, env, "PUT", "queues/"+ev+"/orders.dlq", map[string]any{"durable": true})
	testenv.MustAPI(t, env, "POST", "bindings/"+ev+"/e/orders.dlx/q/orders.dlq", map[string]any{"routing_key": ""})
	var bodies [][]byte
	for i := range 30 {
		bodies = append(bodies, []byte(fmt.Sprintf("order %d", i)))
	}
	testenv.Publish(t, env, vh, "", "orders", bodies...) // expire at once into orders.dlq
	depth := func(q string) int {
		var v struct{ Messages int }
		testenv.GetJSON(t, env, "queues/"+ev+"/"+url.PathEscape(q), &v)
		return v.Messages
	}
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		return depth("orders.dlq") == 30, fmt.Sprintf("orders.dlq holds %d", depth("orders.dlq"))
	})
	// Now without the TTL, so that moved messages stay in orders.
	testenv.MustAPI(t, env, "DELETE", "queues/"+ev+"/orders", nil)
	testenv.MustAPI(t, env, "PUT", "queues/"+ev+"/orders", map[string]any{"durable": true})

	tm := start(t, 160, 45, credentials(env), "--url", env.MgmtURL, "--refresh=500ms")
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	tm.keys(":")
	tm.text("vhost " + vh)
	tm.keys("Enter")
	tm.waitFor(20*time.Second, "orders.dlq")

	// Declare a quorum queue with a TTL.
	tm.keys("n")
	tm.waitFor(10*time.Second, "Declare a queue", "Arguments a classic queue takes")
	tm.keys("Tab")
	tm.text("kern.q")
	tm.keys("Tab", "C-n", "Tab", "Tab", "Tab")
	tm.waitFor(10*time.Second, "Arguments a quorum queue takes")
	tm.text("x-message-ttl=60000")
	tm.keys("C-s")
	tm.waitFor(10*time.Second, "Declare queue kern.q", "quorum, durable")
	time.Sleep(400 * time.Millisecond) // the dialog ignores keys at first
	tm.keys("y")
	tm.waitFor(10*time.Second, "declared queue kern.q")
	var q struct {
		Type      string
		Arguments map[string]any
	}
	testenv.GetJSON(t, env, "queues/"+ev+"/kern.q", &q)
	if q.Type != "quorum" || q.Arguments["x-message-ttl"] != float64(60000) {
		t.Fatalf("declared %+v", q)
	}

	// Bind it to topic_logs with kern.*.
	tm.keys("/")
	tm.text("^kern")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "1/1 queues")
	tm.keys("b")
	tm.waitFor(10*time.Second, "Bind queue kern.q")
	tm.text("topic_logs")
	tm.keys("Tab")
	tm.text("kern.*")
	tm.keys("C-s")
	tm.waitFor(10*time.Second, `Add the binding exchange topic_logs → queue kern.q, key "kern.*"`)
	time.Sleep(400 * time.Millisecond)
	tm.keys("y")
	tm.waitFor(10*time.Second, `bound exchange topic_logs → queue kern.q`)
	keysOf := func() []string {
		var bs []struct {
			Source     string
			RoutingKey string `json:"routing_key"`
		}
		testenv.GetJSON(t, env, "queues/"+ev+"/kern.q/bindings", &bs)
		var out []string
		for _, b := range bs {
			if b.Source == "topic_logs" {
				out = append(out, b.RoutingKey)
			}
		}
		return out
	}
	if k := keysOf(); len(k) != 1 || k[0] != "kern.*" {
		t.Fatalf("bindings after bind: %q", k)
	}

	// Preview kern.critical from topic_logs, and check it on the broker.
	tm.keys(":")
	tm.text("x")
	tm.keys("Enter")
	tm.keys("/")
	tm.text("topic_logs")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "1/1 exchanges")
	tm.keys("t")
	tm.waitFor(10*time.Second, "Route preview: topic_logs")
	tm.text("kern.critical")
	tm.waitFor(10*time.Second, "→ 1 queue(s): kern.q", `matches key "kern.*" → queue kern.q`)
	tm.keys("C-s")
	tm.waitFor(20*time.Second, "checked on the broker: it agrees with the prediction at 1 exchange(s)")
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 exchanges") // a key right after esc would read as alt+key

	// Rebind it to *.critical from the queue's bindings.
	tm.keys(":")
	tm.text("b")
	tm.keys("Enter")
	tm.keys("/")
	tm.text("kern")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "kern.*")
	s := tm.waitUntil(10*time.Second, "the topic_logs binding", func(s string) bool { return strings.Contains(s, "bindings matching /kern/") })
	if strings.Count(s, "kern.q") < 1 {
		t.Fatalf("bindings:\n%s", s)
	}
	tm.keys("G") // (AMQP default) sorts first; topic_logs last
	tm.keys("e")
	tm.waitFor(10*time.Second, "Rebind topic_logs → queue kern.q")
	for range len("kern.*") {
		tm.keys("BSpace")
	}
	tm.text("*.critical")
	tm.keys("C-s")
	tm.waitFor(10*time.Second, `to    exchange topic_logs → queue kern.q, key "*.critical"`)
	time.Sleep(400 * time.Millisecond)
	tm.keys("y")
	s = tm.waitFor(10*time.Second, `rebound: exchange topic_logs → queue kern.q, key "*.critical"`)
	if strings.Contains(s, "is gone") {
		t.Fatalf("the old binding's disappearance took the rebind's place in the status line:\n%s", s)
	}
	if k := keysOf(); len(k) != 1 || k[0] != "*.critical" {
		t.Fatalf("bindings after rebind: %q", k)
	}

	// Move orders.dlq back to orders.
	tm.keys(":")
	tm.text("qu")
	tm.keys("Enter")
	tm.keys("/", "C-u") // the filter opens with the one kept from before
	tm.text("dlq")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "1/1 queues matching /dlq/")
	tm.keys("M")
	tm.waitFor(10*time.Second, "Move messages from orders.dlq", "origin queue")
	tm.keys("C-s")
	tm.waitFor(10*time.Second, "Move all 30 ready messages of orders.dlq")
	time.Sleep(400 * time.Millisecond)
	tm.keys("y")
	tm.waitFor(30*time.Second, "moved 30 of 30 from orders.dlq")
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		return depth("orders") == 30 && depth("orders.dlq") == 0, fmt.Sprintf("orders %d, orders.dlq %d", depth("orders"), depth("orders.dlq"))
	})
	tm.keys("C-c")
	tm.waitFor(10*time.Second, "EXITED:0")
}
