package views

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/internal/theme"
)

// Field is one labelled input of a Form: a line, or several lines.
type Field struct {
	Key      string // stable name, used to remember values
	Label    string
	Hint     string
	Validate func(string) error // nil accepts anything
	// Suggest, when set, lists candidates for the current value; ctrl+n
	// fills in the next one (the exchange picker).
	Suggest func(string) []string
	// Pick names what ctrl+n picks, for the footer ("exchange picker"
	// when empty).
	Pick string
	// Secret fields (passwords) are masked and never remembered.
	Secret bool

	line  textinput.Model
	area  *textarea.Model
	err   string
	cycle int
}

// NewLine makes a single-line field.
func NewLine(key, label, value string) *Field {
	in := textinput.New()
	in.Prompt = ""
	in.SetValue(value)
	in.CharLimit = 0
	return &Field{Key: key, Label: label, line: in}
}

// NewSecret makes a masked single-line field (a password): shown as •,
// left out of Values so that it is never remembered.
func NewSecret(key, label string) *Field {
	f := NewLine(key, label, "")
	f.line.EchoMode = textinput.EchoPassword
	f.line.EchoCharacter = '•'
	f.Secret = true
	return f
}

// NewArea makes a multi-line field of the given height.
func NewArea(key, label, value string, height int) *Field {
	a := textarea.New()
	a.ShowLineNumbers = false
	a.Prompt = "│ "
	a.CharLimit = 0
	a.SetHeight(height)
	a.SetValue(value)
	return &Field{Key: key, Label: label, area: &a}
}

// Value is the field's text.
func (f *Field) Value() string {
	if f.area != nil {
		return f.area.Value()
	}
	return f.line.Value()
}

// SetValue replaces the field's text.
func (f *Field) SetValue(s string) {
	if f.area != nil {
		f.area.SetValue(s)
		return
	}
	f.line.SetValue(s)
}

func (f *Field) focus() tea.Cmd {
	if f.area != nil {
		return f.area.Focus()
	}
	return f.line.Focus()
}

func (f *Field) blur() {
	if f.area != nil {
		f.area.Blur()
		return
	}
	f.line.Blur()
}

func (f *Field) setWidth(w int) {
	if f.area != nil {
		f.area.SetWidth(w)
		return
	}
	f.line.SetWidth(w)
}

// pickHint names what ctrl+n picks in the focused field.
func (f *Form) pickHint() string {
	if x := f.Fields[f.focus]; x.Pick != "" {
		return x.Pick
	}
	return "exchange picker"
}

// keyLine is the form's own line of keys.
func (f *Form) keyLine() string {
	verb := f.Verb
	if verb == "" {
		verb = "send"
	}
	if len(f.Fields) == 1 {
		return "ctrl+s/enter " + verb + " · esc cancel"
	}
	return "ctrl+s " + verb + " · tab/shift+tab move · enter next field · esc cancel"
}

// Form is a column of fields: tab / shift+tab move, ctrl+s submits after
// every field validates, esc cancels. Nothing is sent while any field is
// in error.
type Form struct {
	Title  string
	Fields []*Field
	Note   string // shown under the title (what the action will do)
	Verb   string // what submitting does, for the key line; "send" if empty

	focus  int
	width  int
	height int
	err    string
}

// NewForm builds a form and focuses its first field.
func NewForm(title string, fields ...*Field) (*Form, tea.Cmd) {
	f := &Form{Title: title, Fields: fields}
	return f, fields[0].focus()
}

// Get returns a field by key.
func (f *Form) Get(key string) *Field {
	for _, x := range f.Fields {
		if x.Key == key {
			return x
		}
	}
	return nil
}

// Value returns a field's text by key.
func (f *Form) Value(key string) string {
	if x := f.Get(key); x != nil {
		return x.Value()
	}
	return ""
}

// Values snapshots every field, to remember them per target.
func (f *Form) Values() map[string]string {
	out := map[string]string{}
	for _, x := range f.Fields {
		if !x.Secret {
			out[x.Key] = x.Value()
		}
	}
	return out
}

// Restore puts remembered values back.
func (f *Form) Restore(v map[string]string) {
	for _, x := range f.Fields {
		if s, ok := v[x.Key]; ok {
			x.SetValue(s)
		}
	}
}

// SetWidth sizes the inputs.
func (f *Form) SetWidth(w int) {
	f.width = w
	for _, x := range f.Fields {
		x.setWidth(max(w-20, 20))
	}
}

// SetError shows a form-level error (for example a failed file read).
func (f *Form) SetError(s string) { f.err = s }

// FormResult says what a key did to the form.
type FormResult int

const (
	FormEditing FormResult = iota
	FormSubmitted
	FormCancelled
)

