package msgfmt

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/safe"
)

// maxShortStr is the longest AMQP short string: header names, content type,
// correlation id and the other short property fields.
const maxShortStr = 255

// HeaderLines renders AMQP headers one per line as `key: value`, keys
// sorted. Strings are bare unless empty or padded with spaces; []byte reads
// as a string when it is printable UTF-8 and as hex with its length
// otherwise; times as RFC 3339 UTC; nested tables and arrays compactly as
// {a: 1, b: "x"} and [1, 2]. x-death is left out when skipXDeath (the
// caller shows it as a history). A line wider than width (when > 0) is cut
// with "…". Keys and values are terminal-safe.
func HeaderLines(h map[string]any, width int, skipXDeath bool) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		if !(skipXDeath && k == "x-death") {
			keys = append(keys, k)
		}
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

// value renders one header value; strings at the top level are bare unless
// they would read ambiguously, inside tables and arrays always quoted.
func value(v any, top bool) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if top && x != "" && strings.TrimSpace(x) == x {
			return safe.Text(x)
		}
		return quoted(x)
	case []byte:
		if len(x) == 0 || isText(x) {
			return value(string(x), top)
		}
		s := hex.EncodeToString(x[:min(len(x), 64)])
		if len(x) > 64 {
			s += "…"
		}
		return fmt.Sprintf("0x%s (%d bytes)", s, len(x))
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case amqp091.Decimal:
		return decimal(x)
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
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
	// Named tables (amqp091.Table) and typed slices take the generic road.
	switch rv := reflect.ValueOf(v); {
	case rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
		m := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[it.Key().String()] = it.Value().Interface()
		}
		return value(m, false)
	case rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array:
		a := make([]any, rv.Len())
		for i := range a {
			a[i] = rv.Index(i).Interface()
		}
		return value(a, false)
	}
	return safe.Text(fmt.Sprintf("%v", v))
}

// decimal renders an AMQP decimal (Value × 10^-Scale) as "123.45".
func decimal(d amqp091.Decimal) string {
	digits := strconv.FormatInt(int64(d.Value), 10)
	sign := ""
	if d.Value < 0 {
		sign, digits = "-", digits[1:]
	}
	if d.Scale == 0 {
		return sign + digits
	}
	if pad := int(d.Scale) + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - int(d.Scale)
	return sign + digits[:cut] + "." + digits[cut:]
}

// quoted is s in Go quotes, terminal-safe.
func quoted(s string) string { return safe.Text(strconv.Quote(s)) }

// ParseHeaders parses headers as typed in the publish form. Empty text gives
// nil, nil. Text starting with '{' is one JSON object: integers become
// int64, other numbers float64, objects map[string]any, arrays []any, null
// nil. Otherwise each line is `key=value` or `key: value` (trimmed, value a
// string) or `key:=<JSON>` for a typed value; blank lines and lines starting
// with '#' are skipped. Errors name the line (or the byte offset in JSON)
// and are terminal-safe.
func ParseHeaders(s string) (map[string]any, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, nil
	}
	if t[0] == '{' || t[0] == '[' {
		v, err := decodeJSON(s)
		var re rangeError
		switch {
		case errors.As(err, &re) && t[0] == '{':
			return nil, fmt.Errorf("headers: %s", err)
		case err != nil && t[0] == '{':
			return nil, fmt.Errorf("headers: invalid JSON: %s", safe.Text(err.Error()))
		case err == nil && t[0] == '[':
			return nil, errors.New("headers: JSON must be an object, got an array")
		case err == nil:
			m := v.(map[string]any)
			if err := checkNames(m, "headers: "); err != nil {
				return nil, err
			}
			return m, nil
		}
		// Not JSON after all: read it as lines.
	}
	out := map[string]any{}
	var err error
	for i, line := range strings.Split(s, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		j := strings.IndexAny(line, "=:")
		if j < 0 {
			return nil, fmt.Errorf("line %d: %s is not key=value", n, quoted(line))
		}
		k, v := strings.TrimSpace(line[:j]), line[j+1:]
		typed := line[j] == ':' && strings.HasPrefix(v, "=")
		if typed {
			v = v[1:]
		}
		v = strings.TrimSpace(v)
		if k == "" {
			return nil, fmt.Errorf("line %d: header name is empty", n)
		}
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("line %d: header name %s is not valid UTF-8", n, quoted(k))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("line %d: header %s given twice", n, quoted(k))
		}
		if !typed {
			out[k] = v
		} else if out[k], err = decodeJSON(v); err != nil {
			var re rangeError
			if errors.As(err, &re) {
				return nil, fmt.Errorf("line %d: header %s: %s", n, quoted(k), err)
			}
			return nil, fmt.Errorf("line %d: header %s: %s after := is not JSON: %s", n, quoted(k), quoted(v), safe.Text(err.Error()))
		}
		if err := checkNames(map[string]any{k: out[k]}, fmt.Sprintf("line %d: ", n)); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// checkNames refuses header and nested table names AMQP cannot carry:
// empty, not valid UTF-8 or longer than a short string.
func checkNames(v any, prefix string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch {
			case k == "":
				return fmt.Errorf("%sheader name is empty", prefix)
			case !utf8.ValidString(k):
				return fmt.Errorf("%sheader name %s is not valid UTF-8", prefix, quoted(k))
			case len(k) > maxShortStr:
				return fmt.Errorf("%sheader name %s… is %d bytes; AMQP allows at most %d", prefix, quoted(k[:20]), len(k), maxShortStr)
			}
			if err := checkNames(e, prefix); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkNames(e, prefix); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeJSON decodes exactly one JSON value (surrounding whitespace
// allowed): integers as int64, other numbers as float64. Errors give the
// byte offset in s.
func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%v (at byte %d)", err, se.Offset)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("unexpected end of JSON input (after byte %d)", len(s))
		}
		return nil, err
	}
	if rest := s[d.InputOffset():]; strings.TrimSpace(rest) != "" {
		off := len(s) - len(strings.TrimLeft(rest, " \t\r\n")) + 1 // 1-based, as SyntaxError.Offset
		return nil, fmt.Errorf("unexpected text after the JSON value (at byte %d)", off)
	}
	return numbers(v)
}

// rangeError is a JSON number out of float64's range: valid JSON, not a
// value a header can carry.
type rangeError string

func (e rangeError) Error() string { return fmt.Sprintf("number %s is out of range", string(e)) }

// numbers replaces json.Number in v by int64 or float64, in place; a number
// out of float64's range (1e400) is an error, not ±Inf.
func numbers(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			s := string(x)
			if len(s) > 40 {
				s = s[:40] + "…"
			}
			return nil, rangeError(s)
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			if x[k], err = numbers(e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			if x[i], err = numbers(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}
