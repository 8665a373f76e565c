package mgmt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/mgmt"
)

// The broker versions users run (3.12, 3.13, 4.0-4.2) answer the endpoints
// mqtop reads in shapes of their own; only 3.10.8 is installed here. Each
// file in testdata/versions holds one version's answers, endpoint by
// endpoint, and says in its "_about" how it was built: by hand, from the
// rabbitmq-server sources named in the file name (rabbit_mgmt_format.erl
// for 3.13's omitted null fields, rabbit_quorum_queue.erl for 4.0's default
// delivery_limit of 20, rabbit_mgmt_wm_overview.erl for the overview of a
// broker with statistics off, rabbit_core_ff.erl for khepri_db), at the tag
// in the name. A fake management API serves them; every client method that
// reads them decodes without error, a field the version leaves out is
// unknown (not zero), and what it sends is read.
func TestDecodeEveryVersion(t *testing.T) {
	files, err := filepath.Glob("testdata/versions/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("version fixtures: %v, %v", files, err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			fx := readVersion(t, file)
			c := versionClient(t, fx)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var about string
			_ = json.Unmarshal(fx["_about"], &about)
			if about == "" {
				t.Fatal(`the fixture does not say how it was built ("_about")`)
			}
			statsOff := strings.Contains(file, "stats-off")
			version := strings.SplitN(filepath.Base(file), "-", 2)[0]

			o, err := c.Overview(ctx)
			if err != nil {
				t.Fatalf("overview: %v", err)
			}
			if !strings.HasPrefix(o.RabbitMQVersion, version) || o.ClusterName != "rabbit@prod-1" || o.Queues != mgmt.C(3) {
				t.Fatalf("overview: %+v", o)
			}
			if statsOff != o.StatsDisabled || statsOff == o.Ready.OK || statsOff == o.PublishRate.OK {
				t.Fatalf("overview with statistics %s: disabled %v, ready %+v, publish rate %+v", onOff(!statsOff), o.StatsDisabled, o.Ready, o.PublishRate)
			}

			nodes, err := c.Nodes(ctx)
			if err != nil || len(nodes) != 1 || !nodes[0].Running || nodes[0].MemAlarm || nodes[0].MemLimit != mgmt.C(3200000000) {
				t.Fatalf("nodes: %+v, %v", nodes, err)
			}

			page, err := c.ListQueuesPage(ctx, mgmt.QueueQuery{Limit: 50})
			if err != nil || len(page.Queues) != 3 || page.Total != 3 {
				t.Fatalf("queues: %+v, %v", page, err)
			}
			byName := map[string]mgmt.Queue{}
			for _, q := range page.Queues {
				byName[q.Name] = q
			}
			orders, payments, idle := byName["orders"], byName["payments"], byName["idle"]
			if orders.Type != "classic" || orders.Ready != mgmt.C(1210) || orders.Unacked != mgmt.C(3) || orders.Consumers != mgmt.C(2) ||
				orders.Arguments["x-dead-letter-exchange"] != "dlx" || orders.Policy != "" {
				t.Fatalf("classic queue: %+v", orders)
			}
			if payments.Type != "quorum" || payments.Leader != "rabbit@prod-1" || len(payments.Members) != 3 || payments.UnderReplicated() {
				t.Fatalf("quorum queue: %+v", payments)
			}
			if idle.VHost != "eu" || len(idle.Arguments) != 0 || idle.Messages != mgmt.C(0) {
				t.Fatalf("idle queue (empty arguments as %s): %+v", rawField(t, fx, "queues", 2, "arguments"), idle)
			}
			if statsOff == orders.PublishRate.OK || statsOff == payments.DeliverRate.OK {
				t.Fatalf("queue rates with statistics %s: %+v %+v", onOff(!statsOff), orders.PublishRate, payments.DeliverRate)
			}
			// The delivery limit mqtop shows is the one the broker applies:
			// 4.x says it (20 by default), 3.x has none unless set.
			limit := 0
			if raw := rawField(t, fx, "queues", 1, "delivery_limit"); raw != "" {
				if err := json.Unmarshal([]byte(raw), &limit); err != nil {
					t.Fatal(err)
				}
			}
			if got := mgmt.EffectiveDeliveryLimit(payments, o.RabbitMQVersion); got != limit {
				t.Fatalf("delivery limit on %s: mqtop says %d, the broker %d", o.RabbitMQVersion, got, limit)
			}
			for _, k := range []string{"slave_nodes", "synchronised_slave_nodes"} {
				if has := rawField(t, fx, "queues", 0, k) != ""; has != (version == "3.12" || version == "3.13") {
					t.Fatalf("the %s fixture has %s: %v", version, k, has)
				}
			}

			d, err := c.QueueDetails(ctx, "/", "payments")
			if err != nil || d.Name != "payments" || d.Messages != mgmt.C(57) || !d.Detailed {
				t.Fatalf("queue detail: %+v, %v", d, err)
			}
			if bs, err := c.QueueBindings(ctx, "/", "payments"); err != nil || len(bs) != 1 || bs[0].Source != "dlx" {
				t.Fatalf("queue bindings: %+v, %v", bs, err)
			}

			xs, err := c.Exchanges(ctx, mgmt.ListQuery{})
			if err != nil || len(xs.Items) != 2 {
				t.Fatalf("exchanges: %+v, %v", xs, err)
			}
			if statsOff == xs.Items[0].InRate.OK {
				t.Fatalf("exchange rate with statistics %s: %+v", onOff(!statsOff), xs.Items[0])
			}
			if b, err := c.Bindings(ctx, mgmt.ListQuery{}); err != nil || len(b.Items) != 1 || b.Items[0].Destination != "orders" {
				t.Fatalf("bindings: %+v, %v", b, err)
			}
			if cs, err := c.Connections(ctx, mgmt.ListQuery{}); err != nil || len(cs.Items) != 1 || cs.Items[0].User != "guest" || cs.Items[0].State != "running" {
				t.Fatalf("connections: %+v, %v", cs, err)
			}
			if ch, err := c.Channels(ctx, mgmt.ListQuery{}); err != nil || len(ch.Items) != 1 || ch.Items[0].VHost != "/" {
				t.Fatalf("channels: %+v, %v", ch, err)
			}
			if cons, err := c.Consumers(ctx, mgmt.ListQuery{}); err != nil || len(cons.Items) != 1 || cons.Items[0].Queue != "orders" {
				t.Fatalf("consumers: %+v, %v", cons, err)
			}
			us, err := c.Users(ctx, mgmt.ListQuery{})
			if err != nil || len(us.Items) != 2 {
				t.Fatalf("users: %+v, %v", us, err)
			}
			for _, u := range us.Items {
				if u.Name == "guest" && (len(u.Tags) != 1 || u.Tags[0] != "administrator" || len(u.Permissions) != 2) {
					t.Fatalf("user guest: %+v", u)
				}
			}
			vs, err := c.ListVHosts(ctx, mgmt.ListQuery{})
			if err != nil || len(vs.Items) != 2 {
				t.Fatalf("vhosts: %+v, %v", vs, err)
			}
			for _, v := range vs.Items {
				if v.Name == "eu" && (v.DefaultQueueType != "quorum" || statsOff == v.Messages.OK) {
					t.Fatalf("vhost eu with statistics %s: %+v", onOff(!statsOff), v)
				}
			}
			if ps, err := c.Policies(ctx, mgmt.ListQuery{}); err != nil || len(ps.Items) != 2 {
				t.Fatalf("policies (user and operator): %+v, %v", ps, err)
			}
			me, err := c.WhoAmI(ctx)
			if err != nil || me.Name != "guest" || !me.IsAdmin() || !me.PermissionsKnown || len(me.VHosts) != 2 {
				t.Fatalf("whoami: %+v, %v", me, err)
			}
			ffs, err := c.FeatureFlags(ctx)
			if err != nil || len(ffs) < 2 {
				t.Fatalf("feature flags: %+v, %v", ffs, err)
			}
			khepri := false
			for _, f := range ffs {
				if f.Name == "khepri_db" {
					khepri = f.Stability == "experimental" && f.State == "disabled" && f.ProvidedBy == "rabbit"
				}
			}
			if khepri != (version != "3.12") {
				t.Fatalf("%s: khepri_db read as %v in %+v", version, khepri, ffs)
			}
		})
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// readVersion reads one fixture: endpoint -> the JSON the version answers.
func readVersion(t *testing.T, file string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var fx map[string]json.RawMessage
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return fx
}

