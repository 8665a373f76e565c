package views

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
)

// The administration forms: users, permissions, vhosts and their limits,
// closing a connection. Policies are in admin_policies.go.

// Administration intents from the list views' keys.
type (
	AddUserRequested       struct{}
	EditUserRequested      struct{ User mgmt.User }
	DeleteUserRequested    struct{ Name string }
	PermissionsRequested   struct{ User string }
	AddVHostRequested      struct{}
	DeleteVHostRequested   struct{ Name string }
	VHostLimitsRequested   struct{ Name string }
	CloseConnectionRequest struct{ Conn mgmt.Connection }
)

// Submitted administration forms.
type (
	AddUserSubmitted struct {
		ID         int
		Name       string
		Password   string
		NoPassword bool
		Tags       []string
	}
	EditUserSubmitted struct {
		ID       int
		Name     string
		Tags     []string
		Password string // "" keeps the password
	}
	PermissionsSubmitted struct {
		ID                     int
		User, VHost, Exchange  string // Exchange set: a topic permission
		Configure, Write, Read string
		Clear                  bool
	}
	AddVHostSubmitted struct {
		ID                int
		Name, Description string
		Tags              []string
		DefaultQueueType  string
	}
	VHostLimitsSubmitted struct {
		ID    int
		VHost string
		// Limits by name (max-connections, max-queues); nil clears it.
		Limits map[string]*int64
	}
	CloseConnectionSubmitted struct {
		ID           int
		Name, Reason string
	}
)

// Page kinds of the administration forms.
const (
	ActionAddUser ActionKind = iota + 200
	ActionEditUser
	ActionPermissions
	ActionAddVHost
	ActionVHostLimits
	ActionPolicy
	ActionCloseConnection
)

func tagsField(value string) *Field {
	f := NewLine("tags", "tags", value)
	f.Hint = "comma-separated: " + strings.Join(mgmt.KnownUserTags, ", ") + ", or your own (ctrl+n adds the next known one)"
	f.Validate = func(s string) error { _, err := mgmt.ParseUserTags(s); return err }
	f.Pick = "add a known tag"
	f.Suggest = func(cur string) []string {
		have, _ := mgmt.ParseUserTags(cur)
		var out []string
		for _, t := range mgmt.KnownUserTags {
			if !contains(have, t) {
				out = append(out, strings.TrimLeft(strings.Join(append(have, t), ","), ","))
			}
		}
		return out
	}
	return f
}

// NewAddUserPage is the add-user form: the password typed twice, masked,
// or none at all (certificate / OAuth users).
func NewAddUserPage(id int) (*ActionPage, tea.Cmd) {
	name := NewLine("name", "name", "")
	name.Validate = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("give the user a name")
		}
		return nil
	}
	pw, again := NewSecret("password", "password"), NewSecret("again", "password again")
	none := yesNoField("no_password", "no password", false, "for certificate or OAuth users: they cannot log in with a password")
	f, cmd := NewForm("Add a user", name, pw, again, none, tagsField("management"))
	f.Verb = "add"
	f.Note = "the password is sent once to the management API and kept nowhere by mqtop"
	p := &ActionPage{ID: id, Kind: ActionAddUser, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		noPW := yes(f, "no_password")
		pass := f.Value("password")
		switch {
		case noPW && pass != "":
			return nil, errors.New(`"no password" is set: leave the password fields empty`)
		case !noPW && pass == "":
			return nil, errors.New(`type a password twice, or set "no password"`)
		case pass != f.Value("again"):
			return nil, errors.New("the two passwords differ")
		}
		tags, err := mgmt.ParseUserTags(f.Value("tags"))
		if err != nil {
			return nil, err
		}
		return AddUserSubmitted{ID: id, Name: strings.TrimSpace(f.Value("name")), Password: pass, NoPassword: noPW, Tags: tags}, nil
	}
	return p, cmd
}

// NewEditUserPage changes a user's tags and, when typed, its password.
func NewEditUserPage(id int, u mgmt.User) (*ActionPage, tea.Cmd) {
	tags := tagsField(strings.Join(u.Tags, ","))
	pw, again := NewSecret("password", "new password"), NewSecret("again", "again")
	pw.Hint = "leave empty to keep the password"
	f, cmd := NewForm("Edit user "+Clean(u.Name), tags, pw, again)
	f.Verb = "save"
	p := &ActionPage{ID: id, Kind: ActionEditUser, Queue: u.Name, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		if f.Value("password") != f.Value("again") {
			return nil, errors.New("the two passwords differ")
		}
		t, err := mgmt.ParseUserTags(f.Value("tags"))
		if err != nil {
			return nil, err
		}
		return EditUserSubmitted{ID: id, Name: u.Name, Tags: t, Password: f.Value("password")}, nil
	}
	return p, cmd
}

func regexField(key, label, value string) *Field {
	f := NewLine(key, label, value)
	f.Hint = `a regex of names, as Erlang's re reads it; empty = nothing, ".*" = everything`
	f.Validate = func(s string) error {
		if s == "" {
			return nil
		}
		return mgmt.ValidateErlangRegex(s)
	}
	return f
}

