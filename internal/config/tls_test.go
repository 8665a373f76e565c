package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testPKI struct {
	caFile, certFile, keyFile string
	ca, server                *x509.Certificate
}

// newPKI writes a self-signed CA, a client certificate and key signed by
// it, and returns a server certificate for rabbit.internal to verify.
func newPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mqtop test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) (*x509.Certificate, []byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, der, key
	}
	server, _, _ := issue(2, "rabbit.internal", x509.ExtKeyUsageServerAuth)
	_, clientDER, clientKey := issue(3, "mqtop", x509.ExtKeyUsageClientAuth)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(clientKey)
	p := testPKI{ca: ca, server: server,
		caFile:   writeFile(t, filepath.Join(dir, "ca.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})), 0o600),
		certFile: writeFile(t, filepath.Join(dir, "client.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER})), 0o600),
		keyFile:  writeFile(t, filepath.Join(dir, "client.key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})), 0o600),
	}
	return p
}

func TestTLSConfig(t *testing.T) {
	pki := newPKI(t)
	ctx := Context{TLS: TLS{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile, ServerName: "rabbit.internal"}}
	cfg, err := ctx.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "rabbit.internal" || cfg.InsecureSkipVerify || ctx.Insecure() {
		t.Errorf("server name %q insecure %v", cfg.ServerName, cfg.InsecureSkipVerify)
	}
	// The CA must actually be trusted: a server certificate it signed verifies.
	if _, err := pki.server.Verify(x509.VerifyOptions{Roots: cfg.RootCAs, DNSName: "rabbit.internal"}); err != nil {
		t.Errorf("server cert does not verify against RootCAs: %v", err)
	}
	if len(cfg.Certificates) != 1 || cfg.Certificates[0].Leaf == nil || cfg.Certificates[0].Leaf.Subject.CommonName != "mqtop" {
		t.Errorf("client certificate not loaded: %+v", cfg.Certificates)
	}

	def, err := Context{}.TLSConfig()
	if err != nil || def.RootCAs != nil || len(def.Certificates) != 0 {
		t.Errorf("default config should use system roots and no client cert: %+v %v", def, err)
	}
	ins := Context{TLS: TLS{InsecureSkipVerify: true}}
	if c, _ := ins.TLSConfig(); !c.InsecureSkipVerify || !ins.Insecure() {
		t.Error("insecure_skip_verify not applied")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	pki := newPKI(t)
	notPEM := writeFile(t, filepath.Join(t.TempDir(), "x.pem"), "not a certificate\n", 0o600)
	cases := []struct {
		name string
		tls  TLS
		want string
	}{
		{"missing ca", TLS{CAFile: "/nonexistent/ca.pem"}, "read ca_file /nonexistent/ca.pem: no such file or directory"},
		{"ca not pem", TLS{CAFile: notPEM}, "ca_file " + notPEM + " has no PEM certificates"},
		{"missing cert", TLS{CertFile: "/nonexistent/c.pem", KeyFile: pki.keyFile}, "read cert_file /nonexistent/c.pem: no such file"},
		{"missing key", TLS{CertFile: pki.certFile, KeyFile: "/nonexistent/k.pem"}, "read key_file /nonexistent/k.pem"},
		{"cert without key", TLS{CertFile: pki.certFile}, "set without key_file"},
		{"key without cert", TLS{KeyFile: pki.keyFile}, "set without cert_file"},
		{"key is not a key", TLS{CertFile: pki.certFile, KeyFile: pki.caFile}, "client certificate " + pki.certFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Context{TLS: c.tls}.TLSConfig()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestTLSFlagsOverride(t *testing.T) {
	pki := newPKI(t)
	h := newHarness(t)
	h.writeConfig("contexts: {p: {url: 'https://p', tls: {ca_file: /file/ca.pem, insecure_skip_verify: true}}}")
	c := h.mustLoad("--ca-file", pki.caFile, "--cert-file", pki.certFile, "--key-file", pki.keyFile, "--insecure-skip-verify=false").Context
	if c.TLS.CAFile != pki.caFile || c.TLS.CertFile != pki.certFile || c.Insecure() {
		t.Errorf("tls %+v", c.TLS)
	}
	if _, err := c.TLSConfig(); err != nil {
		t.Error(err)
	}
}
