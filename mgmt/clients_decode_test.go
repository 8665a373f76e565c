package mgmt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/internal/instance"
)

// The fixtures are real answers of a 3.10 broker to the requests mqtop
// makes (same columns and rate windows). Each is decoded as it is, with
// every null field removed (3.13+ omits them) and with every statistic
// removed as well (stats collection off, or not emitted yet).

func clFixture(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// clItems returns a paged answer's items, a list as it is, and a single
// object as a list of one.
func clItems(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case map[string]any:
		if items, ok := x["items"].([]any); ok {
			return items
		}
		return []any{x}
	}
	return nil
}

func clRaw(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clDropNulls removes every null field, at any depth.
func clDropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e != nil {
				out[k] = clDropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clDropNulls(e)
		}
		return out
	}
	return v
}

// clIsRate reports a rate object ({"rate": x, "avg_rate": y, ...}); not
// every *_details is one (connection_details, consumer_details).
func clIsRate(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, r := m["rate"]
	_, a := m["avg_rate"]
	return r || a
}

// clDropStats removes nulls and every statistic: each number, each rate
// object and message_stats, at any depth. What is left are
// names, strings and flags, which a broker sends with stats off.
func clDropStats(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if _, num := e.(float64); num || e == nil || clIsRate(e) || k == "message_stats" {
				continue
			}
			out[k] = clDropStats(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clDropStats(e)
		}
		return out
	}
	return v
}

// clAllUnknown fails on any Count or Rate in v that is known.
func clAllUnknown(t *testing.T, what string, v any) {
	t.Helper()
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		switch rv.Type() {
		case reflect.TypeOf(Count{}):
			if rv.Interface().(Count).OK {
				t.Errorf("%s%s: known %v with no statistics", what, path, rv.Interface())
			}
			return
		case reflect.TypeOf(Rate{}):
			if rv.Interface().(Rate).OK {
				t.Errorf("%s%s: known %v with no statistics", what, path, rv.Interface())
			}
			return
		}
		switch rv.Kind() {
		case reflect.Struct:
			for i := 0; i < rv.NumField(); i++ {
				walk(path+"."+rv.Type().Field(i).Name, rv.Field(i))
			}
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Struct {
				for i := 0; i < rv.Len(); i++ {
					walk(path+"[]", rv.Index(i))
				}
			}
		}
	}
	walk("", reflect.ValueOf(v))
}

// clVariants decodes every item of a fixture as it is, without nulls and
// without statistics; the first two must agree, the last must know no
// Count or Rate. It returns the items decoded as they are.
func clVariants[T any](t *testing.T, name string, decode func(json.RawMessage) (T, error)) []T {
	t.Helper()
	v := clFixture(t, name)
	var asIs []T
	for i, item := range clItems(v) {
		row, err := decode(clRaw(t, item))
		if err != nil {
			t.Fatalf("%s item %d: %v", name, i, err)
		}
		sparse, err := decode(clRaw(t, clDropNulls(item)))
		if err != nil {
			t.Fatalf("%s item %d without nulls: %v", name, i, err)
		}
		if !reflect.DeepEqual(row, sparse) {
			t.Errorf("%s item %d: nulls removed decodes differently:\n%+v\n%+v", name, i, row, sparse)
		}
		bare, err := decode(clRaw(t, clDropStats(item)))
		if err != nil {
			t.Fatalf("%s item %d without stats: %v", name, i, err)
		}
		clAllUnknown(t, name, bare)
		asIs = append(asIs, row)
	}
	if len(asIs) == 0 {
		t.Fatalf("%s: no items", name)
	}
	return asIs
}

func TestDecodeConnectionsFixture(t *testing.T) {
	conns := clVariants(t, "clients_connections.json", decodeConnection)
	if len(conns) != 3 {
		t.Fatalf("%d connections", len(conns))
	}
	me := conns[0]
	// Captured from another mqtop process: an mqtop, but not this one.
	if me.Mine || me.ClientName != "mqtop" || me.Product != "mqtop" || me.Version != "1.2.3" {
		t.Fatalf("another mqtop's connection: %+v", me)
	}
	ours, err := decodeConnection(json.RawMessage(`{"name":"a -> b","client_properties":{"product":"mqtop","` + instance.Property + `":"` + instance.ID + `"}}`))
	if err != nil || !ours.Mine {
		t.Fatalf("this mqtop's connection not recognised: %+v %v", ours, err)
	}
	// avg_rate (the 30 s window) wins over the instantaneous rate.
	if me.RecvRate != R(5.7) || me.SendRate != R(5.3) {
		t.Fatalf("rates %+v %+v, want the avg_rate", me.RecvRate, me.SendRate)
	}
	if me.Channels != C(1) || me.PeerPort != C(43766) || me.PeerHost != "127.0.0.1" || me.TLS ||
		me.State != "running" || me.Protocol != "AMQP 0-9-1" || me.User != "guest" || me.VHost != "/" || me.Type != "network" {
		t.Fatalf("fields wrong: %+v", me)
	}
	for _, c := range conns[1:] {
		if c.Mine || c.Product != "" || !strings.HasPrefix(c.ClientName, "other-") {
			t.Fatalf("another client taken for mqtop, or its name lost: %+v", c)
		}
	}
}

