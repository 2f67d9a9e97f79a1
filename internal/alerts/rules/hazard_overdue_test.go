package rules_test

import (
	"strings"
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

func TestHazardOverdue(t *testing.T) {
	checkHazardRules(t, []hazardCase{
		{"deadline yesterday, 待整改", openHazard("2026-03-01"), "2026-03-02", []string{"HAZARD_OVERDUE"}},
		{"deadline yesterday, 整改中", openHazard("2026-03-01", status(mapping.HazardRectifying)), "2026-03-02", []string{"HAZARD_OVERDUE"}},
		{"deadline today: due soon, not overdue", openHazard("2026-03-02"), "2026-03-02", []string{"HAZARD_DUE_SOON"}},
		{"deadline past but 已整改 (awaits verification)", openHazard("2026-02-01", status(mapping.HazardRectified)), "2026-03-02", nil},
		{"deadline past, 已销号", openHazard("2026-02-01", status(mapping.HazardClosed)), "2026-03-02", nil},
		{"a major hazard overdue: both", openHazard("2026-03-01", major), "2026-03-02", []string{"MAJOR_HAZARD_OPEN", "HAZARD_OVERDUE"}},
		{"no status recorded counts as 待整改", openHazard("2026-03-01", status("")), "2026-03-02", []string{"HAZARD_OVERDUE"}},
	})
	e := openHazard("2026-02-20", major)
	fs := rules.EvaluateHazard(&e, D("2026-03-02"), hazardCfg)
	msg := fs[1].Alert.Message
	if !strings.HasPrefix(msg, "重大事故隐患逾期未整改：") || !strings.Contains(msg, "请约谈企业主要负责人，督促立即整改") ||
		!strings.Contains(msg, "已逾期 10 天") {
		t.Errorf("message %q", msg)
	}
}
