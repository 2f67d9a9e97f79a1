package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

func streetHazard(n int, lybh string) mapping.Hazard {
	return mapping.Hazard{
		StreetID: lybh, USCC: uscc(n), Source: mapping.SourceStreet, Level: mapping.HazardMajor, Clause: "3-2",
		Description: "电焊作业人员无证上岗", Location: "二号车间", FoundOn: date(2026, 2, 10), FoundBy: "林芳",
		Deadline: date(2026, 2, 17), Responsible: "陈志强", Status: mapping.HazardPending,
	}
}

func TestHazardThreeWayStateAndStatusMerge(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1))); err != nil {
			t.Fatal(err)
		}
		h := streetHazard(1, "LY-2026-0001")
		outs, err := s.RecordStreetHazards(ctx, []ledger.HazardInput{{Hazard: h}}, false)
		if err != nil || outs[0].Outcome != ledger.OutcomeInserted {
			t.Fatalf("record: %+v, %v", outs, err)
		}
		rec, err := s.HazardByKey(ctx, "LY-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		if !rec.NeedsCreate() || rec.SyncState() != ledger.StateUnpushed || rec.Community != "灵水社区" {
			t.Fatalf("new street hazard: needsCreate %v state %v community %q", rec.NeedsCreate(), rec.SyncState(), rec.Community)
		}
		if err := s.MarkHazardCreated(ctx, "LY-2026-0001", "YH1", h, clk.Now()); err != nil {
			t.Fatal(err)
		}
		// The platform's copy with an edited reporter field and a status further on.
		p := h
		p.ID, p.Location = "YH1", "原料仓库东侧"
		p.Status, p.StatusNote, p.StatusBy = mapping.HazardRectified, "已更换持证人员", "陈志强"
		p.StatusAt = time.Date(2026, 2, 12, 10, 0, 0, 0, mapping.Beijing())
		p.UpdatedAt = p.StatusAt
		comps, err := s.RecordPlatformHazards(ctx, []mapping.Hazard{p}, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c := comps[0]; c.State != ledger.StatePlatformChanged || !c.StatusPulled || c.Outcome != ledger.OutcomeUpdated {
			t.Fatalf("pull: %+v, want drift and the status pulled", c)
		}
		rec, _ = s.HazardByKey(ctx, "YH1")
		if rec.Location != "二号车间" || rec.Platform == nil || rec.Platform.Location != "原料仓库东侧" {
			t.Fatalf("drift overwrote the ledger: location %q, platform %+v", rec.Location, rec.Platform)
		}
		if rec.Status != mapping.HazardRectified || rec.StatusNote != "已更换持证人员" {
			t.Fatalf("status %q %q, want the platform's 已整改", rec.Status, rec.StatusNote)
		}
		// The same pull again changes nothing.
		comps, _ = s.RecordPlatformHazards(ctx, []mapping.Hazard{p}, clk.Now())
		if comps[0].Outcome != ledger.OutcomeUnchanged {
			t.Fatalf("second pull: %+v", comps[0])
		}
		// Backward refused by the ledger; forward recorded and pending; twice is one record.
		_, _, err = s.RecordHazardStatus(ctx, "LY-2026-0001", mapping.HazardStatusChange{Status: mapping.HazardRectifying,
			Note: "x", Handler: "y", At: clk.Now()})
		if !errors.Is(err, ledger.ErrStatusMove) {
			t.Fatalf("backward move: %v, want ErrStatusMove", err)
		}
		ch := mapping.HazardStatusChange{Status: mapping.HazardClosed, Note: "安办林芳现场验收合格", Handler: "林芳",
			At: time.Date(2026, 3, 1, 9, 0, 0, 0, mapping.Beijing())}
		for i, want := range []bool{true, false} {
			got, created, err := s.RecordHazardStatus(ctx, "YH1", ch)
			if err != nil || created != want || got.State != ledger.PushPending || got.HazardID != "YH1" {
				t.Fatalf("record #%d: %+v created %v, %v", i, got, created, err)
			}
		}
		pending, err := s.PendingHazardStatusChanges(ctx, 10)
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending: %+v, %v", pending, err)
		}
		if err := s.SettleHazardStatusChange(ctx, pending[0].ID, ledger.PushAccepted, "", clk.Now()); err != nil {
			t.Fatal(err)
		}
		hist, err := s.HazardHistory(ctx, "LY-2026-0001")
		if err != nil || len(hist) != 2 || hist[0].Side != ledger.SidePlatform || hist[1].Side != ledger.SideStreet {
			t.Fatalf("history: %+v, %v", hist, err)
		}
		rec, _ = s.HazardByKey(ctx, "YH1")
		if rec.Open() || rec.ClosedOn != date(2026, 3, 1) {
			t.Fatalf("closed: status %q closedOn %v", rec.Status, rec.ClosedOn)
		}
		// A workbook row that puts the status back is refused whole.
		back := h
		back.Status = mapping.HazardRectifying
		back.Description = "改过的描述"
		outs, err = s.RecordStreetHazards(ctx, []ledger.HazardInput{{Hazard: back}}, false)
		if err != nil || !outs[0].Backward || outs[0].From != mapping.HazardClosed {
			t.Fatalf("backward row: %+v, %v", outs, err)
		}
		if rec, _ = s.HazardByKey(ctx, "YH1"); rec.Description != h.Description {
			t.Fatalf("a refused row was written: %q", rec.Description)
		}
	})
}

