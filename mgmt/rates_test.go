package mgmt_test

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// TestRatesTrueAtAnyStatisticsInterval publishes 20 msg/s for longer than
// the rate window on brokers with statistics every 1 s and every 5 s, and
// reads the header's publish rate and the queue's in/s as mqtop does, every
// 700 ms like a fast refresh: after the first window each reading is within
// ±30 % of the true rate (the broker's plain "rate" read 0 on most polls at
// 5 s). Before any traffic, and for a queue nobody publishes to, the rate is 0
// (or unknown), never a made-up figure.
func TestRatesTrueAtAnyStatisticsInterval(t *testing.T) {
	for _, iv := range []time.Duration{time.Second, 5 * time.Second} {
		t.Run(iv.String(), func(t *testing.T) {
			t.Parallel()
			b := testenv.StartBroker(t, testenv.BrokerOptions{StatsInterval: iv})
			c := client(t, b.Env)
			testenv.DeclareQueue(t, b.Env, "/", "steady", nil)
			testenv.DeclareQueue(t, b.Env, "/", "idle", nil)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			for i := 0; i < 3; i++ {
				o, err := c.Overview(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if o.PublishRate.OK && o.PublishRate.PerSec != 0 {
					t.Fatalf("publish rate %v with no traffic", o.PublishRate.PerSec)
				}
				time.Sleep(700 * time.Millisecond)
			}

			sent, started := publishSteadily(t, b.Env, "steady", 20)
			time.Sleep(mgmt.RateWindow + 2*iv + 2*time.Second) // the first window
			trueRate := func() float64 { return float64(sent.Load()) / time.Since(started).Seconds() }
			for i := 0; i < 20; i++ {
				o, err := c.Overview(ctx)
				if err != nil {
					t.Fatal(err)
				}
				q, err := c.GetQueue(ctx, "/", "steady")
				if err != nil {
					t.Fatal(err)
				}
				p, err := c.ListQueuesPage(ctx, mgmt.QueueQuery{VHost: "/", Filter: "^steady$", Limit: 5})
				if err != nil || len(p.Queues) != 1 {
					t.Fatalf("page %+v %v", p, err)
				}
				idle, err := c.GetQueue(ctx, "/", "idle")
				if err != nil {
					t.Fatal(err)
				}
				want := trueRate()
				for what, r := range map[string]mgmt.Rate{"header publish/s": o.PublishRate, "queue in/s (GET)": q.PublishRate,
					"queue in/s (list)": p.Queues[0].PublishRate} {
					if !r.OK || math.Abs(r.PerSec-want) > 0.3*want {
						t.Errorf("reading %d: %s = %+v, true rate %.1f/s", i, what, r, want)
					}
				}
				if idle.PublishRate.OK && idle.PublishRate.PerSec != 0 {
					t.Errorf("reading %d: idle queue in/s = %v", i, idle.PublishRate.PerSec)
				}
				time.Sleep(700 * time.Millisecond)
			}
		})
	}
}

// publishSteadily publishes to queue at perSec until the test ends.
func publishSteadily(t *testing.T, env testenv.Env, queue string, perSec int) (*atomic.Int64, time.Time) {
	t.Helper()
	conn := testenv.Dial(t, env, "/")
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped; conn.Close() })
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second / time.Duration(perSec))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if ch.Publish("", queue, false, false, amqp091.Publishing{Body: []byte("x")}) == nil {
					sent.Add(1)
				}
			}
		}
	}()
	return &sent, start
}
