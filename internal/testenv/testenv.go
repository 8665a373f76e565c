// Package testenv gives integration tests a real RabbitMQ: the one named by
// MQTOP_TEST_URL (make test starts a private node and sets it), or a private
// node this package starts with scripts/broker.sh for the test binary's
// lifetime. A broker that cannot be started fails the run; nothing skips.
//
// Environment: MQTOP_TEST_URL (management API), MQTOP_TEST_AMQP_URL,
// MQTOP_TEST_PROM_URL, MQTOP_TEST_USER / MQTOP_TEST_PASSWORD (default
// guest/guest). The URLs carry no credentials.
package testenv

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Env locates the broker under test.
type Env struct {
	MgmtURL, AMQPURL, PromURL string
	User, Password            string
}

// Main runs the tests of an integration package; call it from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// With MQTOP_TEST_URL set it just runs the tests. Otherwise it starts a
// private broker (scripts/broker.sh start in a temporary directory), runs the
// tests against it and stops it again, also when tests fail. A watchdog
// process stops it should the test binary die without returning (a panic in
// a test, a -timeout, a signal).
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("MQTOP_TEST_URL") != "" {
		return m.Run()
	}
	root, err := RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	script := filepath.Join(root, "scripts", "broker.sh")
	dir, err := os.MkdirTemp("", "mqtop-testbroker-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	stop := func() {
		cmd := exec.Command(script, "stop", dir)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: %s stop %s: %v\n", script, dir, err)
			return // keep the directory: it says what is still running
		}
		os.RemoveAll(dir)
	}
	fmt.Fprintf(os.Stderr, "testenv: MQTOP_TEST_URL is not set; starting a private broker in %s (make test shares one)\n", dir)
	start := exec.Command(script, "start", dir)
	start.Stdout, start.Stderr = os.Stderr, os.Stderr
	if err := start.Run(); err != nil {
		// broker.sh has printed the node's logs and stopped what it started.
		fmt.Fprintf(os.Stderr, "testenv: could not start a broker (%s start %s): %v\n", script, dir, err)
		stop()
		return 1
	}
	defer stop()
	watchdog(script, dir)
	if err := loadEnvFile(filepath.Join(dir, "env")); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	return m.Run()
}

// loadEnvFile sets the KEY=VALUE lines of a broker.sh env file.
func loadEnvFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "export ") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			if err := os.Setenv(k, v); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// RepoRoot finds the module root by walking up from the working directory
// (a test's package directory) to go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Broker returns the broker under test; it fails the test when none is set
// (the package's TestMain must call Main, or MQTOP_TEST_URL must be set).
func Broker(t testing.TB) Env {
	t.Helper()
	e := Env{
		MgmtURL:  strings.TrimRight(os.Getenv("MQTOP_TEST_URL"), "/"),
		AMQPURL:  strings.TrimRight(os.Getenv("MQTOP_TEST_AMQP_URL"), "/"),
		PromURL:  strings.TrimRight(os.Getenv("MQTOP_TEST_PROM_URL"), "/"),
		User:     os.Getenv("MQTOP_TEST_USER"),
		Password: os.Getenv("MQTOP_TEST_PASSWORD"),
	}
	if e.MgmtURL == "" {
		t.Fatal("no broker: run the tests with `make test`, or set MQTOP_TEST_URL (and TestMain must call testenv.Main)")
	}
	if e.AMQPURL == "" || e.PromURL == "" {
		u, err := url.Parse(e.MgmtURL)
		if err != nil {
			t.Fatalf("MQTOP_TEST_URL: %v", err)
		}
		if e.AMQPURL == "" {
			e.AMQPURL = "amqp://" + withPort(u.Hostname(), "5672")
		}
		if e.PromURL == "" {
			e.PromURL = u.Scheme + "://" + withPort(u.Hostname(), "15692")
		}
	}
	if e.User == "" {
		e.User, e.Password = "guest", "guest"
	}
	return e
}

func withPort(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
