package views

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
)

// The topology forms: declare a queue or an exchange, bind, rebind. Each is
// an ActionPage whose Build emits the intent below; the root confirms it
// and performs it through the management API.

// Topology intents from the list views' keys.
type (
	// DeclareQueueRequested asks for the declare-queue form (n in queues).
	DeclareQueueRequested struct{ VHost string }
	// DeclareExchangeRequested asks for the declare-exchange form (n in
	// exchanges).
	DeclareExchangeRequested struct{ VHost string }
	// BindRequested asks for the bind form on a queue or an exchange, the
	// binding's destination (b).
	BindRequested struct {
		VHost, Destination string
		DestinationType    string // queue or exchange
	}
	// UnbindRequested asks to remove a binding (ctrl+d in bindings).
	UnbindRequested struct{ Binding mgmt.Binding }
	// RebindRequested asks for the rebind form on a binding (e).
	RebindRequested struct{ Binding mgmt.Binding }
	// DeleteExchangeRequested asks to delete an exchange (ctrl+d).
	DeleteExchangeRequested struct{ VHost, Name string }
	// RoutePreviewRequested asks for the route preview of an exchange (t).
	RoutePreviewRequested struct{ VHost, Exchange string }
	// RefusedRequested is a key that cannot act on the row: Why goes to
	// the status line.
	RefusedRequested struct{ Why string }
)

// Submitted topology forms.
type (
	DeclareQueueSubmitted struct {
		ID    int
		VHost string
		Decl  mgmt.QueueDecl
	}
	DeclareExchangeSubmitted struct {
		ID    int
		VHost string
		Decl  mgmt.ExchangeDecl
	}
	BindSubmitted struct {
		ID      int
		VHost   string
		Binding mgmt.Binding
	}
	RebindSubmitted struct {
		ID       int
		VHost    string
		Old, New mgmt.Binding
	}
)

// Page kinds of the topology forms (ActionPage.Kind).
const (
	ActionDeclareQueue ActionKind = iota + 100
	ActionDeclareExchange
	ActionBind
	ActionRebind
	ActionRoute
	ActionMove
)

// ParseYesNo reads a yes/no field.
func ParseYesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "on", "1":
		return true, nil
	case "no", "n", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("answer yes or no, got %q", Clean(s))
}

func yesNoField(key, label string, on bool, hint string) *Field {
	f := NewLine(key, label, yesNo(on))
	f.Hint = hint + " (yes / no; ctrl+n toggles)"
	f.Validate = func(s string) error { _, err := ParseYesNo(s); return err }
	f.Suggest = func(string) []string { return []string{yesNo(!on), yesNo(on)} }
	f.Pick = "toggle"
	return f
}

func choiceField(key, label, value string, choices func() []string, hint string) *Field {
	f := NewLine(key, label, value)
	f.Hint = hint
	f.Suggest = func(string) []string { return choices() }
	f.Pick = "next " + label
	return f
}

func nameField(key, label, value, noun string) *Field {
	f := NewLine(key, label, value)
	f.Validate = func(s string) error {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return fmt.Errorf("give the %s a name", noun)
		case strings.HasPrefix(s, "amq."):
			return fmt.Errorf("names starting amq. are reserved by the broker")
		case len(s) > 255:
			return fmt.Errorf("%s names are at most 255 bytes, this one is %d", noun, len(s))
		}
		return nil
	}
	return f
}

func yes(f *Form, key string) bool { v, _ := ParseYesNo(f.Value(key)); return v }

// queueArgs reads the declare form's arguments for the chosen type.
func queueArgs(f *Form, version string) (map[string]any, error) {
	args, err := mgmt.ParseFreeArgs(f.Value("arguments"))
	if err != nil {
		return nil, err
	}
	if err := mgmt.CheckQueueArgs(strings.TrimSpace(f.Value("type")), args, version); err != nil {
		return nil, err
	}
	return args, nil
}

