package views

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/msgfmt"
	"github.com/mqtop/mqtop/mgmt"
)

// MoveRequested asks for the move form on a queue (M).
type MoveRequested struct {
	VHost, Queue, Type string
	Ready              mgmt.Count
}

// MoveSubmitted asks to move messages (after a confirmation).
type MoveSubmitted struct {
	ID           int
	VHost, Queue string
	Ready        mgmt.Count
	Options      amqp.MoveOptions
}

// Where a move sends messages, as the form's "to" field says it.
const (
	MoveToOriginQueue    = "origin queue"
	MoveToOriginExchange = "origin exchange"
	MoveToExchange       = "exchange"
)

// deadLetterName: names that say "dead-letter queue", whose messages go
// back where they came from by default.
var deadLetterName = regexp.MustCompile(`(?i)(dlq|dead|dlx|parking|poison|error|failed|retry)`)

// parseMoveCount reads "all" or a number of messages.
func parseMoveCount(s string) (int, error) {
	if t := strings.TrimSpace(strings.ToLower(s)); t == "all" || t == "" {
		return 0, nil
	}
	return msgfmt.ParseCount(s)
}

// NewMovePage is the move form on a queue: where to (the queue each
// message's x-death names, the exchange it was first published to, or an
// exchange and routing key), and how many from the head.
func NewMovePage(id int, r MoveRequested, exchanges func() []string) (*ActionPage, tea.Cmd) {
	def := MoveToExchange
	if deadLetterName.MatchString(r.Queue) {
		def = MoveToOriginQueue
	}
	to := choiceField("to", "to", def, func() []string { return []string{MoveToOriginQueue, MoveToOriginExchange, MoveToExchange} },
		"origin queue: where x-death says each died (only that queue); origin exchange: re-routed as first published; exchange: below")
	to.Validate = func(s string) error {
		switch strings.TrimSpace(s) {
		case MoveToOriginQueue, MoveToOriginExchange, MoveToExchange:
			return nil
		}
		return fmt.Errorf("to is %q, %q or %q (ctrl+n cycles)", MoveToOriginQueue, MoveToOriginExchange, MoveToExchange)
	}
	ex := NewLine("exchange", "exchange", "")
	ex.Hint = "with to = exchange; empty = the default exchange (the routing key names a queue)"
	ex.Suggest = func(cur string) []string { return matching(exchanges(), cur) }
	ex.Validate = func(s string) error { return knownExchange(exchanges(), s, r.VHost) }
	rk := NewLine("routing_key", "routing key", "")
	count := NewLine("count", "how many", "all")
	count.Hint = "all (the messages there now; later arrivals are not chased) or a number, from the head"
	count.Validate = func(s string) error { _, err := parseMoveCount(s); return err }
	f, cmd := NewForm(fmt.Sprintf("Move messages from %s (vhost %s)", Clean(r.Queue), Clean(r.VHost)), to, ex, rk, count)
	f.Note = "each message is republished with its properties and headers (plus x-mqtop-moved) under confirms with mandatory,\n" +
		"and acknowledged on the source only after its confirm; a returned message stays on the source; esc cancels at any time"
	f.Verb = "move"
	p := &ActionPage{ID: id, Kind: ActionMove, VHost: r.VHost, Queue: r.Queue, Type: r.Type, Form: f}
	p.Build = func(f *Form) (tea.Msg, error) {
		n, err := parseMoveCount(f.Value("count"))
		if err != nil {
			return nil, err
		}
		o := amqp.MoveOptions{QueueType: r.Type, Max: n}
		switch strings.TrimSpace(f.Value("to")) {
		case MoveToOriginQueue:
			o.ToOriginQueue = true
		case MoveToOriginExchange:
			o.ToOrigin = true
		default:
			o.Exchange, o.RoutingKey = strings.TrimSpace(f.Value("exchange")), f.Value("routing_key")
			if o.Exchange == "" && o.RoutingKey == "" {
				return nil, errors.New("give an exchange or a routing key (the default exchange sends to the queue it names)")
			}
			if o.Exchange == "" && o.RoutingKey == r.Queue {
				return nil, errors.New("that is the source queue itself")
			}
		}
		if r.Type == amqp.Stream {
			return nil, errors.New("a stream cannot be moved: acknowledging removes nothing from a stream")
		}
		return MoveSubmitted{ID: id, VHost: r.VHost, Queue: r.Queue, Ready: r.Ready, Options: o}, nil
	}
	return p, cmd
}

// MoveQuestion is the confirmation of a move.
func MoveQuestion(s MoveSubmitted) string {
	n := "all the"
	if s.Ready.OK {
		n = "all " + humanize.Comma(s.Ready.N)
	}
	if s.Options.Max > 0 {
		n = "the first " + humanize.Comma(int64(s.Options.Max))
	}
	src := fmt.Sprintf("%s (vhost %s)", Clean(s.Queue), Clean(s.VHost))
	switch o := s.Options; {
	case o.ToOriginQueue:
		return fmt.Sprintf("Move %s ready messages of %s back to the queues they were dead-lettered from?", n, src)
	case o.ToOrigin:
		return fmt.Sprintf("Move %s ready messages of %s back to the exchanges they were first published to?\nThey are routed again: every queue bound for their key gets a copy.", n, src)
	default:
		return fmt.Sprintf("Move %s ready messages of %s to exchange %s with routing key %q?", n, src, ExchangeLabel(o.Exchange), Clean(o.RoutingKey))
	}
}
