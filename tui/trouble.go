package tui

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/internal/safe"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/views"
)

// noteRefusal marks the context refused when the management API answered
// the overview with 401, before applySnapshot arms the next poll: with the
// same credentials every retry would be refused too (and count against the
// user in the broker's log), so none is armed until ctrl+r or r.
func (m *Model) noteRefusal(s SnapshotLoaded) {
	if s.Seq != m.seq {
		return // a dropped result says nothing about the current credentials
	}
	m.refused = mgmt.StatusOf(s.OverviewErr) == 401
}

// refusal names who was refused by whom, never the password.
func (m *Model) refusal() string {
	c := m.deps.Context
	var he *mgmt.HTTPError
	if errors.As(m.lastErr, &he) && strings.HasPrefix(he.Reason, "Not management user") {
		// The password was right: the user lacks a tag, and retrying cannot help.
		return fmt.Sprintf("401: user %s logged in but has no management tag, which mqtop needs: ask an administrator for the "+
			"monitoring tag (read everything) or management (its own vhosts), e.g. rabbitmqctl set_user_tags %s monitoring",
			views.Clean(c.User), views.Clean(c.User))
	}
	if c.User == "" {
		return "401: refused by " + views.Clean(c.Endpoint)
	}
	return fmt.Sprintf("401: user %s was refused by %s", views.Clean(c.User), views.Clean(c.Endpoint))
}

// refusalKeys says what the operator can do about a refusal.
func (m *Model) refusalKeys() string {
	var ks []string
	if m.deps.Reauth != nil && m.keys.Password.Binding.Enabled() {
		ks = append(ks, m.keys.Password.Binding.Help().Key+" re-enter the password")
	}
	return strings.Join(append(ks, m.keys.Quit.Binding.Help().Key+" quit"), ", ")
}

// unreachable is the header's and status line's text for a failed poll
// with no good data yet: an HTTP answer is not "cannot reach".
func (m *Model) unreachable() string {
	ep := views.Clean(m.deps.Context.Endpoint)
	if mgmt.StatusOf(m.lastErr) != 0 {
		return ep + " answered: " + views.Clean(m.lastErr.Error()) + " — retrying"
	}
	return "cannot reach " + ep + ": " + views.Clean(m.lastErr.Error()) + " — retrying"
}

// freshFloor is the least room the freshness text keeps on the header
// line ("stale 12s: " and the start of the cause); the header drops its
// lesser parts (Erlang, cluster, versions) to give it that much.
const freshFloor = 32

// freshRoom is the room the header's first line leaves the freshness text
// beside every other part, measured by drawing it on a copy of the model
// without the freshness text; at least freshFloor.
func (m *Model) freshRoom() int {
	c := *m
	c.measuring = true
	first, _, _ := strings.Cut(c.header(), "\n")
	return max(m.width-ansi.StringWidth(first)-2, freshFloor)
}

// fitFresh cuts a freshness text to the room the header leaves it.
func (m *Model) fitFresh(s string) string { return ansi.Truncate(s, m.freshRoom(), "…") }

// troubleText is the whole of why polls fail, for the status line.
func (m *Model) troubleText() string {
	switch {
	case m.lastErr == nil:
		return ""
	case m.refused:
		s := m.refusal() + " (" + views.Clean(m.lastErr.Error()) + "); polling stopped: " + m.refusalKeys()
		if note := notesLine(m.deps.Notes); note != "" {
			// The context's warnings often say why (no password set).
			s += " — " + note
		}
		return s
	case !m.everGood:
		return m.unreachable()
	}
	return "stale: " + views.Clean(m.lastErr.Error()) + " — retrying"
}

// noteTrouble says a poll failure's whole cause in the status line when the
// header cannot show it whole, and a refusal always (with what to do about
// it); each only when it changed, so a failing poll does not repeat it. An
// error line it put there goes when the polls succeed again.
func (m *Model) noteTrouble() {
	if m.lastErr == nil {
		if m.troubleLine != "" && m.line.isErr && m.line.text == safe.Text(m.troubleLine) {
			m.line.text, m.line.isErr = "", false
		}
		m.troubleSaid, m.troubleLine = "", ""
		return
	}
	if m.width <= 0 {
		return // said once the screen has a size
	}
	said := fmt.Sprint(m.refused, m.lastErr.Error())
	if said == m.troubleSaid {
		return
	}
	m.troubleSaid = said
	if !m.refused {
		first, _, _ := strings.Cut(m.header(), "\n")
		if strings.Contains(ansi.Strip(first), views.Clean(m.lastErr.Error())) {
			m.troubleLine = ""
			return // the header shows it whole
		}
	}
	m.troubleLine = m.troubleText()
	m.errorf("%s", m.troubleLine)
}

// openPassword opens the masked password prompt (ctrl+r).
func (m *Model) openPassword() tea.Cmd {
	if m.deps.Reauth == nil {
		m.errorf("this context cannot take another password here")
		return nil
	}
	c := m.deps.Context
	title := "Password for " + views.Clean(c.User) + " at " + views.Clean(c.Endpoint)
	p, cmd := views.NewPasswordPrompt(title)
	p.SetWidth(m.width)
	m.pw = p
	return cmd
}

// updatePassword types into the prompt; enter rebuilds the context's
// clients with the new password and polls again at once.
func (m *Model) updatePassword(msg tea.KeyPressMsg) tea.Cmd {
	res, cmd := m.pw.Update(msg)
	switch res {
	case views.FormCancelled:
		m.pw = nil
		return nil
	case views.FormSubmitted:
		d, err := m.deps.Reauth(m.pw.Value())
		if err != nil {
			m.pw.SetError(err.Error())
			return nil
		}
		m.pw = nil
		poll := m.adopt(d, true)
		user, ep := views.Clean(m.deps.Context.User), views.Clean(m.deps.Context.Endpoint)
		return tea.Batch(m.info("new password for %s: reading %s again", user, ep), poll)
	}
	return cmd
}
