package views

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// On a cluster the queue list shows where each queue lives (a quorum
// queue's leader) and how many of a replicated queue's members are online,
// marking and highlighting one that is under-replicated; a single node's
// list has neither column.
func TestQueuesShowNodesAndReplicasOnACluster(t *testing.T) {
	k := keys.Default()
	v := NewQueues(&k)
	v.SetSize(200, 8)
	classic := q("c-on-n2", 5)
	classic.Node = "rabbit@n2"
	healthy := q("qq-healthy", 4)
	healthy.Type, healthy.Leader = "quorum", "rabbit@n1"
	healthy.Members = mgmt.Strings{"rabbit@n1", "rabbit@n2", "rabbit@n3"}
	healthy.Online = healthy.Members
	under := q("qq-under", 3)
	under.Type, under.Leader = "quorum", "rabbit@n3"
	under.Members = healthy.Members
	under.Online = mgmt.Strings{"rabbit@n1", "rabbit@n3"}
	v.SetPage(pageOf(0, 3, classic, healthy, under), nil)

	single := ansi.Strip(v.View())
	if strings.Contains(single, "NODE") {
		t.Fatalf("NODE column on a single node:\n%s", single)
	}
	v.SetNodes(3)
	out := ansi.Strip(v.View())
	for name, want := range map[string][]string{
		"c-on-n2":    {"rabbit@n2"},
		"qq-healthy": {"rabbit@n1", "3/3"},
		"qq-under":   {"rabbit@n3", "!2/3"},
	} {
		row := lineOf(out, name)
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("row of %s lacks %q: %q", name, w, row)
			}
		}
	}
	if !strings.Contains(out, "NODE") || !strings.Contains(out, "ONLINE") {
		t.Fatalf("no NODE / ONLINE columns on a cluster:\n%s", out)
	}
	if !highlight(under, RowInfo{}) || highlight(healthy, RowInfo{}) {
		t.Fatal("under-replicated queue not highlighted, or a healthy one highlighted")
	}
}

func lineOf(s, word string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, " "+word+" ") {
			return l
		}
	}
	return ""
}

// Long node names (Kubernetes, cloud hosts) are shortened in the NODE
// column to the part that tells the nodes apart, which a 16-cell column
// would otherwise cut to the shared prefix.
func TestQueuesNodeColumnShortensNames(t *testing.T) {
	k := keys.Default()
	v := NewQueues(&k)
	v.SetSize(200, 8)
	var names []string
	for _, n := range []string{"0", "1", "2"} {
		names = append(names, "rabbit@rmq-"+n+".rmq-headless.prod.svc.cluster.local")
	}
	var nn NodeNames
	nn.Set(names)
	v.UseNodeNames(&nn)
	v.SetNodes(3)
	a, b := q("qa", 5), q("qb", 4)
	a.Node, b.Node = names[1], names[2]
	v.SetPage(pageOf(0, 2, a, b), nil)
	out := ansi.Strip(v.View())
	if row := lineOf(out, "qa"); !strings.Contains(row, " rmq-1 ") || strings.Contains(row, "rabbit@") {
		t.Errorf("row of qa: %q; want its node as rmq-1", row)
	}
	if row := lineOf(out, "qb"); !strings.Contains(row, " rmq-2 ") {
		t.Errorf("row of qb: %q; want its node as rmq-2", row)
	}
}
