package views

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/msgfmt"
	"github.com/mqtop/mqtop/internal/theme"
	"github.com/mqtop/mqtop/keys"
)

// maxBodyShown is how much of a body the detail pane renders.
const maxBodyShown = 64 << 10

// Messages shows the result of a browse: a list of messages and, under it,
// the selected message's properties, headers, x-death history and body.
type Messages struct {
	keys         *keys.Map
	VHost, Queue string
	Type         string
	res          amqp.BrowseResult
	notes        []string

	cursor, top   int
	detailOff     int
	detail        []string
	width, height int
}

// NewMessages builds the browse result page.
func NewMessages(k *keys.Map, vhost, queue, qtype string, res amqp.BrowseResult) *Messages {
	v := &Messages{keys: k, VHost: vhost, Queue: queue, Type: qtype, res: res}
	v.notes = browseNotes(qtype, res)
	v.render()
	return v
}

func browseNotes(qtype string, res amqp.BrowseResult) []string {
	var notes []string
	n := len(res.Messages)
	switch {
	case qtype == amqp.Stream:
		notes = append(notes, theme.Dim.Render(fmt.Sprintf("%d messages read from the stream by an offset consumer; the stream is unchanged.", n)))
	case res.MarkedRedelivered:
		s := fmt.Sprintf("%d messages taken with basic.get and all given back in their order: the broker now marks them redelivered", n)
		if res.Taken > n {
			s = fmt.Sprintf("%d messages shown; %d taken with basic.get and given back in their order to keep it: the broker now marks them redelivered", n, res.Taken)
		}
		if qtype == amqp.Quorum {
			s += " and counted a delivery for each"
		}
		notes = append(notes, theme.Warning.Render(s+"."))
	}
	if nl := res.StoppedNearLimit; nl != nil {
		if nl.Remembered {
			notes = append(notes, theme.Warning.Render(fmt.Sprintf(
				"Not fetched: an earlier browse stopped at message #%d with delivery count %d of limit %d; fetching it again could dead-letter or drop it.",
				nl.Position+1, nl.DeliveryCount, nl.Limit)))
		} else {
			notes = append(notes, theme.Warning.Render(fmt.Sprintf(
				"Stopped at message #%d: its delivery count %d is close to the queue's delivery limit %d, so mqtop does not fetch it again (one more return could dead-letter or drop it).",
				nl.Position+1, nl.DeliveryCount, nl.Limit)))
		}
	}
	if res.StoppedWaiting {
		notes = append(notes, theme.Dim.Render(fmt.Sprintf("Stopped waiting after %d messages: the stream is still being written at its end.", n)))
	}
	if res.OrderMayChange {
		notes = append(notes, theme.Warning.Render("The quorum queue's returned messages may now be in another order."))
	}
	switch {
	case n == 0 && res.StoppedNearLimit == nil:
		notes = append(notes, theme.Dim.Render("The queue has no ready messages."))
	case res.Remaining > 0:
		notes = append(notes, theme.Dim.Render(fmt.Sprintf("%s more ready messages behind these.", humanize.Comma(int64(res.Remaining)))))
	}
	return notes
}

// SetSize gives the page its area.
func (v *Messages) SetSize(w, h int) {
	v.width, v.height = w, h
	v.render()
}

// Selected is the message under the cursor.
func (v *Messages) Selected() (amqp.Message, bool) {
	if v.cursor < len(v.res.Messages) {
		return v.res.Messages[v.cursor], true
	}
	return amqp.Message{}, false
}

func (v *Messages) listRows() int {
	if len(v.res.Messages) == 0 {
		return 0
	}
	return min(len(v.res.Messages), max((v.height-len(v.notes)-2)/3, 3))
}

func (v *Messages) detailRows() int {
	return max(v.height-len(v.notes)-v.listRows()-3, 3)
}

// Update: ↑↓ pick a message, pgup/pgdn scroll its detail, g/G first/last.
func (v *Messages) Update(msg tea.KeyPressMsg) tea.Cmd {
	k := v.keys
	n := len(v.res.Messages)
	switch {
	case key.Matches(msg, k.Back.Binding):
		return func() tea.Msg { return BackRequested{} }
	case key.Matches(msg, k.Up.Binding):
		v.cursor--
	case key.Matches(msg, k.Down.Binding):
		v.cursor++
	case key.Matches(msg, k.Top.Binding):
		v.cursor = 0
	case key.Matches(msg, k.Bottom.Binding):
		v.cursor = n - 1
	case key.Matches(msg, k.PageDown.Binding):
		v.detailOff = min(v.detailOff+v.detailRows(), max(len(v.detail)-v.detailRows(), 0))
		return nil
	case key.Matches(msg, k.PageUp.Binding):
		v.detailOff = max(v.detailOff-v.detailRows(), 0)
		return nil
	default:
		return nil
	}
	v.cursor = max(min(v.cursor, n-1), 0)
	v.detailOff = 0
	v.render()
	return nil
}

func (v *Messages) render() {
	m, ok := v.Selected()
	if !ok {
		v.detail = nil
		return
	}
	v.detail = MessageLines(m, max(v.width, 20))
}

