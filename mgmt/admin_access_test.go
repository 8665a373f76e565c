package mgmt_test

import (
	"bytes"
	"context"
	"errors"
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

func TestPermissionSetAndClear(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	user, pw := adminUser(t, env, "perm", "management")
	path := "permissions/" + url.PathEscape(vh) + "/" + url.PathEscape(user)

	err := c.SetPermissions(ctx, vh, user, mgmt.Permission{Configure: "^c", Write: "a(", Read: ".*"})
	wantErrText(t, err, `set permissions of user "`+user+`" in vhost "`+vh+`": write pattern: bad regular expression "a("`)
	if code, _ := testenv.API(t, env, http.MethodGet, path, nil); code != 404 {
		t.Fatalf("a refused permission was set: %d", code)
	}
	want := mgmt.Permission{Configure: "^(?!amq\\.)", Write: mgmt.NothingRegex, Read: ".*"}
	if err := c.SetPermissions(ctx, vh, user, want); err != nil {
		t.Fatal(err)
	}
	var got mgmt.Permission
	testenv.GetJSON(t, env, path, &got)
	if got.Configure != want.Configure || got.Write != "" || got.Read != ".*" {
		t.Fatalf("read back %+v", got)
	}
	// The lookahead works as the broker reads it, and NothingRegex grants
	// nothing: the user declares, but may not publish.
	code, _ := putAs(t, env, user, pw, "queues/"+url.PathEscape(vh)+"/c-q", map[string]any{"durable": true})
	acode, _ := putAs(t, env, user, pw, "exchanges/"+url.PathEscape(vh)+"/amq.x", map[string]any{"type": "direct"})
	pcode, _ := postAs(t, env, user, pw, "exchanges/"+url.PathEscape(vh)+"/amq.default/publish",
		map[string]any{"routing_key": "c-q", "payload": "x", "payload_encoding": "string", "properties": map[string]any{}})
	if code != 201 || acode < 400 || pcode < 400 {
		t.Fatalf("declare (configure ^(?!amq\\.)) %d, declare amq.x %d, publish (write nothing) %d", code, acode, pcode)
	}

	err = c.SetPermissions(ctx, vh, user+"-nobody", want)
	wantErrText(t, err, "400", "vhost_or_user_not_found")
	if err := c.ClearPermissions(ctx, vh, user); err != nil {
		t.Fatal(err)
	}
	if code, _ := testenv.API(t, env, http.MethodGet, path, nil); code != 404 {
		t.Fatalf("permissions not cleared: %d", code)
	}
	err = c.ClearPermissions(ctx, vh, user)
	if mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `clear permissions of user "`+user+`" in vhost "`+vh+`"`) {
		t.Fatalf("clearing none: %v", err)
	}
}

