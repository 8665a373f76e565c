package msgfmt

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mqtop/mqtop/internal/safe"
)

// FuzzParseHeaders: the headers (and arguments) form parser never panics;
// an error is one terminal-safe line; what it accepts has names AMQP can
// carry (non-empty, valid UTF-8, at most 255 bytes, in nested tables too),
// values of the types the publisher sends, and reads back the same from its
// JSON form.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "tenant = acme \r\n\nretry: 3\ncount:=3", "# c\nurl: http://x/y?a=b", `flags := ["a", 1.5, {"n": null}]`,
		"empty=\nneg:=-2\nbig:=1e3", ` {"n": 10, "f": 0.5, "s": "x", "t": {"u": [1, true]}, "z": null} `, "[1,2]", "[section]\na=1",
		`{"a":`, `{"a":1}{"b":2}`, "n:=notjson", "n:=1 2", "=1", "a=1\na=2", "k\x1b[2J=v\x07", "\xff=1", `{"":1}`, `{"a":{"":1}}`,
		`{"\xff":1}`, "k:=\"\\ud800\"", "k:=1e400", "k:=-0", "k:=-0.0", "k:=9223372036854775808", "k:=2.0", `{"a":1,"a":2}`, "{}",
		"x-death:=[{\"count\":1}]", "k:=" + strings.Repeat("[", 20000), `{"` + strings.Repeat("k", 256) + `":1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseHeaders(s)
		if err != nil {
			if m != nil {
				t.Fatalf("ParseHeaders(%q) = %v with error %v", s, m, err)
			}
			checkErrorLine(t, s, err)
			return
		}
		if m == nil {
			return // no headers ({} gives an empty map: as good)
		}
		why := badNames(m)
		if why == "" {
			why = badTypes(m)
		}
		if why != "" {
			t.Fatalf("ParseHeaders(%q) accepted %v: %s", s, m, why)
		}
		// The JSON form of what was accepted reads back the same.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("ParseHeaders(%q) = %v, which has no JSON form: %v", s, m, err)
		}
		back, err := ParseHeaders(string(b))
		if err != nil {
			t.Fatalf("ParseHeaders(%q) = %v, whose JSON %s reads back with error %v", s, m, b, err)
		}
		if !sameValue(m, back) {
			t.Fatalf("ParseHeaders(%q) = %#v; its JSON %s reads back as %#v", s, m, b, back)
		}
	})
}

// checkErrorLine: an error is shown inline in a form, so it is one line the
// terminal cannot act on.
func checkErrorLine(t *testing.T, in string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || strings.ContainsAny(msg, "\n\r") || safe.Text(msg) != msg {
		t.Fatalf("error for %q is not one terminal-safe line: %q", in, msg)
	}
}

// badNames says what is wrong with a header or nested table name, or "".
func badNames(v any) string {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch {
			case k == "":
				return "an empty name"
			case !utf8.ValidString(k):
				return fmt.Sprintf("name %q is not valid UTF-8", k)
			case len(k) > maxShortStr:
				return fmt.Sprintf("name of %d bytes", len(k))
			}
			if why := badNames(e); why != "" {
				return why
			}
		}
	case []any:
		for _, e := range x {
			if why := badNames(e); why != "" {
				return why
			}
		}
	}
	return ""
}

// badTypes says which value is not of the types the publish form gives the
// AMQP table encoder (strings, int64, finite float64, bool, nil, tables,
// arrays), or "".
func badTypes(v any) string {
	switch x := v.(type) {
	case nil, string, int64, bool:
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprintf("non-finite number %v", x)
		}
	case map[string]any:
		for _, e := range x {
			if why := badTypes(e); why != "" {
				return why
			}
		}
	case []any:
		for _, e := range x {
			if why := badTypes(e); why != "" {
				return why
			}
		}
	default:
		return fmt.Sprintf("a value of type %T", v)
	}
	return ""
}

// sameValue compares a parsed value with its JSON round trip: numbers by
// value (2.0 comes back as the integer 2, -0 as 0), strings as JSON writes
// them (each invalid byte as U+FFFD).
func sameValue(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		return b == x
	case string:
		y, ok := b.(string)
		return ok && validUTF8(x) == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if !sameValue(e, y[validUTF8(k)]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// validUTF8 replaces each invalid byte by U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
