package tlshint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	cert := &x509.Certificate{DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}
	for _, c := range []struct {
		err  error
		hint string
	}{
		{fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), "--ca-file"},
		{&tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: cert, Host: "127.0.0.1"}}, "for localhost, 10.0.0.1, not 127.0.0.1"},
		{fmt.Errorf("dial: %w", tls.AlertError(116)), "--cert-file and --key-file"},
		{tls.AlertError(42), "client certificate"},
		{&net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}, "--cert-file"},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "plain http/amqp"},
		{x509.CertificateInvalidError{Reason: x509.Expired}, "expired"},
	} {
		got := Explain(c.err)
		if !strings.Contains(got.Error(), c.hint) || !errors.Is(got, c.err) {
			t.Errorf("Explain(%v) = %v, want a hint with %q that unwraps to the error", c.err, got, c.hint)
		}
		if again := Explain(got); again != got {
			t.Errorf("explained twice: %v", again)
		}
	}
	plain := errors.New("connection refused")
	if Explain(plain) != plain || Explain(nil) != nil {
		t.Error("a non-TLS error changed")
	}
}
