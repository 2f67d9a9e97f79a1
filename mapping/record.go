package mapping

import (
	"bytes"
	"slices"
	"strconv"
)

// Record-level normalization: each canonical record has one Normalize function that puts every
// field in its canonical form, the one the ledger stores, the platforms receive and hashes cover.
// Normalization never rejects: a value it cannot read (an unknown industry label, an item no
// catalog knows) is kept, cleaned, for validation to report with the value the person wrote.
// Every Normalize function is idempotent.

// textField is one text field a record normalization rewrites, with its rules.
type textField struct {
	dst   *string
	rules textRule
}

// rewriteFields rewrites the text fields of one record into one shared buffer, so that a messy
// record costs one string allocation for all its fields rather than one per field (the fields
// then share one backing array). Clean fields are left as they are. At most maxTextFields fields.
func rewriteFields(fs []textField) {
	var stack [512]byte
	var ends [maxTextFields]int
	var changed uint16
	if len(fs) > len(ends) {
		panic("mapping: rewriteFields takes at most 16 fields") // a programming error: a test holds the tables to it
	}
	buf := stack[:0]
	for i := range fs {
		out, same, ch := rewriteTo(buf, *fs[i].dst, fs[i].rules)
		if ch {
			buf = out
			changed |= 1 << i
		} else {
			*fs[i].dst = same
		}
		ends[i] = len(buf)
	}
	if changed == 0 {
		return
	}
	all := string(buf)
	start := 0
	for i := range fs {
		if changed&(1<<i) != 0 {
			*fs[i].dst = all[start:ends[i]]
		}
		start = ends[i]
	}
}

// NormalizeEnterprise puts every field of e in canonical form, in place (EnterpriseTable says
// how, field by field). A KeyRisks slice that is not canonical is replaced by a new one (the old
// backing array is not written to).
//
// It is kept out of line on purpose: other packages do not see the escape analysis of a generic
// instantiation, so an inlined call would move the caller's record to the heap.
//
//go:noinline
func NormalizeEnterprise(e *Enterprise) { normalizeRecord(EnterpriseTable, e) }

// NormalizeOperator puts every field of o in canonical form, in place: the item (a code, a name or
// a short form) becomes its code, the category its code (filled in from the item when empty).
// A nil catalog is the built-in one.
func NormalizeOperator(o *Operator, cat *Catalog) {
	cat = catalogOrDefault(cat)
	normalizeRecord(OperatorTable, o)
	item, known := cat.LookupItem(o.ItemCode)
	if known {
		o.ItemCode = item.Code
	} else {
		o.ItemCode = rewrite(o.ItemCode, rulesText)
	}
	if c, ok := cat.LookupCategory(o.CategoryCode); ok {
		o.CategoryCode = c.Code
	} else if o.CategoryCode = rewrite(o.CategoryCode, rulesText); o.CategoryCode == "" && known {
		o.CategoryCode = item.Category
	}
}

// NormalizeCertificate puts every field of c in canonical form, in place. The item code is kept
// as sent (only trimmed and upper-cased), known or not; empty category and names are filled in
// from the catalog. A nil catalog is the built-in one.
func NormalizeCertificate(c *Certificate, cat *Catalog) {
	cat = catalogOrDefault(cat)
	fields := [...]textField{
		{&c.CertNo, rulesCode},
		{&c.HolderName, rulesPersonName},
		{&c.IDNumber, rulesCode},
		{&c.CategoryCode, rulesCode},
		{&c.CategoryName, rulesCatalogName},
		{&c.ItemCode, rulesCode},
		{&c.ItemName, rulesCatalogName},
		{&c.Issuer, rulesText},
	}
	rewriteFields(fields[:])
	c.IDNumber = idForm(c.IDNumber)
	c.Gender, _ = ParseGender(c.Gender)
	if item, ok := cat.Item(c.ItemCode); ok {
		if c.CategoryCode == "" {
			c.CategoryCode = item.Category
		}
		if c.ItemName == "" {
			c.ItemName = rewrite(item.Name, rulesCatalogName)
		}
	}
	if c.CategoryName == "" {
		if category, ok := cat.Category(c.CategoryCode); ok {
			c.CategoryName = rewrite(category.Name, rulesCatalogName)
		}
	}
	c.Status, _ = ParseCertStatus(string(c.Status))
	if !c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.UpdatedAt.In(beijing)
	}
}

