package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// adminBackend records the administration asked of it.
type adminBackend struct {
	editorBackend
	did []string
}

func (a *adminBackend) AddUser(_ context.Context, d mgmt.UserDecl) error {
	a.did = append(a.did, fmt.Sprintf("add user %s pw=%v nopw=%v tags=%v", d.Name, d.Password != "", d.NoPassword, d.Tags))
	return nil
}
func (a *adminBackend) DeleteUser(_ context.Context, n string, force bool) error {
	a.did = append(a.did, fmt.Sprintf("delete user %s force=%v", n, force))
	return nil
}
func (a *adminBackend) SetUserTags(_ context.Context, n string, t []string) error {
	a.did = append(a.did, fmt.Sprintf("tags %s %v", n, t))
	return nil
}
func (a *adminBackend) SetPassword(_ context.Context, n, _ string) error {
	a.did = append(a.did, "password "+n)
	return nil
}
func (a *adminBackend) SetPermissions(_ context.Context, vh, u string, p mgmt.Permission) error {
	a.did = append(a.did, fmt.Sprintf("permissions %s %s %q %q %q", vh, u, p.Configure, p.Write, p.Read))
	return nil
}
func (a *adminBackend) ClearPermissions(_ context.Context, vh, u string) error {
	a.did = append(a.did, "clear permissions "+vh+" "+u)
	return nil
}
func (a *adminBackend) SetTopicPermissions(_ context.Context, vh, u string, tp mgmt.TopicPermission) error {
	a.did = append(a.did, fmt.Sprintf("topic %s %s %s %q %q", vh, u, tp.Exchange, tp.Write, tp.Read))
	return nil
}
func (a *adminBackend) ClearTopicPermissions(_ context.Context, vh, u, x string) error {
	a.did = append(a.did, "clear topic "+vh+" "+u+" "+x)
	return nil
}
func (a *adminBackend) AddVHost(_ context.Context, d mgmt.VHostDecl) error {
	a.did = append(a.did, "add vhost "+d.Name+" "+d.DefaultQueueType)
	return nil
}
func (a *adminBackend) DeleteVHost(_ context.Context, n string) error {
	a.did = append(a.did, "delete vhost "+n)
	return nil
}
func (a *adminBackend) VHostContents(context.Context, string) (mgmt.Count, mgmt.Count, error) {
	return mgmt.C(3), mgmt.C(120), nil
}
func (a *adminBackend) VHostLimits(context.Context, string) (map[string]int64, error) {
	return map[string]int64{"max-queues": 10}, nil
}
func (a *adminBackend) SetVHostLimit(_ context.Context, vh, n string, v int64) error {
	a.did = append(a.did, fmt.Sprintf("limit %s %s=%d", vh, n, v))
	return nil
}
func (a *adminBackend) ClearVHostLimit(_ context.Context, vh, n string) error {
	a.did = append(a.did, fmt.Sprintf("clear limit %s %s", vh, n))
	return nil
}
func (a *adminBackend) PutPolicy(_ context.Context, d mgmt.PolicyDecl) error {
	a.did = append(a.did, fmt.Sprintf("policy %s/%s %q %s %d %v", d.VHost, d.Name, d.Pattern, d.ApplyTo, d.Priority, d.Definition))
	return nil
}
func (a *adminBackend) DeletePolicy(_ context.Context, vh, n string, op bool) error {
	a.did = append(a.did, fmt.Sprintf("delete policy %s/%s op=%v", vh, n, op))
	return nil
}
func (a *adminBackend) CloseConnection(_ context.Context, n, reason string) error {
	a.did = append(a.did, fmt.Sprintf("close %s %q", n, reason))
	return nil
}

func adminModel(t *testing.T, readOnly bool) (*Model, *adminBackend, *fakeClock) {
	m, _, clk := editorModel(t, readOnly)
	a := &adminBackend{}
	m.deps.Backend = a
	m.deps.Context.User = "guest"
	return m, a, clk
}

func TestAddUserMasksAndNeverRemembersThePassword(t *testing.T) {
	m, a, clk := adminModel(t, false)
	drive(m, func() tea.Msg { return views.AddUserRequested{} })
	typeInto(m, "svc")
	m.handleKey(press("tab"))
	typeInto(m, "s3cret-pw")
	m.handleKey(press("tab"))
	typeInto(m, "s3cret-pX")
	drive(m, m.handleKey(press("ctrl+s")))
	if out := screenText(t, m); !strings.Contains(out, "the two passwords differ") || strings.Contains(out, "s3cret") {
		t.Fatalf("mismatch not refused, or the password on screen:\n%s", out)
	}
	m.handleKey(press("backspace"))
	typeInto(m, "w")
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if len(a.did) != 1 || a.did[0] != "add user svc pw=true nopw=false tags=[management]" {
		t.Fatalf("did %q", a.did)
	}
	for k, v := range m.remembered {
		for f, val := range v {
			if strings.Contains(val, "s3cret") {
				t.Fatalf("the password is remembered in %q field %s", k, f)
			}
		}
	}
}

