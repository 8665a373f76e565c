package main_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// The cursor follows the queue chosen, not a row number: after messages
// published elsewhere re-sort the depth order, enter opens the chosen queue
// and ctrl+x purges it and no other; right after the purge its row reads 0
// from a passive declare (marked •), while the broker's statistics (every
// 5 s here, as shipped) have not caught up. Through both queue sources.
func TestE2ECursorFollowsTheQueueAcrossAReSort(t *testing.T) {
	b := testenv.StartBroker(t, testenv.BrokerOptions{StatsInterval: 5 * time.Second})
	for _, src := range []struct{ name, flag, header string }{
		{"prometheus", "--refresh=500ms", "prometheus index"},
		{"management", "--no-prometheus", "management API"},
	} {
		t.Run(src.name, func(t *testing.T) {
			vh := "cursor-" + src.name
			testenv.CreateVHost(t, b.Env, vh)
			for name, n := range map[string]int{"cur-a": 30, "cur-b": 20, "cur-c": 10} {
				testenv.DeclareQueue(t, b.Env, vh, name, nil)
				testenv.Publish(t, b.Env, vh, "", name, bodies(n)...)
			}
			tm := start(t, 120, 30, credentials(b.Env), "--url", b.MgmtURL, src.flag, "--refresh=500ms")
			tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
			tm.keys(":")
			tm.text("vhost " + vh)
			tm.keys("Enter")
			tm.keys("s") // a re-sort: from total to ready, largest first
			order := func(names ...string) func(string) bool {
				return func(s string) bool {
					if !strings.Contains(s, src.header) {
						return false
					}
					last := -1
					for _, n := range names {
						i := strings.Index(s, n)
						if i < last {
							return false
						}
						last = i
					}
					return true
				}
			}
			tm.waitUntil(30*time.Second, "a, b, c by depth", func(s string) bool {
				r := rowOf(s, "cur-a")
				return order("cur-a", "cur-b", "cur-c")(s) && len(r) > 5 && r[5] == "30"
			})
			// The cursor followed whichever queue was on top when the list
			// loaded (before the statistics ordered it): choose cur-b.
			tm.keys("g")
			tm.waitFor(10*time.Second, "1/3 queues")
			tm.keys("j") // cur-b, on row 2
			tm.waitFor(10*time.Second, "2/3 queues")
			testenv.Publish(t, b.Env, vh, "", "cur-c", bodies(50)...)
			tm.waitUntil(30*time.Second, "c, a, b by depth", order("cur-c", "cur-a", "cur-b"))
			tm.keys("Enter")
			s := tm.waitFor(10*time.Second, "Bindings")
			if !strings.Contains(s, "queue cur-b") {
				t.Fatalf("enter after the re-sort opened another queue than cur-b:\n%s", s)
			}
			tm.keys("q")
			tm.waitFor(10*time.Second, "/3 queues")
			tm.keys("C-x")
			tm.waitFor(10*time.Second, "Purge", "cur-b")
			time.Sleep(500 * time.Millisecond) // past the dialog's grace period
			tm.keys("y")
			confirmed := time.Now()
			tm.waitUntil(10*time.Second, "cur-b at 0, exact", func(s string) bool {
				r := rowOf(s, "cur-b")
				return len(r) > 3 && r[3] == "0•"
			})
			t.Logf("%s: cur-b read 0• %.1fs after the purge was confirmed", src.name, time.Since(confirmed).Seconds())
			for name, want := range map[string]int{"cur-a": 30, "cur-b": 0, "cur-c": 60} {
				if got := depth(t, b.Env, vh, name); got != want {
					t.Errorf("%s holds %d after the purge, want %d", name, got, want)
				}
			}
			tm.keys("q")
			tm.waitFor(10*time.Second, "EXITED:0")
		})
	}
}

func bodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprint(i))
	}
	return out
}

// depth is the queue's ready count now (a passive declare, not statistics).
func depth(t *testing.T, env testenv.Env, vhost, queue string) int {
	t.Helper()
	conn := testenv.Dial(t, env, vhost)
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return q.Messages
}

// `/` narrows the list as one types, before enter; esc goes back to the
// whole list.
func TestE2EFilterNarrowsAsYouType(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	for _, name := range []string{"orders", "orders.dlq", "payments"} {
		testenv.DeclareQueue(t, env, vh, name, nil)
	}
	tm := start(t, 120, 30, credentials(env), "--url", env.MgmtURL, "--refresh=500ms")
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	tm.keys(":")
	tm.text("vhost " + vh)
	tm.keys("Enter")
	tm.waitFor(20*time.Second, "payments", "/3 queues")
	tm.keys("/")
	tm.text("ord")
	s := tm.waitFor(10*time.Second, "/2 queues matching /ord/")
	if strings.Contains(s, "payments") {
		t.Fatalf("payments still listed while /ord is typed:\n%s", s)
	}
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "payments", "/3 queues")
}