func TestHazardListsAndFigures(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2))); err != nil {
			t.Fatal(err)
		}
		old := streetHazard(1, "LY-2025-0001")
		old.FoundOn, old.Deadline = date(2025, 11, 1), date(2025, 11, 30) // stock, overdue
		cur := streetHazard(2, "LY-2026-0002")                            // increment, overdue on 03-02
		general := streetHazard(2, "LY-2026-0003")
		general.Level, general.Clause = mapping.HazardGeneral, ""
		closed := streetHazard(1, "LY-2026-0004")
		closed.Status, closed.StatusNote, closed.StatusBy = mapping.HazardClosed, "验收合格", "林芳"
		closed.StatusAt = time.Date(2026, 3, 1, 9, 0, 0, 0, mapping.Beijing())
		var in []ledger.HazardInput
		for _, h := range []mapping.Hazard{old, cur, general, closed} {
			in = append(in, ledger.HazardInput{Hazard: h})
		}
		if _, err := s.RecordStreetHazards(ctx, in, false); err != nil {
			t.Fatal(err)
		}
		// An enterprise's own report, straight from the platform.
		self := mapping.Hazard{ID: "YH9", USCC: uscc(2), Source: mapping.SourceEnterprise, Level: mapping.HazardGeneral,
			Description: "消防通道堵塞", FoundOn: date(2026, 2, 1), Deadline: date(2026, 3, 20), Status: mapping.HazardPending}
		if _, err := s.RecordPlatformHazards(ctx, []mapping.Hazard{self}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		today := date(2026, 3, 2)
		count := func(f ledger.HazardFilter) int {
			n, err := s.CountHazards(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(collect(t, s.Hazards(ctx, f))); got != n {
				t.Fatalf("%+v: %d listed, %d counted", f, got, n)
			}
			return n
		}
		for _, c := range []struct {
			f    ledger.HazardFilter
			want int
		}{
			{ledger.HazardFilter{}, 5},
			{ledger.HazardFilter{Status: ledger.HazardsOpen}, 4},
			{ledger.HazardFilter{Status: ledger.HazardsClosed}, 1},
			{ledger.HazardFilter{Status: ledger.HazardsOverdue, Today: today}, 3},
			{ledger.HazardFilter{Level: mapping.HazardMajor, Status: ledger.HazardsOpen}, 2},
			{ledger.HazardFilter{Community: "英墩社区"}, 3},
			{ledger.HazardFilter{Community: "灵水社区"}, 2},
			{ledger.HazardFilter{USCC: uscc(2)}, 3},
			{ledger.HazardFilter{Unpushed: true}, 4},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("%+v: %d hazards, want %d", c.f, got, c.want)
			}
		}
		page := collect(t, s.Hazards(ctx, ledger.HazardFilter{Offset: 1, Limit: 2}))
		if len(page) != 2 || page[0].Key() != "YH9" {
			t.Fatalf("page: %d, first %q", len(page), page[0].Key())
		}
		fig, err := s.HazardFigures(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		tot := fig.Total
		if tot.Stock != 1 || tot.Increment != 1 || tot.ClosedThisMonth != 1 || tot.Overdue != 2 {
			t.Fatalf("figures %+v", tot)
		}
		if len(tot.Monthly) != 12 || tot.Monthly[11].Month != "2026-03" || tot.Monthly[11].Open != 2 ||
			tot.Monthly[9].Month != "2026-01" || tot.Monthly[9].Open != 1 || tot.Monthly[10].Open != 3 {
			t.Fatalf("monthly %+v", tot.Monthly)
		}
		if len(fig.Communities) != 2 {
			t.Fatalf("communities %+v", fig.Communities)
		}
	})
}

