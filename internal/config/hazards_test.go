package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// The hazard keys (contracts/hazards.md): defaults, and each bad value named with its key.
func TestHazardKeysDefaultAndValidate(t *testing.T) {
	raw, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QZ_APP_KEY": "k", "QZ_APP_SECRET": "secret-1", "TZ_CLIENT_ID": "c", "TZ_CLIENT_SECRET": "secret-2",
		"CONSOLE_TOKEN": "0123456789abcdef"}
	cfg, err := Parse("minimal.yaml", raw, lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hazards.DefaultDeadlineDays != 7 || cfg.Hazards.DueWithinDays != 7 || cfg.Inspections.WarnDaysBeforeQuarterEnd != 15 ||
		cfg.Drills.LaborIntensiveEmployees != 100 || cfg.Drills.TrackSince != "" || !cfg.Drills.TrackSinceDate().IsZero() ||
		cfg.Schedule.Hazards == "" || cfg.Schedule.Inspections == "" {
		t.Fatalf("defaults: %+v %+v %+v %+v", cfg.Hazards, cfg.Inspections, cfg.Drills, cfg.Schedule)
	}
	cl, err := cfg.Hazards.ClauseList()
	if err != nil || len(cl.All()) < 3 {
		t.Fatalf("built-in clauses: %v, %v", cl, err)
	}
	good := string(raw) + `hazards:
  clauses: [{code: "第十一条第（三）项", name: 粉尘爆炸危险场所未按规定设置泄爆装置}, {code: "3-2"}]
drills: {trackSince: "2026-01-01"}
`
	cfg, err = Parse("good.yaml", []byte(good), lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if cl, err := cfg.Hazards.ClauseList(); err != nil || cl.Label("11-3") == "11-3" {
		t.Errorf("configured clause 11-3: %v", err)
	}
	if d := cfg.Drills.TrackSinceDate(); d.String() != "2026-01-01" {
		t.Errorf("trackSince %v", d)
	}
	for _, tc := range []struct{ doc, key, says string }{
		{"hazards: {clauses: [{code: 见附件, name: x}]}", "hazards.clauses[0].code", "条-项"},
		{"hazards: {clauses: [{code: 11-3}]}", "hazards.clauses[0].name", "name"},
		{"hazards: {defaultDeadlineDays: 0}", "hazards.defaultDeadlineDays", "1 到 365"},
		{"hazards: {dueWithinDays: -1}", "hazards.dueWithinDays", "0 到 90"},
		{"inspections: {warnDaysBeforeQuarterEnd: 100}", "inspections.warnDaysBeforeQuarterEnd", "0 到 92"},
		{"drills: {laborIntensiveEmployees: 0}", "drills.laborIntensiveEmployees", "至少为 1"},
		{"drills: {trackSince: someday}", "drills.trackSince", "yyyy-MM-dd"},
		{"schedule: {hazards: \"every minute\"}", "schedule.hazards", "cron"},
	} {
		_, err := Parse("bad.yaml", []byte(string(raw)+tc.doc+"\n"), lookupIn(env))
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Key != tc.key || !strings.Contains(ce.Problems[0].Message, tc.says) {
			t.Errorf("%s: got %v, want one problem of %s saying %q", tc.doc, err, tc.key, tc.says)
		}
	}
}
