package mgmt

import (
	"context"
	"fmt"
	"net/url"
)

// ExchangeNames lists the names of a vhost's exchanges ("" is the default
// exchange), for the publish form's picker. The list is small next to the
// queues (tens to hundreds), so one unpaged call with columns=name does.
func (c *Client) ExchangeNames(ctx context.Context, vhost string) ([]string, error) {
	var raw []struct {
		Name Text `json:"name"`
	}
	if err := c.getJSON(ctx, "exchanges/"+pathEscape(vhost), url.Values{"columns": {"name"}}, &raw); err != nil {
		return nil, fmt.Errorf("list exchanges of vhost %q: %w", vhost, err)
	}
	out := make([]string, 0, len(raw))
	for _, e := range raw {
		out = append(out, string(e.Name))
	}
	return out, nil
}
