package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	qzmock "streetsync/mocks/quanzhou"
)

// The hazard job against the Quanzhou mock on both ledger drivers (contracts/hazards.md; issue
// 20's acceptance): creates idempotent by lybh, a crash between the platform's answer and the
// ledger's write, status forward and backward, drift reported and never written over, and no
// hazard missed while the listing moves under the walk.

// ledgerHazard is a generated ledger row as the workbook import records it.
func ledgerHazard(h *dataset.Hazard) mapping.Hazard {
	m := mapping.Hazard{StreetID: h.StreetID, USCC: h.USCC, Source: mapping.HazardSource(h.Source),
		Level: mapping.HazardLevel(h.Level), Clause: h.Clause, Description: h.Description, Location: h.Location,
		FoundOn: civil(h.FoundOn), FoundBy: h.FoundBy, Deadline: civil(h.Deadline), Responsible: h.Responsible,
		Measures: h.Measures, Status: mapping.HazardStatus(h.Status), StatusNote: h.StatusNote, StatusBy: h.StatusBy,
		StatusAt: h.StatusAt, Remark: h.Remark}
	mapping.NormalizeHazard(&m, nil)
	if m.StreetID == "" {
		m.StreetID = mapping.StreetIDFor(&m)
	}
	return m
}

func loadHazards(t *testing.T, w *world) []mapping.Hazard {
	t.Helper()
	var in []ledger.HazardInput
	var out []mapping.Hazard
	for i := range w.ds.HazardLedger {
		h := ledgerHazard(&w.ds.HazardLedger[i])
		in = append(in, ledger.HazardInput{Hazard: h})
		out = append(out, h)
	}
	if _, err := w.store.RecordStreetHazards(context.Background(), in, false); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHazardSync(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			w := newWorld(t, worldOptions{driver: driver, enterprises: 60})
			ctx := context.Background()
			street := loadHazards(t, w)
			gaps := w.ds.HazardGaps
			if len(gaps.NotPushed) == 0 || len(gaps.Drift) == 0 || len(gaps.StatusAhead) == 0 {
				t.Fatalf("the dataset lacks hazard gaps: %+v", gaps)
			}
			r := w.runner()
			w.sync(r, jobs.Enterprises, false)
			s := w.sync(r, jobs.Hazards, false)[jobs.Hazards]
			if s.Drifted < len(gaps.Drift) || s.Pushed < len(gaps.NotPushed) || s.Outcome == jobs.OutcomeFailed {
				t.Fatalf("first run: %+v; want ≥ %d drifted, ≥ %d pushed", s, len(gaps.Drift), len(gaps.NotPushed))
			}
			// Created once each, with the ledger holding their yhid.
			for _, i := range gaps.NotPushed {
				lybh := street[i].StreetID
				rec, err := w.store.HazardByKey(ctx, lybh)
				if err != nil {
					t.Fatal(err)
				}
				if rec.ID == "" || w.srv.Quanzhou.HazardCreates(lybh) != 1 {
					t.Errorf("%s: yhid %q, %d creates; want pushed once", lybh, rec.ID, w.srv.Quanzhou.HazardCreates(lybh))
				}
			}
			// Drift is reported and never written over, either way.
			for _, lybh := range gaps.Drift {
				rec, _ := w.store.HazardByKey(ctx, lybh)
				p, _ := w.srv.Quanzhou.HazardByLybh(lybh)
				if !rec.SyncState().Drifted() || rec.Platform == nil || rec.Platform.Location != p.Yhbw ||
					rec.Location == p.Yhbw {
					t.Errorf("%s: state %v, ledger %q, platform view %+v, platform %q", lybh, rec.SyncState(), rec.Location, rec.Platform, p.Yhbw)
				}
			}
			// The platform's status further on is the ledger's now.
			for _, lybh := range gaps.StatusAhead {
				rec, _ := w.store.HazardByKey(ctx, lybh)
				if rec.Status != mapping.HazardRectified {
					t.Errorf("%s: status %q, want the platform's 已整改", lybh, rec.Status)
				}
			}
			// Every hazard of the platform is in the ledger, the enterprises' own reports whole.
			for _, p := range w.srv.Quanzhou.Hazards() {
				rec, err := w.store.HazardByKey(ctx, p.Yhid)
				if err != nil {
					t.Fatalf("%s not in the ledger: %v", p.Yhid, err)
				}
				if p.Yhly == "QYZC" && (rec.Description != mapping.CleanText(p.Yhms) || rec.StreetID != "") {
					t.Errorf("self-report %s: %+v", p.Yhid, rec.Hazard)
				}
			}
			// A second run sends nothing.
			before := w.srv.Quanzhou.RequestCount("POST /hazards")
			s = w.sync(r, jobs.Hazards, false)[jobs.Hazards]
			if s.Pushed != 0 || w.srv.Quanzhou.RequestCount("POST /hazards") != before {
				t.Errorf("second run: %+v, %d creates sent; want nothing sent", s, w.srv.Quanzhou.RequestCount("POST /hazards")-before)
			}

			// Status forward: recorded, pushed at once, on the platform.
			open := pushedOpen(t, w)
			out, err := r.RecordHazardStatus(ctx, open[0].Key(), mapping.HazardStatusChange{Status: mapping.HazardRectifying,
				Note: "已停止相关作业，正在整改", Handler: "林芳", At: w.clk.Now()})
			if err != nil || !out.Pushed || out.Hazard.Status != mapping.HazardRectifying {
				t.Fatalf("status forward: %+v, %v", out, err)
			}
			if p, _ := w.srv.Quanzhou.Hazard(open[0].ID); p.Zgzt != "1" || p.Zgczr != "林芳" {
				t.Errorf("platform after the status push: %+v", p)
			}
			// 已销号 without a note saying who verified it is refused, nothing recorded.
			_, err = r.RecordHazardStatus(ctx, open[0].ID, mapping.HazardStatusChange{Status: mapping.HazardClosed, Handler: "林芳", At: w.clk.Now()})
			var inv *jobs.InvalidHazardError
			if !errors.As(err, &inv) {
				t.Fatalf("closing without a note: %v, want InvalidHazardError", err)
			}

			// Status backward: the enterprise closed it on the portal meanwhile; the street's
			// 已整改 is refused (40903) and quarantined with a Chinese reason.
			target := open[1]
			w.srv.Quanzhou.EditHazard(target.ID, func(h *qzmock.Hazard) {
				h.Zgzt, h.Zgsm, h.Zgczr, h.Zgczsj = "3", "企业自行验收", "陈志强", mapping.FormatBeijingTime(w.clk.Now())
			})
			out, err = r.RecordHazardStatus(ctx, target.Key(), mapping.HazardStatusChange{Status: mapping.HazardRectified,
				Note: "整改完成待验收", Handler: "林芳", At: w.clk.Now()})
			if err != nil || !out.Rejected || !strings.Contains(out.Reason, "状态只能向前") {
				t.Fatalf("status backward: %+v, %v; want rejected with the reason", out, err)
			}
			q := collectQuarantine(t, w.store, ledger.KindHazardStatus)
			if len(q) != 1 || q[0].Key != target.Key() || !strings.Contains(q[0].Reasons.Error(), "已整改") {
				t.Errorf("quarantine: %+v", q)
			}
			// The next pull takes the platform's 已销号.
			w.sync(r, jobs.Hazards, false)
			if rec, _ := w.store.HazardByKey(ctx, target.Key()); rec.Status != mapping.HazardClosed {
				t.Errorf("after the pull: %q, want 已销号", rec.Status)
			}

			// A portal edit of a hazard this run created: drift, counted once, kept apart, and
			// never written over — not by the sync, not by a forced push.
			created := street[gaps.NotPushed[0]].StreetID
			rec, _ := w.store.HazardByKey(ctx, created)
			w.srv.Quanzhou.EditHazard(rec.ID, func(h *qzmock.Hazard) { h.Zgcs = "企业自行改写的整改措施" })
			s = w.sync(r, jobs.Hazards, false)[jobs.Hazards]
			if s.Drifted != 1 {
				t.Errorf("sync after the portal edit: %+v, want 1 drifted", s)
			}
			rec, _ = w.store.HazardByKey(ctx, created)
			if rec.SyncState() != ledger.StatePlatformChanged || rec.Measures == "企业自行改写的整改措施" || rec.Platform.Measures != "企业自行改写的整改措施" {
				t.Errorf("after the portal edit: state %v, ledger %q, platform view %q", rec.SyncState(), rec.Measures, rec.Platform.Measures)
			}
			pushed, failed, err := r.PushHazards(ctx, []string{created})
			if err != nil || pushed != 0 || !strings.Contains(failed[created], "不支持修改") {
				t.Errorf("forced push of the drifted hazard: %d %v %v", pushed, failed, err)
			}
			if p, _ := w.srv.Quanzhou.HazardByLybh(created); p.Zgcs != "企业自行改写的整改措施" {
				t.Errorf("the portal edit was overwritten: %q", p.Zgcs)
			}
		})
	}
}

