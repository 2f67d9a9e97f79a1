package alerts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

// hazardBook is an in-memory hazard source: the tests' stand-in for the ledger's hazards and
// enterprises (the alert state is what is under test here; the ledger's queries have tests of
// their own, and internal/app's source is tested against both drivers).
type hazardBook struct {
	mu          sync.Mutex
	hazards     []HazardEntry
	enterprises []EnterpriseEntry
	err         error // the hazards cannot be read
}

func (b *hazardBook) EachOpenHazard(ctx context.Context, fn func(*HazardEntry) error) error {
	b.mu.Lock()
	hs, err := slices.Clone(b.hazards), b.err
	b.mu.Unlock()
	if err != nil {
		return err
	}
	for i := range hs {
		if hs[i].Hazard.Open() {
			if err := fn(&hs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *hazardBook) EachEnterprise(ctx context.Context, fn func(*EnterpriseEntry) error) error {
	b.mu.Lock()
	es := slices.Clone(b.enterprises)
	b.mu.Unlock()
	for i := range es {
		if err := fn(&es[i]); err != nil {
			return err
		}
	}
	return nil
}

func (b *hazardBook) setStatus(key string, s mapping.HazardStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.hazards {
		if b.hazards[i].Hazard.Key() == key {
			b.hazards[i].Hazard.Status = s
		}
	}
}

func majorHazard(lybh, community, deadline string) HazardEntry {
	return HazardEntry{Hazard: mapping.Hazard{StreetID: lybh, USCC: usccA, Source: mapping.SourceStreet, Level: mapping.HazardMajor,
		Clause: "3-2", Description: "特种作业人员无证上岗", FoundOn: d("2026-02-20"), Deadline: d(deadline),
		Status: mapping.HazardPending}, EnterpriseName: "晋江市灵源示例鞋业有限公司", Community: community}
}

// The hazard rules run through the same engine as the certificate rules: routed to the
// enterprise's community, MAJOR_HAZARD_OPEN to the escalation channels at once, resolved when the
// hazard is closed; QUARTERLY_CHECK_MISSING and DRILL_OVERDUE judge the enterprises.
func TestHazardRulesThroughTheEngine(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		h.rec = map[string]*recorder{}
		h.chans = nil
		h.channel("lingge", []string{"林格社区"}, false)
		h.channel("office", []string{"英墩社区"}, true)
		book := &hazardBook{
			hazards: []HazardEntry{majorHazard("JD20260220-00000001", "林格社区", "2026-03-01")},
			enterprises: []EnterpriseEntry{{USCC: usccA, Name: "晋江市灵源示例鞋业有限公司", Community: "林格社区",
				Status: mapping.StatusOperating, KeyRisk: true, LastEvacuationDrill: d("2024-06-01")}},
		}
		h.hazards = book
		// 2026-03-20: 12 days left in Q1, no principal-led check; the last drill 21 months ago.
		h.clock.Set(time.Date(2026, 3, 20, 8, 0, 0, 0, shanghai))
		cfg := rules.HazardConfig{DueWithinDays: 7, WarnDaysBeforeQuarterEnd: 15, LaborIntensiveEmployees: 100,
			DrillsTrackSince: d("2024-01-01")}
		var out collected
		c := h.checker(WithHazardRules(cfg))
		res, err := c.Check(context.Background(), false, &out)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) != 0 {
			t.Errorf("skipped %+v", res.Skipped)
		}
		h.expectSent("lingge", "MAJOR_HAZARD_OPEN/new", "HAZARD_OVERDUE/new", "QUARTERLY_CHECK_MISSING/new", "DRILL_OVERDUE/new")
		msgs := h.expectSent("office", "MAJOR_HAZARD_OPEN/escalation")
		if a := msgs[0].Alerts[0]; a.Hazard == nil || a.Hazard.Clause != "3-2" || a.Hazard.Level != "重大" || a.Operator != nil {
			t.Errorf("escalated alert %+v", a)
		}
		key := rules.KeyOf("MAJOR_HAZARD_OPEN", "", usccA, "JD20260220-00000001")
		if st, ok := h.state(key); !ok || st.Family != "hazard" || st.EscalatedAt.IsZero() {
			t.Errorf("state %+v", st)
		}
		if p := h.page(Filter{Family: "hazard", Status: "firing"}); p.Total != 2 {
			t.Errorf("hazard family page: %d firing, want 2", p.Total)
		}

		// Rectified (已整改): overdue resolves; the major hazard stays open until verified, and its
		// new status is news to the community (changed).
		book.setStatus("JD20260220-00000001", mapping.HazardRectified)
		h.clock.Advance(time.Hour)
		h.check2(WithHazardRules(cfg))
		h.expectSent("lingge", "MAJOR_HAZARD_OPEN/changed", "HAZARD_OVERDUE/resolved")
		h.expectSent("office", "MAJOR_HAZARD_OPEN/changed") // escalated: the office follows it
		// Closed (已销号): the major hazard resolves too.
		book.setStatus("JD20260220-00000001", mapping.HazardClosed)
		h.clock.Advance(time.Hour)
		h.check2(WithHazardRules(cfg))
		h.expectSent("lingge", "MAJOR_HAZARD_OPEN/resolved")
		h.expectSent("office", "MAJOR_HAZARD_OPEN/resolved")

		// A new quarter: last quarter's QUARTERLY_CHECK_MISSING resolves (its key held the quarter).
		h.clock.Set(time.Date(2026, 4, 1, 8, 0, 0, 0, shanghai))
		h.check2(WithHazardRules(cfg))
		h.expectSent("lingge", "DRILL_OVERDUE/repeat", "QUARTERLY_CHECK_MISSING/resolved")
		h.expectSent("office")
	})
}

