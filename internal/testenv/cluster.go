package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Cluster is a private RabbitMQ cluster of a test's own (scripts/cluster.sh):
// n nodes on this machine, joined to the first, each with its own ports.
type Cluster struct {
	Dir   string
	Nodes []Other // Nodes[0] is the node the others joined
	// URLs are every node's management URL, comma-separated (mqtop --url).
	URLs string

	t      testing.TB
	script string
	n      int
}

// StartCluster starts an n-node cluster for the test and stops it when the
// test ends (and, through a watchdog, should the test binary die). Starting
// three nodes takes half a minute or more: start one per test binary and
// share it between subtests.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Fatalf("testenv: a cluster of %d nodes", n)
	}
	c := &Cluster{t: t, script: filepath.Join(root, "scripts", "cluster.sh"), n: n}
	if c.Dir, err = os.MkdirTemp("", "mqtop-cluster-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Log(err)
			return // keep the directory: it says what is still running
		}
		os.RemoveAll(c.Dir)
	})
	start := c.command("start", c.Dir)
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("testenv: could not start a %d-node cluster (%s start %s): %v\n%s", n, c.script, c.Dir, err, out)
	} else {
		t.Logf("testenv: %s", lastLine(out))
	}
	watchdog(c.script, c.Dir)
	vars, err := readEnvFile(filepath.Join(c.Dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		p := fmt.Sprintf("MQTOP_NODE%d_", i)
		nv, err := readEnvFile(filepath.Join(vars[p+"DIR"], "broker.vars"))
		if err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, Other{
			Env: Env{MgmtURL: vars[p+"URL"], AMQPURL: vars[p+"AMQP_URL"], PromURL: vars[p+"PROM_URL"],
				User: "guest", Password: "guest"},
			Node: vars[p+"NAME"], AMQPPort: nv["MQTOP_BROKER_AMQP_PORT"],
			MgmtPort: nv["MQTOP_BROKER_MGMT_PORT"], PromPort: nv["MQTOP_BROKER_PROM_PORT"],
		})
	}
	c.URLs = vars["MQTOP_TEST_URLS"]
	if len(c.Nodes) != n || c.URLs == "" {
		t.Fatalf("testenv: %s/env describes %d nodes, want %d", c.Dir, len(c.Nodes), n)
	}
	return c
}

func (c *Cluster) command(args ...string) *exec.Cmd {
	cmd := exec.Command(c.script, args...)
	cmd.Env = append(os.Environ(), "MQTOP_CLUSTER_NODES="+strconv.Itoa(c.n))
	return cmd
}

// StopNode stops node i (0-based) and keeps its data and ports; the other
// nodes keep running.
func (c *Cluster) StopNode(i int) {
	c.t.Helper()
	if out, err := c.command("stop-node", c.Dir, strconv.Itoa(i+1)).CombinedOutput(); err != nil {
		c.t.Fatalf("testenv: stop node %d: %v\n%s", i+1, err, out)
	}
}

// StartNode starts node i (0-based) again; it rejoins the cluster.
func (c *Cluster) StartNode(i int) {
	c.t.Helper()
	if out, err := c.command("start-node", c.Dir, strconv.Itoa(i+1)).CombinedOutput(); err != nil {
		c.t.Fatalf("testenv: start node %d: %v\n%s", i+1, err, out)
	}
}

// Stop stops every node now (the cleanup does it otherwise).
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.stop(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *Cluster) stop() error {
	if out, err := c.command("stop", c.Dir).CombinedOutput(); err != nil {
		return fmt.Errorf("testenv: %s stop %s: %v\n%s", c.script, c.Dir, err, out)
	}
	return nil
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}
