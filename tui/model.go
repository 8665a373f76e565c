// Package tui is mqtop's one root tea.Model: it routes keys to the view in
// front, runs polls that never overlap, drops stale results, keeps the last
// good data when a poll fails, and draws the header, body and footer.
package tui

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/history"
	"github.com/mqtop/mqtop/internal/state"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// Context describes the cluster mqtop is connected to, for the header.
type Context struct {
	Name, Color, Endpoint string
	User                  string // the management user, to name it when refused
	ReadOnly, Insecure    bool
}

// Deps is what the root model needs from the outside world.
type Deps struct {
	Context Context
	Backend Backend
	Source  Source
	Refresh time.Duration
	Timeout time.Duration
	// ListTimeout bounds the queue list query; 3 × Timeout if zero.
	ListTimeout time.Duration
	Keys        keys.Map
	Contexts    []string
	// Switch connects to another context for :ctx; nil disables it.
	Switch func(name string) (Deps, error)
	// Reauth rebuilds this context's clients with another password, typed
	// after a 401; nil disables the prompt. The password goes nowhere else.
	Reauth func(password string) (Deps, error)
	// Admin performs queue mutations; nil when there is no AMQP session.
	Admin QueueAdmin
	// AMQP publishes, browses and makes test RPCs; nil without a session.
	AMQP Messaging
	// AllowBrowse lets a read-only context browse classic and quorum queues.
	AllowBrowse bool
	// Close releases the context's connections when mqtop leaves it.
	Close      func()
	Production bool // purge asks for the queue's name to be typed
	Logger     *slog.Logger
	Now        func() time.Time
	// Sorts are the views' orders remembered for this context; SaveSort
	// remembers a new one (it runs off the UI loop). Both may be nil.
	Sorts    map[string]state.Sort
	SaveSort func(view string, s state.Sort) error
	// Notes are warnings to show in the status line at start (the
	// configuration's), until the first key; terminal-safe, no secrets.
	Notes []string
}

// Model is the root model.
type Model struct {
	deps Deps
	keys keys.Map

	width, height int
	bodyH         int // what layout gave the views

	// Polling.
	seq, tickGen     int
	inflight         bool
	pollStart        time.Time // when the poll in flight was sent
	clockOn          bool      // a clockMsg is due (startClock)
	pending          bool
	failures         int
	interval         time.Duration
	lastTook         time.Duration
	lastGood, lastAt time.Time
	lastErr          error
	everGood         bool
	// me is who mqtop is logged in as, once the broker said (access.go);
	// meToken is the whoami being read.
	me      *mgmt.Me
	meToken *int
	// nodesHidden: /api/nodes refused for a missing tag; not asked again
	// in this context.
	nodesHidden bool
	// refused is the management API's 401 to the overview: polling stops
	// (the same password would be refused again) until ctrl+r or r.
	refused bool
	// troubleSaid is the poll failure last said in the status line, so a
	// cause the header cannot show whole is said once, not on every poll.
	troubleSaid, troubleLine string
	// measuring is set on a copy of the model that draws the header without
	// the freshness text, to measure the room left for it.
	measuring bool

	// Last good data.
	overview mgmt.Overview
	nodes    []mgmt.Node
	// nodeNames shortens node names in the header and the NODE columns.
	nodeNames *views.NodeNames
	status    mgmt.SourceStatus
	// amqpRefused is the session's refusal of an AMQP endpoint that proved
	// to be another broker's, read after each poll for the header.
	amqpRefused error
	// exact holds counts read right after an action (see exact.go).
	exact map[string]exactCounts

	book   *history.Book
	totals *history.Book

	// Screens: a stack, the one in front on top (see screen.go). The queue
	// list and the other top-level lists live on between visits.
	queues *queuesScreen
	lists  map[string]Screen
	stack  []Screen

	dialog     *views.Confirm
	pendingAct pendingAction
	dialogSeq  int

	// Actions over AMQP.
	actionSeq    int
	cancelAction context.CancelFunc
	remembered   map[string]map[string]string
	exchanges    map[string][]string
	// exchangeTypes are the broker's exchange types, for the declare form.
	exchangeTypes []string
	// routeTopos are the vhosts' topologies read for route previews.
	routeTopos map[string]routeTopo

	vhost  string // the :vhost scope of every list ("" all)
	cmd    cmdline
	pw     *views.PasswordPrompt // ctrl+r: the password prompt, when open
	line   statusLine
	vhosts []string
}

