package app

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
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

// A hazard made from a certificate alert is tied to it: when the alert resolves (here the person
// leaves the post), the next check moves the hazard to 已整改 and pushes that — never to 已销号,
// which waits for a person to verify it. Before, a second from-alert is the same hazard.
func TestAHazardFromAnAlertIsRectifiedWhenTheAlertResolves(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			a, srv, _, clk := testApp(t, driver)
			path := filepath.Join(t.TempDir(), "台账.xlsx")
			if err := WriteWorkbook(srv.Dataset, path); err != nil {
				t.Fatal(err)
			}
			st, err := a.Ledger(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cat, _ := a.Catalog()
			if _, err := workbook.Import(ctx, st, path, workbook.Options{Catalog: cat, Communities: a.Config().Region.Communities}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Sync(ctx, jobs.All, true); err != nil {
				t.Fatal(err)
			}
			var out firingCollector
			if _, err := a.CheckAlerts(ctx, false, &out); err != nil {
				t.Fatal(err)
			}
			var key, refused string
			for _, al := range out.alerts {
				if al.Rule == "NO_CERTIFICATE" && key == "" {
					key = al.Key
				}
				if al.Rule == "REVIEW_OVERDUE" && refused == "" {
					refused = al.Key
				}
			}
			if key == "" {
				t.Fatal("no NO_CERTIFICATE alert in the generated street")
			}
			if refused != "" {
				var fe *FromAlertError
				if _, err := a.HazardFromAlert(ctx, FromAlertRequest{Key: refused, Note: "x", Handler: "y"}); !errors.As(err, &fe) {
					t.Errorf("REVIEW_OVERDUE: got %v, want a refusal", err)
				}
			}
			res, err := a.HazardFromAlert(ctx, FromAlertRequest{Key: key, Note: "现场核实", Handler: "林芳"})
			if err != nil || !res.Created || !res.Pushed {
				t.Fatalf("from-alert: %+v, %v", res, err)
			}
			again, err := a.HazardFromAlert(ctx, FromAlertRequest{Key: key, Note: "再次", Handler: "陈志强"})
			if err != nil || again.Created || again.Hazard.Key() != res.Hazard.Key() {
				t.Fatalf("second from-alert: %+v, %v", again, err)
			}

			// The person leaves the post: NO_CERTIFICATE resolves at the next check.
			today := mapping.DateOf(clk.Now().In(a.Config().Schedule.Location()))
			var off []ledger.OperatorInput
			for op, err := range st.Operators(ctx, ledger.OperatorFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				if rules.KeyOf("NO_CERTIFICATE", op.IDNumber, op.EnterpriseUSCC, op.ItemCode) == key {
					op.EndDate = today.AddDays(-1)
					off = append(off, ledger.OperatorInput{Operator: op.Operator})
				}
			}
			if len(off) != 1 {
				t.Fatalf("found %d roster entries for the alert", len(off))
			}
			if _, err := st.UpsertOperators(ctx, off); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Minute)
			if _, err := a.CheckAlerts(ctx, false, nil); err != nil {
				t.Fatal(err)
			}
			h, err := st.HazardByKey(ctx, res.Hazard.Key())
			if err != nil || h.Status != mapping.HazardRectified {
				t.Fatalf("hazard after the alert resolved: status %q, %v; want 已整改", h.Status, err)
			}
			if p, _ := srv.Quanzhou.HazardByLybh(h.StreetID); p.Zgzt != "2" || !strings.Contains(p.Zgsm, "待街道验收销号") {
				t.Errorf("on the platform: zgzt %q, zgsm %q", p.Zgzt, p.Zgsm)
			}
			// A third check changes nothing more (已整改 is not 已销号).
			clk.Advance(time.Minute)
			if _, err := a.CheckAlerts(ctx, false, nil); err != nil {
				t.Fatal(err)
			}
			if h, _ := st.HazardByKey(ctx, res.Hazard.Key()); h.Status != mapping.HazardRectified {
				t.Errorf("status %q after another check, want 已整改", h.Status)
			}
		})
	}
}
