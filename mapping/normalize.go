package mapping

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text normalization. Every rule is a named function with its own table test; the composite rules
// (company names, person names, codes) run the shared one-pass rewriter with several rules at
// once, so that a messy field costs one allocation and a clean one none: a value that is already
// canonical comes back as the same string, and one that only loses white space or invisible
// characters at its ends as a substring of it. Record normalization (record.go) goes further and
// writes all messy fields of a record into one allocation.

// textRule selects what rewrite does to a string; rules combine.
type textRule uint16

const (
	// ruleClean trims, collapses every run of white space (incl. U+3000 and NBSP) into one ASCII
	// space, and removes zero-width, format and control characters and invalid UTF-8 bytes.
	ruleClean textRule = 1 << iota
	// ruleFold turns full-width ASCII forms (U+FF01–U+FF5E) and U+3000 into their ASCII forms.
	ruleFold
	// ruleUpper upper-cases ASCII letters.
	ruleUpper
	// ruleWideParens writes parentheses full-width （）, the Chinese convention in names.
	ruleWideParens
	// ruleDots unifies the middle-dot look-alikes into U+00B7 ·.
	ruleDots
	// ruleNoSpace removes every white space.
	ruleNoSpace
	// ruleTightHan removes a white space between two Han characters or middle dots (person names:
	// 张 三 → 张三, but 张三 13800000000 keeps its space).
	ruleTightHan
	// ruleLooseHan removes a white space next to a Han character or CJK punctuation on either side
	// (company names and addresses: 晋江市 ABC 鞋业 → 晋江市ABC鞋业).
	ruleLooseHan
	// ruleHanDots writes a '.' between two Han characters as '·' (名字.姓氏 typed with a period).
	ruleHanDots
	// ruleNoDashes removes hyphens and dashes.
	ruleNoDashes
	// ruleNoParens removes parentheses.
	ruleNoParens
)

// The rule sets of the named normalizations.
const (
	rulesCompanyName = ruleClean | ruleFold | ruleWideParens | ruleLooseHan
	rulesPersonName  = ruleClean | ruleFold | ruleDots | ruleTightHan | ruleHanDots
	rulesCommunity   = ruleClean | ruleFold | ruleLooseHan
	rulesCode        = ruleClean | ruleFold | ruleUpper | ruleNoSpace | ruleNoDashes
	rulesPhone       = ruleClean | ruleFold | ruleNoSpace | ruleNoDashes | ruleNoParens
	rulesText        = ruleClean | ruleFold
	rulesCatalogName = rulesCompanyName // 作业类别 and 操作项目 names: 冶金（有色）生产安全作业
	rulesKey         = ruleClean | ruleFold | ruleUpper | ruleNoSpace
)

// FoldWidth turns full-width letters, digits and punctuation (U+FF01–U+FF5E) and the ideographic
// space U+3000 into their ASCII forms. CJK characters and CJK punctuation (、。「」) are kept.
func FoldWidth(s string) string { return rewrite(s, ruleFold) }

// CleanText trims s, collapses every run of white space (tabs, new lines, U+3000, NBSP …) into one
// space, and removes zero-width, format and control characters (what copy and paste from web
// pages and Word leaves behind). Invalid UTF-8 bytes are removed as well.
func CleanText(s string) string { return rewrite(s, ruleClean) }

// NormalizeMiddleDot writes every middle-dot look-alike (· • ‧ ・ ･ ∙ ⋅) as U+00B7 ·, the dot of
// transliterated names such as 阿卜杜·热合曼.
func NormalizeMiddleDot(s string) string { return rewrite(s, ruleDots) }

// NormalizeCompanyName cleans a company name, folds full-width letters and digits, writes
// parentheses full-width and drops spaces next to Chinese text (registered names have none there):
// 晋江市 (灵源) 鞋业有限公司 → 晋江市（灵源）鞋业有限公司. Spaces between Latin words stay.
func NormalizeCompanyName(s string) string { return rewrite(s, rulesCompanyName) }