func TestPermissionTopicSetAndClear(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	user, _ := adminUser(t, env, "topic", "management")
	read := func() []mgmt.TopicPermission {
		tp, err := c.TopicPermissions(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	if err := c.SetTopicPermissions(ctx, vh, user, mgmt.TopicPermission{Exchange: "", Write: ".*"}); err == nil {
		t.Fatal("topic permission on the default exchange accepted")
	}
	if err := c.SetTopicPermissions(ctx, vh, user, mgmt.TopicPermission{Exchange: "amq.topic", Write: "[", Read: ""}); err == nil ||
		!strings.Contains(err.Error(), "write pattern") {
		t.Fatalf("bad pattern: %v", err)
	}
	for _, tp := range []mgmt.TopicPermission{{Exchange: "amq.topic", Write: "^a\\.", Read: "^b\\."}, {Exchange: "events", Write: ".*", Read: ".*"}} {
		if err := c.SetTopicPermissions(ctx, vh, user, tp); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(); len(got) != 2 || got[0].Exchange != "amq.topic" || got[0].Write != "^a\\." {
		t.Fatalf("set: %+v", got)
	}
	// 3.10 clears one exchange's topic permission, leaving the others.
	if err := c.ClearTopicPermissions(ctx, vh, user, "events"); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got) != 1 || got[0].Exchange != "amq.topic" {
		t.Fatalf("after clearing events: %+v", got)
	}
	err := c.ClearTopicPermissions(ctx, vh, user, "events")
	if !errors.Is(err, mgmt.ErrNoTopicPermission) || !strings.Contains(err.Error(), `on exchange "events" of user "`+user+`"`) {
		t.Fatalf("clearing a missing one: %v", err)
	}
	if err := c.ClearTopicPermissions(ctx, vh, user, ""); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got) != 0 {
		t.Fatalf("after clearing all: %+v", got)
	}
	if err := c.ClearTopicPermissions(ctx, vh, user, ""); mgmt.StatusOf(err) != 404 {
		t.Fatalf("clearing none: %v", err)
	}
}

func putAs(t *testing.T, env testenv.Env, user, password, path string, body any) (int, string) {
	return sendAs(t, env, http.MethodPut, user, password, path, body)
}

func postAs(t *testing.T, env testenv.Env, user, password, path string, body any) (int, string) {
	return sendAs(t, env, http.MethodPost, user, password, path, body)
}

func sendAs(t *testing.T, env testenv.Env, method, user, password, path string, body any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, env.MgmtURL+"/api/"+path, bytes.NewReader([]byte(asJSON(t, body))))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := new(bytes.Buffer)
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

func TestVHostAdminAddContentsLimitsDelete(t *testing.T) {
	env := testenv.Broker(t)
	c, ctx := client(t, env), context.Background()
	name := "mqtop-test-admin-vh-" + adminRandom(t)
	t.Cleanup(func() { testenv.API(t, env, http.MethodDelete, "vhosts/"+url.PathEscape(name), nil) })

	for _, d := range []mgmt.VHostDecl{{Name: ""}, {Name: name, DefaultQueueType: "bogus"}, {Name: name, Tags: []string{"a,b"}}} {
		if err := c.AddVHost(ctx, d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
	d := mgmt.VHostDecl{Name: name, Description: "for the admin test", Tags: []string{"blue", "green"}, DefaultQueueType: "quorum", Tracing: true}
	if err := c.AddVHost(ctx, d); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Description      string   `json:"description"`
		Tags             []string `json:"tags"`
		DefaultQueueType string   `json:"default_queue_type"`
		Tracing          bool     `json:"tracing"`
	}
	testenv.GetJSON(t, env, "vhosts/"+url.PathEscape(name), &got)
	if got.Description != d.Description || !slices.Equal(got.Tags, d.Tags) || got.DefaultQueueType != "quorum" || !got.Tracing {
		t.Fatalf("read back %+v", got)
	}
	if err := c.AddVHost(ctx, d); !errors.Is(err, mgmt.ErrExists) {
		t.Fatalf("adding it again: %v", err)
	}

	// What a delete would take with it.
	if err := c.SetPermissions(ctx, name, env.User, mgmt.Permission{Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
		t.Fatal(err)
	}
	testenv.DeclareQueue(t, env, name, "a", map[string]any{"x-queue-type": "classic"})
	testenv.DeclareQueue(t, env, name, "b", map[string]any{"x-queue-type": "classic"})
	testenv.Publish(t, env, name, "", "a", []byte("1"), []byte("2"), []byte("3"))
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		q, m, err := c.VHostContents(ctx, name)
		return err == nil && q == mgmt.C(2) && m == mgmt.C(3), fmt.Sprintf("queues %v messages %v, %v", q, m, err)
	})
	if _, _, err := c.VHostContents(ctx, name+"-nothing"); mgmt.StatusOf(err) != 404 {
		t.Fatalf("contents of a missing vhost: %v", err)
	}

	// Limits.
	for _, bad := range []struct {
		limit string
		value int64
	}{{"max-foo", 1}, {"max-queues", -2}} {
		if err := c.SetVHostLimit(ctx, name, bad.limit, bad.value); err == nil {
			t.Errorf("%s=%d accepted", bad.limit, bad.value)
		}
	}
	if _, err := mgmt.ParseVHostLimit("1.5"); err == nil {
		t.Error("1.5 parsed as a limit")
	}
	if n, err := mgmt.ParseVHostLimit(" -1 "); err != nil || n != -1 {
		t.Errorf("-1: %d %v", n, err)
	}
	if err := c.SetVHostLimit(ctx, name, "max-queues", 5); err != nil {
		t.Fatal(err)
	}
	if err := c.SetVHostLimit(ctx, name, "max-connections", -1); err != nil {
		t.Fatal(err)
	}
	if lim, err := c.VHostLimits(ctx, name); err != nil || lim["max-queues"] != 5 || lim["max-connections"] != -1 {
		t.Fatalf("limits %v, %v", lim, err)
	}
	if err := c.ClearVHostLimit(ctx, name, "max-queues"); err != nil {
		t.Fatal(err)
	}
	if err := c.ClearVHostLimit(ctx, name, "max-queues"); err != nil { // not set: nothing to do
		t.Fatal(err)
	}
	if lim, err := c.VHostLimits(ctx, name); err != nil || len(lim) != 1 {
		t.Fatalf("limits after clearing %v, %v", lim, err)
	}
	// 3.10 answers 500 to this; mqtop says the vhost is not there.
	if err := c.ClearVHostLimit(ctx, name+"-nothing", "max-queues"); mgmt.StatusOf(err) != 404 {
		t.Fatalf("clearing a limit of a missing vhost: %v", err)
	}

	if err := c.DeleteVHost(ctx, name); err != nil {
		t.Fatal(err)
	}
	if code, _ := testenv.API(t, env, http.MethodGet, "vhosts/"+url.PathEscape(name), nil); code != 404 {
		t.Fatalf("vhost still there: %d", code)
	}
	if err := c.DeleteVHost(ctx, name); mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `delete vhost "`+name+`"`) {
		t.Fatalf("deleting it again: %v", err)
	}
}
