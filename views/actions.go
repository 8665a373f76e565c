package views

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/msgfmt"
	"github.com/mqtop/mqtop/internal/theme"
)

// PublishRequested asks for the publish form on a queue (default exchange,
// the queue's name as routing key).
type PublishRequested struct{ VHost, Queue, Exchange string }

// RPCRequested asks for the test RPC form on a queue.
type RPCRequested struct{ VHost, Queue string }

// BrowseRequested asks to browse a queue's messages.
type BrowseRequested struct{ VHost, Queue, Type string }

// ActionKind names what an action page does.
type ActionKind int

const (
	ActionPublish ActionKind = iota + 1
	ActionRPC
	ActionBrowse
)

// ActionSubmitted says the form of an action page validated and asks the
// root to run it. Exactly one of the requests is set by Kind.
type ActionSubmitted struct {
	ID      int
	Kind    ActionKind
	Publish amqp.PublishRequest
	RPC     amqp.RPCRequest
	Browse  amqp.BrowseRequest
	// BodyFile, when set, is read for the body when the publish runs, off
	// the UI loop.
	BodyFile string
	N        int     // repeat count (publish, RPC)
	Rate     float64 // msgs/s for repeat publish; 0 = as fast as confirms allow
}

// ActionCancelRequested asks to cancel the running action of page ID.
type ActionCancelRequested struct{ ID int }

// ActionPage is the publish, test RPC or browse-setup form with the running
// action's progress and its result under it.
type ActionPage struct {
	ID    int
	Kind  ActionKind
	VHost string
	Queue string // the queue it was opened on
	// Exchange is the exchange it was opened on (publish from the
	// exchanges view), when not a queue.
	Exchange string
	Type     string // queue type (browse)
	Form     *Form
	Now      func() time.Time // for "now" timestamps; time.Now when nil
	// Build, when set, turns the validated form into the intent to emit
	// (declare, bind, rebind, move) instead of an ActionSubmitted.
	Build func(*Form) (tea.Msg, error)
	// Panel, when set, is drawn under the form and recomputed on every
	// render: what the form's values mean as they are typed (the route a
	// message would take, the arguments a queue type takes).
	Panel func(width int) []string

	running  bool
	progress string
	result   []string
	failed   bool

	width, height int
}

// Running reports whether the page's action is under way.
func (p *ActionPage) Running() bool { return p.running }

// TargetKey identifies the page's target, to remember form values per target.
func (p *ActionPage) TargetKey() string {
	return fmt.Sprintf("%d\x00%s\x00%s\x00%s", p.Kind, p.VHost, p.Queue, p.Exchange)
}

// SetSize gives the page its area; the form gets what the result leaves.
func (p *ActionPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.Form.SetWidth(w)
	p.Form.SetHeight(max(h-p.resultHeight(), 6))
}

func (p *ActionPage) resultHeight() int {
	n := len(p.result)
	if p.progress != "" {
		n++
	}
	if n == 0 {
		return 0
	}
	return min(n+1, max(p.height/2, 3))
}

// Started marks the action running.
func (p *ActionPage) Started(what string) {
	p.running, p.progress, p.result, p.failed = true, what, nil, false
	p.SetSize(p.width, p.height)
}

// Progress shows a progress line while the action runs.
func (p *ActionPage) Progress(line string) {
	p.progress = line
	p.SetSize(p.width, p.height)
}

// Finished shows the outcome; failed colours it as an error.
func (p *ActionPage) Finished(lines []string, failed bool) {
	p.running, p.progress, p.result, p.failed = false, "", lines, failed
	p.SetSize(p.width, p.height)
}

// Update handles a key: esc cancels a running action or leaves the page,
// ctrl+s (or enter on the last field) submits.
func (p *ActionPage) Update(msg tea.KeyPressMsg) tea.Cmd {
	id := p.ID
	if p.running {
		if msg.String() == "esc" {
			return func() tea.Msg { return ActionCancelRequested{ID: id} }
		}
		return nil
	}
	res, cmd := p.Form.Update(msg)
	switch res {
	case FormCancelled:
		return func() tea.Msg { return BackRequested{} }
	case FormSubmitted:
		if p.Build != nil {
			msg, err := p.Build(p.Form)
			if err != nil {
				p.Form.SetError(err.Error())
				return nil
			}
			return emit(msg)
		}
		sub, err := p.build()
		if err != nil {
			p.Form.SetError(err.Error())
			return nil
		}
		sub.ID, sub.Kind = id, p.Kind
		return func() tea.Msg { return sub }
	}
	return cmd
}

