package app

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/workbook"
	"streetsync/mocks/dataset"
)

// firingCollector keeps the firing alerts of a check.
type firingCollector struct{ alerts []alerts.Alert }

func (c *firingCollector) Firing(a *alerts.Alert) error {
	c.alerts = append(c.alerts, *a)
	return nil
}

// The hazard rules, over the real ledger of both drivers after the street's workbook is imported
// and every job synced against the mock: each fires for exactly what the generator built it to
// (per-hazard Expect, HazardGaps), keyed by the hazard's street identity and routed to its
// enterprise's community.
func TestHazardAlertsMatchTheGeneratedStreet(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			a, srv, _, _ := testApp(t, driver)
			ds := srv.Dataset
			ref := ds.Params.Reference
			a.cfg.Drills.TrackSince = ref.Time(0).AddDate(-3, 0, 0).Format(time.DateOnly)
			a.cfg.Inspections.WarnDaysBeforeQuarterEnd = 92 // whatever day of the quarter the test runs on
			path := filepath.Join(t.TempDir(), "台账.xlsx")
			if err := WriteWorkbook(ds, path); err != nil {
				t.Fatal(err)
			}
			st, err := a.Ledger(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cat, err := a.Catalog()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := workbook.Import(ctx, st, path, workbook.Options{Catalog: cat, Communities: a.Config().Region.Communities}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Sync(ctx, jobs.All, true); err != nil {
				t.Fatal(err)
			}
			var out firingCollector
			res, err := a.CheckAlerts(ctx, true, &out)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Skipped) != 0 {
				t.Fatalf("skipped %+v", res.Skipped)
			}
			got := map[string][]string{}
			for _, al := range out.alerts {
				switch al.Rule {
				case dataset.RuleMajorHazardOpen, dataset.RuleHazardOverdue, dataset.RuleHazardDueSoon:
					if al.Hazard == nil {
						t.Fatalf("%s without its hazard: %+v", al.Rule, al)
					}
					got[al.Rule] = append(got[al.Rule], al.Hazard.ID)
				case dataset.RuleQuarterlyMissing, dataset.RuleDrillOverdue:
					got[al.Rule] = append(got[al.Rule], al.Enterprise.USCC)
				default:
					continue
				}
				if al.Community == "" && al.Rule != dataset.RuleHazardDueSoon {
					t.Logf("%s of %s has no community", al.Rule, al.Enterprise.USCC)
				}
			}
			want := map[string][]string{}
			ledgerIDs := 0
			for _, hs := range [][]dataset.Hazard{ds.HazardLedger, ds.PlatformHazards} {
				for _, h := range hs {
					id := h.StreetID
					if id == "" {
						id = h.PlatformID
					}
					if id == "" {
						ledgerIDs++ // a ledger row without 隐患编号: the import derives it
						continue
					}
					for _, r := range h.Expect {
						if !slices.Contains(want[r], id) {
							want[r] = append(want[r], id)
						}
					}
				}
			}
			want[dataset.RuleQuarterlyMissing] = slices.Clone(ds.HazardGaps.QuarterlyCheckMissing)
			want[dataset.RuleDrillOverdue] = append(slices.Clone(ds.HazardGaps.DrillsOverdue), ds.HazardGaps.NoDrills...)
			for _, r := range []string{dataset.RuleMajorHazardOpen, dataset.RuleHazardOverdue, dataset.RuleHazardDueSoon,
				dataset.RuleQuarterlyMissing, dataset.RuleDrillOverdue} {
				g, w := got[r], want[r]
				slices.Sort(g)
				slices.Sort(w)
				if len(w) == 0 {
					t.Errorf("%s: the generator built no case for it", r)
				}
				if ledgerIDs == 0 && !slices.Equal(g, w) || ledgerIDs > 0 && len(g) < len(w) {
					t.Errorf("%s fires for %v, want %v", r, g, w)
				}
			}
		})
	}
}
