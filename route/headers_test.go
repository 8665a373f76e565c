package route

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

type H = map[string]any

// The rules of rabbit_exchange_type_headers:headers_match (3.10), each case
// naming the one it shows; the same outcome in Strict unless strict is set.
var headersCases = []struct {
	args, headers H
	want          bool
	strict        *bool // the outcome under Strict, when it differs
	rule          string
}{
	{H{}, H{}, true, nil, "no x-match means all; nothing to match matches everything"},
	{H{"x-match": "all"}, H{"a": 1}, true, nil, "all with no arguments matches everything"},
	{H{"x-match": "any"}, H{"a": 1}, false, nil, "any with no arguments matches nothing"},
	{H{"a": "1"}, H{"a": "1"}, true, nil, "default all, one equal string"},
	{H{"a": "1"}, H{}, false, nil, "all: a missing header fails"},
	{H{"a": "1"}, nil, false, nil, "all: no headers at all"},
	{H{"a": "1", "b": "2"}, H{"a": "1"}, false, nil, "all: every argument needed"},
	{H{"a": "1", "b": "2"}, H{"a": "1", "b": "2", "c": "3"}, true, nil, "all: extra headers are fine"},
	{H{"a": "1", "b": "2"}, H{"a": "1", "b": "3"}, false, nil, "all: one unequal value fails"},
	{H{"x-match": "any", "a": "1", "b": "2"}, H{"b": "2"}, true, nil, "any: one equal is enough"},
	{H{"x-match": "any", "a": "1", "b": "2"}, H{"a": "2", "b": "1"}, false, nil, "any: none equal"},
	{H{"x-match": "any", "a": "1"}, H{}, false, nil, "any: no headers"},
	{H{"A": "1"}, H{"a": "1"}, false, nil, "names are case-sensitive"},
	{H{"a": "x"}, H{"a": "X"}, false, nil, "values are case-sensitive"},
	{H{"x-match": "all", "x-foo": "1"}, H{}, true, nil, "all: x- arguments are ignored"},
	{H{"x-match": "any", "x-foo": "1"}, H{"x-foo": "1"}, false, nil, "any: x- arguments are ignored, even if the header is there"},
	{H{"x-match": "all", "x-foo": "1", "a": "1"}, H{"a": "1"}, true, nil, "all: only non-x- arguments count"},
	{H{"x-match": "all-with-x", "x-foo": "1"}, H{}, false, nil, "all-with-x: x- arguments count"},
	{H{"x-match": "all-with-x", "x-foo": "1"}, H{"x-foo": "1"}, true, nil, "all-with-x: x- argument matched"},
	{H{"x-match": "all-with-x", "x-foo": "1", "a": "1"}, H{"x-foo": "1"}, false, nil, "all-with-x: still all"},
	{H{"x-match": "any-with-x", "x-foo": "1", "a": "1"}, H{"x-foo": "1"}, true, nil, "any-with-x: an x- argument is enough"},
	{H{"x-match": "any-with-x"}, H{"x-match": "any-with-x"}, false, nil, "any-with-x: x-match itself is never compared"},
	{H{"x-match": "all-with-x"}, H{}, true, nil, "all-with-x: x-match itself is never compared"},
	{H{"x-match": "ALL", "a": "1"}, H{}, false, nil, "an x-match the broker would refuse now routes as all"},
	{H{"x-match": "bogus", "a": "1", "b": "2"}, H{"a": "1"}, false, nil, "an unknown x-match is all, not any"},
	{H{"x-match": int64(1), "a": "1"}, H{"a": "1"}, true, nil, "a non-string x-match is all"},
	{H{"a": nil}, H{"a": "anything"}, true, nil, "void argument: presence is enough"},
	{H{"a": nil}, H{"a": nil}, true, nil, "void argument: a void header is present"},
	{H{"a": nil}, H{}, false, nil, "void argument: absence fails"},
	{H{"a": "undefined"}, H{"a": int64(7)}, true, nil, "the management API writes void as \"undefined\""},
	{H{"a": "x"}, H{"a": nil}, false, nil, "a void header equals no value"},
	{H{"x-match": "any", "a": nil, "b": "2"}, H{"a": false}, true, nil, "any: presence of a void argument's header"},
	{H{"BCC": nil}, H{"BCC": []any{"q"}}, false, nil, "the broker strips BCC before routing"},
	{H{"CC": nil}, H{"CC": []any{"q"}}, true, nil, "CC stays in the headers"},
	{H{"a": "1"}, H{"a": []byte("1")}, true, nil, "longstr and byte array are both binaries"},
	{H{"a": "1"}, H{"a": int64(1)}, false, nil, "a string is not a number"},
	{H{"a": true}, H{"a": true}, true, nil, "booleans"},
	{H{"a": true}, H{"a": "true"}, false, nil, "a boolean is not a string"},
	{H{"a": false}, H{"a": int64(0)}, false, nil, "a boolean is not a number"},
	{H{"a": int64(1)}, H{"a": int64(1)}, true, nil, "long equals long"},
	{H{"a": int64(1)}, H{"a": int8(1)}, true, nil, "integers of any width by value"},
	{H{"a": int64(1)}, H{"a": uint32(1)}, true, nil, "signed or not"},
	{H{"a": int64(1)}, H{"a": 1.0}, true, ptr(false), "1 == 1.0 in Erlang; 1 =/= 1.0 (3.13+)"},
	{H{"a": json.Number("1.0")}, H{"a": int64(1)}, true, ptr(false), "json.Number keeps 1.0 a double"},
	{H{"a": json.Number("1")}, H{"a": int64(1)}, true, nil, "json.Number keeps 1 a long"},
	{H{"a": 1.5}, H{"a": 1.5}, true, nil, "doubles"},
	{H{"a": 1.5}, H{"a": float32(1.5)}, true, nil, "float and double by value"},
	{H{"a": 1.5}, H{"a": int64(1)}, false, nil, "1.5 is not 1"},
	{H{"a": int64(5)}, H{"a": time.Unix(5, 0)}, true, ptr(false), "a timestamp is its seconds (3.13+: milliseconds)"},
	{H{"a": int64(5000)}, H{"a": time.Unix(5, 0)}, false, ptr(true), "3.13+ compares a header timestamp in milliseconds"},
	{H{"a": int64(math.MaxInt64)}, H{"a": float64(math.MaxInt64)}, false, nil, "exact: 2^63-1 is not the double 2^63"},
	{H{"a": int64(1 << 53)}, H{"a": float64(1 << 53)}, true, ptr(false), "exact big numbers"},
	{H{"a": []any{int64(1), "x"}}, H{"a": []any{int64(1), "x"}}, true, nil, "arrays element by element"},
	{H{"a": []any{int64(1)}}, H{"a": []any{int32(1)}}, false, nil, "inside an array the AMQP type counts: long is not signedint"},
	{H{"a": []any{int64(1)}}, H{"a": []any{1.0}}, false, nil, "inside an array long is not double"},
	{H{"a": []any{"x"}}, H{"a": []any{[]byte("x")}}, false, nil, "inside an array longstr is not binary"},
	{H{"a": []any{"x", "y"}}, H{"a": []any{"y", "x"}}, false, nil, "arrays are ordered"},
	{H{"a": []any{"x"}}, H{"a": "x"}, false, nil, "an array is not its element"},
	{H{"a": H{"k": "v"}}, H{"a": H{"k": "v"}}, true, nil, "a table of one field"},
}

