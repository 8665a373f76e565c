package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// harness runs Load hermetically: every directory is a temp dir and the
// prompt fails the test unless a case installs its own.
type harness struct {
	t    *testing.T
	opts LoadOptions
	env  map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return &harness{t: t, env: map[string]string{}, opts: LoadOptions{
		HomeDir: t.TempDir(), ConfigHome: t.TempDir(), StateHome: t.TempDir(),
		PromptPassword: func(string) (string, error) {
			t.Error("unexpected password prompt")
			return "", errors.New("no prompt")
		},
	}}
}

func (h *harness) configPath() string {
	return filepath.Join(h.opts.ConfigHome, "mqtop", "config.yaml")
}

func (h *harness) writeConfig(body string) string {
	h.t.Helper()
	return writeFile(h.t, h.configPath(), body, 0o600)
}

func (h *harness) writeRabbitmqadmin(body string) string {
	h.t.Helper()
	return writeFile(h.t, filepath.Join(h.opts.HomeDir, ".rabbitmqadmin.conf"), body, 0o600)
}

func (h *harness) load(args ...string) (*Config, error) {
	return Load(args, func(k string) string { return h.env[k] }, h.opts)
}

func (h *harness) mustLoad(args ...string) *Config {
	h.t.Helper()
	cfg, err := h.load(args...)
	if err != nil {
		h.t.Fatalf("Load(%q): %v", args, err)
	}
	return cfg
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask must not hide a permission case
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	h := newHarness(t)
	cfg := h.mustLoad()
	want := Context{
		Name: "default", URLs: []string{"http://localhost:15672"}, User: "guest", Password: "guest", Source: SourceFlags,
	}
	if !reflect.DeepEqual(cfg.Context, want) {
		t.Errorf("context:\n got %#v\nwant %#v", cfg.Context, want)
	}
	if cfg.Refresh != 2*time.Second || cfg.Debug || cfg.ShowVersion {
		t.Errorf("refresh %v debug %v version %v", cfg.Refresh, cfg.Debug, cfg.ShowVersion)
	}
	if want := filepath.Join(h.opts.StateHome, "mqtop", "mqtop.log"); cfg.LogFile != want {
		t.Errorf("log file %q, want %q", cfg.LogFile, want)
	}
	if len(cfg.Contexts) != 1 || cfg.Contexts[0].Name != "default" || len(cfg.Warnings) != 0 || len(cfg.Files) != 0 {
		t.Errorf("contexts %v warnings %q files %q", cfg.Contexts, cfg.Warnings, cfg.Files)
	}
}

// TestURLCleaning: management URLs are cleaned, and no AMQP or Prometheus
// URL is guessed from them (the broker's listeners say, at run time).
func TestURLCleaning(t *testing.T) {
	cases := []struct{ url, mgmt string }{
		{"http://rabbit:15672", "http://rabbit:15672"},
		{"https://rabbit.example.com:15671", "https://rabbit.example.com:15671"},
		{"HTTPS://rabbit", "https://rabbit"},
		{"http://[::1]:15672/", "http://[::1]:15672"},
		{"http://rabbit:15672/api/", "http://rabbit:15672"},
		{"http://rabbit:15672/#/queues", "http://rabbit:15672"},
		{"http://lb/rabbitmq", "http://lb/rabbitmq"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			cfg := newHarness(t).mustLoad("--url", c.url)
			got := cfg.Context
			if !slices.Equal(got.URLs, []string{c.mgmt}) || got.AMQPURL != "" || got.PrometheusURL != "" || got.PrometheusDisabled {
				t.Errorf("got %q %q %q %v, want %q and no AMQP or Prometheus URL", got.URLs, got.AMQPURL, got.PrometheusURL, got.PrometheusDisabled, c.mgmt)
			}
		})
	}
}

