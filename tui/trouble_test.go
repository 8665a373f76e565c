package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// collect runs cmd and every command a batch holds, each on its own
// goroutine (ticks sleep), and returns the messages that arrive within d.
func collect(cmd tea.Cmd, d time.Duration) []tea.Msg {
	out := make(chan tea.Msg, 64)
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, sub := range b {
					run(sub)
				}
				return
			}
			out <- msg
		}()
	}
	run(cmd)
	var msgs []tea.Msg
	deadline := time.After(d)
	for {
		select {
		case m := <-out:
			msgs = append(msgs, m)
		case <-deadline:
			return msgs
		}
	}
}

func hasTick(msgs []tea.Msg) bool {
	for _, m := range msgs {
		if _, ok := m.(tickMsg); ok {
			return true
		}
	}
	return false
}

var errRefused = fmt.Errorf("read overview: %w", &mgmt.HTTPError{Status: 401})

// A 401 to the overview names the user and the endpoint, says what to do,
// and stops polling: no tick is armed after it. Any other failure retries.
func TestRefusedPasswordStopsPolling(t *testing.T) {
	ctx := Context{Name: "prod", User: "ops", Endpoint: "http://rabbit-1:15672"}
	m := New(Deps{Context: ctx, Backend: fakeBackend{}, Source: fakeSource{}, Keys: keys.Default(), Refresh: 250 * time.Millisecond,
		Reauth: func(string) (Deps, error) { return Deps{}, errors.New("unused") }})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	gen := m.tickGen
	_, cmd := m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: errRefused, NodesErr: errRefused, PageErr: errRefused})
	if m.tickGen != gen {
		t.Error("a tick was armed after a 401")
	}
	if msgs := collect(cmd, 1500*time.Millisecond); hasTick(msgs) {
		t.Errorf("the 401's commands polled again: %#v", msgs)
	}
	out := ansi.Strip(m.Render())
	for _, want := range []string{"401: user ops was refused by http://rabbit-1:15672", "ctrl+r re-enter the password", "q quit"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cannot reach") {
		t.Errorf("a refusal is shown as unreachable:\n%s", out)
	}
	if !strings.Contains(m.line.text, "polling stopped") {
		t.Errorf("status line does not say polling stopped: %q", m.line.text)
	}

	// The control: an unreachable broker is retried with backoff.
	m = newTestModel(Context{Name: "dev", Endpoint: "http://localhost:15672"})
	m.deps.Refresh, m.interval = 250*time.Millisecond, 250*time.Millisecond
	_, cmd = m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: errors.New("connection refused")})
	if msgs := collect(cmd, 1500*time.Millisecond); !hasTick(msgs) {
		t.Errorf("an unreachable broker was not retried: %#v", msgs)
	}
}

// The header says refused only while the overview is refused: a later
// answer (after r, or a new password) clears it and polling resumes.
func TestRefusalClearsWhenTheOverviewAnswers(t *testing.T) {
	m := newTestModel(Context{Name: "dev", User: "guest", Endpoint: "http://h:15672"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: errRefused})
	if !m.refused {
		t.Fatal("not refused")
	}
	m.handleKey(press("r"))
	p := samplePage(0)
	gen := m.tickGen
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), Overview: overview(), Nodes: nodes(), Page: &p})
	if m.refused || m.tickGen == gen {
		t.Fatalf("refused=%v, tick armed=%v after a good poll", m.refused, m.tickGen != gen)
	}
	if out := ansi.Strip(m.Render()); strings.Contains(out, "401") {
		t.Fatalf("401 still on screen:\n%s", out)
	}
}

