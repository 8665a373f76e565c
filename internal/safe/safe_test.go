package safe

import (
	"strings"
	"testing"
)

func TestTextNeutralisesEscapes(t *testing.T) {
	cases := map[string]string{
		"orders":                  "orders",
		"clear\x1b[2Jscreen":      `clear\x1b[2Jscreen`,
		"osc52\x1b]52;c;aGk=\x07": `osc52\x1b]52;c;aGk=\x07`,
		"c1 csi \u009b31m":        `c1 csi \u009b31m`,
		"line\nbreak\ttab\r":      `line\nbreak\ttab\r`,
		"bad \xff byte":           `bad \xff byte`,
		"bidi \u202egnp.exe":      `bidi \u202egnp.exe`,
		"wide 日本語 and émoji 🐇":    "wide 日本語 and émoji 🐇",
		"del\x7f":                 `del\x7f`,
	}
	for in, want := range cases {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsRune(Text(in), 0x1b) {
			t.Errorf("Text(%q) still contains ESC", in)
		}
	}
}

func TestLinesKeepsLineBreaksOnly(t *testing.T) {
	got := Lines("a\r\nb\x1b[H\n\tc")
	want := "a\nb\\x1b[H\n    c"
	if got != want {
		t.Fatalf("Lines = %q, want %q", got, want)
	}
}
