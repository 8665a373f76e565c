package mgmt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	rabbithole "github.com/michaelklishin/rabbit-hole/v3"
)

// Administration: users, permissions, vhosts, closing connections. Every
// call refuses in read-only mode before any I/O, checks what can be checked
// without the broker, and names the object (and vhost) in its error. A
// password, or a hash read back, never appears in an error, a log line or
// a returned value.
//
// rabbit-hole's typed calls are used where they fit (PutUser,
// PutUserWithoutPassword, UpdatePermissionsIn, UpdateTopicPermissionsIn,
// PutVhostLimits, DeleteVhostLimits, CloseConnection); the DELETEs of
// users, vhosts and permissions go through c.send, because rabbit-hole
// takes a 404 answering DELETE for success and a typo would look done.

var (
	// ErrExists: AddUser or AddVHost found the name taken (PUT would
	// silently replace the user's password and tags, or the vhost's metadata).
	ErrExists = errors.New("already exists")
	// ErrSelf: deleting the user the client is logged in as, unforced.
	ErrSelf = errors.New("that is the user mqtop is logged in as")
	// ErrOwnConnection: closing one of mqtop's own connections.
	ErrOwnConnection = errors.New("that is one of mqtop's own connections")
)

// KnownUserTags are the tags the broker gives meaning to; others are free.
var KnownUserTags = []string{"administrator", "monitoring", "policymaker", "management", "impersonator"}

// UserDecl is a user to add. NoPassword is for users who authenticate by
// certificate or OAuth and must not log in with a password.
type UserDecl struct {
	Name, Password string
	NoPassword     bool
	Tags           []string
}

// ParseUserTags reads tags typed as one line, separated by commas or spaces.
func ParseUserTags(s string) ([]string, error) {
	return checkUserTags(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }))
}