// Hints are the footer's keys for the page as it stands: a running action
// only cancels; the publish and RPC forms send and pick exchanges; the
// browse form, which has no exchange field, browses.
func (p *ActionPage) Hints() []Hint {
	if p.running {
		return []Hint{{Key: "esc", Desc: "cancel"}}
	}
	again := ""
	if len(p.result) > 0 {
		again = " again"
	}
	var h []Hint
	switch p.Kind {
	case ActionBrowse:
		submit := "ctrl+s"
		if len(p.Form.Fields) == 1 {
			submit += "/enter"
		}
		h = append(h, Hint{Key: submit, Desc: "browse" + again})
		if len(p.Form.Fields) > 1 {
			h = append(h, Hint{Key: "tab/shift+tab", Desc: "field"})
		}
	default:
		verb := p.Form.Verb
		if verb == "" {
			verb = "send"
		}
		h = append(h, Hint{Key: "ctrl+s", Desc: verb + again}, Hint{Key: "tab/shift+tab", Desc: "field"})
		if p.Form.Fields[p.Form.focus].Suggest != nil {
			h = append(h, Hint{Key: "ctrl+n", Desc: p.Form.pickHint()})
		}
	}
	return append(h, Hint{Key: "esc", Desc: "back"})
}

// View renders the form, then progress and result.
func (p *ActionPage) View() string {
	var b strings.Builder
	b.WriteString(p.Form.View())
	if p.progress != "" || len(p.result) > 0 {
		b.WriteString("\n")
	}
	if p.progress != "" {
		b.WriteString("\n" + theme.Warning.Render(p.progress) + theme.Dim.Render("  · esc cancels"))
	}
	var lines []string
	for i, l := range p.result {
		if i == 0 { // the outcome: wrapped, never cut
			st := theme.Ok
			if p.failed {
				st = theme.Error
			}
			for _, w := range strings.Split(ansi.Hardwrap(l, max(p.width, 10), true), "\n") {
				lines = append(lines, st.Render(w))
			}
			continue
		}
		lines = append(lines, Truncate(l, max(p.width, 10)))
	}
	if h := p.resultHeight() - 1; len(lines) > h && h > 1 {
		lines = append(lines[:h-1:h-1], theme.Dim.Render(fmt.Sprintf("… %d more lines", len(lines)-h+1)))
	}
	for _, l := range lines {
		b.WriteString("\n" + l)
	}
	// The panel last, in what the form and the result leave.
	if p.Panel != nil {
		panel := p.Panel(max(p.width, 10))
		room := len(panel)
		if p.height > 0 {
			room = p.height - strings.Count(b.String(), "\n") - 2
		}
		if len(panel) > 0 && room > 0 {
			b.WriteString("\n")
			if len(panel) > room {
				panel = append(panel[:room-1:room-1], theme.Dim.Render(fmt.Sprintf("… %d more lines", len(panel)-room+1)))
			}
			for _, l := range panel {
				b.WriteString("\n" + Truncate(l, max(p.width, 10)))
			}
		}
	}
	return b.String()
}

