package mgmt_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// adminUser creates a user named mqtop-test-admin-<suffix>-<random> with
// the given tags (comma-separated) and password "pw-<name>", deleted when
// the test ends, and returns its name and password.
func adminUser(t *testing.T, env testenv.Env, suffix, tags string) (string, string) {
	t.Helper()
	name := "mqtop-test-admin-" + suffix + "-" + adminRandom(t)
	password := "pw-" + name
	testenv.MustAPI(t, env, http.MethodPut, "users/"+url.PathEscape(name), map[string]any{"password": password, "tags": tags})
	cleanupUser(t, env, name)
	return name, password
}

func cleanupUser(t *testing.T, env testenv.Env, name string) {
	t.Cleanup(func() {
		if code, out := testenv.API(t, env, http.MethodDelete, "users/"+url.PathEscape(name), nil); code >= 300 && code != 404 {
			t.Logf("deleting user %s: %d %s", name, code, out)
		}
	})
}

func grant(t *testing.T, env testenv.Env, vh, user, configure, write, read string) {
	t.Helper()
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(user),
		map[string]string{"configure": configure, "write": write, "read": read})
}

func asUser(t *testing.T, env testenv.Env, user, password string) *mgmt.Client {
	return client(t, env, func(o *mgmt.Options) { o.User, o.Password = user, password })
}

// getAs GETs /api/<path> as user and returns the status, the reason of a
// refusal, and the items of a list.
func getAs(t *testing.T, env testenv.Env, user, password, path string) (int, string, []json.RawMessage) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.MgmtURL+"/api/"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&body)
	var refusal struct{ Reason string }
	var list []json.RawMessage
	if json.Unmarshal(body, &list) != nil {
		list = nil
		_ = json.Unmarshal(body, &refusal)
	}
	return resp.StatusCode, refusal.Reason, list
}

// inVHost counts the items of a list that belong to vh.
func inVHost(items []json.RawMessage, vh string) int {
	n := 0
	for _, item := range items {
		var v struct{ VHost string }
		if json.Unmarshal(item, &v) == nil && v.VHost == vh {
			n++
		}
	}
	return n
}