// rawField is field of item i of the fixture's endpoint list, as JSON text;
// "" when the version leaves it out.
func rawField(t *testing.T, fx map[string]json.RawMessage, endpoint string, i int, field string) string {
	t.Helper()
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(fx[endpoint], &items); err != nil || i >= len(items) {
		t.Fatalf("%s[%d]: %v", endpoint, i, err)
	}
	return string(items[i][field])
}

// versionClient is a client of a fake management API that answers from fx:
// lists as the broker pages them when asked for a page (the columns= and
// sort parameters are the broker's business; the fixture is the answer),
// one queue and its bindings, a user's permissions.
func versionClient(t *testing.T, fx map[string]json.RawMessage) *mgmt.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/")
		segs := strings.Split(path, "/")
		key := segs[0]
		switch {
		case key == "queues" && len(segs) == 3:
			key = "queue"
		case key == "queues" && len(segs) == 4 && segs[3] == "bindings":
			key = "queue_bindings"
		case key == "users" && len(segs) == 3 && segs[2] == "permissions":
			key = "user_permissions"
		case key == "users" && len(segs) == 3 && segs[2] == "topic-permissions":
			w.Write([]byte("[]"))
			return
		case len(segs) > 2 || (len(segs) == 2 && key != "queues" && key != "exchanges" && key != "bindings" &&
			key != "consumers" && key != "policies" && key != "operator-policies" && key != "channels"):
			http.Error(w, `{"error":"Object Not Found","reason":"Not Found"}`, http.StatusNotFound)
			return
		}
		body, ok := fx[key]
		if !ok {
			http.Error(w, `{"error":"Object Not Found","reason":"Not Found"}`, http.StatusNotFound)
			return
		}
		if r.URL.Query().Get("page") != "" {
			var items []json.RawMessage
			if err := json.Unmarshal(body, &items); err == nil {
				page, _ := json.Marshal(map[string]any{"items": items, "page": 1, "page_count": 1, "page_size": 100,
					"item_count": len(items), "filtered_count": len(items), "total_count": len(items)})
				body = page
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := mgmt.New(mgmt.Options{URLs: []string{srv.URL}, User: "guest", Password: "guest", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