// NormalizeAlarm puts every field of a in canonical form, in place.
func NormalizeAlarm(a *Alarm) {
	fields := [...]textField{
		{&a.ID, rulesCode},
		{&a.PlatformID, rulesCode},
		{&a.USCC, rulesCode},
		{&a.EnterpriseName, rulesCompanyName},
		{&a.PointCode, rulesCode},
		{&a.PointName, rulesText},
		{&a.Quantity, rulesText},
		{&a.Unit, ruleClean},
		{&a.Value, rulesCode},
		{&a.Threshold, rulesCode},
		{&a.Type, rulesCode},
		{&a.HandlingStatus, rulesCode},
		{&a.HandlingNote, ruleClean},
		{&a.Handler, rulesPersonName},
	}
	rewriteFields(fields[:])
}

// parseEmployees reads 从业人数: 120, "120", １２０, 120人, 120名, 1,200, 120.0. Empty is 0.
func parseEmployees(s string) (int, bool) {
	var buf [64]byte
	k := labelKey(buf[:0], s)
	k = trimSuffix(k, "人")
	k = trimSuffix(k, "名")
	if len(k) == 0 {
		return 0, true
	}
	if i := bytes.IndexByte(k, '.'); i > 0 && len(bytes.Trim(k[i+1:], "0")) == 0 {
		k = k[:i] // 120.0
	}
	neg := len(k) > 0 && k[0] == '-'
	if neg {
		k = k[1:]
	}
	n, digits := 0, 0
	for i, c := range k {
		switch {
		case c >= '0' && c <= '9':
			if n <= maxEmployees {
				n = n*10 + int(c-'0')
			} // else saturated: validation reports it, and there is no overflow
			digits++
		case c == ',' && i > 0: // 1,200
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// employeesText writes 从业人数 for the outside shapes; 0 (unknown) is "".
func employeesText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// parseEmployeesField parses 从业人数, recording a problem when it fails.
func (ps *Problems) parseEmployeesField(field, label, value string, sev Severity) int {
	n, ok := parseEmployees(value)
	if !ok {
		ps.add(field, label, value, reasonEmployees, sev)
	}
	return n
}

// parseFlagField parses a yes/no field; empty is false.
func (ps *Problems) parseFlagField(field, label, value string, sev Severity) bool {
	b, ok := ParseYesNo(value)
	if !ok && CleanText(value) != "" {
		ps.add(field, label, value, reasonYesNo, sev)
	}
	return b
}

// The order problems are reported in: the order of the record's fields (and of the workbook's
// columns), whatever order parsing and validation found them in.
var (
	enterpriseFieldOrder  = fieldOrder(EnterpriseTable)
	operatorFieldOrder    = fieldOrder(OperatorTable)
	certificateFieldOrder = []string{"certNo", "holderName", "idNumber", "gender", "categoryCode",
		"itemCode", "firstIssueDate", "validFrom", "validUntil", "reviewDueDate", "lastReviewDate",
		"status", "issuer", "updatedAt"}
)

// sortByField orders problems by their field's place in order (stable; unknown fields last).
func (ps Problems) sortByField(order []string) {
	if len(ps) < 2 {
		return
	}
	rank := func(f string) int {
		if i := slices.Index(order, f); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return rank(a.Field) - rank(b.Field) })
}

// has reports whether a problem about field is already recorded (so that a field that failed to
// parse is not also reported as missing).
func (ps Problems) has(field string) bool {
	for i := range ps {
		if ps[i].Field == field {
			return true
		}
	}
	return false
}
