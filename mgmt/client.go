// Package mgmt talks to RabbitMQ's management HTTP API (and the Prometheus
// plugin) and returns mqtop's own types, so that no view ever sees
// rabbit-hole's. Every call carries a context and a timeout; decoding is
// lenient because brokers omit fields freely (3.13+ drops nulls, stats vanish
// when metrics collection is off).
package mgmt

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rabbithole "github.com/michaelklishin/rabbit-hole/v3"

	"github.com/mqtop/mqtop/internal/tlshint"
)

// ErrReadOnly is returned by every mutating call when the client is read-only.
var ErrReadOnly = errors.New("refused: mqtop is in read-only mode")

// Options configure a Client.
type Options struct {
	URLs []string // management endpoints, tried in order on network failure
	// PrometheusURL is a configured Prometheus endpoint; PrometheusURLs
	// more, one per node of a cluster (with several, every one is scraped
	// and each must prove to be a node of the management API's cluster).
	PrometheusURL  string
	PrometheusURLs []string
	// DerivePrometheus finds the Prometheus endpoint from the answering
	// node's listeners when PrometheusURLs is empty; with neither, the
	// Prometheus source is disabled.
	DerivePrometheus bool
	User             string
	Password         string
	TLS              *tls.Config
	Timeout          time.Duration // per request; default 10s
	// ObjectTimeout bounds a GET of one object (a queue, its bindings),
	// which has no reason to take as long as a list; default the lesser of
	// Timeout and 10s.
	ObjectTimeout time.Duration
	ReadOnly      bool
	// Logger, when set, gets every failed request: method, URL (never a
	// credential), status or transport error, and how long it took.
	Logger *slog.Logger
}

// Client is safe for concurrent use.
type Client struct {
	urls       []string
	visible    visibility // the vhosts whose queues the user may list (visible.go)
	promURL    string     // the first configured endpoint, "" when derived
	promURLs   []string   // every configured endpoint (promURL first)
	promDerive bool
	user       string
	password   string
	timeout    time.Duration
	objTimeout time.Duration // Options.ObjectTimeout
	readOnly   bool
	transport  *http.Transport
	current    atomic.Int32
	failover   failover // going back to the first endpoint (failover.go)
	log        *slog.Logger

	idMu  sync.Mutex
	ident Identity

	versionOnce sync.Once
	version     string
}

// New validates the options and builds a client; it performs no I/O.
func New(o Options) (*Client, error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("no management URL given")
	}
	urls := make([]string, 0, len(o.URLs))
	for _, raw := range o.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("management URL %q must look like http://host:15672", RedactURL(raw))
		}
		u.User = nil
		urls = append(urls, strings.TrimRight(u.String(), "/"))
	}
	var proms []string
	var listed []string
	if o.PrometheusURL != "" {
		listed = append(listed, o.PrometheusURL)
	}
	for _, raw := range append(listed, o.PrometheusURLs...) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("Prometheus URL %q must look like http://host:15692", RedactURL(raw))
		}
		proms = append(proms, strings.TrimRight(raw, "/"))
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.ObjectTimeout <= 0 {
		o.ObjectTimeout = min(o.Timeout, 10*time.Second)
	}
	// One keep-alive pool for everything: rabbit-hole sets req.Close, which
	// the context transport below undoes, so per-queue GETs reuse connections.
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     o.TLS,
		MaxIdleConns:        32,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		urls: urls, promURL: firstOr(proms, ""), promURLs: proms, promDerive: o.DerivePrometheus, user: o.User, password: o.Password,
		timeout: o.Timeout, objTimeout: o.ObjectTimeout, readOnly: o.ReadOnly, transport: tr, log: log,
	}, nil
}

func firstOr(xs []string, def string) string {
	if len(xs) == 0 {
		return def
	}
	return xs[0]
}

// Endpoint is the management URL in use now (after any failover).
func (c *Client) Endpoint() string { return c.urls[int(c.current.Load())%len(c.urls)] }

// ReadOnly reports whether mutations are refused.
func (c *Client) ReadOnly() bool { return c.readOnly }

// Close releases idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// ctxTransport binds a context to requests built by rabbit-hole, which takes
// none, and undoes its req.Close so connections are kept alive.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(t.ctx)
	r2.Close = false
	return t.base.RoundTrip(r2)
}

// rh returns a rabbit-hole client bound to ctx and the current endpoint.
func (c *Client) rh(ctx context.Context) *rabbithole.Client {
	rc, _ := rabbithole.NewTLSClient(c.Endpoint(), c.user, c.password, ctxTransport{ctx: ctx, base: c.transport})
	rc.SetTimeout(c.timeout)
	return rc
}

func isNetworkError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var ue *url.Error
	return errors.As(err, &oe) || errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF)
}