func TestDerivationOverrides(t *testing.T) {
	h := newHarness(t)
	h.writeConfig(`
contexts:
  a:
    url: https://a:15671
    amqp_url: amqps://a-amqp:5671/vh
    prometheus_url: https://a-prom:9999/metrics
  b:
    url: https://b
    prometheus: false
`)
	cfg := h.mustLoad("--context", "a")
	if c := cfg.Context; c.AMQPURL != "amqps://a-amqp:5671/vh" || c.PrometheusURL != "https://a-prom:9999" {
		t.Errorf("a: %q %q", c.AMQPURL, c.PrometheusURL)
	}
	cfg = h.mustLoad("--context", "b")
	if c := cfg.Context; !c.PrometheusDisabled || c.PrometheusURL != "" || c.AMQPURL != "" {
		t.Errorf("b: disabled=%v %q %q", c.PrometheusDisabled, c.PrometheusURL, c.AMQPURL)
	}
	// A Prometheus URL given on the command line re-enables what the file disabled.
	cfg = h.mustLoad("--context", "b", "--prometheus-url", "http://p:15692")
	if c := cfg.Context; c.PrometheusDisabled || c.PrometheusURL != "http://p:15692" {
		t.Errorf("b+flag: disabled=%v %q", c.PrometheusDisabled, c.PrometheusURL)
	}
	cfg = h.mustLoad("--context", "a", "--no-prometheus")
	if c := cfg.Context; !c.PrometheusDisabled || c.PrometheusURL != "" {
		t.Errorf("a --no-prometheus: disabled=%v %q", c.PrometheusDisabled, c.PrometheusURL)
	}
}

func TestPrecedence(t *testing.T) {
	const file = `
current_context: prod
contexts:
  prod:
    url: http://file:15672
    amqp_url: amqp://file-amqp:5672
    user: fileuser
    password: filepass
    read_only: false
`
	cases := []struct {
		name                  string
		env                   map[string]string
		args                  []string
		url, amqp, user, pass string
		readOnly              bool
	}{
		{name: "file", url: "http://file:15672", amqp: "amqp://file-amqp:5672", user: "fileuser", pass: "filepass"},
		{name: "env over file",
			env: map[string]string{"MQTOP_URL": "http://env:15672", "MQTOP_AMQP_URL": "amqp://env-amqp", "MQTOP_USER": "envuser", "MQTOP_PASSWORD": "envpass"},
			url: "http://env:15672", amqp: "amqp://env-amqp", user: "envuser", pass: "envpass"},
		{name: "flags over env",
			env:  map[string]string{"MQTOP_URL": "http://env:15672", "MQTOP_USER": "envuser", "MQTOP_PASSWORD": "envpass"},
			args: []string{"--url", "http://flag:15672", "--user", "flaguser", "--read-only"},
			url:  "http://flag:15672", amqp: "amqp://file-amqp:5672", user: "flaguser", pass: "envpass", readOnly: true},
		{name: "password-file flag over env password",
			env:  map[string]string{"MQTOP_PASSWORD": "envpass"},
			args: []string{"--password-file", "PWFILE"},
			url:  "http://file:15672", amqp: "amqp://file-amqp:5672", user: "fileuser", pass: "frompwfile"},
		{name: "env password file over file password",
			env: map[string]string{"MQTOP_PASSWORD_FILE": "PWFILE"},
			url: "http://file:15672", amqp: "amqp://file-amqp:5672", user: "fileuser", pass: "frompwfile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.writeConfig(file)
			pw := writeFile(t, filepath.Join(t.TempDir(), "pw"), "frompwfile\n", 0o600)
			for k, v := range c.env {
				h.env[k] = strings.ReplaceAll(v, "PWFILE", pw)
			}
			args := slices.Clone(c.args)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "PWFILE", pw)
			}
			got := h.mustLoad(args...).Context
			if got.Name != "prod" || !slices.Equal(got.URLs, []string{c.url}) || got.AMQPURL != c.amqp ||
				got.User != c.user || got.Password != c.pass || got.ReadOnly != c.readOnly {
				t.Errorf("got %s URLs=%q amqp=%q user=%q pass=%q ro=%v", got.Name, got.URLs, got.AMQPURL, got.User, got.Password, got.ReadOnly)
			}
		})
	}
}

