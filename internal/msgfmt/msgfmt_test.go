package msgfmt

import (
	"strings"
	"testing"
	"time"

	"github.com/rabbitmq/amqp091-go"
)

// evil packs what a message must never get through to the terminal: CSI
// clear screen, OSC 52 clipboard write, cursor move, 8-bit CSI, a bidi
// override and a bare carriage return.
const evil = "hi\x1b[2J\x1b]52;c;aGVsbG8=\x07\x1b[5;5H\u009b31m\u202eevil\rend"

var hostile = []string{"\x1b", "\x1b[2J", "\x1b]52", "\x07", "\u009b", "\u202e", "\u2066", "\r", "\n"}

func assertSafe(t *testing.T, what string, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		t.Fatalf("%s: no lines", what)
	}
	for _, l := range lines {
		for _, bad := range hostile {
			if strings.Contains(l, bad) {
				t.Errorf("%s: %q survived in %q", what, bad, l)
			}
		}
	}
}

func TestEscapesNeverSurvive(t *testing.T) {
	long := strings.Repeat("plain text ", 20) + "\n" + evil + "\n" + evil // under 10% controls: text
	jsonBody := "{\"k\u009b\":\"\u202eabc\u2066\",\"e\":\"\\u001b[2J\"}"  // raw C1 and bidi are valid JSON
	bodies := []struct {
		name string
		r    Rendered
		kind Kind // the path meant to be exercised
	}{
		{"text body", Body([]byte(long), "text/plain", "", 0), KindText},
		{"text body cut", Body([]byte(long), "", "", len(long)-10), KindText},
		{"control-heavy body", Body([]byte(evil), "", "", 0), KindBinary},
		{"gzip body", Body([]byte(long), "", "gzip", 0), KindBinary},
		{"json body", Body([]byte(jsonBody), "", "", 0), KindJSON},
	}
	for _, b := range bodies {
		if b.r.Kind != b.kind {
			t.Errorf("%s: kind %s, want %s", b.name, b.r.Kind, b.kind)
		}
		assertSafe(t, b.name, b.r.Lines)
	}
	assertSafe(t, "hex dump", HexDump([]byte(long)))
	assertSafe(t, "headers", HeaderLines(map[string]any{
		"k\x1b[2J": evil, "\u202ename": " " + evil, "b": []byte(long), "bin": []byte(evil + "\x00\x01\x02\x03\x04\x05\x06"),
		"nested": map[string]any{"x\x07": []any{evil, []byte(evil), map[string]any{"\u009b": evil}}},
		"other":  struct{ S string }{evil},
	}, 0, false))
	assertSafe(t, "headers cut", HeaderLines(map[string]any{"k": evil + evil}, 12, false))

	for _, in := range []string{"a\x1b[2J", "k:=\x1b]52;c;x\x07", "{\"a\x1b\":1", "a=1\na=\u009b\na=2", "\u202e=1\n\u202e=2"} {
		_, err := ParseHeaders(in)
		if err == nil {
			t.Fatalf("ParseHeaders(%q) accepted", in)
		}
		assertSafe(t, "error of "+in, []string{err.Error()})
	}
	for _, err := range []error{
		func() error { _, e := ParsePriority("\x1b[2J"); return e }(),
		func() error { _, e := ParseExpiration("\u009b1"); return e }(),
		func() error { _, e := ParseTimestamp("\u202e", time.Now()); return e }(),
		func() error { _, e := ParseDuration("\r5s\x07x", time.Second); return e }(),
	} {
		if err == nil {
			t.Fatal("hostile form input accepted")
		}
		assertSafe(t, "validator error", []string{err.Error()})
	}
}

