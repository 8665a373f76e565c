// Command mqtop is a terminal UI for monitoring and operating RabbitMQ.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"github.com/mqtop/mqtop/amqp"
	"github.com/mqtop/mqtop/internal/config"
	"github.com/mqtop/mqtop/internal/state"
	"github.com/mqtop/mqtop/internal/version"
	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
	"github.com/mqtop/mqtop/tui"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	km := keys.Default()
	cfg, err := config.Load(args, os.Getenv, config.LoadOptions{KnownActions: km.Names()})
	if errors.Is(err, config.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mqtop:", err)
		return 2
	}
	if cfg.ShowVersion {
		fmt.Println(version.Get())
		return 0
	}
	if err := km.Apply(cfg.Keys); err != nil {
		fmt.Fprintln(os.Stderr, "mqtop: config keys:", err)
		return 2
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
		fmt.Fprintln(os.Stderr, "mqtop: needs a terminal: stdin and stdout must be a TTY (run it in a terminal or over ssh -t)")
		return 1
	}
	logger, closeLog, err := openLog(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mqtop:", err)
		return 1
	}
	defer closeLog()
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	deps, err := connect(cfg, cfg.Context, km, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mqtop:", err)
		return 1
	}
	wire(&deps, cfg, cfg.Context, km, logger)
	deps.Notes = notes(cfg.Warnings, cfg.Context.Password)
	logger.Info("starting", "version", version.Get().String(), "context", cfg.Context)
	model := tui.New(deps)
	defer model.Close()
	p := tea.NewProgram(model)
	if _, err := p.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "mqtop:", err)
		return 1
	}
	return 0
}

// notes are the configuration's warnings as the status line shows them at
// start: without the password, in any of its forms or in a URL.
func notes(warnings []string, password string) []string {
	var out []string
	for _, w := range warnings {
		out = append(out, config.RedactError(errors.New(w), password).Error())
	}
	return out
}

// wire gives a context's dependencies the hooks that replace them: :ctx
// connects to another context, ctrl+r to this one with another password
// (typed after a 401), each wired the same way in turn.
func wire(d *tui.Deps, cfg *config.Config, ctx config.Context, km keys.Map, logger *slog.Logger) {
	d.Contexts = cfg.Names()
	d.Switch = func(name string) (tui.Deps, error) {
		next, warns, err := cfg.Switch(name)
		if err != nil {
			return tui.Deps{}, err
		}
		for _, w := range warns {
			logger.Warn(w)
		}
		nd, err := connect(cfg, next, km, logger)
		if err != nil {
			return tui.Deps{}, err
		}
		wire(&nd, cfg, next, km, logger)
		nd.Notes = notes(warns, next.Password) // shown as the switch's outcome
		return nd, nil
	}
	d.Reauth = func(password string) (tui.Deps, error) {
		next := ctx
		next.Password = password
		nd, err := connect(cfg, next, km, logger)
		if err != nil {
			return tui.Deps{}, err
		}
		logger.Info("password re-entered", "context", ctx.Name, "user", ctx.User)
		wire(&nd, cfg, next, km, logger)
		return nd, nil
	}
}