// New builds the root model.
func New(d Deps) *Model {
	if d.Refresh <= 0 {
		d.Refresh = 2 * time.Second
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.ListTimeout <= 0 {
		d.ListTimeout = 3 * d.Timeout
	}
	m := &Model{deps: d, keys: d.Keys, interval: d.Refresh,
		book: history.NewBook(600, 5000), totals: history.NewBook(600, 1),
		remembered: map[string]map[string]string{}, exchanges: map[string][]string{}, exact: map[string]exactCounts{}, routeTopos: map[string]routeTopo{}}
	if d.Context.ReadOnly {
		m.keys.ReadOnly()
	}
	m.nodeNames = &views.NodeNames{}
	m.queues = newQueuesScreen(m)
	m.lists = map[string]Screen{"queues": m.queues}
	m.restoreSort("queues", m.queues)
	m.stack = []Screen{m.queues}
	m.cmd = newCmdline()
	return m
}

// Init shows the start's notes and starts the first poll at once.
func (m *Model) Init() tea.Cmd {
	if note := notesLine(m.deps.Notes); note != "" {
		m.line.set(note, true)
	}
	return m.startPoll()
}

// notesLine is the status line of a context's warnings, or "".
func notesLine(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return "warning: " + strings.Join(notes, "; ")
}

// startPoll builds a poll from copies of the current state, unless one is
// already running, in which case another follows as soon as it returns.
func (m *Model) startPoll() tea.Cmd {
	if m.inflight {
		m.pending = true
		return nil
	}
	m.inflight, m.pending = true, false
	m.pollStart = time.Now()
	m.seq++
	spec := pollSpec{seq: m.seq, timeout: m.deps.Timeout, listTimeout: m.deps.ListTimeout, noNodes: m.nodesHidden}
	switch s := m.top().(type) {
	case *detailScreen:
		spec.detail = &[2]string{s.VHost, s.Name}
	case *queuesScreen:
		q := s.Query()
		spec.list, spec.viewFor = &q, s
	case fetcher:
		spec.view, spec.viewFor = s.fetch(m.deps), m.top()
	}
	return poll(m.deps.Backend, m.deps.Source, spec)
}

func (m *Model) scheduleTick() tea.Cmd {
	if m.refused {
		return nil // no retry storm: a refused password stays refused
	}
	m.tickGen++
	gen := m.tickGen
	d := nextDelay(m.interval, m.lastTook, m.failures)
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// Update routes messages: keys to the command line or the view in front,
// data to whichever view owns it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer m.relayout()
	if what, why := m.forbidden(msg); why != "" {
		m.errorf("%s refused: %s", what, views.Clean(why))
		return m, nil
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		m.noteTrouble()
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case SnapshotLoaded:
		m.noteRefusal(msg)
		cmd := m.applySnapshot(msg)
		m.noteTrouble()
		if msg.Seq == m.seq && msg.OverviewErr == nil {
			cmd = tea.Batch(cmd, m.loadMe())
		}
		return m, cmd
	case meLoaded:
		return m, m.meArrived(msg)
	case tea.PasteMsg:
		if m.pw != nil {
			return m, m.pw.Paste(msg)
		}
		return m, nil
	case tickMsg:
		if msg.gen != m.tickGen {
			return m, nil
		}
		// The clock redraws the header's wait should this poll (or the one
		// still in flight) go unanswered.
		return m, tea.Batch(m.startPoll(), m.startClock())
	case clockMsg:
		m.clockOn = false
		if m.stale() || m.inflight {
			return m, m.startClock()
		}
		return m, nil
	case vhostsLoaded:
		if msg.err == nil {
			m.vhosts = msg.names
		}
		return m, nil
	case statusFaded:
		m.line.fade(msg.id)
		return m, nil
	case views.QueryChanged:
		return m, m.startPoll()
	case views.FilterTyped:
		if f, ok := m.top().(filterTyper); ok {
			return m, f.FilterPaused(msg)
		}
		return m, nil
	case queueInspected:
		return m, m.inspected(msg)
	case views.OpenQueueRequested:
		m.push(&detailScreen{views.NewQueueDetail(&m.keys, msg.VHost, msg.Name)})
		return m, m.startPoll()
	case views.RawJSONRequested:
		p := views.NewPager(&m.keys, "raw JSON of "+views.Clean(msg.Title))
		p.SetContent(views.PrettyJSON(msg.Raw))
		m.push(&pagerScreen{Pager: p, title: "raw JSON"})
		return m, nil
	case views.OpenViewRequested:
		return m, m.openView(msg)
	case views.DetailRequested:
		return m, m.openDetail(msg)
	case textReady:
		return m, m.showText(msg)
	case views.QueueJSONRequested:
		b, timeout := m.deps.Backend, m.deps.Timeout
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			q, err := b.QueueDetails(ctx, msg.VHost, msg.Name)
			if err != nil {
				return MutationFinished{What: "read queue " + msg.Name, Err: err}
			}
			return views.RawJSONRequested{Title: "queue " + msg.Name + " in " + msg.VHost, Raw: q.Raw}
		}
	case views.BackRequested:
		return m, m.back()
	case views.PurgeRequested:
		return m, m.requestPurge(msg)
	case views.DeleteQueueRequested:
		return m, m.requestDelete(msg)
	case views.PublishRequested:
		return m, m.requestPublish(msg)
	case views.RPCRequested:
		return m, m.requestRPC(msg)
	case views.BrowseRequested:
		return m, m.requestBrowse(msg)
	case views.ActionSubmitted:
		return m, m.submitted(msg)
	case views.ActionCancelRequested:
		return m, m.cancelRunning(msg.ID)
	case actionProgress:
		return m, m.progressed(msg)
	case actionDone:
		return m, m.actionFinished(msg)
	case browseDone:
		return m, m.browsed(msg)
	case exchangesLoaded:
		m.exchanges[msg.vhost] = msg.names
		return m, nil
	case views.ConfirmAnswered:
		return m, m.answered(msg)
	case MutationFinished:
		return m, m.finished(msg)
	}
	if cmd, ok := m.topology(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.administration(msg); ok {
		return m, cmd
	}
	return m, nil
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	if key.Matches(msg, k.ForceQuit.Binding) {
		return tea.Quit
	}
	status := m.line.text // the key that opens it also clears an error
	m.line.keyPressed()
	if m.dialog != nil {
		return m.dialog.Update(msg)
	}
	if m.pw != nil {
		return m.updatePassword(msg)
	}
	if m.cmd.active {
		return m.updateCmdline(msg)
	}
	if capturing(m.top()) {
		return m.top().Update(msg) // every key is typing
	}
	switch {
	case key.Matches(msg, k.Command.Binding):
		m.cmd.open()
		return loadVHosts(m.deps.Backend, m.deps.Timeout)
	case key.Matches(msg, k.Help.Binding):
		p := views.NewPager(&m.keys, "keys — "+m.top().Title())
		p.SetContent(helpText(&m.keys, m.top()))
		m.push(&pagerScreen{Pager: p, title: "help"})
		return nil
	case key.Matches(msg, k.StatusMessage.Binding):
		if status == "" && m.lastErr != nil {
			status = m.troubleText() // why the data is stale, even once its line was cleared
		}
		return m.openStatus(status)
	case key.Matches(msg, k.Password.Binding):
		return m.openPassword()
	case key.Matches(msg, k.Refresh.Binding):
		return tea.Batch(m.info("refreshing"), m.startPoll())
	case key.Matches(msg, k.Faster.Binding):
		return m.setInterval(m.interval / 2)
	case key.Matches(msg, k.Slower.Binding):
		return m.setInterval(m.interval * 2)
	case key.Matches(msg, k.Quit.Binding) && !isPager(m.top()):
		return m.back()
	}
	if a := refusedReadOnly(k, msg, m.deps.Context.ReadOnly); a != "" {
		m.errorf("%s refused: read-only mode", a)
		return nil
	}
	l, isList := m.top().(filtered)
	if !isList {
		return m.top().Update(msg)
	}
	if key.Matches(msg, k.Back.Binding) && l.FilterOwn() {
		if len(m.stack) > 1 {
			return m.back() // to the list this one was opened from, as it was
		}
		return nil
	}
	if a := notBuilt(k, msg); a != "" {
		m.errorf("%s is not available yet in this build", a)
		return nil
	}
	before := sortOf(m.top())
	cmd := m.top().Update(msg)
	if after := sortOf(m.top()); after != before {
		return tea.Batch(cmd, m.saveSort(m.top(), after))
	}
	return cmd
}

// filtered is a list: esc clears a filter typed in it before it goes back.
type filtered interface{ FilterOwn() bool }

func isPager(s Screen) bool {
	_, ok := s.(*pagerScreen)
	return ok
}

// refusedReadOnly names the mutating action a key would run, when
// read-only mode disabled it, so the operator hears why nothing happens.
func refusedReadOnly(k *keys.Map, msg tea.KeyPressMsg, readOnly bool) string {
	if !readOnly {
		return ""
	}
	for _, a := range k.All() {
		if a.Dangerous && slices.Contains(a.Binding.Keys(), msg.String()) {
			return a.Binding.Help().Desc
		}
	}
	return ""
}

// built lists the actions this build implements; the others say so.
var built = map[string]bool{"purge": true, "delete": true, "publish": true, "browse": true, "rpc": true,
	"new": true, "bind": true, "rebind": true, "move": true, "close_connection": true, "permissions": true}

func notBuilt(k *keys.Map, msg tea.KeyPressMsg) string {
	for _, a := range k.All() {
		if (a.Dangerous || a.Name == "browse") && !built[a.Name] && key.Matches(msg, a.Binding) {
			return a.Binding.Help().Desc
		}
	}
	return ""
}

func (m *Model) setInterval(d time.Duration) tea.Cmd {
	d = max(min(d, time.Minute), 250*time.Millisecond)
	m.interval = d
	return m.info("refresh every %s", views.FmtDuration(d))
}

func (m *Model) stale() bool { return m.lastErr != nil }

func clock() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// Close cancels a running action and closes the context's connections.
func (m *Model) Close() {
	if m.cancelAction != nil {
		m.cancelAction()
	}
	if m.deps.Close != nil {
		m.deps.Close()
		m.deps.Close = nil
	}
}

// PollNow starts a poll unless one is running; benchmarks and tests drive
// refresh cycles with it (run the command, feed its message to Update).
func (m *Model) PollNow() tea.Cmd { return m.startPoll() }
