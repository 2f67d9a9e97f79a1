package mapping

import (
	"strconv"
	"strings"
)

// Record-level normalization: each canonical record has one Normalize function that puts every
// field in its canonical form, the one the ledger stores, the platforms receive and hashes cover.
// Normalization never rejects: a value it cannot read (an unknown industry label, an item no
// catalog knows) is kept, cleaned, for validation to report with the value the person wrote.
// Every Normalize function is idempotent.

// NormalizeEnterprise puts every field of e in canonical form, in place. A KeyRisks slice that is
// not canonical is replaced by a new one (the old backing array is not written to).
func NormalizeEnterprise(e *Enterprise) {
	e.USCC = NormalizeUSCC(e.USCC)
	e.Name = NormalizeCompanyName(e.Name)
	e.LegalRep = NormalizePersonName(e.LegalRep)
	e.Principal = NormalizePersonName(e.Principal)
	e.PrincipalPhone = NormalizePhone(e.PrincipalPhone)
	e.SafetyManager = NormalizePersonName(e.SafetyManager)
	e.Address = NormalizeAddress(e.Address)
	e.RegionCode = normalizeCode(e.RegionCode)
	e.Community = NormalizeCommunity(e.Community)
	e.Industry, _ = ParseIndustry(string(e.Industry))
	e.KeyRisks = normalizeKeyRisks(e.KeyRisks)
	e.Status, _ = ParseEnterpriseStatus(string(e.Status))
	e.Remark = CleanText(e.Remark)
	e.PlatformID = normalizeCode(e.PlatformID)
	e.Grade, _ = ParseGrade(string(e.Grade))
	if !e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.UpdatedAt.In(beijing)
	}
}

// NormalizeOperator puts every field of o in canonical form, in place: the item (a code, a name or
// a short form) becomes its code, the category its code (filled in from the item when empty).
// A nil catalog is the built-in one.
func NormalizeOperator(o *Operator, cat *Catalog) {
	cat = catalogOrDefault(cat)
	o.Name = NormalizePersonName(o.Name)
	o.IDNumber = NormalizeIDNumber(o.IDNumber)
	o.Phone = NormalizePhone(o.Phone)
	o.EnterpriseUSCC = NormalizeUSCC(o.EnterpriseUSCC)
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
	o.Remark = CleanText(o.Remark)
}

// NormalizeCertificate puts every field of c in canonical form, in place. The item code is kept
// as sent (only trimmed and upper-cased), known or not; empty category and names are filled in
// from the catalog. A nil catalog is the built-in one.
func NormalizeCertificate(c *Certificate, cat *Catalog) {
	cat = catalogOrDefault(cat)
	c.CertNo = normalizeCode(c.CertNo)
	c.HolderName = NormalizePersonName(c.HolderName)
	c.IDNumber = NormalizeIDNumber(c.IDNumber)
	c.Gender, _ = ParseGender(c.Gender)
	c.CategoryCode = normalizeCode(c.CategoryCode)
	c.CategoryName = rewrite(c.CategoryName, rulesText)
	c.ItemCode = normalizeCode(c.ItemCode)
	c.ItemName = rewrite(c.ItemName, rulesText)
	if item, ok := cat.Item(c.ItemCode); ok {
		if c.CategoryCode == "" {
			c.CategoryCode = item.Category
		}
		if c.ItemName == "" {
			c.ItemName = item.Name
		}
	}
	if c.CategoryName == "" {
		if category, ok := cat.Category(c.CategoryCode); ok {
			c.CategoryName = category.Name
		}
	}
	c.Status, _ = ParseCertStatus(string(c.Status))
	c.Issuer = rewrite(c.Issuer, rulesText)
	if !c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.UpdatedAt.In(beijing)
	}
}

// NormalizeAlarm puts every field of a in canonical form, in place.
func NormalizeAlarm(a *Alarm) {
	a.ID = normalizeCode(a.ID)
	a.PlatformID = normalizeCode(a.PlatformID)
	a.USCC = NormalizeUSCC(a.USCC)
	a.EnterpriseName = NormalizeCompanyName(a.EnterpriseName)
	a.PointCode = normalizeCode(a.PointCode)
	a.PointName = rewrite(a.PointName, rulesText)
	a.Quantity = rewrite(a.Quantity, rulesText)
	a.Unit = CleanText(a.Unit)
	a.Value = normalizeCode(a.Value)
	a.Threshold = normalizeCode(a.Threshold)
	a.Type = normalizeCode(a.Type)
	a.HandlingStatus = normalizeCode(a.HandlingStatus)
	a.HandlingNote = CleanText(a.HandlingNote)
	a.Handler = NormalizePersonName(a.Handler)
}

// parseEmployees reads 从业人数: 120, "120", １２０, 120人, 120名, 1,200, 120.0. Empty is 0.
func parseEmployees(s string) (int, bool) {
	k := labelKey(s)
	k = strings.TrimSuffix(k, "人")
	k = strings.TrimSuffix(k, "名")
	if k == "" {
		return 0, true
	}
	if strings.IndexByte(k, ',') >= 0 {
		k = strings.ReplaceAll(k, ",", "")
	}
	if i := strings.IndexByte(k, '.'); i > 0 && strings.Trim(k[i+1:], "0") == "" {
		k = k[:i]
	}
	if !allDigits(strings.TrimPrefix(k, "-")) {
		return 0, false
	}
	n, err := strconv.Atoi(k)
	return n, err == nil
}

// employeesText writes 从业人数 for the outside shapes; 0 (unknown) is "".
func employeesText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// parseEmployeesField parses 从业人数, recording a problem when it fails.
func (ps *Problems) parseEmployeesField(field, label, value string) int {
	n, ok := parseEmployees(value)
	if !ok {
		ps.add(field, label, value, reasonEmployees, SeverityError)
	}
	return n
}

// parseFlagField parses a yes/no field; empty is false.
func (ps *Problems) parseFlagField(field, label, value string, sev Severity) bool {
	b, ok := ParseYesNo(value)
	if !ok && labelKey(value) != "" {
		ps.add(field, label, value, reasonYesNo, sev)
	}
	return b
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