func TestInspectionsAndDrills(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		in := []mapping.Inspection{{ID: "JC1", USCC: uscc(1), Date: date(2026, 1, 5), Type: mapping.InspectionPrincipal, LedBy: "王建国"},
			{ID: "JC2", USCC: uscc(1), Date: date(2026, 2, 5), Type: mapping.InspectionRoutine, HazardsFound: 2}}
		outs, err := s.UpsertInspections(ctx, in)
		mustOutcomes(t, outs, err, ledger.OutcomeInserted, ledger.OutcomeInserted)
		outs, err = s.UpsertInspections(ctx, in)
		mustOutcomes(t, outs, err, ledger.OutcomeUnchanged, ledger.OutcomeUnchanged)
		got := collect(t, s.Inspections(ctx, ledger.InspectionFilter{Type: mapping.InspectionPrincipal}))
		if len(got) != 1 || got[0].LedBy != "王建国" || got[0].Date != date(2026, 1, 5) {
			t.Fatalf("inspections %+v", got)
		}
		d := []mapping.Drill{{USCC: uscc(1), Date: date(2025, 6, 1), Type: mapping.DrillEvacuation, Participants: 80}}
		outs, err = s.UpsertDrills(ctx, d, true)
		mustOutcomes(t, outs, err, ledger.OutcomeInserted)
		if n := len(collect(t, s.Drills(ctx, ledger.DrillFilter{}))); n != 0 {
			t.Fatalf("a dry run wrote %d drills", n)
		}
		outs, err = s.UpsertDrills(ctx, d, false)
		mustOutcomes(t, outs, err, ledger.OutcomeInserted)
		d[0].Participants = 90
		outs, err = s.UpsertDrills(ctx, d, false)
		mustOutcomes(t, outs, err, ledger.OutcomeUpdated)
		if got := collect(t, s.Drills(ctx, ledger.DrillFilter{USCC: uscc(1)})); len(got) != 1 || got[0].Participants != 90 {
			t.Fatalf("drills %+v", got)
		}
	})
}

// One pull may carry a hazard twice, or a hazard found by its platform id and then by its key:
// each record sees what the records before it in the batch wrote, as if read one at a time.
func TestAPullBatchSeesItsOwnWrites(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1))); err != nil {
			t.Fatal(err)
		}
		// The street's hazard, created on the platform as YH7.
		h := streetHazard(1, "LY-2026-0007")
		if _, err := s.RecordStreetHazards(ctx, []ledger.HazardInput{{Hazard: h}}, false); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkHazardCreated(ctx, "LY-2026-0007", "YH7", h, clk.Now()); err != nil {
			t.Fatal(err)
		}
		// An enterprise's report the ledger never saw, twice in the batch; the street's hazard
		// by its platform id, then further on.
		own := streetHazard(1, "")
		own.ID, own.Source, own.Description = "YH8", mapping.SourceEnterprise, "企业自报：配电柜前堆放杂物"
		moved := h
		moved.ID, moved.Status, moved.StatusNote, moved.StatusBy = "YH7", mapping.HazardRectifying, "正在整改", "陈志强"
		moved.StatusAt = time.Date(2026, 2, 12, 10, 0, 0, 0, mapping.Beijing())
		moved.UpdatedAt = moved.StatusAt
		further := moved
		further.Status, further.StatusNote = mapping.HazardRectified, "已整改"
		further.StatusAt = moved.StatusAt.Add(time.Hour)
		further.UpdatedAt = further.StatusAt
		comps, err := s.RecordPlatformHazards(ctx, []mapping.Hazard{own, moved, own, further}, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := []ledger.Outcome{ledger.OutcomeInserted, ledger.OutcomeUpdated, ledger.OutcomeUnchanged, ledger.OutcomeUpdated}
		for i, c := range comps {
			if c.Outcome != want[i] {
				t.Errorf("record %d: %+v, want %v", i, c, want[i])
			}
		}
		if !comps[1].StatusPulled || !comps[3].StatusPulled {
			t.Errorf("statuses pulled: %v, %v; want both", comps[1].StatusPulled, comps[3].StatusPulled)
		}
		if rec, err := s.HazardByKey(ctx, "YH7"); err != nil || rec.Status != mapping.HazardRectified || rec.Key() != "LY-2026-0007" {
			t.Errorf("the street's hazard after the pull: %+v, %v; want 已整改 under its own key", rec.Status, err)
		}
		if rec, err := s.HazardByKey(ctx, "YH8"); err != nil || rec.Description != own.Description {
			t.Errorf("the enterprise's report: %+v, %v", rec, err)
		}
	})
}
