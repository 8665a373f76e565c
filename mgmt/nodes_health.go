package mgmt

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// QuorumCritical asks every management endpoint of the context (a cluster
// context lists one per node) whether its node is quorum-critical: whether
// stopping it now would leave quorum queues or streams without a majority
// (GET /api/health/checks/node-is-quorum-critical, which answers for the
// node behind the endpoint only). The answer maps node name to the
// broker's reason, "" for a node that is not critical; endpoints that do
// not answer are left out. Needs the monitoring tag.
const quorumCheckTimeout = 3 * time.Second

func (c *Client) QuorumCritical(ctx context.Context) (map[string]string, error) {
	type answer struct {
		node, reason string
		err          error
	}
	out := make([]answer, len(c.urls))
	// A node that does not answer (stopped, or cut off: a dial into a
	// black hole waits for the timeout) must not hold the nodes list up:
	// its check is given up after quorumCheckTimeout and left out.
	ctx, cancel := context.WithTimeout(ctx, min(c.objTimeout, quorumCheckTimeout))
	defer cancel()
	var wg sync.WaitGroup
	for i, base := range c.urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var who struct {
				Node Text `json:"node"`
			}
			if err := c.do(ctx, http.MethodGet, base+"/api/overview?"+url.Values{"columns": {"node"}}.Encode(), nil, &who); err != nil || who.Node == "" {
				out[i].err = err
				return
			}
			out[i].node = string(who.Node)
			var ok struct{}
			err := c.do(ctx, http.MethodGet, base+"/api/health/checks/node-is-quorum-critical", nil, &ok)
			switch {
			case err == nil:
			case StatusOf(err) == http.StatusServiceUnavailable:
				var he *HTTPError
				reason := "quorum-critical"
				if errors.As(err, &he) && strings.TrimSpace(he.Reason) != "" {
					reason = strings.TrimSpace(he.Reason)
				}
				out[i].reason = reason
			default:
				out[i].node, out[i].err = "", err
			}
		}()
	}
	wg.Wait()
	res := map[string]string{}
	var first error
	for _, a := range out {
		if a.node != "" {
			res[a.node] = a.reason
		} else if first == nil {
			first = a.err
		}
	}
	if len(res) == 0 && first != nil {
		return nil, first
	}
	return res, nil
}
