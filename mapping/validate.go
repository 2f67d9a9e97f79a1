package mapping

import (
	"strconv"
	"time"
)

// Validation: check characters, shapes, required fields, known codes and plausible dates. Every
// Validate function collects all problems of a record, each with the Chinese field label and a
// Chinese reason, so that one report tells a person everything to fix at once. Validation expects
// a normalized record (NormalizeEnterprise etc.); the From… conversions do both.

// USCCVerdict is the outcome of CheckUSCC.
type USCCVerdict int

const (
	// USCCValid: 18 characters of the code alphabet with the right check character.
	USCCValid USCCVerdict = iota
	// USCCFujianPilot: a Fujian code (characters 3–4 "35") from the early pilot whose outer check
	// character is wrong but whose inner organization code (characters 9–17, GB 11714) checks out.
	// The Quanzhou platform accepts these (errCode 40011 note); so does streetsync, with a warning.
	USCCFujianPilot
	// USCCWrongLength: not 18 characters.
	USCCWrongLength
	// USCCBadCharacter: a character outside 0-9 A-H J-N P-R T-U W-Y.
	USCCBadCharacter
	// USCCBadCheck: the check character is wrong.
	USCCBadCheck
)

// OK reports whether a code with this verdict is accepted.
func (v USCCVerdict) OK() bool { return v == USCCValid || v == USCCFujianPilot }

// usccAlphabet is GB 32100-2015's code alphabet; a character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i) mod 31 for positions 1–17 (GB 32100-2015, 5.2).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgCodeWeights are GB 11714-1997's weights for the 8 body characters of an organization code.
var orgCodeWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

func usccValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		// letters I O S V Z are not used: they look like 1 0 5 U 2
		switch c {
		case 'I', 'O', 'S', 'V', 'Z':
			return -1
		}
		n := int(c-'A') + 10
		if c > 'I' {
			n--
		}
		if c > 'O' {
			n--
		}
		if c > 'S' {
			n--
		}
		if c > 'V' {
			n--
		}
		return n
	}
	return -1
}

// CheckUSCC checks a normalized unified social credit code (GB 32100-2015) and returns its verdict.
func CheckUSCC(code string) USCCVerdict {
	if len(code) != 18 {
		return USCCWrongLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue(code[i])
		if v < 0 {
			return USCCBadCharacter
		}
		sum += v * usccWeights[i]
	}
	last := usccValue(code[17])
	if last < 0 {
		return USCCBadCharacter
	}
	if (31-sum%31)%31 == last {
		return USCCValid
	}
	if code[2] == '3' && code[3] == '5' && validOrgCode(code[8:17]) {
		return USCCFujianPilot
	}
	return USCCBadCheck
}

// validOrgCode checks a 9-character organization code (GB 11714-1997): 8 digits or capital
// letters (value 10–35) and a check character, 10 written X and 11 written 0.
func validOrgCode(s string) bool {
	sum := 0
	for i := 0; i < 8; i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return false
		}
		sum += v * orgCodeWeights[i]
	}
	want := byte('0')
	switch c := 11 - sum%11; c {
	case 10:
		want = 'X'
	case 11:
		want = '0'
	default:
		want = byte('0' + c)
	}
	return s[8] == want
}

// IDVerdict is the outcome of CheckIDNumber.
type IDVerdict int

const (
	// IDValid: 18 characters, real birth date, right check character.
	IDValid IDVerdict = iota
	// IDWrongLength: not 18 characters (after normalization 15-digit numbers have 18).
	IDWrongLength
	// IDBadCharacter: the first 17 are not all digits, or the last is neither a digit nor X.
	IDBadCharacter
	// IDNoSuchBirthDate: characters 7–14 are not a real date.
	IDNoSuchBirthDate
	// IDBornInFuture: the birth date is after today.
	IDBornInFuture
	// IDBornTooEarly: the birth date is before 1900.
	IDBornTooEarly
	// IDBadCheck: the check character is wrong (GB 11643-1999, ISO 7064 MOD 11-2).
	IDBadCheck
)

