// Package keys defines every key binding once, as data: the help screen, the
// footer and the README's key table are generated from it, and read-only mode
// drops the bindings marked Dangerous.
package keys

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
)

// Action is a named binding; names are what the config file's keys: map uses.
type Action struct {
	Name      string
	Binding   key.Binding
	Dangerous bool // mutates the broker; hidden and refused in read-only mode
}

// Map holds every binding of mqtop.
type Map struct {
	Help, Command, Filter, Back, Quit, ForceQuit Action
	Up, Down, PageUp, PageDown, Top, Bottom      Action
	Detail, Sort, SortReverse, Refresh, RawJSON  Action
	Faster, Slower, StatusMessage, Password      Action
	// Related views: from a queue, channel or exchange to its bindings,
	// consumers, channels or connection (enter follows the main relation).
	ShowBindings, ShowConsumers, ShowChannels, ShowConnection, ShowSource, ShowQueues Action
	RoutePreview                                                                      Action
	Permissions                                                                       Action
	Publish, Browse, RPC, New, Bind, Rebind, Move                                     Action
	Purge, Delete, CloseConnection                                                    Action
}

func b(name, help string, keys ...string) Action {
	return Action{Name: name, Binding: key.NewBinding(key.WithKeys(keys...), key.WithHelp(keyHelp(keys), help))}
}

func danger(a Action) Action { a.Dangerous = true; return a }

func keyHelp(keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case "up":
			k = "↑"
		case "down":
			k = "↓"
		}
		names[i] = k
	}
	return strings.Join(names, "/")
}

// Default returns SPEC section 5's bindings.
func Default() Map {
	return Map{
		Help:            b("help", "help", "?"),
		Command:         b("command", "command", ":"),
		Filter:          b("filter", "filter", "/"),
		Back:            b("back", "back", "esc"),
		Quit:            b("quit", "back/quit", "q"),
		ForceQuit:       b("force_quit", "quit", "ctrl+c"),
		Up:              b("up", "up", "up", "k"),
		Down:            b("down", "down", "down", "j"),
		PageUp:          b("page_up", "page up", "pgup"),
		PageDown:        b("page_down", "page down", "pgdown"),
		Top:             b("top", "top", "g", "home"),
		Bottom:          b("bottom", "bottom", "G", "end"),
		Detail:          b("detail", "detail", "enter"),
		Sort:            b("sort", "next sort column", "s"),
		SortReverse:     b("sort_reverse", "reverse sort", "S"),
		Refresh:         b("refresh", "refresh now", "r"),
		RawJSON:         b("raw_json", "raw JSON", "y"),
		Faster:          b("faster", "refresh faster", "+"),
		Slower:          b("slower", "refresh slower", "-"),
		StatusMessage:   b("status_message", "full status message", "!"),
		Password:        b("password", "re-enter the password (after a 401)", "ctrl+r"),
		ShowBindings:    b("show_bindings", "its bindings", "B"),
		ShowConsumers:   b("show_consumers", "its consumers", "C"),
		ShowChannels:    b("show_channels", "its channels", "H"),
		ShowConnection:  b("show_connection", "its connection", "O"),
		ShowSource:      b("show_source", "its source exchange", "X"),
		ShowQueues:      b("show_queues", "its queues", "Q"),
		RoutePreview:    b("route_preview", "route preview", "t"),
		Permissions:     danger(b("permissions", "set permissions", "P")),
		Publish:         danger(b("publish", "publish", "p")),
		Browse:          b("browse", "browse messages", "m"),
		RPC:             danger(b("rpc", "test RPC", "R")),
		New:             danger(b("new", "new", "n")),
		Bind:            danger(b("bind", "bind", "b")),
		Rebind:          danger(b("rebind", "rebind", "e")),
		Move:            danger(b("move", "move messages", "M")),
		Purge:           danger(b("purge", "purge", "ctrl+x")),
		Delete:          danger(b("delete", "delete", "ctrl+d")),
		CloseConnection: danger(b("close_connection", "close connection", "ctrl+k")),
	}
}

// All lists the actions in a fixed order.
func (m *Map) All() []*Action {
	return []*Action{&m.Help, &m.Command, &m.Filter, &m.Back, &m.Quit, &m.ForceQuit,
		&m.Up, &m.Down, &m.PageUp, &m.PageDown, &m.Top, &m.Bottom,
		&m.Detail, &m.Sort, &m.SortReverse, &m.Refresh, &m.RawJSON, &m.Faster, &m.Slower, &m.StatusMessage, &m.Password,
		&m.ShowBindings, &m.ShowConsumers, &m.ShowChannels, &m.ShowConnection, &m.ShowSource, &m.ShowQueues, &m.RoutePreview,
		&m.Publish, &m.Browse, &m.RPC, &m.New, &m.Bind, &m.Rebind, &m.Move,
		&m.Purge, &m.Delete, &m.CloseConnection, &m.Permissions}
}

// Apply rebinds actions from the config file's keys: map; an unknown action
// name is an error naming the known ones.
func (m *Map) Apply(overrides map[string][]string) error {
	byName := map[string]*Action{}
	for _, a := range m.All() {
		byName[a.Name] = a
	}
	var unknown []string
	for name, ks := range overrides {
		a, ok := byName[name]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		if len(ks) == 0 {
			return fmt.Errorf("keys.%s: give at least one key", name)
		}
		a.Binding.SetKeys(ks...)
		a.Binding.SetHelp(keyHelp(ks), a.Binding.Help().Desc)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var known []string
		for n := range byName {
			known = append(known, n)
		}
		sort.Strings(known)
		return fmt.Errorf("unknown key action %s; known: %s", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return nil
}

// ReadOnly disables every dangerous action.
func (m *Map) ReadOnly() {
	for _, a := range m.All() {
		if a.Dangerous {
			a.Binding.SetEnabled(false)
		}
	}
}

// Names lists the action names, for validating configuration.
func (m *Map) Names() []string {
	var out []string
	for _, a := range m.All() {
		out = append(out, a.Name)
	}
	return out
}
