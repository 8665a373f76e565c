package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Built-in defaults.
const (
	DefaultURL      = "http://localhost:15672"
	DefaultUser     = "guest"
	defaultPassword = "guest"
)

// layer is one source of context settings (defaults, a file, the
// environment, flags). Zero values mean "not set here", so layers stack and
// the highest one that sets a field wins.
type layer struct {
	urls                              []string
	amqpURL, promURL                  string
	noProm                            *bool
	user, password, passwordFile      string
	urlUser, urlPassword              string // userinfo found in this layer's URLs
	urlPasswordFrom                   string // the flag or key whose URL held the password
	tls                               tlsLayer
	readOnly, allowBrowse, production *bool
	color, vhost                      string
}

type tlsLayer struct {
	caFile, certFile, keyFile, serverName string
	insecure                              *bool
}

func defaults() layer {
	return layer{urls: []string{DefaultURL}, user: DefaultUser}
}

// resolve stacks layers (lowest first) into a context. The password is left
// for fillPassword when it must come from a file or a prompt.
func resolve(name, source string, layers ...layer) (Context, error) {
	c := Context{Name: name, Source: source}
	pick := func(get func(l *layer) string) string {
		for i := len(layers) - 1; i >= 0; i-- {
			if v := get(&layers[i]); v != "" {
				return v
			}
		}
		return ""
	}
	flag := func(get func(l *layer) *bool) bool {
		for i := len(layers) - 1; i >= 0; i-- {
			if v := get(&layers[i]); v != nil {
				return *v
			}
		}
		return false
	}
	for i := len(layers) - 1; i >= 0 && c.URLs == nil; i-- {
		c.URLs = slices.Clone(layers[i].urls)
	}
	c.AMQPURL = pick(func(l *layer) string { return l.amqpURL })
	c.PrometheusURL = pick(func(l *layer) string { return l.promURL })
	for i := len(layers) - 1; i >= 0; i-- {
		if l := layers[i]; l.noProm != nil || l.promURL != "" {
			c.PrometheusDisabled = l.noProm != nil && *l.noProm
			break
		}
	}
	c.User = pick(func(l *layer) string {
		if l.user != "" {
			return l.user
		}
		return l.urlUser
	})
	// The highest layer naming any password source decides, so a
	// --password-file beats a password written in the config file.
	for i := len(layers) - 1; i >= 0; i-- {
		l := layers[i]
		if l.password != "" || l.passwordFile != "" || l.urlPassword != "" {
			switch {
			case l.password != "":
				c.Password = l.password
			case l.passwordFile != "":
				c.passwordFile = l.passwordFile
			default:
				c.Password = l.urlPassword
			}
			break
		}
	}
	if c.Password == "" && c.passwordFile == "" && c.User == DefaultUser {
		c.Password = defaultPassword
	}
	c.TLS = TLS{
		CAFile:             pick(func(l *layer) string { return l.tls.caFile }),
		CertFile:           pick(func(l *layer) string { return l.tls.certFile }),
		KeyFile:            pick(func(l *layer) string { return l.tls.keyFile }),
		ServerName:         pick(func(l *layer) string { return l.tls.serverName }),
		InsecureSkipVerify: flag(func(l *layer) *bool { return l.tls.insecure }),
	}
	c.ReadOnly = flag(func(l *layer) *bool { return l.readOnly })
	c.AllowBrowse = flag(func(l *layer) *bool { return l.allowBrowse })
	c.Production = flag(func(l *layer) *bool { return l.production })
	c.Color = pick(func(l *layer) string { return l.color })
	c.VHost = pick(func(l *layer) string { return l.vhost })

	if len(c.URLs) == 0 {
		return c, fmt.Errorf("context %q has no management URL", name)
	}
	// An empty AMQP or Prometheus URL means: the port the answering node
	// lists among its listeners, on the management host (found and checked
	// against the broker's identity at run time, not guessed here).
	if c.PrometheusDisabled {
		c.PrometheusURL = ""
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return c, fmt.Errorf("context %q: cert_file and key_file must be set together", name)
	}
	return c, nil
}

type urlKind struct {
	what    string
	schemes []string
	strip   string // a path suffix people paste but the client appends itself
	query   bool
}

var (
	mgmtKind = urlKind{what: "management URL", schemes: []string{"http", "https"}, strip: "/api"}
	amqpKind = urlKind{what: "AMQP URL", schemes: []string{"amqp", "amqps"}, query: true}
	promKind = urlKind{what: "Prometheus URL", schemes: []string{"http", "https"}, strip: "/metrics"}
)

