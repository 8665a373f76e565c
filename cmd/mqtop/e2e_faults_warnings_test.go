package main_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// The configuration's warnings reach the user, not only the debug log: a
// password given in --url is named in the status line at start (without
// the password), and the line clears at the first key.
func TestE2EConfigWarningShown(t *testing.T) {
	env := testenv.Broker(t)
	u, err := url.Parse(env.MgmtURL)
	if err != nil {
		t.Fatal(err)
	}
	pw := distinctive(t, "inurl")
	user := "mqtop-warn-" + strings.ToLower(pw[8:14])
	testenv.MustAPI(t, env, "PUT", "users/"+url.PathEscape(user), map[string]any{"password": pw, "tags": "monitoring"})
	t.Cleanup(func() { testenv.API(t, env, "DELETE", "users/"+url.PathEscape(user), nil) })
	u.User = url.UserPassword(user, pw)
	tm := start(t, 140, 30, []string{"NO_COLOR=1"}, "--url", u.String(), "--prometheus-url", env.PromURL, "--amqp-url", env.AMQPURL)
	s := tm.waitFor(20*time.Second, "warning: a password in --url is visible in ps", "nodes 1/1")
	if strings.Contains(s, pw) {
		t.Fatalf("the password is on the screen:\n%s", s)
	}
	tm.keys("?")
	tm.waitUntil(10*time.Second, "the warning gone after a key", func(s string) bool { return !strings.Contains(s, "visible in ps") })
	tm.keys("q", "q")
	tm.waitFor(10*time.Second, "EXITED:0")
}

// Switching context shows that context's warnings too, not only the log
// does: a context with no password says so as :ctx lands on it, and its
// 401 (which replaces that line at once) says it again: why it was refused.
func TestE2EContextSwitchWarningShown(t *testing.T) {
	env := testenv.Broker(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(env.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`contexts:
  a:
    url: %s
    prometheus_url: %s
    amqp_url: %s
    user: %s
    password_file: %s
  b:
    url: %s
    prometheus_url: %s
    amqp_url: %s
    user: nobody-has-this
`, env.MgmtURL, env.PromURL, env.AMQPURL, env.User, pwFile, env.MgmtURL, env.PromURL, env.AMQPURL)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := start(t, 300, 30, []string{"NO_COLOR=1"}, "--config", conf, "--context", "a", "--rabbitmqadmin-config", "")
	tm.waitFor(20*time.Second, "nodes 1/1")
	tm.keys(":")
	tm.text("ctx b")
	tm.keys("Enter")
	tm.waitFor(20*time.Second, "401: user nobody-has-this was refused", `warning: context "b": no password for user "nobody-has-this"`)
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}
