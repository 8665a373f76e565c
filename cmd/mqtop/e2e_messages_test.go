package main_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

// ready counts a queue's ready messages exactly (passive declare).
func ready(t *testing.T, env testenv.Env, vh, q string) int {
	t.Helper()
	ch, err := testenv.Dial(t, env, vh).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	st, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st.Messages
}

// A message built to drive the terminal (clear screen, OSC 52 clipboard
// write, cursor moves, a title change) is browsed: the screen stays intact,
// the clipboard untouched, and the message is still in the queue.
func TestE2EBrowseHostileMessageThenPublishAndRPC(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "evil", nil)
	testenv.DeclareQueue(t, env, vh, "silent", nil)
	hostile := "before " + strings.Repeat("plain words so that this reads as text ", 3) + "\x1b[2J\x1b[H\x1b]52;c;cHduZWQ=\x07\x1b[5;5HMOVED\x1b]0;pwned\x07\x1b[31mred\r\nafter"
	conn := testenv.Dial(t, env, vh)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 1))
	if err := ch.Publish("", "evil", false, false, amqp091.Publishing{ContentType: "text/plain\x1b[2J",
		Headers: amqp091.Table{"note\x1b]52;c;eA==\x07": hostile}, Body: []byte(hostile)}); err != nil {
		t.Fatal(err)
	}
	if c := <-confirms; !c.Ack {
		t.Fatal("test message nacked")
	}
	ch.Close()

	amqpURL := env.AMQPURL
	tm := start(t, 120, 40, credentials(env), "--url", env.MgmtURL, "--prometheus-url", env.PromURL,
		"--amqp-url", amqpURL, "--refresh", "500ms")
	tm.tmux("set-option", "-g", "set-clipboard", "on") // an OSC 52 that got through would create a buffer
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	tm.keys(":")
	tm.text("vhost " + vh)
	tm.keys("Enter")
	tm.keys("/")
	tm.text("^evil$")
	tm.keys("Enter")
	tm.waitFor(15*time.Second, "1/1 queues matching")
	tm.keys("m")
	tm.waitFor(10*time.Second, "Browse evil", "messages")
	tm.keys("C-s")
	s := tm.waitFor(15*time.Second, "Messages of evil", "marks them redelivered", "body (text")
	lines := strings.Split(s, "\n")
	if !strings.Contains(lines[0], "RabbitMQ") || !strings.Contains(lines[4], "Messages of evil") {
		t.Fatalf("the screen was moved or cleared:\n%s", s)
	}
	if !strings.Contains(s, "before") || !strings.Contains(s, "after") {
		t.Fatalf("body not shown:\n%s", s)
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "    MOVED") || (i == 4 && strings.HasPrefix(l, "    ")) {
			t.Fatalf("a cursor move took effect:\n%s", s)
		}
	}
	if out := tm.tmux("list-buffers"); strings.TrimSpace(out) != "" {
		t.Fatalf("OSC 52 reached the terminal: tmux buffers %q", out)
	}
	if title := tm.tmux("display-message", "-p", "-t", tm.name, "#{pane_title}"); strings.Contains(title, "pwned") {
		t.Fatalf("the window title was changed to %q", title)
	}
	if n := ready(t, env, vh, "evil"); n != 1 {
		t.Fatalf("evil holds %d ready messages after browsing, want 1", n)
	}

	// Publish to the queue from its row.
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")
	tm.keys("p")
	tm.waitFor(10*time.Second, "Publish to evil")
	for range 14 { // to the body field
		tm.keys("Tab")
	}
	tm.text(`{"from":"e2e"}`)
	tm.keys("C-s")
	tm.waitFor(15*time.Second, "confirmed and routed")
	if n := ready(t, env, vh, "evil"); n != 2 {
		t.Fatalf("evil holds %d ready messages after publishing, want 2", n)
	}
	// Unroutable: a routing key no queue is bound with.
	for range 13 { // back to the routing key
		tm.keys("BTab")
	}
	tm.keys("C-u")
	tm.text("nowhere-" + url.PathEscape(vh))
	tm.keys("C-s")
	tm.waitFor(15*time.Second, "returned: unroutable (312 NO_ROUTE)")
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")

	// A test RPC to a queue nobody answers times out cleanly.
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "/2 queues in vhost")
	tm.keys("/")
	tm.text("^silent$")
	tm.keys("Enter")
	tm.waitFor(15*time.Second, "1/1 queues matching")
	tm.keys("R")
	tm.waitFor(10*time.Second, "Test RPC to silent")
	for range 13 { // to the timeout field
		tm.keys("Tab")
	}
	tm.keys("C-u")
	tm.text("1s")
	tm.keys("C-s")
	tm.waitFor(15*time.Second, "no reply within 1s")
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "1/1 queues matching")
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}
