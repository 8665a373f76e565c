package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// Administrator is the management API's administration: users,
// permissions, vhosts, policies, closing connections. The management
// client implements it and refuses all of it itself in read-only mode.
type Administrator interface {
	AddUser(ctx context.Context, d mgmt.UserDecl) error
	DeleteUser(ctx context.Context, name string, force bool) error
	SetUserTags(ctx context.Context, name string, tags []string) error
	SetPassword(ctx context.Context, name, password string) error
	SetPermissions(ctx context.Context, vhost, user string, p mgmt.Permission) error
	ClearPermissions(ctx context.Context, vhost, user string) error
	SetTopicPermissions(ctx context.Context, vhost, user string, tp mgmt.TopicPermission) error
	ClearTopicPermissions(ctx context.Context, vhost, user, exchange string) error
	AddVHost(ctx context.Context, d mgmt.VHostDecl) error
	DeleteVHost(ctx context.Context, name string) error
	VHostContents(ctx context.Context, name string) (queues, messages mgmt.Count, err error)
	VHostLimits(ctx context.Context, vhost string) (map[string]int64, error)
	SetVHostLimit(ctx context.Context, vhost, name string, value int64) error
	ClearVHostLimit(ctx context.Context, vhost, name string) error
	PutPolicy(ctx context.Context, d mgmt.PolicyDecl) error
	DeletePolicy(ctx context.Context, vhost, name string, operator bool) error
	CloseConnection(ctx context.Context, name, reason string) error
}

var errNoAdmin = errors.New("this backend cannot administer the broker")

// vhostContents is what goes with a vhost, read before its delete dialog.
type vhostContents struct {
	name             string
	queues, messages mgmt.Count
	err              error
}

// vhostLimitsRead opens the limits form with the limits as they are.
type vhostLimitsRead struct {
	vhost  string
	limits map[string]int64
	err    error
}

func (m *Model) administrator() (Administrator, bool) {
	a, ok := m.deps.Backend.(Administrator)
	return a, ok
}

// admin runs a confirmed administration mutation through the
// administrator, with the form it came from (0 none).
func (m *Model) admin(title, question string, danger bool, page int, what string,
	run func(ctx context.Context, a Administrator) (string, error)) tea.Cmd {
	if m.refuseReadOnly(what) {
		return nil
	}
	a, ok := m.administrator()
	c := views.NewConfirm(0, title, question, m.now)
	c.Danger = danger
	return m.openDialog(c, pendingAction{what: what, page: page,
		run: func(ctx context.Context, _ []views.Option) (string, error) {
			if !ok {
				return "", errNoAdmin
			}
			return run(ctx, a)
		}})
}

