package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"streetsync/internal/ledger"
)

func run(job, outcome string, n int, at time.Time) ledger.JobRun {
	return ledger.JobRun{Job: job, Trigger: "schedule", Slot: at, Start: at, End: at.Add(time.Second), Outcome: outcome,
		Counts: map[string]int{"pulled": n}, Instance: "host-a:1"}
}

func TestTheRunHistoryKeepsTheNewestRunsAndTheLastSuccess(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		at := clk.Now()
		if _, ok, err := s.LastSuccessfulRun(ctx, "certificates"); ok || err != nil {
			t.Fatalf("LastSuccessfulRun of a job that never ran = %v, %v; want none", ok, err)
		}
		// One success, then a partial run, then five runs that did not succeed.
		for i, outcome := range []string{"success", "partial", "failed", "platform_unavailable", "skipped", "failed", "failed"} {
			r := run("certificates", outcome, i, at.Add(time.Duration(i)*time.Hour))
			if outcome == "failed" {
				r.Error, r.Reason = "ledger unavailable", "运行出错"
			}
			if _, err := s.RecordJobRun(ctx, r, 3); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.RecordJobRun(ctx, run("alarms", "success", 9, at), 3); err != nil {
			t.Fatal(err)
		}
		runs, total, err := s.JobRuns(ctx, ledger.JobRunFilter{Job: "certificates"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range runs {
			got = append(got, fmt.Sprintf("%s/%d", r.Outcome, r.Counts["pulled"]))
		}
		// The three newest, and the last successful data run (partial) kept however old.
		if want := "failed/6 failed/5 skipped/4 partial/1"; strings.Join(got, " ") != want || total != 4 {
			t.Fatalf("history = %s (total %d), want %s (total 4)", strings.Join(got, " "), total, want)
		}
		last, ok, err := s.LastSuccessfulRun(ctx, "certificates")
		if err != nil || !ok || last.Outcome != "partial" || !last.Start.Equal(at.Add(time.Hour)) || last.Instance != "host-a:1" {
			t.Fatalf("LastSuccessfulRun = %+v, %v, %v; want the partial run", last, ok, err)
		}
		if runs[0].Error != "ledger unavailable" || runs[0].Reason != "运行出错" || runs[0].Trigger != "schedule" || !runs[0].Slot.Equal(at.Add(6*time.Hour)) {
			t.Errorf("newest run = %+v, want its error, reason, trigger and slot kept", runs[0])
		}
	})
}

func TestJobRunsPageAndSelectATick(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		at := clk.Now()
		for i := range 7 {
			job := []string{"enterprises", "alarms"}[i%2]
			if _, err := s.RecordJobRun(ctx, run(job, "success", i, at.Add(time.Duration(i)*time.Minute)), 500); err != nil {
				t.Fatal(err)
			}
		}
		page, total, err := s.JobRuns(ctx, ledger.JobRunFilter{Offset: 2, Limit: 3})
		if err != nil || total != 7 || len(page) != 3 || page[0].Counts["pulled"] != 4 || page[2].Counts["pulled"] != 2 {
			t.Fatalf("page 2 of all runs = %+v (total %d), %v; want runs 4, 3, 2 of 7", page, total, err)
		}
		rest, _, err := s.JobRuns(ctx, ledger.JobRunFilter{Job: "enterprises", Offset: 2})
		if err != nil || len(rest) != 2 || rest[0].Counts["pulled"] != 2 {
			t.Fatalf("enterprises from offset 2 = %+v, %v; want runs 2 and 0", rest, err)
		}
		tick, _, err := s.JobRuns(ctx, ledger.JobRunFilter{Job: "alarms", Slot: at.Add(3 * time.Minute)})
		if err != nil || len(tick) != 1 || tick[0].Counts["pulled"] != 3 {
			t.Fatalf("runs of the 3rd minute's tick = %+v, %v; want run 3", tick, err)
		}
		if _, err := s.RecordJobRun(ctx, ledger.JobRun{Job: "alarms"}, 1); err == nil {
			t.Error("a run without an outcome was recorded")
		}
	})
}

func TestRunReasonsAreMaskedInTheHistory(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		r := run("employments", "failed", 0, clk.Now())
		r.Error = "record employment " + idNumber(7) + ": constraint failed"
		r.Reason = "登记失败：" + idNumber(7)
		if _, err := s.RecordJobRun(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		runs, _, err := s.JobRuns(ctx, ledger.JobRunFilter{})
		if err != nil || len(runs) != 1 {
			t.Fatal(runs, err)
		}
		if strings.Contains(runs[0].Error+runs[0].Reason, idNumber(7)) {
			t.Errorf("a whole ID number is kept in the run history: %q / %q", runs[0].Error, runs[0].Reason)
		}
	})
}

