package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/ini.v1"
)

// rabbitmqadmin's config file comes in two formats, both with one section
// per node:
//
//   - v1 (the Python rabbitmqadmin, INI via ConfigParser): hostname, port,
//     username, password, vhost, ssl (True/False), ssl_key_file,
//     ssl_cert_file, ssl_ca_cert_file, ssl_insecure, path_prefix (put before
//     /api), base_uri (only its host, port and credentials count). Port
//     15672 even with ssl.
//   - v2 (rabbitmqadmin-ng, TOML): hostname, port, username, password,
//     virtual_host, scheme, tls (bool), base_uri, path_prefix (includes
//     /api), ca_certificate_bundle_path, client_certificate_file_path,
//     client_private_key_file_path. Port 15671 with tls.
//
// Both spellings are accepted in both formats: the file is someone else's,
// so mqtop is lenient with it and never lets it stop start-up unless it was
// named explicitly.

type raFile struct {
	path     string
	sections []namedLayer // named by section; renamed on a clash in contexts
	warnings []string
}

func rabbitmqadminPath(f *flagValues, getenv func(string) string, home string) (path string, explicit bool) {
	if f.changed["rabbitmqadmin-config"] {
		return f.raConfig, f.raConfig != ""
	}
	if v := getenv("RABBITMQADMIN_CONFIG"); v != "" {
		return expandHome(v, home), false
	}
	if home == "" {
		return "", false
	}
	return filepath.Join(home, ".rabbitmqadmin.conf"), false
}

func loadRabbitmqadmin(path string, explicit bool, home string) (*raFile, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil, nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		err = fmt.Errorf("read rabbitmqadmin config %s: %w", path, err)
		if explicit {
			return nil, err
		}
		return &raFile{warnings: []string{err.Error()}}, nil
	}
	raw, v2, err := parseRabbitmqadmin(b)
	if err != nil {
		err = fmt.Errorf("rabbitmqadmin config %s: %w", path, err)
		if explicit {
			return nil, err
		}
		return &raFile{warnings: []string{err.Error() + " (ignored)"}}, nil
	}
	ra := &raFile{path: path}
	hasPassword := false
	for _, s := range raw {
		l, warns, err := raLayer(s.kv, v2, filepath.Dir(path), home)
		for _, w := range warns {
			ra.warnings = append(ra.warnings, fmt.Sprintf("rabbitmqadmin config %s: [%s]: %s", path, s.name, w))
		}
		if err != nil {
			ra.warnings = append(ra.warnings, fmt.Sprintf("rabbitmqadmin config %s: [%s] skipped: %v", path, s.name, err))
			continue
		}
		hasPassword = hasPassword || l.password != ""
		ra.sections = append(ra.sections, namedLayer{name: s.name, source: SourceRabbitmqadmin, layer: l})
	}
	if hasPassword {
		ra.warnings = append(ra.warnings, permWarning(path, "rabbitmqadmin config with passwords")...)
	}
	return ra, nil
}

// contexts names each section after itself unless mqtop's own file already
// has that name.
func (ra *raFile) contexts(taken []namedLayer) []namedLayer {
	out := make([]namedLayer, 0, len(ra.sections))
	for _, s := range ra.sections {
		if slices.ContainsFunc(taken, func(n namedLayer) bool { return n.name == s.name }) {
			s.name = "rabbitmqadmin:" + s.name
		}
		out = append(out, s)
	}
	return out
}

type rawSection struct {
	name string
	kv   map[string]string
}