// administration handles the administration intents; ok is false for any
// other message.
func (m *Model) administration(msg tea.Msg) (tea.Cmd, bool) {
	log := m.logger()
	switch msg := msg.(type) {
	case views.AddUserRequested:
		if m.refuseReadOnly("add user") {
			return nil, true
		}
		p, cmd := views.NewAddUserPage(m.nextActionID())
		m.push(&actionScreen{p}) // never restored: it holds a password
		return cmd, true
	case views.AddUserSubmitted:
		d := mgmt.UserDecl{Name: msg.Name, Password: msg.Password, NoPassword: msg.NoPassword, Tags: msg.Tags}
		how := "with a password"
		if msg.NoPassword {
			how = "without a password (certificate or OAuth only)"
		}
		q := fmt.Sprintf("Add user %s %s, tags %s?", views.Clean(msg.Name), how, tagText(msg.Tags))
		return m.admin("Add user", q, false, msg.ID, fmt.Sprintf("add user %q", msg.Name), func(ctx context.Context, a Administrator) (string, error) {
			err := a.AddUser(ctx, d)
			log.Info("mutation", "action", "add_user", "user", msg.Name, "tags", strings.Join(msg.Tags, ","), "no_password", msg.NoPassword, "err", err)
			return "added user " + views.Clean(msg.Name), err
		}), true
	case views.EditUserRequested:
		if m.refuseReadOnly("edit user") {
			return nil, true
		}
		p, cmd := views.NewEditUserPage(m.nextActionID(), msg.User)
		m.push(&actionScreen{p})
		return cmd, true
	case views.EditUserSubmitted:
		q := fmt.Sprintf("Set the tags of user %s to %s", views.Clean(msg.Name), tagText(msg.Tags))
		if msg.Password != "" {
			q += " and change its password"
		}
		return m.admin("Edit user", q+"?", false, msg.ID, fmt.Sprintf("edit user %q", msg.Name), func(ctx context.Context, a Administrator) (string, error) {
			err := a.SetUserTags(ctx, msg.Name, msg.Tags)
			if err == nil && msg.Password != "" {
				err = a.SetPassword(ctx, msg.Name, msg.Password)
			}
			log.Info("mutation", "action", "edit_user", "user", msg.Name, "tags", strings.Join(msg.Tags, ","), "password_changed", msg.Password != "", "err", err)
			return "saved user " + views.Clean(msg.Name), err
		}), true
	case views.DeleteUserRequested:
		self := msg.Name == m.deps.Context.User
		q := fmt.Sprintf("Delete user %s? Its connections stay open until they close; it can no longer log in.", views.Clean(msg.Name))
		if self {
			q = fmt.Sprintf("Delete user %s — the user this mqtop is logged in as? mqtop will stop working.", views.Clean(msg.Name))
		}
		cmd := m.admin("Delete user", q, true, 0, fmt.Sprintf("delete user %q", msg.Name), func(ctx context.Context, a Administrator) (string, error) {
			err := a.DeleteUser(ctx, msg.Name, self)
			log.Info("mutation", "action", "delete_user", "user", msg.Name, "self", self, "err", err)
			return "deleted user " + views.Clean(msg.Name), err
		})
		if self && m.dialog != nil {
			return tea.Batch(cmd, m.dialog.RequireTyping(msg.Name)), true
		}
		return cmd, true
	case views.PermissionsRequested:
		if m.refuseReadOnly("set permissions") {
			return nil, true
		}
		p, cmd := views.NewPermissionsPage(m.nextActionID(), msg.User, func() []string { return m.vhosts })
		m.push(&actionScreen{p})
		return tea.Batch(cmd, loadVHosts(m.deps.Backend, m.deps.Timeout)), true // for the vhost picker
	case views.PermissionsSubmitted:
		return m.confirmPermissions(msg), true
	case views.AddVHostRequested:
		if m.refuseReadOnly("add vhost") {
			return nil, true
		}
		p, cmd := views.NewAddVHostPage(m.nextActionID())
		return m.openAction(p, cmd), true
	case views.AddVHostSubmitted:
		d := mgmt.VHostDecl{Name: msg.Name, Description: msg.Description, Tags: msg.Tags, DefaultQueueType: msg.DefaultQueueType}
		q := fmt.Sprintf("Add vhost %s?", views.Clean(msg.Name))
		return m.admin("Add vhost", q, false, msg.ID, fmt.Sprintf("add vhost %q", msg.Name), func(ctx context.Context, a Administrator) (string, error) {
			err := a.AddVHost(ctx, d)
			log.Info("mutation", "action", "add_vhost", "vhost", msg.Name, "err", err)
			return "added vhost " + views.Clean(msg.Name) + " (grant users permissions on it with P in :users)", err
		}), true
	case views.DeleteVHostRequested:
		return m.readVHostContents(msg.Name), true
	case vhostContents:
		return m.confirmDeleteVHost(msg), true
	case views.VHostLimitsRequested:
		return m.readVHostLimits(msg.Name), true
	case vhostLimitsRead:
		if msg.err != nil {
			m.errorf("%s", failure(fmt.Sprintf("read the limits of vhost %q", msg.vhost), msg.err))
			return nil, true
		}
		p, cmd := views.NewVHostLimitsPage(m.nextActionID(), msg.vhost, msg.limits)
		m.push(&actionScreen{p})
		return cmd, true
	case views.VHostLimitsSubmitted:
		return m.confirmLimits(msg), true
	case views.CloseConnectionRequest:
		if m.refuseReadOnly("close connection") {
			return nil, true
		}
		p, cmd := views.NewCloseConnectionPage(m.nextActionID(), msg.Conn, m.deps.Context.User)
		m.push(&actionScreen{p})
		return cmd, true
	case views.CloseConnectionSubmitted:
		q := fmt.Sprintf("Close connection %s with the reason %q?", views.Clean(msg.Name), views.Clean(msg.Reason))
		return m.admin("Close connection", q, true, msg.ID, fmt.Sprintf("close connection %q", msg.Name), func(ctx context.Context, a Administrator) (string, error) {
			err := a.CloseConnection(ctx, msg.Name, msg.Reason)
			log.Info("mutation", "action", "close_connection", "connection", msg.Name, "reason", msg.Reason, "err", err)
			return "closed connection " + views.Clean(msg.Name), err
		}), true
	}
	return m.policies(msg)
}

func tagText(tags []string) string {
	if len(tags) == 0 {
		return "none (the user cannot use the management UI or mqtop)"
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = views.Clean(t)
	}
	return strings.Join(out, ", ")
}

func regexText(re string) string {
	if re == "" {
		return `"" (nothing)`
	}
	return fmt.Sprintf("%q", views.Clean(re))
}