func TestBodyKinds(t *testing.T) {
	cases := []struct {
		name, body, ct, enc string
		kind                Kind
		lines               []string // exact, when set
		contains            string
	}{
		{name: "empty", kind: KindEmpty, lines: []string{"(empty body)"}},
		{name: "object keeps source order", body: `{"z":1,"a":[1,2],"m":{}}`, kind: KindJSON,
			lines: []string{"{", `  "z": 1,`, `  "a": [`, "    1,", "    2", "  ],", `  "m": {}`, "}"}},
		{name: "array with whitespace", body: " \n[1, \"x\"]\n\n", ct: "application/json", kind: KindJSON,
			lines: []string{"[", "  1,", `  "x"`, "]"}},
		{name: "scalar JSON", body: "42", kind: KindJSON, lines: []string{"42"}},
		{name: "json label but broken", body: `{"broken":`, ct: "application/json", kind: KindText, lines: []string{`{"broken":`}},
		{name: "json label but binary", body: "\x00\x01{", ct: "application/json", kind: KindBinary},
		{name: "text, CRLF and tabs", body: "one\r\n\ttwo\n\n", kind: KindText, lines: []string{"one", "    two"}},
		{name: "text with a few controls", body: "bell\x07 " + strings.Repeat("x", 20), kind: KindText,
			lines: []string{`bell\x07 ` + strings.Repeat("x", 20)}},
		{name: "10% controls is binary", body: "\x01\x02" + strings.Repeat("x", 18), kind: KindBinary},
		{name: "NUL is binary", body: "text\x00text", kind: KindBinary},
		{name: "invalid UTF-8 is binary", body: "caf\xe9", kind: KindBinary, contains: "|caf.|"},
		{name: "gzip not decompressed", body: `{"a":1}`, ct: "application/json", enc: " GZIP ", kind: KindBinary,
			lines: []string{"00000000  7b 22 61 22 3a 31 7d                              |{\"a\":1}|"}},
		{name: "identity encoding", body: `{"a":1}`, enc: "identity", kind: KindJSON},
	}
	for _, c := range cases {
		r := Body([]byte(c.body), c.ct, c.enc, 0)
		if r.Kind != c.kind || r.Truncated || r.Size != len(c.body) || r.Shown != len(c.body) {
			t.Errorf("%s: got %s size %d shown %d truncated %v; want %s, %d", c.name, r.Kind, r.Size, r.Shown, r.Truncated, c.kind, len(c.body))
		}
		if c.lines != nil && strings.Join(r.Lines, "\n") != strings.Join(c.lines, "\n") {
			t.Errorf("%s: lines %q, want %q", c.name, r.Lines, c.lines)
		}
		if !strings.Contains(strings.Join(r.Lines, "\n"), c.contains) {
			t.Errorf("%s: lines %q lack %q", c.name, r.Lines, c.contains)
		}
		for _, l := range r.Lines {
			if strings.Contains(l, "\n") {
				t.Errorf("%s: newline inside line %q", c.name, l)
			}
		}
	}
}

func TestBodyTruncates(t *testing.T) {
	json := []byte(`{"a":"` + strings.Repeat("x", 100) + `"}`)
	cases := []struct {
		name, enc   string
		body        []byte
		max         int
		kind        Kind
		shown       int
		truncated   bool
		lastContain string
	}{
		{"under the limit", "", []byte("abc"), 3, KindText, 3, false, "abc"},
		{"default limit", "", []byte(strings.Repeat("a", DefaultMaxBytes+1)), 0, KindText, DefaultMaxBytes, true, "aaa"},
		{"text cut", "", []byte("hello world"), 5, KindText, 5, true, "hello"},
		{"no half rune at the cut", "", []byte(strings.Repeat("é", 100)), 51, KindText, 50, true, "éé"},
		{"no half 4-byte rune", "", []byte("ab🐇🐇"), 5, KindText, 2, true, "ab"},
		{"cut JSON is text", "", json, 20, KindText, 20, true, `{"a":"xxxxxxxxxxxxxx`},
		{"cut JSON that still parses is text", "", []byte("12345678"), 4, KindText, 4, true, "1234"},
		{"binary cut at the limit", "", []byte(strings.Repeat("\xff\x00", 20)), 17, KindBinary, 17, true, "|.|"},
		{"gzip cut at the limit", "gzip", []byte("\x1f\x8b\x08\x00\xc3"), 4, KindBinary, 4, true, "1f 8b 08 00"},
	}
	for _, c := range cases {
		r := Body(c.body, "application/json", c.enc, c.max)
		if r.Kind != c.kind || r.Shown != c.shown || r.Truncated != c.truncated || r.Size != len(c.body) {
			t.Errorf("%s: got %s shown %d/%d truncated %v; want %s shown %d truncated %v",
				c.name, r.Kind, r.Shown, r.Size, r.Truncated, c.kind, c.shown, c.truncated)
			continue
		}
		if last := r.Lines[len(r.Lines)-1]; !strings.Contains(last, c.lastContain) {
			t.Errorf("%s: last line %q lacks %q", c.name, last, c.lastContain)
		}
	}
}

