package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// A v1 file as people write it after rabbitmqadmin's own example, inline
// comments and a [DEFAULT] section included.
const v1Sample = `# ~/.rabbitmqadmin.conf
[DEFAULT]
username = ops
password = opspass

[default]
hostname = localhost
port = 15672
username = guest
password = guest
declare_vhost = / # Used as default for declare / delete only
vhost = /         # Used as default for declare / delete / list

[host_ssl]
hostname = otherhost
ssl = True
ssl_key_file = /path/to/key.pem
ssl_cert_file = /path/to/cert.pem
ssl_ca_cert_file = ca.pem
ssl_insecure = False
path_prefix = rabbitmq

[prod]
base_uri = https://admin:p%23ss@rabbit.prod:443
vhost = orders

[weird]
hostname = weird.example.com
password = we;ird #pass
ssl_insecure = True

[broken]
hostname = b
port = abc
`

const v2Sample = `# rabbitmqadmin-ng
[default]
hostname = "localhost"
port = 15672
username = "guest"
password = "guest"
virtual_host = "/"

[staging]
hostname = "rabbit.staging.example.com"
username = "admin"
password = "s3cr3t"
tls = true
ca_certificate_bundle_path = "/etc/ssl/staging-ca.pem"
client_certificate_file_path = "/etc/ssl/client.pem"
client_private_key_file_path = "~/client.key"

[proxied]
scheme = "https"
hostname = "lb.example.com"
port = 8443
path_prefix = "/rabbitmq/api"
username = "u"
password = "p"
`

func TestRabbitmqadminV1(t *testing.T) {
	h := newHarness(t)
	path := h.writeRabbitmqadmin(v1Sample)
	cfg := h.mustLoad()
	got := map[string]Context{}
	for _, c := range cfg.Contexts {
		got[c.Name] = c
	}
	if cfg.Context.Name != "default" || cfg.Context.Source != SourceRabbitmqadmin {
		t.Errorf("chose %s from %s, want rabbitmqadmin's [default]", cfg.Context.Name, cfg.Context.Source)
	}
	cases := []struct {
		name, url, user, pass, vhost string
		tls                          TLS
	}{
		{name: "default", url: "http://localhost:15672", user: "guest", pass: "guest", vhost: "/"},
		{name: "host_ssl", url: "https://otherhost:15672/rabbitmq", user: "ops", pass: "opspass",
			tls: TLS{CAFile: filepath.Join(h.opts.HomeDir, "ca.pem"), CertFile: "/path/to/cert.pem", KeyFile: "/path/to/key.pem"}},
		{name: "prod", url: "https://rabbit.prod:443", user: "admin", pass: "p#ss", vhost: "orders"},
		{name: "weird", url: "http://weird.example.com:15672", user: "ops", pass: "we;ird #pass", tls: TLS{InsecureSkipVerify: true}},
	}
	for _, c := range cases {
		ctx, ok := got[c.name]
		if !ok {
			t.Errorf("no context %q in %q", c.name, cfg.Names())
			continue
		}
		if ctx.URLs[0] != c.url || ctx.User != c.user || ctx.Password != c.pass || ctx.VHost != c.vhost || ctx.TLS != c.tls || ctx.Source != SourceRabbitmqadmin {
			t.Errorf("%s: got %q user=%q pass=%q vhost=%q tls=%+v", c.name, ctx.URLs, ctx.User, ctx.Password, ctx.VHost, ctx.TLS)
		}
	}
	if _, ok := got["broken"]; ok {
		t.Error("section with a bad port should be skipped")
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "[broken] skipped") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	if len(cfg.Files) != 1 || cfg.Files[0] != path {
		t.Errorf("files %q", cfg.Files)
	}
}

func TestRabbitmqadminV2(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("contexts: {default: {url: 'http://mine:15672'}}")
	h.writeRabbitmqadmin(v2Sample)
	cfg := h.mustLoad()
	if names := strings.Join(cfg.Names(), ","); names != "default,rabbitmqadmin:default,staging,proxied" {
		t.Fatalf("names %s", names)
	}
	if cfg.Context.URLs[0] != "http://mine:15672" {
		t.Errorf("mqtop's own default should win: %q", cfg.Context.URLs)
	}
	st, _, err := cfg.Switch("staging")
	if err != nil {
		t.Fatal(err)
	}
	wantTLS := TLS{CAFile: "/etc/ssl/staging-ca.pem", CertFile: "/etc/ssl/client.pem", KeyFile: filepath.Join(h.opts.HomeDir, "client.key")}
	if st.URLs[0] != "https://rabbit.staging.example.com:15671" || st.AMQPURL != "" ||
		st.User != "admin" || st.Password != "s3cr3t" || st.TLS != wantTLS {
		t.Errorf("staging %#v tls %+v", st, st.TLS)
	}
	px, _, _ := cfg.Switch("proxied")
	if px.URLs[0] != "https://lb.example.com:8443/rabbitmq" {
		t.Errorf("proxied %q", px.URLs)
	}
	rd, _, _ := cfg.Switch("rabbitmqadmin:default")
	if rd.URLs[0] != "http://localhost:15672" || rd.VHost != "/" {
		t.Errorf("rabbitmqadmin:default %q %q", rd.URLs, rd.VHost)
	}
}

func TestRabbitmqadminFileSelection(t *testing.T) {
	t.Run("env path", func(t *testing.T) {
		h := newHarness(t)
		h.env["RABBITMQADMIN_CONFIG"] = writeFile(t, filepath.Join(t.TempDir(), "ra.conf"), "[lab]\nhostname = lab\n", 0o600)
		if names := h.mustLoad().Names(); len(names) != 2 || names[1] != "lab" {
			t.Errorf("names %q", names)
		}
	})
	t.Run("flag disables", func(t *testing.T) {
		h := newHarness(t)
		h.writeRabbitmqadmin("[lab]\nhostname = lab\n")
		if names := h.mustLoad("--rabbitmqadmin-config="); len(names.Contexts) != 1 {
			t.Errorf("names %q", names.Names())
		}
	})
	t.Run("unparsable default file is a warning", func(t *testing.T) {
		h := newHarness(t)
		h.writeRabbitmqadmin("[unclosed\nhostname = x\n")
		cfg := h.mustLoad()
		if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "ignored") {
			t.Errorf("warnings %q", cfg.Warnings)
		}
	})
	t.Run("unparsable explicit file is an error", func(t *testing.T) {
		h := newHarness(t)
		p := writeFile(t, filepath.Join(t.TempDir(), "ra.conf"), "[unclosed\n", 0o600)
		if _, err := h.load("--rabbitmqadmin-config", p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing explicit file is an error", func(t *testing.T) {
		if _, err := newHarness(t).load("--rabbitmqadmin-config", "/nonexistent/ra.conf"); err == nil || !strings.Contains(err.Error(), "no such file") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("world-readable file with passwords warns", func(t *testing.T) {
		h := newHarness(t)
		writeFile(t, filepath.Join(h.opts.HomeDir, ".rabbitmqadmin.conf"), "[lab]\nhostname = lab\npassword = x\n", 0o644)
		cfg := h.mustLoad()
		if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "readable by group or others") {
			t.Errorf("warnings %q", cfg.Warnings)
		}
	})
}
