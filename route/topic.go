package route

import "strings"

// Words splits a topic routing key or binding key into its words the way
// RabbitMQ does (rabbit_exchange_type_topic:split_topic_key in 3.x,
// rabbit_db_topic_exchange:split_topic_key_binary in 4.x): the empty key
// has no words at all; any other key is cut at every "." and keeps its
// empty words, so "." is two empty words, "a." is "a" and "", and "a..b" is
// "a", "", "b". Words are compared byte by byte.
func Words(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, ".")
}

// MatchTopic reports whether a topic exchange's binding key pattern matches
// a routing key. In the pattern a word "*" matches exactly one word (an empty
// one too) and a word "#" matches zero or more words; any other word, "a*"
// or "#b" included, matches only itself. In the routing key "*" and "#" are
// ordinary words. See Words for how keys are cut into words: the empty key
// is matched by "", "#", "#.#" but not by "*"; "." is matched by "*.*" and
// "#" but not by "*".
func MatchTopic(pattern, key string) bool {
	return matchWords(Words(pattern), Words(key))
}

// matchWords is glob matching over words, "#" being the star and "*" the
// single-item wildcard. It backtracks only to the last "#" seen, which is
// enough: a later "#" can absorb whatever an earlier one would have.
func matchWords(pat, key []string) bool {
	p, k := 0, 0
	star, starK := -1, 0
	for k < len(key) {
		switch {
		case p < len(pat) && pat[p] == "#":
			star, starK = p, k
			p++
		case p < len(pat) && (pat[p] == "*" || pat[p] == key[k]):
			p++
			k++
		case star >= 0:
			starK++
			p, k = star+1, starK
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == "#" {
		p++
	}
	return p == len(pat)
}
