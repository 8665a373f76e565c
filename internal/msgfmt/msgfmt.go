// Package msgfmt turns AMQP messages into terminal-safe text and parses what
// an operator types into a publish form. Everything it returns for display
// has passed through internal/safe: a message can never drive the terminal.
package msgfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dustin/go-humanize"

	"github.com/mqtop/mqtop/internal/safe"
)

// Kind of a rendered body.
type Kind string

// The kinds of body Body tells apart.
const (
	KindEmpty  Kind = "empty"
	KindJSON   Kind = "json"
	KindText   Kind = "text"
	KindBinary Kind = "binary"
)

// DefaultMaxBytes is how much of a body Body renders when not told.
const DefaultMaxBytes = 64 << 10

// Rendered is a body ready for the terminal.
type Rendered struct {
	Kind      Kind
	Lines     []string // terminal-safe, no newlines inside
	Size      int      // the body's full size in bytes
	Shown     int      // bytes of the body rendered (< Size when truncated)
	Truncated bool
}

// Body renders a message body: valid JSON (any value, surrounding
// whitespace allowed) pretty-printed with a 2-space indent in source key
// order; valid, mostly printable UTF-8 as text lines; anything else as a
// HexDump. Detection is by content: contentType is only a hint, so a body
// labelled application/json that does not parse is shown as text or binary.
// A compressed body (contentEncoding gzip, deflate, ...) is not decompressed
// but shown as binary. At most maxBytes (DefaultMaxBytes when <= 0) are
// rendered; a longer body is Truncated (a cut JSON body is shown as text)
// and saying so is left to the caller.
func Body(body []byte, contentType, contentEncoding string, maxBytes int) Rendered {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	r := Rendered{Size: len(body)}
	if len(body) == 0 {
		r.Kind, r.Lines = KindEmpty, []string{"(empty body)"}
		return r
	}
	b := body
	if len(b) > maxBytes {
		b, r.Truncated = b[:maxBytes], true
	}
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "gzip", "x-gzip", "deflate", "br", "zstd", "compress", "lz4", "snappy":
		r.Kind, r.Lines, r.Shown = KindBinary, HexDump(b), len(b)
		return r
	}
	if !r.Truncated && json.Valid(b) {
		var out bytes.Buffer
		_ = json.Indent(&out, bytes.TrimSpace(b), "", "  ") // cannot fail on valid JSON
		r.Kind, r.Lines, r.Shown = KindJSON, textLines(out.String()), len(b)
		return r
	}
	t := b
	if r.Truncated {
		t = cutPartialRune(b)
	}
	if isText(t) {
		r.Kind, r.Lines, r.Shown = KindText, textLines(string(t)), len(t)
		return r
	}
	r.Kind, r.Lines, r.Shown = KindBinary, HexDump(b), len(b)
	return r
}

// cutPartialRune drops an incomplete UTF-8 sequence left at the end of b by
// a cut, so a truncated text body still reads as text.
func cutPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// isText reports valid UTF-8 without NUL in which fewer than 10% of the
// characters are controls other than newline, tab and carriage return.
func isText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	ctrl, n := 0, 0
	for _, r := range string(b) {
		n++
		if r != '\n' && r != '\t' && r != '\r' && unicode.IsControl(r) {
			ctrl++
		}
	}
	return ctrl*10 < n
}

// textLines splits s into terminal-safe lines, dropping trailing newlines.
func textLines(s string) []string {
	return strings.Split(strings.TrimRight(safe.Lines(s), "\n"), "\n")
}

// HexDump renders like `hexdump -C`: offset, 16 bytes in hex in two groups
// of 8, and |ascii| with anything but printable ASCII as '.'. Only the
// final offset line of hexdump is left out.
func HexDump(b []byte) []string {
	out := make([]string, 0, (len(b)+15)/16)
	var sb strings.Builder
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		sb.Reset()
		fmt.Fprintf(&sb, "%08x  ", off)
		for i := range 16 {
			if i < len(row) {
				fmt.Fprintf(&sb, "%02x ", row[i])
			} else {
				sb.WriteString("   ")
			}
			if i == 7 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(" |")
		for _, c := range row {
			if c < 0x20 || c >= 0x7f {
				c = '.'
			}
			sb.WriteByte(c)
		}
		sb.WriteByte('|')
		out = append(out, sb.String())
	}
	return out
}

// Size formats a byte count for humans: "512 B", "64 KiB", "3.2 MiB".
// A negative count reads as 0 B.
func Size(n int) string { return humanize.IBytes(uint64(max(n, 0))) }
