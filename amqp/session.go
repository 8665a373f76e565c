// Package amqp is mqtop's AMQP 0-9-1 side and the one place in mqtop that
// changes a broker or takes messages from it: publish (with confirms and
// mandatory), browse (peek without losing or reordering), purge, delete and
// test RPCs. Read-only mode is enforced here, not only in the UI.
//
// A Session holds one connection per vhost (a connection is bound to a
// vhost), opened when first needed and named "mqtop", and re-dialled with
// backoff when it drops. Every action runs on a channel of its own that is
// closed afterwards, so a channel error (404, 406, 403) is reported with its
// code and reason and the next action starts clean. Every action is bounded
// by its context and by Config.Timeout.
package amqp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/instance"
	"github.com/mqtop/mqtop/internal/safe"
	"github.com/mqtop/mqtop/internal/tlshint"
)

// Config configures a Session.
type Config struct {
	// URL is amqp://host:port or amqps://host:port. A vhost path is ignored
	// (each action names its vhost); userinfo is removed and used only when
	// User is empty.
	URL            string
	User, Password string
	// TLS is used for amqps:// (and switches an amqp:// URL to TLS).
	TLS *tls.Config
	// ReadOnly refuses every action that changes the broker; AllowBrowse
	// still lets a read-only session browse classic and quorum queues.
	ReadOnly, AllowBrowse bool
	// Timeout bounds dialling and each single action or wait; 10s if zero.
	Timeout time.Duration
	// ConnectionName is the connection_name client property; "mqtop" if empty.
	ConnectionName string
	// Heartbeat is the AMQP heartbeat; 10s if zero.
	Heartbeat time.Duration
	Logger    *slog.Logger
	// Target, when set, is asked before every dial for the endpoint to dial
	// and the cluster the broker there must announce (the management API's);
	// its URL replaces URL. A broker of another cluster is refused.
	Target func(ctx context.Context) (Target, error)
}

// Target is the AMQP endpoint to dial and who must answer there.
type Target struct {
	URL     string // amqp:// or amqps://, without credentials
	Cluster string // the cluster_name the server must announce; "" checks nothing
	Via     string // where Cluster came from (the management URL), for messages
	// Others are further endpoints of the same cluster (a context listing
	// every node's AMQP URL), tried in order when URL does not answer.
	Others []string
	// Accept, when set, may accept a cluster_name other than Cluster as
	// the same cluster: a cluster with no name set gives each node its own
	// default, so its nodes announce different names.
	Accept func(cluster string) bool
}

// WrongBroker is the refusal of an AMQP endpoint whose broker announced
// another cluster than the one the management API belongs to.
type WrongBroker struct {
	URL, GotCluster, WantCluster, Via string
}

func (e *WrongBroker) Error() string {
	return fmt.Sprintf("refused AMQP endpoint %s: it is cluster %q, not cluster %q of the management API at %s",
		e.URL, safe.Text(e.GotCluster), safe.Text(e.WantCluster), e.Via)
}

// Session is mqtop's AMQP side for one broker (one context). It is safe for
// concurrent use.
type Session struct {
	cfg    Config
	url    string // no userinfo
	urlErr error
	log    *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // watchers and redial loops

	refused atomic.Pointer[WrongBroker] // the last endpoint refused, until a dial succeeds

	mu     sync.Mutex
	closed bool
	conns  map[string]*vconn
	// lostLog: connections the broker closed (or that dropped) since the
	// UI last asked (TakeLost).
	lostLog []Lost
	near    map[queueKey]NearLimit // see browse.go
	// open counts the channels of each connection still in use (opened by
	// openChannel, not yet closed by their achan); retired holds the
	// connections replaced by a failback, closed once their count is 0 and
	// forgotten at their close notification.
	open    map[*amqp091.Connection]int
	retired map[*amqp091.Connection]bool
}

