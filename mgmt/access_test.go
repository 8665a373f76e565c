package mgmt_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// acUser creates the user name with the given tags (a comma-separated
// string, as the API takes them), deleted when the test ends.
func acUser(t *testing.T, env testenv.Env, name, tags string) {
	t.Helper()
	testenv.MustAPI(t, env, http.MethodPut, "users/"+url.PathEscape(name), map[string]any{"password": "x", "tags": tags})
	t.Cleanup(func() {
		if code, out := testenv.API(t, env, http.MethodDelete, "users/"+url.PathEscape(name), nil); code >= 300 && code != 404 {
			t.Logf("deleting user %s: %d %s", name, code, out)
		}
	})
}

func acRandomSuffix(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func acUserNames(p mgmt.ListPage[mgmt.User]) []string {
	var out []string
	for _, u := range p.Items {
		out = append(out, u.Name)
	}
	return out
}

func TestUsersPermissionsAndTopicPermissions(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c := client(t, env)
	prefix := "mqtop-test-user-" + acRandomSuffix(t)
	a, b, z := prefix+"-a", prefix+"-b", prefix+"-z"
	acUser(t, env, a, "monitoring")
	acUser(t, env, b, "administrator,policymaker")
	acUser(t, env, z, "")
	testenv.MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(a),
		map[string]string{"configure": "^c", "write": "^w", "read": ".*"})
	testenv.MustAPI(t, env, http.MethodPut, "topic-permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(a),
		map[string]string{"exchange": "amq.topic", "write": "^x", "read": "^y"})
	filter := "^" + regexp.QuoteMeta(prefix) + "-"
	ctx := context.Background()

	p, err := c.Users(ctx, mgmt.ListQuery{Filter: filter, Sort: "name"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(acUserNames(p), []string{a, b, z}) || p.Matched != 3 || p.Total < 4 || p.Paged || len(p.Raw) != 3 {
		t.Fatalf("users %q matched %d total %d paged %v", acUserNames(p), p.Matched, p.Total, p.Paged)
	}
	ua, ub, uz := p.Items[0], p.Items[1], p.Items[2]
	if !slices.Equal(ua.Tags, []string{"monitoring"}) || !slices.Equal(ub.Tags, []string{"administrator", "policymaker"}) || len(uz.Tags) != 0 {
		t.Fatalf("tags %q %q %q", ua.Tags, ub.Tags, uz.Tags)
	}
	want := []mgmt.Permission{{User: a, VHost: vh, Configure: "^c", Write: "^w", Read: ".*"}}
	if !slices.Equal(ua.Permissions, want) || len(ub.Permissions) != 0 {
		t.Fatalf("permissions %+v / %+v", ua.Permissions, ub.Permissions)
	}
	// The hash the broker holds is nowhere in the page.
	var raw map[string]any
	testenv.GetJSON(t, env, "users/"+url.PathEscape(a), &raw)
	hash, _ := raw["password_hash"].(string)
	dump := fmt.Sprintf("%#v", p)
	for _, r := range p.Raw {
		dump += string(r)
	}
	if hash == "" || strings.Contains(dump, hash) || strings.Contains(dump, "password_hash") || strings.Contains(dump, "hashing_algorithm") {
		t.Fatalf("password hash (%q) in the page: %s", hash, dump)
	}

	// Windows and both directions of both sorts.
	p, err = c.Users(ctx, mgmt.ListQuery{Filter: filter, Sort: "name", Desc: true, Offset: 1, Limit: 1})
	if err != nil || !slices.Equal(acUserNames(p), []string{b}) || p.Offset != 1 || p.Matched != 3 {
		t.Fatalf("name desc window: %q %+v %v", acUserNames(p), p, err)
	}
	p, err = c.Users(ctx, mgmt.ListQuery{Filter: filter, Sort: mgmt.UserSort["tags"]})
	if err != nil || !slices.Equal(acUserNames(p), []string{z, b, a}) {
		t.Fatalf("by tags: %q %v", acUserNames(p), err)
	}
	p, err = c.Users(ctx, mgmt.ListQuery{Filter: filter, Sort: "tags", Desc: true, Limit: 2})
	if err != nil || !slices.Equal(acUserNames(p), []string{a, b}) {
		t.Fatalf("by tags desc: %q %v", acUserNames(p), err)
	}
	if _, err := c.Users(ctx, mgmt.ListQuery{Filter: "("}); err == nil {
		t.Fatal("bad filter accepted")
	}

	tp, err := c.TopicPermissions(ctx, a)
	if err != nil || !slices.Equal(tp, []mgmt.TopicPermission{{VHost: vh, Exchange: "amq.topic", Write: "^x", Read: "^y"}}) {
		t.Fatalf("topic permissions %+v, %v", tp, err)
	}
	if tp, err := c.TopicPermissions(ctx, b); err != nil || len(tp) != 0 {
		t.Fatalf("no topic permissions: %+v, %v", tp, err)
	}
	// The detail page's read: one user, its permissions and topic permissions.
	du, dtp, err := c.UserDetail(ctx, a)
	if err != nil || du.Name != a || !slices.Equal(du.Tags, []string{"monitoring"}) || !slices.Equal(du.Permissions, want) ||
		!slices.Equal(dtp, tp) {
		t.Fatalf("user detail %+v %+v, %v", du, dtp, err)
	}
	if _, _, err := c.UserDetail(ctx, prefix+"-nobody"); mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), "read user") {
		t.Fatalf("detail of a missing user: %v", err)
	}
	_, err = c.TopicPermissions(ctx, prefix+"-nobody")
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), "list topic permissions of user") {
		t.Fatalf("missing user: %v", err)
	}

	// A monitoring user may not list users. The broker answers 401 (not
	// 403) with the reason "Not administrator user".
	mon := client(t, env, func(o *mgmt.Options) { o.User, o.Password = a, "x" })
	_, err = mon.Users(ctx, mgmt.ListQuery{})
	var he *mgmt.HTTPError
	if mgmt.StatusOf(err) != 401 || !strings.HasPrefix(err.Error(), "list users: 401") || !errors.As(err, &he) ||
		!strings.Contains(he.Reason, "administrator") || !strings.Contains(err.Error(), "this needs the administrator tag, which the user lacks (Not administrator user)") {
		t.Fatalf("monitoring user: %v", err)
	}
}

