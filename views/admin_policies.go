package views

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mqtop/mqtop/mgmt"
)

// Policy intents and the policy form.
type (
	// PolicyRequested asks for the policy form: a new one (n) or, with
	// Existing, editing it (e).
	PolicyRequested struct {
		VHost    string
		Existing *mgmt.Policy
	}
	DeletePolicyRequested struct{ Policy mgmt.Policy }
	PolicySubmitted       struct {
		ID                            int
		VHost, Name, Pattern, ApplyTo string
		Priority                      int
		Definition                    map[string]any
		Operator                      bool
	}
)

// PolicyApplyTo are the apply-to values of RabbitMQ 3.10 (3.12 adds
// classic_queues, quorum_queues and streams).
var PolicyApplyTo = []string{"queues", "exchanges", "all"}

// PolicyNames are the names a policy preview matches against.
type PolicyNames struct {
	Queues, Exchanges []string
	Loaded            bool
	Err               error
}

// policyPreview lists what pattern would match now.
func policyPreview(names PolicyNames, pattern, applyTo string) []string {
	switch {
	case names.Err != nil:
		return []string{"preview: cannot read the vhost's queues and exchanges: " + Clean(names.Err.Error())}
	case !names.Loaded:
		return []string{"preview: reading the vhost's queues and exchanges…"}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return []string{"preview: Go cannot run this pattern (" + Clean(err.Error()) + "); the broker's own regex engine may still take it"}
	}
	var out []string
	show := func(kind string, all []string) {
		var hit []string
		for _, n := range all {
			if re.MatchString(n) {
				hit = append(hit, n)
			}
		}
		sort.Strings(hit)
		line := fmt.Sprintf("matches %d %s", len(hit), kind)
		if len(hit) > 0 {
			shown := hit[:min(len(hit), 8)]
			for i := range shown {
				shown[i] = Clean(shown[i])
			}
			line += ": " + strings.Join(shown, ", ")
			if len(hit) > 8 {
				line += fmt.Sprintf(", … %d more", len(hit)-8)
			}
		}
		out = append(out, line)
	}
	if applyTo != "exchanges" {
		show("queue(s)", names.Queues)
	}
	if applyTo != "queues" {
		show("exchange(s)", names.Exchanges)
	}
	return out
}

// NewPolicyPage adds a policy, or edits one when existing is set (its
// name then stays). names are the vhost's queues and exchanges, for the
// live preview of what the pattern matches.
func NewPolicyPage(id int, vhost string, existing *mgmt.Policy, names func() PolicyNames) (*ActionPage, tea.Cmd) {
	cur := mgmt.Policy{VHost: vhost, Pattern: ".*", ApplyTo: "queues", Priority: mgmt.C(0)}
	if existing != nil {
		cur = *existing
	}
	vh := NewLine("vhost", "vhost", cur.VHost)
	name := NewLine("name", "name", cur.Name)
	name.Validate = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("give the policy a name")
		}
		return nil
	}
	pattern := NewLine("pattern", "pattern", cur.Pattern)
	pattern.Hint = "a regex of queue / exchange names, as Erlang's re reads it (^orders\\. for a prefix)"
	pattern.Validate = mgmt.ValidateErlangRegex
	apply := choiceField("apply_to", "apply to", cmpStr(cur.ApplyTo, "queues"), func() []string { return PolicyApplyTo }, "queues, exchanges or all (ctrl+n cycles)")
	apply.Validate = func(s string) error {
		if !contains(PolicyApplyTo, strings.TrimSpace(s)) {
			return fmt.Errorf("apply to is %s, not %q", strings.Join(PolicyApplyTo, ", "), Clean(s))
		}
		return nil
	}
	prio := NewLine("priority", "priority", strconv.FormatInt(cur.Priority.Or(0), 10))
	prio.Hint = "the policy with the highest priority applies; one policy per queue or exchange"
	prio.Validate = func(s string) error {
		if _, err := strconv.Atoi(strings.TrimSpace(s)); err != nil {
			return fmt.Errorf("priority is a whole number, got %q", Clean(s))
		}
		return nil
	}
	_, defText := argLines(cur.Definition)
	def := NewArea("definition", "definition", defText, 4)
	def.Hint = "one per line: max-length=1000, dead-letter-exchange=dlx, or key:=JSON"
	def.Validate = func(s string) error {
		d, err := mgmt.ParseFreeArgs(s)
		if err == nil && len(d) == 0 {
			err = errors.New("a policy needs a definition: at least one key")
		}
		return err
	}
	op := yesNoField("operator", "operator policy", cur.Operator, "an operator policy caps what user policies set (fewer keys)")
	fields := []*Field{vh, name, pattern, apply, prio, def, op}
	title := "Add a policy"
	if existing != nil {
		title = "Edit policy " + Clean(cur.Name) + " (vhost " + Clean(cur.VHost) + ")"
		fields = []*Field{pattern, apply, prio, def}
	}
	f, cmd := NewForm(title, fields...)
	f.Verb = "save"
	p := &ActionPage{ID: id, Kind: ActionPolicy, VHost: vhost, Form: f}
	p.Panel = func(int) []string {
		return policyPreview(names(), f.Value("pattern"), strings.TrimSpace(f.Value("apply_to")))
	}
	p.Build = func(f *Form) (tea.Msg, error) {
		d, err := mgmt.ParseFreeArgs(f.Value("definition"))
		if err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(strings.TrimSpace(f.Value("priority")))
		s := PolicySubmitted{ID: id, VHost: cur.VHost, Name: cur.Name, Pattern: f.Value("pattern"), ApplyTo: strings.TrimSpace(f.Value("apply_to")),
			Priority: n, Definition: d, Operator: cur.Operator}
		if existing == nil {
			s.VHost, s.Name, s.Operator = strings.TrimSpace(f.Value("vhost")), strings.TrimSpace(f.Value("name")), yes(f, "operator")
		}
		return s, nil
	}
	return p, cmd
}