// failbackEvery is how often a connection on another endpoint than the
// first asks the first again (as the management failover does); a first
// endpoint that answers with a refusal (another cluster, the credentials)
// is asked less and less often, up to failbackMax.
var failbackEvery, failbackMax = 5 * time.Second, time.Minute

// vconn is the connection of one vhost. Its fields are guarded by Session.mu;
// sem serialises dialling.
type vconn struct {
	vhost     string
	sem       chan struct{}
	conn      *amqp091.Connection
	lastErr   error
	redialing bool
	dials     int
	// blockedBy is the broker's reason ("low on memory") while conn is
	// blocked (connection.blocked, until connection.unblocked); lastBlock
	// the reason of the last block, kept after it ends; blocks counts them.
	blockedBy, lastBlock string
	blocks               uint64
	// idx is conn's endpoint: its index in the list dialled (0 the first)
	// and its URL (no credentials). failback is set once a loop watches
	// that conn is on the first endpoint (see failBack).
	idx      int
	addr     string
	failback bool
}

// NewSession prepares a session; nothing is dialled until an action needs it.
func NewSession(cfg Config) *Session {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ConnectionName == "" {
		cfg.ConnectionName = "mqtop"
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Session{cfg: cfg, log: cfg.Logger, conns: map[string]*vconn{}, near: map[queueKey]NearLimit{},
		open: map[*amqp091.Connection]int{}, retired: map[*amqp091.Connection]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.Target == nil {
		s.url, s.urlErr = cleanURL(&s.cfg, cfg.URL, cfg.TLS != nil)
	}
	return s
}

// cleanURL strips userinfo and any vhost path from raw, moving the
// credentials into cfg when it has none; upgrade picks amqps for amqp://.
func cleanURL(cfg *Config, raw string, upgrade bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("invalid AMQP URL %q: want amqp://host:port", scrub(redactURL(raw), cfg.Password))
	}
	if u.User != nil {
		if cfg.User == "" {
			cfg.User = u.User.Username()
			cfg.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	switch u.Scheme {
	case "amqp":
		if upgrade {
			u.Scheme = "amqps"
		}
	case "amqps":
	default:
		return "", fmt.Errorf("invalid AMQP URL %q: scheme must be amqp or amqps", scrub(redactURL(raw), cfg.Password))
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "", "", "", ""
	return u.String(), nil
}

// Refused returns the last AMQP endpoint refused for belonging to another
// cluster, or nil once a dial has succeeded since.
func (s *Session) Refused() error {
	if e := s.refused.Load(); e != nil {
		return e
	}
	return nil
}

// target resolves the endpoint of the next dial. With Config.Target, TLS
// is used for amqps:// only: the scheme comes from the broker's listener.
func (s *Session) target(ctx context.Context) ([]string, Target, error) {
	if s.cfg.Target == nil {
		return []string{s.url}, Target{}, s.urlErr
	}
	t, err := s.cfg.Target(ctx)
	if err != nil {
		return nil, t, fmt.Errorf("find the AMQP endpoint: %w", err)
	}
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	var addrs []string
	for _, raw := range append([]string{t.URL}, t.Others...) {
		u, err := cleanURL(&cfg, raw, false)
		if err != nil {
			return nil, t, err
		}
		addrs = append(addrs, u)
	}
	return addrs, t, nil
}

// ReadOnly reports whether the session refuses changes.
func (s *Session) ReadOnly() bool { return s.cfg.ReadOnly }

// ConnStatus describes the connection of one vhost.
type ConnStatus struct {
	Connected bool
	Redialing bool  // the connection dropped and is being re-dialled
	Dials     int   // successful dials so far (more than 1 means re-dialled)
	LastError error // why the last dial failed or the connection dropped
	// BlockedBy is the broker's reason while it blocks publishers on the
	// connection (connection.blocked: "low on memory"), else "".
	BlockedBy string
	// URL is the endpoint the connection is on (no credentials), "" when
	// not connected.
	URL string
}

// Status reports the connection of vhost without dialling.
func (s *Session) Status(vhost string) ConnStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	vc := s.conns[normVHost(vhost)]
	if vc == nil {
		return ConnStatus{}
	}
	st := ConnStatus{Connected: vc.conn != nil && !vc.conn.IsClosed(), Redialing: vc.redialing, Dials: vc.dials, LastError: vc.lastErr,
		BlockedBy: vc.blockedBy}
	if st.Connected {
		st.URL = vc.addr
	}
	return st
}

// Close closes every connection and stops re-dialling. Actions still running
// fail with a closed-connection error.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var conns []*amqp091.Connection
	for _, vc := range s.conns {
		if vc.conn != nil {
			conns = append(conns, vc.conn)
			vc.conn = nil
		}
	}
	for c := range s.retired { // still in use by an action: it fails
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.cancel()
	for _, c := range conns {
		_ = c.CloseDeadline(time.Now().Add(s.cfg.Timeout))
	}
	s.wg.Wait()
	return nil
}

func normVHost(v string) string {
	if v == "" {
		return "/"
	}
	return v
}

// acquire returns the open connection of vhost, dialling it if needed.
func (s *Session) acquire(ctx context.Context, vhost string) (*amqp091.Connection, error) {
	vhost = normVHost(vhost)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrSessionClosed
	}
	vc := s.conns[vhost]
	if vc == nil {
		vc = &vconn{vhost: vhost, sem: make(chan struct{}, 1)}
		s.conns[vhost] = vc
	}
	if c := vc.conn; c != nil && !c.IsClosed() {
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	// A URL refused is refused whatever the context; an ended context
	// dials nothing (rather than whichever the select below picks).
	if s.cfg.Target == nil && s.urlErr != nil {
		return nil, s.urlErr
	}
	if ctx.Err() != nil {
		return nil, ctxErr(ctx)
	}

	select {
	case vc.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctxErr(ctx)
	case <-s.ctx.Done():
		return nil, ErrSessionClosed
	}
	defer func() { <-vc.sem }()
	s.mu.Lock()
	if c := vc.conn; c != nil && !c.IsClosed() {
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()

	c, idx, addr, err := s.dial(ctx, vhost)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		vc.lastErr = err
		return nil, err
	}
	if s.closed {
		go c.Close()
		return nil, ErrSessionClosed
	}
	s.install(vc, c, idx, addr)
	vc.lastErr = nil
	vc.dials++
	if s.cfg.Target != nil && !vc.failback {
		vc.failback = true
		s.wg.Add(1)
		go s.failBack(vc)
	}
	return c, nil
}

// install makes c (endpoint idx, addr) vc's connection and watches it.
// s.mu is held.
func (s *Session) install(vc *vconn, c *amqp091.Connection, idx int, addr string) {
	closes := c.NotifyClose(make(chan *amqp091.Error, 1))
	// The library hands over connection.blocked from its reader: watch
	// takes each at once.
	blocks := c.NotifyBlocked(make(chan amqp091.Blocking, 4))
	vc.conn, vc.blockedBy, vc.idx, vc.addr = c, "", idx, addr
	s.wg.Add(1)
	go s.watch(vc, c, closes, blocks)
}

// failBack keeps vc on the first endpoint of the current list (with a
// Target, the list can change: a derived endpoint follows the management
// node). Every failbackEvery it reads the list and, when vc's connection is
// on another endpoint than the first, dials the first (in the background,
// never in an action's way); once that answers and passes the cluster check
// it becomes vc's connection. The old connection is closed once the last
// channel opened on it is closed: an action in flight ends on it. It runs
// until the session closes.
func (s *Session) failBack(vc *vconn) {
	defer s.wg.Done()
	wait := failbackEvery
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
		old, oldAddr := vc.conn, vc.addr
		s.mu.Unlock()
		refused := false
		if old != nil && !old.IsClosed() { // else lost: the re-dial (or the next action) dials in order
			err := s.tryFirst(vc, old, oldAddr)
			refused = err != nil && !unreachable(err)
		}
		if refused {
			wait = min(2*wait, failbackMax)
		} else {
			wait = failbackEvery
		}
		t.Reset(wait)
	}
}

// tryFirst makes the first endpoint vc's connection, if it is not already
// and it answers; old (at oldAddr) is vc's connection now. It returns the
// error of the first endpoint's dial.
func (s *Session) tryFirst(vc *vconn, old *amqp091.Connection, oldAddr string) error {
	dctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	addrs, want, err := s.target(dctx)
	if err != nil {
		s.log.Debug("amqp failback: no endpoint list", "vhost", vc.vhost, "err", scrubErr(err, s.cfg.Password))
		return nil
	}
	if addrs[0] == oldAddr {
		s.mu.Lock()
		if vc.conn == old {
			vc.idx = 0 // (the list may have changed to put it first)
		}
		s.mu.Unlock()
		return nil
	}
	c, err := s.dialAddr(dctx, vc.vhost, addrs[0], want)
	if err != nil {
		s.log.Debug("amqp failback: the first endpoint does not answer", "url", addrs[0], "vhost", vc.vhost,
			"err", scrubErr(err, s.cfg.Password))
		return err
	}
	s.mu.Lock()
	if s.closed || vc.conn != old || old.IsClosed() {
		// Closed, lost or replaced meanwhile: the new connection is not needed.
		s.mu.Unlock()
		go c.Close()
		return nil
	}
	s.install(vc, c, 0, addrs[0])
	s.retired[old] = true // until its close notification (lost)
	idle := s.open[old] == 0
	s.mu.Unlock()
	s.log.Info("amqp back on the first endpoint", "url", addrs[0], "vhost", vc.vhost, "from", oldAddr)
	if idle {
		s.closeRetired(old)
	}
	return nil
}

// closeRetired closes a connection replaced by a failback, whose last
// channel has closed. Its close is not a loss (see lost).
func (s *Session) closeRetired(c *amqp091.Connection) {
	_ = c.CloseDeadline(time.Now().Add(s.cfg.Timeout))
}

// channelOpened counts a channel about to be opened on c (before the
// library is asked, so a failback cannot close c under it); false when c
// was retired meanwhile, and the caller takes vc's new connection instead.
func (s *Session) channelOpened(c *amqp091.Connection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retired[c] {
		return false
	}
	s.open[c]++
	return true
}

// channelClosed uncounts a channel of c; the last of a retired connection
// closes it (in the background: the action that closed the channel is done).
func (s *Session) channelClosed(c *amqp091.Connection) {
	s.mu.Lock()
	n := s.open[c] - 1
	if n > 0 {
		s.open[c] = n
		s.mu.Unlock()
		return
	}
	delete(s.open, c)
	last := s.retired[c] && !s.closed // (Close closes it otherwise)
	if last {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if last {
		go func() {
			defer s.wg.Done()
			s.closeRetired(c)
		}()
	}
}

// channels is how many channels of vhost's connection are in use.
func (s *Session) channels(vhost string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vc := s.conns[normVHost(vhost)]; vc != nil && vc.conn != nil {
		return s.open[vc.conn]
	}
	return 0
}

// dial opens a connection to vhost; ctx (and Config.Timeout) bound the TCP
// connect, the TLS and the AMQP handshakes.
// It returns the endpoint dialled: its index in the list and its URL.
func (s *Session) dial(ctx context.Context, vhost string) (*amqp091.Connection, int, string, error) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addrs, want, err := s.target(dctx)
	if err != nil {
		return nil, 0, "", err
	}
	// Several endpoints (one per node): each in order, sharing the timeout,
	// the next only when one does not answer. A refusal (another cluster,
	// the credentials, the vhost) would be the same everywhere.
	for i, addr := range addrs {
		actx, acancel := dctx, context.CancelFunc(func() {})
		if len(addrs) > 1 && i < len(addrs)-1 {
			actx, acancel = context.WithTimeout(dctx, s.cfg.Timeout/time.Duration(len(addrs)))
		}
		conn, err := s.dialAddr(actx, vhost, addr, want)
		acancel()
		if err == nil || i == len(addrs)-1 || !unreachable(err) || dctx.Err() != nil {
			return conn, i, addr, err
		}
		s.log.Warn("amqp endpoint not answering; trying the next", "url", addr, "next", addrs[i+1], "err", scrubErr(err, s.cfg.Password))
	}
	return nil, 0, "", errors.New("no AMQP endpoint") // not reached: addrs is never empty
}

// unreachable: the endpoint did not answer (refused, reset, timed out), as
// opposed to answering with a refusal.
func unreachable(err error) bool {
	var wb *WrongBroker
	var ae *amqp091.Error
	if errors.As(err, &wb) || errors.As(err, &ae) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// dialAddr opens a connection to vhost at addr, which must announce want's
// cluster.
func (s *Session) dialAddr(dctx context.Context, vhost, addr string, want Target) (*amqp091.Connection, error) {
	var raw atomic.Pointer[net.Conn]
	cfg := amqp091.Config{
		SASL:       []amqp091.Authentication{&amqp091.PlainAuth{Username: s.cfg.User, Password: s.cfg.Password}},
		Vhost:      vhost,
		Heartbeat:  s.cfg.Heartbeat,
		Properties: amqp091.Table{"connection_name": s.cfg.ConnectionName, "product": "mqtop", instance.Property: instance.ID},
		Dial: func(network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			deadline, _ := dctx.Deadline()
			_ = c.SetDeadline(deadline) // the handshake's; cleared once open
			raw.Store(&c)
			return c, nil
		},
	}
	if s.cfg.TLS != nil {
		cfg.TLSClientConfig = s.cfg.TLS.Clone() // the library fills in ServerName
	}
	// A cancelled ctx breaks a handshake in progress at once.
	stop := context.AfterFunc(dctx, func() {
		if c := raw.Load(); c != nil {
			_ = (*c).SetDeadline(time.Unix(1, 0))
		}
	})
	conn, err := amqp091.DialConfig(addr, cfg)
	if !stop() && err == nil {
		// The deadline may have been cut under a connection that just opened.
		conn.Close()
		err = ctxErr(dctx)
	}
	if err != nil {
		if c := raw.Load(); c != nil {
			(*c).Close()
		}
		if dctx.Err() != nil {
			err = fmt.Errorf("connect to %s: %w (%v)", addr, ctxErr(dctx), scrubErr(err, s.cfg.Password))
		} else {
			err = fmt.Errorf("connect to %s: %w", addr, tlshint.Explain(err))
		}
		return nil, err
	}
	if got, _ := conn.Properties["cluster_name"].(string); want.Cluster != "" && got != want.Cluster && (want.Accept == nil || !want.Accept(got)) {
		conn.Close()
		wb := &WrongBroker{URL: addr, GotCluster: got, WantCluster: want.Cluster, Via: want.Via}
		s.refused.Store(wb)
		s.log.Warn("amqp endpoint refused", "err", wb.Error())
		return nil, wb
	}
	s.refused.Store(nil)
	s.log.Info("amqp connected", "url", addr, "vhost", vhost, "user", s.cfg.User, "cluster", want.Cluster)
	return conn, nil
}

func scrubErr(err error, password string) string { return scrub(err.Error(), password) }

// watch follows c's blocked state and waits for it to close; a connection
// that drops (rather than being closed by us) is re-dialled in the
// background with backoff.
func (s *Session) watch(vc *vconn, c *amqp091.Connection, closes <-chan *amqp091.Error, blocks <-chan amqp091.Blocking) {
	defer s.wg.Done()
	for {
		select {
		case b, ok := <-blocks:
			if !ok {
				blocks = nil // closed with the connection: closes says why
				continue
			}
			s.block(vc, c, b)
			continue
		case e, ok := <-closes:
			s.lost(vc, c, e, ok)
		case <-s.ctx.Done():
		}
		return
	}
}

// block records connection.blocked / connection.unblocked of c.
func (s *Session) block(vc *vconn, c *amqp091.Connection, b amqp091.Blocking) {
	reason := safe.Text(b.Reason)
	if reason == "" {
		reason = "no reason given"
	}
	s.mu.Lock()
	if vc.conn == c {
		if b.Active {
			vc.blockedBy, vc.lastBlock = reason, reason
			vc.blocks++
		} else {
			vc.blockedBy = ""
		}
	}
	s.mu.Unlock()
	if b.Active {
		s.log.Warn("amqp connection blocked by the broker", "vhost", vc.vhost, "reason", reason)
	} else {
		s.log.Info("amqp connection unblocked", "vhost", vc.vhost)
	}
}

// blockState is vhost's connection's block: the reason while blocked (""
// otherwise), how many blocks it has seen, and the last block's reason.
func (s *Session) blockState(vhost string) (blockedBy string, blocks uint64, last string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vc := s.conns[normVHost(vhost)]; vc != nil {
		return vc.blockedBy, vc.blocks, vc.lastBlock
	}
	return "", 0, ""
}

// lost handles c's close notification. A connection retired by a failback
// is not lost, whoever closes it: vc is on the first endpoint already.
func (s *Session) lost(vc *vconn, c *amqp091.Connection, e *amqp091.Error, ok bool) {
	s.mu.Lock()
	if s.retired[c] {
		delete(s.retired, c)
		s.mu.Unlock()
		return
	}
	if vc.conn == c {
		vc.conn, vc.blockedBy = nil, ""
	}
	start := ok && e != nil && !s.closed && !vc.redialing
	if ok && e != nil {
		vc.lastErr = e
		if len(s.lostLog) < 16 {
			s.lostLog = append(s.lostLog, Lost{VHost: vc.vhost, Code: e.Code, Reason: e.Reason, At: time.Now()})
		}
	}
	if start {
		vc.redialing = true
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if ok && e != nil {
		s.log.Warn("amqp connection lost", "vhost", vc.vhost, "code", e.Code, "reason", e.Reason)
	}
	if start {
		go s.redial(vc)
	}
}

// Lost is one of mqtop's connections closed by the broker or dropped, with
// the broker's reply (CONNECTION_FORCED and the reason an operator typed
// when closing it from the management UI or another mqtop).
type Lost struct {
	VHost  string
	Code   int
	Reason string
	At     time.Time
}

// TakeLost returns the connections lost since the last call, and forgets
// them: the UI says each once.
func (s *Session) TakeLost() []Lost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lostLog
	s.lostLog = nil
	return out
}

// redial re-dials vc's vhost until it is connected again (by this loop or by
// an action), the broker refuses for good (credentials, vhost), or the
// session closes. Backoff doubles from 250ms up to 15s.
func (s *Session) redial(vc *vconn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		vc.redialing = false
		s.mu.Unlock()
	}()
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
		_, err := s.acquire(s.ctx, vc.vhost)
		if err == nil {
			s.log.Info("amqp re-dialled", "vhost", vc.vhost, "attempt", attempt)
			return
		}
		if errors.Is(err, ErrSessionClosed) || permanent(err) {
			s.log.Warn("amqp re-dial stopped", "vhost", vc.vhost, "err", scrubErr(err, s.cfg.Password))
			return
		}
		s.log.Debug("amqp re-dial failed", "vhost", vc.vhost, "attempt", attempt, "err", scrubErr(err, s.cfg.Password))
		backoff = min(backoff*2, 15*time.Second)
	}
}

// permanent reports refusals that retrying will not cure.
func permanent(err error) bool {
	var wb *WrongBroker
	if errors.As(err, &wb) {
		return true
	}
	var ae *amqp091.Error
	if errors.As(err, &ae) {
		return ae.Code == amqp091.AccessRefused || ae.Code == amqp091.NotAllowed || ae == amqp091.ErrCredentials ||
			ae == amqp091.ErrVhost || ae == amqp091.ErrSASL
	}
	return false
}
