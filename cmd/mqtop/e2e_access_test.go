package main_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/internal/testenv"
)

// accessUser is a user the access test creates: its tags and whether it
// gets permissions on the test's vhost.
type accessUser struct {
	name, password, tags string
	perms                map[string]string // on the test's vhost; nil none
}

// mqtop run as users of each tag the broker knows, as on-call engineers
// are (issue 14): what each may and may not do, the refusals kept in a
// golden file, and none of their passwords in a screen or the log.
func TestE2EAccessPerTag(t *testing.T) {
	env := testenv.Broker(t)
	const vh = "e2e-access"
	testenv.CreateVHost(t, env, vh)
	testenv.DeclareQueue(t, env, vh, "acc-q", nil)
	testenv.Publish(t, env, vh, "", "acc-q", []byte("1"), []byte("2"), []byte("3"))
	testenv.DeclareQueue(t, env, "/", "acc-root-q", nil)
	t.Cleanup(func() { testenv.API(t, env, http.MethodDelete, "queues/%2F/acc-root-q", nil) })
	all := map[string]string{"configure": ".*", "write": ".*", "read": ".*"}
	users := map[string]accessUser{
		"notag": {"e2e-acc-notag", "pw-notag-7Yq", "", all},
		// An on-call engineer's usual account: read everything, change nothing.
		"mon": {"e2e-acc-mon", "pw-mon-3Kd", "monitoring", map[string]string{"configure": "", "write": "", "read": ".*"}},
		"mgr": {"e2e-acc-mgr", "pw-mgr-9Wz", "management", all},
		"pol": {"e2e-acc-pol", "pw-pol-5Rt", "policymaker", all},
	}
	for _, u := range users {
		testenv.MustAPI(t, env, http.MethodPut, "users/"+u.name, map[string]string{"password": u.password, "tags": u.tags})
		t.Cleanup(func() { testenv.API(t, env, http.MethodDelete, "users/"+u.name, nil) })
		if u.perms != nil {
			testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+u.name, u.perms)
		}
	}
	var record strings.Builder
	logs := map[string]string{}
	var screens []string
	run := func(key string) *term {
		u := users[key]
		logs[key] = filepath.Join(t.TempDir(), "mqtop.log")
		// Users other than monitoring ones and administrators are shown no
		// listeners: the private broker's AMQP port is given (a real one's
		// default port would be found).
		return start(t, 220, 30, []string{"MQTOP_USER=" + u.name, "MQTOP_PASSWORD=" + u.password, "NO_COLOR=1"},
			"--url", env.MgmtURL, "--amqp-url", env.AMQPURL, "--prometheus-url", env.PromURL, "--refresh", "1s",
			"--debug", "--log-file", logs[key])
	}
	// said records the screen line holding want, made independent of the
	// broker's ports.
	said := func(tm *term, who, action string, want ...string) string {
		t.Helper()
		s := tm.waitFor(20*time.Second, want...)
		screens = append(screens, s)
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, want[0]) {
				l = regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(strings.TrimSpace(l), "127.0.0.1:PORT")
				record.WriteString(who + " · " + action + "\n  " + l + "\n")
				return s
			}
		}
		return s
	}
	cmd := func(tm *term, c string) {
		tm.keys(":")
		tm.text(c)
		tm.keys("Enter")
	}
	filter := func(tm *term, f string) {
		tm.keys("/")
		tm.keys("C-u")
		tm.text(f)
		tm.keys("Enter")
	}

	// No management tag: one message naming the tag to ask for.
	tm := run("notag")
	said(tm, "no tag", "start", "has no management tag", "monitoring tag")
	tm.keys("C-c")

	// monitoring with read-only permissions: sees its vhost's queues (the
	// broker shows no others), may administer nothing, and what its
	// permissions forbid is explained when the broker refuses it.
	tm = run("mon")
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	said(tm, "monitoring", "start", "logged in as e2e-acc-mon")
	cmd(tm, "users")
	said(tm, "monitoring", ":users footer", "✗add", "✗permissions")
	tm.keys("n")
	said(tm, "monitoring", "n in :users", "add user refused")
	cmd(tm, "queues")
	filter(tm, "acc-")
	s := tm.waitFor(20*time.Second, "acc-q", "1/1 queues")
	if strings.Contains(s, "acc-root-q") || strings.Contains(s, "stale") {
		t.Fatalf("monitoring user sees a queue of a vhost it has no permissions in, or stale data:\n%s", s)
	}
	tm.keys("p")
	tm.waitFor(10*time.Second, "routing key")
	tm.keys("C-s")
	said(tm, "monitoring", "publish to acc-q", "publish failed", "ACCESS_REFUSED", "publish needs")
	tm.keys("Escape")
	tm.keys("C-c")
	if got := depth(t, env, vh, "acc-q"); got != 3 {
		t.Fatalf("acc-q holds %d after the refused publish, want 3", got)
	}

	// management, one vhost: sees only that vhost's queues; the views it
	// may not read say which tag they need, the others keep working.
	tm = run("mgr")
	tm.waitFor(20*time.Second, "RabbitMQ")
	said(tm, "management", "start", "logged in as e2e-acc-mgr")
	filter(tm, "acc-")
	s = tm.waitFor(20*time.Second, "acc-q", "1/1 queues")
	if strings.Contains(s, "acc-root-q") || strings.Contains(s, "stale") {
		t.Fatalf("management user sees another vhost's queue, or stale data:\n%s", s)
	}
	cmd(tm, "users")
	said(tm, "management", ":users", "needs the administrator tag")
	cmd(tm, "overview")
	said(tm, "management", ":overview", "needs the monitoring tag")
	cmd(tm, "queues")
	s = tm.waitFor(20*time.Second, "acc-q")
	if strings.Contains(s, "stale") {
		t.Fatalf("a refused view made the queues stale:\n%s", s)
	}
	// Polling does not ask for the nodes again and again to be refused.
	nodes401 := func() int {
		b, _ := os.ReadFile(logs["mgr"])
		n := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "/api/nodes") && strings.Contains(l, "status=401") {
				n++
			}
		}
		return n
	}
	before := nodes401()
	time.Sleep(5 * time.Second) // five polls at --refresh 1s
	if after := nodes401(); after != before {
		t.Fatalf("the header asked for the nodes %d more times after the broker refused them", after-before)
	}
	cmd(tm, "vhosts")
	tm.waitFor(20*time.Second, vh)
	tm.keys("n")
	said(tm, "management", "n in :vhosts", "add vhost refused")
	tm.keys("C-c")

	// policymaker: policies in its vhost, nothing of users.
	tm = run("pol")
	tm.waitFor(20*time.Second, "RabbitMQ")
	cmd(tm, "policies")
	tm.waitFor(20*time.Second, "policies")
	s = tm.screen()
	if strings.Contains(s, "✗add") {
		t.Fatalf("a policymaker's policies footer marks add:\n%s", s)
	}
	cmd(tm, "users")
	said(tm, "policymaker", ":users footer", "✗add")
	tm.keys("n")
	said(tm, "policymaker", "n in :users", "add user refused")
	tm.keys("C-c")

	golden.RequireEqual(t, []byte(record.String()))

	for key, u := range users {
		b, err := os.ReadFile(logs[key])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range append(screens, string(b)) {
			for _, other := range users {
				if strings.Contains(s, other.password) {
					t.Fatalf("the password of %s found in a screen or %s's log", other.name, u.name)
				}
			}
		}
	}
}
