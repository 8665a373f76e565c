package mgmt_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mqtop/mqtop/mgmt"
)

// FuzzValidateQueueArg: any queue type, name, value and broker version;
// never a panic, and what is accepted is the JSON value the management API
// takes for the argument's kind, which validates again to itself.
func FuzzValidateQueueArg(f *testing.F) {
	types := []string{"classic", "quorum", "stream", ""}
	versions := []string{"3.10.8", "3.9.29", "4.0.5", "3.13.0", "", "x", "4", "3.12.0-rc.1", "99999999999999999999.1"}
	values := []string{"60000", " 0 ", "-1", "abc", "1.5", "true", "No", "7D", "0s", "1Y", "reject-publish-dlx", "", strings.Repeat("x", 256),
		"9223372036854775808", "-9223372036854775808", "99999999999999999999D"}
	i := 0
	for _, a := range mgmt.QueueArgs() {
		f.Add(types[i%len(types)], a.Name, values[i%len(values)], versions[i%len(versions)])
		i++
	}
	f.Add("classic", "x-queue-type", "quorum", "")
	f.Add("weird", "x-message-ttl", "1", "3.10.8")
	f.Add("quorum", "x-unknown\x1b[2J", "1", "")
	f.Fuzz(func(t *testing.T, queueType, name, value, version string) {
		v, err := mgmt.ValidateQueueArg(queueType, name, value, version)
		if err != nil {
			if v != nil || err.Error() == "" {
				t.Fatalf("ValidateQueueArg(%q, %q, %q, %q) = %#v, %q", queueType, name, value, version, v, err)
			}
			return
		}
		spec := specOf(t, name)
		checkKind(t, spec, v)
		again, err := mgmt.ValidateQueueArg(queueType, name, fmt.Sprint(v), version)
		if err != nil || again != v {
			t.Fatalf("ValidateQueueArg(%q, %q, %q, %q) = %#v, but its text %q validates to %#v, %v",
				queueType, name, value, version, v, fmt.Sprint(v), again, err)
		}
		// The whole-set check agrees with the one-argument check.
		if err := mgmt.CheckQueueArgs(queueType, map[string]any{name: v}, version); err != nil &&
			!strings.Contains(err.Error(), "x-dead-letter-routing-key needs x-dead-letter-exchange") {
			t.Fatalf("ValidateQueueArg accepts %s=%#v for %q on %q, CheckQueueArgs refuses: %v", name, v, queueType, version, err)
		}
	})
}

// FuzzParseFreeArgs: free-form arguments as typed (lines or a JSON object);
// never a panic, a known argument comes back as its kind's type, and the
// whole-set check takes any map it returns without a panic.
func FuzzParseFreeArgs(f *testing.F) {
	for _, s := range []string{
		"", "x-message-ttl=60000", "x-max-priority:=10\nx-overflow=drop-head", `{"x-single-active-consumer": true, "x-max-age": "7D"}`,
		"x-message-ttl:=1.5", "x-message-ttl:=1e400", "x-message-ttl:=[1]", `x-message-ttl:=["\u009b"]`, "x-expires:=9007199254740993",
		"x-dead-letter-routing-key=k", "x-queue-type=stream\nx-max-age=1Y", "alternate-exchange:=5", "custom:=" + `{"a":{"b":[1,2]}}`,
		"x-single-active-consumer=maybe", "=1", "a=1\na=2", `{"":1}`, "x-max-length-bytes:=-0", "x-delivery-limit:=-1.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := mgmt.ParseFreeArgs(text)
		if err != nil {
			if m != nil || err.Error() == "" {
				t.Fatalf("ParseFreeArgs(%q) = %#v, %q", text, m, err)
			}
			return
		}
		for k, v := range m {
			if spec, ok := knownSpec(k); ok {
				checkKind(t, spec, v)
			}
		}
		for _, typ := range []string{"classic", "quorum", "stream", ""} {
			_ = mgmt.CheckQueueArgs(typ, m, "3.10.8")
			_ = mgmt.CheckQueueArgs(typ, m, "")
		}
	})
}

func knownSpec(name string) (mgmt.ArgSpec, bool) {
	for _, a := range append(mgmt.QueueArgs(), mgmt.ExchangeArgs()...) {
		if a.Name == name {
			return a, true
		}
	}
	return mgmt.ArgSpec{}, false
}

func specOf(t *testing.T, name string) mgmt.ArgSpec {
	t.Helper()
	spec, ok := knownSpec(name)
	if !ok {
		t.Fatalf("ValidateQueueArg accepted %q, which is not in the catalogue", name)
	}
	return spec
}

// checkKind: the value is what the management API takes for the kind, in
// the spec's range.
func checkKind(t *testing.T, spec mgmt.ArgSpec, v any) {
	t.Helper()
	switch spec.Kind {
	case mgmt.ArgInt:
		n, ok := v.(int64)
		low := spec.Min
		if spec.Name == "x-delivery-limit" {
			low = -1
		}
		if !ok || n < low || (spec.Max != 0 && n > spec.Max) {
			t.Fatalf("%s = %#v, want an int64 in [%d, %d]", spec.Name, v, low, spec.Max)
		}
	case mgmt.ArgBool:
		if _, ok := v.(bool); !ok {
			t.Fatalf("%s = %#v, want a bool", spec.Name, v)
		}
	case mgmt.ArgEnum:
		s, ok := v.(string)
		if !ok || !strings.Contains(","+strings.Join(spec.Enum, ",")+",", ","+s+",") {
			t.Fatalf("%s = %#v, want one of %q", spec.Name, v, spec.Enum)
		}
	case mgmt.ArgDuration, mgmt.ArgString:
		s, ok := v.(string)
		if !ok || len(s) > 255 {
			t.Fatalf("%s = %#v, want a string of at most 255 bytes", spec.Name, v)
		}
	}
}
