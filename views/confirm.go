package views

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mqtop/mqtop/internal/theme"
)

// Grace is how long a dialog ignores keys after it appears, so a key typed
// before it was on screen can never answer it.
const Grace = 350 * time.Millisecond

// Option is a toggle in a confirmation dialog, such as "only if empty".
type Option struct {
	Key   string // the key that toggles it
	Label string
	On    bool
}

// Confirm asks yes or no about one mutation; No is the default.
type Confirm struct {
	ID       int
	Title    string
	Question string
	Danger   bool
	// TypeToConfirm, when set, must be typed exactly before Yes is accepted.
	TypeToConfirm string
	Options       []Option

	opened time.Time
	now    func() time.Time
	yes    bool // focus on the Yes button
	input  textinput.Model
	err    string
	width  int
}

// ConfirmAnswered carries the answer and the options as they were set.
type ConfirmAnswered struct {
	ID      int
	Yes     bool
	Options []Option
}

// NewConfirm opens a dialog; now is injectable for tests.
func NewConfirm(id int, title, question string, now func() time.Time) *Confirm {
	if now == nil {
		now = time.Now
	}
	in := textinput.New()
	in.Prompt = "> "
	return &Confirm{ID: id, Title: title, Question: question, opened: now(), now: now, input: in}
}

// RequireTyping asks the operator to type name before Yes counts.
func (c *Confirm) RequireTyping(name string) tea.Cmd {
	c.TypeToConfirm = name
	c.input.Placeholder = name
	return c.input.Focus()
}

// SetWidth bounds the dialog's width.
func (c *Confirm) SetWidth(w int) { c.width = w }

func (c *Confirm) answer(yes bool) tea.Cmd {
	opts := append([]Option(nil), c.Options...)
	id := c.ID
	return func() tea.Msg { return ConfirmAnswered{ID: id, Yes: yes, Options: opts} }
}

// Update handles keys; it answers only after the grace period.
func (c *Confirm) Update(msg tea.KeyPressMsg) tea.Cmd {
	if c.now().Sub(c.opened) < Grace {
		return nil
	}
	s := msg.String()
	if s == "esc" {
		return c.answer(false)
	}
	if c.TypeToConfirm != "" {
		switch s {
		case "enter":
			if c.input.Value() != c.TypeToConfirm {
				c.err = "type the name exactly to confirm, or esc to cancel"
				return nil
			}
			return c.answer(true)
		case "tab":
			return nil
		}
		var cmd tea.Cmd
		c.input, cmd = c.input.Update(msg)
		c.err = ""
		return cmd
	}
	switch s {
	case "y", "Y":
		return c.answer(true)
	case "n", "N":
		return c.answer(false)
	case "left", "right", "tab", "shift+tab", "h", "l":
		c.yes = !c.yes
		return nil
	case "enter":
		return c.answer(c.yes)
	}
	for i := range c.Options {
		if s == c.Options[i].Key {
			c.Options[i].On = !c.Options[i].On
		}
	}
	return nil
}

// View renders the dialog box.
func (c *Confirm) View() string {
	w := min(max(c.width-4, 30), 72)
	var b strings.Builder
	title := theme.Title
	if c.Danger {
		title = theme.Error
	}
	b.WriteString(title.Render(Clean(c.Title)) + "\n\n")
	b.WriteString(lipgloss.NewStyle().Width(w).Render(c.Question) + "\n")
	for _, o := range c.Options {
		box := "[ ]"
		if o.On {
			box = "[x]"
		}
		fmt.Fprintf(&b, "\n%s %s %s", theme.Key.Render(o.Key), box, o.Label)
	}
	if len(c.Options) > 0 {
		b.WriteString("\n")
	}
	if c.TypeToConfirm != "" {
		fmt.Fprintf(&b, "\nType %s to confirm:\n%s\n", theme.Key.Render(Clean(c.TypeToConfirm)), c.input.View())
		if c.err != "" {
			b.WriteString(theme.Error.Render(c.err) + "\n")
		}
		b.WriteString(theme.Dim.Render("enter confirm · esc cancel"))
	} else {
		no, yes := " No ", " Yes "
		if c.yes {
			yes = theme.Selected.Render("[Yes]")
			no = " No "
		} else {
			no = theme.Selected.Render("[No]")
		}
		fmt.Fprintf(&b, "\n%s   %s    %s", no, yes, theme.Dim.Render("y/n · ←/→ enter · esc"))
	}
	return theme.Border.Render(b.String())
}
