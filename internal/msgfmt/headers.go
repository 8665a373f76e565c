package msgfmt

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/internal/safe"
)

// HeaderLines renders AMQP headers one per line as `key: value`, keys
// sorted; nested tables and arrays compactly; x-death skipped when
// skipXDeath (the caller shows it as a history). Lines longer than width
// (when > 0) are cut with "…". Keys and values are terminal-safe.
func HeaderLines(h map[string]any, width int, skipXDeath bool) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		if skipXDeath && k == "x-death" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		line := safe.Text(k) + ": " + value(h[k], true)
		if width > 0 && ansi.StringWidth(line) > width {
			line = ansi.Truncate(line, width, "…")
		}
		out = append(out, line)
	}
	return out
}

// value renders one header value; top-level strings are bare unless they
// would read ambiguously.
func value(v any, top bool) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if top && x != "" && strings.TrimSpace(x) == x {
			return safe.Text(x)
		}
		return safe.Text(strconv.Quote(x))
	case []byte:
		if utf8.Valid(x) && isText(x) {
			return safe.Text(strconv.Quote(string(x))) + " (bytes)"
		}
		s := hex.EncodeToString(x[:min(len(x), 64)])
		if len(x) > 64 {
			s += "…"
		}
		return fmt.Sprintf("0x%s (%d bytes)", s, len(x))
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case bool, int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = safe.Text(k) + ": " + value(x[k], false)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = value(e, false)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return safe.Text(fmt.Sprintf("%v", v))
}

// ParseHeaders parses headers as typed in the publish form: nothing gives
// nil; a text starting with '{' is one JSON object; otherwise `key=value`
// (or `key: value`) per line, values as strings, `key:=<JSON>` for typed
// values. Blank lines and lines starting with '#' are skipped.
func ParseHeaders(s string) (map[string]any, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, nil
	}
	if strings.HasPrefix(t, "{") {
		v, err := decodeJSON(t)
		if err != nil {
			return nil, fmt.Errorf("headers: invalid JSON: %s", safe.Text(err.Error()))
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("headers: JSON must be an object, got %s", jsonKind(v))
		}
		return m, nil
	}
	if strings.HasPrefix(t, "[") {
		return nil, errors.New("headers: JSON must be an object, got an array")
	}
	out := map[string]any{}
	for i, line := range strings.Split(s, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var k, v string
		typed := false
		if j := strings.IndexAny(line, "=:"); j < 0 {
			return nil, fmt.Errorf("line %d: %s is not key=value", n, safe.Text(strconv.Quote(line)))
		} else {
			k, v = line[:j], line[j+1:]
			if line[j] == ':' && strings.HasPrefix(v, "=") {
				typed, v = true, v[1:]
			}
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			return nil, fmt.Errorf("line %d: empty header name", n)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("line %d: header %s given twice", n, safe.Text(strconv.Quote(k)))
		}
		if typed {
			val, err := decodeJSON(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: header %s: %s after := is not JSON: %s", n, safe.Text(strconv.Quote(k)),
					safe.Text(strconv.Quote(v)), safe.Text(err.Error()))
			}
			out[k] = val
			continue
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// decodeJSON decodes one JSON value: integers as int64, other numbers as
// float64, and nothing after it.
func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%v (at byte %d)", err, se.Offset)
		}
		return nil, err
	}
	if off := d.InputOffset(); strings.TrimSpace(s[off:]) != "" {
		return nil, fmt.Errorf("unexpected text after the JSON value (at byte %d)", off)
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}
