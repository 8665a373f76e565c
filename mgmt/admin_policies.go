package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	rabbithole "github.com/michaelklishin/rabbit-hole/v3"
)

// PolicyDecl is a policy to put (add or replace). ApplyTo "" is "all".
type PolicyDecl struct {
	VHost, Name, Pattern, ApplyTo string
	Priority                      int
	Definition                    map[string]any
	Operator                      bool
}

// PolicyKey is one key a policy definition takes. Its ArgSpec carries the
// key's name as a definition has it ("message-ttl"), the kind of its
// value, and in AppliesTo the queue types it applies to.
type PolicyKey struct {
	ArgSpec
	Exchanges bool // applies to exchanges
	// Operator: an operator policy takes it too, from OperatorMinVersion.
	Operator           bool
	OperatorMinVersion string
	RemovedIn          string // refused from this version on
	Plugin             string // registered by this plugin, not the broker
}

// policyKeys is 3.10.8's registry (rabbit_registry policy_validator and
// operator_policy_validator, read from a running node), plus the
// federation plugin's keys and later versions' additions.
var policyKeys = func() []PolicyKey {
	fromArg := func(name string, operator bool) PolicyKey {
		spec, _ := queueArgSpec("x-" + name)
		spec.Name, spec.Explain = name, strings.ReplaceAll(spec.Explain, "x-", "")
		return PolicyKey{ArgSpec: spec, Operator: operator}
	}
	classic, quorum := []string{"classic"}, []string{"quorum"}
	mirror := func(name string, kind ArgKind, enum []string, explain string) PolicyKey {
		return PolicyKey{ArgSpec: ArgSpec{Name: name, Kind: kind, Enum: enum, Min: 1, AppliesTo: classic, Explain: explain}, RemovedIn: "4.0"}
	}
	keys := []PolicyKey{
		fromArg("message-ttl", true), fromArg("expires", true), fromArg("max-length", true), fromArg("max-length-bytes", true),
		fromArg("overflow", true), fromArg("dead-letter-exchange", false), fromArg("dead-letter-routing-key", false),
		fromArg("dead-letter-strategy", false), fromArg("delivery-limit", true),
		{ArgSpec: ArgSpec{Name: "max-in-memory-length", Kind: ArgInt, Unit: "messages", AppliesTo: quorum,
			Explain: "At most this many messages of a quorum queue kept in memory."}, Operator: true},
		{ArgSpec: ArgSpec{Name: "max-in-memory-bytes", Kind: ArgInt, Unit: "bytes", AppliesTo: quorum,
			Explain: "At most this many bytes of a quorum queue's messages kept in memory."}, Operator: true},
		fromArg("queue-version", true), fromArg("queue-mode", false), fromArg("queue-leader-locator", false),
		{ArgSpec: ArgSpec{Name: "queue-master-locator", Kind: ArgEnum, Enum: []string{"min-masters", "client-local", "random"},
			AppliesTo: classic, Explain: "Node of a new classic queue: min-masters, client-local or random."}},
		fromArg("max-age", false), fromArg("stream-max-segment-size-bytes", false), fromArg("initial-cluster-size", false),
		mirror("ha-mode", ArgEnum, []string{"all", "exactly", "nodes"}, "Classic queue mirroring: on all nodes, exactly ha-params of them, or the nodes ha-params lists."),
		mirror("ha-params", ArgInt, nil, "With ha-mode exactly, how many replicas; with nodes, a list of node names."),
		mirror("ha-sync-mode", ArgEnum, []string{"manual", "automatic"}, "Whether a new mirror copies the queue's messages at once."),
		mirror("ha-sync-batch-size", ArgInt, nil, "Messages per batch when a mirror synchronises."),
		mirror("ha-promote-on-shutdown", ArgEnum, []string{"when-synced", "always"}, "Whether an unsynchronised mirror may take over at a controlled shutdown."),
		mirror("ha-promote-on-failure", ArgEnum, []string{"when-synced", "always"}, "Whether an unsynchronised mirror may take over at a failure."),
		{ArgSpec: ArgSpec{Name: "target-group-size", Kind: ArgInt, Min: 1, AppliesTo: quorum, MinVersion: "3.13",
			Explain: "Members a quorum queue grows to as nodes join."}, Operator: true, OperatorMinVersion: "3.13"},
		{ArgSpec: ArgSpec{Name: "alternate-exchange", Kind: ArgString, Explain: exchangeArgs[0].Explain}, Exchanges: true},
		{ArgSpec: ArgSpec{Name: "federation-upstream", Kind: ArgString, AppliesTo: classicQuorum,
			Explain: "The federation upstream to fetch from."}, Exchanges: true, Plugin: "rabbitmq_federation"},
		{ArgSpec: ArgSpec{Name: "federation-upstream-set", Kind: ArgString, AppliesTo: classicQuorum,
			Explain: "The set of federation upstreams to fetch from (\"all\" for every one)."}, Exchanges: true, Plugin: "rabbitmq_federation"},
	}
	for i := range keys {
		if keys[i].Name == "overflow" || keys[i].Name == "queue-version" {
			// In operator policies from 3.12.x (rabbitmq-server #9650, and
			// in the current documentation's table); 3.10.8 refuses them there.
			keys[i].OperatorMinVersion = "3.12"
		}
	}
	return keys
}()

