package msgfmt

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxCount is the most messages a repeat may send.
const MaxCount = 10_000_000

// maxExpiration is the largest per-message TTL RabbitMQ accepts (2^32-1 ms).
const maxExpiration = math.MaxUint32

// ParsePriority reads a priority, a whole number 0 to 255; "" is unset (0).
func ParsePriority(s string) (uint8, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
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
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxExpiration {
		return "", fmt.Errorf("expiration is a per-message TTL in whole milliseconds (0 to %d), got %s", uint64(maxExpiration), quoted(s))
	}
	return strconv.FormatUint(n, 10), nil
}

// ParseDeliveryMode reads 1, t or transient and 2, p or persistent, in any
// case; "" is unset (0).
func ParseDeliveryMode(s string) (uint8, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 0, nil
	case "1", "t", "transient":
		return 1, nil
	case "2", "p", "persistent":
		return 2, nil
	}
	return 0, fmt.Errorf("delivery mode must be persistent (2) or transient (1), got %s", quoted(s))
}

// ParseTimestamp reads "now" (now truncated to seconds, as AMQP carries
// whole seconds), RFC 3339 or unix seconds; "" is unset (the zero time).
// Times before 1970 cannot be sent and are refused.
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
	if t, err := time.Parse(time.RFC3339, s); err == nil && t.Unix() >= 0 {
		return t.Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("timestamp must be now, RFC 3339 (2026-11-23T10:00:00Z) or unix seconds from 1970, got %s", quoted(s))
}

// ParseCount reads a repeat count, 1 to MaxCount, thousands separators
// allowed ("100,000"); "" is 1.
func ParseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(strings.NewReplacer(",", "", "_", "").Replace(s))
	if err != nil || n < 1 || n > MaxCount {
		return 0, fmt.Errorf("repeat must be a whole number from 1 to 10,000,000, got %s", quoted(s))
	}
	return n, nil
}

// ParseRate reads a publish rate in messages per second, at most 1e6; "",
// "0" and "max" give 0: as fast as confirms allow.
func ParseRate(s string) (float64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "max" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e6 {
		return 0, fmt.Errorf("rate must be messages per second up to 1,000,000, or max; got %s", quoted(s))
	}
	if f == 0 {
		return 0, nil // also for "-0"
	}
	return f, nil
}

// maxDuration bounds ParseDuration.
const maxDuration = 10 * time.Minute

// ParseDuration reads a Go duration ("5s", "500ms") or a plain number of
// seconds; "" is def. The result is above 0 and at most 10 minutes.
func ParseDuration(s string, def time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("duration must be like 5s or 500ms, or seconds, got %s", quoted(s))
		}
		// Compare as float first: a huge or NaN value does not convert.
		if !(f > 0 && f <= maxDuration.Seconds()) {
			return 0, fmt.Errorf("duration must be above 0 and at most 10m, got %s", quoted(s))
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 || d > maxDuration {
		return 0, fmt.Errorf("duration must be above 0 and at most 10m, got %s", quoted(s))
	}
	return d, nil
}

// ParseShortString checks an AMQP short string field (content-type,
// correlation-id, ...): at most 255 bytes. "" is fine.
func ParseShortString(field, s string) error {
	if len(s) > maxShortStr {
		return fmt.Errorf("%s is %d bytes; AMQP allows at most %d", field, len(s), maxShortStr)
	}
	return nil
}