// checkUserTags refuses an empty tag or one with a comma, space or control
// character (the API joins tags with commas), and drops repeats.
func checkUserTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		switch {
		case t == "":
			return nil, errors.New("a tag cannot be empty")
		case strings.IndexFunc(t, func(r rune) bool { return r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			return nil, fmt.Errorf("tag %s: tags cannot hold commas, spaces or control characters", strconv.Quote(t))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func checkUserName(name string) error {
	if name == "" {
		return errors.New("the user needs a name")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return errors.New("a user name cannot hold control characters")
	}
	return nil
}

// AddUser creates a user; one that exists is ErrExists (PUT would replace it).
func (c *Client) AddUser(ctx context.Context, d UserDecl) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("add user %q: %w", d.Name, err) }
	tags, err := checkUserTags(d.Tags)
	switch {
	case err != nil:
		return wrap(err)
	case checkUserName(d.Name) != nil:
		return wrap(checkUserName(d.Name))
	case d.NoPassword && d.Password != "":
		return wrap(errors.New("a user without a password cannot be given one"))
	case !d.NoPassword && d.Password == "":
		return wrap(errors.New("the password is empty (the broker would take it, and anyone could log in); choose no password for certificate or OAuth users"))
	}
	if _, err := c.readUser(ctx, d.Name, false); err == nil {
		return wrap(ErrExists)
	} else if StatusOf(err) != http.StatusNotFound {
		return wrap(err)
	}
	settings := rabbithole.UserSettings{Tags: tags, Password: d.Password}
	err = c.rhSecret(ctx, http.MethodPut, "users/"+pathEscape(d.Name), nil, []string{d.Password}, func(rc *rabbithole.Client) (*http.Response, error) {
		if d.NoPassword {
			return rc.PutUserWithoutPassword(d.Name, settings)
		}
		return rc.PutUser(d.Name, settings)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// storedUser is a user as GET /api/users/{name} has it, hash included when
// asked for: it stays in this file's functions and is never returned.
type storedUser struct {
	Tags      userTags `json:"tags"`
	Hash      string   `json:"password_hash"`
	Algorithm string   `json:"hashing_algorithm"`
}

func (c *Client) readUser(ctx context.Context, name string, withHash bool) (storedUser, error) {
	var u storedUser
	q := url.Values{"columns": {"name,tags"}}
	if withHash {
		q = nil
	}
	err := c.getJSON(ctx, "users/"+pathEscape(name), q, &u)
	return u, err
}

// DeleteUser deletes a user (its connections are closed by the broker).
// Deleting the user the client is logged in as is ErrSelf unless forced.
func (c *Client) DeleteUser(ctx context.Context, name string, force bool) error {
	if c.readOnly {
		return ErrReadOnly
	}
	if name == c.user && !force {
		return fmt.Errorf("delete user %q: %w; mqtop would lose its access", name, ErrSelf)
	}
	if err := checkUserName(name); err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	if err := c.sendEdit(ctx, http.MethodDelete, "users/"+pathEscape(name), nil); err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	return nil
}

// SetUserTags replaces a user's tags and keeps its password: the API has
// no tags-only update (a PUT without password or hash clears the
// password), so the stored hash is read and sent back with its algorithm.
func (c *Client) SetUserTags(ctx context.Context, name string, tags []string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("set tags of user %q: %w", name, err) }
	tags, err := checkUserTags(tags)
	if err != nil {
		return wrap(err)
	}
	u, err := c.readUser(ctx, name, true)
	if err != nil {
		return wrap(err)
	}
	// An empty hash (a user without a password) is omitted and stays empty.
	settings := rabbithole.UserSettings{Tags: tags, PasswordHash: u.Hash, HashingAlgorithm: rabbithole.HashingAlgorithm(u.Algorithm)}
	if u.Hash == "" {
		settings.HashingAlgorithm = ""
	}
	err = c.rhSecret(ctx, http.MethodPut, "users/"+pathEscape(name), nil, []string{u.Hash}, func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.PutUser(name, settings)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// SetPassword changes a user's password and keeps its tags.
func (c *Client) SetPassword(ctx context.Context, name, password string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("set password of user %q: %w", name, err) }
	if password == "" {
		return wrap(errors.New("the password is empty"))
	}
	u, err := c.readUser(ctx, name, false)
	if err != nil {
		return wrap(err)
	}
	settings := rabbithole.UserSettings{Tags: rabbithole.UserTags(u.Tags), Password: password}
	err = c.rhSecret(ctx, http.MethodPut, "users/"+pathEscape(name), nil, []string{password}, func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.PutUser(name, settings)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// CloseConnection closes a client connection; the client is told "CONNECTION_FORCED - <reason>".
// The reason defaults to "closed by <user> via mqtop". One of mqtop's own
// connections (Connection.Mine) is ErrOwnConnection.
func (c *Client) CloseConnection(ctx context.Context, name, reason string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("close connection %q: %w", name, err) }
	reason = cmp.Or(reason, "closed by "+c.user+" via mqtop")
	switch {
	case name == "":
		return wrap(errors.New("no connection named"))
	case strings.IndexFunc(reason, unicode.IsControl) >= 0:
		return wrap(errors.New("the reason cannot hold control characters or line breaks"))
	case len(reason) > maxCloseReason:
		return wrap(fmt.Errorf("the reason is %d bytes; the client is told at most %d", len(reason), maxCloseReason))
	}
	conn, err := c.GetConnection(ctx, name)
	if err != nil {
		return fmt.Errorf("close connection: %w", err)
	}
	if conn.Mine {
		return wrap(ErrOwnConnection)
	}
	// rabbit-hole takes a 404 here for success: the connection went away
	// between the read above and now, which is what was wanted.
	header := http.Header{"X-Reason": {reason}}
	err = c.rhSecret(ctx, http.MethodDelete, "connections/"+pathEscape(name), header, nil, func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.CloseConnection(name)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// maxCloseReason fits the reason in the AMQP reply text (a short string)
// after the broker's "CONNECTION_FORCED - ".
const maxCloseReason = maxShortString - len("CONNECTION_FORCED - ")

// rhSecret is rhSend for a request that carries a secret (a password, a
// hash) or extra headers: any echo of a secret in the broker's answer is
// replaced before the error is logged or returned.
func (c *Client) rhSecret(ctx context.Context, method, path string, header http.Header, secrets []string,
	call func(*rabbithole.Client) (*http.Response, error)) error {
	if c.readOnly {
		return ErrReadOnly
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	rc, _ := rabbithole.NewTLSClient(c.Endpoint(), c.user, c.password, headerTransport{header, ctxTransport{ctx: cctx, base: c.transport}})
	rc.SetTimeout(c.timeout)
	res, err := call(rc)
	if res != nil && res.Body != nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	if err != nil {
		err = scrubSecrets(c.rhErr(ctx, err), secrets)
		c.logFailure(ctx, method, c.Endpoint()+"/api/"+path, StatusOf(err), err, time.Since(start))
	}
	return err
}

type headerTransport struct {
	header http.Header
	base   http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.header) > 0 {
		r = r.Clone(r.Context())
		for k, v := range t.header {
			r.Header[k] = v
		}
	}
	return t.base.RoundTrip(r)
}

// scrubSecrets replaces every secret in err's text, keeping its status.
func scrubSecrets(err error, secrets []string) error {
	clean := func(s string) (string, bool) {
		dirty := false
		for _, secret := range secrets {
			if secret != "" && strings.Contains(s, secret) {
				s, dirty = strings.ReplaceAll(s, secret, "xxxxx"), true
			}
		}
		return s, dirty
	}
	msg, dirty := clean(err.Error())
	if !dirty {
		return err
	}
	var he *HTTPError
	if errors.As(err, &he) {
		reason, _ := clean(he.Reason)
		return &HTTPError{Status: he.Status, Reason: reason}
	}
	return errors.New(msg)
}
