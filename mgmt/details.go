package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// The detail pages of the connections, channels, users and vhosts views
// read one object (and what belongs to it) fresh when the page opens.

// ChannelDetail reads one channel and its consumers in one request.
func (c *Client) ChannelDetail(ctx context.Context, name string) (Channel, []ChannelConsumer, error) {
	var raw json.RawMessage
	v := withRateWindow(url.Values{"columns": {channelColumns + ",consumer_details"}})
	if err := c.getJSON(ctx, "channels/"+pathEscape(name), v, &raw); err != nil {
		return Channel{}, nil, fmt.Errorf("read channel %q: %w", name, err)
	}
	ch, err := decodeChannel(raw)
	if err != nil {
		return Channel{}, nil, fmt.Errorf("decode channel %q: %w", name, err)
	}
	cons, err := decodeChannelConsumers(raw)
	if err != nil {
		return Channel{}, nil, fmt.Errorf("decode consumers of channel %q: %w", name, err)
	}
	return ch, cons, nil
}

// UserDetail reads one user (its tags), its vhost permissions and its
// topic permissions.
func (c *Client) UserDetail(ctx context.Context, name string) (User, []TopicPermission, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "users/"+pathEscape(name), url.Values{"columns": {userColumns}}, &raw); err != nil {
		return User{}, nil, fmt.Errorf("read user %q: %w", name, err)
	}
	u, err := decodeUser(raw)
	if err != nil {
		return User{}, nil, fmt.Errorf("decode user %q: %w", name, err)
	}
	var perms json.RawMessage
	if err := c.getJSON(ctx, "users/"+pathEscape(name)+"/permissions", nil, &perms); err != nil {
		return User{}, nil, fmt.Errorf("list permissions of user %q: %w", name, err)
	}
	byUser, err := decodePermissions(perms)
	if err != nil {
		return User{}, nil, fmt.Errorf("decode permissions of user %q: %w", name, err)
	}
	u.Permissions = byUser[u.Name]
	topic, err := c.TopicPermissions(ctx, name)
	if err != nil {
		return User{}, nil, err
	}
	return u, topic, nil
}

// VHostDetail reads one vhost (with its queue count) and its limits.
func (c *Client) VHostDetail(ctx context.Context, name string) (VHost, map[string]int64, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "vhosts/"+pathEscape(name), nil, &raw); err != nil {
		return VHost{}, nil, fmt.Errorf("read vhost %q: %w", name, err)
	}
	h, err := decodeVHost(raw)
	if err != nil {
		return VHost{}, nil, fmt.Errorf("decode vhost %q: %w", name, err)
	}
	rows := []VHost{h}
	if err := c.countQueues(ctx, rows); err != nil {
		return VHost{}, nil, fmt.Errorf("read vhost %q: %w", name, err)
	}
	limits, err := c.VHostLimits(ctx, name)
	if err != nil {
		return VHost{}, nil, err
	}
	return rows[0], limits, nil
}
