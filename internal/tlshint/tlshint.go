// Package tlshint says what to do about a TLS failure: Go's errors name
// the check that failed ("x509: certificate signed by unknown authority",
// "remote error: tls: certificate required"), not the setting that fixes
// it. Explain adds that, and keeps the original error to unwrap.
package tlshint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
)

// Hinted is a TLS failure with what to do about it.
type Hinted struct {
	Err  error
	Hint string
}

func (h *Hinted) Error() string { return h.Err.Error() + " (" + h.Hint + ")" }
func (h *Hinted) Unwrap() error { return h.Err }

// Explain wraps err with a hint when it is a TLS failure mqtop's settings
// can fix; any other error is returned as it is.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var hinted *Hinted
	if errors.As(err, &hinted) {
		return err
	}
	if hint := hintFor(err); hint != "" {
		return &Hinted{Err: err, Hint: hint}
	}
	return err
}

func hintFor(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	var header tls.RecordHeaderError
	switch {
	case errors.As(err, &unknown):
		return "the server's certificate is signed by a CA this machine does not trust: give that CA with --ca-file (ca_file in the context)"
	case errors.As(err, &host):
		names := append([]string(nil), host.Certificate.DNSNames...)
		for _, ip := range host.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			names = []string{host.Certificate.Subject.CommonName}
		}
		return "the certificate is for " + strings.Join(names, ", ") + ", not " + host.Host +
			": connect by a name it carries, or set server_name in the context"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the server's certificate has expired or is not valid yet: check its dates and this machine's clock"
	case errors.As(err, &alert) && (alert == 116 || alert == 42),
		// Over TCP the alert the server sent is unexported (tls.alert),
		// so its text is all there is to go by.
		strings.Contains(err.Error(), "tls: certificate required"), strings.Contains(err.Error(), "tls: bad certificate"):
		// certificate_required (TLS 1.3), bad_certificate (1.2)
		return "the broker requires a client certificate it trusts: give --cert-file and --key-file (cert_file, key_file)"
	case errors.As(err, &header):
		return "the server did not answer in TLS: is this port plain http/amqp? use an http:// or amqp:// URL, or the TLS port"
	}
	return ""
}
