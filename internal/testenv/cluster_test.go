package testenv

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type clusterNode struct {
	Name    string `json:"name"`
	Running bool   `json:"running"`
}

func runningNodes(t *testing.T, env Env) []string {
	t.Helper()
	var nodes []clusterNode
	GetJSON(t, env, "nodes?columns=name,running", &nodes)
	var out []string
	for _, n := range nodes {
		if n.Running {
			out = append(out, n.Name)
		}
	}
	slices.Sort(out)
	return out
}

// listening reports whether something accepts connections on 127.0.0.1:port.
func listening(port string) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// processesOf lists the pids whose command line or environment names dir,
// but for the watchdog (which waits for this process to end).
func processesOf(dir string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if b, _ := os.ReadFile(filepath.Join(p, "cmdline")); strings.Contains(string(b), "testenv-watchdog") {
			continue
		}
		for _, f := range []string{"cmdline", "environ"} {
			b, err := os.ReadFile(filepath.Join(p, f))
			if err == nil && strings.Contains(string(b), dir+"/") {
				out = append(out, filepath.Base(p))
				break
			}
		}
	}
	return out
}

// A 3-node cluster: every node sees the three running, a stopped node is
// seen as down by the others and rejoins when started again, and stopping
// the cluster frees every port and leaves no process of its own.
func TestCluster(t *testing.T) {
	c := StartCluster(t, 3)
	var want []string
	for _, n := range c.Nodes {
		want = append(want, n.Node)
	}
	slices.Sort(want)
	if len(slices.Compact(slices.Clone(want))) != 3 {
		t.Fatalf("node names not distinct: %v", want)
	}
	for i, n := range c.Nodes {
		if got := runningNodes(t, n.Env); !slices.Equal(got, want) {
			t.Errorf("node %d (%s) sees running %v, want %v", i+1, n.Node, got, want)
		}
	}
	if urls := strings.Split(c.URLs, ","); len(urls) != 3 || urls[1] != c.Nodes[1].MgmtURL {
		t.Errorf("URLs %q do not list the three management URLs", c.URLs)
	}

	c.StopNode(1)
	if listening(c.Nodes[1].MgmtPort) {
		t.Errorf("node 2's management port %s still answers after stop-node", c.Nodes[1].MgmtPort)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		got := runningNodes(t, c.Nodes[0].Env)
		return !slices.Contains(got, c.Nodes[1].Node) && len(got) == 2, "node 1 sees running " + strings.Join(got, ", ")
	})
	c.StartNode(1)
	WaitFor(t, 60*time.Second, func() (bool, string) {
		got := runningNodes(t, c.Nodes[0].Env)
		return slices.Equal(got, want), "node 1 sees running " + strings.Join(got, ", ")
	})

	c.Stop()
	for i, n := range c.Nodes {
		for _, p := range []string{n.AMQPPort, n.MgmtPort, n.PromPort} {
			if listening(p) {
				t.Errorf("node %d: port %s still answers after the cluster stopped", i+1, p)
			}
		}
	}
	if left := processesOf(c.Dir); len(left) > 0 {
		t.Errorf("processes of the cluster left running: %v", left)
	}
	for i := 1; i <= 3; i++ {
		if _, err := os.Stat(filepath.Join(c.Dir, "n"+strconv.Itoa(i), "pid")); err == nil {
			t.Errorf("node %d's pid file is still there", i)
		}
	}
}
