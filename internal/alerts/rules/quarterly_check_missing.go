package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
)

// QUARTERLY_CHECK_MISSING: an enterprise in operation with a key type (重点类型) and no
// principal-led inspection (ZYFZR) this quarter, once inspections.warnDaysBeforeQuarterEnd days
// or fewer remain in it (today counted). Its key holds the quarter: it resolves when an
// inspection is recorded or the quarter ends, and the next quarter's is another alert.
var quarterlyCheckMissing = enterpriseRule(EnterpriseRule{
	Rule: Rule{Code: "QUARTERLY_CHECK_MISSING", Name: "本季度未带队检查", Severity: notify.SeverityWarning, Family: Inspection,
		Colour: "#0f766e", Order: 140},
	When: func(f *EnterpriseFacts) bool {
		e := f.Entry
		return e.Operating() && e.KeyRisk && e.LastPrincipalCheck.Before(QuarterStart(f.Day)) &&
			DaysLeftInQuarter(f.Day) <= f.Config.WarnDaysBeforeQuarterEnd
	},
	Subject: func(f *EnterpriseFacts) string { return f.Quarter() },
	Message: func(f *EnterpriseFacts) string {
		last := "从未有记录"
		if !f.Entry.LastPrincipalCheck.IsZero() {
			last = "上次为 " + f.Entry.LastPrincipalCheck.String()
		}
		return fmt.Sprintf("本季度未带队检查：%s（重点企业）本季度（至 %s）尚无主要负责人带队检查记录（%s），本季度还剩 %d 天。请督促企业主要负责人在季度结束前带队开展安全检查，并在平台录入检查记录",
			f.Enterprise(), QuarterEnd(f.Day), last, DaysLeftInQuarter(f.Day))
	},
})