func acVHostNames(p mgmt.ListPage[mgmt.VHost]) string {
	var out []string
	for _, v := range p.Items {
		out = append(out, fmt.Sprintf("%s[q=%s m=%s]", v.Name, fmtC(v.Queues), fmtC(v.Messages)))
	}
	return strings.Join(out, " ")
}

func TestVHostsPageQueueCountsAndLimits(t *testing.T) {
	env := testenv.Broker(t)
	c := client(t, env)
	ctx := context.Background()
	vhs := []string{testenv.VHost(t), testenv.VHost(t), testenv.VHost(t)}
	slices.Sort(vhs)
	// vhs[0]: 2 queues, 3 messages; vhs[1]: 1 queue, empty; vhs[2]: nothing.
	testenv.DeclareQueue(t, env, vhs[0], "a", nil)
	testenv.DeclareQueue(t, env, vhs[0], "b", nil)
	testenv.Publish(t, env, vhs[0], "", "a", []byte("1"), []byte("2"), []byte("3"))
	testenv.DeclareQueue(t, env, vhs[1], "a", nil)
	testenv.MustAPI(t, env, http.MethodPut, "vhosts/"+url.PathEscape(vhs[1]),
		map[string]any{"description": "for the vhosts test", "tags": "blue,green", "tracing": true})
	testenv.MustAPI(t, env, http.MethodPut, "vhost-limits/"+url.PathEscape(vhs[0])+"/max-connections", map[string]any{"value": 10})
	testenv.MustAPI(t, env, http.MethodPut, "vhost-limits/"+url.PathEscape(vhs[0])+"/max-queues", map[string]any{"value": 20})
	filter := "^(" + regexp.QuoteMeta(vhs[0]) + "|" + regexp.QuoteMeta(vhs[1]) + "|" + regexp.QuoteMeta(vhs[2]) + ")$"

	var p mgmt.ListPage[mgmt.VHost]
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var err error
		p, err = c.ListVHosts(ctx, mgmt.ListQuery{Filter: filter, Sort: "name"})
		if err != nil {
			return false, err.Error()
		}
		if p.Matched != 3 || len(p.Items) != 3 || p.Items[0].Messages != mgmt.C(3) || p.Items[0].Ready != mgmt.C(3) {
			return false, acVHostNames(p)
		}
		return true, ""
	})
	if !p.Paged || p.Total < 3 || p.Items[0].Name != vhs[0] || p.Items[2].Name != vhs[2] {
		t.Fatalf("page: paged %v total %d: %s", p.Paged, p.Total, acVHostNames(p))
	}
	for i, want := range []int64{2, 1, 0} {
		if p.Items[i].Queues != mgmt.C(want) {
			t.Fatalf("queue counts: %s", acVHostNames(p))
		}
	}
	tagged := p.Items[1]
	if tagged.Description != "for the vhosts test" || !slices.Equal(tagged.Tags, []string{"blue", "green"}) || !tagged.Tracing ||
		len(tagged.ClusterState) == 0 {
		t.Fatalf("metadata: %+v", tagged)
	}
	p, err := c.ListVHosts(ctx, mgmt.ListQuery{Filter: filter, Sort: "name", Desc: true, Offset: 1, Limit: 1})
	if err != nil || len(p.Items) != 1 || p.Items[0].Name != vhs[1] || p.Offset != 1 || p.Matched != 3 || p.Items[0].Queues != mgmt.C(1) {
		t.Fatalf("desc window: %v %s", err, acVHostNames(p))
	}
	p, err = c.ListVHosts(ctx, mgmt.ListQuery{Filter: filter, Sort: mgmt.VHostSort["messages"], Desc: true, Limit: 1})
	if err != nil || len(p.Items) != 1 || p.Items[0].Name != vhs[0] {
		t.Fatalf("by messages: %v %s", err, acVHostNames(p))
	}

	lim, err := c.VHostLimits(ctx, vhs[0])
	if err != nil || len(lim) != 2 || lim["max-connections"] != 10 || lim["max-queues"] != 20 {
		t.Fatalf("limits %v, %v", lim, err)
	}
	if lim, err := c.VHostLimits(ctx, vhs[2]); err != nil || lim == nil || len(lim) != 0 {
		t.Fatalf("no limits: %v, %v", lim, err)
	}
	// The detail page's read: the vhost with its queue count and limits.
	dh, dlim, err := c.VHostDetail(ctx, vhs[0])
	if err != nil || dh.Name != vhs[0] || dh.Queues != mgmt.C(2) || dh.Messages != mgmt.C(3) || dlim["max-queues"] != 20 || len(dlim) != 2 {
		t.Fatalf("vhost detail %+v %v, %v", dh, dlim, err)
	}
	if _, _, err := c.VHostDetail(ctx, "no-such-vhost-h4"); mgmt.StatusOf(err) != 404 {
		t.Fatalf("detail of a missing vhost: %v", err)
	}
	_, err = c.VHostLimits(ctx, "no-such-vhost-h4")
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `read limits of vhost "no-such-vhost-h4"`) {
		t.Fatalf("missing vhost: %v", err)
	}
}

func TestFeatureFlags(t *testing.T) {
	env := testenv.Broker(t)
	flags, err := client(t, env).FeatureFlags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(flags, func(f mgmt.FeatureFlag) bool { return f.Name == "quorum_queue" })
	if i < 0 || flags[i].State != "enabled" || flags[i].Desc == "" || flags[i].Stability == "" {
		t.Fatalf("quorum_queue: %+v", flags)
	}
	for _, f := range flags {
		if f.Name == "" || f.State == "" {
			t.Fatalf("flag incomplete: %+v", f)
		}
	}
}
