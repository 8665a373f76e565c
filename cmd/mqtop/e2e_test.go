package main_test

// End-to-end tests: the real binary, in a real terminal (tmux), against the
// private broker. They type keys and read the screen as an operator would.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mqtop-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mqtop")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// term is one tmux session running mqtop.
type term struct {
	t    *testing.T
	name string
	sock string
}

// start runs mqtop in a fresh tmux server (its own socket, so tests never
// touch the user's tmux) with the password in the environment only.
func start(t *testing.T, w, h int, env []string, args ...string) *term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for end-to-end tests: apt-get install tmux (make test installs it)")
	}
	tm := &term{t: t, name: "e2e", sock: filepath.Join(t.TempDir(), "tmux.sock")}
	script := filepath.Join(t.TempDir(), "run.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	// Each run remembers its sorts and reads its config in a directory of its
	// own, never the developer's (nor another test's).
	env = append([]string{"XDG_STATE_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir()}, env...)
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		fmt.Fprintf(&b, "export %s='%s'\n", k, v)
	}
	fmt.Fprintf(&b, "'%s'", binary(t))
	for _, a := range args {
		fmt.Fprintf(&b, " '%s'", a)
	}
	b.WriteString("\necho \"EXITED:$?\"\nsleep 600\n")
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	tm.tmux("new-session", "-d", "-s", tm.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", tm.name) }

// keys types tmux key names ("Enter", "Escape", "C-c") or literal text.
func (tm *term) keys(keys ...string) {
	tm.tmux(append([]string{"send-keys", "-t", tm.name}, keys...)...)
}

func (tm *term) text(s string) { tm.tmux("send-keys", "-t", tm.name, "-l", s) }

// waitFor polls the screen until every want is on it.
func (tm *term) waitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(s, w) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
	return ""
}

// waitUntil polls the screen until ok accepts it.
func (tm *term) waitUntil(timeout time.Duration, what string, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never showed %s; last screen:\n%s", what, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func credentials(env testenv.Env) []string {
	return []string{"MQTOP_USER=" + env.User, "MQTOP_PASSWORD=" + env.Password, "NO_COLOR=1"}
}

// rowOf finds the screen line of a queue and returns its fields.
func rowOf(screen, queue string) []string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			if x == queue {
				return f[i:]
			}
		}
	}
	return nil
}

func runQueuesFlow(t *testing.T, promURL, wantSource string) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	for i, n := range []int{5, 12, 0} {
		name := fmt.Sprintf("e2e-%c", 'a'+i)
		testenv.DeclareQueue(t, env, vh, name, nil)
		bodies := make([][]byte, n)
		for j := range bodies {
			bodies[j] = []byte("x")
		}
		if n > 0 {
			testenv.Publish(t, env, vh, "", name, bodies...)
		}
	}
	testenv.Hold(t, env, vh, "e2e-b", 2)

	tm := start(t, 120, 40, credentials(env), "--url", env.MgmtURL, "--prometheus-url", promURL, "--refresh", "500ms")
	tm.waitFor(20*time.Second, "RabbitMQ", "nodes 1/1")
	tm.keys(":")
	tm.text("vhost " + vh)
	tm.keys("Enter")
	// Known counts: ready 10, unacked 2, total 12 for e2e-b.
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := tm.screen()
		r := rowOf(s, "e2e-b")
		// NAME TYPE STATE READY UNACKED TOTAL CONS ...
		if len(r) >= 6 && r[3] == "10" && r[4] == "2" && r[5] == "12" && strings.Contains(s, wantSource) {
			if a := rowOf(s, "e2e-a"); len(a) < 6 || a[3] != "5" || a[5] != "5" {
				t.Fatalf("e2e-a row wrong: %v\n%s", a, s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e-b never showed 10/2/12 via %s; row %v\n%s", wantSource, r, s)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The list opens deepest first (total, largest first): e2e-b on top.
	tm.waitUntil(10*time.Second, "depth order", func(s string) bool {
		return strings.Contains(s, "TOTAL↓") && strings.Index(s, "e2e-b") < strings.Index(s, "e2e-a") &&
			strings.Index(s, "e2e-a") < strings.Index(s, "e2e-c")
	})
	// Filter to one queue.
	tm.keys("/")
	tm.text("^e2e-a$")
	tm.keys("Enter")
	s := tm.waitFor(10*time.Second, "1/1 queues matching")
	if strings.Contains(s, "e2e-b") {
		t.Fatalf("filter left e2e-b on screen:\n%s", s)
	}
	// Detail page.
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "queue e2e-a", "Bindings (1)", "Arguments")
	tm.keys("q")
	tm.waitFor(10*time.Second, "1/1 queues matching")
	// esc clears the filter; a pause, or the terminal reads esc+q as alt+q.
	tm.keys("Escape")
	tm.waitFor(10*time.Second, "/3 queues in vhost")
	tm.keys("q")
	s = tm.waitFor(10*time.Second, "EXITED:0")
	if strings.Contains(s, "RabbitMQ") || strings.Contains(s, "queues matching") {
		t.Fatalf("UI left on the terminal after exit:\n%s", s)
	}
}

func TestE2EQueuesThroughPrometheus(t *testing.T) {
	runQueuesFlow(t, testenv.Broker(t).PromURL, "prometheus index")
}

func TestE2EQueuesThroughManagementWhenPluginUnreachable(t *testing.T) {
	runQueuesFlow(t, "http://127.0.0.1:1", "management API")
}

func TestNoTerminalIsRefused(t *testing.T) {
	cmd := exec.Command(binary(t), "--url", "http://127.0.0.1:1")
	cmd.Env = append(os.Environ(), "MQTOP_PASSWORD=x")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "needs a terminal") {
		t.Fatalf("err=%v out=%s", err, out)
	}
}

func TestVersionAndPasswordFlag(t *testing.T) {
	out, err := exec.Command(binary(t), "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "mqtop ") || !strings.Contains(string(out), "commit") {
		t.Fatalf("--version: %v %s", err, out)
	}
	out, err = exec.Command(binary(t), "--password", "hunter2").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--password is not supported") {
		t.Fatalf("--password accepted: %v %s", err, out)
	}
}