func ptr(b bool) *bool { return &b }

func TestMatchHeaders(t *testing.T) {
	for _, c := range headersCases {
		if got := MatchHeaders(c.args, c.headers); got != c.want {
			t.Errorf("MatchHeaders(%v, %v) = %v, want %v: %s", c.args, c.headers, got, c.want, c.rule)
		}
		want := c.want
		if c.strict != nil {
			want = *c.strict
		}
		got, sure := Strict.MatchHeaders(c.args, c.headers)
		if got != want || !sure {
			t.Errorf("Strict.MatchHeaders(%v, %v) = %v, %v; want %v, sure: %s", c.args, c.headers, got, sure, want, c.rule)
		}
	}
}

// What a Go value cannot say is reported as unsure, not guessed silently.
func TestMatchHeadersUnsure(t *testing.T) {
	for _, c := range []struct {
		eq            Equality
		args, headers H
		want, sure    bool
		why           string
	}{
		{Arithmetic, H{"a": float64(1)}, H{"a": 1.0}, true, true, "top level, by value: the type does not matter before 3.13"},
		{Strict, H{"a": float64(1)}, H{"a": int64(1)}, true, false, "3.13+: is the API's 1 a long or a double?"},
		{Strict, H{"a": float64(1)}, H{"a": 1.0}, false, false, "3.13+: the other reading"},
		{Strict, H{"a": 1.5}, H{"a": 1.5}, true, true, "1.5 can only be a double"},
		{Arithmetic, H{"a": []any{float64(1)}}, H{"a": []any{int64(1)}}, true, false, "inside an array the type matters"},
		{Arithmetic, H{"a": H{"k": "v", "l": "w"}}, H{"a": H{"k": "v", "l": "w"}}, false, false, "field order of a nested table"},
		{Arithmetic, H{"a": struct{}{}}, H{"a": "x"}, false, false, "a Go type nobody publishes"},
		{Arithmetic, H{"a": "x"}, H{"a": math.NaN()}, false, false, "NaN cannot be published"},
		{Arithmetic, H{"x-match": "any", "a": "x", "b": H{"k": 1, "l": 2}}, H{"a": "x", "b": H{}}, true, true, "any: a sure match decides"},
		{Arithmetic, H{"a": "y", "b": H{"k": 1, "l": 2}}, H{"a": "x", "b": H{"k": 1, "l": 2}}, false, true, "all: a sure miss decides"},
	} {
		got, sure := c.eq.MatchHeaders(c.args, c.headers)
		if got != c.want || sure != c.sure {
			t.Errorf("%v.MatchHeaders(%v, %v) = %v, %v; want %v, %v: %s", c.eq, c.args, c.headers, got, sure, c.want, c.sure, c.why)
		}
	}
}

func TestEqualityFor(t *testing.T) {
	for v, want := range map[string]Equality{
		"3.10.8": Arithmetic, "3.12.14": Arithmetic, "3.8.0": Arithmetic, "2.8.7": Arithmetic,
		"3.13.0": Strict, "3.13.0-rc.1": Strict, "4.0.5": Strict, "4.1": Strict, "": Strict, "unknown": Strict,
		"3.12+rc.1": Arithmetic,
	} {
		if got := EqualityFor(v); got != want {
			t.Errorf("EqualityFor(%q) = %v, want %v", v, got, want)
		}
	}
}
