package quanzhou_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	mockqz "streetsync/mocks/quanzhou"
)

// The hazard and inspection endpoints over loopback, through the mux `streetsync mock serve`
// uses, with the acceptance test's fault mix.

// walkAll runs walks of one listing until one ends without error (a transient error ends a walk;
// a sync job simply runs it again) and keeps the last version delivered of each record.
func walkAll[T any](t *testing.T, list func() (func(func(T, error) bool), *quanzhou.Progress), id func(T) string) (map[string]T, *quanzhou.Progress) {
	t.Helper()
	for walks := 1; walks <= 3; walks++ {
		got := map[string]T{}
		seq, prog := list()
		var err error
		seq(func(r T, e error) bool {
			if e != nil {
				err = e
				return false
			}
			got[id(r)] = r
			return true
		})
		if err == nil {
			return got, prog
		}
		var temp interface{ Temporary() bool }
		if !errors.As(err, &temp) || !temp.Temporary() {
			t.Fatalf("walk %d: %v", walks, err)
		}
		t.Logf("walk %d ended by a transient error, run again: %v", walks, err)
	}
	t.Fatal("three walks in a row failed")
	return nil, nil
}

func TestIntegrationHazardListingUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	s, ep := startServer(t, mocks.Options{Seed: 11, Enterprises: 600, Unlimited: true})
	uscc := s.Dataset.Platform[0].USCC
	for i := range 400 { // enterprises' own reports, filed in bulk
		if _, err := s.Quanzhou.PutHazard(mockqz.Hazard{Tyshxydm: uscc, Xzqhdm: ep.Region, Yhly: "QYZC", Yhdj: "1",
			Yhms: fmt.Sprintf("企业自查隐患%d", i), Fxrq: "2026-01-10", Zgqx: "2026-02-10", Zgzt: "0"}); err != nil {
			t.Fatal(err)
		}
	}
	f := tenPercent
	f.MutateWhilePaging = 1
	s.Quanzhou.SetFaults(f)
	c := newClient(t, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithPageSize(20), quanzhou.WithRetryPolicy(fastRetry))
	hazards, prog := walkAll(t, func() (func(func(mapping.QZHazard, error) bool), *quanzhou.Progress) {
		seq, prog := c.ListHazards(context.Background(), quanzhou.Mark{})
		return seq, prog
	}, func(h mapping.QZHazard) string { return h.Yhid })
	inspections, iprog := walkAll(t, func() (func(func(mapping.QZInspection, error) bool), *quanzhou.Progress) {
		seq, prog := c.ListInspections(context.Background(), quanzhou.Mark{})
		return seq, prog
	}, func(in mapping.QZInspection) string { return in.Jcid })
	s.Quanzhou.SetFaults(fault.Faults{})
	// A walk may end on a second the platform is still filling (the bulk of reports above):
	// records that moved after its last round carry a gxsj at or after its high-water mark, and
	// the next walk — from that mark, inclusive — delivers them. That is the guarantee: nothing
	// is missed by a walk and the one after it.
	seq, _ := c.ListHazards(context.Background(), prog.Mark())
	for h, err := range seq {
		if err != nil {
			t.Fatalf("the next hazard walk: %v", err)
		}
		hazards[h.Yhid] = h
	}
	iseq, _ := c.ListInspections(context.Background(), iprog.Mark())
	for in, err := range iseq {
		if err != nil {
			t.Fatalf("the next inspection walk: %v", err)
		}
		inspections[in.Jcid] = in
	}

	final := s.Quanzhou.Hazards()
	for _, h := range final {
		if g, ok := hazards[h.Yhid]; !ok || g.Gxsj != h.Gxsj || g.Zgzt != h.Zgzt || g.Lybh != h.Lybh {
			t.Errorf("hazard %s: got %+v, platform holds %+v", h.Yhid, g, h)
		}
	}
	for _, in := range s.Quanzhou.Inspections() {
		if g, ok := inspections[in.Jcid]; !ok || g.Gxsj != in.Gxsj {
			t.Errorf("inspection %s: got %+v, platform holds %+v", in.Jcid, g, in)
		}
	}
	if len(hazards) != len(final) || !prog.Done || !iprog.Done {
		t.Errorf("%d hazards delivered of %d; progress %+v, %+v", len(hazards), len(final), *prog, *iprog)
	}
	failed := 0
	for k, n := range s.Quanzhou.Requests() {
		if (k.Endpoint == "GET /hazards" || k.Endpoint == "GET /inspections") && (k.Status != 200 || k.Code != 0) {
			failed += n
		}
	}
	if failed == 0 {
		t.Error("no listing request failed: the faults did not reach the new endpoints")
	}
	t.Logf("hazards %+v; inspections %+v; %d failed listing requests", *prog, *iprog, failed)
}

