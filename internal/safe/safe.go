// Package safe neutralises text that came from the broker or from a message
// before it reaches the terminal: a queue name, a header or a body must never
// be able to move the cursor, clear the screen or write the clipboard.
package safe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s with every control character, escape sequence introducer and
// invalid UTF-8 byte replaced by a visible, inert notation (\x1b, \n, \u009b,
// \xff). Printable text, including wide and combining characters, is kept.
func Text(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Lines is Text for multi-line content such as a message body: newlines are
// kept as line breaks (so a body reads naturally) and tabs become spaces;
// everything else is neutralised exactly as Text does.
func Lines(s string) string {
	parts := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, p := range parts {
		parts[i] = Text(strings.ReplaceAll(p, "\t", "    "))
	}
	return strings.Join(parts, "\n")
}

func isClean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || unsafeRune(r) {
			return false
		}
	}
	return true
}

// unsafeRune reports C1 controls (0x80-0x9f include CSI 0x9b and OSC 0x9d,
// which some terminals honour as escape sequences) and the bidi overrides
// that can make a name read differently from what it is.
func unsafeRune(r rune) bool {
	if r >= 0x80 && r <= 0x9f {
		return true
	}
	switch r {
	case '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f':
		return true
	}
	return unicode.Is(unicode.Cs, r)
}
