package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
)

// MAJOR_HAZARD_OPEN: an open major hazard (重大事故隐患 not yet 已销号). It goes to the escalation
// channels at once: the plan's goal is that none stays open.
var majorHazardOpen = hazardRule(HazardRule{
	Rule:        Rule{Code: "MAJOR_HAZARD_OPEN", Name: "重大事故隐患未销号", Severity: notify.SeverityCritical, Colour: "#9f1239", Order: 110},
	EscalateNow: true,
	When:        func(f *HazardFacts) bool { return f.Entry.Hazard.Major() },
	Message: func(f *HazardFacts) string {
		h := &f.Entry.Hazard
		return fmt.Sprintf("重大事故隐患未销号：%s的%s整改期限 %s，目前%s。请督促企业主要负责人落实整改措施和责任人，整改完成后由街道组织验收销号",
			f.Enterprise(), f.Subject(), h.Deadline, statusLabel(h))
	},
})