// NormalizeAddress cleans an address like a company name (full-width parentheses, ASCII digits, no
// spaces next to Chinese text): 灵源街道 林格社区 128号 → 灵源街道林格社区128号.
func NormalizeAddress(s string) string { return rewrite(s, rulesCompanyName) }

// NormalizeCommunity cleans a community name; spaces next to Chinese text are dropped (林格 社区).
func NormalizeCommunity(s string) string { return rewrite(s, rulesCommunity) }

// NormalizePersonName cleans a person's name: no spaces inside Chinese names (张 三 → 张三), middle
// dots unified and without spaces around them, a period between Chinese characters taken for a
// middle dot. Latin names keep single spaces (John Smith).
func NormalizePersonName(s string) string { return rewrite(s, rulesPersonName) }

// NameMatchKey is the form two person names are compared in (alert rule NAME_MISMATCH): the
// normalized name without any white space.
func NameMatchKey(s string) string { return rewrite(s, rulesPersonName|ruleNoSpace) }

// NormalizeUSCC folds, upper-cases and strips white space and dashes from a unified social credit
// code. It does not correct look-alike letters (O for 0): validation reports them.
func NormalizeUSCC(s string) string { return rewrite(s, rulesCode) }

// NormalizeIDNumber folds, upper-cases (a final x becomes X) and strips white space and dashes from
// a resident ID number, and converts a 15-digit first-generation number to 18 digits (birth year
// 19yy, check digit computed).
func NormalizeIDNumber(s string) string { return idForm(rewrite(s, rulesCode)) }

// idForm upgrades a cleaned 15-digit ID number to 18 digits.
func idForm(s string) string {
	if len(s) == 15 && allDigits(s) {
		return upgradeID15(s)
	}
	return s
}

// normalizeCode cleans a code-like value (item codes, platform ids, region codes).
func normalizeCode(s string) string { return rewrite(s, rulesCode) }

// localAreaCode is the area code of Quanzhou, the street's city.
const localAreaCode = "0595"

// NormalizePhone reduces a phone number to its digits:
//   - white space, hyphens, dashes and parentheses go: (0595) 8888-1234 → 059588881234;
//   - the country prefix +86, 0086, or a bare 86 before an 11-digit mobile number goes, and a
//     landline written internationally gets its trunk 0 back: +86 595 88881234 → 059588881234;
//   - an 8-digit local number starting 2–9 gets Quanzhou's area code 0595: every Quanzhou
//     landline has 8 digits and a street sheet that omits the area code means its own city.
//     Shorter local numbers are left alone and fail validation — their city is not certain.
//
// Anything else (letters, 转 extensions, two numbers in one cell) is kept so that validation
// reports the cell instead of silently losing part of it.
func NormalizePhone(s string) string { return phoneForm(rewrite(s, rulesPhone)) }

// phoneForm handles the prefixes of a phone number already cleaned by rulesPhone. It repeats
// phoneStep until nothing changes, so that doubled prefixes (+86 0086 …) cannot make it
// non-idempotent; every step shortens the number or ends with a trunk 0 no prefix rule matches.
func phoneForm(s string) string {
	for {
		next := phoneStep(s)
		if next == s {
			return s
		}
		s = next
	}
}

func phoneStep(s string) string {
	rest, intl := s, false
	switch {
	case strings.HasPrefix(s, "+86"):
		rest, intl = s[3:], true
	case strings.HasPrefix(s, "0086"):
		rest, intl = s[4:], true
	case len(s) == 13 && strings.HasPrefix(s, "861") && allDigits(s):
		return s[2:]
	}
	if rest == "" || !allDigits(rest) {
		return s // +86 before something that is not a number: leave it for validation
	}
	switch {
	case intl && rest[0] != '0' && rest[0] != '1':
		return "0" + rest
	case !intl && len(rest) == 8 && rest[0] >= '2':
		return localAreaCode + rest
	}
	return rest
}

// runeKind classifies a rune for cleaning.
type runeKind uint8

const (
	kindVisible runeKind = iota
	kindSpace
	kindInvisible
)

