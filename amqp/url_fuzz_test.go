package amqp

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// canary stands in for the password to tell a leak from a coincidence.
const canary = "Qz9-Canary-Pw"

// FuzzSessionURL: a Session given an AMQP URL with credentials in it (as
// --amqp-url may carry them) never shows the password in an error, whether
// the URL is refused or a dial fails. The context is cancelled, so nothing
// is dialled.
func FuzzSessionURL(f *testing.F) {
	for _, c := range [][5]string{
		{"amqp", "bob", "hunter2!", "rabbit:5672", "/vhost"},
		{"amqps", "ops", "p@ss:word", "h:5671", ""},
		{"amqp", "u", "pa/ss/word", "h", ""},
		{"amqp", "u", "p^ss|w{rd}", "h", ""},
		{"amqp", "u", "s3cr%zzet", "h", ""},
		{"http", "u", "hunter2", "h", ""},
		{"amqp", "u", "hunter2", "", "/v"},
		{"amqp", "u", "hunter2", "[::1", "]:5672"},
	} {
		f.Add(c[0], c[1], c[2], c[3], c[4])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, rest string) {
		if !schemeRE.MatchString(scheme) || strings.ContainsAny(user, ":/?#@ ") || len(pass) < 4 ||
			strings.ContainsAny(pass, " \t\r\n") || strings.ContainsAny(host, "/?#@") {
			t.Skip()
		}
		for _, other := range []string{scheme, user, host, rest, "xxxxx", canary} {
			if strings.Contains(other, pass) {
				t.Skip()
			}
		}
		said := func(pw string) string {
			s := NewSession(Config{URL: scheme + "://" + user + ":" + pw + "@" + host + rest})
			defer s.Close()
			_, err := s.Inspect(ctx, "/", "q")
			if err == nil {
				return ""
			}
			return err.Error()
		}
		for _, form := range []string{pass, url.QueryEscape(pass)} {
			if strings.Contains(said(pass), form) && !strings.Contains(said(canary), form) {
				t.Fatalf("the error for %s://%s:%s@%s%s shows the password: %s", scheme, user, pass, host, rest, said(pass))
			}
		}
	})
}
