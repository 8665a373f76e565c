package mgmt

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sync"
)

// Policy is a user policy or, with Operator set, an operator policy (set
// by an administrator; the broker merges it with the user policy, the
// stricter value winning).
type Policy struct {
	VHost, Name, Pattern string
	// ApplyTo is "all", "queues", "exchanges", or (3.12+) "classic_queues",
	// "quorum_queues", "streams"; "" when the broker did not say.
	ApplyTo    string
	Priority   Count
	Definition Table
	Operator   bool
}

// PolicySort maps the policies view's sort keys to ListQuery.Sort values;
// the policy endpoints neither page nor sort, so mqtop sorts locally.
// Sort "" is the broker's precedence: highest priority first (Desc
// reverses it); "priority" is ascending like every other key.
var PolicySort = map[string]string{"name": "name", "vhost": "vhost", "priority": "priority", "apply-to": "apply-to"}

// Policies lists the user policies and the operator policies of
// /api/policies[/{vhost}] and /api/operator-policies[/{vhost}] merged,
// filtered on the name or the pattern. A user the broker refuses the
// operator policies to (401/403), or a broker without them (404), gets the
// user policies alone, with no error: they are what the user can act on.
func (c *Client) Policies(ctx context.Context, q ListQuery) (ListPage[Policy], error) {
	all := ListQuery{Filter: q.Filter, Limit: math.MaxInt}
	match := func(re *regexp.Regexp, p Policy) bool { return re.MatchString(p.Name) || re.MatchString(p.Pattern) }
	user, err := wholeList(ctx, c, scoped("policies", q.VHost), "", all, decodePolicy(false), match, nil)
	if err != nil {
		return ListPage[Policy]{}, fmt.Errorf("list policies%s: %w", ofVHost(q.VHost), err)
	}
	op, err := wholeList(ctx, c, scoped("operator-policies", q.VHost), "", all, decodePolicy(true), match, nil)
	switch st := StatusOf(err); {
	case st == 401 || st == 403 || st == 404:
		op = ListPage[Policy]{}
	case err != nil:
		return ListPage[Policy]{}, fmt.Errorf("list operator policies%s: %w", ofVHost(q.VHost), err)
	}
	type pair struct {
		p   Policy
		raw json.RawMessage
	}
	rows := make([]pair, 0, len(user.Items)+len(op.Items))
	for _, pg := range []ListPage[Policy]{user, op} {
		for i := range pg.Items {
			rows = append(rows, pair{pg.Items[i], pg.Raw[i]})
		}
	}
	less := policyOrder(q.Sort)
	slices.SortStableFunc(rows, func(a, b pair) int {
		if q.Desc {
			return less(b.p, a.p)
		}
		return less(a.p, b.p)
	})
	if q.Limit <= 0 {
		q.Limit = 50
	}
	out := ListPage[Policy]{Matched: len(rows), Total: user.Total + op.Total, Offset: clamp(q.Offset, 0, len(rows))}
	for _, r := range rows[out.Offset:clamp(out.Offset+q.Limit, out.Offset, len(rows))] {
		out.Items = append(out.Items, r.p)
		out.Raw = append(out.Raw, r.raw)
	}
	return out, nil
}

// policyOrder is the comparison for a sort field; ties go by vhost, name,
// then user before operator, so the order is stable between polls.
func policyOrder(sort string) func(a, b Policy) int {
	field := sortKeyField(PolicySort, sort, "")
	return func(a, b Policy) int {
		var k int
		switch field {
		case "":
			k = cmpCount(b.Priority, a.Priority)
		case "priority":
			k = cmpCount(a.Priority, b.Priority)
		case "name":
			k = cmp.Compare(a.Name, b.Name)
		case "vhost":
			k = cmp.Compare(a.VHost, b.VHost)
		case "apply-to":
			k = cmp.Compare(a.ApplyTo, b.ApplyTo)
		}
		return cmp.Or(k, cmp.Compare(a.VHost, b.VHost), cmp.Compare(a.Name, b.Name), cmp.Compare(boolInt(a.Operator), boolInt(b.Operator)))
	}
}

func decodePolicy(operator bool) func(json.RawMessage) (Policy, error) {
	return func(raw json.RawMessage) (Policy, error) {
		var r struct {
			VHost      Text  `json:"vhost"`
			Name       Text  `json:"name"`
			Pattern    Text  `json:"pattern"`
			ApplyTo    Text  `json:"apply-to"`
			Priority   Count `json:"priority"`
			Definition Table `json:"definition"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return Policy{}, err
		}
		return Policy{
			VHost: string(r.VHost), Name: string(r.Name), Pattern: string(r.Pattern), ApplyTo: string(r.ApplyTo),
			Priority: r.Priority, Definition: r.Definition, Operator: operator,
		}, nil
	}
}

// PolicyMatches reports whether the policy targets the object: its apply-to
// admits the kind and its pattern matches the name. kind is "exchange",
// "queue" (a queue of unknown type: only "all" and "queues" admit it), or a
// queue type as Queue.Type has it ("classic", "quorum", "stream"; "" is
// taken as "queue").
//
// It does not say the policy is the one in force: the broker applies only
// the highest-priority match, and skips a policy whose definition the queue
// type does not support (ha-mode on a quorum queue, max-length on a stream).
//
// The broker matches with Erlang's re (PCRE) on the name's bytes, unanchored;
// Go's regexp agrees on the patterns policies use (^prefix, suffix$,
// alternations, classes). Where they differ: PCRE-only syntax (lookaround,
// backreferences, possessive quantifiers) does not compile in Go, and such a
// policy reports no match; PCRE's $ also matches before a final newline; and
// . matches one byte of a multi-byte UTF-8 name in Erlang, a character in Go.
func PolicyMatches(p Policy, kind, name string) bool {
	if !policyAdmits(p.ApplyTo, kind) {
		return false
	}
	re, err := policyPattern(p.Pattern)
	return err == nil && re.MatchString(name)
}

func policyAdmits(applyTo, kind string) bool {
	exchange := kind == "exchange"
	switch applyTo {
	case "all", "": // "all" is the broker's default apply-to
		return true
	case "exchanges":
		return exchange
	case "queues":
		return !exchange
	case "classic_queues":
		return kind == "classic"
	case "quorum_queues":
		return kind == "quorum"
	case "streams":
		return kind == "stream"
	}
	return false
}

// patterns caches compiled policy patterns: a view matches every policy
// against every row, and a broker has few distinct patterns.
var patterns sync.Map // pattern -> compiled

type compiled struct {
	re  *regexp.Regexp
	err error
}

func policyPattern(pattern string) (*regexp.Regexp, error) {
	if v, ok := patterns.Load(pattern); ok {
		c := v.(compiled)
		return c.re, c.err
	}
	re, err := regexp.Compile(pattern)
	patterns.Store(pattern, compiled{re, err})
	return re, err
}
