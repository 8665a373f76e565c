package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// adminHostile is a broker-supplied name that tries to colour the terminal.
const adminHostile = "evil\x1b[31mred"

// adminSized is a list view as the golden tests drive it.
type adminSized interface {
	SetSize(w, h int)
	View() string
}

// adminGolden renders the view at 80x24 and 160x48, one golden file each,
// and checks that no escape sequence from the broker reached the screen.
func adminGolden(t *testing.T, v adminSized) {
	t.Helper()
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			v.SetSize(size[0], size[1])
			out := v.View()
			if strings.Contains(out, "\x1b[31m") {
				t.Fatal("an escape sequence from a name reached the screen")
			}
			plain := ansi.Strip(out)
			for i, line := range strings.Split(plain, "\n") {
				if w := ansi.StringWidth(line); w > size[0] {
					t.Errorf("line %d is %d cells wide: %q", i, w, line)
				}
			}
			if n := strings.Count(plain, "\n") + 1; n > size[1] {
				t.Errorf("%d lines for a height of %d", n, size[1])
			}
			golden.RequireEqual(t, []byte(plain))
		})
	}
}

func adminRaw[T any](rows []T) [][]byte {
	out := make([][]byte, len(rows))
	for i, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}

func usersPage() Page[mgmt.User] {
	rows := []mgmt.User{
		{Name: "admin", Tags: []string{"administrator"}, Permissions: []mgmt.Permission{
			{User: "admin", VHost: "/", Configure: ".*", Write: ".*", Read: ".*"},
			{User: "admin", VHost: "orders", Configure: "^o", Write: "", Read: "^o"},
		}},
		{Name: adminHostile, Permissions: []mgmt.Permission{{User: adminHostile, VHost: "/", Configure: "", Write: "\x1b[31m", Read: ".*"}}},
		{Name: "monitor", Tags: []string{"monitoring", "management"}, Permissions: []mgmt.Permission{
			{User: "monitor", VHost: "/", Configure: "", Write: "", Read: ".*"},
		}},
		{Name: "nobody"},
		{Name: "svc-orders", Permissions: []mgmt.Permission{
			{User: "svc-orders", VHost: "orders", Configure: `^orders\.`, Write: `^orders\.`, Read: `^orders\.`},
			{User: "svc-orders", VHost: "orders-eu-west-1", Configure: `^orders\.`, Write: `^(orders|audit)\.`, Read: `^orders\.`},
		}},
	}
	return Page[mgmt.User]{Rows: rows, Raw: adminRaw(rows), Matched: len(rows), Total: len(rows)}
}

func TestUsersGolden(t *testing.T) {
	k := keys.Default()
	v := NewUsers(&k)
	v.SetSize(80, 24)
	v.SetPage(usersPage())
	v.Update(press("j")) // the cursor on the adminHostile row
	adminGolden(t, v)
}

func TestUsersKeys(t *testing.T) {
	k := keys.Default()
	v := NewUsers(&k)
	v.SetSize(120, 24)
	p := usersPage()
	v.SetPage(p)

	if got := msgOf(v.Update(press("enter"))); got != (DetailRequested{View: "users", Key: "admin"}) {
		t.Fatalf("enter = %#v, want the user's detail page", got)
	}

	raw, ok := msgOf(v.Update(press("y"))).(RawJSONRequested)
	if !ok || string(raw.Raw) != string(p.Raw[0]) || !strings.Contains(raw.Title, "admin") {
		t.Fatalf("y = %#v", raw)
	}

	// s cycles name → tags → name, each A→Z, each a new query.
	for _, want := range []string{"tags", "name"} {
		if _, ok := msgOf(v.Update(press("s"))).(QueryChanged); !ok {
			t.Fatal("s did not ask for a new query")
		}
		if s, desc := v.Sort(); s != want || desc {
			t.Fatalf("sort = %s desc=%v, want %s ascending", s, desc, want)
		}
	}
	if q := v.Query(); q.Sort != "name" || q.Desc {
		t.Fatalf("query sort = %s desc=%v", q.Sort, q.Desc)
	}
}

func TestUsersShowPermissionsCompactly(t *testing.T) {
	p := usersPage()
	if got := permissionsCell(p.Rows[0]); got != "/: .* .* .* · orders: ^o ∅ ^o" {
		t.Errorf("admin's permissions = %q", got)
	}
	if got := permissionsCell(p.Rows[3]); got != "no vhost access" {
		t.Errorf("nobody's permissions = %q", got)
	}
	if got := permissionsCell(p.Rows[1]); strings.Contains(got, "\x1b") {
		t.Errorf("an escape sequence in a permission: %q", got)
	}
}

// The cursor stays on the user chosen when a refresh reorders the rows.
func TestUsersCursorFollowsTheRow(t *testing.T) {
	k := keys.Default()
	v := NewUsers(&k)
	v.SetSize(120, 24)
	p := usersPage()
	v.SetPage(p)
	v.Update(press("j"))
	v.Update(press("j"))
	if u, _ := v.Selected(); u.Name != "monitor" {
		t.Fatalf("chosen %q", u.Name)
	}
	rev := Page[mgmt.User]{Matched: len(p.Rows), Total: len(p.Rows)}
	for i := len(p.Rows) - 1; i >= 0; i-- {
		rev.Rows = append(rev.Rows, p.Rows[i])
		rev.Raw = append(rev.Raw, p.Raw[i])
	}
	rev.Rows[0], rev.Rows[2] = rev.Rows[2], rev.Rows[0] // monitor first
	rev.Raw[0], rev.Raw[2] = rev.Raw[2], rev.Raw[0]
	if refetch, note := v.SetPage(rev); refetch || note != "" {
		t.Fatalf("refetch=%v note=%q", refetch, note)
	}
	u, ok := v.Selected()
	if !ok || u.Name != "monitor" {
		t.Fatalf("after the reorder the cursor is on %q", u.Name)
	}
	if raw, _ := v.SelectedRaw(); !strings.Contains(string(raw), `"monitor"`) {
		t.Fatalf("y would show %s", raw)
	}
	if cmd := v.Update(tea.KeyPressMsg{Code: tea.KeyEnter}); cmd == nil {
		t.Fatal("enter did nothing")
	} else if req := cmd().(DetailRequested); req.Key != "monitor" {
		t.Fatalf("enter acted on %q", req.Key)
	}
}

// :vhost does not scope the user list: users belong to no vhost.
func TestUsersIgnoreTheVHostScope(t *testing.T) {
	k := keys.Default()
	v := NewUsers(&k)
	v.SetVHost("orders")
	if v.VHost() != "" || v.Query().VHost != "" {
		t.Fatalf("user list scoped to %q", v.VHost())
	}
}
