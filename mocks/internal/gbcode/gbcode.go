// Package gbcode holds the mocks' own check-character arithmetic for the three national codes the
// platforms validate: the unified social credit code (GB 32100-2015), the organization code
// embedded in it (GB 11714-1997) and the resident ID number (GB 11643-1999).
//
// It is deliberately separate from mapping's implementation: the mocks judge what the client
// sends, so they must not share a mistake with it.
package gbcode

import "strings"

// USCCCharset is the 31-character alphabet of GB 32100 (no I, O, Z, S, V); a character's value is
// its index.
const USCCCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar computes the 18th character for the first 17 characters of a credit code. ok is
// false when base is not 17 characters of the alphabet.
func USCCCheckChar(base string) (c byte, ok bool) {
	if len(base) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(USCCCharset, base[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	r := 31 - sum%31
	if r == 31 {
		r = 0
	}
	return USCCCharset[r], true
}

// USCCWellFormed reports whether s is 18 characters of the GB 32100 alphabet.
func USCCWellFormed(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(USCCCharset, s[i]) < 0 {
			return false
		}
	}
	return true
}

// USCCValid reports whether s is a well-formed credit code with the right check character.
func USCCValid(s string) bool {
	if !USCCWellFormed(s) {
		return false
	}
	c, _ := USCCCheckChar(s[:17])
	return c == s[17]
}

var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

func orgValue(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0')
	case b >= 'A' && b <= 'Z':
		return int(b-'A') + 10
	}
	return -1
}

// OrgCheckChar computes the 9th character of a GB 11714 organization code from its first 8.
func OrgCheckChar(body string) (c byte, ok bool) {
	if len(body) != 8 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		v := orgValue(body[i])
		if v < 0 {
			return 0, false
		}
		sum += v * orgWeights[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + r), true
	}
}

// OrgCodeValid reports whether the 9-character organization code checks out.
func OrgCodeValid(code string) bool {
	if len(code) != 9 {
		return false
	}
	c, ok := OrgCheckChar(code[:8])
	return ok && c == code[8]
}

// USCCAccepted is the Quanzhou platform's rule (quanzhou-platform.md, errCode 40011): a
// well-formed code is accepted when its check character is right, or — Fujian's early pilot —
// when characters 3–4 are "35" and the inner organization code (characters 9–17) checks out.
func USCCAccepted(s string) bool {
	if !USCCWellFormed(s) {
		return false
	}
	if USCCValid(s) {
		return true
	}
	return s[2:4] == "35" && OrgCodeValid(s[8:17])
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IDCheckChar computes the 18th character of a resident ID number from its first 17 digits.
func IDCheckChar(base string) (c byte, ok bool) {
	if len(base) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if base[i] < '0' || base[i] > '9' {
			return 0, false
		}
		sum += int(base[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11], true
}

// IDValid reports whether id is 17 digits and the right check character (x accepted for X).
func IDValid(id string) bool {
	if len(id) != 18 {
		return false
	}
	c, ok := IDCheckChar(id[:17])
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	return ok && c == last
}
