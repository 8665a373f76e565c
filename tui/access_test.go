package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// meBackend is an administrator backend that says who mqtop is.
type meBackend struct {
	adminBackend
	me    mgmt.Me
	calls int
}

func (b *meBackend) WhoAmI(context.Context) (mgmt.Me, error) { b.calls++; return b.me, nil }

func accessModel(t *testing.T, me mgmt.Me) (*Model, *meBackend) {
	m, _, _ := adminModel(t, false)
	b := &meBackend{me: me}
	m.deps.Backend = b
	m.deps.Context.User = me.Name
	// The first good poll reads who mqtop is.
	_, cmd := m.Update(SnapshotLoaded{Seq: m.seq})
	drive(m, cmd)
	if m.me == nil || m.me.Name != me.Name {
		t.Fatalf("whoami not read after the first poll: %+v", m.me)
	}
	return m, b
}

func TestAccessRefusesBeforeAnyDialog(t *testing.T) {
	mon := mgmt.Me{Name: "mon", Tags: []string{"monitoring"}, VHosts: []string{"/", "shop"}}
	mgr := mgmt.Me{Name: "mgr", Tags: []string{"management"}, VHosts: []string{"shop"}}
	pol := mgmt.Me{Name: "pol", Tags: []string{"policymaker"}, VHosts: []string{"shop"}}
	adm := mgmt.Me{Name: "adm", Tags: []string{"administrator"}, PermissionsKnown: true,
		Permissions: map[string]mgmt.Permission{"/": {Configure: "^$", Write: "^amq\\.default$", Read: "^orders$"}}}
	cases := []struct {
		me     mgmt.Me
		intent tea.Msg
		want   string // "" allowed: a dialog or form opens
	}{
		{mon, views.AddUserRequested{}, "add user refused: it needs the administrator tag; user mon has tags monitoring"},
		{mon, views.DeleteVHostRequested{Name: "shop"}, "delete vhost refused: it needs the administrator tag; user mon has tags monitoring"},
		{mon, views.PolicyRequested{VHost: "shop"}, "add policy refused: it needs the policymaker tag; user mon has tags monitoring"},
		{mon, views.CloseConnectionRequest{Conn: mgmt.Connection{Name: "c1", User: "app"}}, "close connection refused: closing app's connection needs the administrator tag"},
		// Permissions a monitoring user may not read: the broker decides.
		{mon, views.PurgeRequested{VHost: "/", Queue: "orders"}, ""},
		{mgr, views.PurgeRequested{VHost: "/", Queue: "orders"}, "purge refused: purge needs read permission on the queue in vhost /: user mgr has no permissions on vhost /"},
		{mgr, views.PurgeRequested{VHost: "shop", Queue: "orders"}, ""},
		{mgr, views.CloseConnectionRequest{Conn: mgmt.Connection{Name: "c2", User: "mgr"}}, ""},
		{pol, views.PolicyRequested{VHost: "shop"}, ""},
		{pol, views.PolicyRequested{VHost: "/"}, "add policy refused: policies in vhost / need some permission there besides the policymaker tag, and user pol has none"},
		{pol, views.DeletePolicyRequested{Policy: mgmt.Policy{VHost: "shop", Name: "op", Operator: true}}, "delete policy refused: it needs the administrator tag; user pol has tags policymaker"},
		{adm, views.PurgeRequested{VHost: "/", Queue: "orders"}, ""},
		{adm, views.PurgeRequested{VHost: "/", Queue: "payments"}, `purge refused: purge needs read permission on the queue "payments" in vhost /: user adm's read pattern "^orders$" on vhost / does not match "payments"`},
		{adm, views.DeleteQueueRequested{VHost: "/", Queue: "orders"}, `delete queue refused: delete queue needs configure permission on the queue "orders" in vhost /: user adm's configure pattern "^$" on vhost / does not match "orders"`},
		{adm, views.PublishRequested{VHost: "/", Queue: "orders"}, ""},
		{adm, views.PublishRequested{VHost: "/", Exchange: "events"}, `publish refused: publish needs write permission on the exchange "events" in vhost /`},
		{adm, views.AddUserRequested{}, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %T", c.me.Name, c.intent), func(t *testing.T) {
			m, b := accessModel(t, c.me)
			depth := len(m.stack)
			drive(m, func() tea.Msg { return c.intent })
			opened := m.dialog != nil || len(m.stack) > depth
			if c.want == "" {
				if strings.Contains(m.line.text, "refused") {
					t.Fatalf("allowed action refused: %q", m.line.text)
				}
				return
			}
			if opened || !strings.HasPrefix(m.line.text, c.want) || !m.line.isErr {
				t.Fatalf("status %q (error %v), dialog/form opened %v; want it to start %q", m.line.text, m.line.isErr, opened, c.want)
			}
			if len(b.did) != 0 {
				t.Fatalf("did %q", b.did)
			}
		})
	}
}