// NewDeclareQueuePage is the declare-queue form: the type, durable,
// auto-delete, and arguments as key=value lines, each checked against the
// type and the broker's version as typed; the panel offers the arguments
// the chosen type takes, each with its one-line explanation.
func NewDeclareQueuePage(id int, vhost, version string) (*ActionPage, tea.Cmd) {
	vh := NewLine("vhost", "vhost", vhost)
	vh.Validate = func(s string) error {
		if s == "" {
			return errors.New("give a vhost")
		}
		return nil
	}
	name := nameField("name", "name", "", "queue")
	typ := choiceField("type", "type", "classic", func() []string { return []string{"quorum", "stream", "classic"} },
		"classic, quorum or stream (ctrl+n cycles)")
	typ.Validate = func(s string) error {
		switch strings.TrimSpace(s) {
		case "classic", "quorum", "stream":
			return nil
		}
		return fmt.Errorf("queue type is classic, quorum or stream, not %q", Clean(s))
	}
	durable := yesNoField("durable", "durable", true, "survives a broker restart; quorum queues and streams always are")
	auto := yesNoField("auto_delete", "auto-delete", false, "deleted when its last consumer goes")
	args := NewArea("arguments", "arguments", "", 4)
	args.Hint = "one per line: x-message-ttl=60000, or key:=JSON for a typed value"
	fields := []*Field{vh, name, typ, durable, auto, args}
	f, cmd := NewForm("Declare a queue", fields...)
	args.Validate = func(string) error { _, err := queueArgs(f, version); return err }
	typ.Validate = chain(typ.Validate, func(string) error {
		t := strings.TrimSpace(f.Value("type"))
		if t != "classic" && (!yes(f, "durable") || yes(f, "auto_delete")) {
			return fmt.Errorf("%s queues are durable and never auto-delete", t)
		}
		return nil
	})
	f.Note = "declared through the management API; the same declaration twice changes nothing"
	f.Verb = "declare"
	p := &ActionPage{ID: id, Kind: ActionDeclareQueue, VHost: vhost, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		a, err := queueArgs(f, version)
		if err != nil {
			return nil, err
		}
		d := mgmt.QueueDecl{Name: strings.TrimSpace(f.Value("name")), Type: strings.TrimSpace(f.Value("type")),
			Durable: yes(f, "durable"), AutoDelete: yes(f, "auto_delete"), Arguments: a}
		return DeclareQueueSubmitted{ID: id, VHost: f.Value("vhost"), Decl: d}, nil
	}
	p.Panel = func(int) []string { return argumentHelp(strings.TrimSpace(f.Value("type")), version) }
	return p, cmd
}

func chain(a, b func(string) error) func(string) error {
	return func(s string) error {
		if err := a(s); err != nil {
			return err
		}
		return b(s)
	}
}

// argumentHelp lists the arguments a queue type takes on this broker.
func argumentHelp(queueType, version string) []string {
	if queueType == "" {
		queueType = "classic"
	}
	out := []string{"Arguments a " + queueType + " queue takes:"}
	for _, a := range mgmt.QueueArgs() {
		if !contains(a.AppliesTo, queueType) || (a.MinVersion != "" && version != "" && mgmt.VersionBefore(version, a.MinVersion)) {
			continue
		}
		kind := a.Kind.String()
		if a.Unit != "" {
			kind = a.Unit
		}
		if len(a.Enum) > 0 {
			enum := a.Enum
			if e, ok := a.EnumFor[queueType]; ok {
				enum = e
			}
			kind = strings.Join(enum, "|")
		}
		out = append(out, fmt.Sprintf("  %-32s %-26s %s", a.Name, kind, a.Explain))
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// NewDeclareExchangePage is the declare-exchange form; types lists the
// exchange types the broker has (plugin types included), exchanges the
// vhost's exchanges for the alternate-exchange picker.
func NewDeclareExchangePage(id int, vhost string, types, exchanges func() []string) (*ActionPage, tea.Cmd) {
	vh := NewLine("vhost", "vhost", vhost)
	name := nameField("name", "name", "", "exchange")
	typ := choiceField("type", "type", "direct", types, "direct, fanout, topic, headers or a plugin's type (ctrl+n cycles what the broker has)")
	typ.Validate = func(s string) error {
		s = strings.TrimSpace(s)
		known := types()
		if s == "" {
			return errors.New("give the exchange type")
		}
		if len(known) > 0 && !contains(known, s) {
			return fmt.Errorf("the broker has no exchange type %q; it has %s", Clean(s), strings.Join(known, ", "))
		}
		return nil
	}
	durable := yesNoField("durable", "durable", true, "survives a broker restart")
	auto := yesNoField("auto_delete", "auto-delete", false, "deleted when its last binding goes")
	internal := yesNoField("internal", "internal", false, "only other exchanges may publish to it")
	ae := NewLine("alternate_exchange", "alternate exch.", "")
	ae.Hint = "receives what this exchange cannot route (ctrl+n lists the vhost's exchanges)"
	ae.Suggest = func(cur string) []string { return matching(exchanges(), cur) }
	args := NewArea("arguments", "arguments", "", 3)
	args.Hint = "more arguments, one per line: key=value or key:=JSON"
	args.Validate = func(s string) error { _, err := mgmt.ParseFreeArgs(s); return err }
	f, cmd := NewForm("Declare an exchange", vh, name, typ, durable, auto, internal, ae, args)
	f.Verb = "declare"
	p := &ActionPage{ID: id, Kind: ActionDeclareExchange, VHost: vhost, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		a, err := mgmt.ParseFreeArgs(f.Value("arguments"))
		if err != nil {
			return nil, err
		}
		d := mgmt.ExchangeDecl{Name: strings.TrimSpace(f.Value("name")), Type: strings.TrimSpace(f.Value("type")),
			Durable: yes(f, "durable"), AutoDelete: yes(f, "auto_delete"), Internal: yes(f, "internal"),
			AlternateExchange: strings.TrimSpace(f.Value("alternate_exchange")), Arguments: a}
		return DeclareExchangeSubmitted{ID: id, VHost: f.Value("vhost"), Decl: d}, nil
	}
	return p, cmd
}

// xMatch is the header binding's match mode, or "" for none given.
func bindingArgs(f *Form) (map[string]any, error) {
	args, err := mgmt.ParseFreeArgs(f.Value("arguments"))
	if err != nil {
		return nil, err
	}
	if m := strings.TrimSpace(f.Value("x_match")); m != "" {
		switch m {
		case "all", "any", "all-with-x", "any-with-x":
		default:
			return nil, fmt.Errorf("x-match is all, any, all-with-x or any-with-x, not %q", Clean(m))
		}
		if args == nil {
			args = map[string]any{}
		}
		args["x-match"] = m
	}
	return args, nil
}

// bindingFields are the fields of the bind and rebind forms.
func bindingFields(source, key, xmatch, args string, exchanges func() []string, vhost string) []*Field {
	src := NewLine("source", "source exchange", source)
	src.Hint = "ctrl+n lists the vhost's exchanges; the default exchange cannot be bound"
	src.Suggest = func(cur string) []string { return matching(exchanges(), cur) }
	src.Validate = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("give the source exchange (the default exchange binds every queue by its name already)")
		}
		return knownExchange(exchanges(), s, vhost)
	}
	rk := NewLine("routing_key", "routing key", key)
	rk.Hint = "topic: * one word, # zero or more; ignored by fanout and headers exchanges"
	xm := choiceField("x_match", "x-match", xmatch, func() []string { return []string{"all", "any", "all-with-x", "any-with-x", ""} },
		"headers exchanges: all / any of the arguments must match (ctrl+n cycles; empty = all)")
	a := NewArea("arguments", "arguments", args, 3)
	a.Hint = "header values to match, one per line: key=value or key:=JSON"
	a.Validate = func(s string) error { _, err := mgmt.ParseFreeArgs(s); return err }
	return []*Field{src, rk, xm, a}
}

