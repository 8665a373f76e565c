package safe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// seeds are inputs a hostile queue name, header or body could carry, and
// text that must come through untouched. The corpus under
// testdata/fuzz/FuzzText adds what the fuzzer found.
var seeds = []string{
	"", "orders", "a\\x1b", "clear\x1b[2Jscreen", "osc52\x1b]52;c;aGk=\x07", "\x1bP+q\x1b\\", "\x1b[?1049h",
	"c1 csi \u009b31m", "\u009d0;title\u009c", "\xc2\x9b", "line\nbreak\ttab\r", "crlf\r\nnext", "bad \xff byte",
	"\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 beyond", "bidi \u202egnp.exe", "iso\u2066late\u2069", "alm\u061c",
	"orders\u200b", "zw\u200c\u200dj", "a\u200db", "bom\ufeff", "soft\u00adhyphen", "word\u2060joiner",
	"tag\U000e0041\U000e007f", "\U000e0001", "fill\u3164er", "\u115f\u1160", "cgj\u034f", "vs\ufe0f", "\ufe0f",
	"\u0600x", "line\u2028sep\u2029", "del\x7f", "wide 日本語 and émoji 🐇", "e\u0301", "\u0301lead",
	"क्षि नमस्ते", "می\u200cخواهم", "ශ්\u200dරී", "❤\ufe0f\u200d🔥", "👨\u200d👩\u200d👧", "👩🏽\u200d💻", "1\ufe0f\u20e3",
	"🇫🇷", "한국어", "ｆｕｌｌｗｉｄｔｈ", "\uFFFD replacement", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
}

func FuzzText(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		checkSafe(t, s, out, false)
		if strings.ContainsAny(out, "\n\r") {
			t.Fatalf("Text(%q) = %q breaks the line", s, out)
		}
		if Text(out) != out {
			t.Fatalf("Text is not idempotent: Text(%q) = %q, Text of that = %q", s, out, Text(out))
		}
		if printableASCII(s) && out != s {
			t.Fatalf("Text(%q) = %q changed printable ASCII", s, out)
		}
	})
}

func FuzzLines(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add("a\r\nb\x1b[H\n\tc")
	f.Add("\n\n\r\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		out := Lines(s)
		checkSafe(t, s, out, true)
		if strings.ContainsAny(out, "\r\t") {
			t.Fatalf("Lines(%q) = %q holds a CR or tab", s, out)
		}
		want := strings.Count(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		if got := strings.Count(out, "\n"); got != want {
			t.Fatalf("Lines(%q) = %q has %d line breaks, want %d", s, out, got, want)
		}
		if Lines(out) != out {
			t.Fatalf("Lines is not idempotent: Lines(%q) = %q, Lines of that = %q", s, out, Lines(out))
		}
	})
}

// checkSafe is the contract of Text (and of Lines, whose lines may break at
// \n): what comes out is valid UTF-8 with no control character, no escape
// sequence a terminal parser would find, no bidi control, and no invisible
// character except a joiner or variation selector between visible
// non-ASCII characters; and its width is what it shows.
func checkSafe(t *testing.T, in, out string, newlines bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%q -> %q: invalid UTF-8", in, out)
	}
	rs := []rune(out)
	for i, r := range rs {
		prev, next := none, none
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if why := forbidden(prev, r, next, newlines); why != "" {
			t.Fatalf("%q -> %q: %s %U at rune %d", in, out, why, r, i)
		}
	}
	if ansi.Strip(out) != out {
		t.Fatalf("%q -> %q: the terminal parser finds an escape sequence (stripped: %q)", in, out, ansi.Strip(out))
	}
	// Measured whole or rune by rune, the width is the same: nothing in the
	// output starts a sequence that swallows what follows.
	sum := 0
	for _, r := range out {
		if r != '\n' {
			sum += ansi.StringWidthWc(string(r))
		}
	}
	if got := ansi.StringWidthWc(strings.ReplaceAll(out, "\n", "")); got != sum {
		t.Fatalf("%q -> %q: width %d, its runes' widths add up to %d", in, out, got, sum)
	}
	// Where no grapheme cluster can form (scripts whose characters stand
	// alone), the layout's measure (lipgloss: grapheme clusters) and a
	// wcwidth terminal's agree, so a table built from it stays aligned.
	// Emoji sequences and Indic conjuncts are measured differently by
	// different terminals; that is a rendering matter, not a safety one.
	if simpleScript(out) {
		for _, line := range strings.Split(out, "\n") {
			if g, w := ansi.StringWidth(line), ansi.StringWidthWc(line); g != w {
				t.Fatalf("%q -> %q: grapheme width %d, wcwidth %d", in, line, g, w)
			}
		}
	}
}

