package msgfmt

import (
	"strings"
	"testing"
	"time"
)

var hostile = []string{"\x1b", "\x07", "\u009b", "\u202e", "\r"}

func assertSafe(t *testing.T, what string, lines []string) {
	t.Helper()
	for _, l := range lines {
		for _, bad := range hostile {
			if strings.Contains(l, bad) {
				t.Fatalf("%s: %q survived in %q", what, bad, l)
			}
		}
	}
}

func TestBodyKinds(t *testing.T) {
	cases := []struct {
		body     string
		ct, enc  string
		kind     Kind
		contains string
	}{
		{"", "", "", KindEmpty, "(empty body)"},
		{`{"b":1,"a":[1,2]}`, "", "", KindJSON, `  "b": 1,`},
		{` [1, 2] `, "application/json", "", KindJSON, "  1,"},
		{`{"broken":`, "application/json", "", KindText, `{"broken":`},
		{"line one\nline two", "", "", KindText, "line two"},
		{"\x00\x01\x02binary", "", "", KindBinary, "|...binary|"},
		{`{"a":1}`, "application/json", "gzip", KindBinary, "7b 22 61"},
	}
	for _, c := range cases {
		r := Body([]byte(c.body), c.ct, c.enc, 0)
		if r.Kind != c.kind || !strings.Contains(strings.Join(r.Lines, "\n"), c.contains) {
			t.Errorf("Body(%q): kind %s, lines %q; want %s containing %q", c.body, r.Kind, r.Lines, c.kind, c.contains)
		}
	}
	// Key order is the source's, not sorted.
	r := Body([]byte(`{"z":1,"a":2}`), "", "", 0)
	if !strings.HasPrefix(r.Lines[1], `  "z"`) {
		t.Errorf("key order changed: %q", r.Lines)
	}
}

func TestBodyTruncatesWithSizes(t *testing.T) {
	body := strings.Repeat("é", 100) // 200 bytes
	r := Body([]byte(body), "", "", 51)
	if !r.Truncated || r.Size != 200 || r.Shown != 50 || r.Kind != KindText {
		t.Fatalf("truncated render %+v", r)
	}
	big := `{"a":"` + strings.Repeat("x", 100) + `"}`
	if r := Body([]byte(big), "application/json", "", 20); r.Kind == KindJSON || !r.Truncated {
		t.Fatalf("cut JSON rendered as %s", r.Kind)
	}
}

func TestEscapesNeverSurvive(t *testing.T) {
	evil := "hi\x1b[2J\x1b]52;c;aGk=\x07\x1b[5;5H\u009b31m\u202eevil\rend\n" + strings.Repeat("text ", 20)
	assertSafe(t, "text body", Body([]byte(evil), "", "", 0).Lines)
	assertSafe(t, "json body", Body([]byte(`{"k":"`+strings.ReplaceAll(evil, "\n", "")+`"}`), "", "", 0).Lines)
	assertSafe(t, "hex dump", HexDump([]byte(evil)))
	assertSafe(t, "headers", HeaderLines(map[string]any{"k\x1b[2J": evil, "nested": map[string]any{"x\x07": []any{evil, []byte(evil)}}}, 0, false))
	if _, err := ParseHeaders("a\x1b[2J"); err == nil || strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("error %v", err)
	}
}

func TestHexDump(t *testing.T) {
	got := HexDump([]byte("0123456789abcdefXY\x00"))
	want := []string{
		"00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
		"00000010  58 59 00                                          |XY.|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("hex dump\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHeaderLines(t *testing.T) {
	h := map[string]any{
		"b": int64(7), "a": "plain", "c": " padded", "d": []byte{0xff, 0x00}, "e": true,
		"f": time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), "g": map[string]any{"y": int32(1), "x": "s"},
		"x-death": []any{map[string]any{"queue": "q"}}, "long": strings.Repeat("x", 100),
	}
	got := HeaderLines(h, 40, true)
	want := []string{"a: plain", "b: 7", `c: " padded"`, "d: 0xff00 (2 bytes)", "e: true", "f: 2026-11-23T10:00:00Z",
		`g: {x: "s", y: 1}`}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("line %d = %q, want %q", i, got[i], w)
		}
	}
	if last := got[len(got)-1]; !strings.HasPrefix(last, "long: xxx") || !strings.HasSuffix(last, "…") || len([]rune(last)) != 40 {
		t.Errorf("long line %q not cut to 40", last)
	}
	for _, l := range got {
		if strings.HasPrefix(l, "x-death") {
			t.Error("x-death not skipped")
		}
	}
}

