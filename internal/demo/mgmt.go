package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// mgmtClient is the small slice of the management HTTP API the demo needs:
// AMQP 0-9-1 cannot create vhosts or grant permissions.
type mgmtClient struct {
	base     string
	user     string
	password string
	http     *http.Client
}

// statusError carries the HTTP status so callers can tell "not found" and
// "bad credentials" (permanent) from a broker that is restarting (transient).
type statusError struct {
	method, path string
	code         int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("management API %s %s: HTTP %d %s", e.method, e.path, e.code, e.body)
}

func newMgmtClient(base, user, password string) (*mgmtClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("management URL %q: want http(s)://host:port", base)
	}
	// Credentials come from the environment only; drop any in the URL so
	// they can never show up in an error message.
	u.User = nil
	return &mgmtClient{
		base:     strings.TrimRight(u.String(), "/"),
		user:     user,
		password: password,
		http:     &http.Client{Timeout: 10 * time.Second},
	}, nil
}

func (m *mgmtClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.base+path, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(m.user, m.password)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return &statusError{method: method, path: path, code: resp.StatusCode, body: strings.TrimSpace(string(snippet))}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func esc(s string) string { return url.PathEscape(s) }

func httpCode(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	return 0
}

// permanent reports errors that retrying will not fix.
func permanent(err error) bool {
	c := httpCode(err)
	return c == http.StatusUnauthorized || c == http.StatusForbidden || c == http.StatusNotFound || c == http.StatusBadRequest
}

// vhostVisible uses the vhost list rather than GET /api/vhosts/{name},
// which RabbitMQ 3.x reserves for administrators; the list works for any
// management user and shows the vhosts they may use.
func (m *mgmtClient) vhostVisible(ctx context.Context, vhost string) (bool, error) {
	var vs []struct{ Name string }
	if err := m.do(ctx, http.MethodGet, "/api/vhosts?columns=name", nil, &vs); err != nil {
		return false, err
	}
	for _, v := range vs {
		if v.Name == vhost {
			return true, nil
		}
	}
	return false, nil
}

// ensureVHost is idempotent, so it is safe to call before every reconnect:
// after a broker reset the vhost may be gone.
func (m *mgmtClient) ensureVHost(ctx context.Context, vhost string) error {
	err := m.do(ctx, http.MethodPut, "/api/vhosts/"+esc(vhost),
		map[string]string{"description": "mqtop demo traffic"}, nil)
	if err != nil {
		return err
	}
	err = m.do(ctx, http.MethodPut, "/api/permissions/"+esc(vhost)+"/"+esc(m.user),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"}, nil)
	if err != nil {
		return err
	}
	return m.waitVHostRunning(ctx, vhost)
}

// waitVHostRunning bridges the moment after PUT /api/vhosts returns but
// before the vhost's processes are up, when AMQP connections to it are
// refused with "vhost is down".
func (m *mgmtClient) waitVHostRunning(ctx context.Context, vhost string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v struct {
			ClusterState map[string]string `json:"cluster_state"`
		}
		if err := m.do(ctx, http.MethodGet, "/api/vhosts/"+esc(vhost), nil, &v); err != nil {
			return err
		}
		running := len(v.ClusterState) > 0
		for _, state := range v.ClusterState {
			running = running && state == "running"
		}
		// Brokers that do not report cluster_state are taken at their word.
		if running || v.ClusterState == nil || time.Now().After(deadline) {
			return nil
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// deleteIgnoringMissing makes teardown idempotent.
func (m *mgmtClient) deleteIgnoringMissing(ctx context.Context, path string) error {
	err := m.do(ctx, http.MethodDelete, path, nil, nil)
	if httpCode(err) == http.StatusNotFound {
		return nil
	}
	return err
}
