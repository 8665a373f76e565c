package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// ownBroker starts a private node just for this test, because the test
// stops and restarts it.
func ownBroker(t *testing.T) (dir string, env map[string]string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "scripts", "broker.sh")
	dir = t.TempDir()
	broker := func(args ...string) {
		t.Helper()
		out, err := exec.Command(script, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("broker.sh %v: %v\n%s", args, err, out)
		}
	}
	broker("start", dir)
	t.Cleanup(func() { _ = exec.Command(script, "stop", dir).Run() })
	b, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	env = map[string]string{"script": script}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	return dir, env
}

// Stopping the broker under mqtop shows stale data and why; starting it
// again recovers without a keypress.
func TestE2EBrokerRestart(t *testing.T) {
	dir, env := ownBroker(t)
	tm := start(t, 120, 30, []string{"MQTOP_PASSWORD=guest", "NO_COLOR=1"},
		"--url", env["MQTOP_TEST_URL"], "--prometheus-url", env["MQTOP_TEST_PROM_URL"], "--refresh", "500ms")
	tm.waitFor(20*time.Second, "nodes 1/1", "api ")
	if out, err := exec.Command(env["script"], "halt", dir).CombinedOutput(); err != nil {
		t.Fatalf("halt: %v %s", err, out)
	}
	s := tm.waitFor(30*time.Second, "stale ")
	if !strings.Contains(s, "nodes 1/1") || !strings.Contains(s, "RabbitMQ") {
		t.Fatalf("last good data not kept while the broker is down:\n%s", s)
	}
	if out, err := exec.Command(env["script"], "restart", dir).CombinedOutput(); err != nil {
		t.Fatalf("restart: %v %s", err, out)
	}
	// Backoff caps at 30 s, so recovery shows within that after the broker answers.
	tm.waitUntil(60*time.Second, "recovery", func(s string) bool {
		return !strings.Contains(s, "stale ") && strings.Contains(s, "api ") && strings.Contains(s, "nodes 1/1")
	})
	tm.keys("q")
	tm.waitFor(10*time.Second, "EXITED:0")
}