// connect builds the clients for one context; it performs no I/O, so mqtop
// starts even when the broker is down and fills in when it comes back.
func connect(cfg *config.Config, ctx config.Context, km keys.Map, logger *slog.Logger) (tui.Deps, error) {
	tlsConf, err := ctx.TLSConfig()
	if err != nil {
		return tui.Deps{}, fmt.Errorf("context %s: %w", ctx.Name, err)
	}
	// Every request has a timeout: 10 s, except the queue list, which may
	// take 30 s (the management API's paging costs ~10 s at 50,000 queues);
	// a GET of one queue never gets the list's 30 s.
	timeout, listTimeout := 10*time.Second, 30*time.Second
	client, err := mgmt.New(mgmt.Options{URLs: ctx.URLs, PrometheusURLs: config.SplitURLs(ctx.PrometheusURL), DerivePrometheus: !ctx.PrometheusDisabled,
		User: ctx.User, Password: ctx.Password, TLS: tlsConf, Timeout: listTimeout, ObjectTimeout: timeout, ReadOnly: ctx.ReadOnly, Logger: logger})
	if err != nil {
		return tui.Deps{}, fmt.Errorf("context %s: %w", ctx.Name, err)
	}
	src := &mgmt.AutoSource{Mgmt: mgmt.ManagementSource{C: client}}
	if !ctx.PrometheusDisabled {
		src.Index = &mgmt.IndexSource{C: client}
	}
	logger.Info("context", "name", ctx.Name, "management", ctx.URLs, "prometheus", orListener(ctx.PrometheusURL, ctx.PrometheusDisabled),
		"amqp", orListener(ctx.AMQPURL, false), "read_only", ctx.ReadOnly)
	// The AMQP connection is dialled when an action first needs it, at the
	// endpoint the broker's listeners name (or the configured one), and only
	// when the broker there proves to be the management API's cluster.
	session := amqp.NewSession(amqp.Config{User: ctx.User, Password: ctx.Password, TLS: tlsConf,
		ReadOnly: ctx.ReadOnly, AllowBrowse: ctx.AllowBrowse, Timeout: timeout, ConnectionName: "mqtop", Logger: logger,
		Target: amqpTarget(client, ctx.AMQPURL)})
	// Each view's sort is remembered per context for the next start.
	store := state.Open(cfg.StateFile)
	return tui.Deps{
		Context: tui.Context{Name: ctx.Name, Color: ctx.Color, Endpoint: client.Endpoint(), User: ctx.User,
			ReadOnly: ctx.ReadOnly, Insecure: ctx.TLS.InsecureSkipVerify},
		Backend: client, Source: src, Refresh: cfg.Refresh, Timeout: timeout, ListTimeout: listTimeout, Keys: km,
		Admin: session, AMQP: session, AllowBrowse: ctx.AllowBrowse, Production: ctx.Production, Logger: logger,
		Close: func() { _ = session.Close(); client.Close() },
		Sorts: store.Sorts(ctx.Name),
		SaveSort: func(view string, srt state.Sort) error {
			return store.SaveSort(ctx.Name, view, srt)
		},
	}, nil
}

// amqpTarget names the AMQP endpoint of the next dial and the cluster that
// must answer there: the management API's, at most targetIdentityAge old
// (the header's poll reads it every refresh; the session asks every 5 s
// while it waits to return to its first endpoint).
func amqpTarget(client *mgmt.Client, configured string) func(context.Context) (amqp.Target, error) {
	return func(ctx context.Context) (amqp.Target, error) {
		id, err := client.Identity(ctx, targetIdentityAge)
		if err != nil {
			return amqp.Target{}, fmt.Errorf("cannot check which broker the AMQP endpoint belongs to: %w", err)
		}
		t := amqp.Target{Cluster: id.Cluster, Via: mgmt.RedactURL(id.Endpoint),
			Accept: func(cluster string) bool { return mgmt.UnnamedClusterMember(id, cluster) }}
		if urls := config.SplitAMQPURLs(configured); len(urls) > 0 {
			t.URL, t.Others = urls[0], urls[1:] // one per node, in order
		}
		if t.URL == "" {
			if t.URL, err = mgmt.ListenerURL(id.Endpoint, id, mgmt.KindAMQP); err != nil {
				return t, err
			}
		}
		return t, nil
	}
}

const targetIdentityAge = 5 * time.Second

func orListener(u string, disabled bool) string {
	switch {
	case disabled:
		return "disabled"
	case u == "":
		return "from the broker's listeners"
	}
	return config.RedactURL(u)
}

// openLog writes to the log file with --debug, and nowhere otherwise: the
// terminal belongs to the UI.
func openLog(cfg *config.Config) (*slog.Logger, func(), error) {
	if !cfg.Debug {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(cfg.LogFile), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create log directory: %w", err)
	}
	f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}
