// Package testenv gives integration tests a real RabbitMQ: the one named by
// MQTOP_TEST_URL (make test starts a private node and sets it), or a private
// node this package starts with scripts/broker.sh for the test binary's
// lifetime. A broker that cannot be started fails the run; nothing skips.
package testenv

import (
	"bufio"
	"fmt"
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

// Main runs the tests of an integration package; call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("MQTOP_TEST_URL") != "" {
		return m.Run()
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "mqtop-testbroker-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(root, "scripts", "broker.sh")
	fmt.Fprintln(os.Stderr, "testenv: MQTOP_TEST_URL not set; starting a private broker in", dir)
	start := exec.Command(script, "start", dir)
	start.Stdout, start.Stderr = os.Stderr, os.Stderr
	defer func() {
		stop := exec.Command(script, "stop", dir)
		stop.Stdout, stop.Stderr = os.Stderr, os.Stderr
		_ = stop.Run()
	}()
	if err := start.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: could not start a broker:", err)
		return 1
	}
	if err := loadEnvFile(filepath.Join(dir, "env")); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	return m.Run()
}

func loadEnvFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && !strings.HasPrefix(k, "export") {
			os.Setenv(k, v)
		}
	}
	return sc.Err()
}

// RepoRoot finds the module root by walking up to go.mod.
func RepoRoot() (string, error) { return repoRoot() }

func repoRoot() (string, error) {
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

// Broker returns the broker under test; it fails the test when none is set.
func Broker(t testing.TB) Env {
	t.Helper()
	e := Env{
		MgmtURL: os.Getenv("MQTOP_TEST_URL"), AMQPURL: os.Getenv("MQTOP_TEST_AMQP_URL"), PromURL: os.Getenv("MQTOP_TEST_PROM_URL"),
		User: os.Getenv("MQTOP_TEST_USER"), Password: os.Getenv("MQTOP_TEST_PASSWORD"),
	}
	if e.MgmtURL == "" {
		t.Fatal("no broker: run the tests with `make test`, or set MQTOP_TEST_URL (and TestMain must call testenv.Main)")
	}
	if e.AMQPURL == "" {
		e.AMQPURL = strings.Replace(strings.Replace(e.MgmtURL, "http", "amqp", 1), ":15672", ":5672", 1)
	}
	if e.User == "" {
		e.User, e.Password = "guest", "guest"
	}
	return e
}
