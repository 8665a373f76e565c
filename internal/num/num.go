// Package num reads whole numbers out of the untyped values AMQP tables
// and decoded JSON hold.
package num

import (
	"encoding/json"
	"math"
)

// Int64 is v as an int64 when v is one of Go's integer types that fits.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		return int64(x), x <= math.MaxInt64
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// Whole is Int64, and also a float or a json.Number without a fraction
// (how decoded JSON holds an integer).
func Whole(v any) (int64, bool) {
	switch x := v.(type) {
	case float32:
		return Whole(float64(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
		return 0, false
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return Int64(v)
}
