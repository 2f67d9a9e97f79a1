package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// REVIEW_OVERDUE: the matching certificate's reviewDueDate is past and lastReviewDate is empty or
// before it (逾期未复审).
var reviewOverdue = certificateRule(CertificateRule{
	Rule:  Rule{Code: "REVIEW_OVERDUE", Name: "逾期未复审", Severity: notify.SeverityCritical, Colour: "#f87171", Order: 50},
	Stack: Critical,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		return f.Best, f.Best != nil && f.ReviewOverdue(f.Best)
	},
	Message: func(f *Facts, c *mapping.Certificate) string {
		return fmt.Sprintf("逾期未复审：%s的%s的%s操作证（%s）应于 %s 前复审，至今未复审。请督促企业安排复审，复审前不得上岗",
			f.Enterprise(), f.Person(), f.Item, maskedCertNo(c), c.ReviewDueDate)
	},
})
