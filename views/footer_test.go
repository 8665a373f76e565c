package views

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// The sorted column's arrow shows even when the title is wider than the
// column: the title loses letters, not the arrow; a column dropped for
// width has its order said in the position line. Only the view's own API
// is used (s and S cycle the order, as an operator does).
func TestSortArrowSurvivesNarrowTitles(t *testing.T) {
	k := keys.Default()
	var all strings.Builder
	for _, w := range []int{80, 160} {
		v := NewQueues(&k)
		v.SetSize(w, 6)
		v.SetPage(mgmt.QueuePage{}, nil)
		first, _ := v.SortKey()
		for i := 0; i < 2*20; i++ {
			key, desc := v.SortKey()
			lines := strings.Split(ansi.Strip(v.View()), "\n")
			head, pos := lines[0], lines[len(lines)-1]
			fmt.Fprintf(&all, "%3d %-9s %-5v|%s|%s\n", w, key, desc, strings.TrimRight(head, " "), pos)
			arrow := map[bool]string{false: "↑", true: "↓"}[desc]
			both := head + pos
			if got := strings.Count(both, "↑") + strings.Count(both, "↓"); got != 1 || !strings.Contains(both, arrow) {
				t.Errorf("width %d, sort %s desc=%v: want one %s, got %d in %q / %q", w, key, desc, arrow, got, head, pos)
			}
			if ansi.StringWidth(head) > w {
				t.Errorf("width %d: title row is %d cells: %q", w, ansi.StringWidth(head), head)
			}
			if i%2 == 0 {
				v.Update(press("S"))
			} else {
				v.Update(press("s"))
				if next, _ := v.SortKey(); next == first {
					break
				}
			}
		}
	}
	if !strings.Contains(all.String(), "UNACKE↓") || !strings.Contains(all.String(), "UNACKE↑") {
		t.Errorf("UNACKED (7 cells wide) does not keep its arrow:\n%s", all.String())
	}
	golden.RequireEqual(t, []byte(all.String()))
}

func hintKeys(hs []Hint) string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Key+" "+h.Desc)
	}
	return strings.Join(out, " · ")
}

// Each action form names its own keys: the browse form has no exchange
// field and does not send; a running action only cancels.
func TestActionPageHintsFitTheForm(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }
	exchanges := func() []string { return []string{"amq.direct"} }
	pub, _ := NewPublishPage(1, "/", "orders", exchanges, now)
	rpc, _ := NewRPCPage(2, "/", "orders", exchanges, now)
	browse, _ := NewBrowsePage(3, "/", "orders", amqp.Classic)
	stream, _ := NewBrowsePage(4, "/", "events", amqp.Stream)
	for _, p := range []*ActionPage{pub, rpc, browse, stream} {
		p.SetSize(100, 40)
	}
	for _, c := range []struct {
		name string
		p    *ActionPage
		want string
	}{
		{"publish", pub, "ctrl+s send · tab/shift+tab field · ctrl+n exchange picker · esc back"},
		{"rpc", rpc, "ctrl+s send · tab/shift+tab field · ctrl+n exchange picker · esc back"},
		{"browse", browse, "ctrl+s/enter browse · esc back"},
		{"browse stream", stream, "ctrl+s browse · tab/shift+tab field · esc back"},
	} {
		if got := hintKeys(c.p.Hints()); got != c.want {
			t.Errorf("%s form hints = %q, want %q", c.name, got, c.want)
		}
	}
	if v := ansi.Strip(browse.View()); strings.Contains(v, "send") || strings.Contains(v, "ctrl+n") {
		t.Errorf("the browse form speaks of sending or of the exchange picker:\n%s", v)
	}

	pub.Started("publishing…")
	if got := hintKeys(pub.Hints()); got != "esc cancel" {
		t.Errorf("running publish hints = %q", got)
	}
	pub.Finished([]string{"confirmed and routed"}, false)
	if got := hintKeys(pub.Hints()); got != "ctrl+s send again · tab/shift+tab field · ctrl+n exchange picker · esc back" {
		t.Errorf("publish hints with a result = %q", got)
	}
	browse.Finished([]string{"404 NOT_FOUND"}, true)
	if got := hintKeys(browse.Hints()); got != "ctrl+s/enter browse again · esc back" {
		t.Errorf("browse hints after a failure = %q", got)
	}
}

// The password prompt masks what is typed and never shows it.
func TestPasswordPromptMasks(t *testing.T) {
	p, _ := NewPasswordPrompt("Password for ops at http://h:15672")
	p.SetWidth(80)
	if res, _ := p.Update(press("enter")); res != FormEditing {
		t.Fatal("an empty password was accepted")
	}
	for _, r := range "s3cr3t" {
		p.Update(press(string(r)))
	}
	p.Paste(tea.PasteMsg{Content: "XY\n"})
	if p.Value() != "s3cr3tXY" {
		t.Fatalf("value = %q", p.Value())
	}
	if v := p.View(); strings.Contains(v, "s3cr3t") || strings.Contains(v, "XY") || !strings.Contains(v, "••••") {
		t.Fatalf("password not masked:\n%s", v)
	}
	if res, _ := p.Update(press("enter")); res != FormSubmitted {
		t.Fatal("enter did not submit")
	}
	if res, _ := p.Update(press("esc")); res != FormCancelled {
		t.Fatal("esc did not cancel")
	}
}
