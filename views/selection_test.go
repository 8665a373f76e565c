package views

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

func q(name string, ready int64) mgmt.Queue {
	return mgmt.Queue{VHost: "/", Name: name, Type: "classic", Ready: mgmt.C(ready), Messages: mgmt.C(ready)}
}

func pageOf(offset, matched int, qs ...mgmt.Queue) mgmt.QueuePage {
	return mgmt.QueuePage{Queues: qs, Offset: offset, Matched: matched, Total: matched, Source: "prometheus"}
}

func selectionView(t *testing.T) *Queues {
	t.Helper()
	k := keys.Default()
	v := NewQueues(&k)
	v.SetSize(100, 8) // 6 rows
	v.SetPage(pageOf(0, 4, q("a", 40), q("b", 30), q("c", 20), q("d", 10)), nil)
	v.Update(press("j"))
	v.Update(press("j")) // on c
	if s, ok := v.Selected(); !ok || s.Name != "c" {
		t.Fatalf("selected %v %v, want c", s.Name, ok)
	}
	return v
}

func purgeTarget(t *testing.T, v *Queues) string {
	t.Helper()
	msg, ok := msgOf(v.Update(tea.KeyPressMsg{Code: 'x', Mod: tea.ModCtrl})).(PurgeRequested)
	if !ok {
		return ""
	}
	return msg.Queue
}

// The index knows every queue's rank: after a re-sort moved c to the top,
// the cursor is on c, and a purge purges c.
func TestCursorFollowsTheQueueWhereItsRankIsKnown(t *testing.T) {
	v := selectionView(t)
	if tr := v.Query().Track; tr == nil || tr.Name != "c" {
		t.Fatalf("the poll does not track the chosen queue: %+v", tr)
	}
	p := pageOf(0, 4, q("c", 99), q("a", 40), q("b", 30), q("d", 10))
	p.Tracked = &mgmt.Tracked{Ref: mgmt.QueueRef{VHost: "/", Name: "c"}, Rank: 0}
	if refetch, _ := v.SetPage(p, nil); refetch {
		t.Fatal("refetch asked though c is in the window")
	}
	if got := purgeTarget(t, v); got != "c" {
		t.Fatalf("purge went to %q, want c (row 3 is now b)", got)
	}
}

// Off the window: the window is fetched where the queue is now, and until it
// arrives no action can land on whatever sits under the cursor.
func TestCursorFetchesTheWindowOfAQueueThatMovedFar(t *testing.T) {
	v := selectionView(t)
	p := pageOf(0, 1000, q("x", 1), q("y", 1), q("z", 1), q("w", 1), q("u", 1), q("s", 1))
	p.Tracked = &mgmt.Tracked{Ref: mgmt.QueueRef{VHost: "/", Name: "c"}, Rank: 700}
	refetch, _ := v.SetPage(p, nil)
	if !refetch || v.Query().Offset != 698 {
		t.Fatalf("refetch %v offset %d, want a window at 698 (c two rows down, where it was)", refetch, v.Query().Offset)
	}
	if got := purgeTarget(t, v); got != "" {
		t.Fatalf("purge of %q while the chosen queue's row is not loaded", got)
	}
	win := pageOf(698, 1000, q("m", 5), q("n", 5), q("c", 5), q("o", 5), q("p", 5), q("r", 5))
	win.Tracked = &mgmt.Tracked{Ref: mgmt.QueueRef{VHost: "/", Name: "c"}, Rank: 700}
	v.SetPage(win, nil)
	if got := purgeTarget(t, v); got != "c" {
		t.Fatalf("purge went to %q, want c", got)
	}
}

// The management API cannot say where a queue went: it stays pinned under
// the cursor, marked as moved, and actions still act on it.
func TestCursorPinsAQueueWhoseRankIsUnknown(t *testing.T) {
	v := selectionView(t)
	c := q("c", 0)
	p := pageOf(0, 4, q("a", 40), q("b", 30), q("d", 10), q("e", 5))
	p.Tracked = &mgmt.Tracked{Ref: mgmt.QueueRef{VHost: "/", Name: "c"}, Rank: -1, Queue: &c}
	v.SetPage(p, nil)
	out := ansi.Strip(v.View())
	if !strings.Contains(out, "↕ c (moved)") {
		t.Fatalf("the pinned row is not shown as moved:\n%s", out)
	}
	if got := purgeTarget(t, v); got != "c" {
		t.Fatalf("purge went to %q, want the pinned c", got)
	}
	v.Update(press("k")) // moving the cursor chooses another queue
	if s, _ := v.Selected(); s.Name != "b" || v.Pinned() {
		t.Fatalf("after k: %q pinned=%v", s.Name, v.Pinned())
	}
}

