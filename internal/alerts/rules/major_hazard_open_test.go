package rules_test

import (
	"strings"
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

func TestMajorHazardOpen(t *testing.T) {
	checkHazardRules(t, []hazardCase{
		{"an open major hazard, deadline far", openHazard("2026-06-30", major), "2026-03-02", []string{"MAJOR_HAZARD_OPEN"}},
		{"已整改 is still open (waits for verification)", openHazard("2026-02-01", major, status(mapping.HazardRectified)), "2026-03-02", []string{"MAJOR_HAZARD_OPEN"}},
		{"已销号: nothing", openHazard("2026-02-01", major, status(mapping.HazardClosed)), "2026-03-02", nil},
		{"a general hazard: not this rule", openHazard("2026-06-30"), "2026-03-02", nil},
	})
	e := openHazard("2026-06-30", major)
	f := rules.EvaluateHazard(&e, D("2026-03-02"), hazardCfg)[0]
	if !f.EscalateNow {
		t.Error("MAJOR_HAZARD_OPEN must go to the escalation channels at once")
	}
	if h := f.Alert.Hazard; h.Level != "重大" || h.Clause != "3-2" || h.Status != "待整改" || h.Deadline != D("2026-06-30") {
		t.Errorf("hazard object %+v", h)
	}
	if !strings.Contains(f.Alert.Message, "判定依据 3-2") {
		t.Errorf("message %q does not name the clause", f.Alert.Message)
	}
	// Pushed, the hazard gets its yhid; the alert keeps its key.
	pushed := e
	pushed.Hazard.ID = "YH3505820000123"
	g := rules.EvaluateHazard(&pushed, D("2026-03-02"), hazardCfg)[0]
	if g.Alert.Key != f.Alert.Key || g.Alert.Hazard.YHID != "YH3505820000123" {
		t.Errorf("pushed: key %s (was %s), yhid %q", g.Alert.Key, f.Alert.Key, g.Alert.Hazard.YHID)
	}
	// An enterprise's own report has no lybh: its identity is its yhid.
	own := openHazard("2026-06-30", major, func(h *mapping.Hazard) { h.StreetID, h.ID, h.Source = "", "YH3505820000999", mapping.SourceEnterprise })
	if o := rules.EvaluateHazard(&own, D("2026-03-02"), hazardCfg)[0]; o.Alert.Hazard.ID != "YH3505820000999" {
		t.Errorf("an enterprise's report: id %q, want its yhid", o.Alert.Hazard.ID)
	}
}

// A new deadline or status is a change of the alert (re-delivered); the enterprise's name is not.
func TestHazardFingerprint(t *testing.T) {
	fp := func(e rules.HazardEntry) string {
		return rules.EvaluateHazard(&e, D("2026-03-02"), hazardCfg)[0].Fingerprint
	}
	base := fp(openHazard("2026-06-30", major))
	if fp(openHazard("2026-07-31", major)) == base || fp(openHazard("2026-06-30", major, status(mapping.HazardRectifying))) == base {
		t.Error("deadline and status must change the fingerprint")
	}
	renamed := openHazard("2026-06-30", major)
	renamed.EnterpriseName = "另一个名字"
	if fp(renamed) != base {
		t.Error("the enterprise's name must not change the fingerprint")
	}
}
