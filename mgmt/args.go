package mgmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mqtop/mqtop/internal/msgfmt"
	"github.com/mqtop/mqtop/internal/num"
)

// ArgKind is the type of an optional argument's value.
type ArgKind int

const (
	ArgInt      ArgKind = iota // a whole number
	ArgBool                    // true or false
	ArgString                  // any text
	ArgEnum                    // one of ArgSpec.Enum
	ArgDuration                // a stream's retention age: a number and a unit (7D, 12h)
)

func (k ArgKind) String() string {
	return [...]string{"int", "bool", "string", "enum", "duration"}[k]
}

// ArgSpec describes one optional argument ("x-argument") a queue or an
// exchange can be declared with, as RabbitMQ's documentation states it
// (queues, quorum-queues, streams, ttl, maxlength, dlx, priority, consumers)
// and as RabbitMQ 3.10.8 was seen to accept it.
type ArgSpec struct {
	Name string
	Kind ArgKind
	// Enum lists the values of an ArgEnum; EnumFor narrows them for a queue
	// type (quorum queues have no reject-publish-dlx).
	Enum    []string
	EnumFor map[string][]string
	// AppliesTo lists the queue types that take it; empty for exchange
	// arguments.
	AppliesTo []string
	Explain   string // one line for the form
	// MinVersion is the first RabbitMQ version that has it ("" for all that
	// mqtop supports); TypeMinVersion is later for some queue types
	// (quorum queues have message TTL since 3.10).
	MinVersion     string
	TypeMinVersion map[string]string
	// IgnoredFrom is the first version on which it has no effect.
	IgnoredFrom string
	// An ArgInt counts Unit ("milliseconds") and lies in [Min, Max]; Max 0
	// means no upper bound.
	Unit     string
	Min, Max int64
}

var (
	classicQuorum = []string{"classic", "quorum"}
	allQueueTypes = []string{"classic", "quorum", "stream"}
)

// queueArgs is the catalogue, in the order a form offers them.
var queueArgs = []ArgSpec{
	{Name: "x-message-ttl", Kind: ArgInt, Unit: "milliseconds", AppliesTo: classicQuorum,
		TypeMinVersion: map[string]string{"quorum": "3.10"},
		Explain:        "Messages older than this many milliseconds are discarded, or dead-lettered if a dead-letter exchange is set."},
	{Name: "x-expires", Kind: ArgInt, Unit: "milliseconds", Min: 1, AppliesTo: classicQuorum,
		Explain: "The queue is deleted after this many milliseconds unused: no consumers, no basic.get, no re-declare."},
	{Name: "x-max-length", Kind: ArgInt, Unit: "messages", AppliesTo: classicQuorum,
		Explain: "At most this many ready messages; x-overflow says what happens to more."},
	{Name: "x-max-length-bytes", Kind: ArgInt, Unit: "bytes", AppliesTo: allQueueTypes,
		Explain: "At most this many bytes of ready message bodies; on a stream, its total size kept (retention)."},
	{Name: "x-overflow", Kind: ArgEnum, Enum: []string{"drop-head", "reject-publish", "reject-publish-dlx"},
		EnumFor: map[string][]string{"quorum": {"drop-head", "reject-publish"}}, AppliesTo: classicQuorum,
		Explain: "When the queue is full: drop-head drops the oldest, reject-publish refuses new messages, reject-publish-dlx also dead-letters them."},
	{Name: "x-dead-letter-exchange", Kind: ArgString, AppliesTo: classicQuorum,
		Explain: "Exchange that receives rejected, expired and dropped messages (\"\" is the default exchange)."},
	{Name: "x-dead-letter-routing-key", Kind: ArgString, AppliesTo: classicQuorum,
		Explain: "Routing key of dead-lettered messages instead of their own; needs x-dead-letter-exchange."},
	{Name: "x-dead-letter-strategy", Kind: ArgEnum, Enum: []string{"at-most-once", "at-least-once"},
		AppliesTo: []string{"quorum"}, MinVersion: "3.10",
		Explain: "at-least-once keeps a message until its dead-letter queue confirms it; needs x-overflow=reject-publish, else it falls back to at-most-once."},
	{Name: "x-max-priority", Kind: ArgInt, Min: 1, Max: 255, AppliesTo: []string{"classic"},
		Explain: "Enables message priorities 0 to this number; use 10 or fewer, each level costs memory and CPU."},
	{Name: "x-delivery-limit", Kind: ArgInt, Unit: "deliveries", AppliesTo: []string{"quorum"},
		Explain: "Deliveries after which a message is dropped or dead-lettered (4.0+: 20 unless set; -1 for no limit)."},
	{Name: "x-single-active-consumer", Kind: ArgBool, AppliesTo: classicQuorum,
		Explain: "Only one consumer receives messages at a time; the next one takes over when it goes."},
	{Name: "x-max-age", Kind: ArgDuration, AppliesTo: []string{"stream"},
		Explain: "Stream retention by age: a number and a unit Y, M, D, h, m or s (7D, 12h); whole segments are removed."},
	{Name: "x-stream-max-segment-size-bytes", Kind: ArgInt, Unit: "bytes", Min: 1, AppliesTo: []string{"stream"},
		Explain: "Size of the stream's segment files (default 500000000); retention removes whole segments."},
	{Name: "x-stream-filter-size-bytes", Kind: ArgInt, Unit: "bytes", Min: 16, Max: 255, AppliesTo: []string{"stream"},
		MinVersion: "3.13", Explain: "Size of the Bloom filter used for stream filtering (16 to 255, default 16)."},
	{Name: "x-queue-version", Kind: ArgInt, Min: 1, Max: 2, AppliesTo: []string{"classic"}, MinVersion: "3.10",
		Explain: "Classic queue storage version; 2 is recommended, and the only one since 4.0."},
	{Name: "x-queue-mode", Kind: ArgEnum, Enum: []string{"default", "lazy"}, AppliesTo: []string{"classic"},
		IgnoredFrom: "3.12", Explain: "lazy keeps messages on disk rather than in memory (ignored since 3.12, where classic queues do so anyway)."},
	{Name: "x-queue-leader-locator", Kind: ArgEnum, Enum: []string{"client-local", "balanced"},
		AppliesTo: []string{"quorum", "stream"}, MinVersion: "3.10",
		Explain: "Where the leader goes: client-local (the declaring connection's node) or balanced (the node with fewest leaders)."},
	{Name: "x-quorum-initial-group-size", Kind: ArgInt, Unit: "nodes", Min: 1, AppliesTo: []string{"quorum"},
		Explain: "Number of nodes the quorum queue is replicated on when declared."},
	{Name: "x-initial-cluster-size", Kind: ArgInt, Unit: "nodes", Min: 1, AppliesTo: []string{"stream"},
		Explain: "Number of nodes the stream is replicated on when declared (quorum queues use x-quorum-initial-group-size)."},
}

