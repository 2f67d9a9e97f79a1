package rules_test

import (
	"strings"
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

func TestHazardDueSoon(t *testing.T) {
	checkHazardRules(t, []hazardCase{
		{"deadline today", openHazard("2026-03-02"), "2026-03-02", []string{"HAZARD_DUE_SOON"}},
		{"deadline in 7 days (the window's last day)", openHazard("2026-03-09"), "2026-03-02", []string{"HAZARD_DUE_SOON"}},
		{"deadline in 8 days", openHazard("2026-03-10"), "2026-03-02", nil},
		{"deadline yesterday: overdue wins", openHazard("2026-03-01"), "2026-03-02", []string{"HAZARD_OVERDUE"}},
		{"整改中 in the window", openHazard("2026-03-05", status(mapping.HazardRectifying)), "2026-03-02", []string{"HAZARD_DUE_SOON"}},
		{"已整改 in the window: done", openHazard("2026-03-05", status(mapping.HazardRectified)), "2026-03-02", nil},
	})
	e := openHazard("2026-03-02")
	if msg := rules.EvaluateHazard(&e, D("2026-03-02"), hazardCfg)[0].Alert.Message; !strings.Contains(msg, "今天到期") {
		t.Errorf("message %q", msg)
	}
	cfg := hazardCfg
	cfg.DueWithinDays = 0
	later := openHazard("2026-03-03")
	if fs := rules.EvaluateHazard(&later, D("2026-03-02"), cfg); len(fs) != 0 {
		t.Errorf("dueWithinDays 0: tomorrow's deadline fires %v", rulesOf(fs))
	}
}
