package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
)

// HAZARD_OVERDUE: the rectification deadline (zgqx) is past and the hazard is still 待整改 or
// 整改中. A deadline of today is not past: that is HAZARD_DUE_SOON.
var hazardOverdue = hazardRule(HazardRule{
	Rule: Rule{Code: "HAZARD_OVERDUE", Name: "隐患逾期未整改", Severity: notify.SeverityCritical, Colour: "#c2410c", Order: 120},
	When: func(f *HazardFacts) bool { return f.Entry.Hazard.Overdue(f.Day) },
	Message: func(f *HazardFacts) string {
		h := &f.Entry.Hazard
		todo := "请督促企业立即整改，并约谈整改责任人"
		if h.Major() {
			todo = "请约谈企业主要负责人，督促立即整改"
		}
		what := "隐患"
		if h.Major() {
			what = "重大事故隐患"
		}
		return fmt.Sprintf("%s逾期未整改：%s的%s整改期限 %s，已逾期 %d 天，目前%s。%s",
			what, f.Enterprise(), f.Subject(), h.Deadline, daysBetween(h.Deadline, f.Day), statusLabel(h), todo)
	},
})
