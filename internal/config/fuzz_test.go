package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// urlWithPassword builds scheme://user:pass@host rest as a user would type
// it, and reports whether pass is a password to look for: a scheme, a user
// without the characters that end userinfo, a password of four bytes or
// more with no space (a space ends the URL in a text) that no other part
// of the text holds. pathChars allows / ? # in the password: net/url reads
// such a URL differently, but it is what a user pastes.
func urlWithPassword(scheme, user, pass, host, rest string, pathChars bool) (string, bool) {
	notInPass := " \t\n\r\v\f\u0085\u00a0"
	if !pathChars {
		notInPass += "/?#"
	}
	if !schemeRE.MatchString(scheme) || strings.ContainsAny(user, ":/?#@ \t\n\r\v\f\u0085\u00a0") ||
		len(pass) < 4 || strings.ContainsAny(pass, notInPass) || strings.ContainsAny(host, "/?#@") {
		return "", false
	}
	s := scheme + "://" + user + ":" + pass + "@" + host + rest
	for _, other := range []string{scheme, user, host, rest, "xxxxx", "[redacted]", canary} {
		if strings.Contains(other, pass) {
			return "", false
		}
	}
	return s, true
}

// canary stands in for a password to tell a leak from a coincidence: if
// the output for the canary shows the password too, the text came from
// elsewhere (a password "management" in "management URL ... is bad").
const canary = "Qz9-Canary-Pw"

// leaks reports whether out(pass) shows pass where out(canary) does not.
func leaks(out func(pw string) string, pass string) bool {
	return strings.Contains(out(pass), pass) && !strings.Contains(out(canary), pass)
}

func urlSeeds(f *testing.F) {
	for _, c := range [][5]string{
		{"http", "bob", "hunter2!", "rabbit:15672", "/api"},
		{"amqps", "ops", "p@ss:word", "h:5671", "/vhost"},
		{"https", "", "onlypass", "h", ""},
		{"http", "u", "pa/ss/word", "h", ""},
		{"http", "u", "p^ss|w{rd}", "h", ":15672"},
		{"http", "u", "s3cr%zzet", "h", ""},
		{"http", "u", "%41%42%43%44", "h", "/x"},
		{"http", "u", "pw#frag", "h", "?q=1"},
		{"HTTP", "u", "hunter2", "h:99999", ""},
		{"http", "u", "hunter2", "[::1", "]:15672"},
		{"http", "u", "hunter2", "h", "@other/x"},
		{"http", "u", "hunter2", "h\x7f", ""},
		{"mailto", "u", "hunter2", "h", " and more text"},
	} {
		f.Add(c[0], c[1], c[2], c[3], c[4])
	}
}

// FuzzRedactURL: the password of a URL never survives RedactURL, alone or
// in a text, nor RedactError, whatever the URL looks like.
func FuzzRedactURL(f *testing.F) {
	urlSeeds(f)
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, rest string) {
		s, ok := urlWithPassword(scheme, user, pass, host, rest, true)
		if !ok {
			t.Skip()
		}
		for _, text := range []func(pw string) string{
			func(pw string) string { return strings.Replace(s, ":"+pass+"@", ":"+pw+"@", 1) },
			func(pw string) string {
				return "dial " + strings.Replace(s, ":"+pass+"@", ":"+pw+"@", 1) + ": connection refused"
			},
			func(pw string) string {
				return fmt.Sprintf("management URL %q is bad", strings.Replace(s, ":"+pass+"@", ":"+pw+"@", 1))
			},
		} {
			if leaks(func(pw string) string { return RedactURL(text(pw)) }, pass) {
				t.Fatalf("RedactURL(%q) = %q keeps the password %q", text(pass), RedactURL(text(pass)), pass)
			}
		}
		err := RedactError(fmt.Errorf("get %s: %w", s, errors.New("401 "+url.QueryEscape(pass))), pass)
		if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), url.QueryEscape(pass)) {
			t.Fatalf("RedactError keeps the password %q: %q", pass, err)
		}
	})
}

// FuzzLoadURL: a URL given to --url, --amqp-url or --prometheus-url (or in
// MQTOP_URL) with a password in it is taken apart or refused; either way
// the password shows in no error, no warning and no rendering of the
// context, only in Context.Password.
func FuzzLoadURL(f *testing.F) {
	urlSeeds(f)
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, rest string) {
		s, ok := urlWithPassword(scheme, user, pass, host, rest, true)
		if !ok {
			t.Skip()
		}
		with := func(pw string) string { return strings.Replace(s, ":"+pass+"@", ":"+pw+"@", 1) }
		for _, how := range []string{"--url", "--amqp-url", "--prometheus-url", "MQTOP_URL"} {
			load := func(pw string) (*Config, error) {
				h := newHarness(t)
				h.env["MQTOP_USER"] = "someone"
				if how == "MQTOP_URL" {
					h.env[how] = with(pw)
					return h.load()
				}
				return h.load(how, with(pw))
			}
			// Everything Load says about the context, but its password.
			said := func(pw string) string {
				cfg, err := load(pw)
				if err != nil {
					return "error: " + err.Error()
				}
				c := cfg.Context
				return fmt.Sprintf("%q %q %q %q %s", cfg.Warnings, c.URLs, c.AMQPURL, c.PrometheusURL, renderings(c))
			}
			if leaks(said, pass) {
				t.Fatalf("%s %q: the password shows in what Load says: %s", how, s, said(pass))
			}
		}
	})
}

