package mgmt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// User is one broker user with its vhost permissions. The password hash
// and its algorithm are never read: they are neither asked for (columns=)
// nor kept in Raw.
type User struct {
	Name        string
	Tags        []string // administrator, monitoring, management, policymaker, impersonator, ...
	Permissions []Permission
}

// Permission is a user's configure / write / read regexes on one vhost.
type Permission struct {
	User, VHost, Configure, Write, Read string
}

// TopicPermission is a user's write / read regexes on one topic exchange.
type TopicPermission struct {
	VHost, Exchange, Write, Read string
}

// UserSort maps the users view's sort keys to ListQuery.Sort values. The
// users list does not page, so mqtop sorts locally; "tags" orders by the
// tags joined with commas.
var UserSort = map[string]string{"name": "name", "tags": "tags"}

var userOrder = map[string]func(a, b User) int{
	"name": func(a, b User) int { return strings.Compare(a.Name, b.Name) },
	"tags": func(a, b User) int {
		return cmp.Or(strings.Compare(strings.Join(a.Tags, ","), strings.Join(b.Tags, ",")), strings.Compare(a.Name, b.Name))
	},
}

// userColumns keeps password_hash and hashing_algorithm off the wire.
const userColumns = "name,tags,limits"

// secretUserFields are removed from a user's raw JSON should a broker send
// them despite columns=, so that `y` never shows them.
var secretUserFields = []string{"password_hash", "hashing_algorithm", "password"}

// userTags is the tags field: a JSON list from 3.10 (and 3.9), a
// comma-separated string before.
type userTags []string

func (t *userTags) UnmarshalJSON(b []byte) error {
	*t = nil
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		for _, tag := range strings.Split(s, ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				*t = append(*t, tag)
			}
		}
		return nil
	}
	var many Strings
	if err := many.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = userTags(many)
	return nil
}

func decodeUser(b json.RawMessage) (User, error) {
	var r struct {
		Name Text     `json:"name"`
		Tags userTags `json:"tags"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return User{}, err
	}
	return User{Name: string(r.Name), Tags: r.Tags}, nil
}

// scrubUser removes the secret fields from one raw user object; it is
// re-encoded only when there was one to remove.
func scrubUser(b json.RawMessage) (json.RawMessage, error) {
	if !bytes.Contains(b, []byte(`"pass`)) && !bytes.Contains(b, []byte(`"hashing_`)) {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, k := range secretUserFields {
		delete(m, k)
	}
	return json.Marshal(m)
}

// Users lists one window of the users, each with its permissions: GET
// /api/users and GET /api/permissions (neither pages; both need the
// administrator tag), merged and cut here. The filter matches the name.
func (c *Client) Users(ctx context.Context, q ListQuery) (ListPage[User], error) {
	var items []json.RawMessage
	if err := c.getJSON(ctx, "users", url.Values{"columns": {userColumns}}, &items); err != nil {
		return ListPage[User]{}, fmt.Errorf("list users: %w", err)
	}
	perms, err := c.permissions(ctx)
	if err != nil {
		return ListPage[User]{}, err
	}
	return userWindow(items, perms, q)
}

// userWindow scrubs the raw users, merges in their permissions and serves
// the window.
func userWindow(items []json.RawMessage, perms map[string][]Permission, q ListQuery) (ListPage[User], error) {
	re, err := compileFilter(q.Filter)
	if err != nil {
		return ListPage[User]{}, err
	}
	clean := make([]json.RawMessage, len(items))
	for i, item := range items {
		if clean[i], err = scrubUser(item); err != nil {
			return ListPage[User]{}, fmt.Errorf("decode users: %w", err)
		}
	}
	decode := func(b json.RawMessage) (User, error) {
		u, err := decodeUser(b)
		u.Permissions = perms[u.Name]
		return u, err
	}
	match := func(re *regexp.Regexp, u User) bool { return re.MatchString(u.Name) }
	return windowLocally("users", clean, q, re, decode, match, userOrder[sortKeyField(UserSort, q.Sort, "")])
}

// permissions reads every user's vhost permissions.
func (c *Client) permissions(ctx context.Context) (map[string][]Permission, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "permissions", nil, &raw); err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	perms, err := decodePermissions(raw)
	if err != nil {
		return nil, fmt.Errorf("decode permissions: %w", err)
	}
	return perms, nil
}

// decodePermissions groups /api/permissions by user, in vhost order.
func decodePermissions(b json.RawMessage) (map[string][]Permission, error) {
	var raw []struct {
		User      Text `json:"user"`
		VHost     Text `json:"vhost"`
		Configure Text `json:"configure"`
		Write     Text `json:"write"`
		Read      Text `json:"read"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string][]Permission{}
	for _, p := range raw {
		out[string(p.User)] = append(out[string(p.User)], Permission{
			User: string(p.User), VHost: string(p.VHost), Configure: string(p.Configure), Write: string(p.Write), Read: string(p.Read),
		})
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b Permission) int { return strings.Compare(a.VHost, b.VHost) })
	}
	return out, nil
}

// TopicPermissions lists a user's topic permissions (per vhost and topic
// exchange), in vhost then exchange order.
func (c *Client) TopicPermissions(ctx context.Context, user string) ([]TopicPermission, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "users/"+pathEscape(user)+"/topic-permissions", nil, &raw); err != nil {
		return nil, fmt.Errorf("list topic permissions of user %q: %w", user, err)
	}
	out, err := decodeTopicPermissions(raw)
	if err != nil {
		return nil, fmt.Errorf("decode topic permissions of user %q: %w", user, err)
	}
	return out, nil
}

func decodeTopicPermissions(b json.RawMessage) ([]TopicPermission, error) {
	var raw []struct {
		VHost    Text `json:"vhost"`
		Exchange Text `json:"exchange"`
		Write    Text `json:"write"`
		Read     Text `json:"read"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := make([]TopicPermission, 0, len(raw))
	for _, p := range raw {
		out = append(out, TopicPermission{VHost: string(p.VHost), Exchange: string(p.Exchange), Write: string(p.Write), Read: string(p.Read)})
	}
	slices.SortFunc(out, func(a, b TopicPermission) int {
		return cmp.Or(strings.Compare(a.VHost, b.VHost), strings.Compare(a.Exchange, b.Exchange))
	})
	return out, nil
}
