package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Me is the user mqtop is logged in as, and what the API lets it know of
// its own rights. Seen on 3.10.8: /api/whoami answers every user with a
// management-level tag (a user without one gets 401 "Not management
// user" from every endpoint); only an administrator may read permissions
// (/api/users/{me}/permissions, /api/permissions: 401 "Not administrator
// user" to the others). /api/vhosts lists, for management and policymaker
// users, the vhosts they have permissions in; for monitoring users and
// administrators, every vhost.
type Me struct {
	Name string
	Tags []string
	// Permissions by vhost, when PermissionsKnown (administrators only).
	Permissions      map[string]Permission
	PermissionsKnown bool
	VHosts           []string // the vhosts /api/vhosts shows this user
}

// WhoAmI reads who the client is logged in as and what it may do.
func (c *Client) WhoAmI(ctx context.Context) (Me, error) {
	var who struct {
		Name Text     `json:"name"`
		Tags userTags `json:"tags"`
	}
	if err := c.getJSON(ctx, "whoami", nil, &who); err != nil {
		return Me{}, fmt.Errorf("who am I: %w", err)
	}
	me := Me{Name: string(who.Name), Tags: who.Tags}
	var vhosts []struct {
		Name Text `json:"name"`
	}
	if err := c.getJSON(ctx, "vhosts", url.Values{"columns": {"name"}}, &vhosts); err != nil {
		return me, fmt.Errorf("list the vhosts user %q sees: %w", me.Name, err)
	}
	for _, v := range vhosts {
		me.VHosts = append(me.VHosts, string(v.Name))
	}
	if !me.IsAdmin() {
		return me, nil
	}
	var raw json.RawMessage
	if err := c.getJSON(ctx, "users/"+pathEscape(me.Name)+"/permissions", nil, &raw); err != nil {
		return me, fmt.Errorf("read the permissions of user %q: %w", me.Name, err)
	}
	perms, err := decodePermissions(raw)
	if err != nil {
		return me, fmt.Errorf("decode the permissions of user %q: %w", me.Name, err)
	}
	me.Permissions, me.PermissionsKnown = map[string]Permission{}, true
	for _, p := range perms[me.Name] {
		me.Permissions[p.VHost] = p
	}
	return me, nil
}

func (m Me) has(tags ...string) bool {
	return slices.ContainsFunc(m.Tags, func(t string) bool { return slices.Contains(tags, t) })
}

// IsAdmin: the administrator tag.
func (m Me) IsAdmin() bool { return m.has("administrator") }

// CanManage: a tag that opens the management API.
func (m Me) CanManage() bool {
	return m.has("management", "policymaker", "monitoring", "administrator")
}

// The actions Can takes: the three vhost permissions, and the tag-level ones.
const (
	PermConfigure = "configure"
	PermWrite     = "write"
	PermRead      = "read"
	TagAdmin      = "admin"       // administrator
	TagPolicy     = "policymaker" // policymaker or administrator
	TagMonitoring = "monitoring"  // monitoring or administrator
	TagManagement = "management"  // any tag that opens the management API
)

// Can says whether the user may perform action on vhost, and when not (or
// when mqtop cannot know), why. For a permission, it says whether the
// user's pattern on vhost grants anything at all (CanOn checks a name).
// Without PermissionsKnown it guesses from the vhosts the user sees: true
// with a reason that the broker decides.
func (m Me) Can(vhost, action string) (bool, string) {
	tag := func(ok bool, name string) (bool, string) {
		if ok {
			return true, ""
		}
		return false, fmt.Sprintf("user %s lacks the %s tag", m.Name, name)
	}
	switch action {
	case TagAdmin:
		return tag(m.IsAdmin(), "administrator")
	case TagPolicy:
		return tag(m.has("policymaker", "administrator"), "policymaker")
	case TagMonitoring:
		return tag(m.has("monitoring", "administrator"), "monitoring")
	case TagManagement:
		return tag(m.CanManage(), "management")
	case PermConfigure, PermWrite, PermRead:
		return m.canOn(vhost, action, "", false)
	}
	return false, fmt.Sprintf("unknown action %q", action)
}

// CanOn says whether the user's action pattern on vhost matches the
// resource name (the default exchange is "amq.default" for permissions).
// The broker matches with PCRE; a pattern Go cannot compile gives true
// with a reason saying so.
func (m Me) CanOn(vhost, action, name string) (bool, string) {
	if action != PermConfigure && action != PermWrite && action != PermRead {
		return m.Can(vhost, action)
	}
	return m.canOn(vhost, action, name, true)
}

func (m Me) canOn(vhost, action, name string, named bool) (bool, string) {
	if !m.PermissionsKnown {
		if !m.has("monitoring", "administrator") && !slices.Contains(m.VHosts, vhost) {
			return false, fmt.Sprintf("user %s has no permissions on vhost %s", m.Name, vhost)
		}
		return true, fmt.Sprintf("mqtop cannot read the permissions of user %s (that needs administrator); the broker decides", m.Name)
	}
	p, ok := m.Permissions[vhost]
	if !ok {
		return false, fmt.Sprintf("user %s has no permissions on vhost %s", m.Name, vhost)
	}
	pattern := map[string]string{PermConfigure: p.Configure, PermWrite: p.Write, PermRead: p.Read}[action]
	if pattern == NothingRegex {
		return false, fmt.Sprintf("user %s has no %s permission on vhost %s", m.Name, action, vhost)
	}
	if !named {
		return true, ""
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return true, fmt.Sprintf("mqtop cannot evaluate the %s pattern %q; the broker decides", action, pattern)
	}
	if !re.MatchString(name) {
		return false, fmt.Sprintf("user %s's %s pattern %q on vhost %s does not match %q", m.Name, action, pattern, vhost, name)
	}
	return true, ""
}

