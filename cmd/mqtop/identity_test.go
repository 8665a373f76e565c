package main

// Two private brokers on one host: mqtop pointed at A's management port must
// list, publish, browse, purge and RPC on A — never on B, which holds the
// ports a fixed derivation from A's URL would pick — and refuse an endpoint
// that is configured but belongs to B.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/config"
	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/tui"
)

type twoBrokers struct {
	a, b  testenv.Env
	vhost string
}

// setupTwo starts B beside the shared broker A and gives both a vhost of the
// same name holding a queue "orders" of the same name: A's with 3 messages,
// B's with 5, so that reaching the wrong one shows in the counts.
func setupTwo(t *testing.T) twoBrokers {
	t.Helper()
	a := testenv.Broker(t)
	other := testenv.StartBroker(t, testenv.BrokerOptions{PreferDefaultPorts: true})
	if other.AMQPPort != "5672" || other.PromPort != "15692" {
		// Something else holds the default ports (a demo broker): B still
		// differs from A, and A's own ports are still what must be used.
		t.Logf("B got amqp %s, prometheus %s (the defaults are taken on this host)", other.AMQPPort, other.PromPort)
	}
	b := other.Env
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	vh := "mqtop-ident-" + hex.EncodeToString(buf)
	for _, env := range []testenv.Env{a, b} {
		testenv.CreateVHost(t, env, vh)
		testenv.DeclareQueue(t, env, vh, "orders", nil)
	}
	testenv.Publish(t, a, vh, "", "orders", []byte("a1"), []byte("a2"), []byte("a3"))
	testenv.Publish(t, b, vh, "", "orders", []byte("b1"), []byte("b2"), []byte("b3"), []byte("b4"), []byte("b5"))
	return twoBrokers{a: a, b: b, vhost: vh}
}

// depsFor builds the clients exactly as mqtop does for a context.
func depsFor(t *testing.T, c config.Context) tui.Deps {
	t.Helper()
	if c.Name == "" {
		c.Name = "test"
	}
	c.User, c.Password = "guest", "guest"
	d, err := connect(&config.Config{}, c, keys.Default(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func ready(t *testing.T, env testenv.Env, vhost, queue string) int64 {
	t.Helper()
	// The queue's own GET lags the broker by a statistics interval; a
	// passive declare answers what the queue holds now.
	conn := testenv.Dial(t, env, vhost)
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("passive declare %s on %s: %v", queue, env.MgmtURL, err)
	}
	return int64(q.Messages)
}

// page reads the queue list of vhost once its statistics have caught up
// with the messages the test published (they lag by an emission interval).
func page(t *testing.T, d tui.Deps, vhost string) mgmt.QueuePage {
	t.Helper()
	var p mgmt.QueuePage
	testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if p, err = d.Source.QueuePage(ctx, mgmt.QueueQuery{VHost: vhost, Limit: 50}); err != nil {
			t.Fatal(err)
		}
		for _, q := range p.Queues {
			if q.Messages.N == 0 {
				return false, fmt.Sprintf("no statistics yet: %+v", p.Queues)
			}
		}
		return true, ""
	})
	return p
}

