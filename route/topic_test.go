package route

import (
	"slices"
	"testing"
)

// Every case is a rule of rabbit_exchange_type_topic (3.10) /
// rabbit_db_topic_exchange (4.x): the empty key has no words, any other key
// keeps its empty words, "*" is one word, "#" is zero or more.
var topicCases = []struct {
	pattern, key string
	want         bool
	rule         string
}{
	{"#", "", true, "# matches zero words: the empty key has none"},
	{"#", "a", true, "# matches one word"},
	{"#", "a.b.c", true, "# matches many words"},
	{"#", ".", true, "# matches the two empty words of \".\""},
	{"#", "..", true, "# matches three empty words"},
	{"*", "", false, "* needs exactly one word; the empty key has none"},
	{"*", "a", true, "* matches one word"},
	{"*", "a.b", false, "* does not match two words"},
	{"*", ".", false, "\".\" is two (empty) words"},
	{"", "", true, "the empty binding key matches only the empty routing key"},
	{"", "a", false, "the empty binding key has no words"},
	{"", ".", false, "\".\" is two words, \"\" none"},
	{".", "", false, "\".\" (two empty words) is not the empty key"},
	{".", ".", true, "literal empty words match empty words"},
	{".", "a", false, "an empty word matches only an empty word"},
	{"*.*", "a", false, "two words wanted, one given"},
	{"*.*", "a.b", true, "two words"},
	{"*.*", ".", true, "* matches an empty word"},
	{"*.*", "a.", true, "a trailing dot makes a trailing empty word"},
	{"*.*", ".a", true, "a leading dot makes a leading empty word"},
	{"*.*", "", false, "the empty key has no words at all"},
	{"*.*.*", "..", true, "\"..\" is three empty words"},
	{"..", "..", true, "three literal empty words"},
	{"#.#", "", true, "two # both match zero words"},
	{"#.#", "a", true, "#.# matches one word"},
	{"#.#", "a.b.c", true, "#.# matches many words"},
	{"#.#.#", "", true, "any number of # match zero words"},
	{"*.#", "", false, "*.# needs at least one word"},
	{"*.#", "a", true, "# after * matches zero words"},
	{"#.*", "", false, "#.* needs at least one word"},
	{"#.*", ".", true, "#.* matches two empty words"},
	{"*.#.*", "a", false, "two words at least"},
	{"*.#.*", "a.b", true, "# in the middle matches zero words"},
	{"a.#.b", "a.b", true, "# in the middle matches zero words"},
	{"a.#.b", "a.x.b", true, "# in the middle matches one word"},
	{"a.#.b", "a.x.y.b", true, "# in the middle matches two words"},
	{"a.#.b", "a.b.b", true, "# can match a word equal to the next literal"},
	{"a.#.b", "a..b", true, "# matches an empty word"},
	{"a.#.b", "a", false, "b missing"},
	{"a.#.b", "b.a.b", false, "a must be first"},
	{"a.#.b", "a.b.c", false, "b must be last"},
	{"a.#", "a", true, "trailing # matches zero words"},
	{"a.#", "a.", true, "trailing # matches the empty word of a trailing dot"},
	{"a.#", "a.b.c", true, "trailing # matches many words"},
	{"a.#", "", false, "a missing"},
	{"a.#", "b", false, "a is not b"},
	{"#.a", "a", true, "leading # matches zero words"},
	{"#.a", "x.a", true, "leading # matches one word"},
	{"#.a", ".a", true, "leading # matches a leading empty word"},
	{"#.a", "a.", false, "\"a.\" ends in an empty word, not a"},
	{"a.*", "a", false, "* needs a word after a"},
	{"a.*", "a.", true, "* matches the trailing empty word"},
	{"a.*", "a.b", true, "one word after a"},
	{"a.*", "a.b.c", false, "* is one word, not two"},
	{"a", "a.", false, "\"a.\" is two words"},
	{"a.", "a.", true, "a literal trailing empty word"},
	{".a", ".a", true, "a literal leading empty word"},
	{"*.a", ".a", true, "* matches the leading empty word"},
	{"a", ".a", false, "\".a\" is two words"},
	{"a..b", "a..b", true, "literal empty word in the middle"},
	{"a.*.b", "a..b", true, "* matches an empty word in the middle"},
	{"a.b", "a..b", false, "\"a..b\" is three words"},
	{"a", "*", false, "a * in the routing key is an ordinary word"},
	{"*", "*", true, "* matches the word \"*\""},
	{"#", "#", true, "# matches the word \"#\""},
	{"a.#", "a.#", true, "and \"#\" in a key is one word"},
	{"#", "*", true, "# matches any word"},
	{"a.*.c", "a.#.c", true, "\"#\" in a key is one ordinary word"},
	{"a.b.c", "a.#", false, "\"#\" in a key is no wildcard"},
	{"a*", "ab", false, "a* is a literal word: wildcards are whole words"},
	{"a*", "a*", true, "a* matches only itself"},
	{"#a", "xa", false, "#a is a literal word"},
	{"#a", "#a", true, "#a matches only itself"},
	{"A", "a", false, "words are case-sensitive"},
	{"café.*", "café.crème", true, "words are UTF-8 bytes"},
	{"*.日本", "東京.日本", true, "any UTF-8 word"},
	{"ü", "u", false, "bytes, no Unicode folding"},
	{"kern.*", "kern.critical", true, "the tutorial's case"},
	{"*.orange.*", "quick.orange.rabbit", true, "the tutorial's case"},
	{"*.*.rabbit", "lazy.orange.elephant", false, "the tutorial's case"},
	{"lazy.#", "lazy.orange.male.rabbit", true, "the tutorial's case"},
	{"a b", "a b", true, "spaces are part of words"},
	{"#.#.a.#.#", "a", true, "many # around a word"},
	{"#.a.#.a.#", "a", false, "two a wanted"},
	{"#.a.#.a.#", "x.a.y.a.z", true, "two a among others"},
}

