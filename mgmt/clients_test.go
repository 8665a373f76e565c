package mgmt_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/instance"
	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// clDialAs opens an AMQP connection with the given client properties, closed
// when the test ends.
func clDialAs(t *testing.T, env testenv.Env, vhost string, props amqp.Table) *amqp.Connection {
	t.Helper()
	u, err := url.Parse(env.AMQPURLFor(vhost))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(env.User, env.Password)
	conn, err := amqp.DialConfig(u.String(), amqp.Config{Properties: props, Heartbeat: 10 * time.Second})
	if err != nil {
		t.Fatalf("dial %s: %v", env.AMQPURLFor(vhost), err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// clOpenChannels opens n channels on conn.
func clOpenChannels(t *testing.T, conn *amqp.Connection, n int) []*amqp.Channel {
	t.Helper()
	var out []*amqp.Channel
	for i := 0; i < n; i++ {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ch)
	}
	return out
}

// clPortsFilter is a name regex matching exactly the given connections (and
// their channels): the broker names a connection "client:port -> server:port".
func clPortsFilter(conns ...*amqp.Connection) string {
	var ports []string
	for _, c := range conns {
		ports = append(ports, fmt.Sprint(c.LocalAddr().(*net.TCPAddr).Port))
	}
	return `:(` + strings.Join(ports, "|") + `) -> `
}

func clConnNames(p mgmt.ListPage[mgmt.Connection]) string {
	var out []string
	for _, c := range p.Items {
		out = append(out, fmt.Sprintf("%s[%s ch=%s]", c.Name, c.ClientName, fmtC(c.Channels)))
	}
	return strings.Join(out, " ")
}

// clWaitConnections polls until check accepts the page.
func clWaitConnections(t *testing.T, c *mgmt.Client, q mgmt.ListQuery, check func(mgmt.ListPage[mgmt.Connection]) string) mgmt.ListPage[mgmt.Connection] {
	t.Helper()
	var last mgmt.ListPage[mgmt.Connection]
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		p, err := c.Connections(context.Background(), q)
		if err != nil {
			return false, err.Error()
		}
		last = p
		why := check(p)
		return why == "", why
	})
	return last
}