func TestCursorOnANeighbourWhenTheQueueIsGone(t *testing.T) {
	v := selectionView(t)
	p := pageOf(0, 3, q("a", 40), q("b", 30), q("d", 10))
	p.Tracked = &mgmt.Tracked{Ref: mgmt.QueueRef{VHost: "/", Name: "c"}, Rank: -1, Gone: true}
	_, note := v.SetPage(p, nil)
	if !strings.Contains(note, "c is gone") {
		t.Fatalf("note %q", note)
	}
	if s, ok := v.Selected(); !ok || s.Name != "d" {
		t.Fatalf("cursor on %q, want the neighbour d", s.Name)
	}
}

// `/` narrows the list as one types (after a pause), enter keeps, esc
// restores the filter from before.
func TestFilterNarrowsAsYouType(t *testing.T) {
	v := selectionView(t)
	v.Update(press("/"))
	var last tea.Cmd
	for _, r := range "ord" {
		last = v.Update(press(string(r)))
	}
	if v.Filter() != "" {
		t.Fatal("filtered before the pause")
	}
	typed := findMsg[FilterTyped](last)
	if typed == nil {
		t.Fatal("no debounce tick after typing")
	}
	if _, ok := msgOf(v.FilterPaused(*typed)).(QueryChanged); !ok || v.Filter() != "ord" || v.Query().Filter != "ord" {
		t.Fatalf("after the pause: filter %q", v.Filter())
	}
	// A stale tick (typing went on) does nothing.
	v.Update(press("e"))
	if v.FilterPaused(*typed) != nil || v.Filter() != "ord" {
		t.Fatal("a superseded tick applied")
	}
	v.Update(press("["))
	if tick := findMsg[FilterTyped](v.Update(press("x"))); tick != nil {
		v.FilterPaused(*tick)
	}
	if v.Filter() != "ord" || !strings.Contains(ansi.Strip(v.View()), "bad regex") {
		t.Fatalf("half-typed regex applied or not explained: %q", v.Filter())
	}
	if _, ok := msgOf(v.Update(press("esc"))).(QueryChanged); !ok || v.Filter() != "" {
		t.Fatalf("esc did not restore the filter from before /: %q", v.Filter())
	}
}

// findMsg runs cmd (and batches in it) without waiting for ticks longer than
// the debounce, and returns the first message of type T.
func findMsg[T any](cmd tea.Cmd) *T {
	if cmd == nil {
		return nil
	}
	switch m := cmd().(type) {
	case T:
		return &m
	case tea.BatchMsg:
		for _, c := range m {
			if r := findMsg[T](c); r != nil {
				return r
			}
		}
	}
	return nil
}

// A fetch that cannot say where the row went (no rank): when the page
// holds every matching row and the chosen one is not among them, it is
// gone (a binding removed by a rebind); when the page is only part of
// the list, it is held under the cursor.
func TestCursorWithoutRankGoneOnlyWhenThePageHoldsEveryRow(t *testing.T) {
	v := selectionView(t)
	_, note := v.SetPage(pageOf(0, 3, q("a", 40), q("b", 30), q("d", 10)), nil)
	if !strings.Contains(note, "c is gone") || v.Pinned() {
		t.Fatalf("note %q pinned %v", note, v.Pinned())
	}
	if s, ok := v.Selected(); !ok || s.Name != "d" {
		t.Fatalf("cursor on %q, want the neighbour d", s.Name)
	}
	v = selectionView(t)
	if _, note := v.SetPage(pageOf(0, 40, q("a", 40), q("b", 30), q("d", 10)), nil); note != "" || !v.Pinned() {
		t.Fatalf("partial page: note %q pinned %v", note, v.Pinned())
	}
	if s, _ := v.Selected(); s.Name != "c" {
		t.Fatalf("partial page: cursor on %q, want c held", s.Name)
	}
}