// applyToTargets is what an apply-to admits: queue types and exchanges.
func applyToTargets(applyTo string) (queueTypes []string, exchanges bool, ok bool) {
	switch applyTo {
	case "", "all":
		return allQueueTypes, true, true
	case "queues":
		return allQueueTypes, false, true
	case "exchanges":
		return nil, true, true
	case "classic_queues", "quorum_queues", "streams":
		return []string{strings.TrimSuffix(strings.TrimSuffix(applyTo, "_queues"), "s")}, false, true
	}
	return nil, false, false
}

func (k PolicyKey) fitsTargets(queueTypes []string, exchanges bool) bool {
	return exchanges && k.Exchanges || slices.ContainsFunc(queueTypes, func(t string) bool { return slices.Contains(k.AppliesTo, t) })
}

// PolicyKeys lists the definition keys that do something under applyTo
// ("" is all), in an operator policy or a user one, in the order a form
// offers them. Their versions say which broker has them.
func PolicyKeys(applyTo string, operator bool) []PolicyKey {
	types, exchanges, _ := applyToTargets(applyTo)
	var out []PolicyKey
	for _, k := range policyKeys {
		if k.fitsTargets(types, exchanges) && (!operator || k.Operator) {
			out = append(out, k)
		}
	}
	return out
}

func policyKey(name string) (PolicyKey, bool) {
	i := slices.IndexFunc(policyKeys, func(k PolicyKey) bool { return k.Name == name })
	if i < 0 {
		return PolicyKey{}, false
	}
	return policyKeys[i], true
}

// ParsePolicyPriority reads a priority as typed: a whole number (negative
// ones rank below the default 0).
func ParsePolicyPriority(s string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("the priority is a whole number, got %s", strconv.Quote(s))
	}
	return int(n), nil
}

// ValidatePolicy checks a policy as the broker would, and more: the name,
// the apply-to (classic_queues, quorum_queues and streams need 3.12), the
// pattern as Erlang's re reads it, each key known, doing something under
// the apply-to, allowed in an operator policy, present in the broker's
// version, and its value of the right type and range. brokerVersion ""
// skips the version checks.
func ValidatePolicy(d PolicyDecl, brokerVersion string) error {
	_, err := checkPolicy(d, brokerVersion)
	return err
}