// pushedOpen returns the ledger's open street hazards the platform holds at 待整改.
func pushedOpen(t *testing.T, w *world) []ledger.HazardRecord {
	t.Helper()
	var out []ledger.HazardRecord
	for rec, err := range w.store.Hazards(context.Background(), ledger.HazardFilter{StreetOnly: true, Status: ledger.HazardsOpen}) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID != "" && rec.Status == mapping.HazardPending && rec.PlatformStatus == mapping.HazardPending {
			out = append(out, rec)
		}
	}
	if len(out) < 2 {
		t.Fatalf("only %d pushed open hazards at 待整改", len(out))
	}
	return out
}

func collectQuarantine(t *testing.T, s ledger.Store, kind ledger.Kind) []ledger.QuarantineEntry {
	t.Helper()
	var out []ledger.QuarantineEntry
	for e, err := range s.QuarantineEntries(context.Background(), ledger.QuarantineFilter{Kind: kind}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// dropCreateAnswer delivers the first POST /hazards to the platform and loses its answer: the
// crash between the platform's answer and the ledger's write.
type dropCreateAnswer struct {
	next    http.RoundTripper
	dropped atomic.Bool
}

func (d *dropCreateAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/hazards") && d.dropped.CompareAndSwap(false, true) {
		resp.Body.Close()
		return nil, errors.New("connection reset after the request was sent")
	}
	return resp, err
}

func TestHazardCreateAfterLostAnswer(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			drop := &dropCreateAnswer{}
			w := newWorld(t, worldOptions{driver: driver, enterprises: 30,
				wrap: func(rt http.RoundTripper) http.RoundTripper { drop.next = rt; return drop }})
			ctx := context.Background()
			r := w.runner()
			uscc := w.srv.Quanzhou.Enterprises()[0].Tyshxydm
			if _, err := w.store.EnterpriseByUSCC(ctx, uscc); err != nil {
				w.sync(r, jobs.Enterprises, false) // the platform-only enterprise comes in 待核实
			}
			today := mapping.DateOf(w.clk.Now().In(mapping.Beijing()))
			h := mapping.Hazard{USCC: uscc, Level: mapping.HazardMajor, Clause: "第三条第（二）项", Description: "电焊作业人员无证上岗",
				FoundOn: today, FoundBy: "林芳", Deadline: today.AddDays(7), Responsible: "陈志强"}
			out, err := r.ReportHazard(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			lybh := out.Hazard.StreetID
			// The connector sends the create again at once (it is idempotent by lybh): the
			// platform answers duplicate with the same yhid.
			if !drop.dropped.Load() || !out.Pushed || out.Hazard.ID == "" {
				t.Fatalf("report with the answer lost: %+v (dropped %v)", out, drop.dropped.Load())
			}
			if n := w.srv.Quanzhou.HazardCreates(lybh); n != 1 {
				t.Fatalf("the platform made %d hazards, want 1", n)
			}
			if out.Hazard.Clause != "3-2" {
				t.Errorf("clause %q, want 3-2 (the clause text read as its code)", out.Hazard.Clause)
			}
			rec, err := w.store.HazardByKey(ctx, lybh)
			if err != nil || rec.ID == "" || rec.SyncState() != ledger.StateInSync {
				t.Fatalf("after the retry: %+v, %v", rec, err)
			}
			if n := w.srv.Quanzhou.HazardCreates(lybh); n != 1 {
				t.Errorf("the platform made %d hazards for %s, want 1", n, lybh)
			}
			// Reporting the same hazard again is the same hazard.
			again, err := r.ReportHazard(ctx, h)
			if err != nil || again.Created || again.Hazard.StreetID != lybh {
				t.Errorf("same report again: %+v, %v", again, err)
			}
			if n := w.srv.Quanzhou.HazardCreates(lybh); n != 1 {
				t.Errorf("%d creates after the second report", n)
			}

			// A process that got the platform's answer and died before writing the ledger: the
			// ledger holds the hazard without its yhid, the platform holds it.
			h2 := h
			h2.Description, h2.StreetID = "有限空间作业未审批", "LY-2026-0901"
			mapping.NormalizeHazard(&h2, nil)
			h2.Source = mapping.SourceStreet
			if _, err := w.store.RecordStreetHazards(ctx, []ledger.HazardInput{{Hazard: h2}}, false); err != nil {
				t.Fatal(err)
			}
			yhid, dup, err := w.qz.ReportHazard(ctx, &h2)
			if err != nil || dup {
				t.Fatalf("the first process's create: %q %v %v", yhid, dup, err)
			}
			if pushed, failed, err := r.PushHazards(ctx, []string{"LY-2026-0901"}); err != nil || pushed != 1 || len(failed) != 0 {
				t.Fatalf("push after the crash: %d %v %v", pushed, failed, err)
			}
			rec, _ = w.store.HazardByKey(ctx, "LY-2026-0901")
			if rec.ID != yhid || w.srv.Quanzhou.HazardCreates("LY-2026-0901") != 1 {
				t.Errorf("after the crash: ledger yhid %q (platform %q), %d creates; want the same hazard, once",
					rec.ID, yhid, w.srv.Quanzhou.HazardCreates("LY-2026-0901"))
			}
		})
	}
}

