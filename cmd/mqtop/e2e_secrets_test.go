package main_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqtop/mqtop/internal/testenv"
)

// distinctive is a password no other text on the machine holds.
func distinctive(t *testing.T, what string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return what + "-Pw-" + hex.EncodeToString(b) + "-zQ"
}

// processOf finds the mqtop process that the tmux pane runs (a child of
// the pane's shell).
func processOf(t *testing.T, tm *term) int {
	t.Helper()
	pane, err := strconv.Atoi(strings.TrimSpace(tm.tmux("display-message", "-p", "-t", tm.name, "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(mqtop") {
			continue
		}
		if f := strings.Fields(s[i+1:]); len(f) > 1 && f[1] == strconv.Itoa(pane) {
			return pid
		}
	}
	t.Fatalf("no mqtop process under the pane's shell %d", pane)
	return 0
}

// allCommandLines is every process's command line on the machine: what
// ps shows anyone on a shared jump host.
func allCommandLines() string {
	var b strings.Builder
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if c, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil {
			b.WriteString(strings.ReplaceAll(string(c), "\x00", " "))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// A user with a distinctive password drives mqtop through views, a browse
// over AMQP, a refused vhost, a password changed under it (401), a wrong
// password typed at ctrl+r and then the right one, with --debug. No
// password, nor its basic-auth form, nor the hash the broker keeps of it,
// is ever on the screen, in the log file, or on any process's command line;
// the log is private to its owner.
func TestE2EPasswordNeverShown(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	user := "mqtop-sec-" + strings.ToLower(distinctive(t, "u")[5:13])
	first, second, wrong := distinctive(t, "first"), distinctive(t, "second"), distinctive(t, "wrong")
	testenv.MustAPI(t, env, "PUT", "users/"+url.PathEscape(user), map[string]any{"password": first, "tags": "administrator"})
	t.Cleanup(func() { testenv.API(t, env, "DELETE", "users/"+url.PathEscape(user), nil) })
	testenv.MustAPI(t, env, "PUT", "permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(user),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	var u struct {
		Hash string `json:"password_hash"`
	}
	testenv.GetJSON(t, env, "users/"+url.PathEscape(user), &u)
	hash := u.Hash
	if len(hash) < 16 {
		t.Fatalf("password hash %q", hash)
	}
	testenv.DeclareQueue(t, env, vh, "sec-q", nil)
	testenv.Publish(t, env, vh, "", "sec-q", []byte("hello from the secrets test"))

	logFile := filepath.Join(t.TempDir(), "mqtop.log")
	tm := start(t, 140, 36, []string{"MQTOP_USER=" + user, "MQTOP_PASSWORD=" + first, "NO_COLOR=1"},
		"--url", env.MgmtURL, "--prometheus-url", env.PromURL, "--amqp-url", env.AMQPURL,
		"--refresh", "500ms", "--debug", "--log-file", logFile)
	var screens []string
	wait := func(want ...string) { screens = append(screens, tm.waitFor(20*time.Second, want...)) }
	command := func(cmd string, want ...string) {
		tm.keys(":")
		tm.text(cmd)
		tm.keys("Enter")
		wait(want...)
	}
	wait("RabbitMQ", "nodes 1/1")
	pid := processOf(t, tm)
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cmdline), "--debug") {
		t.Fatalf("pid %d is not the mqtop under test: %q", pid, cmdline)
	}
	cmdlines := []string{string(cmdline), allCommandLines()}

	// Views, and a browse: the AMQP connection authenticates too.
	command("vhost "+vh, "sec-q", "queues in vhost")
	tm.keys("/")
	tm.text("^sec-q$")
	tm.keys("Enter")
	wait("1/1 queues matching")
	tm.keys("m")
	wait("Browse sec-q")
	tm.keys("C-s")
	wait("Messages of sec-q", "hello from the secrets test")
	tm.keys("Escape")
	wait("1/1 queues matching")
	command("u", "users", user)
	// The user's raw JSON: the management API has its password hash, the
	// screen must not.
	tm.keys("/")
	tm.text("^" + user + "$")
	tm.keys("Enter")
	wait("1/1 users")
	tm.keys("y")
	wait("raw JSON", user)
	tm.keys("q")
	wait("1/1 users")
	command("conn", "connections")
	command("ch", "channels")
	command("x", "exchanges")
	command("o", "RabbitMQ")
	// A vhost that does not exist, and one the user has no permissions on.
	command("vhost no-such-vhost", "no vhost named no-such-vhost")
	tm.keys("Escape")
	tm.waitUntil(10*time.Second, "the command line closed", func(s string) bool { return !strings.Contains(s, "no-such-vhost") })
	command("vhost /", "queues")
	time.Sleep(2 * time.Second)
	screens = append(screens, tm.screen())
	cmdlines = append(cmdlines, allCommandLines())

	// The password changes under mqtop: 401, polling stops.
	testenv.MustAPI(t, env, "PUT", "users/"+url.PathEscape(user), map[string]any{"password": second, "tags": "administrator"})
	wait("was refused", "ctrl+r re-enter the password")
	// A wrong password typed at the prompt is refused again...
	tm.keys("C-r")
	wait("Password for " + user)
	tm.text(wrong)
	screens = append(screens, tm.screen())
	tm.keys("Enter")
	wait("was refused", "ctrl+r re-enter the password")
	// ...and the right one brings the data back.
	tm.keys("C-r")
	wait("Password for " + user)
	tm.text(second)
	screens = append(screens, tm.screen())
	tm.keys("Enter")
	screens = append(screens, tm.waitUntil(20*time.Second, "data with the new password", func(s string) bool {
		return strings.Contains(s, "nodes 1/1") && !strings.Contains(s, "was refused")
	}))
	cmdlines = append(cmdlines, allCommandLines())
	tm.keys("q")
	wait("EXITED:0")

	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "status=401") || !strings.Contains(string(log), "request failed") {
		t.Fatalf("the log has no failed request: the test proved less than it says\n%s", log)
	}
	if fi, err := os.Stat(logFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	for _, pw := range []string{first, second, wrong, hash} {
		secrets := []string{pw, base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)), url.QueryEscape(pw)}
		for _, secret := range secrets {
			for i, s := range screens {
				if strings.Contains(s, secret) {
					t.Errorf("screen %d shows %q:\n%s", i, secret, s)
				}
			}
			if strings.Contains(string(log), secret) {
				t.Errorf("the log holds %q:\n%s", secret, log)
			}
			for _, c := range cmdlines {
				if strings.Contains(c, secret) {
					t.Errorf("a process's command line holds %q", secret)
				}
			}
		}
	}
}
