package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"

	"golang.org/x/term"
)

const redacted = "[redacted]"

// String shows a context for logs and debugging, password redacted.
func (c Context) String() string {
	return fmt.Sprintf("Context{Name:%q URLs:%q AMQPURL:%q PrometheusURL:%q User:%q Password:%s TLS:%+v ReadOnly:%t Source:%s}",
		c.Name, redactAll(c.URLs), RedactURL(c.AMQPURL), RedactURL(c.PrometheusURL), c.User, c.maskedPassword(), c.TLS, c.ReadOnly, c.Source)
}

// GoString makes %#v as safe as %v.
func (c Context) GoString() string { return "config." + c.String() }

// Format covers every other verb (%s, %q, %x…) so no verb reaches the
// struct's fields through fmt's reflection.
func (c Context) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.GoString())
		return
	}
	io.WriteString(f, c.String())
}

// LogValue implements slog.LogValuer.
func (c Context) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", c.Name),
		slog.Any("urls", redactAll(c.URLs)),
		slog.String("amqp_url", RedactURL(c.AMQPURL)),
		slog.String("prometheus_url", RedactURL(c.PrometheusURL)),
		slog.String("user", c.User),
		slog.String("password", c.maskedPassword()),
		slog.Bool("insecure", c.Insecure()),
		slog.Bool("read_only", c.ReadOnly),
		slog.String("source", c.Source),
	)
}

// MarshalJSON keeps the password out of JSON dumps and slog's JSON handler
// (which marshals a *Config field by field).
func (c Context) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"name": c.Name, "urls": redactAll(c.URLs), "amqp_url": RedactURL(c.AMQPURL),
		"prometheus_url": RedactURL(c.PrometheusURL), "prometheus_disabled": c.PrometheusDisabled,
		"user": c.User, "password": c.maskedPassword(), "tls": c.TLS, "read_only": c.ReadOnly,
		"allow_browse": c.AllowBrowse, "production": c.Production, "color": c.Color, "vhost": c.VHost,
		"source": c.Source,
	})
}

// Redact is RedactError with this context's password.
func (c Context) Redact(err error) error { return RedactError(err, c.Password) }

func (c Context) maskedPassword() string {
	if c.Password == "" {
		return `""`
	}
	return redacted
}

func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = RedactURL(u)
	}
	return out
}

// userinfoRE finds scheme://user:password@ anywhere in a text. The password
// part is greedy up to the last @ before a space: net/url would end it at
// the first / ? or #, but a password pasted unescaped ("http://u:a/b@h",
// which net/url reads as host u and port "a") is still a password, and
// this redacts what people type, in error messages about it. A URL without
// a password but with an @ in its path loses a little more than needed.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*):(\S*)@`)

// RedactURL replaces the password of every URL in s with "xxxxx", keeping
// the user name. It works on bare URLs and on text that contains them.
func RedactURL(s string) string {
	return userinfoRE.ReplaceAllString(s, "${1}:xxxxx@")
}

// RedactError returns err with every secret (also URL-escaped) and every URL
// password removed from its message; errors.Is and errors.As still see the
// original chain. Empty secrets are ignored.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := redactText(msg, secrets...)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

func redactText(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("", s).String()[1:]} {
			if form != "" {
				msg = strings.ReplaceAll(msg, form, "xxxxx")
			}
		}
	}
	return RedactURL(msg)
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// fillPassword reads the context's password file, or prompts when ask is
// set, and returns warnings about how the password was stored.
func (c *Context) fillPassword(ask bool, prompt func(string) (string, error)) ([]string, error) {
	if ask {
		if prompt == nil {
			return nil, errors.New("--ask-password: no terminal to prompt on")
		}
		p, err := prompt(fmt.Sprintf("Password for %s at %s: ", c.User, RedactURL(c.URLs[0])))
		if err != nil {
			return nil, fmt.Errorf("--ask-password: %w", err)
		}
		c.Password, c.passwordFile = p, ""
		return nil, nil
	}
	if c.passwordFile != "" {
		p, warn, err := readPasswordFile(c.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", c.Name, err)
		}
		c.Password, c.passwordFile = p, ""
		return warn, nil
	}
	if c.Password == "" {
		return []string{fmt.Sprintf("context %q: no password for user %q; set MQTOP_PASSWORD, password_file or use --ask-password", c.Name, c.User)}, nil
	}
	return nil, nil
}

// maxPasswordFile bounds a password file: it holds one password, and
// reading /dev/zero by mistake must not take all memory.
const maxPasswordFile = 64 << 10

// readPasswordFile trims one trailing newline, the one editors and echo add;
// anything else is part of the password. As ssh does with a private key, it
// refuses a file that group or others can read or change: on a shared jump
// host they would have the password. It also refuses what is not a regular
// file (a FIFO would block start-up, a device never end).
func readPasswordFile(path string) (string, []string, error) {
	fail := func(err error) (string, []string, error) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", nil, fmt.Errorf("read password file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err != nil {
		return fail(err)
	} else if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("password file %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat() // the file opened, not what the path names now
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("password file %s is not a regular file", path)
	}
	if others := othersMay(fi.Mode()); others != "" {
		return "", nil, fmt.Errorf("password file %s %s group or others (mode %04o); run chmod 600 %s",
			path, others, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return fail(err)
	}
	if len(b) > maxPasswordFile {
		return "", nil, fmt.Errorf("password file %s is larger than %d KiB: it should hold the password only", path, maxPasswordFile>>10)
	}
	p := strings.TrimSuffix(string(b), "\n")
	p = strings.TrimSuffix(p, "\r")
	if p == "" {
		return "", nil, fmt.Errorf("password file %s is empty", path)
	}
	return p, nil, nil
}

// othersMay says what group or others may do with a file of this mode
// ("can be read by", "can be changed by", "is open to": execute bits), or ""
// when only its owner may. Windows has no such bits: nothing is said there.
func othersMay(mode fs.FileMode) string {
	switch {
	case groupOrOthers(mode, 0o044):
		return "can be read by"
	case groupOrOthers(mode, 0o022):
		return "can be changed by"
	case groupOrOthers(mode, 0o011):
		return "is open to"
	}
	return ""
}

// groupOrOthers reports whether mode gives group or others any of bits.
func groupOrOthers(mode fs.FileMode, bits fs.FileMode) bool {
	return runtime.GOOS != "windows" && mode.Perm()&bits != 0
}

// permWarning flags a secret-bearing file that others can read, where it is
// someone else's file and refusing it would stop start-up for a file mqtop
// only borrows (~/.rabbitmqadmin.conf).
func permWarning(path, what string) []string {
	fi, err := os.Stat(path)
	if err != nil || !groupOrOthers(fi.Mode(), 0o044) {
		return nil
	}
	return []string{fmt.Sprintf("%s %s is readable by group or others (mode %04o); chmod 600 it", what, path, fi.Mode().Perm())}
}

// TerminalPrompt returns a prompt that writes to out and reads a password
// from in without echo. It fails when in is not a terminal, rather than
// reading a password visibly.
func TerminalPrompt(in *os.File, out io.Writer) func(string) (string, error) {
	return func(prompt string) (string, error) {
		fd := int(in.Fd())
		if !term.IsTerminal(fd) {
			return "", errors.New("standard input is not a terminal")
		}
		fmt.Fprint(out, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(out)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
}

func (o LoadOptions) prompter() func(string) (string, error) {
	if o.PromptPassword != nil {
		return o.PromptPassword
	}
	return TerminalPrompt(os.Stdin, os.Stderr)
}