func TestTwoBrokersActOnlyOnTheOneInTheHeader(t *testing.T) {
	tb := setupTwo(t)
	a, b, vh := tb.a, tb.b, tb.vhost
	d := depsFor(t, config.Context{URLs: []string{a.MgmtURL}}) // no flag but --url
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The list: A's queue, from A's own Prometheus listener.
	p := page(t, d, vh)
	if len(p.Queues) != 1 || p.Queues[0].Name != "orders" || p.Queues[0].Messages.N != 3 {
		t.Fatalf("queue list of A: %+v", p.Queues)
	}
	if st := d.Source.Status(); st.Source != "prometheus" || st.Distrust != "" {
		t.Fatalf("the index from A's listener was not used: %+v", st)
	}

	// Publish, browse, purge: A changes, B does not.
	if res, err := d.AMQP.Publish(ctx, amqp.PublishRequest{VHost: vh, RoutingKey: "orders", Body: []byte("a4")}); err != nil || res.Outcome != amqp.Confirmed {
		t.Fatalf("publish: %v %v", res, err)
	}
	if n := ready(t, a, vh, "orders"); n != 4 {
		t.Fatalf("A holds %d after the publish, want 4", n)
	}
	br, err := d.AMQP.Browse(ctx, amqp.BrowseRequest{VHost: vh, Queue: "orders", QueueType: amqp.Classic, N: 10})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range br.Messages {
		bodies = append(bodies, string(m.Body))
	}
	if strings.Join(bodies, ",") != "a1,a2,a3,a4" {
		t.Fatalf("browse read %q, want A's a1..a4", bodies)
	}

	// RPC: a responder on A only.
	respond(t, a, vh, "rpc")
	rr, err := d.AMQP.RPC(ctx, amqp.RPCRequest{PublishRequest: amqp.PublishRequest{VHost: vh, RoutingKey: "rpc", Body: []byte("ping")}, Timeout: 10 * time.Second})
	if err != nil || rr.Reply == nil || string(rr.Reply.Body) != "pong from A" {
		t.Fatalf("rpc: %+v %v", rr, err)
	}

	if n, err := d.Admin.Purge(ctx, vh, "orders"); err != nil || n != 4 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if n := ready(t, a, vh, "orders"); n != 0 {
		t.Fatalf("A holds %d after the purge", n)
	}
	if n := ready(t, b, vh, "orders"); n != 5 {
		t.Fatalf("B holds %d, want its 5 untouched", n)
	}
	// mqtop's connection is on A, named mqtop.
	var conns []struct {
		Name   string `json:"name"`
		Client struct {
			Name string `json:"connection_name"`
		} `json:"client_properties"`
		VHost string `json:"vhost"`
	}
	testenv.WaitFor(t, 15*time.Second, func() (bool, string) {
		testenv.GetJSON(t, a, "connections", &conns)
		for _, c := range conns {
			if c.VHost == vh && c.Client.Name == "mqtop" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("no mqtop connection on A: %+v", conns)
	})
	testenv.GetJSON(t, b, "connections", &conns)
	for _, c := range conns {
		if c.Client.Name == "mqtop" {
			t.Fatalf("mqtop connected to B: %+v", c)
		}
	}
}

func TestExplicitEndpointOfAnotherBrokerIsRefused(t *testing.T) {
	tb := setupTwo(t)
	a, b, vh := tb.a, tb.b, tb.vhost
	var aID, bID struct {
		Cluster string `json:"cluster_name"`
	}
	testenv.GetJSON(t, a, "overview", &aID)
	testenv.GetJSON(t, b, "overview", &bID)
	d := depsFor(t, config.Context{URLs: []string{a.MgmtURL}, AMQPURL: b.AMQPURL, PrometheusURL: b.PromURL})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	p := page(t, d, vh)
	if len(p.Queues) != 1 || p.Queues[0].Messages.N != 3 {
		t.Fatalf("the list must still be A's (from A's management API): %+v", p.Queues)
	}
	st := d.Source.Status()
	if st.Source != "management" || !strings.Contains(st.Distrust, aID.Cluster) || !strings.Contains(st.Distrust, bID.Cluster) {
		t.Fatalf("B's Prometheus endpoint not refused naming both brokers: %+v", st)
	}

	_, err := d.Admin.Purge(ctx, vh, "orders")
	var wb *amqp.WrongBroker
	if !errors.As(err, &wb) || !strings.Contains(err.Error(), aID.Cluster) || !strings.Contains(err.Error(), bID.Cluster) {
		t.Fatalf("purge through B's AMQP port: %v", err)
	}
	if _, err := d.AMQP.Publish(ctx, amqp.PublishRequest{VHost: vh, RoutingKey: "orders", Body: []byte("x")}); !errors.As(err, &wb) {
		t.Fatalf("publish through B's AMQP port: %v", err)
	}
	if n := ready(t, b, vh, "orders"); n != 5 {
		t.Fatalf("B holds %d, want its 5 untouched", n)
	}
	if n := ready(t, a, vh, "orders"); n != 3 {
		t.Fatalf("A holds %d, want its 3", n)
	}
	if r, ok := d.AMQP.(interface{ Refused() error }); !ok || r.Refused() == nil {
		t.Fatal("the session does not report the refusal for the header")
	}
}

// TestConfiguredEndpointsWin: explicit URLs are used over the listeners
// (through counting proxies to A, so the path is visible).
func TestConfiguredEndpointsWin(t *testing.T) {
	a := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, a, vh, "orders", nil)
	testenv.Publish(t, a, vh, "", "orders", []byte("one"))
	amqpProxy, dials := tcpProxy(t, hostOf(t, a.AMQPURL))
	promTarget, _ := url.Parse(a.PromURL)
	var scrapes atomic.Int32
	rp := httputil.NewSingleHostReverseProxy(promTarget)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { scrapes.Add(1); rp.ServeHTTP(w, r) })}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	d := depsFor(t, config.Context{URLs: []string{a.MgmtURL}, AMQPURL: "amqp://" + amqpProxy, PrometheusURL: "http://" + ln.Addr().String()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if p := page(t, d, vh); len(p.Queues) != 1 || d.Source.Status().Source != "prometheus" {
		t.Fatalf("page %+v status %+v", p.Queues, d.Source.Status())
	}
	if scrapes.Load() == 0 {
		t.Fatal("the configured Prometheus URL was not scraped")
	}
	if _, err := d.AMQP.Publish(ctx, amqp.PublishRequest{VHost: vh, RoutingKey: "orders", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if dials.Load() == 0 {
		t.Fatal("the configured AMQP URL was not dialled")
	}
}

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// tcpProxy forwards connections to target and counts them.
func tcpProxy(t *testing.T, target string) (string, *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return ln.Addr().String(), &n
}

// respond answers requests on queue (declared here) with "pong from A".
func respond(t *testing.T, env testenv.Env, vhost, queue string) {
	t.Helper()
	testenv.DeclareQueue(t, env, vhost, queue, nil)
	conn := testenv.Dial(t, env, vhost)
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(queue, "responder", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for m := range ds {
			_ = ch.Publish("", m.ReplyTo, false, false, amqp091.Publishing{CorrelationId: m.CorrelationId, Body: []byte("pong from A")})
		}
	}()
}
