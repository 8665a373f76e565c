package mgmt

import (
	"cmp"
	"net/url"
)

// Connections need the data-rate window (data_rates_age / data_rates_incr:
// msg_rates_age does not average recv_oct / send_oct), and the per-vhost
// connection and channel endpoints do not page on 3.10 (they ignore page=
// and return a plain list): they use list.go's WithParams variants.

// withDataRateWindow asks for byte rates (recv_oct_details,
// send_oct_details) averaged over RateWindow, like withRateWindow does for
// message rates.
func withDataRateWindow(v url.Values) url.Values {
	v.Set("data_rates_age", rateWindowAge)
	v.Set("data_rates_incr", rateWindowIncr)
	return v
}

// orderCount orders by a Count, unknown first (as the API puts absent
// fields first when it sorts), ties broken by tie.
func orderCount[T any](f func(T) Count, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		x, y := f(a), f(b)
		if r := cmpCount(x, y); r != 0 {
			return r
		}
		return tie(a, b)
	}
}

// orderRate is orderCount for a Rate.
func orderRate[T any](f func(T) Rate, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		x, y := f(a), f(b)
		if r := cmp.Or(cmp.Compare(boolInt(x.OK), boolInt(y.OK)), cmp.Compare(x.PerSec, y.PerSec)); r != 0 {
			return r
		}
		return tie(a, b)
	}
}

// orderText orders by a string, ties broken by tie.
func orderText[T any](f func(T) string, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		if r := cmp.Compare(f(a), f(b)); r != 0 {
			return r
		}
		return tie(a, b)
	}
}
