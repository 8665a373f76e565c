package mgmt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The escapes and character classes of ValidateErlangRegex.

// escape parses a backslash sequence outside a class.
func (p *reParser) escape() (item, error) {
	start := p.i
	p.i++
	if p.i >= len(p.s) {
		return item{}, p.fail(start, `\ at the end of the pattern escapes nothing`)
	}
	c := p.s[p.i]
	p.i++
	one := item{length: 1, last: 1, repeatable: true}
	switch {
	case c >= '1' && c <= '9':
		d := leadingDigits(p.s[start+1:])
		n, err := strconv.Atoi(p.s[start+1 : start+1+d])
		if err == nil && (n < 8 || n <= p.groups) {
			p.i = start + 1 + d
			p.ref(n, start)
			return item{length: lenVar, last: lenVar, repeatable: true}, nil
		}
		p.i--
		_, err = p.octal(start)
		return one, err
	case c == '0' || c == 'x' || c == 'o' || c == 'c':
		p.i--
		_, err := p.charEscape(start)
		return one, err
	case c == 'g':
		return item{length: lenVar, last: lenVar, repeatable: true}, p.gReference(start)
	case c == 'k':
		term := map[byte]byte{'<': '>', '\'': '\'', '{': '}'}[p.peek()]
		if term == 0 {
			return item{}, p.fail(start, `\k must be followed by <name>, 'name' or {name}`)
		}
		p.i++
		at := p.i
		name, err := p.name(term)
		p.nameRefs = append(p.nameRefs, nameRef{name, at})
		return item{length: lenVar, last: lenVar, repeatable: true}, err
	case c == 'p' || c == 'P':
		return one, p.property(start)
	case c == 'N':
		if p.peek() == '{' && !p.countedRepeat() {
			return item{}, p.fail(start, `\N{name} is not supported`)
		}
		return one, nil
	case strings.IndexByte("LlUu", c) >= 0:
		return item{}, p.fail(start, fmt.Sprintf(`\%c is not supported (no case conversion)`, c))
	case c == 'Q':
		end := strings.Index(p.rest(), `\E`)
		lit := p.rest()
		if end >= 0 {
			lit, p.i = lit[:end], p.i+end+2
		} else {
			p.i = len(p.s)
		}
		if lit == "" {
			return item{transparent: true}, nil
		}
		return item{length: len(lit), last: 1, repeatable: true}, nil
	case c == 'E':
		return item{transparent: true}, nil
	case strings.IndexByte("bBAzZGK", c) >= 0:
		return item{}, nil // an assertion: nothing to repeat
	case c == 'R' || c == 'X':
		return item{length: lenVar, last: lenVar, repeatable: true}, nil
	}
	return one, nil // \d \s \w \h \v \C and their negations; any other character stands for itself
}