// NewPermissionsPage sets or clears a user's permissions on a vhost, or,
// with an exchange, its topic permissions there.
func NewPermissionsPage(id int, user string, vhosts func() []string) (*ActionPage, tea.Cmd) {
	vh := NewLine("vhost", "vhost", "/")
	vh.Suggest = func(cur string) []string { return matchingAll(vhosts(), cur) }
	vh.Pick = "vhost picker"
	ex := NewLine("exchange", "topic exchange", "")
	ex.Hint = "empty: the vhost permissions; an exchange: topic permissions on it (write, read)"
	conf := regexField("configure", "configure", ".*")
	write, read := regexField("write", "write", ".*"), regexField("read", "read", ".*")
	clear := yesNoField("clear", "clear", false, "remove these permissions instead of setting them")
	f, cmd := NewForm("Permissions of user "+Clean(user), vh, ex, conf, write, read, clear)
	f.Verb = "apply"
	f.Note = `configure: declare and delete; write: publish to exchanges, bind; read: consume, get, purge. An empty regex grants nothing.`
	p := &ActionPage{ID: id, Kind: ActionPermissions, Queue: user, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		v := strings.TrimSpace(f.Value("vhost"))
		if v == "" {
			return nil, errors.New("give a vhost")
		}
		return PermissionsSubmitted{ID: id, User: user, VHost: v, Exchange: strings.TrimSpace(f.Value("exchange")),
			Configure: f.Value("configure"), Write: f.Value("write"), Read: f.Value("read"), Clear: yes(f, "clear")}, nil
	}
	return p, cmd
}

func matchingAll(names []string, cur string) []string {
	var out []string
	for _, n := range names {
		if strings.Contains(n, cur) {
			out = append(out, n)
		}
	}
	return out
}

// NewAddVHostPage is the add-vhost form.
func NewAddVHostPage(id int) (*ActionPage, tea.Cmd) {
	name := NewLine("name", "name", "")
	name.Validate = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("give the vhost a name")
		}
		return nil
	}
	desc := NewLine("description", "description", "")
	tags := NewLine("tags", "tags", "")
	tags.Hint = "comma-separated"
	dqt := choiceField("default_queue_type", "default queue type", "", func() []string { return []string{"classic", "quorum", "stream", ""} },
		"the type of queues declared without x-queue-type (ctrl+n cycles; empty = the broker's default)")
	f, cmd := NewForm("Add a vhost", name, desc, tags, dqt)
	f.Verb = "add"
	p := &ActionPage{ID: id, Kind: ActionAddVHost, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		t, err := mgmt.ParseUserTags(f.Value("tags"))
		if err != nil {
			return nil, err
		}
		return AddVHostSubmitted{ID: id, Name: strings.TrimSpace(f.Value("name")), Description: f.Value("description"), Tags: t,
			DefaultQueueType: strings.TrimSpace(f.Value("default_queue_type"))}, nil
	}
	return p, cmd
}

// parseLimit reads a limit field: "" (no limit), or a whole number ≥ 0.
func parseLimit(s string) (*int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("a limit is a whole number ≥ 0, or empty for no limit; got %q", Clean(s))
	}
	return &n, nil
}

// NewVHostLimitsPage sets or clears a vhost's limits.
func NewVHostLimitsPage(id int, vhost string, limits map[string]int64) (*ActionPage, tea.Cmd) {
	var fields []*Field
	for _, name := range []string{"max-connections", "max-queues"} {
		v := ""
		if n, ok := limits[name]; ok && n >= 0 {
			v = strconv.FormatInt(n, 10)
		}
		x := NewLine(name, name, v)
		x.Hint = "empty = no limit; 0 = none allowed"
		x.Validate = func(s string) error { _, err := parseLimit(s); return err }
		fields = append(fields, x)
	}
	f, cmd := NewForm("Limits of vhost "+Clean(vhost), fields...)
	f.Verb = "apply"
	p := &ActionPage{ID: id, Kind: ActionVHostLimits, VHost: vhost, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		out := map[string]*int64{}
		for _, name := range []string{"max-connections", "max-queues"} {
			n, err := parseLimit(f.Value(name))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out[name] = n
		}
		return VHostLimitsSubmitted{ID: id, VHost: vhost, Limits: out}, nil
	}
	return p, cmd
}

// NewCloseConnectionPage asks for the reason a connection is closed with;
// the client sees it in its close error.
func NewCloseConnectionPage(id int, c mgmt.Connection, user string) (*ActionPage, tea.Cmd) {
	reason := NewLine("reason", "reason", "closed by "+user+" via mqtop")
	reason.Validate = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("give a reason: the client sees it")
		}
		return nil
	}
	f, cmd := NewForm("Close connection "+Clean(c.Name), reason)
	f.Note = fmt.Sprintf("user %s, client %s, %s channel(s); the client gets CONNECTION_FORCED with this reason",
		Clean(c.User), Clean(cmpStr(c.ClientName, c.Product)), FmtCount(c.Channels))
	f.Verb = "close"
	p := &ActionPage{ID: id, Kind: ActionCloseConnection, Queue: c.Name, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		return CloseConnectionSubmitted{ID: id, Name: c.Name, Reason: strings.TrimSpace(f.Value("reason"))}, nil
	}
	return p, cmd
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