func TestMatchTopic(t *testing.T) {
	for _, c := range topicCases {
		if got := MatchTopic(c.pattern, c.key); got != c.want {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v: %s", c.pattern, c.key, got, c.want, c.rule)
		}
		if got := referenceTopic(c.pattern, c.key); got != c.want {
			t.Errorf("reference(%q, %q) = %v, want %v: %s", c.pattern, c.key, got, c.want, c.rule)
		}
	}
}

func TestWords(t *testing.T) {
	for key, want := range map[string][]string{
		"": nil, ".": {"", ""}, "..": {"", "", ""}, "a": {"a"}, "a.": {"a", ""}, ".a": {"", "a"}, "a..b": {"a", "", "b"},
	} {
		if got := Words(key); !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("Words(%q) = %q, want %q", key, got, want)
		}
	}
}

// referenceTopic is RabbitMQ 3.10's trie_match transcribed for a trie that
// holds the one binding key pattern: node i is after pattern word i, its
// child by word w is node i+1 when pattern word i is w, and the binding sits
// at the last node.
func referenceTopic(pattern, key string) bool {
	pat := refSplit(pattern)
	child := func(node int, w string) (int, bool) {
		if node < len(pat) && pat[node] == w {
			return node + 1, true
		}
		return 0, false
	}
	var match, skipAny func(node int, words []string) bool
	match = func(node int, words []string) bool {
		if len(words) == 0 {
			if node == len(pat) {
				return true
			}
			if n, ok := child(node, "#"); ok {
				return skipAny(n, nil)
			}
			return false
		}
		if n, ok := child(node, words[0]); ok && match(n, words[1:]) {
			return true
		}
		if n, ok := child(node, "*"); ok && match(n, words[1:]) {
			return true
		}
		if n, ok := child(node, "#"); ok && skipAny(n, words) {
			return true
		}
		return false
	}
	skipAny = func(node int, words []string) bool {
		if len(words) == 0 {
			return match(node, nil)
		}
		return match(node, words) || skipAny(node, words[1:])
	}
	return match(0, refSplit(key))
}

// refSplit is split_topic_key of 3.10, byte by byte.
func refSplit(key string) []string {
	if key == "" {
		return nil
	}
	var out []string
	var word []byte
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			out = append(out, string(word))
			word = word[:0]
			continue
		}
		word = append(word, key[i])
	}
	return append(out, string(word))
}
