// Command mqtop-demo keeps a RabbitMQ broker busy with realistic demo
// traffic (see package internal/demo) so mqtop has something to show.
//
//	MQTOP_USER=guest MQTOP_PASSWORD=guest mqtop-demo --url http://127.0.0.1:15672
//	mqtop-demo --teardown
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/mqtop/mqtop/internal/demo"
	"github.com/mqtop/mqtop/internal/version"
)

const usage = `mqtop-demo: generate live demo traffic on a RabbitMQ broker.

Usage: mqtop-demo [flags]

Credentials come from the environment only (a password in argv is visible
in ps): MQTOP_USER (default guest), MQTOP_PASSWORD (default guest).

Flags:
`

func main() { os.Exit(run(os.Args[1:], os.Getenv, os.Stderr)) }

func run(args []string, getenv func(string) string, stderr io.Writer) int {
	var (
		mgmtURL, amqpURL, vhost, second string
		teardown, debug, showVersion    bool
	)
	fs := pflag.NewFlagSet("mqtop-demo", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&mgmtURL, "url", "http://127.0.0.1:15672", "management API URL")
	fs.StringVar(&amqpURL, "amqp-url", "", "AMQP URL (default: the management host on port 5672, 5671 for https)")
	fs.StringVar(&vhost, "vhost", "/", "vhost for the main demo topology (must exist)")
	fs.StringVar(&second, "second-vhost", demo.DefaultSecondVHost, "extra vhost the demo creates and fills; '' to skip")
	fs.BoolVar(&teardown, "teardown", false, "delete everything the demo declares, including the second vhost, and exit")
	fs.BoolVar(&debug, "debug", false, "log every RPC reply and rejected order")
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--password" || strings.HasPrefix(a, "--password=") {
			fmt.Fprintln(stderr, "mqtop-demo: --password is not supported: passwords in arguments are visible in ps; set MQTOP_PASSWORD")
			return 2
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqtop-demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if showVersion {
		v := version.Get()
		fmt.Printf("mqtop-demo %s (%s, %s)\n", v.Version, v.Commit, v.GoVersion)
		return 0
	}

	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if amqpURL == "" {
		var err error
		if amqpURL, err = deriveAMQP(mgmtURL); err != nil {
			logger.Error("cannot derive the AMQP URL; pass --amqp-url", "err", err)
			return 2
		}
	}
	cfg := demo.Config{
		MgmtURL:     mgmtURL,
		AMQPURL:     amqpURL,
		User:        envOr(getenv, "MQTOP_USER", "guest"),
		Password:    envOr(getenv, "MQTOP_PASSWORD", "guest"),
		VHost:       vhost,
		SecondVHost: second,
		Logger:      logger,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if teardown {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := demo.Teardown(ctx, cfg); err != nil {
			logger.Error("teardown failed", "err", err)
			return 1
		}
		return 0
	}
	if err := demo.Run(ctx, cfg); err != nil {
		logger.Error("demo failed", "err", err)
		return 1
	}
	return 0
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// deriveAMQP points at the broker behind the management URL, which is right
// for the usual single-node setups and saves typing a second URL.
func deriveAMQP(mgmt string) (string, error) {
	u, err := url.Parse(mgmt)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("management URL %q has no host", mgmt)
	}
	scheme, port := "amqp", "5672"
	if u.Scheme == "https" {
		scheme, port = "amqps", "5671"
	}
	return scheme + "://" + net.JoinHostPort(u.Hostname(), port), nil
}
