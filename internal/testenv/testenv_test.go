package testenv

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestMain(m *testing.M) { Main(m) }

type queueCounts struct {
	Type      string `json:"type"`
	Messages  *int   `json:"messages"`
	Ready     *int   `json:"messages_ready"`
	Unacked   *int   `json:"messages_unacknowledged"`
	Consumers *int   `json:"consumers"`
}

func (q queueCounts) String() string {
	show := func(p *int) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("messages %s ready %s unacked %s consumers %s",
		show(q.Messages), show(q.Ready), show(q.Unacked), show(q.Consumers))
}

func queuePath(vhost, name string) string {
	return "queues/" + url.PathEscape(vhost) + "/" + url.PathEscape(name)
}

// The harness end to end: declare, publish 10, hold 3 unacknowledged, and
// read the counts back through the management API.
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
	want := "messages 10 ready 7 unacked 3 consumers 1"
	WaitFor(t, 30*time.Second, func() (bool, string) {
		var q queueCounts
		GetJSON(t, env, queuePath(vh, "work"), &q)
		return q.String() == want, fmt.Sprintf("want %s, have %s", want, q)
	})
}

func TestQueueTypes(t *testing.T) {
	env := Broker(t)
	vh := VHost(t)
	want := map[string]string{"cq": "classic", "qq": "quorum", "st": "stream"}
	for name, typ := range want {
		DeclareQueue(t, env, vh, name, amqp.Table{"x-queue-type": typ})
	}
	Publish(t, env, vh, "", "qq", []byte("a"), []byte("b"))
	for name, typ := range want {
		var q queueCounts
		GetJSON(t, env, "/api/"+queuePath(vh, name), &q) // the /api/ prefix is optional
		if q.Type != typ {
			t.Errorf("%s has type %q, want %q", name, q.Type, typ)
		}
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		var q queueCounts
		GetJSON(t, env, queuePath(vh, "qq"), &q)
		return q.Ready != nil && *q.Ready == 2, "quorum queue: " + q.String()
	})
}

// fatalRecorder is a testing.TB whose Fatal ends only the goroutine running
// the helper under test, recording the message.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// expectFatal runs f and returns the message it failed with ("" if none).
func expectFatal(t *testing.T, f func(tb testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

func TestPublishFailsWhenUnroutable(t *testing.T) {
	env := Broker(t)
	vh := VHost(t)
	msg := expectFatal(t, func(tb testing.TB) { Publish(tb, env, vh, "", "no-such-queue", []byte("x")) })
	if !strings.Contains(msg, "returned") || !strings.Contains(msg, "NO_ROUTE") {
		t.Fatalf("publishing to a missing queue: want a returned-message failure, got %q", msg)
	}
	DeclareQueue(t, env, vh, "exists", nil)
	if msg := expectFatal(t, func(tb testing.TB) { Publish(tb, env, vh, "", "exists", []byte("x")) }); msg != "" {
		t.Fatalf("publishing to an existing queue failed: %s", msg)
	}
}

func TestVHostIsDeletedAtCleanup(t *testing.T) {
	env := Broker(t)
	var vh string
	t.Run("inner/with spaces", func(t *testing.T) {
		vh = VHost(t)
		if !strings.HasPrefix(vh, "mqtop-test-TestVHostIsDeletedAtCleanup-inner-with") {
			t.Errorf("vhost name %q does not carry the sanitised test name", vh)
		}
		var perms []struct{ User, Configure, Write, Read string }
		GetJSON(t, env, "vhosts/"+url.PathEscape(vh)+"/permissions", &perms)
		if len(perms) != 1 || perms[0].User != env.User || perms[0].Configure != ".*" || perms[0].Read != ".*" || perms[0].Write != ".*" {
			t.Errorf("permissions on %s: %+v", vh, perms)
		}
		Dial(t, env, vh) // the user can use it
	})
	code, body := API(t, env, http.MethodGet, "vhosts/"+url.PathEscape(vh), nil)
	if code != http.StatusNotFound {
		t.Fatalf("vhost %s still there after its test ended: %d %s", vh, code, body)
	}
}

func TestDialNamesTheConnection(t *testing.T) {
	env := Broker(t)
	if got := env.AMQPURLFor("/"); !strings.HasSuffix(got, "/%2F") {
		t.Fatalf("AMQPURLFor(/) = %s, want the vhost escaped as %%2F", got)
	}
	Dial(t, env, "/")
	vh := VHost(t)
	Dial(t, env, vh)
	WaitFor(t, 30*time.Second, func() (bool, string) {
		var conns []struct {
			VHost string `json:"vhost"`
			Props struct {
				Name string `json:"connection_name"`
			} `json:"client_properties"`
		}
		GetJSON(t, env, "vhosts/"+url.PathEscape(vh)+"/connections", &conns)
		return len(conns) == 1 && conns[0].Props.Name == "mqtop-test", fmt.Sprintf("connections in %s: %+v", vh, conns)
	})
}

func TestEnvironment(t *testing.T) {
	env := Broker(t)
	for name, raw := range map[string]string{"management": env.MgmtURL, "amqp": env.AMQPURL, "prometheus": env.PromURL} {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			t.Fatalf("%s URL %q: %v", name, raw, err)
		}
		if u.User != nil {
			t.Errorf("%s URL carries credentials", name)
		}
	}
	resp, err := httpClient.Get(env.PromURL + "/metrics")
	if err != nil {
		t.Fatalf("prometheus endpoint: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "rabbitmq_build_info") {
		t.Fatalf("GET %s/metrics: %d, no rabbitmq_build_info", env.PromURL, resp.StatusCode)
	}
	var overview struct {
		Node string `json:"node"`
	}
	GetJSON(t, env, "overview", &overview)
	if overview.Node == "" {
		t.Fatal("overview names no node")
	}
}