// idWeights are 2^(17-i) mod 11 for positions 1–17 (GB 11643-1999).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// idCheckChar returns the check character of the first 17 digits of s.
func idCheckChar(s string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// upgradeID15 turns a 15-digit first-generation ID number into its 18-digit form: the birth year
// gains "19" and a check digit is appended.
func upgradeID15(s string) string {
	var b [18]byte
	copy(b[:6], s[:6])
	b[6], b[7] = '1', '9'
	copy(b[8:17], s[6:])
	b[17] = idCheckChar(string(b[:17]))
	return string(b[:])
}

// CheckIDNumber checks a normalized resident ID number (GB 11643-1999). The address code (first six
// digits) is only checked to be digits: codes of abolished counties such as 350522 (晋江县, now
// 晋江市 350582) stay valid for life. today bounds the birth date; the zero Date skips that bound.
func CheckIDNumber(id string, today Date) IDVerdict {
	if len(id) != 18 {
		return IDWrongLength
	}
	if !allDigits(id[:17]) || !(id[17] == 'X' || id[17] >= '0' && id[17] <= '9') {
		return IDBadCharacter
	}
	y, _ := digits(id[6:10])
	m, _ := digits(id[10:12])
	d, _ := digits(id[12:14])
	birth, err := makeDate(y, m, d)
	switch {
	case err != nil:
		return IDNoSuchBirthDate
	case y < 1900:
		return IDBornTooEarly
	case !today.IsZero() && today.Before(birth):
		return IDBornInFuture
	}
	if idCheckChar(id) != id[17] {
		return IDBadCheck
	}
	return IDValid
}

// ValidPhone reports whether a normalized phone number has a possible shape: a mobile number
// 1[3-9] and 9 more digits, or a landline 0, a 2–3 digit area code and a 7–8 digit number.
func ValidPhone(p string) bool {
	if !allDigits(p) {
		return false
	}
	switch {
	case len(p) == 11 && p[0] == '1':
		return p[1] >= '3'
	case len(p) >= 10 && len(p) <= 12 && p[0] == '0':
		return p[1] != '0'
	}
	return false
}

// Plausible dates: nothing in these records is before 1900 or after 2099. Catches Excel serials
// typed into the wrong column and two-digit-year typos.
var (
	minPlausibleDate = Date{1900, time.January, 1}
	maxPlausibleDate = Date{2099, time.December, 31}
)

func plausibleDate(d Date) bool {
	return d.IsZero() || !d.Before(minPlausibleDate) && !maxPlausibleDate.Before(d)
}

// maxEmployees bounds 从业人数: more is a typo (an ID or phone number in the wrong column).
const maxEmployees = 1000000

// Option adjusts a conversion or validation. It is a plain value (not a function) so that
// passing options costs no allocation on the hot path.
type Option struct {
	today Date
}

type settings struct {
	today Date
}

// WithToday sets the day that bounds birth dates (default: the wall clock's day in Beijing). Jobs
// with an injected clock and tests pass it.
func WithToday(d Date) Option { return Option{today: d} }

func newSettings(opts []Option) settings {
	var s settings
	for _, o := range opts {
		if !o.today.IsZero() {
			s.today = o.today
		}
	}
	return s
}

// todayOr returns the configured day, or the wall clock's day in Beijing.
func (s *settings) todayOr() Date {
	if s.today.IsZero() {
		s.today = DateOf(time.Now().In(beijing))
	}
	return s.today
}

// add appends a problem.
func (ps *Problems) add(field, label, value, reason string, sev Severity) {
	*ps = append(*ps, Problem{Field: field, Label: label, Value: value, Reason: reason, Severity: sev})
}

// required records a missing value, unless the field already has a problem (a value that did not
// parse is empty now but was not missing).
func (ps *Problems) required(field, label, value string) bool {
	if value == "" {
		if ps.has(field) {
			return false
		}
		ps.add(field, label, "", reasonRequired, SeverityError)
		return false
	}
	return true
}

// requiredDate is required for a date field.
func (ps *Problems) requiredDate(field, label string, d Date) bool {
	if d.IsZero() {
		return ps.required(field, label, "")
	}
	return true
}

func (ps *Problems) checkUSCC(field, label, code string) {
	if !ps.required(field, label, code) {
		return
	}
	if reason, sev := usccProblem(code, nil); reason != "" {
		ps.add(field, label, code, reason, sev)
	}
}

// usccProblem says why a code fails and how much that weighs ("" when it passes).
func usccProblem(code string, _ *settings) (string, Severity) {
	switch CheckUSCC(code) {
	case USCCFujianPilot:
		return reasonUSCCFujianPilot, SeverityWarning
	case USCCWrongLength:
		return reasonUSCCLength + strconv.Itoa(len([]rune(code))) + "位", SeverityError
	case USCCBadCharacter:
		return reasonUSCCCharacter, SeverityError
	case USCCBadCheck:
		return reasonCheckChar, SeverityError
	}
	return "", 0
}

func (ps *Problems) checkIDNumber(field, label, id string, s *settings) {
	if !ps.required(field, label, id) {
		return
	}
	if reason, sev := idProblem(id, s); reason != "" {
		ps.add(field, label, id, reason, sev)
	}
}

// idProblem says why an ID number fails ("" when it passes); s bounds the birth date.
func idProblem(id string, s *settings) (string, Severity) {
	if s == nil {
		s = &settings{}
	}
	var reason string
	switch CheckIDNumber(id, s.todayOr()) {
	case IDValid:
		return "", 0
	case IDWrongLength:
		reason = reasonIDLength + strconv.Itoa(len([]rune(id))) + "位"
	case IDBadCharacter:
		reason = reasonIDCharacter
	case IDNoSuchBirthDate:
		reason = reasonIDNoSuchBirth
	case IDBornInFuture:
		reason = reasonIDBirthFuture
	case IDBornTooEarly:
		reason = reasonIDBirthEarly
	case IDBadCheck:
		reason = reasonCheckChar
	}
	return reason, SeverityError
}

// phoneProblem says why a phone number has an impossible shape ("" when it has none or a good one).
func phoneProblem(phone string, _ *settings) (string, Severity) {
	if phone != "" && !ValidPhone(phone) {
		return reasonPhone, SeverityError
	}
	return "", 0
}

func (ps *Problems) checkDate(field, label string, d Date, sev Severity) {
	if !plausibleDate(d) {
		ps.add(field, label, d.String(), reasonDateRange, sev)
	}
}

// dateProblem records why a date did not parse.
func (ps *Problems) dateProblem(field, label, value string, err error, sev Severity) {
	reason := reasonDateFormat
	if err == ErrNoSuchDate {
		reason = reasonNoSuchDate
	}
	ps.add(field, label, value, reason, sev)
}

// parseDateField parses a date field, recording a problem when it fails.
func (ps *Problems) parseDateField(field, label, value string, sev Severity) Date {
	d, err := ParseDate(value)
	if err != nil {
		ps.dateProblem(field, label, value, err, sev)
	}
	return d
}

// parseTimeField parses a time field, recording a problem when it fails.
func (ps *Problems) parseTimeField(field, label, value string, sev Severity) time.Time {
	t, err := ParseBeijingTime(value)
	if err != nil {
		ps.add(field, label, value, reasonTimeFormat, sev)
	}
	return t
}

// ValidateEnterprise checks a normalized enterprise: the key, the fields the Quanzhou platform
// requires on create, length limits, phone shape, known codes and plausible numbers and dates. A
// missing community is a warning here (platform records may lack one); the workbook requires it.
// Platform-owned fields only ever produce warnings: they are the platform's to fix.
func ValidateEnterprise(e *Enterprise) Problems {
	var ps Problems
	ps.validateEnterprise(e, false)
	return ps
}

// validateEnterprise runs EnterpriseTable's checks; sheet adds the workbook's required columns.
// Out of line for the reason NormalizeEnterprise is.
//
//go:noinline
func (ps *Problems) validateEnterprise(e *Enterprise, sheet bool) {
	validateRecord(ps, EnterpriseTable, e, nil, sheet)
}

// ValidateOperator checks a normalized roster entry: name, a valid ID number, phone shape, the
// enterprise's code, an item the catalog knows with a matching category, dates and length limits.
// Problems come in the order of the fields.
func ValidateOperator(o *Operator, cat *Catalog, opts ...Option) Problems {
	s := newSettings(opts)
	var ps Problems
	ps.validateOperator(o, catalogOrDefault(cat), &s)
	ps.sortByField(operatorFieldOrder)
	return ps
}

// validateOperator runs OperatorTable's checks, then those that weigh one field against another.
func (ps *Problems) validateOperator(o *Operator, cat *Catalog, s *settings) {
	validateRecord(ps, OperatorTable, o, s, false)
	if o.ItemCode != "" && !tooLong(o.ItemCode, maxCodeRunes) {
		if item, ok := cat.Item(o.ItemCode); !ok {
			ps.add("itemCode", labelItem, o.ItemCode, cat.unknownItemReason(o.ItemCode), SeverityError)
		} else if o.CategoryCode != "" && o.CategoryCode != item.Category {
			ps.add("categoryCode", labelCategory, o.CategoryCode, cat.categoryMismatchReason(item), SeverityError)
		}
	}
	if !o.EndDate.IsZero() && o.EndDate.Before(o.StartDate) {
		ps.add("endDate", labelEndDate, o.EndDate.String(), reasonEndBeforeStart, SeverityError)
	}
}

// ValidateCertificate checks a normalized certificate. What stops it: a text over its length
// limit, no certificate number, an invalid ID number, no item code, dates that are not dates, a validity that ends before it
// starts. What is kept with a warning: an item code the catalog does not know (kept as sent,
// contract), a category that does not match the item, an unknown status (never taken for valid),
// a gender that contradicts the ID number.
func ValidateCertificate(c *Certificate, cat *Catalog, opts ...Option) Problems {
	s := newSettings(opts)
	var ps Problems
	ps.validateCertificate(c, catalogOrDefault(cat), &s)
	return ps
}

func (ps *Problems) validateCertificate(c *Certificate, cat *Catalog, s *settings) {
	n := len(*ps)
	validateRecord(ps, certificateTexts, c, nil, false)
	if len(*ps) > n {
		return // a value over its limit: the rest would only repeat it
	}
	ps.required("certNo", labelCertNo, c.CertNo)
	ps.required("holderName", labelHolderName, c.HolderName)
	ps.checkIDNumber("idNumber", labelIDNumber, c.IDNumber, s)
	if ps.required("itemCode", labelItem, c.ItemCode) {
		if item, ok := cat.Item(c.ItemCode); !ok {
			ps.add("itemCode", labelItem, c.ItemCode, reasonUnknownItemKept, SeverityWarning)
		} else if c.CategoryCode != "" && c.CategoryCode != item.Category {
			ps.add("categoryCode", labelCategory, c.CategoryCode, cat.categoryMismatchReason(item), SeverityWarning)
		}
	}
	if c.Gender != "" && c.Gender != "1" && c.Gender != "2" {
		ps.add("gender", labelGender, c.Gender, reasonGender, SeverityWarning)
	} else if c.Gender != "" && CheckIDNumber(c.IDNumber, Date{}) == IDValid && genderOfID(c.IDNumber) != c.Gender {
		ps.add("gender", labelGender, c.Gender, reasonGenderMismatch, SeverityWarning)
	}
	if !c.Status.Known() {
		ps.add("status", labelCertStatus, string(c.Status), reasonCertStatus, SeverityWarning)
	}
	ps.checkDate("firstIssueDate", labelFirstIssueDate, c.FirstIssueDate, SeverityError)
	ps.checkDate("validFrom", labelValidFrom, c.ValidFrom, SeverityError)
	if ps.requiredDate("validUntil", labelValidUntil, c.ValidUntil) {
		ps.checkDate("validUntil", labelValidUntil, c.ValidUntil, SeverityError)
	}
	ps.checkDate("reviewDueDate", labelReviewDueDate, c.ReviewDueDate, SeverityError)
	ps.checkDate("lastReviewDate", labelLastReviewDate, c.LastReviewDate, SeverityError)
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.ValidFrom) {
		ps.add("validUntil", labelValidUntil, c.ValidUntil.String(), reasonUntilBeforeFrom, SeverityError)
	}
}

// genderOfID returns "1" (男) or "2" (女) from the 17th digit of an ID number: odd is male.
func genderOfID(id string) string {
	if (id[16]-'0')%2 == 1 {
		return "1"
	}
	return "2"
}
