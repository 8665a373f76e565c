package mgmt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The groups of ValidateErlangRegex.

// How deep groups nest before Erlang's PCRE says "regular expression is
// too complicated" (seen on OTP 25).
const (
	maxNestedCaptures = 798
	maxNested         = 1330
)

// group parses "(" ... ")"; fl is the enclosing flags, set changes them
// for the rest of the enclosing group ((?x) on its own).
func (p *reParser) group(fl reFlags, set *reFlags) (item, error) {
	open := p.i
	p.i++
	r := p.rest()
	inner, kind, before := fl, "group", p.groups
	reset := -1
	switch {
	case strings.HasPrefix(r, "?#"):
		end := strings.IndexByte(r, ')')
		if end < 0 {
			return item{}, p.fail(open, "the comment (?# is not closed by )")
		}
		p.i += end + 1
		return item{transparent: true}, nil
	case strings.HasPrefix(r, "*") && len(r) > 1 && (r[1] == ':' || (r[1] >= 'A' && r[1] <= 'Z')):
		return item{}, p.verb(open)
	case !strings.HasPrefix(r, "?"):
		p.groups++
	default:
		var done bool
		var it item
		var err error
		kind, done, it, err = p.groupKind(open, &inner, set)
		if err != nil || done {
			return it, err
		}
		if kind == "reset" {
			reset = p.groups
			p.inReset++
			defer func() { p.inReset-- }()
		}
	}
	captures := kind == "group" && p.groups > before
	if captures {
		p.capDepth++
		defer func() { p.capDepth-- }()
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.capDepth > maxNestedCaptures || p.depth > maxNested {
		return item{}, p.fail(open, "the groups are nested too deeply")
	}
	lens, err := p.alternation(&inner, reset)
	if err != nil {
		return item{}, err
	}
	if p.i >= len(p.s) {
		return item{}, p.fail(open, "missing ) to close this group")
	}
	p.i++
	switch kind {
	case "lookbehind":
		if slices.Contains(lens, lenVar) {
			return item{}, p.fail(open, "a lookbehind must be of fixed length (each alternative may have its own)")
		}
		return item{repeatable: true}, nil
	case "lookahead":
		return item{repeatable: true}, nil
	case "condition", "define":
		if len(lens) > 2 || kind == "define" && len(lens) > 1 {
			return item{}, p.fail(open, "a conditional group has at most two alternatives, (?(DEFINE) one")
		}
		return item{length: lenUnknown, last: lenUnknown, repeatable: true}, nil
	}
	n := lens[0]
	for _, l := range lens[1:] {
		if l != n {
			n = addLen(lenVar, 0)
		}
	}
	return item{length: n, last: n, repeatable: true}, nil
}

// groupKind reads what follows "(?". done means the whole construct was
// consumed (an option setting, a reference, a callout).
func (p *reParser) groupKind(open int, inner, set *reFlags) (kind string, done bool, it item, err error) {
	p.i++ // '?'
	if p.i >= len(p.s) {
		return "", false, item{}, p.fail(open, "missing ) to close this group")
	}
	c := p.s[p.i]
	ref := item{length: lenUnknown, last: lenUnknown, repeatable: true}
	switch {
	case c == ':' || c == '>':
		p.i++
		return "group", false, item{}, nil
	case c == '|':
		p.i++
		return "reset", false, item{}, nil
	case c == '=' || c == '!':
		p.i++
		return "lookahead", false, item{}, nil
	case strings.HasPrefix(p.rest(), "<=") || strings.HasPrefix(p.rest(), "<!"):
		p.i += 2
		return "lookbehind", false, item{}, nil
	case c == '<' || c == '\'' || strings.HasPrefix(p.rest(), "P<"):
		if c == 'P' {
			p.i++
		}
		term := byte('>')
		if p.s[p.i] == '\'' {
			term = '\''
		}
		p.i++
		name, err := p.name(term)
		if err != nil {
			return "", false, item{}, err
		}
		if p.names[name] && !p.dupNames && p.inReset == 0 {
			return "", false, item{}, p.fail(open, fmt.Sprintf("two groups are named %q", name))
		}
		p.names[name] = true
		p.groups++
		return "group", false, item{}, nil
	case strings.HasPrefix(p.rest(), "P=") || strings.HasPrefix(p.rest(), "P>") || c == '&':
		p.i += map[bool]int{true: 1, false: 2}[c == '&']
		at := p.i
		name, err := p.name(')')
		if err != nil {
			return "", false, item{}, err
		}
		p.nameRefs = append(p.nameRefs, nameRef{name, at})
		if c == 'P' && p.s[at-1] == '=' {
			ref = item{length: lenVar, last: lenVar, repeatable: true} // a backreference
		}
		return "", true, ref, nil
	case c == 'P':
		return "", false, item{}, p.fail(p.i, "(?P must be followed by <, = or >")
	case c == 'R' || c == '+' || c == '-' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) || isDigit(c):
		return "", true, ref, p.recursion(open)
	case c == 'C':
		p.i++
		d := leadingDigits(p.rest())
		if n, _ := strconv.Atoi(p.rest()[:d]); n > 255 || d > 3 {
			return "", false, item{}, p.fail(p.i, "a callout number is at most 255")
		}
		p.i += d
		if !strings.HasPrefix(p.rest(), ")") {
			return "", false, item{}, p.fail(p.i, "(?C must be closed by )")
		}
		p.i++
		return "", true, item{}, nil
	case c == '(':
		p.i++
		if strings.HasPrefix(p.rest(), "DEFINE)") {
			p.i += len("DEFINE)")
			return "define", false, item{}, nil
		}
		return "condition", false, item{}, p.condition()
	}
	return p.options(inner, set)
}