// View renders notes, list and detail.
func (v *Messages) View() string {
	var out []string
	out = append(out, theme.Title.Render(fmt.Sprintf("Messages of %s (vhost %s, %s) — %d shown", Clean(v.Queue), Clean(v.VHost), Clean(v.Type), len(v.res.Messages))))
	for _, n := range v.notes {
		out = append(out, Truncate(n, max(v.width, 10)))
	}
	rows := v.listRows()
	if rows > 0 {
		if v.cursor < v.top {
			v.top = v.cursor
		}
		if v.cursor >= v.top+rows {
			v.top = v.cursor - rows + 1
		}
		out = append(out, theme.TableHead.Render(fmt.Sprintf("%-5s %-4s %-9s %-24s %-16s %s", "#", "REDL", "SIZE", "ROUTING KEY", "CONTENT-TYPE", "BODY")))
		for i := v.top; i < min(v.top+rows, len(v.res.Messages)); i++ {
			out = append(out, v.row(i))
		}
	}
	out = append(out, theme.Dim.Render(strings.Repeat("─", max(v.width, 10))))
	end := min(v.detailOff+v.detailRows(), len(v.detail))
	out = append(out, v.detail[min(v.detailOff, end):end]...)
	return strings.Join(out, "\n")
}

func (v *Messages) row(i int) string {
	m := v.res.Messages[i]
	id := fmt.Sprint(i + 1)
	if m.StreamOffset != nil {
		id = fmt.Sprint(*m.StreamOffset)
	}
	redl := ""
	if m.Redelivered {
		redl = "yes"
	}
	if m.HasDeliveryCount && m.DeliveryCount > 0 {
		redl = fmt.Sprintf("×%d", m.DeliveryCount)
	}
	preview := strings.Join(strings.Fields(Clean(string(m.Body[:min(len(m.Body), 200)]))), " ")
	if msgfmt.Body(m.Body[:min(len(m.Body), 512)], m.ContentType, m.ContentEncoding, 512).Kind == msgfmt.KindBinary {
		preview = fmt.Sprintf("(binary, %s)", msgfmt.Size(len(m.Body)))
	}
	line := fmt.Sprintf("%-5s %-4s %-9s %-24s %-16s %s", id, redl, msgfmt.Size(len(m.Body)),
		Truncate(Clean(m.RoutingKey), 24), Truncate(Clean(m.ContentType), 16), preview)
	line = Truncate(line, max(v.width, 10))
	if i == v.cursor {
		return theme.Selected.Render(fit(line, max(v.width, 10), false))
	}
	return line
}

// MessageLines renders one message: properties, headers, x-death history,
// body. Every value is terminal-safe.
func MessageLines(m amqp.Message, width int) []string {
	var out []string
	kv := func(k, v string) {
		if v != "" {
			out = append(out, theme.Label.Render(fmt.Sprintf("%-17s", k))+" "+Truncate(Clean(v), max(width-18, 10)))
		}
	}
	kv("exchange", orDefault(m.Exchange))
	kv("routing key", m.RoutingKey)
	if m.Redelivered {
		kv("redelivered", "yes (before this browse)")
	}
	if m.HasDeliveryCount {
		kv("delivery count", fmt.Sprint(m.DeliveryCount))
	}
	if m.StreamOffset != nil {
		kv("stream offset", fmt.Sprint(*m.StreamOffset))
	}
	p := m.Properties
	kv("content-type", p.ContentType)
	kv("content-encoding", p.ContentEncoding)
	switch p.DeliveryMode {
	case amqp.Transient:
		kv("delivery mode", "1 (transient)")
	case amqp.Persistent:
		kv("delivery mode", "2 (persistent)")
	}
	if p.Priority > 0 {
		kv("priority", fmt.Sprint(p.Priority))
	}
	kv("expiration", p.Expiration)
	kv("correlation-id", p.CorrelationID)
	kv("reply-to", p.ReplyTo)
	kv("message-id", p.MessageID)
	kv("type", p.Type)
	kv("app-id", p.AppID)
	kv("user-id", p.UserID)
	if !p.Timestamp.IsZero() {
		kv("timestamp", p.Timestamp.UTC().Format(time.RFC3339))
	}
	if hl := msgfmt.HeaderLines(m.Headers, width-2, true); len(hl) > 0 {
		out = append(out, theme.Title.Render("headers"))
		for _, l := range hl {
			out = append(out, "  "+l)
		}
	}
	if len(m.Deaths) > 0 {
		out = append(out, theme.Title.Render("dead-letter history (x-death, most recent first)"))
		for _, d := range m.Deaths {
			when := ""
			if !d.Time.IsZero() {
				when = " since " + d.Time.UTC().Format(time.RFC3339)
			}
			line := fmt.Sprintf("  %s from queue %s ×%d%s — published to %s with %s", Clean(d.Reason), Clean(d.Queue), d.Count, when,
				Clean(orDefault(d.Exchange)), Clean(strings.Join(d.RoutingKeys, ", ")))
			if d.OriginalExpiration != "" {
				line += ", original expiration " + Clean(d.OriginalExpiration) + " ms"
			}
			out = append(out, Truncate(line, max(width, 10)))
		}
	}
	r := msgfmt.Body(m.Body, p.ContentType, p.ContentEncoding, maxBodyShown)
	title := fmt.Sprintf("body (%s, %s)", r.Kind, msgfmt.Size(r.Size))
	if r.Truncated {
		title = fmt.Sprintf("body (%s, showing %s of %s)", r.Kind, msgfmt.Size(r.Shown), msgfmt.Size(r.Size))
	}
	out = append(out, theme.Title.Render(title))
	for _, l := range r.Lines {
		out = append(out, Truncate(l, max(width, 10)))
	}
	return out
}

func orDefault(exchange string) string {
	if exchange == "" {
		return "(default exchange)"
	}
	return exchange
}
