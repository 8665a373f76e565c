package views

import "testing"

func TestNodeNamesShort(t *testing.T) {
	cases := []struct {
		names []string
		want  []string
	}{
		{[]string{"rabbit@rmq-0.rmq-headless.prod.svc.cluster.local", "rabbit@rmq-1.rmq-headless.prod.svc.cluster.local", "rabbit@rmq-2.rmq-headless.prod.svc.cluster.local"},
			[]string{"rmq-0", "rmq-1", "rmq-2"}},
		{[]string{"mqtop-n1-23155-29224@localhost", "mqtop-n2-23156-31934@localhost"}, []string{"mqtop-n1-23155-29224", "mqtop-n2-23156-31934"}},
		{[]string{"rabbit@ip-10-0-1-23.eu-west-1.compute.internal", "rabbit@ip-10-0-2-7.eu-west-1.compute.internal"}, []string{"ip-10-0-1-23", "ip-10-0-2-7"}},
		// Different hosts and names: only what all share goes.
		{[]string{"rabbit@a.example.com", "hare@b.example.com"}, []string{"rabbit@a", "hare@b"}},
		// One node: whole.
		{[]string{"rabbit@only.example.com"}, []string{"rabbit@only.example.com"}},
		{[]string{"rabbit@a", "rabbit@a.b"}, []string{"a", "a.b"}},
		// A name that is all shared part would vanish: whole.
		{[]string{"rabbit@x.c", "rabbit@.c"}, []string{"rabbit@x.c", "rabbit@.c"}},
	}
	for _, c := range cases {
		var n NodeNames
		n.Set(c.names)
		for i, name := range c.names {
			if got := n.Short(name); got != c.want[i] {
				t.Errorf("%v: Short(%q) = %q, want %q", c.names, name, got, c.want[i])
			}
		}
		if got := n.Short("rabbit@unknown.example.com"); got != "rabbit@unknown.example.com" {
			t.Errorf("an unlisted node shortened to %q", got)
		}
	}
	var none *NodeNames
	if none.Short("rabbit@x") != "rabbit@x" {
		t.Error("nil NodeNames changes a name")
	}
}
