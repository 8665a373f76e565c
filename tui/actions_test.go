package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/views"
)

type fakeAdmin struct {
	purged  []string
	deleted []string
	flags   [2]bool
	err     error
}

func (f *fakeAdmin) Purge(_ context.Context, vh, q string) (int, error) {
	f.purged = append(f.purged, vh+"/"+q)
	return 1200, f.err
}

func (f *fakeAdmin) DeleteQueue(_ context.Context, vh, q string, ifUnused, ifEmpty bool) (int, error) {
	f.deleted = append(f.deleted, vh+"/"+q)
	f.flags = [2]bool{ifUnused, ifEmpty}
	return 0, f.err
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func actionModel(t *testing.T, production, readOnly bool) (*Model, *fakeAdmin, *fakeClock) {
	t.Helper()
	adm, clk := &fakeAdmin{}, &fakeClock{t: t0}
	m := New(Deps{Context: Context{Name: "dev", ReadOnly: readOnly}, Backend: fakeBackend{}, Source: fakeSource{}, Keys: keys.Default(),
		Admin: adm, Production: production, Now: clk.now})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	feed(m, t0, 0)
	return m, adm, clk
}

// drive runs a command and feeds every message it yields back, as the
// program would, following batches.
func drive(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	// Timers (tea.Tick) block for their duration: a command that has not
	// answered quickly is a timer, which these flows do not need.
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var got tea.Msg
	select {
	case got = <-ch:
	case <-time.After(300 * time.Millisecond):
		return
	}
	switch msg := got.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			drive(m, c)
		}
	case SnapshotLoaded, statusFaded, tickMsg:
		// polls and timers are not part of these flows
	default:
		_, next := m.Update(msg)
		drive(m, next)
	}
}

func TestPurgeAsksThenPurgesTheCapturedQueue(t *testing.T) {
	m, adm, clk := actionModel(t, false, false)
	drive(m, m.handleKey(press("ctrl+x"))) // cursor is on "orders"
	if m.dialog == nil {
		t.Fatal("no confirmation dialog")
	}
	out := render(t, m, colorprofile.NoTTY)
	if !strings.Contains(out, "Purge 1,200 messages from orders (vhost /)?") {
		t.Fatalf("dialog does not name target and count:\n%s", out)
	}
	// A key typed before the dialog was on screen must not answer it.
	drive(m, m.handleKey(press("y")))
	if len(adm.purged) != 0 || m.dialog == nil {
		t.Fatal("a keystroke inside the grace period confirmed the purge")
	}
	clk.t = clk.t.Add(time.Second)
	// Enter on the default button is No.
	drive(m, m.handleKey(press("enter")))
	if len(adm.purged) != 0 || m.dialog != nil {
		t.Fatalf("default answer was not No: purged=%v", adm.purged)
	}
	drive(m, m.handleKey(press("ctrl+x")))
	m.handleKey(press("down")) // the selection moves under the dialog
	clk.t = clk.t.Add(time.Second)
	drive(m, m.handleKey(press("y")))
	if len(adm.purged) != 1 || adm.purged[0] != "//orders" {
		t.Fatalf("purged %v, want the queue selected when the dialog opened", adm.purged)
	}
	if !strings.Contains(m.line.text, "purged 1,200 messages from orders") {
		t.Fatalf("status = %q", m.line.text)
	}
}

func TestProductionPurgeNeedsTheNameTyped(t *testing.T) {
	m, adm, clk := actionModel(t, true, false)
	drive(m, m.handleKey(press("ctrl+x")))
	clk.t = clk.t.Add(time.Second)
	drive(m, m.handleKey(press("y")))
	drive(m, m.handleKey(press("enter")))
	if len(adm.purged) != 0 {
		t.Fatal("production purge went through without the name typed")
	}
	for _, r := range "orders" {
		drive(m, m.handleKey(press(string(r))))
	}
	// "y" was typed into the box first, so the text is "yorders": refused.
	drive(m, m.handleKey(press("enter")))
	if len(adm.purged) != 0 {
		t.Fatal("a wrong name confirmed the purge")
	}
	m.dialog.RequireTyping("orders")
	m.dialog = nil
	drive(m, m.handleKey(press("ctrl+x")))
	clk.t = clk.t.Add(time.Second)
	for _, r := range "orders" {
		drive(m, m.handleKey(press(string(r))))
	}
	drive(m, m.handleKey(press("enter")))
	if len(adm.purged) != 1 {
		t.Fatal("typing the name did not confirm")
	}
}

func TestDeleteWithOptionsAndErrorsShown(t *testing.T) {
	m, adm, clk := actionModel(t, false, false)
	m.queues.Update(press("down"))
	m.queues.Update(press("down"))
	m.queues.Update(press("down")) // eu.notifications: empty
	drive(m, m.handleKey(press("ctrl+d")))
	clk.t = clk.t.Add(time.Second)
	drive(m, m.handleKey(press("e")))
	adm.err = errors.New("406 PRECONDITION_FAILED - queue not empty")
	drive(m, m.handleKey(press("y")))
	if len(adm.deleted) != 1 || adm.deleted[0] != "eu/eu.notifications" || adm.flags != [2]bool{false, true} {
		t.Fatalf("deleted %v flags %v", adm.deleted, adm.flags)
	}
	if !m.line.isErr || !strings.Contains(m.line.text, "406 PRECONDITION_FAILED") {
		t.Fatalf("error not shown: %q", m.line.text)
	}
}

func TestReadOnlyRefusesPurge(t *testing.T) {
	m, adm, _ := actionModel(t, false, true)
	drive(m, m.handleKey(press("ctrl+x")))
	m.Update(views.PurgeRequested{VHost: "/", Queue: "orders"})
	if m.dialog != nil || len(adm.purged) != 0 {
		t.Fatal("read-only mode opened a purge dialog")
	}
}
