package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// EXPIRING_SOON: valid, but validUntil within alerts.expiringWithinDays.
var expiringSoon = certificateRule(CertificateRule{
	Rule:  Rule{Code: "EXPIRING_SOON", Name: "证书即将到期", Severity: notify.SeverityWarning, Colour: "#f59e0b", Order: 60},
	Stack: Warning,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		return f.Best, f.Best != nil && f.Within(f.Best.ValidUntil)
	},
	Message: func(f *Facts, c *mapping.Certificate) string {
		return fmt.Sprintf("证书即将到期：%s的%s的%s操作证（%s）有效期至 %s。请督促企业提前安排换证，到期后不得上岗",
			f.Enterprise(), f.Person(), f.Item, maskedCertNo(c), c.ValidUntil)
	},
})
