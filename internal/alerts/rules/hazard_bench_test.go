package rules_test

import (
	"fmt"
	"testing"

	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

// BenchmarkHazardRules judges a city's worth of subjects once: 10 000 open hazards (a third of
// them major, some overdue, some due soon) and 10 000 enterprises (the quarterly check and the
// drill), as one check does. Reported, never asserted.
func BenchmarkHazardRules(b *testing.B) {
	day := mapping.Date{Year: 2026, Month: 12, Day: 20}
	hazards := make([]rules.HazardEntry, 10_000)
	for i := range hazards {
		h := openHazard(day.AddDays(i%40 - 20).String())
		h.Hazard.StreetID = fmt.Sprintf("JD20261201-%08x", i)
		if i%3 == 0 {
			major(&h.Hazard)
		}
		hazards[i] = h
	}
	ents := make([]rules.EnterpriseEntry, 10_000)
	for i := range ents {
		ents[i] = keyEnterprise(func(e *rules.EnterpriseEntry) {
			e.FactoryInFactory = i%7 == 0
			e.LastEvacuationDrill = day.AddDays(-(i % 500))
			if i%2 == 0 {
				e.LastPrincipalCheck = day.AddDays(-(i % 120))
			}
		})
	}
	b.ReportAllocs()
	var buf []rules.Finding
	for b.Loop() {
		fired := 0
		for i := range hazards {
			buf = rules.AppendHazardFindings(buf[:0], &hazards[i], day, hazardCfg)
			fired += len(buf)
		}
		for i := range ents {
			buf = rules.AppendEnterpriseFindings(buf[:0], rules.Inspection, &ents[i], day, hazardCfg)
			fired += len(buf)
			buf = rules.AppendEnterpriseFindings(buf[:0], rules.Drill, &ents[i], day, hazardCfg)
			fired += len(buf)
		}
		if fired == 0 {
			b.Fatal("nothing fired")
		}
	}
}
