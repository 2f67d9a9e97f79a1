package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// REVIEW_DUE_SOON: valid, but reviewDueDate within alerts.expiringWithinDays.
var reviewDueSoon = certificateRule(CertificateRule{
	Rule:  Rule{Code: "REVIEW_DUE_SOON", Name: "即将到复审期", Severity: notify.SeverityWarning, Colour: "#fbbf24", Order: 70},
	Stack: Warning,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		return f.Best, f.Best != nil && f.Within(f.Best.ReviewDueDate)
	},
	Message: func(f *Facts, c *mapping.Certificate) string {
		return fmt.Sprintf("即将到复审期：%s的%s的%s操作证（%s）应于 %s 前复审。请督促企业及时安排复审",
			f.Enterprise(), f.Person(), f.Item, maskedCertNo(c), c.ReviewDueDate)
	},
})
