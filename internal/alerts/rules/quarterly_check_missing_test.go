package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

func TestQuarterlyCheckMissing(t *testing.T) {
	checked := func(d string) func(*rules.EnterpriseEntry) {
		return func(e *rules.EnterpriseEntry) { e.LastPrincipalCheck = D(d) }
	}
	q := []string{"QUARTERLY_CHECK_MISSING"}
	checkEnterpriseRules(t, rules.Inspection, []enterpriseCase{
		{"the last 15 days of the quarter begin (12-17), no check", keyEnterprise(), "2026-12-17", nil, q},
		{"16 days left (12-16): not yet", keyEnterprise(), "2026-12-16", nil, nil},
		{"the quarter's last day", keyEnterprise(), "2026-12-31", nil, q},
		{"last quarter's check does not count", keyEnterprise(checked("2026-09-30")), "2026-12-20", nil, q},
		{"a check this quarter", keyEnterprise(checked("2026-10-01")), "2026-12-20", nil, nil},
		{"the quarter's first day: a new quarter, not warned", keyEnterprise(checked("2026-12-01")), "2027-01-01", nil, nil},
		{"Q1's last 15 days (03-17)", keyEnterprise(), "2026-03-17", nil, q},
		{"no key type", keyEnterprise(func(e *rules.EnterpriseEntry) { e.KeyRisk = false }), "2026-12-20", nil, nil},
		{"not in operation (停产)", keyEnterprise(func(e *rules.EnterpriseEntry) { e.Status = mapping.StatusSuspended }), "2026-12-20", nil, nil},
	})
	// The key holds the quarter: Q4's alert is not Q1's.
	e := keyEnterprise()
	q4 := rules.EvaluateEnterprise(rules.Inspection, &e, D("2026-12-20"), hazardCfg)[0]
	q1 := rules.EvaluateEnterprise(rules.Inspection, &e, D("2027-03-20"), hazardCfg)[0]
	if q4.Alert.Key == q1.Alert.Key || q4.Alert.Key != rules.KeyOf("QUARTERLY_CHECK_MISSING", "", USCCA, "2026Q4") {
		t.Errorf("keys %s and %s: want (rule, enterprise, quarter)", q4.Alert.Key, q1.Alert.Key)
	}
	// The drill family's rule does not judge inspections.
	if fs := rules.EvaluateEnterprise(rules.Drill, &e, D("2026-12-20"), rules.HazardConfig{WarnDaysBeforeQuarterEnd: 15}); len(fs) != 0 {
		t.Errorf("drill family: %v", rulesOf(fs))
	}
}

func TestQuarters(t *testing.T) {
	for _, c := range []struct {
		day, start, end, name string
		left                  int
	}{
		{"2026-01-01", "2026-01-01", "2026-03-31", "2026Q1", 90},
		{"2026-03-31", "2026-01-01", "2026-03-31", "2026Q1", 1},
		{"2028-02-29", "2028-01-01", "2028-03-31", "2028Q1", 32},
		{"2026-12-17", "2026-10-01", "2026-12-31", "2026Q4", 15},
	} {
		d := D(c.day)
		if rules.QuarterStart(d) != D(c.start) || rules.QuarterEnd(d) != D(c.end) || rules.QuarterOf(d) != c.name ||
			rules.DaysLeftInQuarter(d) != c.left {
			t.Errorf("%s: got %s..%s %s %d left, want %s..%s %s %d", c.day, rules.QuarterStart(d), rules.QuarterEnd(d),
				rules.QuarterOf(d), rules.DaysLeftInQuarter(d), c.start, c.end, c.name, c.left)
		}
	}
}
