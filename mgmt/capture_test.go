package mgmt_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestCaptureTestdata writes testdata/{topology,policies}_*_<suffix>.json
// from the broker under test: the responses the decode tests replay. It
// runs only when asked:
//
//	MQTOP_CAPTURE_TESTDATA=stats go test -run TestCaptureTestdata ./mgmt/
//
// against a normal broker, and with suffix nostats against one started with
// MQTOP_BROKER_EXTRA_CONF='management_agent.disable_metrics_collector = true'.
// The test vhost's random name is replaced by "capture".
func TestCaptureTestdata(t *testing.T) {
	suffix := os.Getenv("MQTOP_CAPTURE_TESTDATA")
	if suffix == "" {
		t.Skip("set MQTOP_CAPTURE_TESTDATA=stats|nostats to capture")
	}
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	esc := url.PathEscape(vh)
	putExchange(t, env, vh, "ex-in", "topic", map[string]any{"alternate-exchange": "amq.fanout"})
	putExchange(t, env, vh, "ex-plain", "fanout", nil)
	testenv.DeclareQueue(t, env, vh, "work", nil)
	testenv.DeclareQueue(t, env, vh, "sac", amqp.Table{"x-single-active-consumer": true})
	putBinding(t, env, vh, "ex-in", "q", "work", "orders.#", map[string]any{"x-match": "any"})
	putBinding(t, env, vh, "ex-in", "e", "ex-plain", "audit", nil)
	testenv.MustAPI(t, env, http.MethodPut, "policies/"+esc+"/limit", map[string]any{
		"pattern": "^work$", "apply-to": "queues", "priority": 5, "definition": map[string]any{"max-length": 1000}})
	testenv.MustAPI(t, env, http.MethodPut, "policies/"+esc+"/ae", map[string]any{
		"pattern": "^ex-", "apply-to": "exchanges", "definition": map[string]any{"alternate-exchange": "amq.fanout"}})
	testenv.MustAPI(t, env, http.MethodPut, "operator-policies/"+esc+"/cap", map[string]any{
		"pattern": ".*", "apply-to": "queues", "priority": 1, "definition": map[string]any{"max-length": 100000}})
	startConsumer(t, env, vh, "work", "worker-1", 10, false, false)
	startConsumer(t, env, vh, "sac", "sac-active", 1, false, false)
	startConsumer(t, env, vh, "sac", "sac-waiting", 0, true, false)
	bodies := make([][]byte, 20)
	for i := range bodies {
		bodies[i] = []byte("m")
	}
	testenv.Publish(t, env, vh, "ex-in", "orders.new", bodies...)
	window := "msg_rates_age=30&msg_rates_incr=5"
	// Wait for what a statistics emission brings: the exchange's rates and
	// the three consumers. With the collector off, GET consumers is a 400
	// and GET one exchange a 500 (3.10.8): just give it the same time.
	if suffix == "nostats" {
		time.Sleep(3 * time.Second)
	} else {
		testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
			var cons []any
			testenv.GetJSON(t, env, "consumers/"+esc, &cons)
			var ex struct {
				Stats struct {
					In float64 `json:"publish_in"`
				} `json:"message_stats"`
			}
			testenv.GetJSON(t, env, "exchanges/"+esc+"/ex-in?"+window, &ex)
			return len(cons) == 3 && ex.Stats.In == 20, fmt.Sprintf("%d consumers, %v published in", len(cons), ex.Stats.In)
		})
	}
	captures := map[string]string{
		"topology_exchanges": "exchanges/" + esc + "?page=1&page_size=10&sort=name&name=" + url.QueryEscape(`^(amq\.direct|ex-.*)?$`) + "&use_regex=true&" + window,
		"topology_bindings":  "bindings/" + esc,
		"topology_consumers": "consumers/" + esc,
		"policies_user":      "policies/" + esc,
		"policies_operator":  "operator-policies/" + esc,
	}
	for name, path := range captures {
		code, body := testenv.API(t, env, http.MethodGet, path, nil)
		if code != http.StatusOK {
			t.Logf("%s: %d %s: not captured", path, code, body)
			continue
		}
		body = bytes.ReplaceAll(body, []byte(vh), []byte("capture"))
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, body, "", " "); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		file := filepath.Join("testdata", name+"_"+suffix+".json")
		if err := os.WriteFile(file, append(pretty.Bytes(), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes from %s", file, pretty.Len(), strings.SplitN(path, "?", 2)[0])
	}
}