// queueTypeArg is x-queue-type: set by QueueDecl.Type, accepted free-form
// when it agrees with the type chosen.
var queueTypeArg = ArgSpec{Name: "x-queue-type", Kind: ArgEnum, Enum: allQueueTypes, AppliesTo: allQueueTypes,
	Explain: "The queue type; chosen with the type field."}

var exchangeArgs = []ArgSpec{
	{Name: "alternate-exchange", Kind: ArgString,
		Explain: "Exchange that receives the messages this exchange cannot route to any queue."},
}

// QueueArgs is the catalogue of queue arguments, in the order a form offers
// them. The caller may not modify it.
func QueueArgs() []ArgSpec { return queueArgs }

// ExchangeArgs is the catalogue of exchange arguments.
func ExchangeArgs() []ArgSpec { return exchangeArgs }

func queueArgSpec(name string) (ArgSpec, bool) {
	if name == queueTypeArg.Name {
		return queueTypeArg, true
	}
	for _, a := range queueArgs {
		if a.Name == name {
			return a, true
		}
	}
	return ArgSpec{}, false
}

func exchangeArgSpec(name string) (ArgSpec, bool) {
	for _, a := range exchangeArgs {
		if a.Name == name {
			return a, true
		}
	}
	return ArgSpec{}, false
}

// ValidateQueueArg parses value as typed in the form into the JSON value
// the management API wants (int64, bool or string) and refuses, with the
// reason, a value that is malformed, out of range, or meant for another
// queue type or broker version. queueType "" is taken as classic;
// brokerVersion "" skips the version checks.
func ValidateQueueArg(queueType, name, value, brokerVersion string) (any, error) {
	spec, ok := queueArgSpec(name)
	if !ok {
		return nil, fmt.Errorf("%s is not a queue argument mqtop knows; give it free-form as %s=value", strconv.Quote(name), name)
	}
	if name == queueTypeArg.Name {
		return nil, errors.New("x-queue-type is set by the queue type field")
	}
	v, err := spec.parse(value)
	if err != nil {
		return nil, err
	}
	if err := spec.fits(queueTypeOrClassic(queueType), v, brokerVersion); err != nil {
		return nil, err
	}
	return v, nil
}

// ValidateExchangeArg is ValidateQueueArg for an exchange argument.
func ValidateExchangeArg(name, value string) (any, error) {
	spec, ok := exchangeArgSpec(name)
	if !ok {
		return nil, fmt.Errorf("%s is not an exchange argument mqtop knows; give it free-form as %s=value", strconv.Quote(name), name)
	}
	return spec.parse(value)
}

