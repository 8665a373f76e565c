package main_test

import (
	"net/url"
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
