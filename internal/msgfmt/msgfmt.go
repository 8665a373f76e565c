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

// Body renders a message body: JSON pretty-printed (key order kept),
// printable UTF-8 as text, anything else as a hex dump. contentType is a
// hint only; a gzip-encoded body is shown as binary. At most maxBytes
// (DefaultMaxBytes when <= 0) are rendered.
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
		// Do not split a UTF-8 sequence at the cut.
		for i := 0; i < 3 && len(b) > 0; i++ {
			if c, size := utf8.DecodeLastRune(b); c != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	r.Shown = len(b)
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "gzip", "deflate", "br", "zstd", "compress":
		r.Kind, r.Lines = KindBinary, HexDump(b)
		return r
	}
	if !r.Truncated && json.Valid(b) {
		var out bytes.Buffer
		if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err == nil {
			r.Kind, r.Lines = KindJSON, splitSafe(out.String())
			return r
		}
	}
	if isText(b) {
		r.Kind, r.Lines = KindText, splitSafe(string(b))
		return r
	}
	r.Kind, r.Lines = KindBinary, HexDump(b)
	return r
}

// isText: valid UTF-8, no NUL, and fewer than 10% control characters other
// than newline, tab and carriage return.
func isText(b []byte) bool {
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	ctrl, n := 0, 0
	for _, r := range string(b) {
		n++
		if r != '\n' && r != '\t' && r != '\r' && (unicode.IsControl(r)) {
			ctrl++
		}
	}
	return ctrl*10 < n
}

func splitSafe(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = safe.Text(strings.ReplaceAll(l, "\t", "    "))
	}
	return lines
}

// HexDump renders like `hexdump -C`: offset, 16 bytes in hex in two groups
// of 8, and |ascii| with anything not printable ASCII as '.'.
func HexDump(b []byte) []string {
	var out []string
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		var sb strings.Builder
		fmt.Fprintf(&sb, "%08x  ", off)
		for i := 0; i < 16; i++ {
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
			if c >= 0x20 && c < 0x7f {
				sb.WriteByte(c)
			} else {
				sb.WriteByte('.')
			}
		}
		sb.WriteByte('|')
		out = append(out, sb.String())
	}
	return out
}

// Size formats a byte count for humans: "512 B", "64 KiB", "3.2 MiB".
func Size(n int) string { return humanize.IBytes(uint64(max(n, 0))) }