func TestYAMLContexts(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Dir(h.configPath())
	writeFile(t, filepath.Join(dir, "prod.pw"), "s3cret\n", 0o600)
	h.writeConfig(`
current_context: prod
refresh: 5s
contexts:
  prod:
    urls:
      - https://admin:inline@rabbit-1:15671
      - https://rabbit-2:15671
    password_file: prod.pw
    tls:
      ca_file: certs/ca.pem
      cert_file: /abs/client.pem
      key_file: ~/client.key
      server_name: rabbit.internal
    read_only: true
    allow_browse: true
    production: true
    color: "#F57"
    vhost: orders
  dev:
    url: http://dev:15672
    colour: bright-green
`)
	cfg := h.mustLoad()
	c := cfg.Context
	want := Context{
		Name: "prod", URLs: []string{"https://rabbit-1:15671", "https://rabbit-2:15671"},
		User: "admin", Password: "s3cret",
		TLS:      TLS{CAFile: filepath.Join(dir, "certs/ca.pem"), CertFile: "/abs/client.pem", KeyFile: filepath.Join(h.opts.HomeDir, "client.key"), ServerName: "rabbit.internal"},
		ReadOnly: true, AllowBrowse: true, Production: true, Color: "#ff5577", VHost: "orders", Source: SourceConfig,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("prod:\n got %#v\nwant %#v", c, want)
	}
	if cfg.Refresh != 5*time.Second {
		t.Errorf("refresh %v", cfg.Refresh)
	}
	if names := cfg.Names(); !slices.Equal(names, []string{"prod", "dev"}) {
		t.Errorf("names %q (file order expected)", names)
	}
	if cfg.Contexts[1].Color != "10" || cfg.Contexts[1].Source != SourceConfig {
		t.Errorf("dev %#v", cfg.Contexts[1])
	}
	if !slices.Equal(cfg.Files, []string{h.configPath()}) {
		t.Errorf("files %q", cfg.Files)
	}
}

func TestChoosingContext(t *testing.T) {
	cases := []struct {
		name, file, ra string
		env            map[string]string
		args           []string
		want           string
	}{
		{name: "no choice takes first of mqtop's file", file: "contexts: {b: {url: 'http://b'}, a: {url: 'http://a'}}", want: "b"},
		{name: "no choice prefers default", file: "contexts: {b: {url: 'http://b'}, default: {url: 'http://d'}}", want: "default"},
		{name: "current_context", file: "current_context: a\ncontexts: {b: {url: 'http://b'}, a: {url: 'http://a'}}", want: "a"},
		{name: "env over current_context", file: "current_context: a\ncontexts: {b: {url: 'http://b'}, a: {url: 'http://a'}}",
			env: map[string]string{"MQTOP_CONTEXT": "b"}, want: "b"},
		{name: "flag over env", file: "contexts: {b: {url: 'http://b'}, a: {url: 'http://a'}}",
			env: map[string]string{"MQTOP_CONTEXT": "b"}, args: []string{"--context", "a"}, want: "a"},
		{name: "rabbitmqadmin default section", ra: "[other]\nhostname = o\n[default]\nhostname = d\n", want: "default"},
		{name: "rabbitmqadmin without default is not auto-picked", ra: "[prod]\nhostname = p\n", want: "default"},
		{name: "rabbitmqadmin by name", ra: "[prod]\nhostname = p\n", args: []string{"--context", "prod"}, want: "prod"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.file != "" {
				h.writeConfig(c.file)
			}
			if c.ra != "" {
				h.writeRabbitmqadmin(c.ra)
			}
			for k, v := range c.env {
				h.env[k] = v
			}
			if got := h.mustLoad(c.args...).Context.Name; got != c.want {
				t.Errorf("chose %q, want %q", got, c.want)
			}
		})
	}
}