// NewBindPage is the bind form on a destination (a queue or an exchange).
func NewBindPage(id int, vhost, dest, destType string, exchanges func() []string) (*ActionPage, tea.Cmd) {
	fields := bindingFields("", "", "", "", exchanges, vhost)
	f, cmd := NewForm(fmt.Sprintf("Bind %s %s (vhost %s)", destType, Clean(dest), Clean(vhost)), fields...)
	f.Verb = "bind"
	p := &ActionPage{ID: id, Kind: ActionBind, VHost: vhost, Queue: dest, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		args, err := bindingArgs(f)
		if err != nil {
			return nil, err
		}
		b := mgmt.Binding{VHost: vhost, Source: strings.TrimSpace(f.Value("source")), Destination: dest, DestinationType: destType,
			RoutingKey: f.Value("routing_key"), Arguments: args}
		return BindSubmitted{ID: id, VHost: vhost, Binding: b}, nil
	}
	return p, cmd
}

// argLines writes binding arguments back as the form's lines (x-match
// apart), keys sorted.
func argLines(args map[string]any) (xmatch, lines string) {
	var keys []string
	for k := range args {
		if k == "x-match" {
			xmatch, _ = args[k].(string)
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		switch v := args[k].(type) {
		case string:
			out = append(out, k+"="+v)
		default:
			out = append(out, k+":="+jsonText(v))
		}
	}
	return xmatch, strings.Join(out, "\n")
}

// NewRebindPage is the rebind form on a binding: its values filled in and
// the routing key focused; the source and the arguments may change too.
func NewRebindPage(id int, old mgmt.Binding, exchanges func() []string) (*ActionPage, tea.Cmd) {
	xm, args := argLines(old.Arguments)
	fields := bindingFields(old.Source, old.RoutingKey, xm, args, exchanges, old.VHost)
	f, _ := NewForm(fmt.Sprintf("Rebind %s → %s %s (vhost %s)", exchangeName(mgmt.Exchange{Name: old.Source}), old.DestinationType,
		Clean(old.Destination), Clean(old.VHost)), fields...)
	f.Note = fmt.Sprintf("now: key %q%s; the new binding is added and read back before the old one is removed", Clean(old.RoutingKey), argsNote(old.Arguments))
	f.Verb = "rebind"
	cmd := f.move(1) // the routing key
	p := &ActionPage{ID: id, Kind: ActionRebind, VHost: old.VHost, Queue: old.Destination, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		args, err := bindingArgs(f)
		if err != nil {
			return nil, err
		}
		n := old
		n.Source, n.RoutingKey, n.Arguments, n.PropertiesKey = strings.TrimSpace(f.Value("source")), f.Value("routing_key"), args, ""
		return RebindSubmitted{ID: id, VHost: old.VHost, Old: old, New: n}, nil
	}
	return p, cmd
}

func argsNote(args map[string]any) string {
	if len(args) == 0 {
		return ""
	}
	return ", arguments " + Clean(jsonText(args))
}

// jsonText is v as JSON (numbers without a trailing .0).
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