// Four connections with 0 (mqtop's own), 1, 2 and 3 channels, seen across
// all vhosts (paged by the API) and in their vhost (cut by mqtop).
func TestConnectionsPagingSortFilterAndMine(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c := client(t, env)
	mine := clDialAs(t, env, vh, amqp.Table{"connection_name": "mqtop", "product": "mqtop", "version": "test", instance.Property: instance.ID})
	var others []*amqp.Connection
	for n := 1; n <= 3; n++ {
		conn := testenv.Dial(t, env, vh)
		clOpenChannels(t, conn, n)
		others = append(others, conn)
	}
	all := append([]*amqp.Connection{mine}, others...)
	filter := clPortsFilter(all...)
	byChannels := func(p mgmt.ListPage[mgmt.Connection]) []int64 {
		var out []int64
		for _, conn := range p.Items {
			out = append(out, conn.Channels.Or(-1))
		}
		return out
	}
	for _, scope := range []string{"", vh} {
		paged := scope == ""
		q := mgmt.ListQuery{VHost: scope, Filter: filter, Sort: "channels", Desc: true, Limit: 2}
		p := clWaitConnections(t, c, q, func(p mgmt.ListPage[mgmt.Connection]) string {
			if p.Matched != 4 || !slices.Equal(byChannels(p), []int64{3, 2}) {
				return fmt.Sprintf("scope %q: matched %d: %s", scope, p.Matched, clConnNames(p))
			}
			for _, conn := range p.Items {
				if !conn.RecvRate.OK || !conn.SendRate.OK {
					return "byte rates not in yet: " + clConnNames(p)
				}
			}
			return ""
		})
		if p.Paged != paged || p.Offset != 0 || p.Total < 4 || len(p.Raw) != 2 || !strings.Contains(string(p.Raw[0]), "avg_rate") {
			t.Fatalf("scope %q: paged %v offset %d total %d raw %d", scope, p.Paged, p.Offset, p.Total, len(p.Raw))
		}
		if !paged && p.Total != 4 {
			t.Fatalf("the test vhost holds 4 connections, total says %d", p.Total)
		}
		// The second window, and the other direction.
		p = clWaitConnections(t, c, mgmt.ListQuery{VHost: scope, Filter: filter, Sort: "channels", Desc: true, Offset: 2, Limit: 2},
			func(p mgmt.ListPage[mgmt.Connection]) string {
				if p.Offset != 2 || !slices.Equal(byChannels(p), []int64{1, 0}) {
					return fmt.Sprintf("window 2: offset %d %s", p.Offset, clConnNames(p))
				}
				return ""
			})
		if !p.Items[1].Mine || p.Items[0].Mine {
			t.Fatalf("mine not flagged: %s", clConnNames(p))
		}
		clWaitConnections(t, c, mgmt.ListQuery{VHost: scope, Filter: filter, Sort: mgmt.ConnectionSort["channels"], Limit: 3},
			func(p mgmt.ListPage[mgmt.Connection]) string {
				if !slices.Equal(byChannels(p), []int64{0, 1, 2}) {
					return "ascending: " + clConnNames(p)
				}
				return ""
			})
		// By name both ways.
		for _, desc := range []bool{false, true} {
			p, err := c.Connections(context.Background(), mgmt.ListQuery{VHost: scope, Filter: filter, Sort: "name", Desc: desc})
			if err != nil || len(p.Items) != 4 {
				t.Fatalf("by name: %v %s", err, clConnNames(p))
			}
			if !slices.IsSortedFunc(p.Items, func(a, b mgmt.Connection) int {
				if desc {
					a, b = b, a
				}
				return strings.Compare(a.Name, b.Name)
			}) {
				t.Fatalf("by name desc=%v not ordered: %s", desc, clConnNames(p))
			}
		}
		// By client name: "mqtop" sorts before "mqtop-test".
		p, err := c.Connections(context.Background(), mgmt.ListQuery{VHost: scope, Filter: filter, Sort: "client", Limit: 1})
		if err != nil || len(p.Items) != 1 || !p.Items[0].Mine || p.Items[0].ClientName != "mqtop" {
			t.Fatalf("by client: %v %s", err, clConnNames(p))
		}
		p, err = c.Connections(context.Background(), mgmt.ListQuery{VHost: scope, Filter: filter, Sort: "client", Desc: true, Limit: 1})
		if err != nil || len(p.Items) != 1 || p.Items[0].Mine || p.Items[0].ClientName != "mqtop-test" {
			t.Fatalf("by client desc: %v %s", err, clConnNames(p))
		}
	}
	// One row in full.
	p, err := c.Connections(context.Background(), mgmt.ListQuery{Filter: clPortsFilter(mine)})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("%v %s", err, clConnNames(p))
	}
	me := p.Items[0]
	port := int64(mine.LocalAddr().(*net.TCPAddr).Port)
	if !me.Mine || me.Product != "mqtop" || me.Version != "test" || me.User != env.User || me.VHost != vh ||
		me.State != "running" || me.Protocol != "AMQP 0-9-1" || me.PeerPort != mgmt.C(port) || me.TLS || me.Node == "" {
		t.Fatalf("row wrong: %+v", me)
	}
	// Another vhost's list does not hold them.
	if p, err := c.Connections(context.Background(), mgmt.ListQuery{VHost: "/", Filter: filter}); err != nil || p.Matched != 0 {
		t.Fatalf("vhost / lists them: %v %s", err, clConnNames(p))
	}
}

