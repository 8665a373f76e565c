// Package safe neutralises text that came from the broker or from a message
// before it reaches the terminal: a queue name, a header or a body must never
// be able to move the cursor, clear the screen or write the clipboard, nor
// read as something it is not (a bidi override, an invisible character).
package safe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s with every control character, escape sequence introducer,
// invisible or bidi formatting character and invalid UTF-8 byte replaced by
// a visible, inert notation (\x1b, \n, \u009b, \u202e, \u200b, \U000e0041,
// \xff), so that the result is one line, has no escape sequence and shows
// every character it holds. Printable text, including wide and combining
// characters, is kept; so are the joiners and variation selectors that
// scripts and emoji need, where they join two visible characters (see
// keepJoiner). The result is valid UTF-8, and Text(Text(s)) == Text(s).
func Text(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return neutralise(s)
		}
	}
	return s // printable ASCII, the common case: no allocation
}

// Lines is Text for multi-line content such as a message body: newlines are
// kept as line breaks (so a body reads naturally), CRLF reads as one, and
// tabs become spaces; everything else is neutralised exactly as Text does.
func Lines(s string) string {
	parts := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, p := range parts {
		parts[i] = Text(strings.ReplaceAll(p, "\t", "    "))
	}
	return strings.Join(parts, "\n")
}

// neutralise is Text's slow path. It copies s only from the first rune it
// must replace.
func neutralise(s string) string {
	var b strings.Builder
	copied := 0  // s[:copied] is in b
	prev := none // the last rune kept as it is, or none after a replacement
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size == 1:
			esc = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\n':
			esc = `\n`
		case r == '\r':
			esc = `\r`
		case r == '\t':
			esc = `\t`
		case r < 0x20 || r == 0x7f:
			esc = fmt.Sprintf(`\x%02x`, r)
		case r < 0x80:
		case hidden(r) && !keepJoiner(prev, r, s[i+size:]):
			if r > 0xffff {
				esc = fmt.Sprintf(`\U%08x`, r)
			} else {
				esc = fmt.Sprintf(`\u%04x`, r)
			}
		}
		if esc == "" {
			prev = r
		} else {
			if copied == 0 {
				b.Grow(len(s) + 16)
			}
			b.WriteString(s[copied:i])
			b.WriteString(esc)
			copied, prev = i+size, none
		}
		i += size
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

// none marks "no visible rune just before".
const none = rune(-1)

// hidden reports the runes a terminal would act on or that would not show
// for what they are: C1 controls (0x80-0x9f include CSI 0x9b and OSC 0x9d,
// which some terminals honour as escape sequences), every format character
// (Unicode category Cf: the bidi overrides, embeddings, isolates and marks
// that make a name read differently from what it is; zero-width space,
// joiners, word joiner, BOM, soft hyphen, tag characters, the prepended
// concatenation marks that swallow the next character's width), the line
// and paragraph separators, and the other default-ignorable code points
// (variation selectors, combining grapheme joiner, Hangul fillers), which
// render as nothing and let two different names look the same.
func hidden(r rune) bool {
	switch {
	case r < 0xa0:
		return r >= 0x80
	case r < 0x300:
		return r == 0xad // soft hyphen
	case r >= 0x370 && r < 0x600, r >= 0x3040 && r < 0x3100, r >= 0x4e00 && r < 0xa000,
		r >= 0xac00 && r < 0xd7a4, r >= 0x1f300 && r < 0x1fb00:
		// Greek to Hebrew, kana, CJK ideographs, Hangul syllables, emoji:
		// none there (TestHiddenFastPath), and Text runs for every cell.
		return false
	}
	return hiddenSlow(r)
}

func hiddenSlow(r rune) bool {
	return r >= 0x80 && r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Cs,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// keepJoiner reports whether hidden rune r, after visible rune prev and
// before rest, is one of the characters text needs and shows no differently
// with: a zero-width (non-)joiner between two visible non-ASCII characters
// (Persian and Indic words, emoji sequences such as 👩‍💻), a variation
// selector on a visible non-ASCII character (❤️) or on a keycap base (1️⃣).
// Next to ASCII, at an end, or doubled, they could only hide, and are shown.
func keepJoiner(prev, r rune, rest string) bool {
	next, size := utf8.DecodeRuneInString(rest)
	if size <= 1 && next == utf8.RuneError {
		next = none // the end, or an invalid byte (shown as \xe0)
	}
	switch {
	case r == '\u200c' || r == '\u200d':
		return visibleNonASCII(prev, true) && visibleNonASCII(next, false)
	case unicode.Is(unicode.Variation_Selector, r):
		if (prev >= '0' && prev <= '9' || prev == '#' || prev == '*') && r == '\ufe0f' && next == '\u20e3' {
			return true // keycap: digit, VS16, combining enclosing keycap
		}
		return visibleNonASCII(prev, false)
	}
	return false
}

// visibleNonASCII reports a non-ASCII letter, number or symbol (or, with
// marks, a combining mark: a virama or VS16 before a ZWJ) that Text keeps.
func visibleNonASCII(r rune, marks bool) bool {
	switch {
	case r < 0x80:
		return false
	case marks && unicode.Is(unicode.M, r):
		return true // kept, so a VS16 here was on a visible character
	case hidden(r):
		return false
	}
	return unicode.In(r, unicode.L, unicode.N, unicode.S)
}
