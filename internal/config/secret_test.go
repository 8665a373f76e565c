package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"http://u:p@h/x":          "http://u:xxxxx@h/x",
		"http://u@h":              "http://u@h",
		"http://h:15672":          "http://h:15672",
		"amqps://u:p@ss@h:5671/v": "amqps://u:xxxxx@h:5671/v",
		"https://:onlypass@h":     "https://:xxxxx@h",
		"dial http://a:b@h:1: refused; amqp://c:d@e/": "dial http://a:xxxxx@h:1: refused; amqp://c:xxxxx@e/",
		"http://h/path?x=a:b@c":                       "http://h/path?x=a:b@c",
		"not a url: a:b@c":                            "not a url: a:b@c",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactError(t *testing.T) {
	base := fmt.Errorf("login as bob with hunter!2 failed at http://bob:hunter%%212@h (query pw=hunter%%212) and http://x:other@y: %w", io.EOF)
	red := RedactError(base, "hunter!2", "")
	msg := red.Error()
	for _, leak := range []string{"hunter!2", "hunter%212", "other"} {
		if strings.Contains(msg, leak) {
			t.Errorf("%q leaks %q", msg, leak)
		}
	}
	if !strings.Contains(msg, "login as bob") || !strings.Contains(msg, "http://bob:xxxxx@h") {
		t.Errorf("too much redacted: %q", msg)
	}
	if !errors.Is(red, io.EOF) {
		t.Error("errors.Is lost the chain")
	}
	if RedactError(nil, "x") != nil {
		t.Error("nil error should stay nil")
	}
	if plain := errors.New("fine"); RedactError(plain, "secret") != plain {
		t.Error("an error without secrets should be returned as is")
	}
	ctx := Context{Password: "pw123"}
	if got := ctx.Redact(errors.New("bad pw123")).Error(); got != "bad xxxxx" {
		t.Errorf("Context.Redact: %q", got)
	}
}

func TestContextNeverPrintsPassword(t *testing.T) {
	const pw = "hunter2-very-secret"
	ctx := Context{Name: "prod", URLs: []string{"http://admin:" + pw + "@h:15672"}, AMQPURL: "amqp://admin:" + pw + "@h",
		User: "admin", Password: pw, Source: SourceConfig}
	cfg := &Config{Context: ctx, Contexts: []Context{ctx}}

	var outs []string
	outs = append(outs, fmt.Sprintf("%v %+v %#v %s %q %x", ctx, ctx, ctx, ctx, ctx, ctx))
	outs = append(outs, fmt.Sprintf("%v %+v %#v", &ctx, &ctx, &ctx))
	outs = append(outs, fmt.Sprintf("%v %+v %#v", cfg, cfg, *cfg))
	outs = append(outs, fmt.Sprint(ctx), fmt.Sprintln(cfg.Contexts))
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(js))
	for _, h := range []func(w io.Writer) slog.Handler{
		func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("connect", "ctx", ctx, "ptr", &ctx, "cfg", cfg)
		outs = append(outs, buf.String())
	}
	for i, out := range outs {
		if strings.Contains(out, pw) {
			t.Errorf("output %d leaks the password: %s", i, out)
		}
		if !strings.Contains(out, "prod") || !strings.Contains(out, "redacted") {
			t.Errorf("output %d does not describe the context: %s", i, out)
		}
	}
}
