package mgmt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/instance"
	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// loginWorks reports whether user can log in to the management API with password.
func loginWorks(t *testing.T, env testenv.Env, user, password string) bool {
	t.Helper()
	code, _, _ := getAs(t, env, user, password, "whoami")
	return code == 200
}

type storedUserJSON struct {
	Tags []string `json:"tags"`
	Hash string   `json:"password_hash"`
}

func readUser(t *testing.T, env testenv.Env, name string) storedUserJSON {
	t.Helper()
	var u storedUserJSON
	testenv.GetJSON(t, env, "users/"+url.PathEscape(name), &u)
	return u
}

func TestUserAddTagsPasswordDelete(t *testing.T) {
	env := testenv.Broker(t)
	c, ctx := client(t, env), context.Background()
	name := "mqtop-test-admin-user-" + adminRandom(t)
	cleanupUser(t, env, name)

	// Refused before anything is sent.
	for _, d := range []mgmt.UserDecl{
		{Name: name, Password: ""},
		{Name: name, Password: "x", NoPassword: true},
		{Name: name, Password: "x", Tags: []string{"a,b"}},
		{Name: name, Password: "x", Tags: []string{"two words"}},
		{Name: "", Password: "x"},
	} {
		if err := c.AddUser(ctx, d); err == nil || !strings.HasPrefix(err.Error(), "add user ") {
			t.Errorf("%+v accepted: %v", d, err)
		}
	}
	if code, _ := testenv.API(t, env, http.MethodGet, "users/"+url.PathEscape(name), nil); code != 404 {
		t.Fatalf("a refused user was created: %d", code)
	}

	if err := c.AddUser(ctx, mgmt.UserDecl{Name: name, Password: "first-pw", Tags: []string{"monitoring", "team-a", "monitoring"}}); err != nil {
		t.Fatal(err)
	}
	if u := readUser(t, env, name); !slices.Equal(u.Tags, []string{"monitoring", "team-a"}) || !loginWorks(t, env, name, "first-pw") {
		t.Fatalf("added user: %+v", u)
	}
	if err := c.AddUser(ctx, mgmt.UserDecl{Name: name, Password: "other"}); !errors.Is(err, mgmt.ErrExists) {
		t.Fatalf("adding it again: %v", err)
	}

	// New tags, the password kept.
	hash := readUser(t, env, name).Hash
	if err := c.SetUserTags(ctx, name, []string{"management", "policymaker"}); err != nil {
		t.Fatal(err)
	}
	u := readUser(t, env, name)
	if !slices.Equal(u.Tags, []string{"management", "policymaker"}) || u.Hash != hash || !loginWorks(t, env, name, "first-pw") {
		t.Fatalf("after SetUserTags: %+v, login works %v", u, loginWorks(t, env, name, "first-pw"))
	}
	if err := c.SetUserTags(ctx, name, []string{"bad,tag"}); err == nil || !strings.Contains(err.Error(), `set tags of user "`+name+`"`) {
		t.Fatalf("bad tag: %v", err)
	}

	// A new password, the tags kept.
	if err := c.SetPassword(ctx, name, "second-pw"); err != nil {
		t.Fatal(err)
	}
	if loginWorks(t, env, name, "first-pw") || !loginWorks(t, env, name, "second-pw") {
		t.Fatal("the password did not change")
	}
	if u := readUser(t, env, name); !slices.Equal(u.Tags, []string{"management", "policymaker"}) {
		t.Fatalf("tags after SetPassword: %v", u.Tags)
	}
	if err := c.SetPassword(ctx, name, ""); err == nil {
		t.Fatal("empty password accepted")
	}
	if err := c.SetPassword(ctx, name+"-nobody", "x"); mgmt.StatusOf(err) != 404 {
		t.Fatalf("password of a missing user: %v", err)
	}

	// Delete; deleting it again is a 404, not a silent success.
	if err := c.DeleteUser(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, name, false); mgmt.StatusOf(err) != 404 || !strings.Contains(err.Error(), `delete user "`+name+`"`) {
		t.Fatalf("deleting a missing user: %v", err)
	}
}

func TestUserWithoutPasswordAndSelfDelete(t *testing.T) {
	env := testenv.Broker(t)
	c, ctx := client(t, env), context.Background()
	cert := "mqtop-test-admin-cert-" + adminRandom(t)
	cleanupUser(t, env, cert)
	if err := c.AddUser(ctx, mgmt.UserDecl{Name: cert, NoPassword: true, Tags: []string{"management"}}); err != nil {
		t.Fatal(err)
	}
	if u := readUser(t, env, cert); u.Hash != "" || loginWorks(t, env, cert, "") {
		t.Fatalf("passwordless user: %+v", u)
	}
	// Its tags change and it stays passwordless.
	if err := c.SetUserTags(ctx, cert, []string{"monitoring"}); err != nil {
		t.Fatal(err)
	}
	if u := readUser(t, env, cert); u.Hash != "" || !slices.Equal(u.Tags, []string{"monitoring"}) {
		t.Fatalf("after SetUserTags: %+v", u)
	}

	// The user the client is logged in as is not deleted unless forced.
	if err := c.DeleteUser(ctx, env.User, false); !errors.Is(err, mgmt.ErrSelf) {
		t.Fatalf("deleting %s itself: %v", env.User, err)
	}
	admin, pw := adminUser(t, env, "self", "administrator")
	self := asUser(t, env, admin, pw)
	if err := self.DeleteUser(ctx, admin, false); !errors.Is(err, mgmt.ErrSelf) {
		t.Fatalf("unforced: %v", err)
	}
	if err := self.DeleteUser(ctx, admin, true); err != nil {
		t.Fatal(err)
	}
	if code, _ := testenv.API(t, env, http.MethodGet, "users/"+url.PathEscape(admin), nil); code != 404 {
		t.Fatalf("forced self-delete left the user: %d", code)
	}
}