func TestUnknownContext(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("contexts: {prod: {url: 'http://p'}, staging: {url: 'http://s'}}")
	h.writeRabbitmqadmin("[prod]\nhostname = other\n[lab]\nhostname = lab\n")
	_, err := h.load("--context", "qa")
	if err == nil {
		t.Fatal("want error")
	}
	for _, s := range []string{`"qa"`, "--context", "prod, staging, rabbitmqadmin:prod, lab"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	h.writeConfig("current_context: gone\ncontexts: {prod: {url: 'http://p'}}")
	if _, err := h.load(); err == nil || !strings.Contains(err.Error(), "current_context") {
		t.Errorf("current_context error = %v", err)
	}
}

func TestSwitch(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Dir(h.configPath())
	h.writeConfig(`
current_context: a
contexts:
  a: {url: 'http://a', user: ua, password: pa}
  b: {url: 'http://b', user: ub, password_file: b.pw}
  c: {url: 'http://c', user: uc, password_file: missing.pw}
`)
	writeFile(t, filepath.Join(dir, "b.pw"), "pb\n", 0o600)
	cfg := h.mustLoad("--user", "override", "--read-only")
	if cfg.Context.User != "override" {
		t.Fatalf("start-up user %q", cfg.Context.User)
	}
	b, warns, err := cfg.Switch("b")
	if err != nil {
		t.Fatal(err)
	}
	// Flags shape only the start-up context, except --read-only.
	if b.User != "ub" || b.Password != "pb" || !b.ReadOnly || b.URLs[0] != "http://b" {
		t.Errorf("b = %#v pass=%q", b, b.Password)
	}
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	if a, _, _ := cfg.Switch("a"); a.User != "override" {
		t.Errorf("switching back lost the start-up overrides: %q", a.User)
	}
	if _, _, err := cfg.Switch("c"); err == nil || !strings.Contains(err.Error(), "missing.pw") {
		t.Errorf("c: %v", err)
	}
	if _, _, err := cfg.Switch("zz"); err == nil || !strings.Contains(err.Error(), "a, b, c") {
		t.Errorf("zz: %v", err)
	}
}

func TestPasswordFlagRejected(t *testing.T) {
	for _, args := range [][]string{{"--password", "hunter2"}, {"--password=hunter2"}, {"--url", "http://x", "-p", "hunter2"}} {
		_, err := newHarness(t).load(args...)
		want := "--password is not supported: passwords in arguments are visible in ps; use MQTOP_PASSWORD, MQTOP_PASSWORD_FILE, --password-file or --ask-password"
		if err == nil || err.Error() != want {
			t.Errorf("%q: err = %v", args, err)
		}
	}
	// After "--" nothing is a flag, and --password-file is a different flag.
	if _, err := newHarness(t).load("--password-file"); err == nil || strings.Contains(err.Error(), "not supported") {
		t.Errorf("--password-file without value: %v", err)
	}
}

func TestURLUserinfoMoved(t *testing.T) {
	h := newHarness(t)
	cfg := h.mustLoad("--url", "http://bob:pa%40ss@rabbit:15672")
	c := cfg.Context
	if c.URLs[0] != "http://rabbit:15672" || c.User != "bob" || c.Password != "pa@ss" {
		t.Errorf("got %q %q %q", c.URLs, c.User, c.Password)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "a password in --url is visible in ps") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	// The warning names the flag whose URL held the password.
	if w := newHarness(t).mustLoad("--amqp-url", "amqp://bob:pw@rabbit:5672").Warnings; len(w) != 1 || !strings.Contains(w[0], "a password in --amqp-url is visible in ps") {
		t.Errorf("warnings for --amqp-url %q", w)
	}
	h.env["MQTOP_URL"] = "http://amy:secret@env:15672"
	h.env["MQTOP_USER"] = "explicit"
	c = h.mustLoad().Context
	if c.URLs[0] != "http://env:15672" || c.User != "explicit" || c.Password != "secret" {
		t.Errorf("env: got %q %q %q", c.URLs, c.User, c.Password)
	}
}

// TestURLListCommas: --url is repeatable and comma-separated, but a comma
// inside a URL (its path, its password) is no separator: a list splits
// only where the next part starts with http:// or https://.
func TestURLListCommas(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"http://a:15672", []string{"http://a:15672"}},
		{"http://a:15672,https://b:15671", []string{"http://a:15672", "https://b:15671"}},
		{"http://a, HTTPS://b ,", []string{"http://a", "HTTPS://b"}},
		{"http://u:p,w@a,http://b/x,y", []string{"http://u:p,w@a", "http://b/x,y"}},
		{",http://a,,http://b", []string{"http://a", "http://b"}},
		{"http://a/,", []string{"http://a/"}},
		{"", nil},
	} {
		if got := SplitURLs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("SplitURLs(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	h := newHarness(t)
	cfg := h.mustLoad("--url", "http://bob:pa,ss@a:15672/,http://b:15672", "--url=https://c:15671")
	c := cfg.Context
	if !slices.Equal(c.URLs, []string{"http://a:15672", "http://b:15672", "https://c:15671"}) || c.User != "bob" || c.Password != "pa,ss" {
		t.Errorf("--url with a comma in the password: got %q %q %q", c.URLs, c.User, c.Password)
	}
	h.env["MQTOP_URL"] = "http://amy:se,cret@env:15672,https://env2:15671"
	c = h.mustLoad().Context
	if !slices.Equal(c.URLs, []string{"http://env:15672", "https://env2:15671"}) || c.Password != "se,cret" {
		t.Errorf("MQTOP_URL with a comma in the password: got %q %q", c.URLs, c.Password)
	}
}

// TestFlagErrorRedacted: pflag's own errors quote the argument; a URL's
// password in one is replaced.
func TestFlagErrorRedacted(t *testing.T) {
	for _, args := range [][]string{{"--http://u:hunter2@h"}, {"--url=http://u:hunter2@h", "--refresh"}, {"--read-only=http://u:hunter2@h"}} {
		_, err := newHarness(t).load(args...)
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "see mqtop --help") {
			t.Errorf("%q: error %v", args, err)
		}
	}
}

