package msgfmt

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mqtop/mqtop/internal/safe"
)

func quoted(s string) string { return safe.Text(strconv.Quote(s)) }

// ParsePriority reads a priority, 0 to 255; "" is unset (0).
func ParsePriority(s string) (uint8, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("priority must be a whole number from 0 to 255, got %s", quoted(s))
	}
	return uint8(n), nil
}

// ParseExpiration reads a per-message TTL in whole milliseconds and returns
// it normalised ("060000" → "60000"); "" is unset.
func ParseExpiration(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return "", fmt.Errorf("expiration is a per-message TTL in whole milliseconds, got %s", quoted(s))
	}
	return strconv.FormatUint(n, 10), nil
}

// ParseDeliveryMode reads 1/transient or 2/persistent; "" is unset (0).
func ParseDeliveryMode(s string) (uint8, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 0, nil
	case "1", "t", "transient", "non-persistent":
		return 1, nil
	case "2", "p", "persistent":
		return 2, nil
	}
	return 0, fmt.Errorf("delivery mode must be persistent (2) or transient (1), got %s", quoted(s))
}

// ParseTimestamp reads "now", RFC 3339 or unix seconds; "" is unset.
// AMQP carries whole seconds.
func ParseTimestamp(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return time.Time{}, nil
	case "now":
		return now.Truncate(time.Second), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("timestamp must be now, RFC 3339 (2026-11-23T10:00:00Z) or unix seconds, got %s", quoted(s))
}

// MaxCount is the most messages a repeat may send.
const MaxCount = 10_000_000

// ParseCount reads a repeat count, 1 to MaxCount; "" is 1.
func ParseCount(s string) (int, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxCount {
		return 0, fmt.Errorf("repeat must be a whole number from 1 to 10,000,000, got %s", quoted(s))
	}
	return n, nil
}

// ParseRate reads msgs/s; "", "0" and "max" mean as fast as confirms allow.
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "max" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e6 || f != f {
		return 0, fmt.Errorf("rate must be messages per second up to 1,000,000, or max; got %s", quoted(s))
	}
	return f, nil
}

// ParseDuration reads a Go duration ("5s", "500ms") or plain seconds; ""
// is def. It must be above 0 and at most 10 minutes.
func ParseDuration(s string, def time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("timeout must be a duration like 5s or 500ms, got %s", quoted(s))
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 || d > 10*time.Minute {
		return 0, fmt.Errorf("timeout must be above 0 and at most 10m, got %s", quoted(s))
	}
	return d, nil
}

// ParseShortString checks an AMQP short string field: at most 255 bytes.
func ParseShortString(field, s string) error {
	if len(s) > 255 {
		return fmt.Errorf("%s is %d bytes; AMQP allows at most 255", field, len(s))
	}
	return nil
}
