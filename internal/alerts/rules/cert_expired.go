package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// CERT_EXPIRED: the matching certificate's validUntil is past, or its status EXPIRED.
var certExpired = certificateRule(CertificateRule{
	Rule:  Rule{Code: "CERT_EXPIRED", Name: "证书过期", Severity: notify.SeverityCritical, Colour: "#ef4444", Order: 40},
	Stack: Critical,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		return f.Best, f.Best != nil && f.Expired(f.Best)
	},
	Message: func(f *Facts, c *mapping.Certificate) string {
		reason := "已被登记为过期"
		if !c.ValidUntil.IsZero() && c.ValidUntil.Before(f.Day) {
			reason = fmt.Sprintf("有效期至 %s，已过期", c.ValidUntil)
		}
		return fmt.Sprintf("证书过期：%s的%s的%s操作证（%s）%s。请督促企业立即停止其特种作业，重新取证后方可上岗",
			f.Enterprise(), f.Person(), f.Item, maskedCertNo(c), reason)
	},
})