func TestParseHeaders(t *testing.T) {
	m, err := ParseHeaders("# comment\ntenant=acme\n\nretry: 3\ncount:=3\nflags:=[\"a\",1.5]\nobj:={\"n\":null}")
	if err != nil {
		t.Fatal(err)
	}
	if m["tenant"] != "acme" || m["retry"] != "3" || m["count"] != int64(3) {
		t.Fatalf("headers %#v", m)
	}
	if a, ok := m["flags"].([]any); !ok || a[0] != "a" || a[1] != 1.5 {
		t.Fatalf("flags %#v", m["flags"])
	}
	if o, ok := m["obj"].(map[string]any); !ok || o["n"] != nil {
		t.Fatalf("obj %#v", m["obj"])
	}
	j, err := ParseHeaders(` {"n": 10, "f": 0.5, "s": "x", "t": {"u": [1]}} `)
	if err != nil || j["n"] != int64(10) || j["f"] != 0.5 || j["s"] != "x" {
		t.Fatalf("JSON headers %#v, %v", j, err)
	}
	if m, err := ParseHeaders("  \n "); m != nil || err != nil {
		t.Fatalf("empty: %v %v", m, err)
	}
	for in, want := range map[string]string{
		"a=1\nnonsense": `line 2: "nonsense" is not key=value`,
		"=1":            "line 1: empty header name",
		"a=1\nb=2\na=3": `line 3: header "a" given twice`,
		`{"a":`:         "headers: invalid JSON",
		`{"a":1} trail`: "headers: invalid JSON",
		`[1,2]`:         "headers: JSON must be an object, got an array",
		"n:=notjson":    `line 1: header "n"`,
	} {
		if _, err := ParseHeaders(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseHeaders(%q) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestValidators(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 500, time.UTC)
	if p, err := ParsePriority("255"); p != 255 || err != nil {
		t.Error("priority 255", p, err)
	}
	for _, bad := range []string{"256", "-1", "x", "1.5"} {
		if _, err := ParsePriority(bad); err == nil || !strings.Contains(err.Error(), "0 to 255") {
			t.Errorf("priority %q: %v", bad, err)
		}
	}
	if e, err := ParseExpiration(" 060000 "); e != "60000" || err != nil {
		t.Error("expiration", e, err)
	}
	for _, bad := range []string{"1.5", "-1", "10s"} {
		if _, err := ParseExpiration(bad); err == nil || !strings.Contains(err.Error(), "milliseconds") {
			t.Errorf("expiration %q: %v", bad, err)
		}
	}
	for in, want := range map[string]uint8{"": 0, "1": 1, "Transient": 1, "p": 2, "PERSISTENT": 2} {
		if got, err := ParseDeliveryMode(in); got != want || err != nil {
			t.Errorf("delivery mode %q = %d, %v", in, got, err)
		}
	}
	if _, err := ParseDeliveryMode("3"); err == nil {
		t.Error("delivery mode 3 accepted")
	}
	if ts, _ := ParseTimestamp("now", now); !ts.Equal(now.Truncate(time.Second)) {
		t.Error("now", ts)
	}
	if ts, _ := ParseTimestamp("1700000000", now); ts.Unix() != 1700000000 {
		t.Error("unix", ts)
	}
	if ts, _ := ParseTimestamp("2026-01-02T03:04:05Z", now); ts.Year() != 2026 || ts.Second() != 5 {
		t.Error("rfc3339", ts)
	}
	if _, err := ParseTimestamp("yesterday", now); err == nil {
		t.Error("bad timestamp accepted")
	}
	if n, _ := ParseCount(""); n != 1 {
		t.Error("count default", n)
	}
	if n, _ := ParseCount("100,000"); n != 100000 {
		t.Error("count with separators", n)
	}
	for _, bad := range []string{"0", "-5", "10000001", "x"} {
		if _, err := ParseCount(bad); err == nil {
			t.Errorf("count %q accepted", bad)
		}
	}
	if r, _ := ParseRate("max"); r != 0 {
		t.Error("rate max", r)
	}
	if r, _ := ParseRate("250.5"); r != 250.5 {
		t.Error("rate", r)
	}
	if _, err := ParseRate("-1"); err == nil {
		t.Error("negative rate accepted")
	}
	if d, _ := ParseDuration("", 5*time.Second); d != 5*time.Second {
		t.Error("duration default", d)
	}
	if d, _ := ParseDuration("1.5", 0); d != 1500*time.Millisecond {
		t.Error("duration seconds", d)
	}
	for _, bad := range []string{"0s", "11m", "soon"} {
		if _, err := ParseDuration(bad, time.Second); err == nil {
			t.Errorf("duration %q accepted", bad)
		}
	}
	if err := ParseShortString("content-type", strings.Repeat("x", 256)); err == nil || !strings.Contains(err.Error(), "at most 255") {
		t.Error("long short string", err)
	}
}