// TestUserSecretsNeverLeak makes user calls fail every way it can (no
// broker, a refusal, a broker that echoes what it was sent) and looks for
// the password and the hash in every error and log line.
func TestUserSecretsNeverLeak(t *testing.T) {
	env := testenv.Broker(t)
	const password, hash = "Sekr1t-pa55word", "c2VrcmV0LWhhc2gtdmFsdWU="
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// echo answers a user read with the hash and every write with a 400
	// that repeats the request body, as a careless broker or proxy might.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		switch {
		case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/users/known"):
			fmt.Fprintf(w, `{"name":"known","tags":["management"],"password_hash":%q,"hashing_algorithm":"rabbit_password_hashing_sha256"}`, hash)
		case r.Method == http.MethodGet:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":"Object Not Found","reason":"Not Found"}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"bad_request","reason":%q}`, "cannot take "+body.String())
		}
	}))
	defer echo.Close()
	monitor, monitorPW := adminUser(t, env, "leak", "monitoring")

	var errs []error
	for _, o := range []mgmt.Options{
		{URLs: []string{closedPort(t)}, User: env.User, Password: env.Password},
		{URLs: []string{echo.URL}, User: env.User, Password: env.Password},
		{URLs: []string{env.MgmtURL}, User: monitor, Password: monitorPW}, // 401 Not administrator user
	} {
		o.Logger, o.Timeout = logger, 5*time.Second
		c, err := mgmt.New(o)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		errs = append(errs,
			c.AddUser(ctx, mgmt.UserDecl{Name: "mqtop-test-admin-leak-new", Password: password}),
			c.SetPassword(ctx, "known", password),
			c.SetUserTags(ctx, "known", []string{"monitoring"}))
		c.Close()
	}
	if strings.Count(logs.String(), "request failed") < 6 {
		t.Fatalf("the failures were not logged:\n%s", logs.String())
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d did not fail", i)
		}
		for _, secret := range []string{password, hash} {
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%#v", err), secret) {
				t.Errorf("call %d: the error holds a secret: %v", i, err)
			}
		}
	}
	for _, secret := range []string{password, hash} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "cannot take") {
		t.Errorf("the echoing broker's reason is not logged at all:\n%s", logs.String())
	}
}

// dialAs opens an AMQP connection to vh with the given client properties
// and returns it with the name the management API gives it.
func dialAs(t *testing.T, env testenv.Env, vh string, props amqp.Table) (*amqp.Connection, string) {
	return dialUser(t, env, env.User, env.Password, vh, props)
}

func dialUser(t *testing.T, env testenv.Env, user, password, vh string, props amqp.Table) (*amqp.Connection, string) {
	t.Helper()
	u, _ := url.Parse(env.AMQPURLFor(vh))
	u.User = url.UserPassword(user, password)
	conn, err := amqp.DialConfig(u.String(), amqp.Config{Properties: props, Heartbeat: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, fmt.Sprintf("%s -> %s", conn.LocalAddr().(*net.TCPAddr), conn.RemoteAddr().(*net.TCPAddr))
}

// waitListed waits until the management API lists every connection
// named (a few seconds: it learns of them from statistics).
func waitListed(t *testing.T, env testenv.Env, names ...string) {
	t.Helper()
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		for _, name := range names {
			if code, out := testenv.API(t, env, http.MethodGet, "connections/"+url.PathEscape(name), nil); code != 200 {
				return false, fmt.Sprintf("connection %s: %d %s", name, code, out)
			}
		}
		return true, ""
	})
}

