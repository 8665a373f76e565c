package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// What the user mqtop is logged in as may do. mqtop reads its tags (and,
// for an administrator, its permissions) once the broker answers, and
// refuses an action the user cannot do before any dialog opens, saying
// what is missing. Where mqtop cannot know (a monitoring or management
// user may not read its own permissions) the broker decides, and its
// refusal is explained the same way (failure, in status.go).

// whoAmI is the part of the backend that says who mqtop is logged in as.
type whoAmI interface {
	WhoAmI(ctx context.Context) (mgmt.Me, error)
}

// meLoaded is the answer of /api/whoami (and what follows from it).
type meLoaded struct {
	token *int // the loadMe it answers; a context switch starts another
	me    mgmt.Me
	err   error
}

// loadMe reads who mqtop is logged in as, unless it is known or being read.
func (m *Model) loadMe() tea.Cmd {
	w, ok := m.deps.Backend.(whoAmI)
	if !ok || m.me != nil || m.meToken != nil {
		return nil
	}
	token, timeout := new(int), m.deps.Timeout
	m.meToken = token
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		me, err := w.WhoAmI(ctx)
		return meLoaded{token: token, me: me, err: err}
	}
}

func (m *Model) meArrived(msg meLoaded) tea.Cmd {
	if msg.token != m.meToken {
		return nil
	}
	m.meToken = nil
	if msg.me.Name == "" {
		m.logger().Debug("whoami failed", "err", msg.err)
		return nil // read again after the next good poll
	}
	me := msg.me
	m.me = &me
	if msg.err != nil {
		m.logger().Debug("whoami incomplete", "user", me.Name, "err", msg.err)
	}
	if note := m.meNote(); note != "" {
		return m.aside(note)
	}
	return nil
}

// meNote tells a user who may not do everything what mqtop knows of it.
func (m *Model) meNote() string {
	me := m.me
	if me == nil || me.IsAdmin() || m.deps.Context.ReadOnly {
		return ""
	}
	return fmt.Sprintf("logged in as %s (tags %s): actions it may not do are marked ✗ and say why", views.Clean(me.Name), userTags(me.Tags))
}