func TestConnectionDetailAndChannels(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c := client(t, env)
	conn := clDialAs(t, env, vh, amqp.Table{"connection_name": "mqtop", "product": "mqtop", "platform": "Go", instance.Property: instance.ID})
	clOpenChannels(t, conn, 3)
	var name string
	clWaitConnections(t, c, mgmt.ListQuery{Filter: clPortsFilter(conn)}, func(p mgmt.ListPage[mgmt.Connection]) string {
		if len(p.Items) != 1 || p.Items[0].Channels != mgmt.C(3) {
			return "not in yet: " + clConnNames(p)
		}
		name = p.Items[0].Name
		return ""
	})
	got, err := c.GetConnection(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Mine || got.Platform != "Go" || got.ClientProperties["capabilities"] == nil || !strings.Contains(string(got.Raw), `"client_properties"`) {
		t.Fatalf("detail: %+v", got)
	}
	// The connection's channel count comes with its own statistics; the
	// channels themselves are listed once theirs are emitted (a moment
	// later under load: seen empty once in CI).
	var chs []mgmt.Channel
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		chs, err = c.ConnectionChannels(context.Background(), name)
		return err == nil && len(chs) == 3, fmt.Sprintf("channels %+v, %v", chs, err)
	})
	for i, ch := range chs {
		if ch.Number != mgmt.C(int64(i+1)) || ch.ConnectionName != name || ch.VHost != vh || ch.Name != fmt.Sprintf("%s (%d)", name, i+1) {
			t.Fatalf("channel %d: %+v", i, ch)
		}
	}
	_, err = c.GetConnection(context.Background(), "no such connection")
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `read connection "no such connection"`) {
		t.Fatalf("missing connection: %v", err)
	}
	_, err = c.Connections(context.Background(), mgmt.ListQuery{VHost: "no-such-vhost-h4"})
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), "list connections in vhost") {
		t.Fatalf("missing vhost: %v", err)
	}
}

// A filter "user:RE" (or client:, node:, host:, product:) matches that
// field, not the name: the connections of one user, found among others, in
// every scope; a bad regex after the prefix is an error, not a full list.
func TestConnectionsFilterByField(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c := client(t, env)
	name := "oncall-" + acRandomSuffix(t)
	acUser(t, env, name, "")
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(name),
		map[string]string{"configure": "", "write": "", "read": ".*"})
	theirs, _ := dialUser(t, env, name, "x", vh, amqp.Table{"connection_name": "billing-" + name})
	mine := testenv.Dial(t, env, vh) // guest's, in the same vhost
	port := func(conn *amqp.Connection) string { return fmt.Sprint(conn.LocalAddr().(*net.TCPAddr).Port) }
	for _, scope := range []string{"", vh} {
		for _, filter := range []string{"user:^" + name + "$", "client:^billing-" + name + "$"} {
			clWaitConnections(t, c, mgmt.ListQuery{VHost: scope, Filter: filter}, func(p mgmt.ListPage[mgmt.Connection]) string {
				if p.Matched != 1 || len(p.Items) != 1 || !strings.Contains(p.Items[0].Name, ":"+port(theirs)+" ->") || p.Items[0].User != name {
					return fmt.Sprintf("scope %q filter %q: matched %d: %s", scope, filter, p.Matched, clConnNames(p))
				}
				return ""
			})
		}
		// Guest's connection is found by its user too, and not by the other's.
		p, err := c.Connections(context.Background(), mgmt.ListQuery{VHost: scope, Filter: "user:^" + env.User + "$", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, conn := range p.Items {
			found = found || strings.Contains(conn.Name, ":"+port(mine)+" ->")
			if conn.User != env.User {
				t.Errorf("user filter for %s lists %s's connection %s", env.User, conn.User, conn.Name)
			}
		}
		if !found {
			t.Errorf("scope %q: guest's connection not found by user: %s", scope, clConnNames(p))
		}
	}
	// The node filter keeps every connection of the only node.
	p, err := c.Connections(context.Background(), mgmt.ListQuery{VHost: vh, Filter: "node:."})
	if err != nil || p.Matched != 2 {
		t.Fatalf("node filter: %v, %s", err, clConnNames(p))
	}
	if _, err := c.Connections(context.Background(), mgmt.ListQuery{Filter: "user:("}); err == nil || !strings.Contains(err.Error(), "bad filter") {
		t.Fatalf("a bad regex after user: gives %v", err)
	}
}