// cleanURL validates raw and returns it without userinfo, which it returns
// separately. Error messages quote raw with its password redacted.
func cleanURL(raw string, k urlKind) (clean, user, pass string, err error) {
	raw = strings.TrimSpace(raw)
	shown := RedactURL(raw)
	if !strings.Contains(raw, "://") {
		return "", "", "", fmt.Errorf("%s %q has no scheme; write %s://%s", k.what, shown, k.schemes[0], shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", "", "", fmt.Errorf("%s %q is not a valid URL: %s", k.what, shown, RedactURL(err.Error()))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if !slices.Contains(k.schemes, u.Scheme) {
		return "", "", "", fmt.Errorf("%s %q: scheme %q is not supported; use %s", k.what, shown, u.Scheme, strings.Join(k.schemes, " or "))
	}
	if u.Hostname() == "" {
		return "", "", "", fmt.Errorf("%s %q: missing host", k.what, shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", "", fmt.Errorf("%s %q: bad port %q", k.what, shown, p)
		}
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	if !k.query && u.RawQuery != "" {
		return "", "", "", fmt.Errorf("%s %q: unexpected query %q", k.what, shown, u.RawQuery)
	}
	// A fragment is what a browser adds to the management UI's address
	// (http://host:15672/#/queues); it never means anything to the API.
	u.Fragment, u.RawFragment = "", ""
	if k.what != amqpKind.what { // an AMQP path is the vhost: keep it verbatim
		u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), k.strip)
		u.RawPath = ""
	}
	return u.String(), user, pass, nil
}

func (l *layer) setURLs(raws []string, origin string) error {
	for _, raw := range raws {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		clean, user, pass, err := cleanURL(raw, mgmtKind)
		if err != nil {
			return fmt.Errorf("%s: %w", origin, err)
		}
		l.urls = append(l.urls, clean)
		l.takeUserinfo(user, pass, origin)
	}
	return nil
}

func (l *layer) setAMQP(raw, origin string) error {
	if raw == "" {
		return nil
	}
	var cleaned []string
	for _, part := range SplitAMQPURLs(raw) {
		clean, user, pass, err := cleanURL(part, amqpKind)
		if err != nil {
			return fmt.Errorf("%s: %w", origin, err)
		}
		cleaned = append(cleaned, clean)
		l.takeUserinfo(user, pass, origin)
	}
	if len(cleaned) == 0 {
		return nil
	}
	// Several: one per node, tried in order (the first is AMQPURL).
	l.amqpURL = strings.Join(cleaned, ",")
	return nil
}

func (l *layer) setProm(raw, origin string) error {
	if raw == "" {
		return nil
	}
	// Several: one per node of a cluster, every one scraped.
	var cleaned []string
	for _, part := range SplitURLs(raw) {
		clean, user, pass, err := cleanURL(part, promKind)
		if err != nil {
			return fmt.Errorf("%s: %w", origin, err)
		}
		cleaned = append(cleaned, clean)
		l.takeUserinfo(user, pass, origin)
	}
	l.promURL = strings.Join(cleaned, ",")
	return nil
}

// takeUserinfo keeps the first credentials seen in this layer's URLs.
func (l *layer) takeUserinfo(user, pass, origin string) {
	if l.urlUser == "" && l.urlPassword == "" {
		l.urlUser, l.urlPassword = user, pass
		if pass != "" {
			l.urlPasswordFrom = origin
		}
	}
}

// colorNames map to ANSI numbers, which every terminal and lipgloss
// understand, so the UI needs no table of its own.
var colorNames = map[string]string{
	"black": "0", "red": "1", "green": "2", "yellow": "3", "blue": "4", "magenta": "5", "cyan": "6", "white": "7",
	"gray": "8", "grey": "8", "brightblack": "8", "brightred": "9", "brightgreen": "10", "brightyellow": "11",
	"brightblue": "12", "brightmagenta": "13", "brightcyan": "14", "brightwhite": "15",
	"orange": "208", "pink": "205", "purple": "93",
}

// normalizeColor accepts "#rgb", "#rrggbb", an ANSI number 0-255 or a name
// (red, bright-red, orange…) and returns "#rrggbb" or the ANSI number.
func normalizeColor(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if hex, ok := strings.CutPrefix(s, "#"); ok {
		if len(hex) == 3 {
			hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
		}
		if _, err := strconv.ParseUint(hex, 16, 32); err == nil && len(hex) == 6 {
			return "#" + hex, nil
		}
		return "", fmt.Errorf("color %q: want #rgb or #rrggbb", s)
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 255 {
			return "", fmt.Errorf("color %q: ANSI colors are 0 to 255", s)
		}
		return strconv.Itoa(n), nil
	}
	if v, ok := colorNames[strings.NewReplacer("-", "", "_", "", " ", "").Replace(s)]; ok {
		return v, nil
	}
	return "", fmt.Errorf("color %q: want #rrggbb, an ANSI number 0-255 or a name like red, bright-blue, orange", s)
}

func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
		return filepath.Join(home, rest)
	}
	return p
}

// relTo resolves a path written in a file relative to that file's
// directory, which is what people expect when they keep certs beside it.
func relTo(p, dir, home string) string {
	p = expandHome(p, home)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
