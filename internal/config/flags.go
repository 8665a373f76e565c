package config

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// errPasswordFlag explains the missing flag instead of pflag's bare
// "unknown flag", because people will try it.
var errPasswordFlag = errors.New("--password is not supported: passwords in arguments are visible in ps; use MQTOP_PASSWORD, MQTOP_PASSWORD_FILE, --password-file or --ask-password")

type flagValues struct {
	urls                             []string
	amqpURL, promURL, user, passFile string
	context, config, raConfig        string
	caFile, certFile, keyFile        string
	logFile, refresh                 string
	noProm, askPassword, readOnly    bool
	allowBrowse, insecure, debug     bool
	version, help                    bool
	changed                          map[string]bool
}

func newFlagSet(f *flagValues) *pflag.FlagSet {
	fs := pflag.NewFlagSet("mqtop", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	fs.Var((*urlList)(&f.urls), "url", "management `URL`; repeat or comma-separate for failover (default http://localhost:15672)")
	fs.StringVar(&f.amqpURL, "amqp-url", "", "AMQP `URL`; comma-separate several (one per node) for failover (default: the broker's own AMQP listener, on the management host)")
	fs.StringVar(&f.promURL, "prometheus-url", "", "Prometheus `URL`, or one per node comma-separated (default: the broker's own Prometheus listener, on the management host; in a cluster every node's)")
	fs.BoolVar(&f.noProm, "no-prometheus", false, "do not use the Prometheus endpoint")
	fs.StringVar(&f.user, "user", "", "user `NAME` (default guest)")
	fs.StringVar(&f.passFile, "password-file", "", "read the password from `FILE`")
	fs.BoolVar(&f.askPassword, "ask-password", false, "prompt for the password")
	fs.StringVar(&f.context, "context", "", "context (cluster) to use, by `NAME`")
	fs.StringVar(&f.config, "config", "", "config `FILE` (default $XDG_CONFIG_HOME/mqtop/config.yaml)")
	fs.StringVar(&f.raConfig, "rabbitmqadmin-config", "", "rabbitmqadmin config `FILE`; '' to skip (default ~/.rabbitmqadmin.conf)")
	fs.BoolVar(&f.readOnly, "read-only", false, "refuse every change, for every context")
	fs.BoolVar(&f.allowBrowse, "allow-browse", false, "allow peeking at messages")
	fs.StringVar(&f.refresh, "refresh", DefaultRefresh.String(), "how often to poll, a `DURATION` from "+MinRefresh.String()+" to "+MaxRefresh.String()+" (default "+DefaultRefresh.String()+")")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM CA bundle `FILE` to trust, besides the system's")
	fs.StringVar(&f.certFile, "cert-file", "", "PEM client certificate `FILE`")
	fs.StringVar(&f.keyFile, "key-file", "", "PEM client key `FILE`")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "do not verify the server certificate (unsafe)")
	fs.BoolVar(&f.debug, "debug", false, "write a debug log")
	fs.StringVar(&f.logFile, "log-file", "", "debug log `FILE` (default $XDG_STATE_HOME/mqtop/mqtop.log)")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.BoolVarP(&f.help, "help", "h", false, "show this help")
	return fs
}

func parseFlags(args []string) (*flagValues, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--password" || strings.HasPrefix(a, "--password=") || a == "-p" || strings.HasPrefix(a, "-p=") {
			return nil, errPasswordFlag
		}
	}
	f := &flagValues{changed: map[string]bool{}}
	fs := newFlagSet(f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			f.help = true
			return f, nil
		}
		// pflag's error quotes the argument as given, which may be a URL
		// with its password (or a mistyped flag holding one).
		return nil, fmt.Errorf("%s (see mqtop --help)", RedactURL(err.Error()))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see mqtop --help)", fs.Arg(0))
	}
	fs.Visit(func(fl *pflag.Flag) { f.changed[fl.Name] = true })
	return f, nil
}

// urlList is --url: repeatable, and each value a comma-separated list split
// by SplitURLs, so a comma inside a URL (a path, a password) stays in it.
type urlList []string

func (u *urlList) Set(v string) error { *u = append(*u, SplitURLs(v)...); return nil }
func (u *urlList) String() string     { return RedactURL(strings.Join(*u, ",")) }
func (u *urlList) Type() string       { return "strings" }

// SplitURLs splits a comma-separated list of management URLs only where
// the part after the comma starts with http:// or https:// (spaces before
// it allowed), so "http://u:a,b@h1,https://h2/x,y" is two URLs. Parts are
// trimmed of spaces and stray commas (",,", a trailing one); empty parts
// are dropped.
func SplitURLs(v string) []string { return splitOn(v, "http://", "https://") }

