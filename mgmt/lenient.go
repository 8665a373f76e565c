package mgmt

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Count is a counter or gauge the broker may omit (stats off, queue down,
// 3.13+ dropping nulls); OK is false when it was absent or null.
type Count struct {
	N  int64
	OK bool
}

// C makes a known Count.
func C(n int64) Count { return Count{N: n, OK: true} }

func (c *Count) UnmarshalJSON(b []byte) error {
	*c = Count{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' || b[0] == '"' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f' {
		return nil // null, "undefined", or a shape we do not read: unknown
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return nil
	}
	*c = Count{N: int64(f), OK: true}
	return nil
}

func (c Count) MarshalJSON() ([]byte, error) {
	if !c.OK {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, c.N, 10), nil
}

// Or returns the value, or def when unknown.
func (c Count) Or(def int64) int64 {
	if c.OK {
		return c.N
	}
	return def
}

// Rate is a per-second rate the broker may omit.
type Rate struct {
	PerSec float64
	OK     bool
}

// R makes a known Rate.
func R(v float64) Rate { return Rate{PerSec: v, OK: true} }

func (r *Rate) UnmarshalJSON(b []byte) error {
	*r = Rate{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return nil
	}
	*r = Rate{PerSec: f, OK: true}
	return nil
}

func (r Rate) MarshalJSON() ([]byte, error) {
	if !r.OK {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, r.PerSec, 'f', -1, 64), nil
}

// rateDetails is the broker's {"rate": x, "avg_rate": y} object; avg_rate
// is there when the request asked for a window (rateWindow).
type rateDetails struct {
	Rate    Rate `json:"rate"`
	AvgRate Rate `json:"avg_rate"`
}

// messageStats is the message rates an overview, a queue or a channel
// carries; any of them may be absent.
type messageStats struct {
	Publish    *rateDetails `json:"publish_details"`
	DeliverGet *rateDetails `json:"deliver_get_details"`
	Ack        *rateDetails `json:"ack_details"`
}

// get prefers the average over the window: the instantaneous rate is the
// difference of the last two statistics samples, 0 between emissions.
func (d *rateDetails) get() Rate {
	if d == nil {
		return Rate{}
	}
	if d.AvgRate.OK {
		return d.AvgRate
	}
	return d.Rate
}

// Table is an AMQP arguments table; the broker writes an empty one as [] on
// some versions and {} on others.
type Table map[string]any

func (t *Table) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		*t = nil
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = m
	return nil
}

// Flag is a boolean that some versions write as a string ("true",
// "undefined") or omit.
type Flag bool

func (f *Flag) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(b), `"`))
	*f = Flag(s == "true")
	return nil
}

// Strings is a list of strings that may arrive as null, a single string, or
// a list.
type Strings []string

func (s *Strings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*s = nil
	switch {
	case len(b) == 0 || b[0] == 'n':
		return nil
	case b[0] == '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = Strings{one}
		return nil
	case b[0] == '[':
		var many []any
		if err := json.Unmarshal(b, &many); err != nil {
			return err
		}
		for _, v := range many {
			if str, ok := v.(string); ok {
				*s = append(*s, str)
			}
		}
	}
	return nil
}

// Text is a string field that may arrive as null or a non-string.
type Text string

func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	}
	if len(b) == 0 || b[0] == 'n' {
		*t = ""
		return nil
	}
	*t = Text(b)
	return nil
}
