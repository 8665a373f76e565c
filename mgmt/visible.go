package mgmt

import (
	"context"
	"net/url"
	"sync"
	"time"
)

// The Prometheus plugin reports every queue of the node, whoever asks; the
// management API lists a user only the queues of the vhosts it has
// permissions in (seen on 3.10.8: monitoring users included, who see every
// vhost in /api/vhosts but get 401 "User not authorised to access virtual
// host" for the queues of one they have no permissions in). The index is
// cut to the vhosts the user may see, or it would show queues the user
// may not know of, whose rows could not even be read.

// visibility is the set of vhosts whose queues the user may list, read
// again after visibleMaxAge.
type visibility struct {
	mu     sync.Mutex
	at     time.Time
	all    bool            // an administrator: every vhost
	vhosts map[string]bool // otherwise these
}

const (
	visibleMaxAge = time.Minute
	// visibleProbeMax bounds the probes of one reading: beyond it every
	// vhost /api/vhosts lists counts as visible (the broker still refuses
	// what it must, the rows' own GETs say so).
	visibleProbeMax = 200
)

// VisibleVHosts says which vhosts' queues the user may list: all (an
// administrator), or the set. It is kept for a minute.
func (c *Client) VisibleVHosts(ctx context.Context) (all bool, vhosts map[string]bool, err error) {
	v := &c.visible
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.at.IsZero() && time.Since(v.at) < visibleMaxAge {
		return v.all, v.vhosts, nil
	}
	var who struct {
		Tags userTags `json:"tags"`
	}
	if err := c.getJSON(ctx, "whoami", nil, &who); err != nil {
		return false, nil, err
	}
	if (Me{Tags: who.Tags}).IsAdmin() {
		v.all, v.vhosts, v.at = true, nil, time.Now()
		return true, nil, nil
	}
	var list []struct {
		Name Text `json:"name"`
	}
	if err := c.getJSON(ctx, "vhosts", url.Values{"columns": {"name"}}, &list); err != nil {
		return false, nil, err
	}
	set := make(map[string]bool, len(list))
	for i, vh := range list {
		name := string(vh.Name)
		if i >= visibleProbeMax {
			set[name] = true
			continue
		}
		var page struct{}
		err := c.getJSON(ctx, "queues/"+pathEscape(name), url.Values{"page": {"1"}, "page_size": {"1"}, "columns": {"name"}}, &page)
		switch {
		case err == nil:
			set[name] = true
		case StatusOf(err) == 401 || StatusOf(err) == 403:
			// not this user's
		default:
			return false, nil, err
		}
	}
	v.all, v.vhosts, v.at = false, set, time.Now()
	return false, set, nil
}

// onlyVisible drops the index entries of vhosts the user may not see.
// When mqtop cannot tell (the calls failed), the index is kept whole: the
// rows' own GETs still answer only what the user may see.
func (c *Client) onlyVisible(ctx context.Context, idx []IndexEntry) ([]IndexEntry, error) {
	all, set, err := c.VisibleVHosts(ctx)
	if err != nil {
		c.log.Debug("cannot tell which vhosts the user sees; index kept whole", "err", redactErr(err).Error())
		return idx, nil
	}
	if all {
		return idx, nil
	}
	out := idx[:0:0]
	for _, e := range idx {
		if set[e.VHost] {
			out = append(out, e)
		}
	}
	return out, nil
}