// ParseFreeArgs parses free-form arguments: `key=value` lines (a string,
// or for a known name the value parsed as its kind: x-message-ttl=60000
// is the number), `key:=JSON` lines for a typed value, or one JSON object,
// as msgfmt.ParseHeaders reads them. The value of a known name is checked
// as ValidateQueueArg checks it, except for what depends on the queue type
// and the broker (CheckQueueArgs does that for the whole set). Empty text
// gives nil, nil.
func ParseFreeArgs(text string) (map[string]any, error) {
	m, err := msgfmt.ParseHeaders(text)
	if err != nil {
		return nil, errors.New(argWording(err.Error()))
	}
	for k, v := range m {
		spec, ok := queueArgSpec(k)
		if !ok {
			spec, ok = exchangeArgSpec(k)
		}
		if !ok {
			continue
		}
		if m[k], err = spec.typed(v); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// headerWord is where msgfmt's errors say "header": after their prefix,
// never inside the quoted text they show.
var headerWord = regexp.MustCompile(`^(arguments: |line [0-9]+: )?(empty )?header`)

// argWording words msgfmt's header errors for arguments.
func argWording(s string) string {
	if rest, ok := strings.CutPrefix(s, "headers: "); ok {
		s = "arguments: " + rest
	}
	return headerWord.ReplaceAllString(s, "${1}${2}argument")
}

// CheckQueueArgs checks a whole set of queue arguments (the form's and the
// free-form ones) against the queue type and the broker version: each known
// argument as ValidateQueueArg does, x-queue-type agreeing with queueType,
// and x-dead-letter-routing-key only with x-dead-letter-exchange (the broker
// refuses it alone). Arguments mqtop does not know pass.
func CheckQueueArgs(queueType string, args map[string]any, brokerVersion string) error {
	queueType = queueTypeOrClassic(queueType)
	for _, k := range sortedKeys(args) {
		spec, ok := queueArgSpec(k)
		if !ok {
			continue
		}
		v, err := spec.typed(args[k])
		if err != nil {
			return err
		}
		if k == queueTypeArg.Name {
			if v != queueType {
				return fmt.Errorf("x-queue-type=%v contradicts the queue type %s", v, queueType)
			}
			continue
		}
		if err := spec.fits(queueType, v, brokerVersion); err != nil {
			return err
		}
	}
	_, dlx := args["x-dead-letter-exchange"]
	if _, dlrk := args["x-dead-letter-routing-key"]; dlrk && !dlx {
		return errors.New("x-dead-letter-routing-key needs x-dead-letter-exchange")
	}
	return nil
}

func queueTypeOrClassic(t string) string {
	if t == "" {
		return "classic"
	}
	return t
}

var maxAgeSyntax = regexp.MustCompile(`^([0-9]+)([YMDhms])$`)

// parse reads the text typed for the argument.
func (a ArgSpec) parse(s string) (any, error) {
	t := strings.TrimSpace(s)
	switch a.Kind {
	case ArgInt:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, a.intErr(strconv.Quote(s))
		}
		return a.intInRange(n, strconv.Quote(s))
	case ArgBool:
		switch strings.ToLower(t) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%s must be true or false, got %s", a.Name, strconv.Quote(s))
	case ArgEnum:
		if !slices.Contains(a.Enum, t) {
			return nil, fmt.Errorf("%s must be one of %s, got %s", a.Name, strings.Join(a.Enum, ", "), strconv.Quote(s))
		}
		return t, nil
	case ArgDuration:
		m := maxAgeSyntax.FindStringSubmatch(t)
		if m == nil {
			return nil, fmt.Errorf("%s must be a number and a unit Y, M, D, h, m or s (7D, 12h), got %s", a.Name, strconv.Quote(s))
		}
		if n, err := strconv.ParseUint(m[1], 10, 64); err != nil || n == 0 {
			return nil, fmt.Errorf("%s must be more than 0, got %s", a.Name, strconv.Quote(s))
		}
		return t, nil
	}
	if len(s) > maxShortString {
		return nil, fmt.Errorf("%s is %d bytes; AMQP allows at most %d", a.Name, len(s), maxShortString)
	}
	return s, nil // ArgString: kept as typed, spaces and all
}

// maxShortString bounds names (exchange names for x-dead-letter-exchange,
// alternate-exchange; routing keys).
const maxShortString = 255

// typed checks a value that is already typed (free-form `:=`, JSON, or a
// map built by the caller) and returns it as the API wants it: a string
// is parsed as typed text; any whole number becomes int64.
func (a ArgSpec) typed(v any) (any, error) {
	if s, ok := v.(string); ok {
		return a.parse(s)
	}
	got := describeValue(v)
	switch a.Kind {
	case ArgInt:
		n, ok := num.Whole(v)
		if !ok {
			return nil, a.intErr(got)
		}
		return a.intInRange(n, got)
	case ArgBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("%s must be true or false, got %s", a.Name, got)
	}
	return nil, fmt.Errorf("%s must be a string, got %s", a.Name, got)
}

func (a ArgSpec) intErr(got string) error {
	return fmt.Errorf("%s must be %s, got %s", a.Name, a.intRange(), got)
}

func (a ArgSpec) intInRange(n int64, got string) (any, error) {
	if n < a.lowest() || (a.Max != 0 && n > a.Max) {
		return nil, a.intErr(got)
	}
	return n, nil
}

// lowest is the least value any broker takes: x-delivery-limit -1 (no
// limit) exists from 4.0, which fits checks.
func (a ArgSpec) lowest() int64 {
	if a.Name == "x-delivery-limit" {
		return -1
	}
	return a.Min
}

func (a ArgSpec) intRange() string {
	what := "a whole number"
	if a.Unit != "" {
		what += " of " + a.Unit
	}
	if a.Max != 0 {
		return fmt.Sprintf("%s from %d to %d", what, a.lowest(), a.Max)
	}
	return fmt.Sprintf("%s ≥ %d", what, a.lowest())
}

// fits checks what depends on the queue type and the broker version.
func (a ArgSpec) fits(queueType string, v any, version string) error {
	if !slices.Contains(allQueueTypes, queueType) {
		return fmt.Errorf("unknown queue type %s (classic, quorum or stream)", strconv.Quote(queueType))
	}
	if !slices.Contains(a.AppliesTo, queueType) {
		return fmt.Errorf("%s does not apply to %s queues (only to %s)", a.Name, queueType, typeList(a.AppliesTo))
	}
	if values, ok := a.EnumFor[queueType]; ok && !slices.Contains(values, v.(string)) {
		return fmt.Errorf("%s=%s does not apply to %s queues (they take %s)", a.Name, v, queueType, strings.Join(values, ", "))
	}
	if version == "" {
		return nil
	}
	if min := a.TypeMinVersion[queueType]; min != "" && versionBefore(version, min) {
		return fmt.Errorf("%s on %s queues needs RabbitMQ %s or later; the broker runs %s", a.Name, queueType, min, version)
	}
	if a.MinVersion != "" && versionBefore(version, a.MinVersion) {
		return fmt.Errorf("%s needs RabbitMQ %s or later; the broker runs %s", a.Name, a.MinVersion, version)
	}
	if a.IgnoredFrom != "" && !versionBefore(version, a.IgnoredFrom) {
		return fmt.Errorf("%s has no effect since RabbitMQ %s; the broker runs %s", a.Name, a.IgnoredFrom, version)
	}
	switch n, _ := v.(int64); {
	case a.Name == "x-queue-version" && n == 1 && !versionBefore(version, "4.0"):
		return fmt.Errorf("x-queue-version 1 was removed in RabbitMQ 4.0; the broker runs %s", version)
	case a.Name == "x-delivery-limit" && n < 0 && versionBefore(version, "4.0"):
		return fmt.Errorf("x-delivery-limit -1 (no limit) needs RabbitMQ 4.0 or later; before, leave it unset; the broker runs %s", version)
	}
	return nil
}

func typeList(types []string) string {
	if len(types) == 1 {
		return types[0]
	}
	return strings.Join(types[:len(types)-1], ", ") + " and " + types[len(types)-1]
}

// describeValue shows a typed value in an error: JSON, so a string reads
// quoted and a number bare.
func describeValue(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "a&b", not "a\u0026b"
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// versionBefore reports whether version v is older than min ("3.10"):
// numeric components compared in order, missing ones as 0, anything after
// the numbers ("-rc.1", "+2.g1234") ignored. An unreadable v is not older.
// VersionBefore says whether RabbitMQ version v is older than min ("3.10.8"
// before "3.12"); an unreadable v is not.
func VersionBefore(v, min string) bool { return versionBefore(v, min) }

func versionBefore(v, min string) bool {
	a, b := versionParts(v), versionParts(min)
	if a == nil {
		return false
	}
	for i := range max(len(a), len(b)) {
		x, y := at(a, i), at(b, i)
		if x != y {
			return x < y
		}
	}
	return false
}

func at(p []int, i int) int {
	if i < len(p) {
		return p[i]
	}
	return 0
}

func versionParts(v string) []int {
	var out []int
	for _, f := range strings.Split(v, ".") {
		end := strings.IndexFunc(f, func(r rune) bool { return r < '0' || r > '9' })
		if end == 0 {
			break
		}
		digits := f
		if end > 0 {
			digits = f[:end]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			break
		}
		out = append(out, n)
		if end > 0 {
			break
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