// validUSCC completes 17 characters with the check character GB 32100 asks for.
func validUSCC(t *testing.T, s17 string) string {
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if u := s17 + string(c); mapping.CheckUSCC(u).OK() {
			return u
		}
	}
	t.Fatalf("no check character completes %s", s17)
	return ""
}

func TestHazardCreateUnknownEnterprise(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 30})
	ctx := context.Background()
	r := w.runner()
	// A ledger enterprise the platform does not know yet: the hazard waits for it.
	var uscc string
	for _, e := range w.ds.Ledger {
		if _, ok := w.srv.Quanzhou.Enterprise(e.USCC); !ok {
			uscc = e.USCC
			break
		}
	}
	if uscc == "" {
		t.Skip("every generated ledger enterprise is on the platform")
	}
	today := mapping.DateOf(w.clk.Now().In(mapping.Beijing()))
	out, err := r.ReportHazard(ctx, mapping.Hazard{USCC: uscc, Level: mapping.HazardGeneral, Description: "配电箱未接地",
		FoundOn: today, Deadline: today.AddDays(3), FoundBy: "林芳"})
	if err != nil || !out.Queued || out.Pushed {
		t.Fatalf("report on an enterprise the platform lacks: %+v, %v; want queued", out, err)
	}
	if st := w.drain(r, 30*time.Second); st.Dead != 0 {
		t.Fatalf("drain: %+v", st)
	}
	rec, _ := w.store.HazardByKey(ctx, out.Hazard.StreetID)
	if _, ok := w.srv.Quanzhou.Enterprise(uscc); !ok || rec.ID == "" {
		t.Fatalf("after the drain: enterprise on the platform %v, hazard yhid %q", ok, rec.ID)
	}
	// An enterprise neither side knows is refused before anything is stored.
	_, err = r.ReportHazard(ctx, mapping.Hazard{USCC: validUSCC(t, "91350582MA2Y4G3J6"), Level: mapping.HazardGeneral, Description: "x",
		FoundOn: today, Deadline: today})
	var inv *jobs.InvalidHazardError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "台账中没有该企业") {
		t.Errorf("unknown enterprise: %v", err)
	}
}