func TestHexDump(t *testing.T) {
	// Expected output taken from `printf ... | hexdump -C` (less its final offset line).
	cases := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"A", []string{"00000000  41                                                |A|"}},
		{"0123456789abcdefXY\x00", []string{
			"00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
			"00000010  58 59 00                                          |XY.|",
		}},
		{"12345678\x1b[2J\x7f\x80\xff", []string{
			"00000000  31 32 33 34 35 36 37 38  1b 5b 32 4a 7f 80 ff     |12345678.[2J...|",
		}},
	}
	for _, c := range cases {
		got := HexDump([]byte(c.in))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") || len(got) != len(c.want) {
			t.Errorf("HexDump(%q)\n%s\nwant\n%s", c.in, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int]string{0: "0 B", 512: "512 B", 64 << 10: "64 KiB", 3355443: "3.2 MiB", -1: "0 B"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHeaderLines(t *testing.T) {
	h := map[string]any{
		"a-str": "plain", "b-pad": " padded", "c-empty": "", "d-bin": []byte{0xff, 0x00}, "e-bool": true,
		"f-time":  time.Date(2026, 11, 23, 11, 0, 0, 0, time.FixedZone("CET", 3600)),
		"g-table": map[string]any{"y": int32(1), "x": "s", "z": nil},
		"h-array": []any{int8(-1), uint16(2), float32(0.5), "two words", []any{}},
		"i-bytes": []byte("text bytes"), "j-dec": amqp091.Decimal{Scale: 2, Value: -5}, "k-f64": 1.25,
		"l-lib": amqp091.Table{"n": int64(1)}, "m-uint8": uint8(200), "n-inner": "in side",
		"o-empty-bytes": []byte{}, "x-death": []any{map[string]any{"queue": "q"}},
	}
	want := []string{
		"a-str: plain", `b-pad: " padded"`, `c-empty: ""`, "d-bin: 0xff00 (2 bytes)", "e-bool: true",
		"f-time: 2026-11-23T10:00:00Z", `g-table: {x: "s", y: 1, z: null}`, `h-array: [-1, 2, 0.5, "two words", []]`,
		"i-bytes: text bytes", "j-dec: -0.05", "k-f64: 1.25", "l-lib: {n: 1}", "m-uint8: 200", "n-inner: in side",
		`o-empty-bytes: ""`,
	}
	got := HeaderLines(h, 0, true)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("HeaderLines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := HeaderLines(map[string]any{"x-death": []any{map[string]any{"count": int64(2)}}}, 0, false); len(got) != 1 ||
		got[0] != "x-death: [{count: 2}]" {
		t.Errorf("x-death kept: %q", got)
	}
	if got := HeaderLines(nil, 10, true); len(got) != 0 {
		t.Errorf("nil headers: %q", got)
	}

	long := HeaderLines(map[string]any{"k": strings.Repeat("x", 100), "w": strings.Repeat("日", 30), "s": "short"}, 20, false)
	for i, w := range []string{"k: xxxxxxxxxxxxxxxx…", "s: short", "w: 日日日日日日日日…"} {
		if long[i] != w {
			t.Errorf("cut line %d = %q, want %q", i, long[i], w)
		}
	}
}

func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		d    amqp091.Decimal
		want string
	}{
		{amqp091.Decimal{Scale: 0, Value: 7}, "7"}, {amqp091.Decimal{Scale: 2, Value: 12345}, "123.45"},
		{amqp091.Decimal{Scale: 3, Value: 5}, "0.005"}, {amqp091.Decimal{Scale: 1, Value: -15}, "-1.5"},
	} {
		if got := decimal(c.d); got != c.want {
			t.Errorf("decimal(%+v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	m, err := ParseHeaders("# comment\n tenant = acme \r\n\nretry: 3\ncount:=3\nurl: http://x/y?a=b\nflags := [\"a\", 1.5, {\"n\": null}]\nempty=\nneg:=-2\nbig:=1e3")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tenant": "acme", "retry": "3", "count": int64(3), "url": "http://x/y?a=b", "empty": "", "neg": int64(-2), "big": 1000.0}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %#v, want %#v", k, m[k], w)
		}
	}
	if a, ok := m["flags"].([]any); !ok || len(a) != 3 || a[0] != "a" || a[1] != 1.5 {
		t.Errorf("flags %#v", m["flags"])
	} else if o, ok := a[2].(map[string]any); !ok || len(o) != 1 || o["n"] != nil {
		t.Errorf("flags[2] %#v", a[2])
	}
	if len(m) != len(want)+1 {
		t.Errorf("got %d headers: %#v", len(m), m)
	}

	j, err := ParseHeaders(" \n{\"n\": 10, \"f\": 0.5, \"s\": \"x\", \"t\": {\"u\": [1, true]}, \"z\": null} ")
	if err != nil {
		t.Fatal(err)
	}
	if j["n"] != int64(10) || j["f"] != 0.5 || j["s"] != "x" || j["z"] != nil || len(j) != 5 {
		t.Errorf("JSON headers %#v", j)
	}
	if u := j["t"].(map[string]any)["u"].([]any); u[0] != int64(1) || u[1] != true {
		t.Errorf("nested %#v", u)
	}

	for _, in := range []string{"", "  \n\t ", "# only a comment\n\n"} {
		if m, err := ParseHeaders(in); m != nil || err != nil {
			t.Errorf("ParseHeaders(%q) = %v, %v; want nil, nil", in, m, err)
		}
	}

	for _, c := range []struct{ in, want string }{
		{"a=1\nnonsense", `line 2: "nonsense" is not key=value`},
		{"=1", "line 1: header name is empty"},
		{"a=1\n\n  := 5", "line 3: header name is empty"},
		{`{"":1}`, "headers: header name is empty"},
		{`{"a":{"b":[{"":1}]}}`, "headers: header name is empty"},
		{"\xff=1", `line 1: header name "\xff" is not valid UTF-8`},
		{"ok=1\nk\xc3(: x", `line 2: header name "k\xc3(" is not valid UTF-8`},
		{"k:=1e400", `line 1: header "k": number 1e400 is out of range`},
		{"k:=-1e400", `line 1: header "k": number -1e400 is out of range`},
		{`{"a":[1, {"b":1e400}]}`, "headers: number 1e400 is out of range"},
		{"a=1\nb=2\n# c\na: 3", `line 4: header "a" given twice`},
		{"n:=notjson", `line 1: header "n": "notjson" after := is not JSON: invalid character 'o' in literal null (expecting 'u') (at byte 2)`},
		{"n:=[1", `line 1: header "n": "[1" after := is not JSON: unexpected end of JSON input (after byte 2)`},
		{"n:=1 2", `line 1: header "n": "1 2" after := is not JSON: unexpected text after the JSON value (at byte 3)`},
		{"[section]\na=1", `line 1: "[section]" is not key=value`},
		{`{"a":`, "headers: invalid JSON: unexpected end of JSON input (after byte 5)"},
		{`{"a":x}`, "headers: invalid JSON: invalid character 'x' looking for beginning of value (at byte 6)"},
		{` {"a":1} trail`, "headers: invalid JSON: unexpected text after the JSON value (at byte 10)"},
		{`{"a":1}{"b":2}`, "headers: invalid JSON: unexpected text after the JSON value (at byte 8)"},
		{`[1,2]`, "headers: JSON must be an object, got an array"},
		{`{"` + strings.Repeat("k", 256) + `":1}`, "headers: header name " + `"kkkkkkkkkkkkkkkkkkkk"… is 256 bytes; AMQP allows at most 255`},
		{"ok=1\n" + strings.Repeat("k", 300) + "=1", "line 2: header name " + `"kkkkkkkkkkkkkkkkkkkk"… is 300 bytes`},
		{`t:={"` + strings.Repeat("k", 256) + `":1}`, "line 1: header name"},
	} {
		m, err := ParseHeaders(c.in)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || m != nil {
			t.Errorf("ParseHeaders(%.40q) = %v, %v\nwant error %q", c.in, m, err, c.want)
		}
	}
}

func TestValidators(t *testing.T) {
	type result struct {
		v   any
		err string // "" for success, else a substring of the error
	}
	check := func(name, in string, v any, err error, want result) {
		t.Helper()
		switch {
		case want.err == "" && err != nil:
			t.Errorf("%s(%q): unexpected error %v", name, in, err)
		case want.err == "" && v != want.v:
			t.Errorf("%s(%q) = %#v, want %#v", name, in, v, want.v)
		case want.err != "" && (err == nil || !strings.Contains(err.Error(), want.err)):
			t.Errorf("%s(%q) = %#v, %v; want error containing %q", name, in, v, err, want.err)
		}
	}
	const prio = `priority must be a whole number from 0 to 255, got `
	for in, want := range map[string]result{
		"": {uint8(0), ""}, "0": {uint8(0), ""}, " 9 ": {uint8(9), ""}, "255": {uint8(255), ""},
		"256": {nil, prio + `"256"`}, "-1": {nil, prio + `"-1"`}, "x": {nil, prio + `"x"`}, "1.5": {nil, prio}, "+5": {nil, prio},
	} {
		v, err := ParsePriority(in)
		check("ParsePriority", in, v, err, want)
	}
	const ttl = "expiration is a per-message TTL in whole milliseconds"
	for in, want := range map[string]result{
		"": {"", ""}, " 060000 ": {"60000", ""}, "0": {"0", ""}, "000": {"0", ""}, "4294967295": {"4294967295", ""},
		"4294967296": {nil, ttl}, "1.5": {nil, ttl + ` (0 to 4294967295), got "1.5"`}, "-1": {nil, ttl}, "10s": {nil, ttl},
		"+5": {nil, ttl}, "6 0": {nil, ttl},
	} {
		v, err := ParseExpiration(in)
		check("ParseExpiration", in, v, err, want)
	}
	for in, want := range map[string]result{
		"": {uint8(0), ""}, "1": {uint8(1), ""}, "Transient": {uint8(1), ""}, "T": {uint8(1), ""},
		"2": {uint8(2), ""}, "p": {uint8(2), ""}, " PERSISTENT ": {uint8(2), ""}, "3": {nil, `got "3"`}, "0": {nil, "delivery mode"},
	} {
		v, err := ParseDeliveryMode(in)
		check("ParseDeliveryMode", in, v, err, want)
	}

	now := time.Date(2026, 11, 23, 10, 0, 0, 999_000_000, time.UTC)
	for in, want := range map[string]result{
		"":                          {time.Time{}, ""},
		"now":                       {time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), ""},
		" NOW ":                     {time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), ""},
		"1700000000":                {time.Unix(1700000000, 0).UTC(), ""},
		"2026-01-02T03:04:05.7Z":    {time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		"2026-01-02T04:04:05+01:00": {time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		"yesterday":                 {nil, `timestamp must be now, RFC 3339`},
		"-5":                        {nil, "unix seconds"},
		"1960-01-01T00:00:00Z":      {nil, "from 1970"},
		"2026-01-02 03:04:05":       {nil, "RFC 3339"},
	} {
		v, err := ParseTimestamp(in, now)
		if want.err == "" && err == nil && !v.Equal(want.v.(time.Time)) {
			t.Errorf("ParseTimestamp(%q) = %v, want %v", in, v, want.v)
			continue
		}
		check("ParseTimestamp", in, nil, err, result{nil, want.err})
	}

	const rep = "repeat must be a whole number from 1 to 10,000,000"
	for in, want := range map[string]result{
		"": {1, ""}, "1": {1, ""}, "100,000": {100000, ""}, "1_000": {1000, ""}, "10000000": {10_000_000, ""},
		"0": {nil, rep}, "-5": {nil, rep}, "10000001": {nil, rep}, "x": {nil, rep}, "1.5": {nil, rep},
	} {
		v, err := ParseCount(in)
		check("ParseCount", in, v, err, want)
	}
	const rate = "rate must be messages per second"
	for in, want := range map[string]result{
		"": {0.0, ""}, "0": {0.0, ""}, "MAX": {0.0, ""}, "250.5": {250.5, ""}, "1e6": {1e6, ""}, "-0": {0.0, ""},
		"-1": {nil, rate}, "1000001": {nil, rate}, "NaN": {nil, rate}, "inf": {nil, rate}, "fast": {nil, rate},
	} {
		v, err := ParseRate(in)
		check("ParseRate", in, v, err, want)
	}
	const dur = "duration must be"
	for in, want := range map[string]result{
		"": {7 * time.Second, ""}, "5s": {5 * time.Second, ""}, "500ms": {500 * time.Millisecond, ""}, "1.5": {1500 * time.Millisecond, ""},
		"10m": {10 * time.Minute, ""}, "600": {10 * time.Minute, ""},
		"0s": {nil, dur}, "0": {nil, dur}, "-1s": {nil, dur}, "11m": {nil, dur}, "601": {nil, dur}, "1e300": {nil, dur}, "NaN": {nil, dur}, "soon": {nil, dur},
	} {
		v, err := ParseDuration(in, 7*time.Second)
		check("ParseDuration", in, v, err, want)
	}

	for _, c := range []struct {
		n    int
		want string
	}{{0, ""}, {255, ""}, {256, "correlation-id is 256 bytes; AMQP allows at most 255"}, {300, "correlation-id is 300 bytes"}} {
		err := ParseShortString("correlation-id", strings.Repeat("x", c.n))
		check("ParseShortString", strings.Repeat("x", min(c.n, 3)), nil, err, result{nil, c.want})
	}
	if err := ParseShortString("content-type", strings.Repeat("é", 128)); err == nil || err.Error() != "content-type is 256 bytes; AMQP allows at most 255" {
		t.Errorf("short string counts bytes, not runes: %v", err)
	}
}
