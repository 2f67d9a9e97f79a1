package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// CERT_INVALID: the matching certificate's status is SUSPENDED, REVOKED or CANCELLED.
//
// One case the contract's table leaves open is closed here on purpose: a best certificate that is
// not valid although none of the five critical rules applies (status VALID but validFrom in the
// future, a missing validUntil, an unknown status) raises CERT_INVALID too, so that every entry is
// either validly certified or has a critical alert.
var certInvalid = certificateRule(CertificateRule{
	Rule:  Rule{Code: "CERT_INVALID", Name: "证书无效", Severity: notify.SeverityCritical, Colour: "#7f1d1d", Order: 30},
	Stack: Critical,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		c := f.Best
		if c == nil {
			return nil, false
		}
		return c, Revoked(c) || (!c.ValidOn(f.Day) && !f.Expired(c) && !f.ReviewOverdue(c))
	},
	Message: func(f *Facts, c *mapping.Certificate) string {
		var reason string
		switch {
		case Revoked(c):
			reason = fmt.Sprintf("状态为“%s”", certStatusName(c.Status))
		case c.Status == mapping.CertValid && !c.ValidFrom.IsZero() && f.Day.Before(c.ValidFrom):
			reason = fmt.Sprintf("尚未生效（%s 起有效）", c.ValidFrom)
		case c.Status != mapping.CertValid:
			reason = fmt.Sprintf("状态为“%s”", certStatusName(c.Status))
		default:
			reason = "有效期或状态信息不全，无法确认有效"
		}
		return fmt.Sprintf("证书无效：%s的%s的%s操作证（%s）%s。请督促企业立即停止其特种作业，核实证书情况",
			f.Enterprise(), f.Person(), f.Item, maskedCertNo(c), reason)
	},
})