// getJSON GETs /api/<path>?<q> and decodes into v.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	return c.withFailover(ctx, func(ctx context.Context) error {
		u := c.Endpoint() + "/api/" + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return c.do(ctx, http.MethodGet, u, nil, v)
	})
}

// getObject is getJSON for one object (a queue, its bindings), bounded by
// Options.ObjectTimeout whatever the caller's context allows.
func (c *Client) getObject(ctx context.Context, path string, q url.Values, v any) error {
	ctx, cancel := context.WithTimeout(ctx, c.objTimeout)
	defer cancel()
	return c.getJSON(ctx, path, q, v)
}

// send performs a mutating request; refused in read-only mode.
func (c *Client) send(ctx context.Context, method, path string, body any) error {
	if c.readOnly {
		return ErrReadOnly
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = strings.NewReader(string(b))
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// Mutations are not retried on another node: a timeout may have applied.
	return c.do(cctx, method, c.Endpoint()+"/api/"+path, r, nil)
}

func (c *Client) do(ctx context.Context, method, u string, body io.Reader, v any) (err error) {
	start, status := time.Now(), 0
	defer func() {
		if err != nil {
			c.logFailure(ctx, method, u, status, err, time.Since(start))
		}
	}()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Transport: c.transport}).Do(req)
	if err != nil {
		return tlshint.Explain(redactErr(err))
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	if resp.StatusCode >= 300 {
		return decodeHTTPError(resp)
	}
	if v == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", RedactURL(u), err)
	}
	return nil
}

// logFailure logs a failed request: its method, URL without credentials,
// the status (0 when there was no answer), the cause and the time taken.
// The request's headers are never logged (Authorization carries the
// password). A 404 (a queue deleted since the index) and a request
// cancelled by its caller are routine, so Debug; the rest Warn.
func (c *Client) logFailure(ctx context.Context, method, u string, status int, err error, took time.Duration) {
	level := slog.LevelWarn
	if status == http.StatusNotFound || errors.Is(err, context.Canceled) {
		level = slog.LevelDebug
	}
	attrs := []any{"method", method, "url", RedactURL(u)}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}
	attrs = append(attrs, "error", redactErr(err).Error())
	if he := (*HTTPError)(nil); errors.As(err, &he) && he.Reason != "" {
		attrs = append(attrs, "reason", he.Reason) // the broker's own words
	}
	attrs = append(attrs, "took", took.Round(time.Microsecond))
	c.log.Log(ctx, level, "request failed", attrs...)
}

// HTTPError is a non-2xx answer from the management API.
type HTTPError struct {
	Status int
	Reason string
}

func (e *HTTPError) Error() string {
	switch e.Status {
	case http.StatusUnauthorized:
		// The broker answers 401 both to a failed login and to a user
		// whose tags do not allow the endpoint ("Not administrator user",
		// "Not management user"): its reason tells them apart.
		switch r := strings.TrimSpace(e.Reason); {
		case r == "" || strings.EqualFold(r, "Login failed"):
			return "401 unauthorized: wrong user or password, or the user lacks the management tag"
		case MissingTag(e) != "":
			return "401 unauthorized: this needs the " + MissingTag(e) + " tag, which the user lacks (" + r + ")"
		case strings.HasPrefix(r, "Not "):
			return "401 unauthorized: the user's tags do not allow this (" + r + ")"
		default:
			return "401 unauthorized: " + r
		}
	case http.StatusForbidden:
		return "403 forbidden: the user's tags or vhost permissions do not allow this" + suffix(e.Reason)
	case http.StatusNotFound:
		return "404 not found" + suffix(e.Reason)
	}
	return fmt.Sprintf("%d %s%s", e.Status, http.StatusText(e.Status), suffix(e.Reason))
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// StatusOf returns the HTTP status carried by err, or 0.
func StatusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	var re rabbithole.ErrorResponse
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func decodeHTTPError(resp *http.Response) error {
	var body struct{ Error, Reason string }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &body)
	reason := body.Reason
	if reason == "" {
		reason = body.Error
	}
	return &HTTPError{Status: resp.StatusCode, Reason: reason}
}

// RedactURL removes any password from a URL string, also from one net/url
// cannot parse (its scheme://user:pass@ part found by hand).
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return redactUserinfo(s)
	}
	if u.User == nil {
		return s
	}
	if pw, ok := u.User.Password(); ok {
		if pw == "xxxxx" {
			return s // already redacted: unchanged, as the text above gives it
		}
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// redactUserinfo replaces the password in scheme://user:pass@host... as
// net/url would split it (the authority ends at the first / ? or #, the
// userinfo at its last @, the user name at the first :), without parsing
// the rest.
func redactUserinfo(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	start := i + len("://")
	auth := s[start:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		return s
	}
	colon := strings.Index(auth[:at], ":")
	if colon < 0 {
		return s
	}
	return s[:start+colon+1] + "xxxxx" + s[start+at:]
}

func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}
