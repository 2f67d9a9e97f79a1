// Package mask hides resident ID numbers (身份证号) outside the ledger: the first 6 and the last 4
// characters stay, so that a person can still tell two records apart (350582********123X). It is
// pure — no I/O, only the standard library — so that the connectors, the ledger's reports, the
// alerts, the console and the log redaction layer (internal/logging) all mask alike.
package mask

import "strings"

// ID masks a resident ID number for anything outside the ledger: the first 6 and the last 4
// characters are kept, the rest become '*' (350582********123X). Values too short to carry an ID
// are masked whole, so that a malformed ID typed into a workbook does not leak either.
func ID(id string) string {
	if id == "" {
		return ""
	}
	r := []rune(id)
	if len(r) <= 10 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:6]) + strings.Repeat("*", len(r)-10) + string(r[len(r)-4:])
}

// CertNo masks a certificate number that carries its holder's ID number (T + ID), and any ID
// number inside other numbers; numbers without one are returned unchanged.
func CertNo(certNo string) string {
	if len(certNo) == 19 && (certNo[0] == 'T' || certNo[0] == 't') {
		return certNo[:1] + ID(certNo[1:])
	}
	return IDsInText(certNo)
}

// IDsInText masks every valid 18-character resident ID number in s (the safety net under every
// log line: a full ID reaching a log by any path is still masked). A run counts when it is 17
// digits and a check character, passes the GB 11643 check and carries a plausible birth date, and
// is not part of a longer digit run.
func IDsInText(s string) string {
	var out []byte
	last := 0
	for i := 0; i+18 <= len(s); {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(s) && j-i < 17 && isDigit(s[j]) {
			j++
		}
		if j-i < 17 || j >= len(s) {
			i = j + 1
			continue
		}
		end := j + 1
		c := s[j]
		if !(isDigit(c) || c == 'X' || c == 'x') || (end < len(s) && isAlnum(s[end])) || !validID(s[i:end]) {
			i = j
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(s))
		}
		out = append(out, s[last:i]...)
		out = append(out, s[i:i+6]...)
		out = append(out, "********"...)
		out = append(out, s[end-4:end]...)
		last = end
		i = end
	}
	if out == nil {
		return s
	}
	return string(append(out, s[last:]...))
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idChecks = "10X98765432"

// validID reports whether id (18 characters) has a correct check character and a plausible birth
// date. The full rules live in mapping; this is only the log safety net's recogniser.
func validID(id string) bool {
	sum := 0
	for k := 0; k < 17; k++ {
		sum += int(id[k]-'0') * idWeights[k]
	}
	c := id[17]
	if c == 'x' {
		c = 'X'
	}
	if idChecks[sum%11] != c {
		return false
	}
	year := atoi(id[6:10])
	month := atoi(id[10:12])
	day := atoi(id[12:14])
	return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
