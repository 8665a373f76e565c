package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	rabbithole "github.com/michaelklishin/rabbit-hole/v3"
)

// Permissions, topic permissions, vhosts and their limits (see admin.go).

// ErrNoTopicPermission: the user has no topic permission on that exchange.
var ErrNoTopicPermission = errors.New("no topic permission on that exchange")

// checkPatterns validates permission regexes, named by what they grant.
func checkPatterns(named ...string) error {
	for i := 0; i+1 < len(named); i += 2 {
		if err := ValidateErlangRegex(named[i+1]); err != nil {
			return fmt.Errorf("%s pattern: %w", named[i], err)
		}
	}
	return nil
}

func checkUserVHost(vhost, user string) error {
	if vhost == "" {
		return errors.New("no vhost named")
	}
	return checkUserName(user)
}

// SetPermissions grants user the configure / write / read patterns on
// vhost (p.User and p.VHost are ignored). Each pattern is a PCRE regex
// matched against resource names; NothingRegex grants nothing. A user or
// vhost that does not exist is the broker's 400 "vhost_or_user_not_found".
func (c *Client) SetPermissions(ctx context.Context, vhost, user string, p Permission) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error {
		return fmt.Errorf("set permissions of user %q%s: %w", user, inVHost(vhost), err)
	}
	if err := checkUserVHost(vhost, user); err != nil {
		return wrap(err)
	}
	if err := checkPatterns("configure", p.Configure, "write", p.Write, "read", p.Read); err != nil {
		return wrap(err)
	}
	perms := rabbithole.Permissions{Configure: p.Configure, Write: p.Write, Read: p.Read}
	err := c.rhSend(ctx, http.MethodPut, "permissions/"+pathEscape(vhost)+"/"+pathEscape(user), func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.UpdatePermissionsIn(vhost, user, perms)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// ClearPermissions removes user's permissions on vhost; a 404 says it had none.
func (c *Client) ClearPermissions(ctx context.Context, vhost, user string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error {
		return fmt.Errorf("clear permissions of user %q%s: %w", user, inVHost(vhost), err)
	}
	if err := checkUserVHost(vhost, user); err != nil {
		return wrap(err)
	}
	if err := c.sendEdit(ctx, http.MethodDelete, "permissions/"+pathEscape(vhost)+"/"+pathEscape(user), nil); err != nil {
		return wrap(err)
	}
	return nil
}

// SetTopicPermissions sets user's write / read patterns for routing keys
// on one topic exchange of vhost (tp.VHost is ignored). An exchange is
// needed: topic permissions apply to topic exchanges, and the default
// exchange is a direct one.
func (c *Client) SetTopicPermissions(ctx context.Context, vhost, user string, tp TopicPermission) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error {
		return fmt.Errorf("set topic permissions of user %q on exchange %q%s: %w", user, tp.Exchange, inVHost(vhost), err)
	}
	if err := checkUserVHost(vhost, user); err != nil {
		return wrap(err)
	}
	if tp.Exchange == "" {
		return wrap(errors.New("topic permissions need a topic exchange"))
	}
	if err := checkPatterns("write", tp.Write, "read", tp.Read); err != nil {
		return wrap(err)
	}
	body := rabbithole.TopicPermissions{Exchange: tp.Exchange, Write: tp.Write, Read: tp.Read}
	err := c.rhSend(ctx, http.MethodPut, "topic-permissions/"+pathEscape(vhost)+"/"+pathEscape(user), func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.UpdateTopicPermissionsIn(vhost, user, body)
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// ClearTopicPermissions removes user's topic permission on one exchange of
// vhost, or with exchange "" all of them there. 3.10 has both DELETE
// /api/topic-permissions/{vhost}/{user} (all) and .../{exchange} (one);
// the latter answers 204 for an exchange with no topic permission, so the
// user's topic permissions are read first and a missing one is
// ErrNoTopicPermission. A user with none in vhost is a 404 either way.
func (c *Client) ClearTopicPermissions(ctx context.Context, vhost, user, exchange string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	what := "all topic permissions"
	if exchange != "" {
		what = fmt.Sprintf("the topic permission on exchange %q", exchange)
	}
	wrap := func(err error) error { return fmt.Errorf("clear %s of user %q%s: %w", what, user, inVHost(vhost), err) }
	if err := checkUserVHost(vhost, user); err != nil {
		return wrap(err)
	}
	path := "topic-permissions/" + pathEscape(vhost) + "/" + pathEscape(user)
	if exchange != "" {
		var raw json.RawMessage
		if err := c.getJSON(ctx, path, nil, &raw); err != nil {
			return wrap(err)
		}
		list, err := decodeTopicPermissions(raw)
		if err != nil {
			return wrap(err)
		}
		if !slices.ContainsFunc(list, func(tp TopicPermission) bool { return tp.Exchange == exchange }) {
			return wrap(ErrNoTopicPermission)
		}
		path += "/" + pathEscape(exchange)
	}
	if err := c.sendEdit(ctx, http.MethodDelete, path, nil); err != nil {
		return wrap(err)
	}
	return nil
}

// VHostDecl is a vhost to add. DefaultQueueType is classic, quorum, stream
// or "" (the broker's default).
type VHostDecl struct {
	Name, Description string
	Tags              []string
	DefaultQueueType  string
	Tracing           bool
}

// AddVHost creates a vhost; one that exists is ErrExists (PUT would
// replace its metadata). The user mqtop logs in as gets no permissions on
// it: SetPermissions grants them. Not rabbit-hole's PutVhost: 3.10 reads
// the default queue type from "defaultqueuetype" (later brokers from
// "default_queue_type", which is all rabbit-hole sends), so both are sent.
func (c *Client) AddVHost(ctx context.Context, d VHostDecl) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("add vhost %q: %w", d.Name, err) }
	tags, err := checkUserTags(d.Tags)
	switch {
	case d.Name == "" || strings.IndexFunc(d.Name, unicode.IsControl) >= 0:
		return wrap(errors.New("the vhost needs a name without control characters"))
	case err != nil:
		return wrap(err)
	case d.DefaultQueueType != "" && !slices.Contains(allQueueTypes, d.DefaultQueueType):
		return wrap(fmt.Errorf("unknown default queue type %s (classic, quorum or stream)", strconv.Quote(d.DefaultQueueType)))
	}
	if err := c.getJSON(ctx, "vhosts/"+pathEscape(d.Name), url.Values{"columns": {"name"}}, &json.RawMessage{}); err == nil {
		return wrap(ErrExists)
	} else if StatusOf(err) != http.StatusNotFound {
		return wrap(err)
	}
	body := map[string]any{"description": d.Description, "tags": strings.Join(tags, ","), "tracing": d.Tracing}
	if d.DefaultQueueType != "" {
		body["default_queue_type"], body["defaultqueuetype"] = d.DefaultQueueType, d.DefaultQueueType
	}
	if err := c.sendEdit(ctx, http.MethodPut, "vhosts/"+pathEscape(d.Name), body); err != nil {
		return wrap(err)
	}
	return nil
}

