package mgmt

import (
	"errors"
	"strings"
	"testing"
)

func TestListenerURL(t *testing.T) {
	id := Identity{Node: "rabbit@a", Listeners: []Listener{
		{Node: "rabbit@b", Protocol: "amqp", Port: 1111}, // another node's: never taken
		{Node: "rabbit@a", Protocol: "clustering", Port: 25672},
		{Node: "rabbit@a", Protocol: "amqp", IP: "127.0.0.1", Port: 35672},
		{Node: "rabbit@a", Protocol: "amqp/ssl", IP: "::", Port: 35671},
		{Node: "rabbit@a", Protocol: "http", Port: 45672},
		{Node: "rabbit@a", Protocol: "http/prometheus", Port: 45692},
	}}
	cases := []struct{ mgmt, kind, want string }{
		{"http://localhost:45672", KindAMQP, "amqp://localhost:35672"},
		{"https://rabbit.example.com:45672", KindAMQP, "amqps://rabbit.example.com:35671"},
		{"http://localhost:45672", KindPrometheus, "http://localhost:45692"},
		// https management, but the node only has a plain Prometheus listener.
		{"https://rabbit.example.com/mgmt", KindPrometheus, "http://rabbit.example.com:45692"},
		{"http://[::1]:45672", KindAMQP, "amqp://[::1]:35672"},
	}
	for _, c := range cases {
		got, err := ListenerURL(c.mgmt, id, c.kind)
		if err != nil || got != c.want {
			t.Errorf("ListenerURL(%s, %s) = %q, %v; want %q", c.mgmt, c.kind, got, err, c.want)
		}
	}
	noProm := Identity{Node: "rabbit@a", Listeners: []Listener{{Node: "rabbit@a", Protocol: "amqp", Port: 5672}}}
	_, err := ListenerURL("http://h:15672", noProm, KindPrometheus)
	if err == nil || !strings.Contains(err.Error(), "rabbitmq_prometheus") || !strings.Contains(err.Error(), "rabbit@a") {
		t.Errorf("no Prometheus listener: %v", err)
	}
	// A management user sees no listeners: the default ports on the
	// management host, which must still prove their cluster when dialled.
	for _, c := range []struct{ mgmt, kind, want string }{
		{"http://h:15672", KindAMQP, "amqp://h:5672"},
		{"https://h:15671", KindAMQP, "amqps://h:5671"},
		{"http://h:15672", KindPrometheus, "http://h:15692"},
		{"https://h:15671", KindPrometheus, "https://h:15691"},
	} {
		if got, err := ListenerURL(c.mgmt, Identity{}, c.kind); err != nil || got != c.want {
			t.Errorf("no listeners shown: ListenerURL(%s, %s) = %q, %v; want %q", c.mgmt, c.kind, got, err, c.want)
		}
	}
}

func TestCheckIdentity(t *testing.T) {
	want := Identity{Cluster: "A", Node: "a@h", Endpoint: "http://h:45672"}
	if err := checkIdentity(KindPrometheus, "http://h:45692", promIdentity{Cluster: "A", Node: "a@h"}, want, true); err != nil {
		t.Fatalf("same node: %v", err)
	}
	// Derived for a user the broker does not tell which node answered: the
	// cluster decides.
	anon := Identity{Cluster: "A", Endpoint: "http://h:15672"}
	if err := checkIdentity(KindPrometheus, "http://h:15692", promIdentity{Cluster: "A", Node: "a@h"}, anon, true); err != nil {
		t.Fatalf("node not known, same cluster: %v", err)
	}
	if err := checkIdentity(KindPrometheus, "http://h:15692", promIdentity{Cluster: "B", Node: "b@h"}, anon, true); err == nil {
		t.Fatal("node not known, another cluster: accepted")
	}
	// A configured endpoint may be another node of the same cluster.
	if err := checkIdentity(KindPrometheus, "http://h2:15692", promIdentity{Cluster: "A", Node: "a2@h"}, want, false); err != nil {
		t.Fatalf("other node, same cluster, configured: %v", err)
	}
	// Derived for node a@h, another node answered: not what was derived.
	if err := checkIdentity(KindPrometheus, "http://h:15692", promIdentity{Cluster: "A", Node: "a2@h"}, want, true); err == nil {
		t.Fatal("derived endpoint answered by another node: accepted")
	}
	err := checkIdentity(KindPrometheus, "http://h:15692", promIdentity{Cluster: "B", Node: "b@h"}, want, false)
	var wb *WrongBroker
	if !errors.As(err, &wb) {
		t.Fatalf("another cluster: %v", err)
	}
	msg := err.Error()
	for _, s := range []string{"http://h:15692", `cluster "B"`, "b@h", `cluster "A"`, "http://h:45672"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q does not name %q", msg, s)
		}
	}
	if err := checkIdentity(KindPrometheus, "http://h:15692", promIdentity{}, want, false); err == nil ||
		!strings.Contains(err.Error(), "no rabbitmq_identity_info") {
		t.Errorf("an endpoint that says nothing of itself: %v", err)
	}
}

func TestIndexCompleteness(t *testing.T) {
	s := &IndexSource{}
	id := Identity{Queues: C(1000)}
	s.checkComplete("", 995, id) // within 1%: churn
	s.checkComplete("", 995, id)
	if s.Incomplete() != "" {
		t.Fatalf("a gap within the tolerance reported: %q", s.Incomplete())
	}
	s.checkComplete("", 500, id)
	if s.Incomplete() != "" {
		t.Fatal("one scrape with a gap reported at once (could be churn)")
	}
	s.checkComplete("", 500, id)
	if got := s.Incomplete(); !strings.Contains(got, "500 of the cluster's 1000") {
		t.Fatalf("a lasting gap: %q", got)
	}
	s.checkComplete("", 1000, id)
	if s.Incomplete() != "" {
		t.Fatal("gap not cleared by a complete scrape")
	}
	s.checkComplete("", 10, Identity{}) // no count known: nothing to say
	s.checkComplete("", 10, Identity{})
	if s.Incomplete() != "" {
		t.Fatal("gap reported without a queue count")
	}
}