// SplitAMQPURLs splits a comma-separated list of AMQP URLs the same way,
// where the next part starts with amqp:// or amqps://.
func SplitAMQPURLs(v string) []string { return splitOn(v, "amqp://", "amqps://") }

func splitOn(v string, schemes ...string) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		if v[i] != ',' {
			continue
		}
		next := strings.TrimLeft(v[i+1:], " \t")
		if slices.ContainsFunc(schemes, func(p string) bool { return hasPrefixFold(next, p) }) {
			if p := strings.Trim(v[start:i], ", \t"); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if p := strings.Trim(v[start:], ", \t"); p != "" {
		out = append(out, p)
	}
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// expandPaths handles "~/" that the shell leaves alone in --flag=~/x.
func (f *flagValues) expandPaths(home string) {
	for _, p := range []*string{&f.passFile, &f.config, &f.raConfig, &f.caFile, &f.certFile, &f.keyFile, &f.logFile} {
		*p = expandHome(*p, home)
	}
}

func (f *flagValues) layer() (layer, error) {
	l := layer{passwordFile: f.passFile, user: f.user,
		tls: tlsLayer{caFile: f.caFile, certFile: f.certFile, keyFile: f.keyFile}}
	if f.changed["no-prometheus"] {
		l.noProm = &f.noProm
	}
	if f.changed["read-only"] {
		l.readOnly = &f.readOnly
	}
	if f.changed["allow-browse"] {
		l.allowBrowse = &f.allowBrowse
	}
	if f.changed["insecure-skip-verify"] {
		l.tls.insecure = &f.insecure
	}
	err := l.setURLs(f.urls, "--url")
	if err == nil {
		err = l.setAMQP(f.amqpURL, "--amqp-url")
	}
	if err == nil {
		err = l.setProm(f.promURL, "--prometheus-url")
	}
	return l, err
}

func envLayer(getenv func(string) string, home string) (layer, error) {
	l := layer{user: getenv("MQTOP_USER"), password: getenv("MQTOP_PASSWORD"),
		passwordFile: expandHome(getenv("MQTOP_PASSWORD_FILE"), home)}
	if l.password != "" && l.passwordFile != "" {
		return l, errors.New("both MQTOP_PASSWORD and MQTOP_PASSWORD_FILE are set; unset one")
	}
	var urls []string
	if v := getenv("MQTOP_URL"); v != "" {
		urls = SplitURLs(v)
	}
	err := l.setURLs(urls, "MQTOP_URL")
	if err == nil {
		err = l.setAMQP(getenv("MQTOP_AMQP_URL"), "MQTOP_AMQP_URL")
	}
	if err == nil {
		err = l.setProm(getenv("MQTOP_PROM_URL"), "MQTOP_PROM_URL")
	}
	return l, err
}

// writeFlags lists flags without pflag's "[=true|false]" noise on every
// switch; defaults are spelled out in the usage strings.
func writeFlags(b *strings.Builder, fs *pflag.FlagSet) {
	var left, right []string
	width := 0
	fs.VisitAll(func(fl *pflag.Flag) {
		l := "      --" + fl.Name
		if fl.Shorthand != "" {
			l = "  -" + fl.Shorthand + ", --" + fl.Name
		}
		arg, usage := pflag.UnquoteUsage(fl)
		if fl.Value.Type() != "bool" {
			l += " " + arg
		}
		left, right = append(left, l), append(right, usage)
		width = max(width, len(l))
	})
	for i := range left {
		fmt.Fprintf(b, "%-*s  %s\n", width, left[i], right[i])
	}
}

// Usage is the --help text.
func Usage() string {
	var f flagValues
	fs := newFlagSet(&f)
	var b strings.Builder
	b.WriteString("mqtop: a terminal UI for RabbitMQ\n\nUsage: mqtop [flags]\n\nFlags:\n")
	writeFlags(&b, fs)
	b.WriteString(`
There is no --password flag: arguments are visible in ps.

Environment:
  MQTOP_URL            management URL(s), comma-separated
  MQTOP_AMQP_URL       AMQP URL
  MQTOP_PROM_URL       Prometheus endpoint
  MQTOP_USER           user name
  MQTOP_PASSWORD       password
  MQTOP_PASSWORD_FILE  file holding the password
  MQTOP_CONTEXT        context to use
  RABBITMQADMIN_CONFIG rabbitmqadmin config file

Precedence: flags > environment > config file > defaults.
Contexts also come from ~/.rabbitmqadmin.conf (v1 INI or v2 TOML).
`)
	return b.String()
}