func (p *reParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// gReference parses \g: \gn, \g{n}, \g-n, \g{-n}, \g{name}, and the
// subroutine calls \g<name>, \g'name', \g<n>, \g<+n>, \g<-n>.
func (p *reParser) gReference(start int) error {
	opener := p.peek()
	term := map[byte]byte{'{': '}', '<': '>', '\'': '\''}[opener]
	if term != 0 {
		p.i++
	}
	sign := p.peek()
	if sign == '-' || (sign == '+' && term != 0 && term != '}') {
		p.i++
	} else {
		sign = 0
	}
	d := leadingDigits(p.rest())
	if d == 0 {
		if term == 0 || sign != 0 {
			return p.fail(start, `\g must be followed by a group number or {name}`)
		}
		at := p.i
		name, err := p.name(term)
		p.nameRefs = append(p.nameRefs, nameRef{name, at})
		return err
	}
	n, _ := strconv.Atoi(p.rest()[:d])
	p.i += d
	if term != 0 {
		if p.peek() != term {
			return p.fail(p.i, fmt.Sprintf(`\g reference must end with %c`, term))
		}
		p.i++
	}
	if n == 0 && sign == 0 && opener != '<' && opener != '\'' {
		return p.fail(start, `\g0 refers to no group`)
	}
	return p.relativeRef(sign, n, start)
}

// property checks \p and \P: one letter, or {Name} or {^Name}.
func (p *reParser) property(start int) error {
	name := ""
	switch c := p.peek(); {
	case c == 0:
		return p.fail(start, `\p must be followed by a property`)
	case c == '{':
		end := strings.IndexByte(p.rest(), '}')
		if end < 0 {
			return p.fail(start, `\p{ is not closed by }`)
		}
		name, p.i = strings.TrimPrefix(p.rest()[1:end], "^"), p.i+end+1
	default:
		name = string(c)
		p.i++
	}
	if !slices.Contains(unicodeProperties, name) {
		return p.fail(start, fmt.Sprintf("unknown property %q (Erlang knows the general categories such as L, Lu, N and scripts such as Latin, Greek, Han)", name))
	}
	return nil
}

// unicodeProperties are the names PCRE 8.45 takes after \p (read from
// Erlang/OTP 25's re by trying every name Go's unicode package knows).
var unicodeProperties = strings.Fields(`Any L& Xan Xps Xsp Xuc Xwd C Cc Cf Cn Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn
N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs
Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bopomofo Brahmi Braille Buginese Buhid
Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Common Coptic Cuneiform Cypriot Cyrillic
Deseret Devanagari Duployan Egyptian_Hieroglyphs Elbasan Ethiopic Georgian Glagolitic Gothic Grantha Greek
Gujarati Gurmukhi Han Hangul Hanunoo Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi
Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi Khmer Khojki Khudawadi Lao Latin
Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Malayalam Mandaic Manichaean Meetei_Mayek
Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Myanmar Nabataean New_Tai_Lue Nko
Ogham Ol_Chiki Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_South_Arabian Old_Turkic Oriya Osmanya
Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra
Sharada Shavian Siddham Sinhala Sora_Sompeng Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham
Tai_Viet Takri Tamil Telugu Thaana Thai Tibetan Tifinagh Tirhuta Ugaritic Vai Warang_Citi Yi`)

// charEscape reads an escape that stands for one byte (\0, \x, \o, \c)
// at p.i-1 == '\\' ... and returns its value.
func (p *reParser) charEscape(start int) (int, error) {
	c := p.s[p.i]
	p.i++
	switch c {
	case '0':
		p.i--
		return p.octal(start)
	case 'x', 'o':
		if p.peek() != '{' {
			if c == 'o' {
				return 0, p.fail(start, `\o must be followed by {octal digits}`)
			}
			v, n := 0, 0
			for n < 2 && p.i < len(p.s) && strings.IndexByte("0123456789abcdefABCDEF", p.s[p.i]) >= 0 {
				d, _ := strconv.ParseInt(p.s[p.i:p.i+1], 16, 0)
				v, n, p.i = v*16+int(d), n+1, p.i+1
			}
			return v, nil
		}
		end := strings.IndexByte(p.rest(), '}')
		base := map[byte]int{'x': 16, 'o': 8}[c]
		if end < 0 {
			return 0, p.fail(start, fmt.Sprintf(`\%c{ is not closed by }`, c))
		}
		digits := p.rest()[1:end]
		p.i += end + 1
		if digits == "" {
			return 0, p.fail(start, fmt.Sprintf(`\%c{} has no digits`, c))
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return 0, p.fail(start, fmt.Sprintf(`\%c{%s}: not a base-%d number`, c, digits, base))
		}
		if err != nil || v > 255 && !p.utf || v > 0x10ffff {
			return 0, p.fail(start, fmt.Sprintf(`\%c{%s} is over 255: the pattern is bytes, not UTF-8`, c, digits))
		}
		return int(v), nil
	}
	// \c
	if p.i >= len(p.s) {
		return 0, p.fail(start, `\c at the end of the pattern needs a character`)
	}
	if p.s[p.i] > 127 {
		return 0, p.fail(start, `\c must be followed by an ASCII character`)
	}
	p.i++
	return int(strings.ToUpper(p.s[p.i-1 : p.i])[0] ^ 0x40), nil
}

// octal reads up to three octal digits at p.i; none (\8, \9) is the digit itself.
func (p *reParser) octal(start int) (int, error) {
	v, n := 0, 0
	for n < 3 && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '7' {
		v, n, p.i = v*8+int(p.s[p.i]-'0'), n+1, p.i+1
	}
	if n == 0 {
		p.i++
		return int(p.s[p.i-1]), nil
	}
	if v > 255 && !p.utf {
		return 0, p.fail(start, fmt.Sprintf(`octal \%s is over \377`, p.s[start+1:p.i]))
	}
	return v, nil
}

// posixAt reports whether a POSIX bracket expression ([:alpha:], [.x.],
// [=x=]) starts at i, and where its terminator is (PCRE's own test).
func (p *reParser) posixAt(i int) (int, bool) {
	if i+1 >= len(p.s) || strings.IndexByte(":.=", p.s[i+1]) < 0 {
		return 0, false
	}
	term := p.s[i+1]
	for j := i + 2; j < len(p.s); j++ {
		switch {
		case p.s[j] == '\\' && j+1 < len(p.s) && (p.s[j+1] == ']' || p.s[j+1] == '\\'):
			j++
		case p.s[j] == '[' && j+1 < len(p.s) && p.s[j+1] == term, p.s[j] == ']':
			return 0, false
		case p.s[j] == term && j+1 < len(p.s) && p.s[j+1] == ']':
			return j, true
		}
	}
	return 0, false
}

var posixClasses = strings.Fields("alpha lower upper alnum ascii blank cntrl digit graph print punct space word xdigit")

// class parses "[" ... "]". Inside \Q..\E every byte is a literal,
// "-" included; an empty \Q\E is nothing at all, even first.
func (p *reParser) class() (item, error) {
	open := p.i
	if _, ok := p.posixAt(open); ok {
		return item{}, p.fail(open, "a POSIX class such as [:alpha:] goes inside brackets: [[:alpha:]]")
	}
	p.i++
	if p.peek() == '^' {
		p.i++
	}
	first, quoted := true, false
	prev, rangeAt := -1, -1 // the last single character, which may start a range; where a range's "-" is
	for {
		if p.i >= len(p.s) {
			return item{}, p.fail(open, "missing ] to close this character class")
		}
		r := p.rest()
		if strings.HasPrefix(r, `\E`) || (!quoted && strings.HasPrefix(r, `\Q`)) {
			quoted, p.i = r[1] == 'Q', p.i+2
			continue
		}
		c := p.s[p.i]
		var v int
		switch {
		case quoted:
			v, p.i = int(c), p.i+1
		case c == ']' && !first:
			p.i++
			return item{length: 1, last: 1, repeatable: true}, nil
		case c == '-' && prev >= 0 && rangeAt < 0 && p.i+1 < len(p.s) && p.s[p.i+1] != ']':
			rangeAt = p.i
			p.i++
			continue
		default:
			var err error
			if v, err = p.classAtom(); err != nil {
				return item{}, err
			}
		}
		first = false
		if rangeAt >= 0 {
			switch {
			case v < 0 || v&notRangeEnd != 0:
				return item{}, p.fail(rangeAt, "a range must end with a single character, not a class")
			case v < prev:
				return item{}, p.fail(rangeAt, fmt.Sprintf("the range %s is out of order", p.s[rangeAt-1:p.i]))
			}
			v, rangeAt = -1, -1
		}
		prev = v &^ notRangeEnd
	}
}

// notRangeEnd marks a classAtom that may start a range but not end one.
const notRangeEnd = 1 << 16

// classEscapes are the escapes that stand for one byte inside a class.
var classEscapes = map[byte]int{'a': 7, 'b': 8, 'e': 27, 'f': 12, 'n': 10, 'r': 13, 't': 9}

// classAtom reads one element of a class and returns its byte value, or
// -1 for a class of its own (\d, \p{L}, [:alpha:]): a "-" after one is a
// literal, and one after a "-" is refused.
func (p *reParser) classAtom() (int, error) {
	start := p.i
	c := p.s[p.i]
	if c == '[' {
		if end, ok := p.posixAt(start); ok {
			name := strings.TrimPrefix(p.s[start+2:end], "^")
			if p.s[start+1] != ':' {
				return 0, p.fail(start, "POSIX collating elements ([.x.], [=x=]) are not supported")
			}
			if !slices.Contains(posixClasses, name) {
				return 0, p.fail(start, fmt.Sprintf("unknown POSIX class [:%s:]", name))
			}
			p.i = end + 2
			return -1, nil
		}
	}
	p.i++
	if c != '\\' {
		return int(c), nil
	}
	if p.i >= len(p.s) {
		return 0, p.fail(start, `\ at the end of the pattern escapes nothing`)
	}
	e := p.s[p.i]
	switch {
	case e >= '0' && e <= '9':
		return p.octal(start)
	case e == 'x' || e == 'o' || e == 'c':
		return p.charEscape(start)
	case e == 'p' || e == 'P':
		p.i++
		return -1, p.property(start)
	case e == 'N':
		return 0, p.fail(start, `\N is not supported in a character class`)
	case strings.IndexByte("LlUu", e) >= 0:
		return 0, p.fail(start, fmt.Sprintf(`\%c is not supported (no case conversion)`, e))
	case strings.IndexByte("dDsSwWhHvV", e) >= 0:
		p.i++
		return -1, nil
	case strings.IndexByte("ABCGKRXZzk", e) >= 0:
		p.i++
		return notRangeEnd | int(e), nil // the letter itself, but never the end of a range
	}
	p.i++
	if v, ok := classEscapes[e]; ok {
		return v, nil
	}
	return int(e), nil // any other character stands for itself
}
