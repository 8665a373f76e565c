package mgmt

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// A context may list several management URLs, one per node of a cluster.
// mqtop uses the first; when it stops answering (a network failure, not an
// HTTP error) the request goes to the next at once, in the same poll, and
// mqtop stays there. While it is not on the first, it asks the first again
// every probeEvery and goes back as soon as that answers: the order of the
// URLs is the operator's preference.

// failover is the state of going back to the first endpoint.
type failover struct {
	probing   atomic.Bool
	lastProbe atomic.Int64 // unix nanoseconds
	since     atomic.Int64 // when the client left the first endpoint; 0 on it
}

// probeEvery is how often the first endpoint is asked again after a
// failover.
const probeEvery = 5 * time.Second

// Endpoints are the management URLs in failover order.
func (c *Client) Endpoints() []string { return append([]string(nil), c.urls...) }

// FailedOver says since when the client has been off its first endpoint
// (zero when it is on it).
func (c *Client) FailedOver() time.Time {
	if n := c.failover.since.Load(); n != 0 && c.current.Load() != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// withFailover runs call against the current endpoint and, on a network
// failure (not an HTTP error), against each other endpoint in turn. Calls
// in flight together that fail on the same endpoint move on only once.
func (c *Client) withFailover(ctx context.Context, call func(ctx context.Context) error) error {
	c.maybeGoBack()
	var err error
	for i := 0; i < len(c.urls); i++ {
		cur := c.current.Load()
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		err = call(cctx)
		cancel()
		if err == nil || !isNetworkError(err) || ctx.Err() != nil {
			return err
		}
		if len(c.urls) > 1 {
			next := (cur + 1) % int32(len(c.urls))
			if c.current.CompareAndSwap(cur, next) {
				if cur == 0 {
					c.failover.since.Store(time.Now().UnixNano())
				}
				c.log.Warn("management endpoint not answering; trying the next", "from", RedactURL(c.urls[cur]), "to", RedactURL(c.urls[next]), "error", redactErr(err).Error())
			}
		}
	}
	return err
}

// maybeGoBack asks the first endpoint again, in the background, when the
// client is on another one and has not asked for probeEvery.
func (c *Client) maybeGoBack() {
	if c.current.Load() == 0 || len(c.urls) < 2 {
		return
	}
	now := time.Now().UnixNano()
	if now-c.failover.lastProbe.Load() < int64(probeEvery) || !c.failover.probing.CompareAndSwap(false, true) {
		return
	}
	c.failover.lastProbe.Store(now)
	go func() {
		defer c.failover.probing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), min(c.timeout, 3*time.Second))
		defer cancel()
		var o struct {
			Cluster Text `json:"cluster_name"`
		}
		err := c.do(ctx, http.MethodGet, c.urls[0]+"/api/overview?"+url.Values{"columns": {"cluster_name"}}.Encode(), nil, &o)
		if err != nil {
			return
		}
		if cur := c.current.Load(); cur != 0 && c.current.CompareAndSwap(cur, 0) {
			c.failover.since.Store(0)
			c.log.Info("first management endpoint answers again; back to it", "endpoint", RedactURL(c.urls[0]))
		}
	}()
}