// forbidden says why r may not reach the terminal, or "".
func forbidden(prev, r, next rune, newlines bool) string {
	switch {
	case r == '\n' && newlines:
		return ""
	case r < 0x20 || r == 0x7f:
		return "C0 control or DEL"
	case r >= 0x80 && r <= 0x9f:
		return "C1 control"
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return "bidi control"
	case r == 0x200c, r == 0x200d:
		if prev < 0x80 || next < 0x80 {
			return "joiner next to ASCII or at an end"
		}
	case unicode.Is(unicode.Variation_Selector, r):
		keycap := r == 0xfe0f && next == 0x20e3 && strings.ContainsRune("0123456789#*", prev)
		if prev < 0x80 && !keycap {
			return "variation selector on ASCII or at the start"
		}
	case r == 0x200b, r == 0x2060, r == 0xfeff, r == 0x00ad, r == 0x180e, r == 0x034f, r == 0x2028, r == 0x2029,
		r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0, r >= 0xe0000 && r <= 0xe0fff:
		return "invisible character"
	case unicode.Is(unicode.Cf, r):
		return "format character"
	}
	return ""
}

// simpleScript reports text made only of ASCII, Latin, Greek, Cyrillic,
// CJK ideographs, kana, precomposed Hangul, fullwidth forms and the
// combining diacritics: no character of it joins its neighbours into a
// cluster of another width.
func simpleScript(s string) bool {
	for _, r := range s {
		switch {
		case r < 0x7f:
		case r >= 0xa0 && r <= 0x24f, r >= 0x300 && r <= 0x36f, r >= 0x370 && r <= 0x3ff && r != 0x378 && r != 0x379,
			r >= 0x400 && r <= 0x4ff, r >= 0x3040 && r <= 0x30ff, r >= 0x4e00 && r <= 0x9fff, r >= 0xac00 && r <= 0xd7a3,
			r >= 0xff01 && r <= 0xff60:
			if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// TestTextLongAndWide: a megabyte with escapes throughout comes out whole
// and clean; wide and combined characters keep their width.
func TestTextLongAndWide(t *testing.T) {
	unit := "日本語🐇 é\x1b[2J\u202e\u200b|"
	long := strings.Repeat(unit, 1<<20/len(unit))
	out := Text(long)
	checkSafe(t, "(long)", out, false)
	wantUnit := `日本語🐇 é\x1b[2J\u202e\u200b|`
	if out != strings.Repeat(wantUnit, 1<<20/len(unit)) {
		t.Fatalf("long text not neutralised unit by unit: %q…", out[:200])
	}
	for s, w := range map[string]int{"日本語": 6, "🐇": 2, "e\u0301": 1, "ｆｕｌｌ": 8, "한국어": 6, "Ελληνικά": 8, "кириллица": 9} {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
		if g, wc := ansi.StringWidth(s), ansi.StringWidthWc(s); g != w || wc != w {
			t.Errorf("%q: width %d (grapheme) / %d (wcwidth), want %d", s, g, wc, w)
		}
	}
	if got := Lines(strings.Repeat("ligne\u202e\n", 1<<16)); strings.Count(got, "\n") != 1<<16 || strings.Contains(got, "\u202e") {
		t.Fatal("Lines on a long body lost lines or kept a bidi override")
	}
}

// TestTextKeepsScriptsAndEmoji: what scripts and emoji need is kept; the
// same characters where they could only hide are shown.
func TestTextKeepsScriptsAndEmoji(t *testing.T) {
	for _, s := range []string{"می\u200cخواهم", "ශ්\u200dරී", "❤\ufe0f", "❤\ufe0f\u200d🔥", "👨\u200d👩\u200d👧", "👩🏽\u200d💻", "1\ufe0f\u20e3", "क्षि"} {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
	}
	for in, want := range map[string]string{
		"orders\u200b":   `orders\u200b`,
		"ord\u200ders":   `ord\u200ders`,
		"日本\u200d":       `日本\u200d`,
		"日\u200d\u200d本": `日\u200d\u200d本`,
		"a\ufe0f":        `a\ufe0f`,
		"❤\ufe0f\ufe0f":  `❤` + "\ufe0f" + `\ufe0f`,
		"tag\U000e0041":  `tag\U000e0041`,
		"\u0600x":        `\u0600x`,
		"soft\u00ad":     `soft\u00ad`,
		"fill\u3164":     `fill\u3164`,
		"alm\u061c":      `alm\u061c`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextAllocatesOnlyToReplace: Text runs for every cell of every frame.
func TestTextAllocatesOnlyToReplace(t *testing.T) {
	for _, s := range []string{"orders.created", "wide 日本語 and émoji 🐇", "❤\ufe0f\u200d🔥"} {
		if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 0 {
			t.Errorf("Text(%q) allocates %v times", s, n)
		}
	}
}

// TestHiddenFastPath: the ranges hidden answers without the Unicode tables
// hold no rune the tables would hide.
func TestHiddenFastPath(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if hidden(r) != hiddenSlow(r) {
			t.Fatalf("hidden(%U) = %v, the Unicode tables say %v", r, hidden(r), hiddenSlow(r))
		}
	}
}