// Need is one thing an operation needs: a permission ("configure",
// "write", "read") on an object, or a tag ("admin", "policymaker").
type Need struct {
	Perm string
	On   string // "queue", "exchange", "source exchange", ...; "" for a tag
}

// The operations Needs knows.
const (
	OpPurge, OpGet, OpConsume, OpPublish            = "purge", "get", "consume", "publish"
	OpDeclareQueue, OpDeleteQueue                   = "declare queue", "delete queue"
	OpDeclareExchange, OpDeleteExchange             = "declare exchange", "delete exchange"
	OpBindQueue, OpBindExchange                     = "bind queue", "bind exchange" // unbind needs the same
	OpMove                                          = "move"
	OpCloseConnection                               = "close connection"
	OpPolicy, OpOperatorPolicy                      = "policy", "operator policy"
	OpUsers, OpVHosts, OpPermissions, OpVHostLimits = "users", "vhosts", "permissions", "vhost limits"
)

// needs follows RabbitMQ's access-control table (AMQP 0-9-1 operations;
// the management API performs them as the user, with the same checks) and
// what 3.10.8 was seen to demand of the HTTP-only operations.
var needs = map[string][]Need{
	OpPurge:           {{PermRead, "queue"}},
	OpGet:             {{PermRead, "queue"}},
	OpConsume:         {{PermRead, "queue"}},
	OpPublish:         {{PermWrite, "exchange"}},
	OpDeclareQueue:    {{PermConfigure, "queue"}}, // with a dead-letter exchange also write on it and read on the queue
	OpDeleteQueue:     {{PermConfigure, "queue"}},
	OpDeclareExchange: {{PermConfigure, "exchange"}}, // with an alternate exchange also write on it and read on the exchange
	OpDeleteExchange:  {{PermConfigure, "exchange"}},
	OpBindQueue:       {{PermWrite, "queue"}, {PermRead, "exchange"}},
	OpBindExchange:    {{PermWrite, "destination exchange"}, {PermRead, "source exchange"}},
	OpMove:            {{PermRead, "source queue"}, {PermWrite, "destination exchange"}},
	// Others' connections; any user may close its own (CanCloseConnection).
	OpCloseConnection: {{TagAdmin, ""}},
	// A policymaker needs some permission on the vhost too; an
	// administrator none (seen on 3.10.8).
	OpPolicy:         {{TagPolicy, ""}},
	OpOperatorPolicy: {{TagAdmin, ""}},
	OpUsers:          {{TagAdmin, ""}},
	OpVHosts:         {{TagAdmin, ""}},
	OpPermissions:    {{TagAdmin, ""}},
	OpVHostLimits:    {{TagAdmin, ""}},
}

// Needs lists what op needs; nil for an operation it does not know.
func Needs(op string) []Need { return needs[op] }

// CanDo checks all of op's needs on vhost (permissions only in general:
// CanOn checks names) and names the first one missing: "purge needs read
// permission on vhost /: ...".
func (m Me) CanDo(vhost, op string) (bool, string) {
	ns := Needs(op)
	if ns == nil {
		return false, fmt.Sprintf("unknown operation %q", op)
	}
	var guesses []string
	for _, n := range ns {
		ok, why := m.Can(vhost, n.Perm)
		if n.Perm == TagPolicy && ok && !m.IsAdmin() {
			ok, why = m.canAny(vhost)
		}
		switch {
		case !ok && n.On != "":
			return false, fmt.Sprintf("%s needs %s permission on the %s in vhost %s: %s", op, n.Perm, n.On, vhost, why)
		case !ok:
			return false, fmt.Sprintf("%s needs the %s tag: %s", op, tagName(n.Perm), why)
		case why != "" && !slices.Contains(guesses, why):
			guesses = append(guesses, why)
		}
	}
	return true, strings.Join(guesses, "; ")
}

// CanCloseConnection: an administrator closes any connection, any other
// user only its own (seen on 3.10.8: 401 to others', monitoring included).
func (m Me) CanCloseConnection(c Connection) (bool, string) {
	if m.IsAdmin() || c.User == m.Name {
		return true, ""
	}
	return false, fmt.Sprintf("closing %s's connection needs the administrator tag; user %s may close only its own", c.User, m.Name)
}

// canAny: some permission on vhost (what a policymaker needs there).
func (m Me) canAny(vhost string) (bool, string) {
	for _, p := range []string{PermConfigure, PermWrite, PermRead} {
		if ok, why := m.Can(vhost, p); ok {
			return true, why
		}
	}
	return false, fmt.Sprintf("user %s has no permissions on vhost %s", m.Name, vhost)
}

func tagName(action string) string {
	if action == TagAdmin {
		return "administrator"
	}
	return action
}

// MissingTag names the tag whose lack made the broker refuse err (401 "Not
// administrator user", "Not monitoring user", ...), or "" when err is not
// such a refusal: a failed login, a network error, anything else.
func MissingTag(err error) string {
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 {
		return ""
	}
	r := strings.TrimSpace(he.Reason)
	if !strings.HasPrefix(r, "Not ") || !strings.HasSuffix(r, " user") {
		return ""
	}
	tag := strings.TrimSuffix(strings.TrimPrefix(r, "Not "), " user")
	if tag == "" || strings.ContainsAny(tag, " \t") {
		return ""
	}
	if tag == "monitor" {
		return "monitoring" // the broker says "Not monitor user"; the tag is monitoring
	}
	return tag
}
