package mgmt

import (
	"fmt"
	"strconv"
	"strings"
)

// NothingRegex is the permission pattern that grants nothing: the broker
// reads "" as "^$", which no resource name matches.
const NothingRegex = ""

// RegexError is a pattern Erlang's re would refuse, and where.
type RegexError struct {
	Pattern string
	Offset  int // byte offset of the problem, from 0
	Problem string
}

func (e *RegexError) Error() string {
	return fmt.Sprintf("bad regular expression %s at character %d: %s", strconv.Quote(e.Pattern), e.Offset+1, e.Problem)
}

// ValidateErlangRegex checks a pattern as the broker's re:compile would
// (PCRE 8.45, the one Erlang/OTP up to 27 ships; no options, so bytes, not
// UTF-8), for permissions, topic permissions and policy patterns. It is
// PCRE's syntax, not Go's: lookaround, backreferences, possessive and lazy
// quantifiers, atomic groups, \Q..\E, named groups, recursion and verbs are
// accepted; it refuses unbalanced parentheses and brackets, a quantifier
// with nothing to repeat (*a, a**, ^*), a{2,1}, counts over 65535, a
// dangling backslash, \L \l \U \u \N{name}, unknown \p properties and
// POSIX classes, ranges out of order, references to groups that do not
// exist, and lookbehinds that are not of fixed length. The rarest corners
// (a recursion that would loop) it leaves to the broker. Checked against
// the broker in erlre_test.go.
func ValidateErlangRegex(s string) error {
	p := &reParser{s: s, names: map[string]bool{}}
	p.startVerbs()
	fl := reFlags{}
	if _, err := p.alternation(&fl, -1); err != nil {
		return err
	}
	if p.i < len(s) {
		return p.fail(p.i, "unmatched ): no group is open")
	}
	if p.maxRef > p.groups {
		return p.fail(p.maxRefAt, fmt.Sprintf("reference to group %d, but the pattern has %d", p.maxRef, p.groups))
	}
	for _, r := range p.nameRefs {
		if !p.names[r.name] {
			return p.fail(r.at, fmt.Sprintf("reference to a group named %q that does not exist", r.name))
		}
	}
	return nil
}

// Lengths of what a lookbehind may hold: a number of bytes, or one of these.
const (
	lenVar     = -1 // varies: refused in a lookbehind
	lenUnknown = -2 // not worked out here (a subroutine call, a condition): let the broker judge
)

func addLen(a, b int) int {
	switch {
	case a == lenVar || b == lenVar:
		return lenVar
	case a == lenUnknown || b == lenUnknown:
		return lenUnknown
	}
	return a + b
}

type reFlags struct{ extended bool }

type reParser struct {
	s        string
	i        int
	groups   int // capturing groups opened so far
	names    map[string]bool
	dupNames bool // (?J): names may repeat
	inReset  int  // depth of (?| groups, where names may repeat too
	utf      bool // (*UTF8) or (*UTF): \x{...} above 255
	maxRef   int
	maxRefAt int
	nameRefs []nameRef
	capDepth int // capturing groups open around the current position
	depth    int // groups of any kind open around it
}

type nameRef struct {
	name string
	at   int
}

func (p *reParser) fail(at int, problem string) error {
	return &RegexError{Pattern: p.s, Offset: min(at, len(p.s)), Problem: problem}
}

func (p *reParser) rest() string { return p.s[p.i:] }

var startVerbs = []string{"UTF8", "UTF", "UCP", "CRLF", "CR", "LF", "ANYCRLF", "ANY", "BSR_ANYCRLF", "BSR_UNICODE",
	"NO_START_OPT", "NO_AUTO_POSSESS", "LIMIT_MATCH=", "LIMIT_RECURSION="}

// startVerbs skips the option verbs allowed only at the very start.
func (p *reParser) startVerbs() {
	for strings.HasPrefix(p.rest(), "(*") {
		end := strings.IndexByte(p.rest(), ')')
		if end < 0 {
			return
		}
		verb, known := p.rest()[2:end], false
		for _, v := range startVerbs {
			if v == verb || (strings.HasSuffix(v, "=") && strings.HasPrefix(verb, v) && allDigits(verb[len(v):])) {
				known = true
			}
		}
		if !known {
			return
		}
		p.utf = p.utf || strings.HasPrefix(verb, "UTF")
		p.i += end + 1
	}
}

// alternation parses branches up to an unmatched ")" or the end and
// returns each branch's length. reset >= 0 makes it a (?| group: each
// branch numbers its groups from reset.
func (p *reParser) alternation(fl *reFlags, reset int) ([]int, error) {
	var lens []int
	most := p.groups
	for {
		n, err := p.sequence(fl)
		if err != nil {
			return nil, err
		}
		lens = append(lens, n)
		if p.i >= len(p.s) || p.s[p.i] != '|' {
			break
		}
		p.i++
		if reset >= 0 {
			most, p.groups = max(most, p.groups), reset
		}
	}
	p.groups = max(most, p.groups)
	return lens, nil
}