func (m *Model) confirmPermissions(s views.PermissionsSubmitted) tea.Cmd {
	log := m.logger()
	who := fmt.Sprintf("user %s on vhost %s", views.Clean(s.User), views.Clean(s.VHost))
	var q, what string
	switch {
	case s.Exchange != "" && s.Clear:
		q, what = fmt.Sprintf("Clear the topic permissions of %s?", who), "clear topic permissions"
	case s.Exchange != "":
		q, what = fmt.Sprintf("Set the topic permissions of %s on exchange %s: write %s, read %s?", who, views.Clean(s.Exchange),
			regexText(s.Write), regexText(s.Read)), "set topic permissions"
	case s.Clear:
		q, what = fmt.Sprintf("Clear the permissions of %s? It can then open nothing there.", who), "clear permissions"
	default:
		q, what = fmt.Sprintf("Set the permissions of %s: configure %s, write %s, read %s?", who, regexText(s.Configure),
			regexText(s.Write), regexText(s.Read)), "set permissions"
	}
	return m.admin("Permissions", q, s.Clear, s.ID, fmt.Sprintf("%s of user %q on vhost %q", what, s.User, s.VHost),
		func(ctx context.Context, a Administrator) (string, error) {
			var err error
			switch {
			case s.Exchange != "" && s.Clear:
				err = a.ClearTopicPermissions(ctx, s.VHost, s.User, s.Exchange)
			case s.Exchange != "":
				err = a.SetTopicPermissions(ctx, s.VHost, s.User, mgmt.TopicPermission{VHost: s.VHost, Exchange: s.Exchange, Write: s.Write, Read: s.Read})
			case s.Clear:
				err = a.ClearPermissions(ctx, s.VHost, s.User)
			default:
				err = a.SetPermissions(ctx, s.VHost, s.User, mgmt.Permission{User: s.User, VHost: s.VHost, Configure: s.Configure, Write: s.Write, Read: s.Read})
			}
			log.Info("mutation", "action", strings.ReplaceAll(what, " ", "_"), "user", s.User, "vhost", s.VHost, "exchange", s.Exchange,
				"configure", s.Configure, "write", s.Write, "read", s.Read, "err", err)
			return what + " of " + who + ": done", err
		})
}

func (m *Model) readVHostContents(name string) tea.Cmd {
	if m.refuseReadOnly("delete vhost") {
		return nil
	}
	a, ok := m.administrator()
	if !ok {
		m.errorf("delete vhost: %v", errNoAdmin)
		return nil
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		q, n, err := a.VHostContents(ctx, name)
		return vhostContents{name: name, queues: q, messages: n, err: err}
	}
}

func (m *Model) confirmDeleteVHost(c vhostContents) tea.Cmd {
	if c.err != nil {
		m.errorf("%s", failure(fmt.Sprintf("read vhost %q", c.name), c.err))
		return nil
	}
	q := fmt.Sprintf("Delete vhost %s with its %s queue(s) and %s message(s)? Everything in it goes: exchanges, bindings, policies, permissions.",
		views.Clean(c.name), views.FmtCount(c.queues), views.FmtCount(c.messages))
	log := m.logger()
	cmd := m.admin("Delete vhost", q, true, 0, fmt.Sprintf("delete vhost %q", c.name), func(ctx context.Context, a Administrator) (string, error) {
		err := a.DeleteVHost(ctx, c.name)
		log.Info("mutation", "action", "delete_vhost", "vhost", c.name, "queues", c.queues.Or(-1), "messages", c.messages.Or(-1), "err", err)
		return fmt.Sprintf("deleted vhost %s (%s queues, %s messages)", views.Clean(c.name), views.FmtCount(c.queues), views.FmtCount(c.messages)), err
	})
	if m.dialog != nil && (!c.messages.OK || c.messages.N > 0) {
		return tea.Batch(cmd, m.dialog.RequireTyping(c.name))
	}
	return cmd
}

func (m *Model) readVHostLimits(name string) tea.Cmd {
	if m.refuseReadOnly("set vhost limits") {
		return nil
	}
	a, ok := m.administrator()
	if !ok {
		m.errorf("vhost limits: %v", errNoAdmin)
		return nil
	}
	timeout := m.deps.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		l, err := a.VHostLimits(ctx, name)
		return vhostLimitsRead{vhost: name, limits: l, err: err}
	}
}

func (m *Model) confirmLimits(s views.VHostLimitsSubmitted) tea.Cmd {
	var parts []string
	for _, name := range []string{"max-connections", "max-queues"} {
		if v := s.Limits[name]; v != nil {
			parts = append(parts, name+" "+humanize.Comma(*v))
		} else {
			parts = append(parts, name+" no limit")
		}
	}
	log := m.logger()
	q := fmt.Sprintf("Set the limits of vhost %s: %s?", views.Clean(s.VHost), strings.Join(parts, ", "))
	return m.admin("Vhost limits", q, false, s.ID, fmt.Sprintf("set the limits of vhost %q", s.VHost), func(ctx context.Context, a Administrator) (string, error) {
		for _, name := range []string{"max-connections", "max-queues"} {
			var err error
			if v := s.Limits[name]; v != nil {
				err = a.SetVHostLimit(ctx, s.VHost, name, *v)
			} else {
				err = a.ClearVHostLimit(ctx, s.VHost, name)
			}
			if err != nil {
				log.Info("mutation", "action", "vhost_limits", "vhost", s.VHost, "limit", name, "err", err)
				return "", err
			}
		}
		log.Info("mutation", "action", "vhost_limits", "vhost", s.VHost, "limits", strings.Join(parts, ", "))
		return "limits of vhost " + views.Clean(s.VHost) + ": " + strings.Join(parts, ", "), nil
	})
}
