package main_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// A message of 128 MiB (the broker's largest by default, less a little)
// browses without stalling the UI: the detail renders its first 64 KiB,
// and keys are answered while it is shown (issue 15). The figure is
// logged, not asserted; a key not answered within 2 s fails as a hang.
func TestE2EBrowseA128MiBBody(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "big", nil)
	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	body := bytes.Repeat(line, 128<<10-8) // 128 MiB less 8 KiB
	testenv.Publish(t, env, vh, "", "big", body, []byte("small one"))
	body = nil

	tm := start(t, 160, 40, credentials(env), "--url", env.MgmtURL, "--amqp-url", env.AMQPURL, "--refresh", "1s")
	tm.waitFor(30*time.Second, "RabbitMQ")
	tm.keys(":")
	tm.text("vhost " + vh)
	tm.keys("Enter")
	tm.waitFor(30*time.Second, "big", "1/1 queues")
	tm.keys("m")
	tm.waitFor(10*time.Second, "Browse big")
	tm.keys("C-s")
	browsed := time.Now()
	s := tm.waitFor(120*time.Second, "Messages of big", "2 shown")
	t.Logf("browse of a 128 MiB message and a small one shown %.1fs after ctrl+s", time.Since(browsed).Seconds())
	if !strings.Contains(s, "showing 64 KiB of 128 MiB") && !strings.Contains(s, "of 128 MiB") {
		t.Fatalf("the big body is not shown cut to its first part:\n%s", s)
	}
	lat := latencies{fault: "a 128 MiB body shown"}
	for i := 0; i < 5; i++ {
		lat.add("j", tm.keyLatency("j", func(s string) bool {
			return strings.Contains(s, "small one") && strings.Contains(s, "body (text, 9 B)")
		}))
		lat.add("k", tm.keyLatency("k", func(s string) bool { return strings.Contains(s, "of 128 MiB") }))
	}
	lat.help(tm)
	lat.log(t)
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues")
	if got := depth(t, env, vh, "big"); got != 2 {
		t.Fatalf("big holds %d messages after the browse, want 2", got)
	}
}
