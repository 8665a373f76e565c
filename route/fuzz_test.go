package route

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzMatchTopic checks MatchTopic against referenceTopic, RabbitMQ's trie
// walk transcribed; neither may panic.
func FuzzMatchTopic(f *testing.F) {
	for _, c := range topicCases {
		f.Add(c.pattern, c.key)
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		// The reference is exponential in the number of "#": keep it small.
		if strings.Count(pattern, "#") > 6 || len(pattern) > 64 || len(key) > 64 {
			t.Skip()
		}
		if got, want := MatchTopic(pattern, key), referenceTopic(pattern, key); got != want {
			t.Fatalf("MatchTopic(%q, %q) = %v, reference says %v", pattern, key, got, want)
		}
	})
}

// FuzzMatchHeaders feeds MatchHeaders arguments and headers decoded from
// JSON (as the management API and the publish dialog produce them), in both
// equalities; it must never panic, and a match must not depend on the
// equality when no numbers are involved.
func FuzzMatchHeaders(f *testing.F) {
	f.Add(`{"x-match":"any","a":"1","b":null}`, `{"a":"1"}`)
	f.Add(`{"x-match":"all-with-x","x-a":[1,"x",{"k":1}]}`, `{"x-a":[1,"x",{"k":1}]}`)
	f.Add(`{"a":1e400,"b":1.5,"c":-0}`, `{"a":1,"b":1.5,"c":0}`)
	f.Add(`{"a":"undefined","CC":null}`, `{"a":true,"CC":["x"],"BCC":["y"]}`)
	f.Fuzz(func(t *testing.T, args, headers string) {
		var a, h map[string]any
		if json.Unmarshal([]byte(args), &a) != nil || json.Unmarshal([]byte(headers), &h) != nil {
			t.Skip()
		}
		m := MatchHeaders(a, h)
		s, _ := Strict.MatchHeaders(a, h)
		if !strings.ContainsAny(args+headers, "0123456789") && m != s {
			t.Fatalf("no numbers, yet arithmetic says %v and strict %v", m, s)
		}
		// Also the exact number types a Go caller may use.
		for _, d := range []*json.Decoder{json.NewDecoder(strings.NewReader(args)), json.NewDecoder(strings.NewReader(headers))} {
			d.UseNumber()
			var v map[string]any
			if d.Decode(&v) == nil {
				Arithmetic.MatchHeaders(v, h)
				Strict.MatchHeaders(a, v)
			}
		}
	})
}
