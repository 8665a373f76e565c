package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ErrCannotPreview: the pattern is valid for the broker but uses syntax
// Go's regexp lacks (lookaround, backreferences, possessive quantifiers,
// \Z ...), so mqtop cannot say what it matches.
var ErrCannotPreview = errors.New("cannot preview")

// PreviewLimit is how many names of each kind a preview lists.
const PreviewLimit = 50

// PolicyTargets are the names a policy pattern is matched against in one
// vhost: fetched once when the form opens, matched on every keystroke.
type PolicyTargets struct {
	Queues    []PolicyTarget
	Exchanges []string // the default exchange left out
}

// PolicyTarget is one queue and its type.
type PolicyTarget struct{ Name, Type string }

// PolicyPreviewResult is what a pattern matches now: the first
// PreviewLimit names of each kind in name order, and how many in all.
type PolicyPreviewResult struct {
	Queues, Exchanges         []string
	QueueCount, ExchangeCount int
}

// PolicyTargets lists a vhost's queues (with their types) and exchanges,
// names only.
func (c *Client) PolicyTargets(ctx context.Context, vhost string) (PolicyTargets, error) {
	var qs []struct {
		Name Text `json:"name"`
		Type Text `json:"type"`
	}
	if err := c.getJSON(ctx, "queues/"+pathEscape(vhost), url.Values{"columns": {"name,type"}}, &qs); err != nil {
		return PolicyTargets{}, fmt.Errorf("list queues%s: %w", inVHost(vhost), err)
	}
	var xs []struct {
		Name Text `json:"name"`
	}
	if err := c.getJSON(ctx, "exchanges/"+pathEscape(vhost), url.Values{"columns": {"name"}}, &xs); err != nil {
		return PolicyTargets{}, fmt.Errorf("list exchanges%s: %w", inVHost(vhost), err)
	}
	var t PolicyTargets
	for _, q := range qs {
		t.Queues = append(t.Queues, PolicyTarget{Name: string(q.Name), Type: string(q.Type)})
	}
	for _, x := range xs {
		if x.Name != "" {
			t.Exchanges = append(t.Exchanges, string(x.Name))
		}
	}
	slices.SortFunc(t.Queues, func(a, b PolicyTarget) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(t.Exchanges)
	return t, nil
}

// PreviewPolicy says what pattern under applyTo matches among targets. The
// pattern is checked as the broker reads it first; one Go cannot run is
// ErrCannotPreview. Go's regexp agrees with PCRE on the patterns it
// compiles, but for PCRE's $ also matching before a final newline and .
// matching one byte of a multi-byte name (see PolicyMatches).
func PreviewPolicy(t PolicyTargets, pattern, applyTo string) (PolicyPreviewResult, error) {
	if err := ValidateErlangRegex(pattern); err != nil {
		return PolicyPreviewResult{}, err
	}
	if _, _, ok := applyToTargets(applyTo); !ok {
		return PolicyPreviewResult{}, fmt.Errorf("unknown apply-to %q", applyTo)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return PolicyPreviewResult{}, fmt.Errorf("%w: the broker takes %q, but mqtop's regexp cannot run it (%v)", ErrCannotPreview, pattern, err)
	}
	var out PolicyPreviewResult
	for _, q := range t.Queues {
		kind := q.Type
		if kind == "" {
			kind = "queue"
		}
		if policyAdmits(applyTo, kind) && re.MatchString(q.Name) {
			if out.QueueCount++; len(out.Queues) < PreviewLimit {
				out.Queues = append(out.Queues, q.Name)
			}
		}
	}
	for _, x := range t.Exchanges {
		if policyAdmits(applyTo, "exchange") && re.MatchString(x) {
			if out.ExchangeCount++; len(out.Exchanges) < PreviewLimit {
				out.Exchanges = append(out.Exchanges, x)
			}
		}
	}
	return out, nil
}

// PolicyPreview is PolicyTargets and PreviewPolicy in one call.
func (c *Client) PolicyPreview(ctx context.Context, vhost, pattern, applyTo string) (PolicyPreviewResult, error) {
	if err := ValidateErlangRegex(pattern); err != nil {
		return PolicyPreviewResult{}, err
	}
	t, err := c.PolicyTargets(ctx, vhost)
	if err != nil {
		return PolicyPreviewResult{}, err
	}
	return PreviewPolicy(t, pattern, applyTo)
}