func TestAccessMarksTheKeysAUserMayNotUse(t *testing.T) {
	m, _ := accessModel(t, mgmt.Me{Name: "mon", Tags: []string{"monitoring"}})
	if !strings.Contains(m.line.text, "logged in as mon (tags monitoring)") {
		t.Fatalf("no note of who mqtop is: %q", m.line.text)
	}
	m.openView(views.OpenViewRequested{View: "users"})
	out := screenText(t, m)
	for _, want := range []string{"✗add", "✗edit", "✗permissions"} {
		if !strings.Contains(out, want) {
			t.Fatalf("footer of :users for a monitoring user lacks %q:\n%s", want, out)
		}
	}
	m2, _ := accessModel(t, mgmt.Me{Name: "adm", Tags: []string{"administrator"}})
	m2.openView(views.OpenViewRequested{View: "users"})
	if out := screenText(t, m2); strings.Contains(out, "✗") {
		t.Fatalf("an administrator's footer marks keys:\n%s", out)
	}
}

func TestAccessExplainsTheBrokersRefusal(t *testing.T) {
	refused := &amqp.OpError{Op: `purge queue "orders"`, VHost: "/", Code: 403,
		Reason: "ACCESS_REFUSED - access to queue 'orders' in vhost '/' refused for user 'mon'"}
	got := failure(`purge queue "orders" in vhost "/"`, refused)
	if !strings.Contains(got, "ACCESS_REFUSED") || !strings.Contains(got, "purge needs read permission on the queue") {
		t.Fatalf("403: %q", got)
	}
	noVHost := &amqp.OpError{Op: "publish", VHost: "shop", Code: 530,
		Reason: "NOT_ALLOWED - access to vhost 'shop' refused for user 'mon'"}
	if got := failure("publish", noVHost); !strings.Contains(got, "no permissions on this vhost at all") {
		t.Fatalf("530: %q", got)
	}
	tag := fmt.Errorf("list users: %w", &mgmt.HTTPError{Status: 401, Reason: "Not administrator user"})
	if got := failure("list users", tag); !strings.Contains(got, "needs the administrator tag") || !strings.Contains(got, "ask an administrator for the administrator tag") {
		t.Fatalf("401 tag: %q", got)
	}
	if got := failure("purge", errors.New("connection reset")); strings.Contains(got, "ask an administrator") {
		t.Fatalf("not a refusal explained as one: %q", got)
	}
}

// losingSession is a session whose connection the broker closed.
type losingSession struct {
	fakeMessaging
	lost []amqp.Lost
}

func (l *losingSession) TakeLost() []amqp.Lost { out := l.lost; l.lost = nil; return out }

// A connection closed by an operator (ctrl+k in another mqtop, the
// management UI) is said once in this mqtop, with the reason they typed.
func TestLostConnectionIsSaid(t *testing.T) {
	m := newTestModel(Context{Name: "t"})
	s := &losingSession{lost: []amqp.Lost{{VHost: "/", Code: 320, Reason: "CONNECTION_FORCED - closed by guest via mqtop: on-call walk"}}}
	m.deps.AMQP = s
	feed(m, time.Now(), 0)
	if !strings.Contains(m.line.text, "AMQP connection of vhost / closed by the broker: 320 CONNECTION_FORCED - closed by guest via mqtop: on-call walk") {
		t.Fatalf("status %q", m.line.text)
	}
	m.line.text = ""
	feed(m, time.Now(), 0)
	if strings.Contains(m.line.text, "closed by the broker") {
		t.Fatal("said twice")
	}
}