// DeleteVHost deletes a vhost with everything in it (VHostContents counts
// what goes).
func (c *Client) DeleteVHost(ctx context.Context, name string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	if name == "" {
		return errors.New("delete vhost: no vhost named")
	}
	if err := c.sendEdit(ctx, http.MethodDelete, "vhosts/"+pathEscape(name), nil); err != nil {
		return fmt.Errorf("delete vhost %q: %w", name, err)
	}
	return nil
}

// VHostContents counts what deleting a vhost takes with it: its queues and
// their messages (as of the last statistics emission; unknown when
// statistics are off).
func (c *Client) VHostContents(ctx context.Context, name string) (queues, messages Count, err error) {
	var v struct {
		Messages Count `json:"messages"`
	}
	if err := c.getJSON(ctx, "vhosts/"+pathEscape(name), url.Values{"columns": {"name,messages"}}, &v); err != nil {
		return Count{}, Count{}, fmt.Errorf("read vhost %q: %w", name, err)
	}
	var page struct {
		Total Count `json:"total_count"`
	}
	q := url.Values{"page": {"1"}, "page_size": {"1"}, "columns": {"name"}}
	if err := c.getJSON(ctx, "queues/"+pathEscape(name), q, &page); err != nil {
		return Count{}, Count{}, fmt.Errorf("count queues of vhost %q: %w", name, err)
	}
	return page.Total, v.Messages, nil
}

// VHostLimitNames are the limits a vhost takes.
var VHostLimitNames = []string{"max-connections", "max-queues"}

// ParseVHostLimit reads a limit as typed: a whole number, -1 for no limit
// (0 allows none).
func ParseVHostLimit(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("a limit is a whole number ≥ -1 (-1: no limit), got %s", strconv.Quote(s))
	}
	return n, nil
}

// SetVHostLimit sets max-connections or max-queues of a vhost; -1 is no
// limit. (3.10 takes any integer, -2 included; mqtop does not.)
func (c *Client) SetVHostLimit(ctx context.Context, vhost, name string, value int64) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("set %s of vhost %q: %w", name, vhost, err) }
	if !slices.Contains(VHostLimitNames, name) {
		return wrap(fmt.Errorf("unknown limit (%s)", strings.Join(VHostLimitNames, " or ")))
	}
	if value < -1 || value > 1<<31-1 {
		return wrap(fmt.Errorf("%d: a limit is a whole number from -1 (no limit) to %d", value, 1<<31-1))
	}
	err := c.rhSend(ctx, http.MethodPut, "vhost-limits/"+pathEscape(vhost)+"/"+name, func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.PutVhostLimits(vhost, rabbithole.VhostLimitsValues{name: int(value)})
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// ClearVHostLimit removes a limit (clearing one that is not set does
// nothing). The vhost is read first: 3.10 answers 500 to clearing a limit
// of a vhost that does not exist.
func (c *Client) ClearVHostLimit(ctx context.Context, vhost, name string) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error { return fmt.Errorf("clear %s of vhost %q: %w", name, vhost, err) }
	if !slices.Contains(VHostLimitNames, name) {
		return wrap(fmt.Errorf("unknown limit (%s)", strings.Join(VHostLimitNames, " or ")))
	}
	if err := c.getJSON(ctx, "vhosts/"+pathEscape(vhost), url.Values{"columns": {"name"}}, &json.RawMessage{}); err != nil {
		return wrap(err)
	}
	err := c.rhSend(ctx, http.MethodDelete, "vhost-limits/"+pathEscape(vhost)+"/"+name, func(rc *rabbithole.Client) (*http.Response, error) {
		return rc.DeleteVhostLimits(vhost, rabbithole.VhostLimits{name})
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}