// TestWhoAmIAndWhatEachTagMayRead records, on the broker under test
// (3.10.8), what a user of each tag gets from the endpoints mqtop reads,
// and checks WhoAmI and Can for each.
func TestWhoAmIAndWhatEachTagMayRead(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	testenv.DeclareQueue(t, env, vh, "q", nil)
	testenv.Dial(t, env, vh) // a connection of guest's, for the connection lists
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var conns []json.RawMessage
		testenv.GetJSON(t, env, "vhosts/"+url.PathEscape(vh)+"/connections", &conns)
		return len(conns) == 1, fmt.Sprintf("%d connections listed", len(conns))
	})
	tags := []string{"", "monitoring", "management", "policymaker", "administrator"}
	type user struct{ name, password string }
	users := map[string]user{}
	for _, tag := range tags {
		n, p := adminUser(t, env, "who-"+strings.TrimSuffix(cmpOr(tag, "none"), "istrator"), tag)
		users[tag] = user{n, p}
	}
	// management and policymaker may use vh only; the administrator has
	// read-only rights there; monitoring has no permissions.
	grant(t, env, vh, users["management"].name, "^q", "^q", ".*")
	grant(t, env, vh, users["policymaker"].name, "^q", "^q", ".*")
	grant(t, env, vh, users["administrator"].name, "", "", ".*")

	const (
		notMgmt  = "401 Not management user"
		notAdmin = "401 Not administrator user"
		notMon   = "401 Not monitor user"
	)
	// The value is the status and reason, or "200 n=<items>" for a list
	// ("all": more than this test's own; connections: guest's one in vh),
	// "me" is the user itself, "vh" the test vhost. A monitoring user sees
	// every connection but cannot read a vhost it has no permissions in; a
	// management user sees its own connections only.
	want := map[string][5]string{ // none, monitoring, management, policymaker, administrator
		"whoami":                {notMgmt, "200", "200", "200", "200"},
		"overview":              {notMgmt, "200", "200", "200", "200"},
		"vhosts?columns=name":   {notMgmt, "200 all", "200 n=1", "200 n=1", "200 all"},
		"queues/vh":             {notMgmt, "401 User not authorised to access virtual host", "200 n=1", "200 n=1", "200 n=1"},
		"connections":           {notMgmt, "200 n=1", "200 n=0", "200 n=0", "200 n=1"},
		"vhosts/vh/connections": {notMgmt, "401 User not authorised to access virtual host", "200 n=0", "200 n=0", "200 n=1"},
		"users":                 {notMgmt, notAdmin, notAdmin, notAdmin, "200 all"},
		"permissions":           {notMgmt, notAdmin, notAdmin, notAdmin, "200 all"},
		"users/me/permissions":  {notMgmt, notAdmin, notAdmin, notAdmin, "200 n=1"},
		"feature-flags":         {notMgmt, notAdmin, notAdmin, notAdmin, "200 all"},
		"policies/vh":           {notMgmt, "401 User not authorised to access virtual host", "200 n=0", "200 n=0", "200 n=0"},
		"operator-policies/vh":  {notMgmt, "401 User not authorised to access virtual host", "200 n=0", "200 n=0", "200 n=0"},
		"nodes":                 {notMgmt, "200", notMon, notMon, "200"},
		"definitions":           {notMgmt, notAdmin, notAdmin, notAdmin, "200"},
	}
	var allVHosts []json.RawMessage
	testenv.GetJSON(t, env, "vhosts?columns=name", &allVHosts)
	var table []string
	for _, path := range sortedPaths(want) {
		row := fmt.Sprintf("%-22s", path)
		for i, tag := range tags {
			u := users[tag]
			p := strings.ReplaceAll(strings.ReplaceAll(path, "/me/", "/"+url.PathEscape(u.name)+"/"), "/vh", "/"+url.PathEscape(vh))
			code, reason, items := getAs(t, env, u.name, u.password, p)
			n := len(items)
			if path == "connections" {
				n = inVHost(items, vh) // other tests' connections may be listed too
			}
			got := fmt.Sprint(code)
			switch {
			case code != 200:
				got += " " + reason
			case strings.Contains(want[path][i], "all"):
				if n < 2 {
					got += fmt.Sprintf(" n=%d", n) // "all" is more than the test's own
				} else {
					got += " all"
				}
			case strings.Contains(want[path][i], "n="):
				got += fmt.Sprintf(" n=%d", n)
			}
			if got != want[path][i] {
				t.Errorf("%s as %q: got %q, want %q", path, tag, got, want[path][i])
			}
			row += " | " + got
		}
		table = append(table, row)
	}
	t.Logf("endpoint | none | monitoring | management | policymaker | administrator\n%s", strings.Join(table, "\n"))

	ctx := context.Background()
	_, err := asUser(t, env, users[""].name, users[""].password).WhoAmI(ctx)
	if mgmt.StatusOf(err) != 401 {
		t.Fatalf("WhoAmI of a user without tags: %v", err)
	}
	mes := map[string]mgmt.Me{}
	for _, tag := range tags[1:] {
		u := users[tag]
		me, err := asUser(t, env, u.name, u.password).WhoAmI(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if me.Name != u.name || !slices.Equal(me.Tags, []string{tag}) || !me.CanManage() || me.IsAdmin() != (tag == "administrator") {
			t.Errorf("%s: %+v", tag, me)
		}
		if me.PermissionsKnown != (tag == "administrator") || !slices.Contains(me.VHosts, vh) {
			t.Errorf("%s: permissions known %v, vhosts %v", tag, me.PermissionsKnown, me.VHosts)
		}
		if seesAll := len(me.VHosts) == len(allVHosts); seesAll != (tag == "monitoring" || tag == "administrator") {
			t.Errorf("%s sees vhosts %v", tag, me.VHosts)
		}
		mes[tag] = me
	}

	// What Can and CanDo say, and what the broker does.
	type check struct {
		tag, vhost, op string
		ok             bool
		why            string // part of the reason ("" for none)
	}
	for _, c := range []check{
		{"management", vh, mgmt.OpPurge, true, "the broker decides"}, // a guess: it sees vh
		{"management", "/", mgmt.OpPurge, false, "purge needs read permission on the queue in vhost /: user " + users["management"].name + " has no permissions on vhost /"},
		{"management", vh, mgmt.OpPolicy, false, "policy needs the policymaker tag"},
		{"management", vh, mgmt.OpUsers, false, "users needs the administrator tag"},
		{"policymaker", vh, mgmt.OpPolicy, true, "the broker decides"},
		{"policymaker", "/", mgmt.OpPolicy, false, "has no permissions on vhost /"},
		{"monitoring", vh, mgmt.OpOperatorPolicy, false, "lacks the administrator tag"},
		{"administrator", vh, mgmt.OpPurge, true, ""},
		{"administrator", vh, mgmt.OpDeclareQueue, false, "declare queue needs configure permission on the queue in vhost " + vh + ": user " + users["administrator"].name + " has no configure permission"},
		{"administrator", "/", mgmt.OpPolicy, true, ""},
		{"administrator", "/", mgmt.OpOperatorPolicy, true, ""},
		{"administrator", "/", mgmt.OpPurge, false, "has no permissions on vhost /"},
		{"administrator", vh, mgmt.OpUsers, true, ""},
	} {
		ok, why := mes[c.tag].CanDo(c.vhost, c.op)
		if ok != c.ok || (c.why == "" && why != "") || !strings.Contains(why, c.why) {
			t.Errorf("%s CanDo(%s, %s) = %v, %q; want %v, %q", c.tag, c.vhost, c.op, ok, why, c.ok, c.why)
		}
	}
	for _, c := range []struct {
		tag, owner string
		ok         bool
	}{{"management", users["management"].name, true}, {"management", "guest", false}, {"monitoring", "guest", false}, {"administrator", "guest", true}} {
		if ok, why := mes[c.tag].CanCloseConnection(mgmt.Connection{User: c.owner}); ok != c.ok || ok == (why != "") {
			t.Errorf("%s closing %s's connection: %v %q", c.tag, c.owner, ok, why)
		}
	}
	admin := mes["administrator"]
	if ok, why := admin.CanOn(vh, mgmt.PermRead, "q"); !ok || why != "" {
		t.Errorf("CanOn read q: %v %q", ok, why)
	}
	if ok, why := admin.Can(vh, mgmt.PermWrite); ok || !strings.Contains(why, "no write permission") {
		t.Errorf("Can write: %v %q", ok, why)
	}
	if ok, _ := mes["management"].Can(vh, mgmt.TagAdmin); ok {
		t.Error("management is no admin")
	}
	// The broker agrees with the answers above.
	putAs := func(tag, path string, body any) int {
		u := users[tag]
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPut, env.MgmtURL+"/api/"+path, strings.NewReader(string(b)))
		req.SetBasicAuth(u.name, u.password)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	policy := map[string]any{"pattern": "^nothing-matches$", "definition": map[string]any{"max-length": 1}}
	t.Cleanup(func() {
		for _, p := range []string{"policies/%2F/mqtop-test-admin-a", "operator-policies/%2F/mqtop-test-admin-a"} {
			testenv.API(t, env, http.MethodDelete, p, nil)
		}
	})
	for _, c := range []struct {
		tag, path string
		body      any
		want      int
	}{
		{"policymaker", "policies/" + url.PathEscape(vh) + "/mqtop-test-admin-p", policy, 201},
		{"policymaker", "policies/%2F/mqtop-test-admin-p", policy, 401},
		{"management", "policies/" + url.PathEscape(vh) + "/mqtop-test-admin-m", policy, 401},
		{"administrator", "policies/%2F/mqtop-test-admin-a", policy, 201},
		{"administrator", "operator-policies/%2F/mqtop-test-admin-a", policy, 201},
		{"administrator", "queues/" + url.PathEscape(vh) + "/q-admin", map[string]any{"durable": true}, 401},
		{"management", "queues/" + url.PathEscape(vh) + "/q-mgmt", map[string]any{"durable": true}, 201},
	} {
		if got := putAs(c.tag, c.path, c.body); got != c.want {
			t.Errorf("PUT %s as %s: %d, want %d", c.path, c.tag, got, c.want)
		}
	}
}

func adminRandom(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortedPaths(m map[string][5]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
