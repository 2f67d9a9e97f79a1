package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Issue 14: a scheduled run that did not happen (daemon down, lock held, skipped) shows as
// 未运行, one that started more than a minute after its slot as 延迟, with the next scheduled time.
func TestStatusTellsWhatBecameOfTheLatestTick(t *testing.T) {
	slot := time.Date(2026, 3, 2, 1, 30, 0, 0, shanghai)
	at := func(d time.Duration) time.Time { return slot.Add(d) }
	for _, tc := range []struct {
		rule  string
		now   time.Time
		runs  []Run
		held  bool
		want  TickState
		text  string
		last  Outcome
		since bool // a last success is known
	}{
		{"its slot has just passed", at(30 * time.Second), nil, false, TickDue, "即将运行", "", false},
		{"no instance ran it (the daemon was down)", at(2 * time.Hour), nil, false, TickMissed, "未运行", "", false},
		{"it ran on time", at(2 * time.Hour), []Run{{Trigger: TriggerSchedule, Start: at(3 * time.Second), Outcome: OutcomePartial}},
			false, TickOK, "正常", OutcomePartial, true},
		{"a catch-up ran it hours later", at(9 * time.Hour), []Run{{Trigger: TriggerCatchUp, Start: at(7 * time.Hour), Outcome: OutcomeSuccess}},
			false, TickLate, "延迟", OutcomeSuccess, true},
		{"it waited two minutes behind an earlier job", at(time.Hour), []Run{{Trigger: TriggerSchedule, Start: at(2 * time.Minute), Outcome: OutcomeFailed}},
			false, TickLate, "延迟", OutcomeFailed, false},
		{"the job was still running: skipped", at(time.Hour), []Run{{Trigger: TriggerSchedule, Start: at(0), Outcome: OutcomeSkipped}},
			true, TickMissed, "未运行", OutcomeSkipped, false},
		{"a manual run at that instant is not the tick's", at(time.Hour), []Run{{Trigger: TriggerManual, Start: at(0), Outcome: OutcomeSuccess}},
			false, TickMissed, "未运行", OutcomeSuccess, true},
		{"a run of it is under way", at(10 * time.Minute), nil, true, TickRunning, "运行中", "", false},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			ctx := context.Background()
			conn := redisConn(t)
			h := newHarness(t, conn, tc.now, "i", WithoutCatchUp())
			if err := h.s.Add("enterprises", "0 30 1 * * *", noop()); err != nil {
				t.Fatal(err)
			}
			if err := h.s.Add("alerts", "-", noop()); err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.runs {
				r.Job, r.Slot, r.End = "enterprises", slot, r.Start.Add(time.Second)
				if err := historyOf(conn).RecordRun(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if tc.held {
				if ok, _, err := h.s.locks.Acquire(ctx, "enterprises", "a-run"); !ok || err != nil {
					t.Fatal(ok, err)
				}
			}
			st, err := h.s.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 2 || st[0].Job != "enterprises" || st[1].Job != "alerts" {
				t.Fatalf("status = %+v, want enterprises then alerts", st)
			}
			e := st[0]
			if !e.Tick.Equal(slot) || e.TickState != tc.want || e.TickText != tc.text {
				t.Errorf("tick %s: %s %q, want %s %q", e.Tick, e.TickState, e.TickText, tc.want, tc.text)
			}
			if want := time.Date(2026, 3, 3, 1, 30, 0, 0, shanghai); !e.Next.Equal(want) || !e.Enabled || e.Spec != "0 30 1 * * *" {
				t.Errorf("next %s (enabled %v, spec %q), want %s", e.Next, e.Enabled, e.Spec, want)
			}
			if (e.LastRun == nil) != (tc.last == "") || (e.LastRun != nil && e.LastRun.Outcome != tc.last) {
				t.Errorf("last run %+v, want outcome %q", e.LastRun, tc.last)
			}
			if (e.LastSuccess != nil) != tc.since {
				t.Errorf("last success %+v, want one: %v", e.LastSuccess, tc.since)
			}
			if (e.Holder != nil) != tc.held || (e.Holder != nil && e.Holder.Host != thisHost) {
				t.Errorf("holder %+v, want held: %v", e.Holder, tc.held)
			}
			if a := st[1]; a.Enabled || !a.Tick.IsZero() || a.TickState != "" || !a.Next.IsZero() {
				t.Errorf("a job switched off: %+v, want no tick and no next", a)
			}
		})
	}
}