// classify says whether r (decoded with size bytes) is visible, white space, or something
// CleanText removes. CJK text takes the fast path.
func classify(r rune, size int) runeKind {
	if r < utf8.RuneSelf {
		switch {
		case r == ' ' || (r >= '\t' && r <= '\r'):
			return kindSpace
		case r < 0x20 || r == 0x7f:
			return kindInvisible
		}
		return kindVisible
	}
	if r == utf8.RuneError && size == 1 {
		return kindInvisible // an invalid byte
	}
	switch {
	case r > 0x3000 && r < 0xFE00, r >= 0xFF01 && r <= 0xFFEF:
		return kindVisible // CJK, kana, Hangul, full-width forms: no spaces or format characters
	case r == 0x3000, r == 0x85, r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A,
		r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F:
		return kindSpace
	case r < 0xA0:
		return kindInvisible // C1 controls
	case r >= 0x2000 && r <= 0x206F:
		// general punctuation: zero-width characters, bidi marks and invisible operators are
		// format characters (Cf), the rest visible
		if r >= 0x200B && r <= 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2060 {
			return kindInvisible
		}
		return kindVisible
	case unicode.Is(unicode.Cf, r):
		return kindInvisible // soft hyphen, BOM, Arabic and Syriac marks, tags …
	}
	return kindVisible
}

// isMiddleDot reports the look-alikes ruleDots unifies.
func isMiddleDot(r rune) bool {
	switch r {
	case '·', '•', '‧', '・', '･', '∙', '⋅', 0x0387:
		return true
	}
	return false
}

func isDash(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '−', '﹣':
		return true
	}
	return false
}

// isHan reports a Chinese character (common blocks first).
func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x2E80 && isRareHan(r)
}

func isRareHan(r rune) bool { return r == 0x3007 || unicode.Is(unicode.Han, r) }

// isCJK reports a Han character or CJK punctuation, full-width forms included.
func isCJK(r rune) bool {
	return isHan(r) || r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFF60
}

// mapRune applies the character mappings of rules; -1 drops the rune.
func mapRune(r rune, rules textRule) rune {
	if rules&ruleFold != 0 {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		} else if r == 0x3000 {
			r = ' '
		}
	}
	if rules&ruleDots != 0 && isMiddleDot(r) {
		return '·'
	}
	if rules&ruleUpper != 0 && r >= 'a' && r <= 'z' {
		return r - ('a' - 'A')
	}
	if rules&ruleNoDashes != 0 && isDash(r) {
		return -1
	}
	if r == '(' || r == ')' {
		if rules&ruleNoParens != 0 {
			return -1
		}
		if rules&ruleWideParens != 0 {
			return r - '(' + '（'
		}
	}
	return r
}

// decodeRune decodes the rune at s[i] like utf8.DecodeRuneInString, with the common cases —
// ASCII, and three-byte sequences (CJK text, full-width forms, general punctuation) — inline.
func decodeRune(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	// a three-byte sequence that cannot be overlong (E0) or a surrogate (ED)
	if c >= 0xE1 && c != 0xED && c <= 0xEF && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
		return rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s[i:])
}

// nextVisible returns the next rune at or after i that cleaning keeps, or -1.
func nextVisible(s string, i int) rune {
	for i < len(s) {
		r, size := decodeRune(s, i)
		if classify(r, size) == kindVisible {
			return r
		}
		i += size
	}
	return -1
}

// rewrite applies rules to s in one pass. It returns s itself, or a substring of it when only
// white space or invisible characters at its ends go, without allocating.
func rewrite(s string, rules textRule) string {
	var stack [128]byte
	out, same, changed := rewriteTo(stack[:0], s, rules)
	if !changed {
		return same
	}
	return string(out)
}

