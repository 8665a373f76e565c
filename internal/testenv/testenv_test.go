package testenv

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestMain(m *testing.M) { Main(m) }

// The harness itself: declare, publish, hold, and read the counts back
// through the management API.
func TestPublishHoldAndReadCounts(t *testing.T) {
	env := Broker(t)
	vh := VHost(t)
	DeclareQueue(t, env, vh, "work", nil)
	bodies := make([][]byte, 10)
	for i := range bodies {
		bodies[i] = []byte(fmt.Sprint(i))
	}
	Publish(t, env, vh, "", "work", bodies...)
	Hold(t, env, vh, "work", 3)
	WaitFor(t, 30*time.Second, func() (bool, string) {
		var q struct {
			Ready   *int `json:"messages_ready"`
			Unacked *int `json:"messages_unacknowledged"`
		}
		GetJSON(t, env, "queues/"+url.PathEscape(vh)+"/work", &q)
		if q.Ready == nil || q.Unacked == nil {
			return false, "no counts yet"
		}
		return *q.Ready == 7 && *q.Unacked == 3, fmt.Sprintf("ready %d unacked %d", *q.Ready, *q.Unacked)
	})
}

func TestQuorumAndStreamDeclare(t *testing.T) {
	env := Broker(t)
	vh := VHost(t)
	DeclareQueue(t, env, vh, "qq", amqp.Table{"x-queue-type": "quorum"})
	DeclareQueue(t, env, vh, "st", amqp.Table{"x-queue-type": "stream"})
	for name, want := range map[string]string{"qq": "quorum", "st": "stream"} {
		var q struct{ Type string }
		GetJSON(t, env, "queues/"+url.PathEscape(vh)+"/"+name, &q)
		if q.Type != want {
			t.Fatalf("%s has type %q, want %q", name, q.Type, want)
		}
	}
}
