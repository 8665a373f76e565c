package mgmt_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/mgmt"
)

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// canary stands in for the password to tell a leak from a coincidence (a
// password "management" in "management URL ... must look like").
const canary = "Qz9-Canary-Pw"

// urlWithPassword builds scheme://user:pass@host rest and reports whether
// pass is a password net/url would see as one (no / ? # or space in it),
// four bytes or more, that no other part holds.
func urlWithPassword(scheme, user, pass, host, rest string) (func(pw string) string, bool) {
	if !schemeRE.MatchString(scheme) || strings.ContainsAny(user, ":/?#@ ") || len(pass) < 4 ||
		strings.ContainsAny(pass, "/?# \t\r\n") || strings.ContainsAny(host, "/?#@") {
		return nil, false
	}
	for _, other := range []string{scheme, user, host, rest, "xxxxx", canary} {
		if strings.Contains(other, pass) {
			return nil, false
		}
	}
	return func(pw string) string { return scheme + "://" + user + ":" + pw + "@" + host + rest }, true
}

func leaks(out func(pw string) string, pass string) bool {
	return strings.Contains(out(pass), pass) && !strings.Contains(out(canary), pass)
}

func addURLSeeds(f *testing.F) {
	for _, c := range [][5]string{
		{"http", "bob", "hunter2!", "rabbit:15672", "/api"},
		{"https", "", "onlypass", "h", ""},
		{"http", "u", "p@ss:word", "h", ""},
		{"http", "u", "p^ss|w{rd}", "h", ":15672"},
		{"http", "u", "s3cr%zzet", "h", ""},
		{"http", "u", "%41%42%43%44", "h", "/x"},
		{"http", "u", "hunter2", "h:99999", ""},
		{"http", "u", "hunter2", "[::1", "]:15672"},
		{"http", "u", "hunter2", "h", "@other/x"},
		{"ftp", "u", "hunter2", "h", ""},
		{"http", "u", "hunter2", "", ""},
	} {
		f.Add(c[0], c[1], c[2], c[3], c[4])
	}
}

// FuzzRedactURL: RedactURL never keeps the password of a URL, nor does
// New's error for a URL it refuses, nor the endpoint of one it takes.
func FuzzRedactURL(f *testing.F) {
	addURLSeeds(f)
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, rest string) {
		with, ok := urlWithPassword(scheme, user, pass, host, rest)
		if !ok {
			t.Skip()
		}
		s := with(pass)
		if leaks(func(pw string) string { return mgmt.RedactURL(with(pw)) }, pass) {
			t.Fatalf("RedactURL(%q) = %q keeps the password", s, mgmt.RedactURL(s))
		}
		if r := mgmt.RedactURL(s); mgmt.RedactURL(r) != r {
			t.Fatalf("RedactURL is not idempotent on %q: %q, then %q", s, r, mgmt.RedactURL(r))
		}
		said := func(pw string) string {
			c, err := mgmt.New(mgmt.Options{URLs: []string{with(pw)}, User: "u", Password: pw})
			if err != nil {
				return "error: " + err.Error()
			}
			return c.Endpoint()
		}
		if leaks(said, pass) {
			t.Fatalf("New(%q) says the password: %s", s, said(pass))
		}
		if c, err := mgmt.New(mgmt.Options{URLs: []string{s}}); err == nil {
			u, err := url.Parse(c.Endpoint())
			if err != nil || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("New(%q) took it as endpoint %q (%v)", s, c.Endpoint(), err)
			}
		}
	})
}

// FuzzNewURL: any string as a management URL; New never panics, and what
// it takes is an http(s) endpoint with a host and no userinfo.
func FuzzNewURL(f *testing.F) {
	for _, s := range []string{"http://localhost:15672", "https://h:15671/", "http://u:p@h/api/", "h:15672", "http://", "http://[::1]:15672",
		"http://%zz", "HTTP://H", " http://h", "http://h:99999", "http://h/#/queues", "http://h?x=1", "\x00", "http://h\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := mgmt.New(mgmt.Options{URLs: []string{s, "http://second:15672"}})
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("New(%q): empty error", s)
			}
			return
		}
		u, err := url.Parse(c.Endpoint())
		if err != nil || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("New(%q) took it as endpoint %q (%v)", s, c.Endpoint(), err)
		}
		_ = mgmt.RedactURL(s)
	})
}

// TestRedactURLUnparseable: a URL net/url refuses (bad escape, bad port,
// unclosed IPv6 bracket) still loses its password, split as net/url would.
func TestRedactURLUnparseable(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:s3cr%zzet@h/api":       "http://u:xxxxx@h/api",
		"http://u:hunter2@h:99x":         "http://u:xxxxx@h:99x",
		"http://u:hunter2@[::1/x":        "http://u:xxxxx@[::1/x",
		"http://u:p@ss:w%zz@h@other/x?y": "http://u:xxxxx@other/x?y",
		"http://u@h:9x/x:p@q":            "http://u@h:9x/x:p@q", // no password in the authority
		"http://u:xxxxx@h/%zz":           "http://u:xxxxx@h/%zz",
	} {
		if _, err := url.Parse(in); err == nil {
			t.Fatalf("%q parses: not a case for this test", in)
		}
		if got := mgmt.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