// An unreachable broker's cause is shown whole: in the header when it
// fits, else in the status line, once per cause rather than every poll.
func TestUnreachableShowsTheWholeCause(t *testing.T) {
	cause := errors.New(`read overview: Get "http://rabbit-1.example.com:15672/api/overview?lengths_age=60&lengths_incr=5": ` +
		`dial tcp: lookup rabbit-1.example.com on 127.0.0.53:53: server misbehaving while resolving the name (the tail must show)`)
	for _, width := range []int{80, 160, 400} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			m := newTestModel(Context{Name: "prod", Endpoint: "http://rabbit-1.example.com:15672"})
			m.Update(tea.WindowSizeMsg{Width: width, Height: 30})
			m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: cause})
			// The screen's lines joined: the status line wraps a long text.
			out := strings.ReplaceAll(ansi.Strip(render(t, m, colorprofile.Ascii)), "\n", " ")
			if !strings.Contains(out, "the tail must show") || !strings.Contains(out, "server misbehaving") {
				t.Fatalf("the cause is cut:\n%s", ansi.Strip(m.Render()))
			}
			header, _, _ := strings.Cut(ansi.Strip(m.Render()), "\n")
			if inHeader := strings.Contains(header, "the tail must show"); inHeader == (m.line.text != "") {
				t.Fatalf("header has it: %v, status line: %q", inHeader, m.line.text)
			}
			// The same cause on the next poll, after a key cleared the line:
			// not said again.
			m.handleKey(press("j"))
			m.inflight = false
			m.startPoll()
			m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: cause})
			if m.line.text != "" {
				t.Fatalf("the same cause repeated in the status line: %q", m.line.text)
			}
			// ! still shows it whole.
			m.handleKey(press("!"))
			if out := strings.Join(strings.Fields(ansi.Strip(m.Render())), " "); !strings.Contains(out, "the tail must show") {
				t.Fatalf("! after the line was cleared does not show the cause:\n%s", ansi.Strip(m.Render()))
			}
			// Going back from it sends no poll while the broker fails: the
			// backoff's tick polls.
			m.inflight = false
			if cmd := m.back(); cmd != nil || m.inflight {
				t.Fatal("back polled at once while polls fail")
			}
		})
	}
}

// The status line the cause took clears when the broker answers again.
func TestTroubleLineGoesWhenPollsRecover(t *testing.T) {
	m := newTestModel(Context{Name: "prod", Endpoint: "http://h:15672"})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: errors.New(strings.Repeat("very long cause ", 10))})
	if m.line.text == "" {
		t.Fatal("a cause too long for the header is not in the status line")
	}
	m.inflight = false
	m.startPoll()
	p := samplePage(0)
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), Overview: overview(), Nodes: nodes(), Page: &p})
	if m.line.text != "" {
		t.Fatalf("status line kept an old cause: %q", m.line.text)
	}
}

// passwordBackend refuses every password but the right one.
type passwordBackend struct {
	fakeBackend
	password string
}

func (p passwordBackend) Overview(ctx context.Context) (mgmt.Overview, error) {
	if p.password != "right" {
		return mgmt.Overview{}, errRefused
	}
	return p.fakeBackend.Overview(ctx)
}