// The daemon notices that Redis lost its keys — once, whichever instance looks first — records it
// in the ledger, and shows it until every enabled job has succeeded since.
func TestALossOfRedisDataIsNoticedOnceAndShownUntilEveryJobRan(t *testing.T) {
	ctx := context.Background()
	conn := redisConn(t)
	marks := historyOf(conn)
	opt, logs := logged(t)
	a := newHarness(t, conn, base, "a", WithRedisMarks(marks), opt, WithoutCatchUp(), WithOrder(runOrder...))
	b := newHarness(t, secondConn(t, conn), base, "b", WithRedisMarks(marks), WithoutCatchUp(), WithOrder(runOrder...))
	for _, h := range []*harness{a, b} {
		for name, spec := range map[string]string{"enterprises": "0 30 1 * * *", "alarms": "0 */5 * * * *", "alerts": "-"} {
			if err := h.s.Add(name, spec, noop()); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(h *harness, want bool) {
		t.Helper()
		if lost, err := h.s.CheckRedis(ctx); err != nil || lost != want {
			t.Fatalf("%s: CheckRedis = %v, %v; want %v", h.s.instance, lost, err, want)
		}
	}
	// The first start writes the marker; nothing was lost.
	check(a, false)
	check(b, false)
	check(a, false)
	if loss, err := a.s.RedisLoss(ctx); loss != nil || err != nil {
		t.Fatalf("RedisLoss before any loss = %+v, %v", loss, err)
	}
	// FLUSHDB: every key of the prefix is gone.
	if err := a.raw.Del(ctx, a.keys.Marker()).Err(); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(time.Hour)
	check(a, true)
	check(b, false) // a wrote a new marker: b finds it, nothing more to notice
	check(a, false)
	if n := logs.FilterMessageSnippet("redis lost its data").Len(); n != 1 {
		t.Errorf("the loss was logged %d times, want once", n)
	}
	loss, err := b.s.RedisLoss(ctx)
	if err != nil || loss == nil || !loss.LostAt.Equal(base.Add(time.Hour)) || loss.NoticedBy != "a" ||
		strings.Join(loss.Waiting, ",") != "enterprises,alarms" || !strings.Contains(loss.Message, "Redis 数据已于 2026-03-02 02:29:55 丢失") {
		t.Fatalf("RedisLoss = %+v, %v; want the loss, waiting for the two enabled jobs", loss, err)
	}
	// A run that began before the loss was noticed does not count; runs after it do.
	for _, r := range []Run{
		{Job: "enterprises", Start: base, Outcome: OutcomeSuccess},
		{Job: "enterprises", Start: base.Add(2 * time.Hour), Outcome: OutcomePartial},
		{Job: "alarms", Start: base.Add(2 * time.Hour), Outcome: OutcomePlatformUnavailable},
	} {
		if err := marks.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if loss, err := a.s.RedisLoss(ctx); err != nil || loss == nil || strings.Join(loss.Waiting, ",") != "alarms" {
		t.Fatalf("RedisLoss after enterprises ran = %+v, %v; want alarms still waiting", loss, err)
	}
	if err := marks.RecordRun(ctx, Run{Job: "alarms", Start: base.Add(3 * time.Hour), Outcome: OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	if loss, err := a.s.RedisLoss(ctx); loss != nil || err != nil {
		t.Fatalf("RedisLoss after every job ran = %+v, %v; want none", loss, err)
	}
}

// A daemon started on an emptied Redis notices at Start; a running one within a minute.
func TestTheStartedSchedulerWatchesTheMarker(t *testing.T) {
	ctx := context.Background()
	conn := redisConn(t)
	marks := historyOf(conn)
	if err := marks.SetRedisMarker(ctx, "from-before", time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, conn, base, "i", WithRedisMarks(marks), WithoutCatchUp())
	if err := h.s.Add("alarms", "0 */5 * * * *", noop()); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	if _, lostAt, _, _ := marks.RedisMarker(ctx); !lostAt.Equal(base) {
		t.Fatalf("loss at %s, want the start (%s): Redis had none of the expected marker", lostAt, base)
	}
	h.quiesce(t, 2)
	if err := h.raw.Del(ctx, h.keys.Marker()).Err(); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, lostAt, _, _ := marks.RedisMarker(ctx); lostAt.Equal(base.Add(time.Minute)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the loss a minute after the start was not noticed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.quiesce(t, 2)
}