// check2 runs a check with options.
func (h *harness) check2(opts ...Option) *Result {
	h.t.Helper()
	res, err := h.checker(opts...).Check(context.Background(), false, nil)
	if err != nil {
		h.t.Fatalf("Check: %v", err)
	}
	return res
}

// The hazard rules judge only fresh data: stale hazards skip the three hazard rules (their alerts
// keep their state, DATA_STALE is raised), stale inspections skip QUARTERLY_CHECK_MISSING; the
// drills are the street's own records and are judged regardless.
func TestHazardRulesJudgeOnlyFreshData(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		book := &hazardBook{
			hazards: []HazardEntry{majorHazard("JD20260220-00000002", "林格社区", "2026-06-30")},
			enterprises: []EnterpriseEntry{{USCC: usccA, Name: "晋江市灵源示例鞋业有限公司", Community: "林格社区",
				Status: mapping.StatusOperating, KeyRisk: true}},
		}
		h.hazards = book
		h.clock.Set(time.Date(2026, 3, 20, 8, 0, 0, 0, shanghai))
		cfg := rules.HazardConfig{DueWithinDays: 7, WarnDaysBeforeQuarterEnd: 15, DrillsTrackSince: d("2024-01-01")}
		h.check2(WithHazardRules(cfg))
		h.expectSent("all", "MAJOR_HAZARD_OPEN/new", "QUARTERLY_CHECK_MISSING/new", "DRILL_OVERDUE/new")

		// Both syncs stale; meanwhile the hazard was closed: nothing resolves while stale.
		h.clock.Advance(time.Hour)
		h.runs.set("hazards", h.clock.Now().Add(-30*time.Hour))
		h.runs.set("inspections", time.Time{})
		book.setStatus("JD20260220-00000002", mapping.HazardClosed)
		res := h.check2(WithHazardRules(cfg))
		var skipped []string
		for _, s := range res.Skipped {
			skipped = append(skipped, s.Rules)
		}
		if !slices.Equal(skipped, []string{"hazard", "inspection"}) {
			t.Fatalf("skipped %v, want hazard and inspection", skipped)
		}
		if err := res.SkippedError(); err == nil || !strings.Contains(err.Error(), "隐患数据") || !strings.Contains(err.Error(), "企业检查记录") {
			t.Errorf("SkippedError() = %v", err)
		}
		if st, _ := h.state(rules.KeyOf("MAJOR_HAZARD_OPEN", "", usccA, "JD20260220-00000002")); st.Status != notify.StatusFiring {
			t.Errorf("MAJOR_HAZARD_OPEN %s while the hazards were stale, want firing as before", st.Status)
		}
		if p := h.page(Filter{Family: "system", Status: "firing"}); p.Total != 2 {
			t.Errorf("DATA_STALE: %d firing, want 2 (hazards, inspections)", p.Total)
		}
		// No escalation channel here: DATA_STALE goes to the channel serving every community.
		h.expectSent("all", "DATA_STALE/new", "DATA_STALE/new")

		// Fresh again: the closed hazard resolves.
		h.runs.fresh("hazards")
		h.runs.fresh("inspections")
		h.check2(WithHazardRules(cfg))
		h.expectSent("all", "MAJOR_HAZARD_OPEN/resolved", "DATA_STALE/resolved", "DATA_STALE/resolved")
	})
}

// A hazard source that fails leaves the hazard alerts as they were (nothing resolves on a read
// error) while the other families are judged; the next good read resolves what is gone.
func TestAFailingHazardSourceResolvesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		book := &hazardBook{hazards: []HazardEntry{majorHazard("JD20260220-00000003", "林格社区", "2026-06-30")},
			enterprises: []EnterpriseEntry{{USCC: usccB, Name: "晋江市灵源示例纺织有限公司", Community: "林格社区",
				Status: mapping.StatusOperating}}}
		h.hazards = book
		cfg := rules.HazardConfig{DueWithinDays: 7, WarnDaysBeforeQuarterEnd: 15, DrillsTrackSince: d("2024-01-01")}
		h.check2(WithHazardRules(cfg))
		h.expectSent("all", "MAJOR_HAZARD_OPEN/new", "DRILL_OVERDUE/new")

		book.mu.Lock()
		book.hazards, book.err = nil, errors.New("ledger: database is locked")
		book.mu.Unlock()
		h.clock.Advance(time.Hour)
		res := h.check2(WithHazardRules(cfg))
		h.expectSent("all")
		if res.ByRule["DRILL_OVERDUE"] != 1 {
			t.Errorf("the drill rule was not judged beside the failing hazards: %v", res.ByRule)
		}
		if st, _ := h.state(rules.KeyOf("MAJOR_HAZARD_OPEN", "", usccA, "JD20260220-00000003")); st.Status != notify.StatusFiring {
			t.Errorf("MAJOR_HAZARD_OPEN %s after a failed read, want firing", st.Status)
		}

		book.mu.Lock()
		book.err = nil
		book.mu.Unlock()
		h.clock.Advance(time.Hour)
		h.check2(WithHazardRules(cfg))
		h.expectSent("all", "MAJOR_HAZARD_OPEN/resolved")
	})
}
