package amqp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// deadAMQP is a loopback address nothing listens on.
func deadAMQP(t *testing.T) string { return "amqp://" + testenv.ClosedAddr(t) }

// A context lists an AMQP URL per node: when the first does not answer the
// session dials the next; a broker that answers with a refusal (another
// cluster) is not passed over for the next.
func TestSessionDialsTheNextEndpoint(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "ep-q", nil)
	testenv.Publish(t, env, vh, "", "ep-q", numbered(3)...)
	var cluster string
	{
		s := newSession(t)
		c, err := s.acquire(testCtx(t), vh)
		if err != nil {
			t.Fatal(err)
		}
		cluster, _ = c.Properties["cluster_name"].(string)
	}
	dead := deadAMQP(t)
	s := newSession(t, func(c *Config) {
		c.Target = func(context.Context) (Target, error) {
			return Target{URL: dead, Others: []string{env.AMQPURL}, Cluster: cluster, Via: "test"}, nil
		}
	})
	n, err := s.Purge(testCtx(t), vh, "ep-q")
	if err != nil || n != 3 {
		t.Fatalf("purge through the second endpoint: %d %v", n, err)
	}

	// The first endpoint answers as another cluster: refused, and the
	// second is not tried (it would be the same misconfiguration).
	other := newSession(t, func(c *Config) {
		c.Target = func(context.Context) (Target, error) {
			return Target{URL: env.AMQPURL, Others: []string{dead}, Cluster: "not-" + cluster, Via: "test"}, nil
		}
	})
	_, err = other.Purge(testCtx(t), vh, "ep-q")
	var wb *WrongBroker
	if !errors.As(err, &wb) {
		t.Fatalf("another cluster's endpoint: %v", err)
	}
	// Every endpoint dead: the error names the last one tried.
	none := newSession(t, func(c *Config) {
		c.Target = func(context.Context) (Target, error) {
			return Target{URL: dead, Others: []string{dead}, Cluster: cluster}, nil
		}
	})
	if _, err := none.Purge(testCtx(t), vh, "ep-q"); err == nil {
		t.Fatal("no endpoint answers, yet purge succeeded")
	}
}

// A connection of the session closed from the management API is reported
// once, with the broker's code and the reason the operator typed.
func TestSessionReportsAConnectionClosedByTheBroker(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	s := newSession(t)
	if _, err := s.acquire(testCtx(t), vh); err != nil {
		t.Fatal(err)
	}
	var name string
	testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
		for _, c := range testenv.MqtopConnections(t, env) {
			if c.VHost == vh {
				name = c.Name
			}
		}
		return name != "", "the session's connection listed"
	})
	testenv.CloseConnection(t, env, name, "closed by ops via mqtop: rotating credentials")
	var lost []Lost
	testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
		lost = append(lost, s.TakeLost()...)
		return len(lost) > 0, "the close reported"
	})
	if l := lost[0]; l.VHost != vh || l.Code != 320 || !strings.Contains(l.Reason, "rotating credentials") {
		t.Fatalf("lost %+v", l)
	}
	if again := s.TakeLost(); len(again) != 0 {
		t.Fatalf("reported twice: %+v", again)
	}
}
