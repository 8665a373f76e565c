package route

import (
	"strconv"
	"strings"
)

// Equality is how a headers exchange compares a header's value with a
// binding argument's; it changed in RabbitMQ 3.13.
type Equality int

const (
	// Arithmetic is RabbitMQ before 3.13 (rabbit_exchange_type_headers
	// compares with Erlang's ==): numbers compare by value whatever their
	// AMQP type, so a binding to 1 matches a header 1, int8 1, 1.0 and the
	// timestamp 1 (seconds); a string matches a byte array of the same bytes.
	Arithmetic Equality = iota
	// Strict is RabbitMQ 3.13 and later (=:= on the values without their
	// types): an integer matches an integer of any width and a float a
	// float, but 1 does not match 1.0, and a timestamp header counts in
	// milliseconds while a timestamp binding argument counts in seconds.
	Strict
)

func (eq Equality) String() string {
	if eq == Strict {
		return "strict"
	}
	return "arithmetic"
}

// EqualityFor is the Equality of a broker by its rabbitmq_version
// ("3.10.8", "4.1.0"); a version it cannot read is taken as a current one.
func EqualityFor(version string) Equality {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return Strict
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return Strict
	}
	if major < 3 || major == 3 && minor < 13 {
		return Arithmetic
	}
	return Strict
}

// matchMode is a binding's x-match.
type matchMode struct{ any, withX bool }

// parseXMatch reads x-match: "all" (also when absent), "any", "all-with-x",
// "any-with-x". The broker refuses to create a binding with any other value
// (406), but one made before it checked routes as "all", and so does any
// other value here.
func parseXMatch(args map[string]any) matchMode {
	s, _ := args["x-match"].(string)
	switch s {
	case "any":
		return matchMode{any: true}
	case "all-with-x":
		return matchMode{withX: true}
	case "any-with-x":
		return matchMode{any: true, withX: true}
	}
	return matchMode{}
}

// MatchHeaders reports whether a headers exchange's binding, with these
// arguments, matches a message with these headers, as RabbitMQ before 3.13
// decides (see Arithmetic, and Equality.MatchHeaders for the rules).
func MatchHeaders(bindingArgs, headers map[string]any) bool {
	m, _ := Arithmetic.MatchHeaders(bindingArgs, headers)
	return m
}

// MatchHeaders reports whether a headers exchange's binding, with these
// arguments, matches a message with these headers (as published: a "BCC"
// header is removed by the broker before routing, so it never matches).
//
// "x-match" is never compared. The other arguments whose names start with
// "x-" are ignored unless x-match is all-with-x or any-with-x. Of the
// remaining arguments, all must match (x-match all, the default; none left
// matches every message) or at least one (any; none left matches nothing).
// An argument matches a header of the same name (names are case-sensitive)
// whose value is equal (see Equality); a void argument (nil, or "undefined",
// which is how the management API writes void) matches the header's mere
// presence.
//
// sure is false when the answer depends on what Go values do not carry:
// the AMQP type of a binding argument's integral float64 (a JSON integer is
// a long, a JSON 1.0 a double) where the type matters (Strict, or inside
// arrays), a table of several fields compared inside a value, or a value of
// a Go type mqtop does not publish. match is then the likelier answer.
func (eq Equality) MatchHeaders(bindingArgs, headers map[string]any) (match, sure bool) {
	m, s := eq.matchOnce(bindingArgs, headers, true)
	if !ambiguous(map[string]any(bindingArgs)) {
		return m, s
	}
	m2, s2 := eq.matchOnce(bindingArgs, headers, false)
	return m, s && s2 && m == m2
}

func (eq Equality) matchOnce(args, headers map[string]any, intFloats bool) (match, sure bool) {
	mode := parseXMatch(args)
	var hit, miss, unsureHit, unsureMiss bool
	for k, pv := range args {
		if k == "x-match" || !mode.withX && strings.HasPrefix(k, "x-") {
			continue
		}
		dv, ok := headers[k]
		if !ok || k == "BCC" {
			miss = true
			continue
		}
		p := toValue(pv, side{binding: true, intFloats: intFloats})
		if p.kind == kVoid {
			hit = true
			continue
		}
		e, s := topEqual(eq, p, toValue(dv, side{}))
		switch {
		case e && s:
			hit = true
		case s:
			miss = true
		case e:
			unsureHit = true
		default:
			unsureMiss = true
		}
	}
	unsure := unsureHit || unsureMiss
	if mode.any {
		if hit {
			return true, true
		}
		return unsureHit, !unsure
	}
	if miss {
		return false, true
	}
	return !unsureMiss, !unsure
}
