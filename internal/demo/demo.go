// Package demo generates live, realistic RabbitMQ traffic for trying out
// mqtop: the classic tutorial patterns (work queues, pub/sub, routing,
// topics, RPC) plus dead-lettering, a backlog nobody drains, a quorum queue,
// a stream and a second vhost, all kept moving so queue depths visibly rise
// and fall within seconds.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Config says where the broker is and how to log in. User and Password are
// used for both the management API and AMQP; credentials (and an AMQP vhost
// path) embedded in the URLs are ignored so each has exactly one source.
type Config struct {
	MgmtURL  string // e.g. http://127.0.0.1:15672
	AMQPURL  string // e.g. amqp://127.0.0.1:5672
	User     string
	Password string
	VHost    string // primary vhost, "/" when empty; must already exist
	// SecondVHost is created (and removed by Teardown) by the demo; empty
	// disables the multi-vhost part.
	SecondVHost string
	Logger      *slog.Logger // slog.Default() when nil
}

type stats struct {
	published, consumed, deadLettered, rpcCalls, reconnects atomic.Uint64
}

type demo struct {
	cfg   Config
	mgmt  *mgmtClient
	log   *slog.Logger
	stats stats
}

func newDemo(cfg Config) (*demo, error) {
	if cfg.VHost == "" {
		cfg.VHost = "/"
	}
	if cfg.SecondVHost == cfg.VHost {
		return nil, fmt.Errorf("second vhost %q must differ from the primary vhost", cfg.SecondVHost)
	}
	if cfg.User == "" {
		return nil, errors.New("no user configured")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if _, err := amqp.ParseURI(cfg.AMQPURL); err != nil {
		return nil, fmt.Errorf("AMQP URL %q: %w", redact(cfg.AMQPURL), err)
	}
	m, err := newMgmtClient(cfg.MgmtURL, cfg.User, cfg.Password)
	if err != nil {
		return nil, err
	}
	return &demo{cfg: cfg, mgmt: m, log: cfg.Logger}, nil
}

// redact keeps anything that might be a password out of logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// Run declares the demo topology and keeps traffic flowing until ctx is
// cancelled, then closes all connections and returns nil. Broker outages
// are survived by re-dialling; only configuration problems (bad URL, bad
// credentials, missing primary vhost) end it early with an error.
func Run(ctx context.Context, cfg Config) error {
	d, err := newDemo(cfg)
	if err != nil {
		return err
	}
	d.log.Info("demo starting", "mgmt", d.mgmt.base, "amqp", redact(d.cfg.AMQPURL),
		"vhost", d.cfg.VHost, "second_vhost", d.cfg.SecondVHost, "user", d.cfg.User)
	if err := d.preflight(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var wg sync.WaitGroup
	for _, r := range d.roles() {
		wg.Go(func() { d.supervise(ctx, r) })
	}
	wg.Go(func() { d.report(ctx, 10*time.Second) })
	wg.Wait()
	d.log.Info("demo stopped", d.totals()...)
	return nil
}

// preflight waits for the management API (the broker may still be booting)
// but fails fast on problems that waiting cannot fix.
func (d *demo) preflight(ctx context.Context) error {
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		ok, err := d.mgmt.vhostVisible(ctx, d.cfg.VHost)
		switch {
		case err == nil && ok:
			return d.prepareSecondVHost(ctx)
		case err == nil:
			return fmt.Errorf("vhost %q does not exist or user %q has no permissions on it; create it first or use the default vhost /", d.cfg.VHost, d.cfg.User)
		case httpCode(err) == http.StatusUnauthorized:
			return fmt.Errorf("management API refused user %q (wrong credentials, or the user lacks the management tag): %w", d.cfg.User, err)
		case permanent(err):
			return err
		}
		if attempt == 1 || attempt%10 == 0 {
			d.log.Warn("management API not reachable yet, waiting", "err", err, "attempts", attempt)
		}
		if !sleepCtx(ctx, jitter(backoff)) {
			return ctx.Err()
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// prepareSecondVHost creates the second vhost up front so that a user
// without the administrator tag gets one clear error instead of roles
// retrying forever.
func (d *demo) prepareSecondVHost(ctx context.Context) error {
	if d.cfg.SecondVHost == "" {
		return nil
	}
	err := d.mgmt.ensureVHost(ctx, d.cfg.SecondVHost)
	if httpCode(err) == http.StatusForbidden || httpCode(err) == http.StatusUnauthorized {
		return fmt.Errorf("creating vhost %q needs a user with the administrator tag (or disable the second vhost): %w", d.cfg.SecondVHost, err)
	}
	if err != nil {
		// Transient; the roles' prepare step retries it.
		d.log.Warn("could not create the second vhost yet", "vhost", d.cfg.SecondVHost, "err", err)
	}
	return nil
}

func (d *demo) roles() []role {
	prod := func(name string, p *producer) role { return role{name: name, run: d.produce(name, p)} }
	cons := func(name string, declare func(*amqp.Channel) error, cs ...consumer) role {
		return role{name: name, run: d.consumeAll(name, declare, cs...)}
	}
	// Consumers of a quorum queue or stream start a little after their
	// producer; see role.startDelay.
	late := func(r role) role { r.startDelay = 2 * time.Second; return r }

	rs := []role{
		prod("hello-producer", helloProducer()),
		cons("hello-consumer", declareHello, helloConsumer()),
		prod("task-producer", taskProducer()),
		cons("worker-fast", declareTasks, worker(100*time.Millisecond)),
		cons("worker-slow", declareTasks, worker(250*time.Millisecond)),
		prod("log-publisher", logProducer()),
		cons("log-subscribers", declareLogs, logConsumers()...),
		{name: "rpc-server", run: d.rpcServer},
		{name: "rpc-client", run: d.rpcClient},
		prod("order-producer", orderProducer()),
		cons("order-processor", declareOrders, d.orderConsumer()),
		prod("invoice-producer", invoiceProducer()),
		prod("payment-producer", paymentProducer()),
		late(cons("payment-processor", declarePayments, paymentConsumer())),
		prod("event-producer", eventProducer()),
		late(cons("event-reader", declareEvents, eventConsumer())),
	}
	for i := range rs {
		rs[i].vhost = d.cfg.VHost
	}
	if s := d.cfg.SecondVHost; s != "" {
		ensure := func(ctx context.Context) error { return d.mgmt.ensureVHost(ctx, s) }
		for _, r := range []role{prod("eu-producer", euProducer()), cons("eu-consumer", declareEU, euConsumers()...)} {
			r.vhost, r.prepare = s, ensure
			rs = append(rs, r)
		}
	}
	return rs
}

func (d *demo) totals() []any {
	return []any{
		"published", d.stats.published.Load(), "consumed", d.stats.consumed.Load(),
		"dead_lettered", d.stats.deadLettered.Load(), "rpc_calls", d.stats.rpcCalls.Load(),
		"reconnects", d.stats.reconnects.Load(),
	}
}

func (d *demo) report(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var lastPub, lastCon uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pub, con := d.stats.published.Load(), d.stats.consumed.Load()
			secs := every.Seconds()
			attrs := append(d.totals(),
				"publish_rate", fmt.Sprintf("%.1f/s", float64(pub-lastPub)/secs),
				"consume_rate", fmt.Sprintf("%.1f/s", float64(con-lastCon)/secs))
			d.log.Info("summary", attrs...)
			lastPub, lastCon = pub, con
		}
	}
}

// Teardown deletes everything Run declares: the queues and exchanges in the
// primary vhost and the whole second vhost. Objects that are already gone
// are not an error, so it can be run repeatedly. Stop Run first, or its
// roles will simply declare everything again.
func Teardown(ctx context.Context, cfg Config) error {
	d, err := newDemo(cfg)
	if err != nil {
		return err
	}
	v := esc(d.cfg.VHost)
	var errs []error
	for _, q := range Queues() {
		errs = append(errs, d.mgmt.deleteIgnoringMissing(ctx, "/api/queues/"+v+"/"+esc(q)))
	}
	for _, e := range Exchanges() {
		errs = append(errs, d.mgmt.deleteIgnoringMissing(ctx, "/api/exchanges/"+v+"/"+esc(e)))
	}
	if s := d.cfg.SecondVHost; s != "" {
		errs = append(errs, d.mgmt.deleteIgnoringMissing(ctx, "/api/vhosts/"+esc(s)))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.log.Info("teardown complete", "vhost", d.cfg.VHost, "queues", len(Queues()),
		"exchanges", len(Exchanges()), "second_vhost", d.cfg.SecondVHost)
	return nil
}
