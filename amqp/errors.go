package amqp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/safe"
)

// ErrReadOnly is returned (wrapped in an *OpError naming what was refused)
// by every action that would change the broker while the session is
// read-only: Publish, PublishRepeat, RPC, RPCRepeat, Purge, DeleteQueue.
var ErrReadOnly = errors.New("refused: mqtop is in read-only mode")

// ErrBrowseNeedsAllow is returned by Browse of a classic or quorum queue in
// read-only mode unless Config.AllowBrowse is set: browsing those queues
// takes messages and gives them back, which marks them redelivered (and on
// quorum queues counts a delivery). errors.Is(err, ErrReadOnly) also holds.
var ErrBrowseNeedsAllow = fmt.Errorf("browsing a classic or quorum queue marks its messages redelivered; "+
	"allow browsing in read-only mode to do it (%w)", ErrReadOnly)

// ErrSessionClosed is returned by actions on a closed Session.
var ErrSessionClosed = errors.New("amqp session is closed")

// OpError is what every failed action returns: what was attempted, in which
// vhost, and why. Code and Reason hold the broker's reply when the broker
// refused (404 NOT_FOUND, 406 PRECONDITION_FAILED, 403 ACCESS_REFUSED, ...);
// Err is the underlying error (an *amqp091.Error, ErrReadOnly, a context
// error, a network error). The message is terminal-safe: names are quoted
// and the broker's text is neutralised.
type OpError struct {
	Op     string // e.g. `publish to exchange "orders"`
	VHost  string
	Code   int    // AMQP reply code, 0 when the broker did not refuse
	Reason string // the broker's reply text, e.g. "NOT_FOUND - no exchange 'x' in vhost '/'"
	Err    error
}

func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	fmt.Fprintf(&b, " in vhost %q: ", e.VHost)
	if e.Code != 0 {
		fmt.Fprintf(&b, "%d %s", e.Code, safe.Text(e.Reason))
	} else if e.Err != nil {
		b.WriteString(safe.Text(e.Err.Error()))
	}
	return b.String()
}

func (e *OpError) Unwrap() error { return e.Err }

// Code returns the AMQP reply code carried by err (404, 406, 403, 312...),
// or 0 when err is not a broker refusal.
func Code(err error) int {
	var oe *OpError
	if errors.As(err, &oe) && oe.Code != 0 {
		return oe.Code
	}
	var ae *amqp091.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// opErr wraps err for op in vhost; nil stays nil and an *OpError is not
// wrapped twice.
func opErr(op, vhost string, err error) error {
	if err == nil {
		return nil
	}
	var oe *OpError
	if errors.As(err, &oe) {
		return err
	}
	e := &OpError{Op: op, VHost: vhost, Err: err}
	var ae *amqp091.Error
	if errors.As(err, &ae) {
		e.Code, e.Reason = ae.Code, ae.Reason
		if !ae.Server {
			// The library's own errors ("channel/connection is not open")
			// carry codes too, but they are not the broker's refusal.
			e.Code, e.Reason = 0, ""
		}
	}
	return e
}

// readOnly is the refusal of op in vhost.
func readOnly(op, vhost string) error {
	return &OpError{Op: op, VHost: vhost, Err: ErrReadOnly}
}

// ctxErr names the context error as a timeout or a cancellation.
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

// redactURL removes any password from a URL for display. The password of
// scheme://user:password@host runs to the last @ (as config.RedactURL
// reads it), so one pasted unescaped ("amqp://u:pa/ss@h", "u:@00/@h") is
// hidden whole even where net/url reads the text otherwise.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if end := strings.IndexAny(rest, " \t\r\n"); end >= 0 {
			rest = rest[:end]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			user := rest[:at]
			if j := strings.IndexAny(user, "/?#@:"); j >= 0 && user[j] == ':' {
				return s[:i+3] + user[:j] + ":xxxxx@" + s[i+3+at+1:]
			}
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		// Unparseable: show nothing of what may be userinfo.
		if i := strings.LastIndex(s, "@"); i >= 0 {
			if j := strings.Index(s, "://"); j >= 0 && j < i {
				return s[:j+3] + "xxxxx@" + s[i+1:]
			}
			return "xxxxx@" + s[i+1:]
		}
		return s
	}
	return u.Redacted()
}

// scrub removes the password from a message that might echo it (a URL
// parse error quotes the URL it was given).
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, password, "xxxxx")
	return strings.ReplaceAll(msg, url.QueryEscape(password), "xxxxx")
}

// BlockedError is a publish the broker's connection.blocked stopped: with
// Unconfirmed 0, refused before anything was sent (publishers are blocked);
// otherwise that many messages were handed to the connection and their
// confirms did not come within the timeout while the broker blocked
// publishers: they may or may not have been enqueued (the broker may read
// them once the alarm clears). Reason is the broker's ("low on memory").
type BlockedError struct {
	Reason      string
	Unconfirmed int
	Repeat      bool // several messages: the text counts them
}

func (e *BlockedError) Error() string {
	switch {
	case e.Unconfirmed == 0:
		return "publishers are blocked by the broker: " + safe.Text(e.Reason)
	case !e.Repeat:
		return fmt.Sprintf("unconfirmed: the broker blocked publishers (%s); the message may or may not have been enqueued", safe.Text(e.Reason))
	case e.Unconfirmed == 1:
		return fmt.Sprintf("unconfirmed: the broker blocked publishers (%s); 1 message may or may not have been enqueued", safe.Text(e.Reason))
	}
	return fmt.Sprintf("unconfirmed: the broker blocked publishers (%s); %d messages may or may not have been enqueued", safe.Text(e.Reason), e.Unconfirmed)
}

// errNoConfirm is the confirm timeout of a publish.
var errNoConfirm = errors.New("no publisher confirm")

// refuseBlocked is the refusal of a publish on vhost while its connection
// is blocked, or nil.
func (s *Session) refuseBlocked(op, vhost string) error {
	if why, _, _ := s.blockState(vhost); why != "" {
		return &OpError{Op: op, VHost: vhost, Err: &BlockedError{Reason: why}}
	}
	return nil
}

// unconfirmedIfBlocked turns a publish's timeout into a BlockedError when
// the broker blocked the connection since before the message was sent
// (blocksBefore is blockState's count then): the confirm did not come
// because of the block, and the message is not lost for sure.
func (s *Session) unconfirmedIfBlocked(err error, op, vhost string, blocksBefore uint64, unconfirmed int, repeat bool) error {
	if err == nil || unconfirmed == 0 || !(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errNoConfirm)) {
		return err
	}
	why, blocks, last := s.blockState(vhost)
	if why == "" && blocks == blocksBefore {
		return err
	}
	if why == "" {
		why = last
	}
	return &OpError{Op: op, VHost: vhost, Err: &BlockedError{Reason: why, Unconfirmed: unconfirmed, Repeat: repeat}}
}