// Update handles a key.
func (f *Form) Update(msg tea.KeyPressMsg) (FormResult, tea.Cmd) {
	cur := f.Fields[f.focus]
	switch msg.String() {
	case "esc":
		return FormCancelled, nil
	case "ctrl+s":
		if f.Validate() {
			return FormSubmitted, nil
		}
		return FormEditing, nil
	case "tab", "down":
		if msg.String() == "down" && cur.area != nil {
			break
		}
		return FormEditing, f.move(1)
	case "shift+tab", "up":
		if msg.String() == "up" && cur.area != nil {
			break
		}
		return FormEditing, f.move(-1)
	case "enter":
		if cur.area == nil {
			if f.focus == len(f.Fields)-1 {
				if f.Validate() {
					return FormSubmitted, nil
				}
				return FormEditing, nil
			}
			return FormEditing, f.move(1)
		}
	case "ctrl+n":
		if cur.Suggest != nil {
			if c := cur.Suggest(""); len(c) > 0 {
				cur.SetValue(c[cur.cycle%len(c)])
				cur.cycle++
			}
			return FormEditing, nil
		}
	}
	var cmd tea.Cmd
	if cur.area != nil {
		a, c := cur.area.Update(msg)
		*cur.area, cmd = a, c
	} else {
		cur.line, cmd = cur.line.Update(msg)
	}
	cur.err, f.err = "", ""
	return FormEditing, cmd
}

func (f *Form) move(d int) tea.Cmd {
	f.validateOne(f.Fields[f.focus])
	f.Fields[f.focus].blur()
	f.focus = (f.focus + d + len(f.Fields)) % len(f.Fields)
	return f.Fields[f.focus].focus()
}

func (f *Form) validateOne(x *Field) bool {
	x.err = ""
	if x.Validate != nil {
		if err := x.Validate(x.Value()); err != nil {
			x.err = err.Error()
			return false
		}
	}
	return true
}

// Validate checks every field, showing each error inline.
func (f *Form) Validate() bool {
	ok := true
	for _, x := range f.Fields {
		if !f.validateOne(x) {
			ok = false
		}
	}
	return ok
}

// SetHeight bounds the lines View may use; the fields scroll to keep the
// focused one on screen. 0 means no bound.
func (f *Form) SetHeight(h int) { f.height = h }

// Focused is the key of the field being edited.
func (f *Form) Focused() string { return f.Fields[f.focus].Key }

// View renders the form.
func (f *Form) View() string {
	var head []string
	head = append(head, theme.Title.Render(f.Title))
	if f.Note != "" {
		head = append(head, strings.Split(theme.Dim.Render(f.Note), "\n")...)
	}
	head = append(head, "")
	var blocks [][]string
	for i, x := range f.Fields {
		var b []string
		label := fit(x.Label, 16, false)
		if i == f.focus {
			label = theme.Key.Render(label)
		} else {
			label = theme.Label.Render(label)
		}
		var input string
		if x.area != nil {
			input = x.area.View()
			lines := strings.Split(input, "\n")
			for j := 1; j < len(lines); j++ {
				lines[j] = strings.Repeat(" ", 17) + lines[j]
			}
			input = strings.Join(lines, "\n")
		} else {
			input = x.line.View()
		}
		b = append(b, strings.Split(label+" "+input, "\n")...)
		pad := strings.Repeat(" ", 17)
		switch {
		case x.err != "":
			b = append(b, pad+theme.Error.Render(Clean(x.err)))
		case i == f.focus && x.Suggest != nil:
			if c := x.Suggest(x.Value()); len(c) > 0 {
				b = append(b, pad+theme.Dim.Render(Truncate("ctrl+n: "+cleanJoin(c[:min(len(c), 8)]), max(f.width-17, 20))))
			} else if x.Hint != "" {
				b = append(b, pad+theme.Dim.Render(x.Hint))
			}
		case i == f.focus && x.Hint != "":
			b = append(b, pad+theme.Dim.Render(x.Hint))
		}
		blocks = append(blocks, b)
	}
	var tail []string
	if f.err != "" {
		tail = append(tail, "", theme.Error.Render(Clean(f.err)))
	}
	tail = append(tail, "", theme.Dim.Render(f.keyLine()))

	// Window of fields that keeps the focused one visible.
	first, last := 0, len(blocks)
	if f.height > 0 {
		avail := max(f.height-len(head)-len(tail), len(blocks[f.focus]))
		used := len(blocks[f.focus])
		first, last = f.focus, f.focus+1
		for {
			grew := false
			if last < len(blocks) && used+len(blocks[last]) <= avail {
				used += len(blocks[last])
				last++
				grew = true
			}
			if first > 0 && used+len(blocks[first-1]) <= avail {
				first--
				used += len(blocks[first-1+1])
				grew = true
			}
			if !grew {
				break
			}
		}
	}
	out := head
	if first > 0 {
		out[len(out)-1] = theme.Dim.Render(fmt.Sprintf("  ↑ %d more fields", first))
	}
	for _, b := range blocks[first:last] {
		out = append(out, b...)
	}
	if last < len(blocks) {
		tail[0] = theme.Dim.Render(fmt.Sprintf("  ↓ %d more fields", len(blocks)-last))
	}
	return strings.Join(append(out, tail...), "\n")
}