// forbidden says why the user may not do what msg asks (what names it),
// or "" when it may, or when mqtop cannot know and the broker decides.
func (m *Model) forbidden(msg tea.Msg) (what, why string) {
	if m.me == nil {
		return "", ""
	}
	me := *m.me
	vh := func(v string) string { return cmpOr(v, "/") }
	switch msg := msg.(type) {
	case views.PurgeRequested:
		return "purge", needOn(me, vh(msg.VHost), mgmt.OpPurge, msg.Queue)
	case views.DeleteQueueRequested:
		return "delete queue", needOn(me, vh(msg.VHost), mgmt.OpDeleteQueue, msg.Queue)
	case views.BrowseRequested:
		return "browse", needOn(me, vh(msg.VHost), mgmt.OpGet, msg.Queue)
	case views.MoveRequested:
		return "move", needOn(me, vh(msg.VHost), mgmt.OpMove, msg.Queue)
	case views.PublishRequested:
		ex := msg.Exchange
		if ex == "" {
			ex = "amq.default" // the default exchange's name in permissions
		}
		return "publish", needOn(me, vh(msg.VHost), mgmt.OpPublish, ex)
	case views.RPCRequested:
		return "test RPC", needOn(me, vh(msg.VHost), mgmt.OpPublish, "amq.default")
	case views.DeclareQueueRequested:
		return "declare queue", needOn(me, vh(msg.VHost), mgmt.OpDeclareQueue)
	case views.DeclareExchangeRequested:
		return "declare exchange", needOn(me, vh(msg.VHost), mgmt.OpDeclareExchange)
	case views.DeleteExchangeRequested:
		return "delete exchange", needOn(me, vh(msg.VHost), mgmt.OpDeleteExchange, msg.Name)
	case views.BindRequested:
		if msg.DestinationType == "exchange" {
			return "bind", needOn(me, vh(msg.VHost), mgmt.OpBindExchange, msg.Destination)
		}
		return "bind", needOn(me, vh(msg.VHost), mgmt.OpBindQueue, msg.Destination)
	case views.UnbindRequested:
		return "unbind", needBinding(me, msg.Binding)
	case views.RebindRequested:
		return "rebind", needBinding(me, msg.Binding)
	case views.CloseConnectionRequest:
		if ok, why := me.CanCloseConnection(msg.Conn); !ok {
			return "close connection", why
		}
	case views.AddUserRequested:
		return "add user", needOn(me, "", mgmt.OpUsers)
	case views.EditUserRequested:
		return "edit user", needOn(me, "", mgmt.OpUsers)
	case views.DeleteUserRequested:
		return "delete user", needOn(me, "", mgmt.OpUsers)
	case views.PermissionsRequested:
		return "set permissions", needOn(me, "", mgmt.OpPermissions)
	case views.AddVHostRequested:
		return "add vhost", needOn(me, "", mgmt.OpVHosts)
	case views.DeleteVHostRequested:
		return "delete vhost", needOn(me, "", mgmt.OpVHosts)
	case views.VHostLimitsRequested:
		return "set vhost limits", needOn(me, "", mgmt.OpVHostLimits)
	case views.PolicyRequested:
		if msg.Existing != nil {
			return "edit policy", needOn(me, vh(msg.Existing.VHost), policyOp(*msg.Existing))
		}
		return "add policy", needOn(me, vh(msg.VHost), mgmt.OpPolicy)
	case views.DeletePolicyRequested:
		return "delete policy", needOn(me, vh(msg.Policy.VHost), policyOp(msg.Policy))
	}
	return "", ""
}

func policyOp(p mgmt.Policy) string {
	if p.Operator {
		return mgmt.OpOperatorPolicy
	}
	return mgmt.OpPolicy
}

// needOn checks op on vhost and, for its permissions, the names of the
// objects it touches (in the order mgmt.Needs lists them; fewer names
// check the vhost only). "" when the user may, or the broker decides.
func needOn(me mgmt.Me, vhost, op string, names ...string) string {
	if ok, why := me.CanDo(vhost, op); !ok {
		for _, n := range mgmt.Needs(op) {
			if ok, _ := me.Can(vhost, n.Perm); !ok && n.On == "" {
				tag := n.Perm
				if tag == mgmt.TagAdmin {
					tag = "administrator"
				}
				return fmt.Sprintf("it needs the %s tag; user %s has tags %s", tag, me.Name, userTags(me.Tags))
			}
		}
		if op == mgmt.OpPolicy {
			// The tag is there: a policymaker needs a permission on the vhost too.
			return fmt.Sprintf("policies in vhost %s need some permission there besides the policymaker tag, and user %s has none", vhost, me.Name)
		}
		return why
	}
	for i, n := range mgmt.Needs(op) {
		if i >= len(names) || n.On == "" {
			break
		}
		if ok, why := me.CanOn(vhost, n.Perm, names[i]); !ok {
			return fmt.Sprintf("%s needs %s permission on the %s %q in vhost %s: %s", op, n.Perm, n.On, names[i], vhost, why)
		}
	}
	return ""
}

// needBinding: changing a binding needs write on its destination and read
// on its source.
func needBinding(me mgmt.Me, b mgmt.Binding) string {
	op := mgmt.OpBindQueue
	if b.DestinationType == "exchange" {
		op = mgmt.OpBindExchange
	}
	source := b.Source
	if source == "" {
		source = "amq.default"
	}
	return needOn(me, cmpOr(b.VHost, "/"), op, b.Destination, source)
}