func TestCloseConnectionWithReason(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	c, ctx := client(t, env), context.Background()
	cases := []struct{ reason, want string }{
		{"maintenance window", "CONNECTION_FORCED - maintenance window"},
		{"", "CONNECTION_FORCED - closed by " + env.User + " via mqtop"},
	}
	conns, names := make([]*amqp.Connection, len(cases)), make([]string, len(cases))
	for i := range cases {
		conns[i], names[i] = dialAs(t, env, vh, amqp.Table{"connection_name": "mqtop-test-victim"})
	}
	// This mqtop's own, and another mqtop's (Connection.Mine tells them apart).
	mine, name := dialAs(t, env, vh, amqp.Table{"product": "mqtop", "connection_name": "mqtop", instance.Property: instance.ID})
	_, other := dialAs(t, env, vh, amqp.Table{"product": "mqtop", instance.Property: "another-mqtop"})
	// A management user's own connection, and guest's it may not see.
	mu, mpw := adminUser(t, env, "closer", "management")
	grant(t, env, vh, mu, ".*", ".*", ".*")
	_, own := dialUser(t, env, mu, mpw, vh, nil)
	_, guests := dialAs(t, env, vh, nil)
	waitListed(t, env, append(names, name, other, own, guests)...)

	for i, tc := range cases {
		closed := conns[i].NotifyClose(make(chan *amqp.Error, 1))
		if err := c.CloseConnection(ctx, names[i], tc.reason); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-closed:
			if e == nil || e.Code != amqp.ConnectionForced || e.Reason != tc.want {
				t.Fatalf("closed with %+v, want %q", e, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the connection was not closed")
		}
	}
	if err := c.CloseConnection(ctx, name, ""); !errors.Is(err, mgmt.ErrOwnConnection) || !strings.Contains(err.Error(), name) {
		t.Fatalf("closing mqtop's own: %v", err)
	}
	if mine.IsClosed() {
		t.Fatal("mqtop's own connection was closed")
	}
	if err := c.CloseConnection(ctx, other, ""); err != nil {
		t.Fatalf("closing another mqtop's connection: %v", err)
	}
	// A management user closes its own connections, not others'.
	mc := asUser(t, env, mu, mpw)
	if err := mc.CloseConnection(ctx, guests, ""); mgmt.StatusOf(err) != 401 {
		t.Fatalf("a management user closing guest's connection: %v", err)
	}
	if code, out := sendAs(t, env, http.MethodDelete, mu, mpw, "connections/"+url.PathEscape(guests), nil); code != 401 {
		t.Fatalf("the broker let a management user close guest's connection: %d %s", code, out)
	}
	// A monitoring user sees every connection but closes none of others'.
	mon, monpw := adminUser(t, env, "watcher", "monitoring")
	if code, out := sendAs(t, env, http.MethodDelete, mon, monpw, "connections/"+url.PathEscape(guests), nil); code != 401 {
		t.Fatalf("the broker let a monitoring user close guest's connection: %d %s", code, out)
	}
	if err := mc.CloseConnection(ctx, own, ""); err != nil {
		t.Fatalf("a management user closing its own connection: %v", err)
	}
	if err := c.CloseConnection(ctx, "127.0.0.1:1 -> 127.0.0.1:2", ""); mgmt.StatusOf(err) != 404 {
		t.Fatalf("closing a missing connection: %v", err)
	}
	if err := c.CloseConnection(ctx, name, "two\nlines"); err == nil {
		t.Fatal("a reason with a line break accepted")
	}
}

// TestReadOnlyAdminRefusesBeforeAnyIO points a read-only client at a
// closed port: every administration call says read-only, and none is tried.
func TestReadOnlyAdminRefusesBeforeAnyIO(t *testing.T) {
	var logs bytes.Buffer
	c, err := mgmt.New(mgmt.Options{URLs: []string{closedPort(t)}, ReadOnly: true, User: "u", Password: "p",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := map[string]error{
		"AddUser":               c.AddUser(ctx, mgmt.UserDecl{Name: "u", Password: "p"}),
		"DeleteUser":            c.DeleteUser(ctx, "x", true),
		"SetUserTags":           c.SetUserTags(ctx, "x", nil),
		"SetPassword":           c.SetPassword(ctx, "x", "p"),
		"SetPermissions":        c.SetPermissions(ctx, "/", "x", mgmt.Permission{}),
		"ClearPermissions":      c.ClearPermissions(ctx, "/", "x"),
		"SetTopicPermissions":   c.SetTopicPermissions(ctx, "/", "x", mgmt.TopicPermission{Exchange: "amq.topic"}),
		"ClearTopicPermissions": c.ClearTopicPermissions(ctx, "/", "x", "amq.topic"),
		"AddVHost":              c.AddVHost(ctx, mgmt.VHostDecl{Name: "v"}),
		"DeleteVHost":           c.DeleteVHost(ctx, "v"),
		"SetVHostLimit":         c.SetVHostLimit(ctx, "v", "max-queues", 1),
		"ClearVHostLimit":       c.ClearVHostLimit(ctx, "v", "max-queues"),
		"PutPolicy":             c.PutPolicy(ctx, mgmt.PolicyDecl{VHost: "/", Name: "p", Pattern: ".*", Definition: map[string]any{"max-length": 1}}),
		"DeletePolicy":          c.DeletePolicy(ctx, "/", "p", true),
		"CloseConnection":       c.CloseConnection(ctx, "x", ""),
	}
	for name, err := range calls {
		if !errors.Is(err, mgmt.ErrReadOnly) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if logs.Len() != 0 {
		t.Fatalf("a request was tried:\n%s", logs.String())
	}
}