// NewPublishPage is the publish form on a queue: the default exchange
// with the queue's name as routing key. exchanges lists the vhost's
// exchanges for the picker and the unknown-exchange check; nil while not
// loaded (then any name is accepted and the broker answers 404).
func NewPublishPage(id int, vhost, queue string, exchanges func() []string, now func() time.Time) (*ActionPage, tea.Cmd) {
	ex := NewLine("exchange", "exchange", "")
	ex.Hint = "empty = the default exchange"
	ex.Suggest = func(cur string) []string { return matching(exchanges(), cur) }
	ex.Validate = func(s string) error { return knownExchange(exchanges(), s, vhost) }
	fields := []*Field{
		ex,
		NewLine("routing_key", "routing key", queue),
	}
	fields = append(fields, propertyFields(now)...)
	body := NewArea("body", "body", "", 5)
	file := NewLine("body_file", "body from file", "")
	file.Hint = "a path; when set, the file's content is the body"
	file.Validate = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		st, err := os.Stat(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("cannot read body file: %w", unwrapPath(err))
		}
		if st.IsDir() {
			return errors.New("body file is a directory")
		}
		if st.Size() > 128<<20 {
			return fmt.Errorf("body file is %s; at most 128 MiB", humanize.IBytes(uint64(st.Size())))
		}
		return nil
	}
	count := NewLine("count", "repeat", "1")
	count.Hint = "how many messages (1 to 10,000,000)"
	count.Validate = func(s string) error { _, err := msgfmt.ParseCount(s); return err }
	rate := NewLine("rate", "rate msgs/s", "max")
	rate.Hint = `"max" = as fast as confirms allow`
	rate.Validate = func(s string) error { _, err := msgfmt.ParseRate(s); return err }
	fields = append(fields, body, file, count, rate)
	f, cmd := NewForm("Publish to "+Clean(queue)+" (vhost "+Clean(vhost)+")", fields...)
	f.Note = "publisher confirms on, mandatory set: the result says confirmed, returned or nacked"
	return &ActionPage{ID: id, Kind: ActionPublish, VHost: vhost, Queue: queue, Form: f, Now: now}, cmd
}

// NewRPCPage is the test RPC form on a queue: the publish form's
// properties except correlation-id and reply-to, which every request sets
// itself (a fresh id, direct reply-to).
func NewRPCPage(id int, vhost, queue string, exchanges func() []string, now func() time.Time) (*ActionPage, tea.Cmd) {
	ex := NewLine("exchange", "exchange", "")
	ex.Hint = "empty = the default exchange"
	ex.Suggest = func(cur string) []string { return matching(exchanges(), cur) }
	ex.Validate = func(s string) error { return knownExchange(exchanges(), s, vhost) }
	fields := []*Field{ex, NewLine("routing_key", "routing key", queue)}
	for _, f := range propertyFields(now) {
		switch f.Key {
		case "correlation_id", "reply_to":
			continue
		case "content_type":
			f.SetValue("text/plain")
		case "delivery_mode":
			f.SetValue("transient")
		}
		fields = append(fields, f)
	}
	timeout := NewLine("timeout", "timeout", "5s")
	timeout.Hint = "how long to wait for each reply"
	timeout.Validate = func(s string) error { _, err := msgfmt.ParseDuration(s, amqp.DefaultRPCTimeout); return err }
	count := NewLine("count", "repeat", "1")
	count.Hint = "requests, one after the other; >1 reports min / p50 / p99 / max"
	count.Validate = func(s string) error { _, err := msgfmt.ParseCount(s); return err }
	fields = append(fields, NewArea("body", "body", "", 4), timeout, count)
	f, cmd := NewForm("Test RPC to "+Clean(queue)+" (vhost "+Clean(vhost)+")", fields...)
	f.Note = "reply_to = amq.rabbitmq.reply-to (direct reply-to), a fresh correlation-id per request"
	return &ActionPage{ID: id, Kind: ActionRPC, VHost: vhost, Queue: queue, Form: f, Now: now}, cmd
}

// NewBrowsePage asks how many messages to browse and, on a stream, from
// which offset.
func NewBrowsePage(id int, vhost, queue, qtype string) (*ActionPage, tea.Cmd) {
	n := NewLine("count", "messages", "50")
	n.Hint = "how many messages from the head of the queue (1 to 5,000)"
	n.Validate = func(s string) error { _, err := parseBrowseCount(s); return err }
	fields := []*Field{n}
	note := "classic and quorum queues: messages are taken with basic.get and all given back in order when the channel closes;\nthe broker then marks them redelivered (a quorum queue also counts a delivery)"
	if qtype == amqp.Stream {
		off := NewLine("offset", "from offset", "first")
		off.Hint = "first, last, next, an offset number, or a time (RFC 3339, or 10m for ten minutes ago)"
		off.Validate = func(s string) error { _, err := ParseStreamOffset(s, time.Now()); return err }
		fields = append(fields, off)
		note = "streams are read by a consumer at an offset: nothing changes in the stream"
	}
	f, cmd := NewForm("Browse "+Clean(queue)+" (vhost "+Clean(vhost)+", "+Clean(qtype)+")", fields...)
	f.Note, f.Verb = note, "browse"
	return &ActionPage{ID: id, Kind: ActionBrowse, VHost: vhost, Queue: queue, Type: qtype, Form: f}, cmd
}

func parseBrowseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 50, nil
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || fmt.Sprint(n) != s || n < 1 || n > 5000 {
		return 0, fmt.Errorf("messages must be a whole number from 1 to 5,000, got %q", Clean(s))
	}
	return n, nil
}

// ParseStreamOffset reads a stream browse's starting point.
func ParseStreamOffset(s string, now time.Time) (amqp.StreamOffset, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "first":
		return amqp.StreamOffset{Kind: amqp.OffsetFirst}, nil
	case "last":
		return amqp.StreamOffset{Kind: amqp.OffsetLast}, nil
	case "next":
		return amqp.StreamOffset{Kind: amqp.OffsetNext}, nil
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err == nil && fmt.Sprint(n) == s {
		if n < 0 {
			return amqp.StreamOffset{}, fmt.Errorf("offset must not be negative, got %d", n)
		}
		return amqp.StreamOffset{Kind: amqp.OffsetAt, Offset: n}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return amqp.StreamOffset{Kind: amqp.OffsetTimestamp, Time: now.Add(-d)}, nil
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
		return amqp.StreamOffset{Kind: amqp.OffsetTimestamp, Time: t}, nil
	}
	return amqp.StreamOffset{}, fmt.Errorf("offset must be first, last, next, a number, a time (RFC 3339) or a duration ago like 10m; got %q", Clean(s))
}

// propertyFields are the message properties of SPEC 4, in its order.
func propertyFields(now func() time.Time) []*Field {
	short := func(key, label, value string) *Field {
		f := NewLine(key, label, value)
		f.Validate = func(s string) error { return msgfmt.ParseShortString(label, s) }
		return f
	}
	ct := short("content_type", "content-type", "")
	ct.Hint = "e.g. application/json, text/plain"
	dm := NewLine("delivery_mode", "delivery mode", "persistent")
	dm.Hint = "persistent (2) or transient (1)"
	dm.Validate = func(s string) error { _, err := msgfmt.ParseDeliveryMode(s); return err }
	pr := NewLine("priority", "priority", "")
	pr.Hint = "0 to 255; only priority queues use it"
	pr.Validate = func(s string) error { _, err := msgfmt.ParsePriority(s); return err }
	ttl := NewLine("expiration", "expiration ms", "")
	ttl.Hint = "per-message TTL in milliseconds"
	ttl.Validate = func(s string) error { _, err := msgfmt.ParseExpiration(s); return err }
	ts := NewLine("timestamp", "timestamp", "now")
	ts.Hint = "now, RFC 3339, unix seconds, or empty for none"
	ts.Validate = func(s string) error { _, err := msgfmt.ParseTimestamp(s, now()); return err }
	headers := NewArea("headers", "headers", "", 3)
	headers.Hint = "key=value per line, key:=<JSON> for typed values, or one JSON object"
	headers.Validate = func(s string) error { _, err := msgfmt.ParseHeaders(s); return err }
	return []*Field{
		ct, short("content_encoding", "content-encoding", ""), dm, pr, ttl,
		short("correlation_id", "correlation-id", ""), short("reply_to", "reply-to", ""),
		short("message_id", "message-id", ""), short("type", "type", ""), short("app_id", "app-id", "mqtop"),
		ts, headers,
	}
}