func TestHazardPagingUnderMutation(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 80, pageSize: 5})
	ctx := context.Background()
	r := w.runner()
	w.srv.Quanzhou.UpdateFaults(func(f *fault.Faults) { f.MutateWhilePaging = 1 })
	for run := 0; run < 3; run++ {
		w.sync(r, jobs.Hazards, false)
		w.sync(r, jobs.Inspections, false)
	}
	w.srv.Quanzhou.UpdateFaults(func(f *fault.Faults) { f.MutateWhilePaging = 0 })
	// What the walks saw last is what the platform holds now: every hazard, each at its
	// platform status at least (the ledger's is the furthest forward of both sides).
	w.sync(r, jobs.Hazards, false)
	for _, p := range w.srv.Quanzhou.Hazards() {
		rec, err := w.store.HazardByKey(ctx, p.Yhid)
		if err != nil {
			t.Fatalf("%s missed: %v", p.Yhid, err)
		}
		if rec.PlatformStatus != mapping.HazardStatus(p.Zgzt) || rec.UpdatedAt.IsZero() ||
			mapping.FormatBeijingTime(rec.UpdatedAt) != p.Gxsj {
			t.Errorf("%s: ledger has status %q gxsj %v, platform %q %s", p.Yhid, rec.PlatformStatus, rec.UpdatedAt, p.Zgzt, p.Gxsj)
		}
	}
	n := 0
	for _, err := range w.store.Inspections(ctx, ledger.InspectionFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(w.srv.Quanzhou.Inspections()) {
		t.Errorf("%d inspections in the ledger, %d on the platform", n, len(w.srv.Quanzhou.Inspections()))
	}
}