func TestPlatformHealthMergesBatchesFromEveryProcess(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		t0 := clk.Now()
		health := func() map[string]ledger.PlatformHealth {
			t.Helper()
			hs, err := s.PlatformHealth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]ledger.PlatformHealth{}
			for _, h := range hs {
				m[h.Platform] = h
			}
			return m
		}
		if len(health()) != 0 {
			t.Fatal("health of platforms never called")
		}
		// The daemon's batch: successes, then two failures of quanzhou; specialops fine.
		err := s.RecordPlatformCalls(ctx, []ledger.PlatformCalls{
			{Platform: "quanzhou", LastSuccess: t0, Failures: 2, FailedSince: t0.Add(time.Minute), LastError: "平台暂时不可用：HTTP 502", LastErrorAt: t0.Add(2 * time.Minute)},
			{Platform: "specialops", LastSuccess: t0.Add(time.Minute)},
		})
		if err != nil {
			t.Fatal(err)
		}
		h := health()
		if q := h["quanzhou"]; q.State != ledger.HealthDegraded || q.StateText != "降级" || q.ConsecutiveFailures != 2 ||
			!q.FailingSince.Equal(t0.Add(time.Minute)) || !q.LastSuccess.Equal(t0) || q.LastError != "平台暂时不可用：HTTP 502" {
			t.Fatalf("quanzhou after a few failures = %+v, want degraded since the first failure", q)
		}
		if sp := h["specialops"]; sp.State != ledger.HealthOK || sp.StateText != "正常" || !sp.FailingSince.IsZero() {
			t.Fatalf("specialops = %+v, want ok", sp)
		}
		// A CLI's batch: only failures, an hour later — the run goes on, since the first.
		err = s.RecordPlatformCalls(ctx, []ledger.PlatformCalls{{Platform: "quanzhou", Failures: 3,
			FailedSince: t0.Add(time.Hour), LastError: "无法连接平台", LastErrorAt: t0.Add(time.Hour + time.Minute)}})
		if err != nil {
			t.Fatal(err)
		}
		if q := health()["quanzhou"]; q.State != ledger.HealthUnavailable || q.StateText != "不可用" || q.ConsecutiveFailures != 5 ||
			!q.FailingSince.Equal(t0.Add(time.Minute)) || q.LastError != "无法连接平台" {
			t.Fatalf("quanzhou after an hour of failures = %+v, want unavailable since the first failure", q)
		}
		// It answers again.
		if err := s.RecordPlatformCalls(ctx, []ledger.PlatformCalls{{Platform: "quanzhou", LastSuccess: t0.Add(2 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		if q := health()["quanzhou"]; q.State != ledger.HealthOK || q.ConsecutiveFailures != 0 || !q.FailingSince.IsZero() ||
			!q.LastSuccess.Equal(t0.Add(2*time.Hour)) || q.LastError != "无法连接平台" {
			t.Fatalf("quanzhou after recovery = %+v, want ok, the last error kept for reference", q)
		}
	})
}

func TestTheRedisMarkKeepsTheLastLoss(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if m, err := s.RedisMark(ctx); err != nil || m.Marker != "" || !m.LostAt.IsZero() {
			t.Fatalf("mark of a new ledger = %+v, %v", m, err)
		}
		lost := clk.Now().Add(time.Hour)
		for _, step := range []struct {
			marker string
			lostAt time.Time
			by     string
		}{{"m1", time.Time{}, ""}, {"m2", lost, "host-a:1"}, {"m3", time.Time{}, ""}} {
			if err := s.SetRedisMarker(ctx, step.marker, step.lostAt, step.by); err != nil {
				t.Fatal(err)
			}
		}
		m, err := s.RedisMark(ctx)
		if err != nil || m.Marker != "m3" || !m.LostAt.Equal(lost) || m.LostBy != "host-a:1" {
			t.Fatalf("mark = %+v, %v; want m3, the loss at %s by host-a:1 kept", m, err, lost)
		}
	})
}

// BenchmarkRecordJobRun records runs into a history already at its bound of 500 runs per job
// (five jobs), so that every insert also prunes: the cost each finished run adds to a job, and to
// a `sync` from the CLI.
func BenchmarkRecordJobRun(b *testing.B) {
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			s := open(b, bk.cfg(b), newClock())
			ctx := context.Background()
			jobs := []string{"enterprises", "certificates", "alarms", "employments", "alerts"}
			at := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
			for i := range 500 * len(jobs) {
				if _, err := s.RecordJobRun(ctx, run(jobs[i%len(jobs)], "success", i, at), 500); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for n := 0; b.Loop(); n++ {
				if _, err := s.RecordJobRun(ctx, run(jobs[n%len(jobs)], "partial", n, at), 500); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
