// Package config decides where mqtop connects and how: management, AMQP and
// Prometheus endpoints, credentials, TLS and per-cluster safety settings. It
// reads flags, the environment, mqtop's YAML file and ~/.rabbitmqadmin.conf,
// and does no network I/O.
//
// # Sources and precedence
//
// For the chosen context every field comes from the highest source that sets
// it: flags > environment > the context's definition in a file > defaults.
// The context is chosen by --context, else MQTOP_CONTEXT, else the file's
// current_context, else (no choice made) the context named "default", else
// the first context of mqtop's own file, else a rabbitmqadmin section named
// "default", else an implicit context "default" built from defaults, the
// environment and flags. An unknown name is an error that lists the known
// ones.
//
// Flags and environment shape only the context chosen at start-up. Switch
// (the :ctx command) resolves other contexts from their file definition
// alone, so a password given for one cluster is never sent to another; the
// exception is --read-only, which stays on for every context because it can
// only make mqtop safer.
//
// # Defaults
//
// Management defaults to http://localhost:15672 as guest/guest. The AMQP and
// Prometheus URLs stay empty unless configured: mqtop then takes their ports
// from the listeners the broker itself reports, on the management host, and
// checks the broker's identity there (no port is assumed). Configured URLs
// never carry credentials: use Context.User and Context.Password.
//
// # Passwords
//
// There is no --password flag, because arguments are visible in ps. A
// password comes from --ask-password (prompt), --password-file,
// MQTOP_PASSWORD, MQTOP_PASSWORD_FILE, a context's password or password_file,
// rabbitmqadmin's file, or userinfo in a URL (moved out of the URL). The
// password "guest" is assumed only for the user "guest". Context redacts its
// password when formatted or logged; RedactURL and RedactError clean strings
// and errors that may carry one.
//
// # Keys
//
// The keys: section is parsed into Config.Keys (action → key strings) and
// checked against LoadOptions.KnownActions when that is set; ValidateKeys
// does the same check for callers that learn the action list later.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/adrg/xdg"
)

// Context sources.
const (
	SourceConfig        = "config"        // mqtop's YAML file
	SourceRabbitmqadmin = "rabbitmqadmin" // ~/.rabbitmqadmin.conf
	SourceFlags         = "flags"         // implicit context from defaults, env and flags
)

// Refresh limits: faster hammers the management API, slower makes the UI
// look frozen.
const (
	DefaultRefresh = 2 * time.Second
	MinRefresh     = 250 * time.Millisecond
	MaxRefresh     = time.Minute
)

// TLS holds the file paths and switches a context's TLS settings come from.
type TLS struct {
	CAFile, CertFile, KeyFile, ServerName string
	InsecureSkipVerify                    bool
}

// Context is one cluster mqtop can connect to. Password is never printed by
// fmt or slog; see String, GoString and LogValue.
type Context struct {
	Name               string
	URLs               []string // management endpoints, failover order; no credentials
	AMQPURL            string   // no credentials; "" = the broker's own listener; several comma-separated (one per node) for failover
	PrometheusURL      string   // "" = the broker's own listener (or none when PrometheusDisabled)
	PrometheusDisabled bool
	User               string
	Password           string
	TLS                TLS
	ReadOnly           bool
	AllowBrowse        bool
	Production         bool   // purge requires typing the queue name
	Color              string // "#rrggbb" or an ANSI number "0".."255"; "" for none
	VHost              string // initial vhost scope; "" means all
	Source             string // SourceConfig, SourceRabbitmqadmin or SourceFlags

	passwordFile string // read lazily so unused contexts cannot fail start-up
}

// Config is everything Load resolved.
type Config struct {
	Context     Context   // the chosen context, password resolved
	Contexts    []Context // every known context, for :ctx; others are resolved by Switch
	Refresh     time.Duration
	Debug       bool
	LogFile     string // not created here: the opener must MkdirAll its directory
	StateFile   string // what mqtop remembers between starts (each view's sort per context)
	Keys        map[string][]string
	ShowVersion bool     // --version: nothing else is resolved
	Warnings    []string // worth showing the user, never fatal
	Files       []string // configuration files that were read

	stickyReadOnly bool
}

// LoadOptions carry what Load would otherwise take from the process, so
// tests can run hermetically.
type LoadOptions struct {
	HomeDir    string // for ~/.rabbitmqadmin.conf and "~/" in paths; default $HOME
	ConfigHome string // default xdg.ConfigHome
	StateHome  string // default xdg.StateHome
	// PromptPassword asks for a password without echo; default
	// TerminalPrompt(os.Stdin, os.Stderr).
	PromptPassword func(prompt string) (string, error)
	Output         io.Writer // where -h writes usage; default os.Stdout
	KnownActions   []string  // when non-nil, keys: names must be among these
}

