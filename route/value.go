package route

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"time"
)

// kind is what a value is to Erlang's comparison, whatever its AMQP type.
type kind uint8

const (
	kUnsupported kind = iota // a Go type mqtop would not send, NaN, ±Inf
	kVoid
	kBool
	kInt // every integer type, and timestamps
	kFloat
	kBytes // string (longstr) and []byte (binary) are both Erlang binaries
	kArray
	kTable
)

// value is one header value or binding argument as RabbitMQ holds it: an
// AMQP field type (tag, as RabbitMQ's parser names it: 'l' long, 'I'
// signedint, 'd' double, 'S' longstr, 'x' binary, 'T' timestamp...) and the
// Erlang term.
type value struct {
	kind  kind
	tag   byte
	num   *big.Float // kInt, kFloat: exact
	ms    *big.Float // timestamps: milliseconds (RabbitMQ 3.13+ compares header timestamps so)
	str   string     // kBytes
	b     bool       // kBool
	elems []value    // kArray
	keys  []string   // kTable
	vals  []value    // kTable, in the order of keys
}

// side says whose value it is: a binding argument decoded from the
// management API's JSON differs from a header mqtop publishes.
type side struct {
	binding bool
	// intFloats takes a binding argument's float64 without a fraction as
	// the integer it equals: encoding/json gives float64 for the API's
	// integers (1) and its floats (1.0) alike.
	intFloats bool
}

// ambiguous reports whether a binding argument holds a float64 without a
// fraction anywhere, whose AMQP type (long or double) JSON did not keep.
func ambiguous(v any) bool {
	switch x := v.(type) {
	case float64:
		return isIntegral(x)
	case []any:
		for _, e := range x {
			if ambiguous(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if ambiguous(e) {
				return true
			}
		}
	}
	return false
}

func isIntegral(f float64) bool {
	return !math.IsInf(f, 0) && !math.IsNaN(f) && f == math.Trunc(f)
}

func intValue(tag byte, n *big.Float) value { return value{kind: kInt, tag: tag, num: n} }

func bigInt(i int64) *big.Float   { return new(big.Float).SetInt64(i) }
func bigUint(u uint64) *big.Float { return new(big.Float).SetUint64(u) }

// toValue reads a Go value the way it reaches RabbitMQ: for a header, as
// mqtop's amqp package publishes it (int, uint and uint64 become a long);
// for a binding argument, also as the management API's JSON decodes it
// (float64, json.Number, the string "undefined" for void).
func toValue(v any, s side) value {
	switch x := v.(type) {
	case nil:
		return value{kind: kVoid, tag: 'V'}
	case bool:
		return value{kind: kBool, tag: 't', b: x}
	case int:
		return intValue('l', bigInt(int64(x)))
	case int64:
		return intValue('l', bigInt(x))
	case uint:
		return intValue('l', bigUint(uint64(x)))
	case uint64:
		return intValue('l', bigUint(x))
	case int32:
		return intValue('I', bigInt(int64(x)))
	case uint32:
		return intValue('i', bigUint(uint64(x)))
	case int16:
		return intValue('s', bigInt(int64(x)))
	case uint16:
		return intValue('u', bigUint(uint64(x)))
	case int8:
		return intValue('b', bigInt(int64(x)))
	case uint8:
		return intValue('B', bigUint(uint64(x)))
	case float32:
		return floatValue('f', float64(x), s)
	case float64:
		return floatValue('d', x, s)
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			if n, ok := new(big.Float).SetString(string(x)); ok {
				return intValue('l', n)
			}
		}
		f, err := x.Float64()
		if err != nil {
			return value{}
		}
		return floatValue('d', f, side{})
	case string:
		if s.binding && x == "undefined" {
			// How the management API writes a void argument.
			return value{kind: kVoid, tag: 'V'}
		}
		return value{kind: kBytes, tag: 'S', str: x}
	case []byte:
		return value{kind: kBytes, tag: 'x', str: string(x)}
	case time.Time:
		return value{kind: kInt, tag: 'T', num: bigInt(x.Unix()), ms: bigInt(x.Unix() * 1000)}
	case []any:
		out := value{kind: kArray, tag: 'A', elems: make([]value, len(x))}
		for i, e := range x {
			out.elems[i] = toValue(e, s)
		}
		return out
	case []string:
		out := value{kind: kArray, tag: 'A', elems: make([]value, len(x))}
		for i, e := range x {
			out.elems[i] = toValue(e, s)
		}
		return out
	case map[string]any:
		out := value{kind: kTable, tag: 'F'}
		for k, e := range x {
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, toValue(e, s))
		}
		return out
	case map[string]string:
		out := value{kind: kTable, tag: 'F'}
		for k, e := range x {
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, toValue(e, s))
		}
		return out
	}
	return value{}
}