// A street hazard pushed while answers get lost: whatever the faults, the platform ends up with
// exactly one hazard for the lybh, and the status only moves forward.
func TestIntegrationHazardPushUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	s, ep := startServer(t, mocks.Options{Seed: 12, Enterprises: 60, Unlimited: true})
	c := newClient(t, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithRetryPolicy(fastRetry))
	ctx := context.Background()
	h := mapping.Hazard{StreetID: "LY-IT-0001", USCC: s.Dataset.Platform[0].USCC, Source: mapping.SourceStreet,
		Level: mapping.HazardMajor, Clause: "第三条第（二）项", Description: "电焊作业人员无证上岗", FoundBy: "林芳",
		FoundOn: mapping.Date{Year: 2026, Month: 1, Day: 10}, Deadline: mapping.Date{Year: 2026, Month: 1, Day: 17}}
	mapping.NormalizeHazard(&h, nil)
	if ps := mapping.ValidateHazard(&h, nil, mapping.WithToday(mapping.Date{Year: 2026, Month: 1, Day: 15})); len(ps) > 0 {
		t.Fatalf("test hazard: %v", ps)
	}

	// Every answer is lost after the platform stored the hazard: the client's own repeats are
	// told "duplicate" and lost too, and the call fails as transient. The next push (the retry
	// queue's) learns the yhid, and there is still one hazard.
	if _, err := c.GetEnterprise(ctx, h.USCC); err != nil { // the token first: its answers are not to be lost
		t.Fatal(err)
	}
	s.Quanzhou.SetFaults(fault.Faults{DropAfter: 1})
	if _, _, err := c.ReportHazard(ctx, &h); !quanzhouTemporary(err) || s.Quanzhou.HazardCreates("LY-IT-0001") != 1 {
		t.Fatalf("push with every answer lost: %v, %d creates; want a transient error and the hazard stored once",
			err, s.Quanzhou.HazardCreates("LY-IT-0001"))
	}
	if n := s.Quanzhou.RequestCount("POST /hazards"); n < 2 {
		t.Errorf("%d requests: the client did not repeat the idempotent create", n)
	}
	s.Quanzhou.SetFaults(fault.Faults{})
	yhid, dup, err := c.ReportHazard(ctx, &h)
	if err != nil || !dup {
		t.Fatalf("push after the lost answers: %q %v %v, want the duplicate", yhid, dup, err)
	}
	stored, ok := s.Quanzhou.HazardByLybh("LY-IT-0001")
	if yhid == "" || !ok || stored.Yhid != yhid || s.Quanzhou.HazardCreates("LY-IT-0001") != 1 || stored.Pdbz != "3-2" {
		t.Fatalf("yhid %q, stored %+v, creates %d: want one hazard with clause 3-2", yhid, stored, s.Quanzhou.HazardCreates("LY-IT-0001"))
	}
	if id, dup, err := c.ReportHazard(ctx, &h); err != nil || !dup || id != yhid {
		t.Errorf("the same hazard again: %q %v %v, want the duplicate %s", id, dup, err, yhid)
	}
	changed := h
	changed.Description = "另一条隐患"
	if _, _, err := c.ReportHazard(ctx, &changed); !errors.Is(err, quanzhou.ErrConflict) {
		t.Errorf("the lybh with other content: %v, want ErrConflict", err)
	}
	other := h
	other.StreetID, other.USCC = "LY-IT-0002", s.Dataset.Gaps.OnlyInLedger[0]
	if _, _, err := c.ReportHazard(ctx, &other); !errors.Is(err, quanzhou.ErrNotFound) {
		t.Errorf("an enterprise the platform lacks: %v, want ErrNotFound", err)
	}

	at := dataset.Date(2026, 1, 15).Time(9 * 3600)
	for i, step := range []struct {
		status mapping.HazardStatus
		dup    bool
		err    error
	}{{mapping.HazardRectifying, false, nil}, {mapping.HazardRectifying, true, nil}, {mapping.HazardRectified, false, nil},
		{mapping.HazardRectifying, false, quanzhou.ErrStatusBackward}} {
		note := map[mapping.HazardStatus]string{mapping.HazardRectifying: "已停止无证人员作业", mapping.HazardRectified: "已安排持证人员上岗"}[step.status]
		dup, err := c.SetHazardStatus(ctx, mapping.HazardStatusChange{HazardID: yhid, Status: step.status, Note: note, Handler: "陈志强",
			At: at.Add(time.Duration(i/2) * time.Hour)})
		if dup != step.dup || !errors.Is(err, step.err) {
			t.Errorf("step %d (%s): duplicate %v, err %v; want %v, %v", i, step.status, dup, err, step.dup, step.err)
		}
	}
	if got, _ := s.Quanzhou.Hazard(yhid); got.Zgzt != "2" || len(s.Quanzhou.StatusChanges(yhid)) != 2 {
		t.Errorf("stored %+v with %d changes, want 已整改 after two", got, len(s.Quanzhou.StatusChanges(yhid)))
	}
	if _, err := c.SetHazardStatus(ctx, mapping.HazardStatusChange{HazardID: "YH3505820000000", Status: mapping.HazardClosed,
		Note: "x", Handler: "y", At: at}); !errors.Is(err, quanzhou.ErrNotFound) {
		t.Errorf("an unknown hazard: %v, want ErrNotFound", err)
	}
}

