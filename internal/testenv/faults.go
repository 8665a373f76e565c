package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Node is a private broker of one test's own that the test may halt,
// SIGKILL, restart and reconfigure with rabbitmqctl: for fault tests. It
// keeps its node name, ports and data across a restart (broker.sh restart),
// so a URL handed to mqtop before the node was up stays valid.
type Node struct {
	Env
	Dir, Name                              string
	AMQPPort, MgmtPort, PromPort, DistPort string
	t                                      testing.TB
	script                                 string
}

// StartNode starts a private node (scripts/broker.sh start) and stops it
// when the test ends, whatever state the test left it in; a watchdog stops
// it should the test binary die first.
func StartNode(t testing.TB) *Node {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{t: t, script: filepath.Join(root, "scripts", "broker.sh")}
	if n.Dir, err = os.MkdirTemp("", "mqtop-fault-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(n.script, "stop", n.Dir).CombinedOutput(); err != nil {
			t.Logf("testenv: %s stop %s: %v\n%s", n.script, n.Dir, err, out)
			return
		}
		os.RemoveAll(n.Dir)
	})
	n.broker("start")
	watchdog(n.script, n.Dir)
	vars, err := readEnvFile(filepath.Join(n.Dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	n.Env = Env{MgmtURL: vars["MQTOP_TEST_URL"], AMQPURL: vars["MQTOP_TEST_AMQP_URL"], PromURL: vars["MQTOP_TEST_PROM_URL"],
		User: "guest", Password: "guest"}
	n.Name = vars["MQTOP_BROKER_NODE"]
	n.AMQPPort, n.MgmtPort = vars["MQTOP_BROKER_AMQP_PORT"], vars["MQTOP_BROKER_MGMT_PORT"]
	n.PromPort, n.DistPort = vars["MQTOP_BROKER_PROM_PORT"], vars["MQTOP_BROKER_DIST_PORT"]
	return n
}

func (n *Node) broker(args ...string) {
	n.t.Helper()
	if err := n.run(args...); err != nil {
		n.t.Fatal(err)
	}
}

func (n *Node) run(args ...string) error {
	out, err := exec.Command(n.script, append(args, n.Dir)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("broker.sh %s %s: %v\n%s", strings.Join(args, " "), n.Dir, err, out)
	}
	return nil
}

// Halt stops the node cleanly, keeping its ports and data for Restart.
func (n *Node) Halt() { n.t.Helper(); n.broker("halt") }

// Restart starts the node again on the same ports and returns once its
// management API answers.
func (n *Node) Restart() { n.t.Helper(); n.broker("restart") }

// RestartInBackground is Restart in a goroutine of its own, so that the
// test can type keys while the broker boots; the channel gets its outcome.
func (n *Node) RestartInBackground() <-chan error {
	done := make(chan error, 1)
	go func() { done <- n.run("restart") }()
	return done
}

// Kill sends SIGKILL to the node's Erlang VM (beam) and waits until it is
// gone: a crash, not a shutdown. Only the pid the node wrote is signalled,
// after checking that it is this node's.
func (n *Node) Kill() {
	n.t.Helper()
	b, err := os.ReadFile(filepath.Join(n.Dir, "pid"))
	if err != nil {
		n.t.Fatalf("the node's pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !n.ours(pid) {
		n.t.Fatalf("pid %q in %s/pid is not this node's beam", b, n.Dir)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		n.t.Fatalf("kill -9 %d: %v", pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.ours(pid) {
		if time.Now().After(deadline) {
			n.t.Fatalf("beam %d still alive 10 s after SIGKILL", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ours: pid is a live process of this node (its command line names the
// node's HOME), as broker.sh checks before it signals anything. A zombie
// has an empty command line, so it counts as gone.
func (n *Node) ours(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, a := range strings.Split(string(b), "\x00") {
		if a == filepath.Join(n.Dir, "home") {
			return true
		}
	}
	return false
}

// Ctl runs rabbitmqctl against the node with the environment broker.sh
// gives it (its own HOME, hence its own Erlang cookie) and returns the
// combined output.
func (n *Node) Ctl(args ...string) (string, error) {
	bin, err := rabbitmqBin()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "rabbitmqctl"), append([]string{"-n", n.Name}, args...)...)
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "RABBITMQ_") && !strings.HasPrefix(e, "HOME=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	d := n.Dir
	cmd.Env = append(cmd.Env, "HOME="+filepath.Join(d, "home"), "RABBITMQ_NODENAME="+n.Name, "RABBITMQ_USE_LONGNAME=false",
		"RABBITMQ_NODE_PORT="+n.AMQPPort, "RABBITMQ_DIST_PORT="+n.DistPort,
		"RABBITMQ_CONFIG_FILE="+filepath.Join(d, "rabbitmq.conf"), "RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(d, "advanced.config"),
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(d, "rabbitmq-env.conf"), "RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(d, "enabled_plugins"),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(d, "mnesia"), "RABBITMQ_LOG_BASE="+filepath.Join(d, "log"),
		"RABBITMQ_PID_FILE="+filepath.Join(d, "pid"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("rabbitmqctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// MustCtl is Ctl that fails the test on an error.
func (n *Node) MustCtl(args ...string) string {
	n.t.Helper()
	out, err := n.Ctl(args...)
	if err != nil {
		n.t.Fatal(err)
	}
	return out
}

// rabbitmqBin finds the directory of the real rabbitmqctl, as broker.sh does.
func rabbitmqBin() (string, error) {
	if d := os.Getenv("MQTOP_RABBITMQ_BIN"); d != "" {
		return d, nil
	}
	if _, err := os.Stat("/usr/lib/rabbitmq/bin/rabbitmqctl"); err == nil {
		return "/usr/lib/rabbitmq/bin", nil
	}
	p, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		return "", fmt.Errorf("rabbitmqctl not found: %w", err)
	}
	p, err = filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Dir(p), nil
}

// Connection is one AMQP connection as the management API lists it.
type Connection struct {
	Name             string         `json:"name"`
	VHost            string         `json:"vhost"`
	State            string         `json:"state"`
	ClientProperties map[string]any `json:"client_properties"`
}

// MqtopConnections lists the AMQP connections whose client announces
// product "mqtop" (mqtop's own, not a test's).
func MqtopConnections(t testing.TB, env Env) []Connection {
	t.Helper()
	var all []Connection
	GetJSON(t, env, "connections", &all)
	var out []Connection
	for _, c := range all {
		if p, _ := c.ClientProperties["product"].(string); p == "mqtop" {
			out = append(out, c)
		}
	}
	return out
}

// CloseConnection closes a connection from the management API (the broker
// sends connection.close 320 CONNECTION_FORCED with reason).
func CloseConnection(t testing.TB, env Env, name, reason string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, strings.TrimRight(env.MgmtURL, "/")+"/api/connections/"+url.PathEscape(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(env.User, env.Password)
	req.Header.Set("X-Reason", reason)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("DELETE /api/connections/%s: %v", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var body json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&body)
		t.Fatalf("DELETE /api/connections/%s: %d %s", name, resp.StatusCode, body)
	}
}