// renderings is every way a context is printed or logged.
func renderings(c Context) string {
	j, _ := json.Marshal(c)
	var logged bytes.Buffer
	// Without the time: a timestamp may hold a short numeric password
	// ("0000") in one call and not in the next.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	slog.New(slog.NewTextHandler(&logged, noTime)).Info("x", "context", c)
	slog.New(slog.NewJSONHandler(&logged, noTime)).Info("x", "context", c, "contexts", []Context{c})
	return strings.Join([]string{c.String(), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c), string(j), logged.String()}, "\n")
}

// FuzzConfigFile: whatever config.yaml holds, Load never panics; what it
// accepts has management URLs mqtop can use, no credentials left in any
// URL, and no rendering of a context shows its password.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"", "contexts: {}", "current_context: p\ncontexts:\n  p: {url: 'http://p:15672', user: u, password: s3cret-pw}",
		"contexts:\n  a: {urls: ['http://a', 'https://b:15671/api/'], amqp_url: 'amqps://x:y@h:5671/v', prometheus_url: 'http://h:15692/metrics'}",
		"contexts:\n  a: {url: 'http://u:pw-in-url@h', color: '#ff5f87', tls: {insecure_skip_verify: true}}",
		"contexts:\n  a: {url: 'http://h', password: x, password_file: y}", "contexts:\n  a: {readonly: true}",
		"refresh: 10ms", "refresh: 2s\nkeys: {quit: [q, ''], refresh: r}", "contexts:\n  '': {url: 'http://h'}",
		"contexts: [1, 2]", "contexts:\n  a: {url: 'ftp://h'}", "contexts:\n  a: {url: 'http://h:0'}", "{", "\t", "- a\n- b",
		"contexts:\n  a: &x {url: 'http://h'}\n  b: *x", "contexts:\n  a: {url: 'http://h', color: bright-red, vhost: orders}",
		"contexts:\n  a: {url: 'http://h', tls: {cert_file: c.pem}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		h := newHarness(t)
		writeFile(t, h.configPath(), body, 0o600)
		cfg, err := h.load()
		if err != nil {
			return
		}
		for _, c := range cfg.Contexts {
			checkContext(t, body, c)
		}
		checkContext(t, body, cfg.Context)
	})
}

// FuzzRabbitmqadmin: ~/.rabbitmqadmin.conf is someone else's file: whatever
// it holds, it never stops start-up, and its contexts are usable; named
// with --rabbitmqadmin-config it may be refused, but never panics.
func FuzzRabbitmqadmin(f *testing.F) {
	for _, s := range []string{
		"[lab]\nhostname = lab\nport = 15672\nusername = ops\npassword = s3cret # not a comment\nssl = True\n",
		"[a]\nbase_uri = https://u:p@h:15671/\npath_prefix = rabbit\n[b]\nhostname = b\nssl_cert_file = c.pem\n",
		"[default]\nhost = x\nvhost = v\n", "[prod]\nhostname = \"h\"\nport = 15671\ntls = true\nvirtual_host = \"v\"\n",
		"[x]\nbase_uri = ::not a url\n", "[x]\nhostname = h/x\n", "[x]\nport = 99999\n", "[unclosed\n", "a = b\n[s]\n",
		"[x.y]\nhostname = 'h'\n", "[x]\nhostname = \"h\"\nport = 15672\nusername = [1, 2]\n", "[DEFAULT]\nport = 1\n[s]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		h := newHarness(t)
		writeFile(t, filepath.Join(h.opts.HomeDir, ".rabbitmqadmin.conf"), body, 0o600)
		cfg, err := h.load()
		if err != nil {
			t.Fatalf("an implicit ~/.rabbitmqadmin.conf stopped start-up: %v\n%q", err, body)
		}
		for _, c := range cfg.Contexts {
			checkContext(t, body, c)
		}
		p := writeFile(t, filepath.Join(t.TempDir(), "ra.conf"), body, 0o600)
		if cfg, err := newHarness(t).load("--rabbitmqadmin-config", p); err == nil {
			for _, c := range cfg.Contexts {
				checkContext(t, body, c)
			}
		}
	})
}

// checkContext: a resolved context has management URLs that mqtop can
// use, no credentials in any URL, and renders without its password.
func checkContext(t *testing.T, body string, c Context) {
	t.Helper()
	if len(c.URLs) == 0 {
		t.Fatalf("context %q has no URL\n%q", c.Name, body)
	}
	for _, raw := range c.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("context %q: management URL %q is not http(s)://host without userinfo (%v)\n%q", c.Name, raw, err, body)
		}
	}
	for _, raw := range []string{c.AMQPURL, c.PrometheusURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || u.User != nil {
			t.Fatalf("context %q: URL %q does not parse or keeps userinfo\n%q", c.Name, raw, body)
		}
	}
	c.Password = canary
	if out := renderings(c); strings.Contains(out, canary) {
		t.Fatalf("context %q rendered with its password: %s\n%q", c.Name, out, body)
	}
}