func TestAskPassword(t *testing.T) {
	h := newHarness(t)
	h.env["MQTOP_PASSWORD"] = "from-env"
	var prompted string
	h.opts.PromptPassword = func(p string) (string, error) { prompted = p; return "typed", nil }
	c := h.mustLoad("--ask-password", "--user", "ops", "--url", "http://r:15672").Context
	if c.Password != "typed" || !strings.Contains(prompted, "ops") || !strings.Contains(prompted, "http://r:15672") {
		t.Errorf("password %q prompt %q", c.Password, prompted)
	}
	h.opts.PromptPassword = func(string) (string, error) { return "", errors.New("no tty") }
	if _, err := h.load("--ask-password"); err == nil || !strings.Contains(err.Error(), "no tty") {
		t.Errorf("prompt error not returned: %v", err)
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body string
		mode       os.FileMode
		want, err  string
		warn       bool
	}{
		{name: "one newline trimmed", body: "pw \n\n", mode: 0o600, want: "pw \n"},
		{name: "crlf", body: "pw\r\n", mode: 0o600, want: "pw"},
		{name: "no newline", body: "pw", mode: 0o600, want: "pw"},
		{name: "world readable refused", body: "pw\n", mode: 0o644, err: "can be read by group or others (mode 0644); run chmod 600"},
		{name: "empty", body: "\n", mode: 0o600, err: "is empty"},
		{name: "missing", err: "no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
			if c.body != "" {
				writeFile(t, path, c.body, c.mode)
			}
			h := newHarness(t)
			h.env["MQTOP_USER"] = "u"
			cfg, err := h.load("--password-file", path)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want %q with path", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Context.Password != c.want {
				t.Errorf("password %q, want %q", cfg.Context.Password, c.want)
			}
			if got := len(cfg.Warnings) > 0; got != c.warn {
				t.Errorf("warnings %q", cfg.Warnings)
			}
		})
	}
}

