package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
)

// HAZARD_DUE_SOON: the deadline is today or within hazards.dueWithinDays and the hazard is still
// 待整改 or 整改中. It never stacks with HAZARD_OVERDUE: a deadline in the window is not past.
var hazardDueSoon = hazardRule(HazardRule{
	Rule: Rule{Code: "HAZARD_DUE_SOON", Name: "隐患即将到期", Severity: notify.SeverityWarning, Colour: "#d97706", Order: 130},
	When: func(f *HazardFacts) bool {
		d := f.Entry.Hazard.Deadline
		return f.Rectifying() && !d.IsZero() && !d.Before(f.Day) && !d.After(f.Day.AddDays(f.Config.DueWithinDays))
	},
	Message: func(f *HazardFacts) string {
		h := &f.Entry.Hazard
		left := "今天到期"
		if n := daysBetween(f.Day, h.Deadline); n > 0 {
			left = fmt.Sprintf("还剩 %d 天", n)
		}
		return fmt.Sprintf("隐患即将到期：%s的%s整改期限 %s，%s，目前%s。请督促企业按期完成整改并在平台报告整改情况",
			f.Enterprise(), f.Subject(), h.Deadline, left, statusLabel(h))
	},
})