// parseRabbitmqadmin tries TOML first: v1 files are rarely valid TOML
// (bare strings, True), while ini would happily read a v2 file but keep its
// quotes wrong.
func parseRabbitmqadmin(b []byte) ([]rawSection, bool, error) {
	var m map[string]any
	md, tomlErr := toml.Decode(string(b), &m)
	if tomlErr == nil {
		var out []rawSection
		for _, k := range md.Keys() {
			if len(k) != 1 {
				continue
			}
			tbl, ok := m[k[0]].(map[string]any)
			if !ok {
				continue
			}
			kv := map[string]string{}
			for key, v := range tbl {
				kv[strings.ToLower(key)] = fmt.Sprint(v)
			}
			out = append(out, rawSection{name: k[0], kv: kv})
		}
		return out, true, nil
	}
	f, err := ini.LoadSources(ini.LoadOptions{InsensitiveKeys: true, IgnoreInlineComment: true}, b)
	if err != nil {
		return nil, false, fmt.Errorf("neither TOML (%v) nor INI (%v)", tomlErr, err)
	}
	defaults := map[string]string{}
	for _, k := range f.Section(ini.DefaultSection).Keys() {
		defaults[k.Name()] = k.Value()
	}
	var out []rawSection
	for _, s := range f.Sections() {
		if s.Name() == ini.DefaultSection {
			continue
		}
		kv := maps.Clone(defaults)
		for _, k := range s.Keys() {
			kv[k.Name()] = k.Value()
		}
		for k, v := range kv {
			if k != "password" { // a password may contain " #"
				kv[k] = inlineComment.ReplaceAllString(v, "")
			}
		}
		out = append(out, rawSection{name: s.Name(), kv: kv})
	}
	return out, false, nil
}

// inlineComment strips "value  # note", which rabbitmqadmin's own example
// file uses although Python 3's ConfigParser keeps it in the value.
var inlineComment = regexp.MustCompile(`\s+[#;].*$`)

func raLayer(kv map[string]string, v2 bool, dir, home string) (layer, []string, error) {
	get := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(kv[k]); v != "" {
				return v
			}
		}
		return ""
	}
	var warns []string
	host, port := get("hostname", "host"), get("port")
	useTLS := truthy(get("ssl", "tls")) || strings.EqualFold(get("scheme"), "https")
	user, pass := get("username", "user"), kv["password"]
	if base := get("base_uri"); base != "" {
		u, err := url.Parse(base)
		if err != nil || u.Hostname() == "" {
			return layer{}, nil, fmt.Errorf("base_uri %q is not a URL with a host", RedactURL(base))
		}
		host = u.Hostname()
		if u.Port() != "" {
			port = u.Port()
		}
		useTLS = useTLS || strings.EqualFold(u.Scheme, "https")
		if u.User != nil {
			user = u.User.Username()
			if p, ok := u.User.Password(); ok {
				pass = p
			}
		}
	}
	if host == "" {
		host = "localhost"
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	if port == "" {
		port = "15672"
		if v2 && useTLS {
			port = "15671"
		}
	}
	prefix := get("path_prefix")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	l := layer{user: user, password: pass, vhost: get("vhost", "virtual_host")}
	if err := l.setURLs([]string{scheme + "://" + net.JoinHostPort(host, port) + prefix}, "hostname/port"); err != nil {
		return layer{}, nil, err
	}
	l.tls = tlsLayer{
		caFile:   relTo(get("ssl_ca_cert_file", "ca_certificate_bundle_path"), dir, home),
		certFile: relTo(get("ssl_cert_file", "client_certificate_file_path"), dir, home),
		keyFile:  relTo(get("ssl_key_file", "client_private_key_file_path"), dir, home),
	}
	// v1 loads a client certificate only when both halves are set.
	if (l.tls.certFile == "") != (l.tls.keyFile == "") {
		warns = append(warns, "client certificate and key must be set together; ignoring them")
		l.tls.certFile, l.tls.keyFile = "", ""
	}
	if truthy(get("ssl_insecure")) {
		t := true
		l.tls.insecure = &t
	}
	if truthy(get("ssl_disable_hostname_verification")) {
		warns = append(warns, "ssl_disable_hostname_verification is not supported; set tls.server_name in mqtop's config instead")
	}
	return l, warns, nil
}

func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}
