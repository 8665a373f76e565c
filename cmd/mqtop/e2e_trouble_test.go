package main_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// :q quits, as in vim and k9s, with the terminal restored.
func TestE2EColonQQuits(t *testing.T) {
	env := testenv.Broker(t)
	tm := start(t, 100, 30, credentials(env), "--url", env.MgmtURL)
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	tm.keys(":")
	tm.text("q")
	tm.keys("Enter")
	s := tm.waitFor(10*time.Second, "EXITED:0")
	if strings.Contains(s, "RabbitMQ") {
		t.Fatalf("UI left on the terminal after :q:\n%s", s)
	}
}

// failedRequests counts the log's failed requests, and those to the
// overview among them.
func failedRequests(t *testing.T, log string) (all, overview int) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `msg="request failed"`) {
			all++
			if strings.Contains(l, "/api/overview") && strings.Contains(l, "status=401") {
				overview++
			}
		}
	}
	return all, overview
}

// A wrong password is said as such (user and endpoint named), polling
// stops instead of retrying (the log's failed requests do not grow), the
// password never reaches the log, and ctrl+r takes the right one.
func TestE2EWrongPasswordStopsAndCtrlRRecovers(t *testing.T) {
	env := testenv.Broker(t)
	const wrong = "wrong-Pa55-e2e"
	log := filepath.Join(t.TempDir(), "mqtop.log")
	tm := start(t, 140, 30, []string{"MQTOP_USER=" + env.User, "MQTOP_PASSWORD=" + wrong, "NO_COLOR=1"},
		"--url", env.MgmtURL, "--refresh", "500ms", "--debug", "--log-file", log)
	refused := "401: user " + env.User + " was refused by " + env.MgmtURL
	s := tm.waitFor(20*time.Second, refused, "ctrl+r re-enter the password", "polling stopped")
	if strings.Contains(s, "cannot reach") {
		t.Fatalf("a refused password is shown as an unreachable broker:\n%s", s)
	}
	time.Sleep(time.Second) // the first poll's requests all answered
	all, overview := failedRequests(t, log)
	if overview < 1 || overview > 3 {
		t.Fatalf("%d failed overview requests logged for the first poll, want 1-3 (the poll's own and the identity check's)", overview)
	}
	// At 500 ms with backoff a retrying mqtop would send several more by now.
	time.Sleep(8 * time.Second)
	if all2, overview2 := failedRequests(t, log); all2 != all || overview2 != overview {
		t.Fatalf("polling went on after the 401: failed requests %d -> %d, overview %d -> %d", all, all2, overview, overview2)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{wrong, base64.StdEncoding.EncodeToString([]byte(env.User + ":" + wrong))} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("the password (or its Authorization header) is in the log:\n%s", b)
		}
	}

	// ctrl+r: a masked prompt; the right password and mqtop polls again.
	tm.keys("C-r")
	tm.waitFor(10*time.Second, "Password for "+env.User+" at "+env.MgmtURL)
	tm.text(env.Password)
	s = tm.screen()
	if strings.Contains(s, "password: "+env.Password) {
		t.Fatalf("the typed password is shown:\n%s", s)
	}
	tm.keys("Enter")
	tm.waitUntil(20*time.Second, "the broker's data with the new password", func(s string) bool {
		return strings.Contains(s, "nodes 1/1") && strings.Contains(s, "RabbitMQ") && !strings.Contains(s, "was refused")
	})
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
	if b, _ := os.ReadFile(log); strings.Contains(string(b), wrong) {
		t.Fatal("the wrong password reached the log")
	}
}
