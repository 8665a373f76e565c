package views

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// Users is the user list (`:u`): name, tags and the vhost permissions of
// each user, never a password hash (mgmt.Users does not read it). enter
// shows the user's permissions as a JSON document built from the row; y
// the user as the broker sent it.
//
// The users endpoints have no vhost scope, so the list is not scoped by
// :vhost: it always shows every user, with all its vhosts.
type Users struct {
	*List[mgmt.User]
	keys *keys.Map
}

// NoRegex is how a permission's empty regex (which grants nothing) is shown.
const NoRegex = "∅"

// NewUsers lists users by name.
func NewUsers(k *keys.Map) *Users {
	return &Users{keys: k, List: NewList(k, ListSpec[mgmt.User]{
		Noun: "users", One: "user", FilterHint: "regex on user name",
		Key:   func(u mgmt.User) string { return u.Name },
		Sorts: []string{"name", "tags"}, Ascending: func(string) bool { return true },
		Columns: []Column[mgmt.User]{
			{Title: "NAME", Width: 20, Sort: "name", Cell: func(u mgmt.User) string { return Clean(u.Name) }},
			{Title: "TAGS", Width: 22, Sort: "tags", Priority: 1, Cell: userTagsCell},
			{Title: "VHOST: CONFIGURE WRITE READ", Cell: permissionsCell},
		},
	})}
}

// SetVHost does nothing: users belong to no vhost, and the broker lists
// them all (the permissions column shows every vhost).
func (v *Users) SetVHost(string) {}

func userTagsCell(u mgmt.User) string {
	if len(u.Tags) == 0 {
		return "none"
	}
	return Clean(strings.Join(u.Tags, ","))
}

// permRegex shows a permission regex; the empty one grants nothing.
func permRegex(re string) string {
	if re == "" {
		return NoRegex
	}
	return Clean(re)
}

// permissionsCell is every vhost's configure / write / read, compactly:
// "/: .* .* .* · orders: ^o ∅ ^o".
func permissionsCell(u mgmt.User) string {
	if len(u.Permissions) == 0 {
		return "no vhost access"
	}
	parts := make([]string, len(u.Permissions))
	for i, p := range u.Permissions {
		parts[i] = Clean(p.VHost) + ": " + permRegex(p.Configure) + " " + permRegex(p.Write) + " " + permRegex(p.Read)
	}
	return strings.Join(parts, " · ")
}

// Update: the list's keys, then enter (the user's page: permissions and
// topic permissions) and y (its JSON).
func (v *Users) Update(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := v.List.Update(msg); ok {
		return cmd
	}
	if key.Matches(msg, v.keys.New.Binding) {
		return emit(AddUserRequested{})
	}
	u, ok := v.Selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.Rebind.Binding):
		return emit(EditUserRequested{User: u})
	case key.Matches(msg, v.keys.Delete.Binding):
		return emit(DeleteUserRequested{Name: u.Name})
	case key.Matches(msg, v.keys.Permissions.Binding):
		return emit(PermissionsRequested{User: u.Name})
	case key.Matches(msg, v.keys.Detail.Binding):
		return emit(DetailRequested{View: "users", Key: u.Name})
	case key.Matches(msg, v.keys.RawJSON.Binding):
		if raw, ok := v.SelectedRaw(); ok {
			return emit(RawJSONRequested{Title: "user " + Clean(u.Name), Raw: raw})
		}
	}
	return nil
}
