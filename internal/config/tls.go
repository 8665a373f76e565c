package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Insecure reports whether certificate verification is off, so the UI can
// show a warning badge.
func (c Context) Insecure() bool { return c.TLS.InsecureSkipVerify }

// TLSConfig builds the client TLS configuration for the management, AMQP and
// Prometheus connections of this context. ca_file is added to the system
// roots (a private CA usually sits beside public ones on a proxy); when the
// system pool is unavailable it is used alone.
func (c Context) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.TLS.ServerName,
		InsecureSkipVerify: c.TLS.InsecureSkipVerify, //nolint:gosec // the user asked, and the UI shows it
	}
	if c.TLS.CAFile != "" {
		pem, err := readFile(c.TLS.CAFile, "ca_file")
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s has no PEM certificates", c.TLS.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile != "":
		certPEM, err := readFile(c.TLS.CertFile, "cert_file")
		if err != nil {
			return nil, err
		}
		keyPEM, err := readFile(c.TLS.KeyFile, "key_file")
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s with key %s: %w", c.TLS.CertFile, c.TLS.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	case c.TLS.CertFile != "":
		return nil, fmt.Errorf("cert_file %s is set without key_file", c.TLS.CertFile)
	case c.TLS.KeyFile != "":
		return nil, fmt.Errorf("key_file %s is set without cert_file", c.TLS.KeyFile)
	}
	return cfg, nil
}

// readFile names the setting in the error ("read ca_file /x: no such file
// or directory") instead of the bare "open /x".
func readFile(path, what string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	return b, nil
}