func TestAdministrationFlows(t *testing.T) {
	m, a, clk := adminModel(t, false)
	run := func(intent any, keys ...string) {
		t.Helper()
		drive(m, func() tea.Msg { return intent })
		for _, k := range keys {
			if len(k) == 1 {
				typeInto(m, k)
			} else {
				drive(m, m.handleKey(press(k)))
			}
		}
	}
	// Deleting the user mqtop is logged in as needs its name typed.
	run(views.DeleteUserRequested{Name: "guest"})
	confirm(t, m, clk)
	if len(a.did) != 0 {
		t.Fatalf("deleted self without the name typed: %q", a.did)
	}
	m.handleKey(press("backspace"))
	typeInto(m, "guest")
	drive(m, m.handleKey(press("enter")))
	if a.did[0] != "delete user guest force=true" {
		t.Fatalf("did %q", a.did)
	}
	// Permissions: the regexes are checked before anything is sent.
	run(views.PermissionsRequested{User: "svc"}, "tab", "tab")
	typeInto(m, "(")
	drive(m, m.handleKey(press("ctrl+s")))
	if m.dialog != nil || len(a.did) != 1 {
		t.Fatalf("a bad regex was sent: %q", a.did)
	}
	m.handleKey(press("backspace"))
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if a.did[1] != `permissions / svc ".*" ".*" ".*"` {
		t.Fatalf("did %q", a.did)
	}
	// A vhost holding messages: its counts named, its name typed.
	run(views.DeleteVHostRequested{Name: "eu"})
	if out := screenText(t, m); !strings.Contains(out, "with its 3 queue(s) and 120 message(s)") {
		t.Fatalf("delete vhost dialog:\n%s", out)
	}
	clk.t = clk.t.Add(time.Second)
	typeInto(m, "eu")
	drive(m, m.handleKey(press("enter")))
	if a.did[2] != "delete vhost eu" {
		t.Fatalf("did %q", a.did)
	}
	// Limits: the form holds the current ones; empty clears.
	run(views.VHostLimitsRequested{Name: "eu"})
	if out := screenText(t, m); !strings.Contains(out, "max-queues       10") {
		t.Fatalf("limits form:\n%s", out)
	}
	typeInto(m, "50")
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if strings.Join(a.did[3:], "; ") != "limit eu max-connections=50; limit eu max-queues=10" {
		t.Fatalf("did %q", a.did)
	}
	// Close a connection with the reason typed (the default names the user).
	run(views.CloseConnectionRequest{Conn: mgmt.Connection{Name: "10.0.0.5:5555 -> 10.0.0.1:5672", User: "app"}})
	if out := screenText(t, m); !strings.Contains(out, "closed by guest via mqtop") {
		t.Fatalf("close form:\n%s", out)
	}
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if a.did[5] != `close 10.0.0.5:5555 -> 10.0.0.1:5672 "closed by guest via mqtop"` {
		t.Fatalf("did %q", a.did)
	}
	// A policy: an unknown definition key is refused before the dialog.
	run(views.PolicyRequested{VHost: "/"}, "tab")
	typeInto(m, "cap")
	for range 4 {
		m.handleKey(press("tab"))
	}
	typeInto(m, "max-length=1000")
	drive(m, m.handleKey(press("ctrl+s")))
	confirm(t, m, clk)
	if a.did[6] != `policy //cap ".*" queues 0 map[max-length:1000]` {
		t.Fatalf("did %q", a.did)
	}
}

func TestAdministrationRefusedReadOnly(t *testing.T) {
	m, a, _ := adminModel(t, true)
	for _, intent := range []any{views.AddUserRequested{}, views.EditUserRequested{}, views.DeleteUserRequested{Name: "x"},
		views.PermissionsRequested{User: "x"}, views.AddVHostRequested{}, views.DeleteVHostRequested{Name: "x"},
		views.VHostLimitsRequested{Name: "x"}, views.CloseConnectionRequest{}, views.PolicyRequested{VHost: "/"},
		views.DeletePolicyRequested{}} {
		drive(m, func() tea.Msg { return intent })
		if m.dialog != nil || len(m.stack) != 1 || !strings.Contains(m.line.text, "read-only") {
			t.Fatalf("%T in read-only mode: dialog %v stack %d status %q", intent, m.dialog != nil, len(m.stack), m.line.text)
		}
	}
	if len(a.did) != 0 {
		t.Fatalf("did %q", a.did)
	}
}