func floatValue(tag byte, f float64, s side) value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return value{} // Erlang has neither; the broker's parser refuses them
	}
	if s.binding && s.intFloats && tag == 'd' && isIntegral(f) {
		return intValue('l', new(big.Float).SetFloat64(f))
	}
	return value{kind: kFloat, tag: tag, num: new(big.Float).SetFloat64(f)}
}

// topEqual compares a binding argument with a header value the way a
// headers exchange does; sure is false when the answer depends on what Go
// values do not say.
func topEqual(eq Equality, pat, dat value) (equal, sure bool) {
	if pat.kind == kUnsupported || dat.kind == kUnsupported {
		return false, false
	}
	switch {
	case pat.kind == kArray || pat.kind == kTable || dat.kind == kArray || dat.kind == kTable:
		// Inside arrays and tables RabbitMQ keeps the types: {long,1} is not {signedint,1}.
		return typedEqual(pat, dat)
	case eq == Arithmetic && isNum(pat) && isNum(dat):
		// Erlang's ==: 1 == 1.0, a timestamp is its seconds.
		return pat.num.Cmp(dat.num) == 0, true
	case eq == Strict && pat.kind == kInt && dat.kind == kInt:
		// =:= on untyped values; a header timestamp counts in milliseconds,
		// a binding argument's does not.
		d := dat.num
		if dat.tag == 'T' {
			d = dat.ms
		}
		return pat.num.Cmp(d) == 0, true
	case eq == Strict && pat.kind == kFloat && dat.kind == kFloat:
		return pat.num.Cmp(dat.num) == 0, true
	case pat.kind != dat.kind:
		return false, true
	case pat.kind == kBytes:
		return pat.str == dat.str, true
	case pat.kind == kBool:
		return pat.b == dat.b, true
	case pat.kind == kVoid:
		return true, true
	}
	return false, true
}

func isNum(v value) bool { return v.kind == kInt || v.kind == kFloat }

// typedEqual is Erlang's == on {Type, Value} pairs: the AMQP types must be
// the same too. A table of more than one field is never sure: RabbitMQ
// compares its fields in wire order, and a Go map has none.
func typedEqual(a, b value) (equal, sure bool) {
	if a.kind == kUnsupported || b.kind == kUnsupported {
		return false, false
	}
	if a.tag != b.tag {
		return false, true
	}
	switch a.kind {
	case kInt, kFloat:
		return a.num.Cmp(b.num) == 0, true
	case kBytes:
		return a.str == b.str, true
	case kBool:
		return a.b == b.b, true
	case kVoid:
		return true, true
	case kArray:
		if len(a.elems) != len(b.elems) {
			return false, true
		}
		sure = true
		for i := range a.elems {
			e, s := typedEqual(a.elems[i], b.elems[i])
			if s && !e {
				return false, true
			}
			sure = sure && s
		}
		return true, sure
	case kTable:
		if len(a.keys) != len(b.keys) {
			return false, true
		}
		if len(a.keys) == 0 {
			return true, true
		}
		if len(a.keys) > 1 {
			return false, false
		}
		if a.keys[0] != b.keys[0] {
			return false, true
		}
		return typedEqual(a.vals[0], b.vals[0])
	}
	return false, true
}
