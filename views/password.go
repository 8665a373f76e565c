package views

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/theme"
)

// PasswordPrompt asks for a password without showing it: every character
// is drawn as a mask, and the text is never part of View or of an error.
type PasswordPrompt struct {
	Title string // who the password is for, e.g. "Password for ops at http://h:15672"
	input textinput.Model
	err   string
	width int
}

// NewPasswordPrompt builds a focused, empty prompt.
func NewPasswordPrompt(title string) (*PasswordPrompt, tea.Cmd) {
	in := textinput.New()
	in.Prompt = "password: "
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.CharLimit = 0
	p := &PasswordPrompt{Title: title, input: in}
	return p, p.input.Focus()
}

// Value is the password typed so far.
func (p *PasswordPrompt) Value() string { return p.input.Value() }

// SetError shows why the last password was not used (never the password).
func (p *PasswordPrompt) SetError(s string) { p.err = s }

// SetWidth bounds the prompt's box.
func (p *PasswordPrompt) SetWidth(w int) {
	p.width = w
	p.input.SetWidth(max(min(w-16, 40), 10))
}

// Update handles a key: enter submits a non-empty password, esc cancels.
func (p *PasswordPrompt) Update(msg tea.KeyPressMsg) (FormResult, tea.Cmd) {
	switch msg.String() {
	case "esc":
		return FormCancelled, nil
	case "enter":
		if p.input.Value() == "" {
			p.err = "type the password, or esc to cancel"
			return FormEditing, nil
		}
		return FormSubmitted, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.err = ""
	return FormEditing, cmd
}

// Paste takes pasted text (a password manager's); line breaks are dropped.
func (p *PasswordPrompt) Paste(msg tea.PasteMsg) tea.Cmd {
	msg.Content = strings.NewReplacer("\r", "", "\n", "").Replace(msg.Content)
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.err = ""
	return cmd
}

// Hints are the prompt's keys for the footer.
func (p *PasswordPrompt) Hints() []Hint {
	return []Hint{{Key: "enter", Desc: "connect with this password"}, {Key: "esc", Desc: "cancel"}}
}

// View draws the prompt in a box.
func (p *PasswordPrompt) View() string {
	lines := []string{theme.Title.Render(Clean(p.Title)), "", p.input.View()}
	if p.err != "" {
		lines = append(lines, "", theme.Error.Render(Clean(p.err)))
	}
	lines = append(lines, "", theme.Dim.Render("enter connect · esc cancel"))
	box := theme.Border
	if p.width > 0 {
		box = box.MaxWidth(p.width)
	}
	return box.Render(strings.Join(lines, "\n"))
}