// ctrl+r opens a masked prompt; enter rebuilds the clients with the typed
// password through Deps.Reauth and polls again, keeping the list's state.
func TestCtrlRReentersThePassword(t *testing.T) {
	var got []string
	var reauth func(string) (Deps, error)
	deps := func(pw string) Deps {
		return Deps{Context: Context{Name: "prod", User: "ops", Endpoint: "http://h:15672"}, Backend: passwordBackend{password: pw},
			Source: fakeSource{}, Keys: keys.Default(), Reauth: reauth}
	}
	reauth = func(pw string) (Deps, error) { got = append(got, pw); return deps(pw), nil }
	m := New(deps("wrong"))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(runCmd(m.Init()))
	if !m.refused {
		t.Fatal("the wrong password was not refused")
	}
	m.Update(press("/"))
	for _, r := range "ord" {
		m.Update(press(string(r)))
	}
	m.Update(press("enter"))
	m.Update(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	if m.pw == nil {
		t.Fatal("ctrl+r opened no prompt")
	}
	for _, r := range "right" {
		m.Update(press(string(r)))
	}
	out := ansi.Strip(m.Render())
	if strings.Contains(out, "right") || !strings.Contains(out, "•••••") || !strings.Contains(out, "Password for ops at http://h:15672") {
		t.Fatalf("prompt not masked or not named:\n%s", out)
	}
	_, cmd := m.Update(press("enter"))
	if len(got) != 1 || got[0] != "right" {
		t.Fatalf("Reauth got %q", got)
	}
	if m.pw != nil || m.refused {
		t.Fatal("prompt still open or still refused before the new poll")
	}
	if m.queues.Filter() != "ord" {
		t.Errorf("the list's filter was lost: %q", m.queues.Filter())
	}
	for _, msg := range collect(cmd, 200*time.Millisecond) {
		m.Update(msg)
	}
	if !m.everGood || m.refused || m.overview.ClusterName == "" {
		t.Fatalf("no good poll with the new password: refused=%v", m.refused)
	}
	if out := ansi.Strip(m.Render()); strings.Contains(out, "401") || strings.Contains(out, "right") {
		t.Fatalf("after the new password:\n%s", out)
	}
	// esc leaves the prompt without calling Reauth.
	m.Update(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
	m.Update(press("x"))
	m.Update(press("esc"))
	if m.pw != nil || len(got) != 1 {
		t.Fatalf("esc: prompt open %v, Reauth calls %d", m.pw != nil, len(got))
	}
}

// :q and :quit quit, as in vim and k9s; :qu and :queues are the list, and
// tab offers them all.
func TestColonQQuits(t *testing.T) {
	for _, line := range []string{"q", "quit"} {
		m := newTestModel(Context{Name: "dev"})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
		m.handleKey(press(":"))
		for _, r := range line {
			m.handleKey(press(string(r)))
		}
		if !isQuit(m.handleKey(press("enter"))) {
			t.Errorf(":%s did not quit", line)
		}
	}
	for _, line := range []string{"qu", "queues"} {
		m := newTestModel(Context{Name: "dev"})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
		m.Update(views.OpenQueueRequested{VHost: "/", Name: "orders"})
		m.handleKey(press(":"))
		for _, r := range line {
			m.handleKey(press(string(r)))
		}
		if cmd := m.handleKey(press("enter")); isQuit(cmd) || m.top() != Screen(m.queues) || m.cmd.active {
			t.Errorf(":%s did not open the queue list (top %v, err %q)", line, m.top(), m.cmd.err)
		}
	}
	m := newTestModel(Context{Name: "dev"})
	got := strings.Join(m.completions("q"), " ")
	if got != "q qu queue queues quit" {
		t.Errorf("completions of q = %q", got)
	}
}

// The list's footer names its actions by their bound keys, leaves out what
// read-only mode disables, and keeps help when the width is short.
func TestQueueFooterNamesTheActions(t *testing.T) {
	k := keys.Default()
	k.Purge.Binding.SetKeys("ctrl+p")
	k.Purge.Binding.SetHelp("ctrl+p", "purge")
	wide := ansi.Strip(renderHints((&queuesScreen{}).Hints(&k), 200))
	for _, want := range []string{"enter detail", "p publish", "m browse", "ctrl+p purge", "/ filter", "s/S sort", ": command", "? help", "q quit"} {
		if !strings.Contains(wide, want) {
			t.Errorf("footer lacks %q: %s", want, wide)
		}
	}
	narrow := ansi.Strip(renderHints((&queuesScreen{}).Hints(&k), 80))
	if ansi.StringWidth(narrow) > 80 || !strings.Contains(narrow, "? help") || !strings.HasPrefix(narrow, "enter detail  p publish") {
		t.Errorf("80-column footer: %q", narrow)
	}
	k.ReadOnly()
	ro := ansi.Strip(renderHints((&queuesScreen{}).Hints(&k), 200))
	for _, gone := range []string{"publish", "purge", "test RPC", "delete"} {
		if strings.Contains(ro, gone) {
			t.Errorf("read-only footer offers %q: %s", gone, ro)
		}
	}
}

// A user that logs in but has no management tag is told which tag to ask
// for, and polling stops as for a wrong password (retrying cannot help).
func TestNoManagementTagNamesTheTag(t *testing.T) {
	m := newTestModel(Context{Name: "dev", User: "ops", Endpoint: "http://rabbit:15672"})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	notTagged := fmt.Errorf("read overview: %w", &mgmt.HTTPError{Status: 401, Reason: "Not management user"})
	m.Update(SnapshotLoaded{Seq: m.seq, At: time.Now(), OverviewErr: notTagged, NodesErr: notTagged, PageErr: notTagged})
	out := strings.Join(strings.Fields(ansi.Strip(m.Render())), " ")
	if !strings.Contains(out, "user ops logged in but has no management tag") || !strings.Contains(out, "set_user_tags ops monitoring") {
		t.Fatalf("no word of the missing tag:\n%s", ansi.Strip(m.Render()))
	}
	if !m.refused {
		t.Fatal("polling goes on against a refusal that retrying cannot lift")
	}
}
