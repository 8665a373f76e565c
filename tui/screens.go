package tui

import (
	"strings"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/views"
)

// The screens the root stacks, each a view plus its title and footer.

// queuesScreen is the queue list; its polls go through the queue sources
// (the Prometheus index or the paged management query).
type queuesScreen struct{ *views.Queues }

func (s *queuesScreen) Title() string { return "queues" }

func (s *queuesScreen) Hints(k *keys.Map) []views.Hint {
	return listHints(k, []hintAction{{"detail", &k.Detail}, {"publish", &k.Publish}, {"browse", &k.Browse},
		{"purge", &k.Purge}}, []hintAction{{"test RPC", &k.RPC}, {"delete", &k.Delete}, {"declare", &k.New}, {"bind", &k.Bind},
		{"move", &k.Move}, {"bindings", &k.ShowBindings},
		{"consumers", &k.ShowConsumers}, {"json", &k.RawJSON}, {"refresh", &k.Refresh}})
}

// detailScreen is a queue's detail page.
type detailScreen struct{ *views.QueueDetail }

func (s *detailScreen) Title() string { return "queue detail" }

func (s *detailScreen) Hints(k *keys.Map) []views.Hint {
	out := []views.Hint{{Key: "↑/↓", Desc: "scroll"}}
	out = appendHints(out, []hintAction{{"bindings", &k.ShowBindings}, {"consumers", &k.ShowConsumers}, {"json", &k.RawJSON},
		{"refresh", &k.Refresh}, {"help", &k.Help}})
	return append(out, views.Hint{Key: "esc/q", Desc: "back"})
}

// pagerScreen shows text: raw JSON, help, a status message in full.
type pagerScreen struct {
	*views.Pager
	title string
}

func (s *pagerScreen) Title() string { return s.title }

func (s *pagerScreen) Hints(*keys.Map) []views.Hint {
	return []views.Hint{{Key: "↑/↓ pgup/pgdn", Desc: "scroll"}, {Key: "esc/q", Desc: "back"}}
}

// actionScreen is a publish, RPC or browse form: every key is typing.
type actionScreen struct{ *views.ActionPage }

func (s *actionScreen) Title() string                { return "action" }
func (s *actionScreen) Hints(*keys.Map) []views.Hint { return s.ActionPage.Hints() }
func (s *actionScreen) Capturing() bool              { return true }

// messagesScreen is a browse result.
type messagesScreen struct{ *views.Messages }

func (s *messagesScreen) Title() string { return "messages" }

func (s *messagesScreen) Hints(*keys.Map) []views.Hint {
	return []views.Hint{{Key: "↑/↓", Desc: "message"}, {Key: "pgup/pgdn", Desc: "scroll message"}, {Key: "esc/q", Desc: "back"}}
}

// hintAction is one footer entry: what it does and its binding.
type hintAction struct {
	desc string
	a    *keys.Action
}

func appendHints(out []views.Hint, as []hintAction) []views.Hint {
	for _, h := range as {
		if h.a.Binding.Enabled() { // read-only mode drops the mutating ones
			out = append(out, views.Hint{Key: h.a.Binding.Help().Key, Desc: h.desc})
		}
	}
	return out
}

// listHints is a list's footer: its main actions, then the keys every list
// has, then its other actions; help always keeps its place.
func listHints(k *keys.Map, main, more []hintAction) []views.Hint {
	out := appendHints(nil, main)
	out = appendHints(out, []hintAction{{"filter", &k.Filter}})
	if k.Sort.Binding.Enabled() {
		out = append(out, views.Hint{Key: strings.Join([]string{k.Sort.Binding.Help().Key, k.SortReverse.Binding.Help().Key}, "/"), Desc: "sort"})
	}
	out = appendHints(out, []hintAction{{"command", &k.Command}, {"help", &k.Help}, {"quit", &k.Quit}})
	out = appendHints(out, more)
	for i := range out {
		if out[i].Desc == "help" {
			out[i].Keep = true
		}
	}
	return out
}