func TestPasswordWarnings(t *testing.T) {
	h := newHarness(t)
	cfg := h.mustLoad("--user", "ops")
	if cfg.Context.Password != "" || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], `no password for user "ops"`) {
		t.Errorf("password %q warnings %q", cfg.Context.Password, cfg.Warnings)
	}
	h.writeConfig("contexts: {p: {url: 'http://p', user: u, password: x}}")
	if err := os.Chmod(h.configPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.load(); err == nil || !strings.Contains(err.Error(), "holds a password and can be read by group or others") {
		t.Errorf("a config file with a password others can read: %v", err)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, file string
		env        map[string]string
		args       []string
		want       []string
	}{
		{name: "refresh too fast", args: []string{"--refresh", "100ms"}, want: []string{"--refresh", "100ms", "between 250ms and 1m0s"}},
		{name: "refresh too slow", args: []string{"--refresh=2m"}, want: []string{"out of range"}},
		{name: "refresh not a duration", args: []string{"--refresh", "fast"}, want: []string{`"fast" is not a duration`}},
		{name: "refresh in file", file: "refresh: 5", want: []string{"config.yaml", `refresh "5" is not a duration`}},
		{name: "url scheme", args: []string{"--url", "ftp://x"}, want: []string{"--url", `scheme "ftp" is not supported; use http or https`}},
		{name: "url without scheme", args: []string{"--url", "localhost:15672"}, want: []string{"no scheme; write http://localhost:15672"}},
		{name: "url without host", env: map[string]string{"MQTOP_URL": "http://:15672"}, want: []string{"MQTOP_URL", "missing host"}},
		{name: "url bad port", args: []string{"--url", "http://h:99999"}, want: []string{`bad port "99999"`}},
		{name: "url query", args: []string{"--url", "http://h/?x=1"}, want: []string{"unexpected query"}},
		{name: "amqp scheme", args: []string{"--amqp-url", "http://h"}, want: []string{"--amqp-url", "use amqp or amqps"}},
		{name: "prom scheme", env: map[string]string{"MQTOP_PROM_URL": "amqp://h"}, want: []string{"MQTOP_PROM_URL", "use http or https"}},
		{name: "bad url password not echoed", args: []string{"--url", "ftp://u:hunter2@h"}, want: []string{"ftp://u:xxxxx@h"}},
		{name: "colour", file: "contexts: {p: {color: 'reddish'}}", want: []string{`context "p"`, `color "reddish"`}},
		{name: "colour hex", file: "contexts: {p: {color: '#12345g'}}", want: []string{`want #rgb or #rrggbb`}},
		{name: "colour number", file: "contexts: {p: {color: '256'}}", want: []string{"0 to 255"}},
		{name: "unknown field", file: "contexts: {p: {readonly: true}}", want: []string{"field readonly not found in a context"}},
		{name: "unknown top-level field", file: "contxts: {}", want: []string{"field contxts not found"}},
		{name: "password and file", file: "contexts: {p: {password: a, password_file: b}}", want: []string{"password or password_file, not both"}},
		{name: "env password twice", env: map[string]string{"MQTOP_PASSWORD": "a", "MQTOP_PASSWORD_FILE": "b"}, want: []string{"MQTOP_PASSWORD and MQTOP_PASSWORD_FILE"}},
		{name: "cert without key", args: []string{"--cert-file", "/c.pem"}, want: []string{"cert_file and key_file must be set together"}},
		{name: "explicit config missing", args: []string{"--config", "/nonexistent/mqtop.yaml"}, want: []string{"/nonexistent/mqtop.yaml", "no such file"}},
		{name: "unknown flag", args: []string{"--bogus"}, want: []string{"unknown flag: --bogus", "--help"}},
		{name: "positional", args: []string{"prod"}, want: []string{`unexpected argument "prod"`}},
		{name: "empty key binding", file: "keys: {quit: ['']}", want: []string{"quit has an empty key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.file != "" {
				h.writeConfig(c.file)
			}
			for k, v := range c.env {
				h.env[k] = v
			}
			_, err := h.load(c.args...)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestColors(t *testing.T) {
	for in, want := range map[string]string{"#ff5f87": "#ff5f87", "#FFF": "#ffffff", "red": "1", "Bright-Red": "9",
		"bright_blue": "12", "grey": "8", "orange": "208", "42": "42", "": ""} {
		if got, err := normalizeColor(in); err != nil || got != want {
			t.Errorf("%q -> %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestKeys(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("keys:\n  quit: [q, ctrl+c]\n  refresh: r\n")
	cfg := h.mustLoad()
	want := map[string][]string{"quit": {"q", "ctrl+c"}, "refresh": {"r"}}
	if !reflect.DeepEqual(cfg.Keys, want) {
		t.Errorf("keys %v", cfg.Keys)
	}
	h.opts.KnownActions = []string{"quit", "refresh", "help"}
	h.mustLoad()
	h.opts.KnownActions = []string{"quit", "help"}
	_, err := h.load()
	if err == nil || !strings.Contains(err.Error(), `unknown action "refresh"`) || !strings.Contains(err.Error(), "known actions: help, quit") {
		t.Errorf("err = %v", err)
	}
}

func TestHelpVersionDebug(t *testing.T) {
	h := newHarness(t)
	var out strings.Builder
	h.opts.Output = &out
	if _, err := h.load("-h"); !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"--url", "--ask-password", "MQTOP_PASSWORD_FILE", "no --password flag"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("usage lacks %q", s)
		}
	}
	// --version works even when the config file is broken.
	h.writeConfig("contexts: [")
	cfg, err := h.load("--version")
	if err != nil || !cfg.ShowVersion {
		t.Errorf("version: %v %v", cfg, err)
	}
	h.writeConfig("")
	cfg = h.mustLoad("--debug", "--log-file", "~/mq.log", "--refresh", "250ms")
	if !cfg.Debug || cfg.LogFile != filepath.Join(h.opts.HomeDir, "mq.log") || cfg.Refresh != 250*time.Millisecond {
		t.Errorf("debug %v log %q refresh %v", cfg.Debug, cfg.LogFile, cfg.Refresh)
	}
}

func TestSeveralURLs(t *testing.T) {
	h := newHarness(t)
	c := h.mustLoad("--url", "http://a:15672,http://b:15672", "--url", "http://c:15672").Context
	if !slices.Equal(c.URLs, []string{"http://a:15672", "http://b:15672", "http://c:15672"}) || c.AMQPURL != "" {
		t.Errorf("flags: %q %q", c.URLs, c.AMQPURL)
	}
	h.env["MQTOP_URL"] = "https://x, https://y"
	if c := h.mustLoad().Context; !slices.Equal(c.URLs, []string{"https://x", "https://y"}) {
		t.Errorf("env: %q", c.URLs)
	}
}

// Several AMQP URLs (one per node) are kept in order, each cleaned; a
// credential in any of them is taken out.
func TestAMQPURLList(t *testing.T) {
	cfg := newHarness(t).mustLoad("--url", "http://n1:15672,http://n2:15672", "--amqp-url", "amqp://n1:5672/vh,amqps://ops:s3c,ret@n2:5671")
	if got := cfg.Context.AMQPURL; got != "amqp://n1:5672/vh,amqps://n2:5671" {
		t.Fatalf("AMQP URLs %q", got)
	}
	if got := SplitAMQPURLs(cfg.Context.AMQPURL); len(got) != 2 || got[1] != "amqps://n2:5671" {
		t.Fatalf("split %q", got)
	}
	if cfg.Context.User != "ops" || cfg.Context.Password != "s3c,ret" {
		t.Fatalf("userinfo of the second URL: %q / set %v", cfg.Context.User, cfg.Context.Password != "")
	}
}

// Several Prometheus URLs (one per node) are kept in order, each cleaned
// (its /metrics suffix and any credential taken off); a bad one is refused
// naming the flag.
func TestPrometheusURLList(t *testing.T) {
	h := newHarness(t)
	cfg := h.mustLoad("--url", "http://n1:15672", "--prometheus-url", "http://n1:15692/metrics, https://ops:p,w@n2:15691")
	if got := cfg.Context.PrometheusURL; got != "http://n1:15692,https://n2:15691" {
		t.Fatalf("Prometheus URLs %q", got)
	}
	if cfg.Context.User != "ops" || cfg.Context.Password != "p,w" {
		t.Fatalf("userinfo of the second URL: %q / set %v", cfg.Context.User, cfg.Context.Password != "")
	}
	_, err := h.load("--url", "http://n1:15672", "--prometheus-url", "http://n1:15692,http://")
	if err == nil || !strings.Contains(err.Error(), "--prometheus-url") {
		t.Fatalf("a bad second URL: %v", err)
	}
}