// refusedHint marks a footer hint the user may not use: which of the
// current view's actions need a tag the user lacks (the ones mqtop knows
// for certain; a permission depends on the object and is checked when the
// key is pressed).
func (m *Model) refusedHint(view, desc string) bool {
	if m.me == nil {
		return false
	}
	op := map[string]map[string]string{
		"users":       {"add": mgmt.OpUsers, "edit": mgmt.OpUsers, "delete": mgmt.OpUsers, "permissions": mgmt.OpPermissions},
		"vhosts":      {"add": mgmt.OpVHosts, "delete": mgmt.OpVHosts, "limits": mgmt.OpVHostLimits},
		"policies":    {"add": mgmt.OpPolicy, "edit": mgmt.OpPolicy, "delete": mgmt.OpPolicy},
		"connections": {"close": mgmt.OpCloseConnection},
	}[view][desc]
	if op == "" {
		return false
	}
	for _, n := range mgmt.Needs(op) {
		if n.On != "" {
			continue
		}
		if ok, _ := m.me.Can("", n.Perm); !ok {
			if op == mgmt.OpCloseConnection {
				return false // its own connections it may close
			}
			return true
		}
	}
	return false
}

// markRefused marks the hints of the top screen the user may not use.
func (m *Model) markRefused(hs []views.Hint) []views.Hint {
	t, ok := m.top().(interface{ Title() string })
	if !ok || m.me == nil {
		return hs
	}
	out := make([]views.Hint, len(hs))
	for i, h := range hs {
		if m.refusedHint(t.Title(), h.Desc) {
			h.Desc = "✗" + h.Desc
		}
		out[i] = h
	}
	return out
}

// explainRefusal says what an access refusal of the broker means for what
// was attempted: the permission or tag it needs, and who to ask. "" when
// err is not a refusal.
func explainRefusal(what string, err error) string {
	switch {
	case amqp.Code(err) == 403:
		if need := needOfWhat(what); need != "" {
			return need + "; ask an administrator for it (P in :users sets permissions)"
		}
		return "the user's permissions on the vhost do not allow this; ask an administrator (P in :users sets permissions)"
	case amqp.Code(err) == 530 || strings.Contains(err.Error(), "NOT_ALLOWED - access to vhost"):
		return "the user has no permissions on this vhost at all; ask an administrator for them (P in :users)"
	case mgmt.MissingTag(err) != "":
		return "ask an administrator for the " + mgmt.MissingTag(err) + " tag (e in :users)"
	case mgmt.StatusOf(err) == 403:
		if need := needOfWhat(what); need != "" {
			return need + "; ask an administrator for it"
		}
	}
	return ""
}

// needOfWhat names what an attempted action needs, from the words the
// action's description starts with.
func needOfWhat(what string) string {
	ops := []struct{ prefix, op string }{
		{"purge", mgmt.OpPurge}, {"delete queue", mgmt.OpDeleteQueue}, {"publish", mgmt.OpPublish},
		{"test rpc", mgmt.OpPublish}, {"rpc", mgmt.OpPublish}, {"browse", mgmt.OpGet},
		{"declare queue", mgmt.OpDeclareQueue}, {"declare exchange", mgmt.OpDeclareExchange},
		{"delete exchange", mgmt.OpDeleteExchange}, {"bind exchange", mgmt.OpBindExchange},
		{"bind", mgmt.OpBindQueue}, {"unbind", mgmt.OpBindQueue}, {"rebind", mgmt.OpBindQueue},
		{"move", mgmt.OpMove},
	}
	w := strings.ToLower(what)
	for _, o := range ops {
		if strings.HasPrefix(w, o.prefix) {
			var parts []string
			for _, n := range mgmt.Needs(o.op) {
				parts = append(parts, n.Perm+" permission on the "+n.On)
			}
			return o.op + " needs " + strings.Join(parts, " and ")
		}
	}
	return ""
}

func userTags(tags []string) string {
	if len(tags) == 0 {
		return "none"
	}
	return tagText(tags)
}