// options reads (?imsxJUX-imsxJUX) or (?imsx:...).
func (p *reParser) options(inner, set *reFlags) (string, bool, item, error) {
	on := true
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '-':
			on = false
		case c == 'x':
			inner.extended = on
		case c == 'J':
			p.dupNames = p.dupNames || on
		case strings.IndexByte("imsUX", c) >= 0:
		case c == ')':
			p.i++
			*set = *inner
			return "", true, item{}, nil
		case c == ':':
			p.i++
			return "group", false, item{}, nil
		default:
			return "", false, item{}, p.fail(p.i, fmt.Sprintf("unknown option %q after (? (imsxJUX are)", c))
		}
		p.i++
	}
	return "", false, item{}, p.fail(p.i, "missing ) after the options")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// recursion reads (?R), (?n), (?+n), (?-n).
func (p *reParser) recursion(open int) error {
	at := p.i
	sign := p.s[p.i]
	if sign == 'R' || sign == '+' || sign == '-' {
		p.i++
	}
	d := leadingDigits(p.rest())
	if sign != 'R' && d == 0 {
		return p.fail(p.i, "a group number is expected")
	}
	n, _ := strconv.Atoi(p.rest()[:d])
	p.i += d
	if !strings.HasPrefix(p.rest(), ")") {
		return p.fail(p.i, "a subroutine call must be closed by )")
	}
	p.i++
	return p.relativeRef(sign, n, at)
}

// relativeRef records a reference to group n, -n groups back or +n ahead.
func (p *reParser) relativeRef(sign byte, n, at int) error {
	switch sign {
	case '-':
		if n == 0 || n > p.groups {
			return p.fail(at, fmt.Sprintf("reference to group -%d, but only %d are open before it", n, p.groups))
		}
	case '+':
		if n == 0 {
			return p.fail(at, "a relative reference must not be +0")
		}
		p.ref(p.groups+n, at)
	case 'R':
	default:
		p.ref(n, at)
	}
	return nil
}

// condition reads the condition of (?(...)yes|no) after "(?(".
func (p *reParser) condition() error {
	at := p.i
	if strings.HasPrefix(p.rest(), "?=") || strings.HasPrefix(p.rest(), "?!") || strings.HasPrefix(p.rest(), "?<") ||
		strings.HasPrefix(p.rest(), "?C") {
		p.i-- // the assertion is a group of its own
		_, err := p.group(reFlags{}, &reFlags{})
		return err
	}
	end := strings.IndexByte(p.rest(), ')')
	if end < 0 {
		return p.fail(at, "the condition is not closed by )")
	}
	cond := p.rest()[:end]
	p.i += end + 1
	switch {
	case cond == "R" || strings.HasPrefix(cond, "R&") || (strings.HasPrefix(cond, "R") && allDigits(cond[1:])):
		return nil
	case cond != "" && allDigits(cond):
		n, _ := strconv.Atoi(cond)
		return p.relativeRef(0, n, at)
	case len(cond) > 1 && (cond[0] == '+' || cond[0] == '-') && allDigits(cond[1:]):
		n, _ := strconv.Atoi(cond[1:])
		return p.relativeRef(cond[0], n, at)
	}
	name := cond
	if len(cond) > 2 && (cond[0] == '<' && cond[len(cond)-1] == '>' || cond[0] == '\'' && cond[len(cond)-1] == '\'') {
		name = cond[1 : len(cond)-1]
	}
	if name == "" || isDigit(name[0]) || strings.IndexFunc(name, func(r rune) bool { return r > 127 || !isWordByte(byte(r)) }) >= 0 {
		return p.fail(at, fmt.Sprintf("malformed condition (%s)", cond))
	}
	p.nameRefs = append(p.nameRefs, nameRef{name, at})
	return nil
}

var (
	argVerbs   = []string{"MARK", "PRUNE", "SKIP", "THEN", ""}
	plainVerbs = []string{"ACCEPT", "FAIL", "F", "COMMIT", "PRUNE", "SKIP", "THEN"}
)

// verb reads a backtracking control verb: (*FAIL), (*MARK:name), ...
func (p *reParser) verb(open int) error {
	end := strings.IndexByte(p.rest(), ')')
	if end < 0 {
		return p.fail(open, "(* is not closed by )")
	}
	body := p.rest()[1:end]
	p.i += end + 1
	name, arg, hasArg := strings.Cut(body, ":")
	switch {
	case !hasArg && slices.Contains(plainVerbs, name):
		return nil
	case hasArg && slices.Contains(argVerbs, name):
		if arg == "" && (name == "MARK" || name == "") {
			return p.fail(open, "(*MARK) needs a name")
		}
		return nil
	case hasArg && slices.Contains(plainVerbs, name):
		return p.fail(open, fmt.Sprintf("(*%s) takes no argument", name))
	}
	return p.fail(open, fmt.Sprintf("unknown verb (*%s)", body))
}