// build turns the validated form into the action's request.
func (p *ActionPage) build() (ActionSubmitted, error) {
	f := p.Form
	var sub ActionSubmitted
	switch p.Kind {
	case ActionBrowse:
		n, err := parseBrowseCount(f.Value("count"))
		if err != nil {
			return sub, err
		}
		sub.Browse = amqp.BrowseRequest{VHost: p.VHost, Queue: p.Queue, QueueType: p.Type, N: n}
		if p.Type == amqp.Stream {
			if sub.Browse.Offset, err = ParseStreamOffset(f.Value("offset"), time.Now()); err != nil {
				return sub, err
			}
		}
		return sub, nil
	case ActionRPC:
		req, err := buildPublish(f, p.now())
		if err != nil {
			return sub, err
		}
		req.VHost = p.VHost
		timeout, err := msgfmt.ParseDuration(f.Value("timeout"), amqp.DefaultRPCTimeout)
		if err != nil {
			return sub, err
		}
		if sub.N, err = msgfmt.ParseCount(f.Value("count")); err != nil {
			return sub, err
		}
		sub.RPC = amqp.RPCRequest{Timeout: timeout, PublishRequest: req}
		return sub, nil
	}
	req, err := buildPublish(f, p.now())
	if err != nil {
		return sub, err
	}
	req.VHost = p.VHost
	sub.Publish = req
	sub.BodyFile = strings.TrimSpace(f.Value("body_file"))
	if sub.N, err = msgfmt.ParseCount(f.Value("count")); err != nil {
		return sub, err
	}
	if sub.Rate, err = msgfmt.ParseRate(f.Value("rate")); err != nil {
		return sub, err
	}
	return sub, nil
}

func buildPublish(f *Form, now time.Time) (amqp.PublishRequest, error) {
	var r amqp.PublishRequest
	var err error
	r.Exchange = strings.TrimSpace(f.Value("exchange"))
	r.RoutingKey = f.Value("routing_key")
	p := &r.Properties
	p.ContentType = strings.TrimSpace(f.Value("content_type"))
	p.ContentEncoding = strings.TrimSpace(f.Value("content_encoding"))
	if p.DeliveryMode, err = msgfmt.ParseDeliveryMode(f.Value("delivery_mode")); err != nil {
		return r, err
	}
	if p.Priority, err = msgfmt.ParsePriority(f.Value("priority")); err != nil {
		return r, err
	}
	if p.Expiration, err = msgfmt.ParseExpiration(f.Value("expiration")); err != nil {
		return r, err
	}
	p.CorrelationID = f.Value("correlation_id")
	p.ReplyTo = f.Value("reply_to")
	p.MessageID = f.Value("message_id")
	p.Type = f.Value("type")
	p.AppID = f.Value("app_id")
	if p.Timestamp, err = msgfmt.ParseTimestamp(f.Value("timestamp"), now); err != nil {
		return r, err
	}
	if r.Headers, err = msgfmt.ParseHeaders(f.Value("headers")); err != nil {
		return r, err
	}
	if strings.TrimSpace(f.Value("body_file")) == "" {
		r.Body = []byte(f.Value("body"))
	}
	return r, nil
}

// ReadBodyFile reads a publish body from a file; the root calls it in the
// publish command, not on the UI loop.
func ReadBodyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read body file: %w", unwrapPath(err))
	}
	return b, nil
}

func (p *ActionPage) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", Clean(pe.Path), pe.Err)
	}
	return err
}

// matching lists the named exchanges containing cur, sorted.
func matching(names []string, cur string) []string {
	var out []string
	for _, n := range names {
		if n != "" && strings.Contains(n, cur) { // "" (the default exchange) is an empty field
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func knownExchange(names []string, s, vhost string) error {
	s = strings.TrimSpace(s)
	if s == "" || names == nil {
		return nil
	}
	for _, n := range names {
		if n == s {
			return nil
		}
	}
	return fmt.Errorf("no exchange %q in vhost %q (ctrl+n lists them)", Clean(s), Clean(vhost))
}

// ProgressBar renders done/total as a bar of width cells.
func ProgressBar(done, total, width int) string {
	if total <= 0 || width <= 0 {
		return ""
	}
	fill := min(width*done/total, width)
	return "[" + strings.Repeat("█", fill) + strings.Repeat("░", width-fill) + "]"
}
