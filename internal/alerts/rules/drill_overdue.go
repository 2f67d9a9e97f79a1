package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// DRILL_OVERDUE: an enterprise in operation whose latest 疏散逃生 drill is more than 12 months
// old (6 months when it is a 厂中厂 or has drills.laborIntensiveEmployees employees or more), or
// none is recorded. It is judged only when drills.trackSince is set, and counts from that day
// when no drill is recorded on or after it: importing a ledger without drill records does not
// flood the office. A drill exactly the interval ago is not overdue yet. An enterprise pulled from
// the platform and not yet confirmed (待核实) is not judged: the street keeps no drills of it yet.
var drillOverdue = enterpriseRule(EnterpriseRule{
	Rule: Rule{Code: "DRILL_OVERDUE", Name: "疏散演练逾期", Severity: notify.SeverityWarning, Family: Drill,
		Colour: "#4d7c0f", Order: 150},
	When: func(f *EnterpriseFacts) bool {
		if f.Config.DrillsTrackSince.IsZero() || !f.Entry.Operating() || f.Entry.PendingReview {
			return false
		}
		return AddMonths(drillBase(f), DrillInterval(f.Entry, f.Config)).Before(f.Day)
	},
	Fingerprint: func(f *EnterpriseFacts) string { return f.Entry.LastEvacuationDrill.String() },
	Message: func(f *EnterpriseFacts) string {
		e := f.Entry
		months := DrillInterval(e, f.Config)
		why := "每年"
		switch {
		case e.FactoryInFactory:
			why = "厂中厂每半年"
		case months == 6:
			why = fmt.Sprintf("从业人数 %d 人（劳动密集型）每半年", e.Employees)
		}
		last := fmt.Sprintf("自 %s 开始记录以来没有疏散逃生演练记录", f.Config.DrillsTrackSince)
		if !e.LastEvacuationDrill.IsZero() && !e.LastEvacuationDrill.Before(f.Config.DrillsTrackSince) {
			last = "上次疏散逃生演练为 " + e.LastEvacuationDrill.String()
		}
		return fmt.Sprintf("疏散演练逾期：%s%s，应%s至少组织一次，已于 %s 到期。请督促企业组织全员疏散逃生演练，并在演练记录中登记",
			f.Enterprise(), last, why, AddMonths(drillBase(f), months))
	},
})

// DrillInterval is how many months a 疏散逃生 drill lasts for e: 6 for a 厂中厂 or an enterprise
// of drills.laborIntensiveEmployees or more, else 12.
func DrillInterval(e *EnterpriseEntry, cfg HazardConfig) int {
	if e.FactoryInFactory || (cfg.LaborIntensiveEmployees > 0 && e.Employees >= cfg.LaborIntensiveEmployees) {
		return 6
	}
	return 12
}

// drillBase is the day the interval runs from: the latest drill, or drills.trackSince when no
// drill is recorded on or after it.
func drillBase(f *EnterpriseFacts) mapping.Date {
	if d := f.Entry.LastEvacuationDrill; !d.IsZero() && !d.Before(f.Config.DrillsTrackSince) {
		return d
	}
	return f.Config.DrillsTrackSince
}
