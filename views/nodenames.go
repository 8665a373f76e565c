package views

import "strings"

// NodeNames shortens a cluster's node names, for list columns and the
// header, to the part that tells the nodes apart: the prefix and suffix
// every name shares are dropped at a '@' or '.' boundary, so
// rabbit@rmq-0.rmq-headless.prod.svc.cluster.local and its peers read rmq-0,
// rmq-1, rmq-2, and rabbit-1@localhost, rabbit-2@localhost read rabbit-1,
// rabbit-2. One node, or names that would not stay distinct, are kept
// whole. The overview lists the full names.
type NodeNames struct {
	short map[string]string
}

// Set takes the cluster's node names (from /api/nodes).
func (n *NodeNames) Set(names []string) {
	n.short = shortNodeNames(names)
}

// Short is name's short form; a name the cluster did not list stays whole.
func (n *NodeNames) Short(name string) string {
	if n == nil {
		return name
	}
	if s, ok := n.short[name]; ok {
		return s
	}
	return name
}

func shortNodeNames(names []string) map[string]string {
	if len(names) < 2 {
		return nil
	}
	prefix, suffix := names[0], names[0]
	for _, s := range names[1:] {
		prefix = commonPrefix(prefix, s)
		suffix = commonSuffix(suffix, s)
	}
	// Cut at a boundary: the prefix up to and including its last
	// separator, the suffix from its first.
	if i := strings.LastIndexAny(prefix, "@."); i >= 0 {
		prefix = prefix[:i+1]
	} else {
		prefix = ""
	}
	if i := strings.IndexAny(suffix, "@."); i >= 0 {
		suffix = suffix[i:]
	} else {
		suffix = ""
	}
	out := make(map[string]string, len(names))
	seen := map[string]bool{}
	for _, s := range names {
		if len(prefix)+len(suffix) >= len(s) {
			return nil
		}
		short := s[len(prefix) : len(s)-len(suffix)]
		if short == "" || seen[short] {
			return nil
		}
		seen[short] = true
		out[s] = short
	}
	return out
}

func commonPrefix(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[:i]
}

func commonSuffix(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return a[len(a)-i:]
}