// Load resolves the configuration from args (without the program name), the
// environment (os.Getenv in production) and files. It returns ErrHelp after
// printing usage for -h/--help.
func Load(args []string, getenv func(string) string, opts LoadOptions) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	f, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	if f.help {
		out := opts.Output
		if out == nil {
			out = os.Stdout
		}
		fmt.Fprint(out, Usage())
		return nil, ErrHelp
	}
	if f.version {
		return &Config{ShowVersion: true}, nil
	}
	home := opts.HomeDir
	if home == "" {
		home = getenv("HOME")
	}
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	f.expandPaths(home)

	cfg := &Config{Refresh: DefaultRefresh, Debug: f.debug, stickyReadOnly: f.readOnly && f.changed["read-only"]}
	fc, err := loadFile(configPath(f, opts), f.changed["config"], home)
	if err != nil {
		return nil, err
	}
	if fc != nil {
		cfg.Files = append(cfg.Files, fc.path)
		cfg.Warnings = append(cfg.Warnings, fc.warnings...)
		cfg.Keys = fc.keys
		if fc.refresh != "" {
			if cfg.Refresh, err = parseRefresh(fc.refresh); err != nil {
				return nil, fmt.Errorf("%s: %w", fc.path, err)
			}
		}
	}
	if f.changed["refresh"] {
		if cfg.Refresh, err = parseRefresh(f.refresh); err != nil {
			return nil, fmt.Errorf("--refresh: %w", err)
		}
	}
	if opts.KnownActions != nil {
		if err := ValidateKeys(cfg.Keys, opts.KnownActions); err != nil {
			return nil, fmt.Errorf("config file %s: %w", fc.path, err)
		}
	}
	if cfg.LogFile = f.logFile; cfg.LogFile == "" {
		state := opts.StateHome
		if state == "" {
			state = xdg.StateHome
		}
		cfg.LogFile = filepath.Join(state, "mqtop", "mqtop.log")
	}
	stateHome := opts.StateHome
	if stateHome == "" {
		stateHome = xdg.StateHome
	}
	cfg.StateFile = filepath.Join(stateHome, "mqtop", "state.yaml")

	named := fileContexts(fc)
	raPath, raExplicit := rabbitmqadminPath(f, getenv, home)
	ra, err := loadRabbitmqadmin(raPath, raExplicit, home)
	if err != nil {
		return nil, err
	}
	if ra != nil {
		if ra.path != "" {
			cfg.Files = append(cfg.Files, ra.path)
		}
		cfg.Warnings = append(cfg.Warnings, ra.warnings...)
		named = append(named, ra.contexts(named)...)
	}

	envL, err := envLayer(getenv, home)
	if err != nil {
		return nil, err
	}
	flagL, err := f.layer()
	if err != nil {
		return nil, err
	}
	if flagL.urlPassword != "" {
		cfg.Warnings = append(cfg.Warnings, "a password in "+cmp.Or(flagL.urlPasswordFrom, "--url")+" is visible in ps; use MQTOP_PASSWORD, --password-file or --ask-password")
	}

	chosen, err := choose(named, f, getenv, fc)
	if err != nil {
		return nil, err
	}
	var base namedLayer
	if chosen < 0 {
		base = namedLayer{name: "default", source: SourceFlags}
	} else {
		base = named[chosen]
	}
	ctx, err := resolve(base.name, base.source, defaults(), base.layer, envL, flagL)
	if err != nil {
		return nil, err
	}
	ctx.ReadOnly = ctx.ReadOnly || cfg.stickyReadOnly
	warns, err := ctx.fillPassword(f.askPassword, opts.prompter())
	if err != nil {
		return nil, err
	}
	cfg.Warnings = append(cfg.Warnings, warns...)
	cfg.Context = ctx

	if chosen < 0 {
		cfg.Contexts = append(cfg.Contexts, ctx)
	}
	for i, n := range named {
		if i == chosen {
			cfg.Contexts = append(cfg.Contexts, ctx)
			continue
		}
		c, err := resolve(n.name, n.source, defaults(), n.layer)
		if err != nil {
			return nil, err
		}
		cfg.Contexts = append(cfg.Contexts, c)
	}
	return cfg, nil
}

func parseRefresh(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("refresh %q is not a duration (e.g. 2s, 500ms)", s)
	}
	if d < MinRefresh || d > MaxRefresh {
		return 0, fmt.Errorf("refresh %s is out of range: must be between %s and %s", d, MinRefresh, MaxRefresh)
	}
	return d, nil
}

func configPath(f *flagValues, opts LoadOptions) string {
	if f.changed["config"] {
		return f.config
	}
	home := opts.ConfigHome
	if home == "" {
		home = xdg.ConfigHome
	}
	return filepath.Join(home, "mqtop", "config.yaml")
}

// ErrHelp is returned by Load when -h or --help was given; usage has been
// printed and the program should exit 0.
var ErrHelp = errors.New("help requested")
