package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TLSFiles are the PEM files of a test's own certificate authority: a
// server certificate for localhost only (so that 127.0.0.1 is "another
// name" and hostname verification can be shown to refuse it) and a client
// certificate for mutual TLS.
type TLSFiles struct {
	Dir                   string
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	StrangerCA            string // another CA, which signed nothing here
}

// NewTLSFiles generates the CA and certificates into a temporary directory.
func NewTLSFiles(t testing.TB) TLSFiles {
	t.Helper()
	dir := t.TempDir()
	f := TLSFiles{Dir: dir}
	caKey, caCert, caDER := newCA(t, "mqtop test CA")
	f.CA = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)
	_, _, strangerDER := newCA(t, "a CA nobody trusts")
	f.StrangerCA = writePEM(t, dir, "stranger-ca.pem", "CERTIFICATE", strangerDER)
	f.ServerCert, f.ServerKey = leaf(t, dir, "server", caKey, caCert, &x509.Certificate{
		Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	f.ClientCert, f.ClientKey = leaf(t, dir, "client", caKey, caCert, &x509.Certificate{
		Subject: pkix.Name{CommonName: "mqtop-test-client"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return f
}

func newCA(t testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, der
}

func leaf(t testing.TB, dir, name string, caKey *ecdsa.PrivateKey, ca *x509.Certificate, tmpl *x509.Certificate) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+".key", "PRIVATE KEY", keyDER)
}

func writePEM(t testing.TB, dir, name, kind string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort is a loopback port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TLSBroker is a broker of the test's own with TLS listeners that require
// a client certificate: amqps on AMQPSPort and the management API over
// https on HTTPSPort (plain listeners stay, for the test's own API calls).
type TLSBroker struct {
	Other
	AMQPSPort, HTTPSPort int
}

// StartTLSBroker starts it with f's server certificate.
func StartTLSBroker(t testing.TB, f TLSFiles) TLSBroker {
	t.Helper()
	amqps, https := freePort(t), freePort(t)
	conf := strings.Join([]string{
		fmt.Sprintf("listeners.ssl.default = 127.0.0.1:%d", amqps),
		"ssl_options.cacertfile = " + f.CA,
		"ssl_options.certfile = " + f.ServerCert,
		"ssl_options.keyfile = " + f.ServerKey,
		"ssl_options.verify = verify_peer",
		"ssl_options.fail_if_no_peer_cert = true",
		fmt.Sprintf("management.ssl.port = %d", https),
		"management.ssl.ip = 127.0.0.1",
		"management.ssl.cacertfile = " + f.CA,
		"management.ssl.certfile = " + f.ServerCert,
		"management.ssl.keyfile = " + f.ServerKey,
		"management.ssl.verify = verify_peer",
		"management.ssl.fail_if_no_peer_cert = true",
	}, "\n")
	o := StartBroker(t, BrokerOptions{ExtraConf: conf})
	return TLSBroker{Other: o, AMQPSPort: amqps, HTTPSPort: https}
}
