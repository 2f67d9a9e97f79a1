package rules_test

import (
	"strings"
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

func TestDrillOverdue(t *testing.T) {
	drilled := func(d string) func(*rules.EnterpriseEntry) {
		return func(e *rules.EnterpriseEntry) { e.LastEvacuationDrill = D(d) }
	}
	ffi := func(e *rules.EnterpriseEntry) { e.FactoryInFactory = true }
	labour := func(e *rules.EnterpriseEntry) { e.Employees = 100 }
	off := rules.HazardConfig{LaborIntensiveEmployees: 100} // drills.trackSince unset
	late := hazardCfg
	late.DrillsTrackSince = D("2026-06-01")
	d := []string{"DRILL_OVERDUE"}
	checkEnterpriseRules(t, rules.Drill, []enterpriseCase{
		{"exactly 12 months ago: not yet", keyEnterprise(drilled("2025-03-02")), "2026-03-02", nil, nil},
		{"12 months and a day", keyEnterprise(drilled("2025-03-01")), "2026-03-02", nil, d},
		{"厂中厂, exactly 6 months ago: not yet", keyEnterprise(ffi, drilled("2025-09-02")), "2026-03-02", nil, nil},
		{"厂中厂, 6 months and a day", keyEnterprise(ffi, drilled("2025-09-01")), "2026-03-02", nil, d},
		{"not a 厂中厂, 8 months ago", keyEnterprise(drilled("2025-07-02")), "2026-03-02", nil, nil},
		{"100 employees (labour-intensive), 6 months and a day", keyEnterprise(labour, drilled("2025-09-01")), "2026-03-02", nil, d},
		{"99 employees, 8 months ago", keyEnterprise(func(e *rules.EnterpriseEntry) { e.Employees = 99 }, drilled("2025-07-02")), "2026-03-02", nil, nil},
		{"none recorded, tracked since 2024-01-01", keyEnterprise(), "2026-03-02", nil, d},
		{"none recorded, tracked since 2026-06-01: not yet a year", keyEnterprise(), "2026-12-01", &late, nil},
		{"none since tracking began 2026-06-01 (an older one does not count), 13 months on", keyEnterprise(drilled("2026-01-01")), "2027-07-02", &late, d},
		{"drills.trackSince unset: not judged", keyEnterprise(), "2026-03-02", &off, nil},
		{"not in operation", keyEnterprise(func(e *rules.EnterpriseEntry) { e.Status = mapping.StatusClosed }), "2026-03-02", nil, nil},
		{"待核实 (pulled from the platform): not judged", keyEnterprise(func(e *rules.EnterpriseEntry) { e.PendingReview = true }), "2026-03-02", nil, nil},
		{"no key type is no matter", keyEnterprise(func(e *rules.EnterpriseEntry) { e.KeyRisk = false }, drilled("2024-12-01")), "2026-03-02", nil, d},
	})
	e := keyEnterprise(ffi, drilled("2025-08-01"))
	f := rules.EvaluateEnterprise(rules.Drill, &e, D("2026-03-02"), hazardCfg)[0]
	if !strings.Contains(f.Alert.Message, "厂中厂每半年") || !strings.Contains(f.Alert.Message, "2025-08-01") ||
		f.Alert.Key != rules.KeyOf("DRILL_OVERDUE", "", USCCA, "") {
		t.Errorf("finding %+v", f.Alert)
	}
}