// item is what one element of a sequence contributes.
type item struct {
	length, last int  // its length, and that of its last atom (what a quantifier repeats)
	repeatable   bool // a quantifier may follow
	transparent  bool // nothing at all: a comment, \E, an empty \Q\E
}

func (p *reParser) sequence(fl *reFlags) (int, error) {
	length, prev := 0, item{}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if fl.extended && p.skipExtended() {
			continue
		}
		var it item
		var err error
		switch c {
		case '|', ')':
			return length, nil
		case '*', '+', '?', '{':
			if c == '{' && !p.countedRepeat() {
				p.i++
				it = item{length: 1, last: 1, repeatable: true}
				break
			}
			if !prev.repeatable {
				return 0, p.fail(p.i, "nothing to repeat")
			}
			n, err := p.quantifier(fl.extended)
			if err != nil {
				return 0, err
			}
			each := lenVar
			if n >= 0 && prev.last >= 0 {
				each = prev.last * n
			} else if n >= 0 && prev.last == lenUnknown {
				each = lenUnknown
			}
			base := length
			if base >= 0 && prev.last >= 0 {
				base -= prev.last
			}
			length = addLen(base, each)
			prev = item{}
			continue
		case '(':
			it, err = p.group(*fl, fl)
		case '[':
			it, err = p.class()
		case '\\':
			it, err = p.escape()
		case '^', '$':
			p.i++
			it = item{}
		default:
			p.i++
			it = item{length: 1, last: 1, repeatable: true}
		}
		if err != nil {
			return 0, err
		}
		if !it.transparent {
			length, prev = addLen(length, it.length), it
		}
	}
	return length, nil
}

// skipExtended skips white space and # comments in (?x) mode.
func (p *reParser) skipExtended() bool {
	switch c := p.s[p.i]; {
	case c == ' ' || (c >= '\t' && c <= '\r'):
		p.i++
		return true
	case c == '#':
		if nl := strings.IndexByte(p.rest(), '\n'); nl >= 0 {
			p.i += nl + 1
		} else {
			p.i = len(p.s)
		}
		return true
	}
	return false
}

// countedRepeat reports whether a "{" at p.i opens {n}, {n,} or {n,m};
// any other "{" is a literal.
func (p *reParser) countedRepeat() bool {
	r := p.rest()[1:]
	d := leadingDigits(r)
	if d == 0 {
		return false
	}
	r = r[d:]
	if strings.HasPrefix(r, "}") {
		return true
	}
	if !strings.HasPrefix(r, ",") {
		return false
	}
	r = r[1:]
	return strings.HasPrefix(r[leadingDigits(r):], "}")
}

// quantifier consumes *, +, ?, or {n,m}, and a lazy ? or possessive +
// after it (comments may come between); it returns the fixed count, or -1
// when the count varies.
func (p *reParser) quantifier(extended bool) (int, error) {
	n := -1
	if p.s[p.i] == '{' {
		start := p.i
		body := p.rest()[1:strings.IndexByte(p.rest(), '}')]
		lo, hi, comma := strings.Cut(body, ",")
		a, errA := strconv.Atoi(lo)
		b, errB := a, error(nil)
		if comma && hi != "" {
			b, errB = strconv.Atoi(hi)
		}
		switch {
		case errA != nil || errB != nil || a > 65535 || b > 65535:
			return 0, p.fail(start, "a count in {} is over 65535")
		case b < a:
			return 0, p.fail(start, fmt.Sprintf("{%s}: the counts are out of order", body))
		case !comma || (hi != "" && a == b):
			n = a
		}
		p.i += len(body) + 2
	} else {
		p.i++
	}
	for p.i < len(p.s) && (extended && p.skipExtended() || p.skipComment()) {
	}
	if p.i < len(p.s) && (p.s[p.i] == '?' || p.s[p.i] == '+') {
		p.i++
	}
	return n, nil
}

// skipComment skips a closed (?#...) comment.
func (p *reParser) skipComment() bool {
	end := strings.IndexByte(p.rest(), ')')
	if !strings.HasPrefix(p.rest(), "(?#") || end < 0 {
		return false
	}
	p.i += end + 1
	return true
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func allDigits(s string) bool { return leadingDigits(s) == len(s) }

// ref records a reference to group n (checked once the whole pattern is read).
func (p *reParser) ref(n, at int) {
	if n > p.maxRef {
		p.maxRef, p.maxRefAt = n, at
	}
}

// name reads a group name at p.i up to terminator.
func (p *reParser) name(terminator byte) (string, error) {
	start := p.i
	for p.i < len(p.s) && (isWordByte(p.s[p.i])) {
		p.i++
	}
	name := p.s[start:p.i]
	switch {
	case name == "":
		return "", p.fail(start, "a group name is expected")
	case name[0] >= '0' && name[0] <= '9':
		return "", p.fail(start, "a group name must not start with a digit")
	case len(name) > 32:
		return "", p.fail(start, "a group name is at most 32 characters")
	case p.i >= len(p.s) || p.s[p.i] != terminator:
		return "", p.fail(p.i, fmt.Sprintf("the group name must end with %c", terminator))
	}
	p.i++
	return name, nil
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
