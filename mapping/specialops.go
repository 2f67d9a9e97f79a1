package mapping

// The special-operations system's shapes (special-ops.md) ↔ the canonical records. Dates there
// are yyyy-MM-dd, times RFC 3339 with offset, and "never reviewed" / "open-ended" are null.

// CertificateFromTZ converts a certificate record: parsed, normalized against the catalog (nil:
// the built-in one) and validated; a text over its length limit stops it and arrives cut. An item code the catalog does not know is kept as sent and
// reported as a warning, never dropped (catalog contract). Options: WithToday.
func CertificateFromTZ(t TZCertificate, cat *Catalog, opts ...Option) (Certificate, Problems) {
	cat = catalogOrDefault(cat)
	s := newSettings(opts)
	var ps Problems
	c := Certificate{
		CertNo:       t.CertNo,
		HolderName:   t.HolderName,
		IDNumber:     t.IDNumber,
		Gender:       t.Gender,
		CategoryCode: t.CategoryCode,
		CategoryName: t.CategoryName,
		ItemCode:     t.ItemCode,
		ItemName:     t.ItemName,
		Status:       CertStatus(t.Status),
		Issuer:       t.Issuer,
	}
	c.FirstIssueDate = ps.parseDateField("firstIssueDate", labelFirstIssueDate, t.FirstIssueDate, SeverityError)
	c.ValidFrom = ps.parseDateField("validFrom", labelValidFrom, t.ValidFrom, SeverityError)
	c.ValidUntil = ps.parseDateField("validUntil", labelValidUntil, t.ValidUntil, SeverityError)
	c.ReviewDueDate = ps.parseDateField("reviewDueDate", labelReviewDueDate, t.ReviewDueDate, SeverityError)
	if t.LastReviewDate != nil {
		c.LastReviewDate = ps.parseDateField("lastReviewDate", labelLastReviewDate, *t.LastReviewDate, SeverityError)
	}
	c.UpdatedAt = ps.parseTimeField("updatedAt", labelUpdatedAt, t.UpdatedAt, SeverityWarning)
	NormalizeCertificate(&c, cat)
	ps.validateCertificate(&c, cat, &s)
	if ps != nil {
		clipLong(certificateTexts, &c) // refused anyway; nothing downstream carries megabytes
		ps.sortByField(certificateFieldOrder)
	}
	return c, ps
}

// CertificateToTZ writes a certificate in the system's shape (the mocks and round-trip tests use
// it): dates yyyy-MM-dd, a never-reviewed certificate's lastReviewDate null, updatedAt RFC 3339.
func CertificateToTZ(c *Certificate) TZCertificate {
	t := TZCertificate{
		CertNo:         c.CertNo,
		HolderName:     c.HolderName,
		IDNumber:       c.IDNumber,
		Gender:         c.Gender,
		CategoryCode:   c.CategoryCode,
		CategoryName:   c.CategoryName,
		ItemCode:       c.ItemCode,
		ItemName:       c.ItemName,
		FirstIssueDate: c.FirstIssueDate.String(),
		ValidFrom:      c.ValidFrom.String(),
		ValidUntil:     c.ValidUntil.String(),
		ReviewDueDate:  c.ReviewDueDate.String(),
		Status:         string(c.Status),
		Issuer:         c.Issuer,
		UpdatedAt:      FormatRFC3339(c.UpdatedAt),
	}
	if !c.LastReviewDate.IsZero() {
		d := c.LastReviewDate.String()
		t.LastReviewDate = &d
	}
	return t
}

// NewEmployment is the registration (用工登记) a roster entry needs under the holder's certificate
// number: the roster's dates, a future 离岗日期 included (special-ops.md).
func NewEmployment(o *Operator, certNo, enterpriseName string) Employment {
	return Employment{
		CertNo:         certNo,
		ItemCode:       o.ItemCode,
		IDNumber:       o.IDNumber,
		EnterpriseUSCC: o.EnterpriseUSCC,
		EnterpriseName: enterpriseName,
		StartDate:      o.StartDate,
		EndDate:        o.EndDate,
	}
}

// EmploymentToTZ writes the body of PUT /api/v2/employments; an open-ended registration's endDate
// is null. Status and updatedAt are the system's and only written when set.
func EmploymentToTZ(e *Employment) TZEmployment {
	t := TZEmployment{
		CertNo:         normalizeCode(e.CertNo),
		ItemCode:       normalizeCode(e.ItemCode),
		IDNumber:       NormalizeIDNumber(e.IDNumber),
		EnterpriseUSCC: NormalizeUSCC(e.EnterpriseUSCC),
		EnterpriseName: NormalizeCompanyName(e.EnterpriseName),
		StartDate:      e.StartDate.String(),
		Status:         e.Status,
		UpdatedAt:      FormatRFC3339(e.UpdatedAt),
	}
	if !e.EndDate.IsZero() {
		d := e.EndDate.String()
		t.EndDate = &d
	}
	return t
}

// EmploymentFromTZ converts the system's answer to PUT /api/v2/employments.
func EmploymentFromTZ(t TZEmployment) (Employment, Problems) {
	var ps Problems
	e := Employment{
		CertNo:         normalizeCode(t.CertNo),
		ItemCode:       normalizeCode(t.ItemCode),
		IDNumber:       NormalizeIDNumber(t.IDNumber),
		EnterpriseUSCC: NormalizeUSCC(t.EnterpriseUSCC),
		EnterpriseName: NormalizeCompanyName(t.EnterpriseName),
		Status:         normalizeCode(t.Status),
	}
	e.StartDate = ps.parseDateField("startDate", labelStartDate, t.StartDate, SeverityError)
	if t.EndDate != nil {
		e.EndDate = ps.parseDateField("endDate", labelEndDate, *t.EndDate, SeverityError)
	}
	e.UpdatedAt = ps.parseTimeField("updatedAt", labelUpdatedAt, t.UpdatedAt, SeverityWarning)
	ps.required("certNo", labelCertNo, e.CertNo)
	ps.required("itemCode", labelItem, e.ItemCode)
	ps.required("enterpriseUscc", labelEnterpriseUSCC, e.EnterpriseUSCC)
	ps.requiredDate("startDate", labelStartDate, e.StartDate)
	if !e.EndDate.IsZero() && e.EndDate.Before(e.StartDate) {
		ps.add("endDate", labelEndDate, e.EndDate.String(), reasonEndBeforeStart, SeverityError)
	}
	return e, ps
}
