package tui

import (
	"fmt"
	"slices"
	"sort"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/state"

	"github.com/mqtop/mqtop/views"
)

// viewDef is a view the command line opens by name: each view's file
// registers itself, so a new view adds nothing to the root.
type viewDef struct {
	name    string
	aliases []string
	// open builds a fresh instance of the view for this model.
	open func(m *Model) Screen
	// detail, when set, reads a row's detail page (by key) off the UI loop.
	detail func(m *Model, key string) tea.Cmd
}

// textReady is a detail page read for the pager.
type textReady struct {
	title, text string
	err         error
}

// openDetail runs a view's detail read; its text opens in the pager.
func (m *Model) openDetail(r views.DetailRequested) tea.Cmd {
	d, ok := registry[r.View]
	if !ok || d.detail == nil {
		return nil
	}
	return d.detail(m, r.Key)
}

func (m *Model) showText(t textReady) tea.Cmd {
	if t.err != nil {
		m.errorf("%s", failure("read "+t.title, t.err))
		return nil
	}
	p := views.NewPager(&m.keys, views.Clean(t.title))
	p.SetContent(t.text)
	m.push(&pagerScreen{Pager: p, title: views.Clean(t.title)})
	return nil
}

var registry = map[string]viewDef{}

func register(d viewDef) { registry[d.name] = d }

func init() {
	register(viewDef{name: "queues", aliases: []string{"qu", "queue"}, open: func(m *Model) Screen {
		return newQueuesScreen(m)
	}})
}

func newQueuesScreen(m *Model) *queuesScreen {
	v := views.NewQueues(&m.keys)
	v.UseNodeNames(m.nodeNames)
	return &queuesScreen{v}
}

// viewNamed resolves a name or alias to a view's name.
func viewNamed(word string) (string, bool) {
	for name, d := range registry {
		if word == name || slices.Contains(d.aliases, word) {
			return name, true
		}
	}
	return "", false
}

// viewWords is every name and alias, for completion.
func viewWords() []string {
	var out []string
	for name, d := range registry {
		out = append(out, name)
		out = append(out, d.aliases...)
	}
	sort.Strings(out)
	return out
}

// switchView makes a top-level view the only screen, as it was left.
func (m *Model) switchView(name string) tea.Cmd {
	s, ok := m.lists[name]
	if !ok {
		s = registry[name].open(m)
		m.restoreSort(name, s)
		if v, ok := s.(vhostScoped); ok {
			v.SetVHost(m.vhost)
		}
		m.lists[name] = s
	}
	m.resetTo(s)
	return m.startPoll()
}

// openView pushes a fresh view scoped and filtered to related objects.
func (m *Model) openView(r views.OpenViewRequested) tea.Cmd {
	d, ok := registry[r.View]
	if !ok {
		m.errorf("no view named %s", views.Clean(r.View))
		return nil
	}
	s := d.open(m)
	if v, ok := s.(vhostScoped); ok {
		v.SetVHost(r.VHost)
	}
	if f, ok := s.(interface{ SetFilter(string) }); ok && r.Filter != "" {
		f.SetFilter(r.Filter)
	}
	m.push(s)
	return tea.Batch(m.startPoll(), m.info("%s", describeOpen(r)))
}

func describeOpen(r views.OpenViewRequested) string {
	s := r.View
	if r.Filter != "" {
		s += fmt.Sprintf(" matching /%s/", views.Clean(r.Filter))
	}
	if r.VHost != "" {
		s += " in vhost " + views.Clean(r.VHost)
	}
	return s + " — esc goes back"
}

// viewNames lists the views in name order.
func viewNames() []string {
	var out []string
	for name := range registry {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// sorter is a list whose order can be remembered.
type sorter interface {
	Sort() (string, bool)
	SetSort(key string, desc bool)
}

func sortOf(s Screen) state.Sort {
	if x, ok := s.(sorter); ok {
		k, d := x.Sort()
		return state.Sort{Key: k, Desc: d}
	}
	return state.Sort{}
}

// restoreSort puts a top-level view in the order it had at the last start.
func (m *Model) restoreSort(name string, s Screen) {
	if x, ok := s.(sorter); ok {
		if srt, ok := m.deps.Sorts[name]; ok {
			x.SetSort(srt.Key, srt.Desc)
		}
	}
}

// saveSort remembers a top-level view's new order for the next start; views
// opened on related objects are not remembered.
func (m *Model) saveSort(s Screen, srt state.Sort) tea.Cmd {
	save, log := m.deps.SaveSort, m.logger()
	if save == nil {
		return nil
	}
	for name, l := range m.lists {
		if l == s {
			return func() tea.Msg {
				if err := save(name, srt); err != nil {
					log.Warn("remember sort", "view", name, "err", err)
				}
				return nil
			}
		}
	}
	return nil
}