// rewriteTo is rewrite's engine. While the output is a substring of s it writes nothing and
// returns that substring with changed false (dst untouched); once the output departs from s it
// appends the whole output to dst and returns dst with changed true. Clean text, the common
// case, thus costs one scan and no copy; CJK characters are decoded inline.
func rewriteTo(dst []byte, s string, rules textRule) (out []byte, same string, changed bool) {
	clean := rules&ruleClean != 0
	copying := false   // the output is being appended to dst
	from, upTo := 0, 0 // while not copying, the output so far is s[from:upTo]
	empty := true      // nothing written yet
	last := rune(-1)   // the last rune written
	pending := false   // a white space run waits to be written
	for i := 0; i < len(s); {
		if !pending {
			// The fast path: a run of characters no rule touches is taken whole.
			if j := plainRun(s, i, rules); j > i {
				if !copying && !empty && upTo != i {
					copying = true // something between was dropped
					dst = append(dst, s[from:upTo]...)
				}
				switch {
				case copying:
					dst = append(dst, s[i:j]...)
				case empty:
					from, upTo = i, j
				default:
					upTo = j
				}
				empty = false
				if c := s[j-1]; c < utf8.RuneSelf {
					last = rune(c)
				} else { // plain runs only hold three-byte sequences
					last = rune(s[j-3]&0x0F)<<12 | rune(s[j-2]&0x3F)<<6 | rune(c&0x3F)
				}
				i = j
				continue
			}
		}
		start := i
		var r rune
		if c := s[i]; c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else if c >= 0xE1 && c != 0xED && c <= 0xEF && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			r = rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F) // decodeRune, inline
			i += 3
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
		}
		if clean {
			switch classify(r, i-start) {
			case kindSpace:
				pending = !empty
				continue
			case kindInvisible:
				continue
			}
		}
		if rules&ruleNoSpace != 0 && (r == ' ' || r == 0x3000) {
			continue
		}
		m := mapRune(r, rules)
		if m < 0 {
			continue
		}
		if m == '.' && rules&ruleHanDots != 0 && isHan(last) && isHan(nextVisible(s, i)) {
			m = '·'
		}
		space := false
		if pending {
			pending = false
			space = !(rules&ruleNoSpace != 0 ||
				rules&ruleTightHan != 0 && (isHan(last) || last == '·') && (isHan(m) || m == '·') ||
				rules&ruleLooseHan != 0 && (isCJK(last) || isCJK(m)))
		}
		if !copying {
			switch {
			case m != r:
				copying = true
			case empty:
				from, upTo = start, i // what went before is trimmed
			case !space && upTo == start, space && upTo == start-1 && s[upTo] == ' ':
				upTo = i
			default:
				copying = true
			}
			if copying {
				dst = append(dst, s[from:upTo]...)
			}
		}
		if copying {
			if space {
				dst = append(dst, ' ')
			}
			if m == r {
				dst = append(dst, s[start:i]...) // as it was, invalid bytes included
			} else {
				dst = utf8.AppendRune(dst, m)
			}
		}
		empty = false
		last = m
	}
	if !copying {
		return dst, s[from:upTo], false
	}
	return dst, "", true
}

// asciiRules says, for each ASCII byte, which rules touch it; white space and control characters
// are touched by all (cleaning, or the caller's own handling).
var asciiRules = func() (t [utf8.RuneSelf]textRule) {
	for c := range t {
		switch {
		case c <= ' ' || c == 0x7f:
			t[c] = ^textRule(0)
		case c >= 'a' && c <= 'z':
			t[c] = ruleUpper
		case c == '-':
			t[c] = ruleNoDashes
		case c == '(' || c == ')':
			t[c] = ruleWideParens | ruleNoParens
		case c == '.':
			t[c] = ruleHanDots
		}
	}
	return t
}()

// plainRun returns where the run of characters at s[i:] that no rule touches ends: ASCII
// letters, digits and punctuation the rules leave alone, and CJK characters U+4000–U+9FFF.
func plainRun(s string, i int, rules textRule) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiRules[c]&rules != 0 {
				return i
			}
			i++
			continue
		}
		if c < 0xE4 || c > 0xE9 || i+2 >= len(s) || s[i+1]&0xC0 != 0x80 || s[i+2]&0xC0 != 0x80 {
			return i
		}
		i += 3
	}
	return i
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
