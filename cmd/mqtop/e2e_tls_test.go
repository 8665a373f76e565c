package main_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// TLS against a broker of the test's own whose listeners require a client
// certificate, with a CA, server and client certificates the test makes:
// mutual TLS over https and amqps with ca_file; the system roots alone
// refuse the private CA; no client certificate is refused by the broker;
// hostname verification refuses a name the certificate does not carry;
// insecure_skip_verify connects, only when asked, under a badge.
func TestE2ETLS(t *testing.T) {
	f := testenv.NewTLSFiles(t)
	b := testenv.StartTLSBroker(t, f)
	vh := "tls"
	testenv.CreateVHost(t, b.Env, vh)
	testenv.DeclareQueue(t, b.Env, vh, "tls.q", nil)
	name := fmt.Sprintf("localhost:%d", b.HTTPSPort)
	env := credentials(b.Env)
	clientCert := []string{"--cert-file", f.ClientCert, "--key-file", f.ClientKey}

	t.Run("mutual TLS with ca_file, https and amqps", func(t *testing.T) {
		args := append([]string{"--url", "https://" + name, "--ca-file", f.CA, "--refresh=500ms"}, clientCert...)
		tm := start(t, 140, 40, env, args...)
		tm.waitFor(30*time.Second, "RabbitMQ", "nodes 1/1")
		if s := tm.screen(); strings.Contains(s, "NOT VERIFIED") {
			t.Fatalf("a verified connection shows the insecure badge:\n%s", s)
		}
		tm.keys(":")
		tm.text("vhost " + vh)
		tm.keys("Enter")
		tm.waitFor(20*time.Second, "tls.q")
		tm.keys("p")
		tm.waitFor(10*time.Second, "Publish to tls.q")
		tm.keys("C-s")
		tm.waitFor(20*time.Second, "confirmed and routed")
		testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
			var q struct{ Messages int }
			testenv.GetJSON(t, b.Env, "queues/"+url.PathEscape(vh)+"/tls.q", &q)
			return q.Messages == 1, fmt.Sprintf("tls.q holds %d", q.Messages)
		})
		// mqtop's AMQP connection went over TLS, to the amqps listener.
		var conns []struct {
			SSL   bool `json:"ssl"`
			Port  int  `json:"port"`
			Props struct {
				Product string `json:"product"`
			} `json:"client_properties"`
		}
		testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
			testenv.GetJSON(t, b.Env, "connections", &conns)
			for _, c := range conns {
				if c.Props.Product == "mqtop" {
					return c.SSL && c.Port == b.AMQPSPort, fmt.Sprintf("mqtop's connection: ssl %v port %d", c.SSL, c.Port)
				}
			}
			return false, "no connection of mqtop's"
		})
	})

	// The full status message (!) names the failed check and the setting
	// that fixes it.
	refused := func(t *testing.T, why, fix string, args ...string) {
		t.Helper()
		tm := start(t, 160, 40, env, append(args, "--refresh=500ms")...)
		tm.waitFor(30*time.Second, "cannot reach")
		tm.keys("!")
		s := tm.waitUntil(10*time.Second, why+" / "+fix, func(s string) bool {
			flat := strings.Join(strings.Fields(s), " ")
			return strings.Contains(flat, why) && strings.Contains(flat, fix)
		})
		if strings.Contains(s, "nodes 1/1") {
			t.Fatalf("connected although it should not:\n%s", s)
		}
	}
	t.Run("the system roots do not trust the private CA", func(t *testing.T) {
		refused(t, "certificate signed by unknown authority", "give that CA with --ca-file",
			append([]string{"--url", "https://" + name}, clientCert...)...)
	})
	t.Run("the broker requires a client certificate", func(t *testing.T) {
		refused(t, "certificate required", "give --cert-file and --key-file", "--url", "https://"+name, "--ca-file", f.CA)
	})
	t.Run("a name the certificate does not carry", func(t *testing.T) {
		refused(t, "doesn't contain any IP SANs", "the certificate is for localhost, not 127.0.0.1",
			append([]string{"--url", fmt.Sprintf("https://127.0.0.1:%d", b.HTTPSPort), "--ca-file", f.CA}, clientCert...)...)
	})
	t.Run("insecure_skip_verify, asked for, under a badge", func(t *testing.T) {
		args := append([]string{"--url", fmt.Sprintf("https://127.0.0.1:%d", b.HTTPSPort), "--insecure-skip-verify"}, clientCert...)
		tm := start(t, 140, 40, env, args...)
		tm.waitFor(30*time.Second, "nodes 1/1", "TLS NOT VERIFIED")
	})
}
