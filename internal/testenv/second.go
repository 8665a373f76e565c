package testenv

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Other is a private broker of a test's own, beside the shared one: for
// tests that need two brokers on one host.
type Other struct {
	Env
	Node                         string
	AMQPPort, MgmtPort, PromPort string
}

// BrokerOptions shape a broker of a test's own.
type BrokerOptions struct {
	// PreferDefaultPorts takes 5672 / 15672 / 15692 where they are free:
	// the ports a fixed derivation from a management URL would pick.
	PreferDefaultPorts bool
	// StatsInterval is collect_statistics_interval; 1 s if zero.
	StatsInterval time.Duration
	// ExtraConf are lines appended to the node's rabbitmq.conf (TLS
	// listeners, say).
	ExtraConf string
}

// StartBroker starts another private node for the test and stops it when
// the test ends. Starting takes a few seconds.
func StartBroker(t testing.TB, o BrokerOptions) Other {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "scripts", "broker.sh")
	dir, err := os.MkdirTemp("", "mqtop-other-")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"start", dir}
	if o.PreferDefaultPorts {
		args = append(args, "--demo")
	}
	stop := func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Logf("testenv: %s stop %s: %v\n%s", script, dir, err, out)
			return
		}
		os.RemoveAll(dir)
	}
	t.Cleanup(stop)
	start := exec.Command(script, args...)
	start.Env = os.Environ()
	if o.StatsInterval > 0 {
		start.Env = append(start.Env, fmt.Sprintf("MQTOP_BROKER_STATS_INTERVAL=%d", o.StatsInterval.Milliseconds()))
	}
	if o.ExtraConf != "" {
		start.Env = append(start.Env, "MQTOP_BROKER_EXTRA_CONF="+o.ExtraConf)
	}
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("testenv: could not start a second broker (%s %s): %v\n%s", script, strings.Join(args, " "), err, out)
	}
	watchdog(script, dir)
	vars, err := readEnvFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	return Other{
		Env: Env{MgmtURL: vars["MQTOP_TEST_URL"], AMQPURL: vars["MQTOP_TEST_AMQP_URL"], PromURL: vars["MQTOP_TEST_PROM_URL"],
			User: "guest", Password: "guest"},
		Node: vars["MQTOP_BROKER_NODE"], AMQPPort: vars["MQTOP_BROKER_AMQP_PORT"],
		MgmtPort: vars["MQTOP_BROKER_MGMT_PORT"], PromPort: vars["MQTOP_BROKER_PROM_PORT"],
	}
}

// CreateVHost creates vhost name on env, grants env.User everything on it,
// and deletes it when the test ends.
func CreateVHost(t testing.TB, env Env, name string) {
	t.Helper()
	MustAPI(t, env, http.MethodPut, "vhosts/"+url.PathEscape(name), map[string]any{})
	t.Cleanup(func() { _, _, _ = api(env, http.MethodDelete, "vhosts/"+url.PathEscape(name), nil) })
	MustAPI(t, env, http.MethodPut, "permissions/"+url.PathEscape(name)+"/"+url.PathEscape(env.User),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
}

// readEnvFile reads the KEY=VALUE lines of a broker.sh env file.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "export ") {
			out[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if out["MQTOP_TEST_URL"] == "" {
		return nil, fmt.Errorf("%s names no MQTOP_TEST_URL", path)
	}
	return out, nil
}