// checkPolicy is ValidatePolicy returning the definition as the API wants
// it (numbers typed as text become numbers).
func checkPolicy(d PolicyDecl, version string) (map[string]any, error) {
	types, exchanges, ok := applyToTargets(d.ApplyTo)
	switch {
	case d.VHost == "":
		return nil, errors.New("no vhost named")
	case d.Name == "" || strings.ContainsFunc(d.Name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return nil, errors.New("the policy needs a name without control characters")
	case !ok:
		return nil, fmt.Errorf("unknown apply-to %s (all, queues, exchanges, classic_queues, quorum_queues, streams)", strconv.Quote(d.ApplyTo))
	case len(types) == 1 && version != "" && versionBefore(version, "3.12"):
		return nil, fmt.Errorf("apply-to %s needs RabbitMQ 3.12 or later; the broker runs %s", d.ApplyTo, version)
	case len(d.Definition) == 0:
		return nil, errors.New("the definition is empty: give at least one key")
	}
	if err := ValidateErlangRegex(d.Pattern); err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	out := make(map[string]any, len(d.Definition))
	for _, name := range sortedKeys(d.Definition) {
		k, ok := policyKey(name)
		switch {
		case !ok:
			return nil, fmt.Errorf("%s is not a policy key mqtop knows", strconv.Quote(name))
		case !k.fitsTargets(types, exchanges):
			return nil, fmt.Errorf("%s does nothing under apply-to %s", name, map[bool]string{true: "all", false: d.ApplyTo}[d.ApplyTo == ""])
		case d.Operator && !k.Operator:
			return nil, fmt.Errorf("%s is not allowed in an operator policy", name)
		}
		if err := k.fitsVersion(version, d.Operator); err != nil {
			return nil, err
		}
		v, err := k.value(d.Definition[name], d.Definition["ha-mode"])
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	mode, _ := out["ha-mode"].(string)
	for name := range out {
		if strings.HasPrefix(name, "ha-") && name != "ha-mode" && mode == "" {
			return nil, fmt.Errorf("%s needs ha-mode", name)
		}
	}
	if mode != "" && (mode == "all") == (out["ha-params"] != nil) {
		return nil, fmt.Errorf("ha-mode %s %s ha-params", mode, map[bool]string{true: "takes no", false: "needs"}[mode == "all"])
	}
	return out, nil
}

func (k PolicyKey) fitsVersion(version string, operator bool) error {
	if version == "" {
		return nil
	}
	switch {
	case k.MinVersion != "" && versionBefore(version, k.MinVersion):
		return fmt.Errorf("%s needs RabbitMQ %s or later; the broker runs %s", k.Name, k.MinVersion, version)
	case operator && k.OperatorMinVersion != "" && versionBefore(version, k.OperatorMinVersion):
		return fmt.Errorf("%s in an operator policy needs RabbitMQ %s or later; the broker runs %s", k.Name, k.OperatorMinVersion, version)
	case k.RemovedIn != "" && !versionBefore(version, k.RemovedIn):
		return fmt.Errorf("%s was removed in RabbitMQ %s; the broker runs %s", k.Name, k.RemovedIn, version)
	case k.IgnoredFrom != "" && !versionBefore(version, k.IgnoredFrom):
		return fmt.Errorf("%s has no effect since RabbitMQ %s; the broker runs %s", k.Name, k.IgnoredFrom, version)
	}
	return nil
}

// value checks one value; ha-params depends on ha-mode: a count for
// exactly, a list of node names for nodes.
func (k PolicyKey) value(v, haMode any) (any, error) {
	if k.Name != "ha-params" || haMode != "nodes" {
		return k.typed(v)
	}
	list, ok := v.([]any)
	if s, isStrings := v.([]string); isStrings {
		list, ok = make([]any, len(s)), true
		for i := range s {
			list[i] = s[i]
		}
	}
	for _, n := range list {
		if s, isString := n.(string); !isString || s == "" {
			ok = false
		}
	}
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("ha-params with ha-mode nodes is a list of node names, got %s", describeValue(v))
	}
	return list, nil
}

// PutPolicy adds or replaces a policy (an operator policy with
// d.Operator). It checks d as ValidatePolicy does without a version (the
// form checks with the broker's). An unknown key of a plugin that is not
// enabled is the broker's 400 "not recognised policy settings".
func (c *Client) PutPolicy(ctx context.Context, d PolicyDecl) error {
	if c.readOnly {
		return ErrReadOnly
	}
	wrap := func(err error) error {
		return fmt.Errorf("put %s %q%s: %w", policyWord(d.Operator), d.Name, inVHost(d.VHost), err)
	}
	def, err := checkPolicy(d, "")
	if err != nil {
		return wrap(err)
	}
	applyTo := d.ApplyTo
	if applyTo == "" {
		applyTo = "all"
	}
	path := policyPath(d.Operator, d.VHost, d.Name)
	err = c.rhSend(ctx, http.MethodPut, path, func(rc *rabbithole.Client) (*http.Response, error) {
		if d.Operator {
			return rc.PutOperatorPolicy(d.VHost, d.Name, rabbithole.OperatorPolicy{Pattern: d.Pattern, ApplyTo: applyTo, Priority: d.Priority, Definition: def})
		}
		return rc.PutPolicy(d.VHost, d.Name, rabbithole.Policy{Pattern: d.Pattern, ApplyTo: applyTo, Priority: d.Priority, Definition: def})
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// DeletePolicy deletes a policy or an operator policy; one that is not
// there is a 404 (c.send: rabbit-hole would take it for success).
func (c *Client) DeletePolicy(ctx context.Context, vhost, name string, operator bool) error {
	if c.readOnly {
		return ErrReadOnly
	}
	if vhost == "" || name == "" {
		return fmt.Errorf("delete %s %q%s: name the vhost and the policy", policyWord(operator), name, inVHost(vhost))
	}
	if err := c.sendEdit(ctx, http.MethodDelete, policyPath(operator, vhost, name), nil); err != nil {
		return fmt.Errorf("delete %s %q%s: %w", policyWord(operator), name, inVHost(vhost), err)
	}
	return nil
}

func policyWord(operator bool) string {
	if operator {
		return "operator policy"
	}
	return "policy"
}

func policyPath(operator bool, vhost, name string) string {
	kind := "policies/"
	if operator {
		kind = "operator-policies/"
	}
	return kind + pathEscape(vhost) + "/" + pathEscape(name)
}
