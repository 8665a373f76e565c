package mgmt_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/internal/testenv"
	"github.com/mqtop/mqtop/mgmt"
)

// erlangRegexCases is what RabbitMQ 3.10.8 (Erlang/OTP 25, PCRE 8.45) takes
// as a permission pattern: ok, or refused with 400 invalid_regexp. The
// PCRE-only syntax Go's regexp lacks is accepted; some of what Go accepts
// is not.
var erlangRegexCases = []struct {
	pattern string
	ok      bool
}{
	{"", true}, {".*", true}, {"^$", true}, {"^(amq\\.gen.*|amq\\.default)$", true}, {"^{username}-.*", true},
	{"^orders\\.", true}, {"[a-z0-9_.-]+", true}, {"a{2,5}", true}, {"a{,3}", true}, {"a{", true}, {"{x}", true},
	// PCRE only: lookaround, backreferences, possessive and atomic, \Q..\E, named groups, verbs.
	{"^(?!amq\\.)", true}, {"(?<=^x-)y", true}, {"(?<!a)b", true}, {"(a)\\1", true}, {"a*+", true}, {"(?>a+)b", true},
	{"\\Qa(b\\E", true}, {"(?<n>a)\\k<n>", true}, {"(?P<n>a)(?P=n)", true}, {"(*FAIL)|a", true}, {"\\p{L}+", true},
	{"(?i)abc", true}, {"(?x) a b # comment", true}, {"\\y", true}, {"[[:alpha:]]", true}, {"[]a]", true},
	{"(?|(a)|(b))\\1", true}, {"a\\Z", true}, {"\\h\\R\\X", true}, {"(?(1)a|b)(x)", true}, {"\\x{ff}", true},
	{"[\\d-z]", true}, {"\\8", true}, {"(?#comment)a", true}, {"a(?#c)*", true}, {"(?<=ab|c)d", true},
	// Refused.
	{"a(", false}, {"a)", false}, {"(?:a", false}, {"[a", false}, {"[^]", false}, {"[]", false},
	{"*a", false}, {"+", false}, {"a**", false}, {"a{2,1}", false}, {"a{70000}", false}, {"^*", false}, {"(?i)*", false},
	{"\\", false}, {"a\\", false}, {"\\c", false}, {"\\L", false}, {"\\u0041", false}, {"\\N{x}", false}, {"\\o", false},
	{"\\k", false}, {"\\g", false}, {"(a)\\2", false}, {"\\k<n>", false}, {"(?P=n)", false}, {"\\x{100}", false},
	{"\\400", false}, {"[z-a]", false}, {"[a-\\d]", false}, {"[[:foo:]]", false}, {"[:alpha:]", false}, {"[[.a.]]", false},
	{"\\p{Foo}", false}, {"(?<=a+)b", false}, {"(?<=a(b|cd))", false}, {"(?<=\\1)(a)", false}, {"(?q)", false},
	{"(*FOO)", false}, {"(*MARK)", false}, {"(?<1a>x)", false}, {"(?<n>a)(?<n>b)", false}, {"(?(1)a|b|c)(x)", false},
	{"(?C256)", false}, {"(?#unclosed", false}, {"\\g{-1}", false}, {"a{1}{2}*", false},
}

// TestErlangRegexAgreesWithBroker puts every pattern of the table as a
// permission on the broker, records whether it takes it, and checks that
// ValidateErlangRegex says the same.
func TestErlangRegexAgreesWithBroker(t *testing.T) {
	env := testenv.Broker(t)
	vh := testenv.VHost(t)
	user, _ := adminUser(t, env, "re", "")
	path := "permissions/" + url.PathEscape(vh) + "/" + url.PathEscape(user)
	for _, tc := range erlangRegexCases {
		code, out := testenv.API(t, env, http.MethodPut, path, map[string]string{"configure": tc.pattern, "write": "", "read": ""})
		broker := code < 300
		if code >= 300 && (code != 400 || !strings.Contains(string(out), "invalid_regexp")) {
			t.Errorf("%q: the broker answered %d %s", tc.pattern, code, out)
		}
		if broker != tc.ok {
			t.Errorf("%q: the broker (3.10.8 recorded) took it: %v; now: %v (%s)", tc.pattern, tc.ok, broker, out)
		}
		err := mgmt.ValidateErlangRegex(tc.pattern)
		if (err == nil) != broker {
			t.Errorf("%q: broker ok=%v, ValidateErlangRegex: %v", tc.pattern, broker, err)
		}
	}
	// Topic permissions and policy patterns are compiled the same way.
	for _, p := range []string{"a(", "(?<=a+)b", "^(?!x)"} {
		code, _ := testenv.API(t, env, http.MethodPut, "topic-permissions/"+url.PathEscape(vh)+"/"+url.PathEscape(user),
			map[string]string{"exchange": "amq.topic", "write": p, "read": ""})
		pcode, pout := testenv.API(t, env, http.MethodPut, "policies/"+url.PathEscape(vh)+"/re",
			map[string]any{"pattern": p, "definition": map[string]any{"max-length": 1}})
		valid := mgmt.ValidateErlangRegex(p) == nil
		if (code < 300) != valid || (pcode < 300) != valid {
			t.Errorf("%q: topic permission %d, policy %d %s, valid %v", p, code, pcode, pout, valid)
		}
	}
}

func TestErlangRegexErrorsNameThePosition(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		offset  int
		problem string
	}{
		{"ab(cd", 2, "missing ) to close this group"},
		{"ab)", 2, "unmatched )"},
		{"x[ab", 1, "missing ] to close this character class"},
		{"*a", 0, "nothing to repeat"},
		{"a{2,1}", 1, "out of order"},
		{"ab\\", 2, "escapes nothing"},
		{"[b-a]", 2, "the range b-a is out of order"},
		{"(?<=a+)", 0, "fixed length"},
		{"(a)\\2", 3, "reference to group 2, but the pattern has 1"},
		{"\\p{Nope}", 0, `unknown property "Nope"`},
	} {
		err := mgmt.ValidateErlangRegex(tc.pattern)
		var re *mgmt.RegexError
		if !errors.As(err, &re) || re.Offset != tc.offset || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%q: %v (offset %v), want offset %d and %q", tc.pattern, err, re, tc.offset, tc.problem)
		}
	}
	err := mgmt.ValidateErlangRegex("ab(cd")
	if err.Error() != `bad regular expression "ab(cd" at character 3: missing ) to close this group` {
		t.Errorf("message: %v", err)
	}
	if mgmt.ValidateErlangRegex(mgmt.NothingRegex) != nil {
		t.Error("NothingRegex refused")
	}
}