func quanzhouTemporary(err error) bool {
	var temp interface{ Temporary() bool }
	return errors.As(err, &temp) && temp.Temporary()
}

// BenchmarkListHazards walks 20 000 hazards from the mock over loopback with the rate limit
// lifted, decoding and converting every one to the canonical model (mapping.HazardFromQZ).
// Most were filed in the platform's current second, which a walk reads again until it is over
// (listing.go), so records/s counts deliveries, repeats included.
func BenchmarkListHazards(b *testing.B) {
	s, ep := startServer(b, mocks.Options{Seed: 5, Enterprises: 50, Unlimited: true, DiscardPushes: true})
	uscc := s.Dataset.Platform[0].USCC
	for i := len(s.Quanzhou.Hazards()); i < 20000; i++ {
		if _, err := s.Quanzhou.PutHazard(mockqz.Hazard{Tyshxydm: uscc, Xzqhdm: ep.Region, Yhly: "QYZC", Yhdj: "2", Pdbz: "3-1",
			Yhms: fmt.Sprintf("企业自查隐患%d：厂区内承租单位未纳入统一安全管理", i), Yhbw: "二号车间", Fxrq: "2026-01-10", Fxr: "王五",
			Zgqx: "2026-02-10", Zgzrr: "陈志强", Zgcs: "签订安全管理协议", Zgzt: "1", Zgsm: "正在整改", Zgczr: "陈志强",
			Zgczsj: "2026-01-11 10:00:00"}); err != nil {
			b.Fatal(err)
		}
	}
	c := newClient(b, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithPageSize(500))
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for b.Loop() {
		seq, _ := c.Hazards(context.Background(), quanzhou.Mark{}, nil)
		seen := make(map[string]bool, 20000)
		for h, err := range seq {
			if err != nil {
				b.Fatal(err)
			}
			if h.Problems.HasErrors() {
				b.Fatalf("hazard %s: %v", h.Hazard.ID, h.Problems)
			}
			seen[h.Hazard.ID] = true
			records++
		}
		if len(seen) != 20000 {
			b.Fatalf("%d hazards, want 20000", len(seen))
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
