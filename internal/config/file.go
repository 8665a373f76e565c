package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlFile is mqtop's config file. contexts is a map keyed by context name
// (names are unique by construction); its order in the file is kept.
type yamlFile struct {
	CurrentContext string                 `yaml:"current_context"`
	Refresh        string                 `yaml:"refresh"`
	Contexts       map[string]yamlContext `yaml:"contexts"`
	Keys           map[string]keyList     `yaml:"keys"`
}

type yamlContext struct {
	URL           string   `yaml:"url"`
	URLs          []string `yaml:"urls"`
	AMQPURL       string   `yaml:"amqp_url"`
	PrometheusURL string   `yaml:"prometheus_url"`
	Prometheus    *bool    `yaml:"prometheus"`
	User          string   `yaml:"user"`
	Password      string   `yaml:"password"`
	PasswordFile  string   `yaml:"password_file"`
	TLS           yamlTLS  `yaml:"tls"`
	ReadOnly      *bool    `yaml:"read_only"`
	AllowBrowse   *bool    `yaml:"allow_browse"`
	Production    *bool    `yaml:"production"`
	Color         string   `yaml:"color"`
	Colour        string   `yaml:"colour"`
	VHost         string   `yaml:"vhost"`
}

type yamlTLS struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify *bool  `yaml:"insecure_skip_verify"`
	ServerName         string `yaml:"server_name"`
}

// keyList lets a binding be one key ("q") or several (["q", "ctrl+c"]).
type keyList []string

func (k *keyList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*k = keyList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*k = s
	return nil
}

type fileConfig struct {
	path     string
	current  string
	refresh  string
	keys     map[string][]string
	contexts []namedLayer
	warnings []string
}

// yamlTypeNames turns yaml.v3's Go type names into the file's vocabulary.
var yamlTypeNames = strings.NewReplacer(
	" in type config.yamlContext", " in a context",
	" in type config.yamlTLS", " in tls",
	" in type config.yamlFile", "",
)

// loadFile reads mqtop's YAML file. A missing file is fine unless the user
// named it; unknown fields are errors, because a typo in read_only must not
// silently leave a production cluster writable.
func loadFile(path string, explicit bool, home string) (*fileConfig, error) {
	b, mode, err := readWithMode(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read config file %s: %w", path, err)
	}
	var yf yamlFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&yf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config file %s: %s", path, yamlTypeNames.Replace(err.Error()))
	}
	var order struct {
		Contexts yaml.Node `yaml:"contexts"`
	}
	_ = yaml.Unmarshal(b, &order) // already decoded strictly above

	fc := &fileConfig{path: path, current: yf.CurrentContext, refresh: yf.Refresh}
	if len(yf.Keys) > 0 {
		fc.keys = map[string][]string{}
		for action, keys := range yf.Keys {
			for _, k := range keys {
				if strings.TrimSpace(k) == "" {
					return nil, fmt.Errorf("config file %s: keys: %s has an empty key", path, action)
				}
			}
			fc.keys[action] = keys
		}
	}
	hasPassword := false
	for i := 0; i+1 < len(order.Contexts.Content); i += 2 {
		name := order.Contexts.Content[i].Value
		yc := yf.Contexts[name]
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("config file %s: a context has an empty name", path)
		}
		l, err := yc.layer(filepath.Dir(path), home)
		if err != nil {
			return nil, fmt.Errorf("config file %s: context %q: %w", path, name, err)
		}
		hasPassword = hasPassword || yc.Password != ""
		fc.contexts = append(fc.contexts, namedLayer{name: name, source: SourceConfig, layer: l})
	}
	// As ssh with a private key: a password others can read is refused. A
	// file others can change is only warned about: they could point mqtop,
	// and the password it sends, at another host.
	switch {
	case hasPassword && groupOrOthers(mode, 0o044):
		return nil, fmt.Errorf("config file %s holds a password and can be read by group or others (mode %04o); run chmod 600 %s, or move the password to a password_file",
			path, mode.Perm(), path)
	case groupOrOthers(mode, 0o022):
		fc.warnings = append(fc.warnings, fmt.Sprintf("config file %s can be changed by group or others (mode %04o), who could send your credentials to another host; run chmod go-w %s",
			path, mode.Perm(), path))
	}
	return fc, nil
}

// readWithMode reads a file and returns the mode of the file it read (not
// of what the path names by the time it is checked).
func readWithMode(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	b, err := io.ReadAll(f)
	return b, fi.Mode(), err
}

func (yc yamlContext) layer(dir, home string) (layer, error) {
	l := layer{
		user:         yc.User,
		password:     yc.Password,
		passwordFile: relTo(yc.PasswordFile, dir, home),
		noProm:       negate(yc.Prometheus),
		readOnly:     yc.ReadOnly,
		allowBrowse:  yc.AllowBrowse,
		production:   yc.Production,
		vhost:        yc.VHost,
		tls: tlsLayer{
			caFile:     relTo(yc.TLS.CAFile, dir, home),
			certFile:   relTo(yc.TLS.CertFile, dir, home),
			keyFile:    relTo(yc.TLS.KeyFile, dir, home),
			serverName: yc.TLS.ServerName,
			insecure:   yc.TLS.InsecureSkipVerify,
		},
	}
	if yc.Password != "" && yc.PasswordFile != "" {
		return l, errors.New("set password or password_file, not both")
	}
	urls := yc.URLs
	if yc.URL != "" {
		urls = append([]string{yc.URL}, urls...)
	}
	if err := l.setURLs(urls, "url"); err != nil {
		return l, err
	}
	if err := l.setAMQP(yc.AMQPURL, "amqp_url"); err != nil {
		return l, err
	}
	if err := l.setProm(yc.PrometheusURL, "prometheus_url"); err != nil {
		return l, err
	}
	color := yc.Color
	if color == "" {
		color = yc.Colour
	}
	var err error
	l.color, err = normalizeColor(color)
	return l, err
}

func negate(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := !*b
	return &v
}

func fileContexts(fc *fileConfig) []namedLayer {
	if fc == nil {
		return nil
	}
	return fc.contexts
}

// ValidateKeys checks that every action in keys is one of known; the error
// lists the unknown names and the known ones.
func ValidateKeys(keys map[string][]string, known []string) error {
	var unknown []string
	for action := range keys {
		if !slices.Contains(known, action) {
			unknown = append(unknown, fmt.Sprintf("%q", action))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	k := slices.Clone(known)
	slices.Sort(k)
	return fmt.Errorf("keys: unknown action %s; known actions: %s", strings.Join(unknown, ", "), strings.Join(k, ", "))
}
