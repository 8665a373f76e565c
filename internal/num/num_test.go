package num

import (
	"encoding/json"
	"math"
	"testing"
)

func TestInt64AndWhole(t *testing.T) {
	for _, c := range []struct {
		v            any
		int64, whole bool
		n            int64
	}{
		{int8(-3), true, true, -3}, {uint16(7), true, true, 7}, {uint64(math.MaxUint64), false, false, 0},
		{5.0, false, true, 5}, {5.5, false, false, 0}, {json.Number("12"), false, true, 12}, {json.Number("1.5"), false, false, 0},
		{"5", false, false, 0}, {float64(1 << 60), false, false, 0},
	} {
		n, ok := Int64(c.v)
		if ok != c.int64 || (ok && n != c.n) {
			t.Errorf("Int64(%#v) = %d, %v", c.v, n, ok)
		}
		n, ok = Whole(c.v)
		if ok != c.whole || (ok && n != c.n) {
			t.Errorf("Whole(%#v) = %d, %v", c.v, n, ok)
		}
	}
}