func TestDecodeConnectionRateFallbackAndName(t *testing.T) {
	// Without a window (or from a broker that ignores it) only rate exists.
	c, err := decodeConnection(json.RawMessage(`{"name":"a","recv_oct_details":{"rate":1.5},"user_provided_name":"orders"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.RecvRate != R(1.5) || c.SendRate.OK {
		t.Fatalf("rates %+v %+v", c.RecvRate, c.SendRate)
	}
	// No client_properties: the broker's copy of connection_name names it.
	if c.ClientName != "orders" || c.Mine {
		t.Fatalf("client name %q mine %v", c.ClientName, c.Mine)
	}
	// A client property of another type is no string, and no error.
	c, err = decodeConnection(json.RawMessage(`{"name":"b","client_properties":{"product":42,"connection_name":"mqtop"}}`))
	if err != nil || c.Product != "" || c.Mine || c.ClientName != "mqtop" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestDecodeConnectionDetailFixture(t *testing.T) {
	conn := clVariants(t, "clients_connection.json", decodeConnection)[0]
	if conn.ClientProperties["capabilities"] == nil || !conn.RecvRate.OK || !conn.ConnectedAt.OK {
		t.Fatalf("detail incomplete: %+v", conn)
	}
}

func TestDecodeChannelsFixture(t *testing.T) {
	chs := clVariants(t, "clients_channels.json", decodeChannel)
	if len(chs) != 3 {
		t.Fatalf("%d channels", len(chs))
	}
	idle, busy := chs[0], chs[1]
	if idle.PublishRate.OK || idle.DeliverRate.OK || idle.Unacked != C(0) || idle.Consumers != C(1) {
		t.Fatalf("idle channel: %+v", idle)
	}
	// The instantaneous deliver rate read 0 while 0.2/s were delivered.
	if busy.Unacked != C(7) || busy.Prefetch != C(7) || busy.Number != C(1) || !busy.Confirm || busy.Transactional ||
		busy.DeliverRate != R(0.2) || busy.AckRate != R(0) || !busy.PublishRate.OK || busy.PublishRate.PerSec < 3 {
		t.Fatalf("busy channel: %+v", busy)
	}
	if busy.ConnectionName == "" || !strings.HasPrefix(busy.Name, busy.ConnectionName+" (") || busy.PeerHost != "127.0.0.1" ||
		busy.User != "guest" || busy.VHost != "/" || busy.State != "running" {
		t.Fatalf("names wrong: %+v", busy)
	}
}

func TestDecodeChannelDetailFixture(t *testing.T) {
	v := clFixture(t, "clients_channel.json")
	for _, variant := range []any{v, clDropNulls(v), clDropStats(v)} {
		cons, err := decodeChannelConsumers(clRaw(t, variant))
		if err != nil || len(cons) != 1 {
			t.Fatalf("consumers %+v, %v", cons, err)
		}
		c := cons[0]
		if c.Tag != "tag-2-2" || !strings.HasPrefix(c.Queue, "amq.gen-") || c.QueueVHost != "/" || !c.AckRequired ||
			!c.Active || c.Status != "up" || c.Exclusive {
			t.Fatalf("consumer wrong: %+v", c)
		}
		if _, stats := variant.(map[string]any)["consumer_count"]; stats && c.Prefetch != C(9) {
			t.Fatalf("prefetch %+v", c.Prefetch)
		}
	}
	ch, err := decodeChannel(clRaw(t, v))
	if err != nil || ch.Consumers != C(1) || ch.Number != C(3) {
		t.Fatalf("channel detail %+v, %v", ch, err)
	}
	if cons, err := decodeChannelConsumers(json.RawMessage(`{"name":"x"}`)); err != nil || len(cons) != 0 {
		t.Fatalf("no consumer_details: %+v, %v", cons, err)
	}
}
