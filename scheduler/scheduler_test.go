package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"streetsync/internal/config"
	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/scheduler/clock"
)

var shanghai = config.Default().Schedule.Location()

// base is five seconds before 01:30 in the street's time zone.
var base = time.Date(2026, 3, 2, 1, 29, 55, 0, shanghai)

type harness struct {
	s     *Scheduler
	conn  *rdb.Conn
	raw   redis.UniversalClient // the raw client, to seed and inspect keys
	keys  rdb.Keys
	clock *clock.Fake
	mu    sync.Mutex
	runs  []Run
	rec   chan Run
}

func redisConn(t *testing.T) *rdb.Conn {
	t.Helper()
	conn, kind := testutil.Redis(t)
	testutil.RequireRealRedis(t, kind)
	return conn
}

func newHarness(t *testing.T, conn *rdb.Conn, now time.Time, instance string, opts ...Option) *harness {
	t.Helper()
	h := &harness{clock: clock.NewFake(now), rec: make(chan Run, 100), conn: conn, raw: testutil.RedisClient(t, conn), keys: conn.Keys()}
	s, err := New(conn, historyOf(conn), append([]Option{WithClock(h.clock), WithLocation(shanghai), WithInstance(instance)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s.onRecord = func(r Run) {
		h.mu.Lock()
		h.runs = append(h.runs, r)
		h.mu.Unlock()
		h.rec <- r
	}
	h.s = s
	return h
}

func (h *harness) start(t *testing.T) {
	t.Helper()
	if err := h.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.s.Stop(context.Background()) })
}

// quiesce waits until no run is in progress and every job loop sleeps on the fake clock again.
func (h *harness) quiesce(t *testing.T, loops int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.s.running.Load() != 0 || h.clock.Timers() < loops {
		if time.Now().After(deadline) {
			t.Fatalf("scheduler did not settle: %d running, %d timers", h.s.running.Load(), h.clock.Timers())
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) recorded() []Run {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Run(nil), h.runs...)
}

func (h *harness) next(t *testing.T) Run {
	t.Helper()
	select {
	case r := <-h.rec:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no run recorded")
		return Run{}
	}
}

func counting(n *atomic.Int64) Job {
	return JobFunc(func(context.Context, RunOptions) (Result, error) {
		return Result{Counts: map[string]int{"pulled": int(n.Add(1))}}, nil
	})
}

func noop() Job {
	return JobFunc(func(context.Context, RunOptions) (Result, error) { return Result{}, nil })
}

func TestTwoInstancesWithSkewedClocksRunEachTickOnce(t *testing.T) {
	conn := redisConn(t)
	a := newHarness(t, conn, base.Add(2*time.Second), "a") // a's clock runs two seconds ahead
	b := newHarness(t, secondConn(t, conn), base, "b")
	var calls atomic.Int64
	for _, h := range []*harness{a, b} {
		if err := h.s.Add("alarms", "*/10 * * * * *", counting(&calls)); err != nil {
			t.Fatal(err)
		}
		h.start(t)
	}
	for range 60 {
		a.quiesce(t, 1)
		b.quiesce(t, 1)
		a.clock.Advance(time.Second)
		b.clock.Advance(time.Second)
	}
	a.quiesce(t, 1)
	b.quiesce(t, 1)

	runs := append(a.recorded(), b.recorded()...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].Slot.Before(runs[j].Slot) })
	var got []string
	for _, r := range runs {
		if r.Outcome != OutcomeSuccess {
			t.Errorf("run %+v, want only ok runs", r)
		}
		got = append(got, r.Slot.Format("15:04:05")+"/"+string(r.Trigger))
	}
	want := "01:29:50/catchup 01:30:00/schedule 01:30:10/schedule 01:30:20/schedule 01:30:30/schedule 01:30:40/schedule 01:30:50/schedule"
	if strings.Join(got, " ") != want {
		t.Fatalf("runs by slot:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if calls.Load() != 7 {
		t.Fatalf("job ran %d times, want 7", calls.Load())
	}
}

func TestCatchUpRunsAMissedTickOnceAtStart(t *testing.T) {
	conn := redisConn(t)
	day1 := time.Date(2026, 3, 2, 1, 29, 59, 0, shanghai)
	var calls atomic.Int64

	// A job that never ran runs at start; then its tick runs as usual.
	h1 := newHarness(t, conn, day1, "i1")
	if err := h1.s.Add("enterprises", "0 30 1 * * *", counting(&calls)); err != nil {
		t.Fatal(err)
	}
	h1.start(t)
	if r := h1.next(t); r.Trigger != TriggerCatchUp || !r.Slot.Equal(day1.Add(-24*time.Hour+time.Second)) {
		t.Fatalf("first run = %+v, want a catch-up of yesterday's 01:30", r)
	}
	h1.quiesce(t, 1)
	h1.clock.Advance(time.Second)
	if r := h1.next(t); r.Trigger != TriggerSchedule || !r.Slot.Equal(day1.Add(time.Second)) {
		t.Fatalf("second run = %+v, want today's 01:30 tick", r)
	}
	if err := h1.s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The daemon was down at 01:30 the next day: at 09:00 it runs that tick once, now.
	nineAM := time.Date(2026, 3, 3, 9, 0, 0, 0, shanghai)
	h2 := newHarness(t, conn, nineAM, "i2")
	if err := h2.s.Add("enterprises", "0 30 1 * * *", counting(&calls)); err != nil {
		t.Fatal(err)
	}
	h2.start(t)
	r := h2.next(t)
	if r.Trigger != TriggerCatchUp || !r.Slot.Equal(time.Date(2026, 3, 3, 1, 30, 0, 0, shanghai)) || !r.Start.Equal(nineAM) {
		t.Fatalf("catch-up run = %+v, want the 01:30 tick run at 09:00", r)
	}
	h2.quiesce(t, 1)
	if err := h2.s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Restarted an hour later: nothing was missed, nothing runs.
	h3 := newHarness(t, conn, nineAM.Add(time.Hour), "i3")
	if err := h3.s.Add("enterprises", "0 30 1 * * *", counting(&calls)); err != nil {
		t.Fatal(err)
	}
	h3.start(t)
	h3.quiesce(t, 1)
	if runs := h3.recorded(); len(runs) != 0 {
		t.Fatalf("runs after a restart with nothing missed: %+v", runs)
	}
	if calls.Load() != 3 {
		t.Fatalf("job ran %d times, want 3", calls.Load())
	}
}

func TestWithoutCatchUpNothingRunsAtStart(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i", WithoutCatchUp())
	var calls atomic.Int64
	if err := h.s.Add("enterprises", "0 30 1 * * *", counting(&calls)); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	h.quiesce(t, 1)
	if calls.Load() != 0 {
		t.Fatalf("job ran %d times at start, want 0", calls.Load())
	}
}

func TestALongRunSkipsTheNextTickInsteadOfQueueing(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i", WithoutCatchUp())
	started, release := make(chan struct{}, 1), make(chan struct{})
	var calls atomic.Int64
	err := h.s.Add("certificates", "*/10 * * * * *", JobFunc(func(ctx context.Context, _ RunOptions) (Result, error) {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return Result{Counts: map[string]int{"pulled": 3}}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	h.start(t)
	h.clock.Advance(5 * time.Second) // 01:30:00
	<-started
	h.clock.Advance(10 * time.Second) // 01:30:10, the first run still going
	skipped := h.next(t)
	if skipped.Outcome != OutcomeSkipped || skipped.Slot.Format("15:04:05") != "01:30:10" || !strings.HasPrefix(skipped.Reason, "上一次运行尚未结束") {
		t.Fatalf("second tick = %+v, want skipped", skipped)
	}
	close(release)
	ok := h.next(t)
	if ok.Outcome != OutcomeSuccess || ok.Slot.Format("15:04:05") != "01:30:00" || ok.Counts["pulled"] != 3 {
		t.Fatalf("first run = %+v, want ok with its counts", ok)
	}
	h.quiesce(t, 1)
	if calls.Load() != 1 {
		t.Fatalf("job ran %d times, want 1 (the skipped tick is not queued)", calls.Load())
	}
	hist, err := h.s.History(context.Background(), "certificates", 0)
	if err != nil || len(hist) != 2 || hist[0].Outcome != OutcomeSuccess || hist[1].Outcome != OutcomeSkipped {
		t.Fatalf("history = %+v, %v; want ok then skipped, newest first", hist, err)
	}
}

func TestStopCancelsRunsAtItsDeadlineAndReleasesLocks(t *testing.T) {
	conn := redisConn(t) // its client's own goroutines live until the test's cleanup
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newHarness(t, conn, base, "i", WithoutCatchUp())
	started, cancelled := make(chan struct{}), make(chan struct{})
	err := h.s.Add("alarms", "*/10 * * * * *", JobFunc(func(ctx context.Context, _ RunOptions) (Result, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return Result{}, ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(5 * time.Second)
	<-started
	stopCtx, deadline := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.s.Stop(stopCtx) }()
	select {
	case <-cancelled:
		t.Fatal("the running job was cancelled before Stop's deadline")
	case err := <-stopped:
		t.Fatalf("Stop returned %v with a job still running", err)
	case <-time.After(20 * time.Millisecond):
	}
	deadline() // the deadline is reached
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop = %v, want context.Canceled", err)
	}
	run := h.next(t)
	if run.Outcome != OutcomeFailed || run.Error != context.Canceled.Error() {
		t.Fatalf("cancelled run = %+v, want failed with the ctx error", run)
	}
	if n, err := testutil.RedisClient(t, conn).Exists(context.Background(), h.keys.Lock("alarms")).Result(); err != nil || n != 0 {
		t.Fatalf("lock still held after Stop: exists=%d %v", n, err)
	}
}

func TestStopLetsRunsFinishThenStartsNothing(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i", WithoutCatchUp())
	started, release := make(chan struct{}, 10), make(chan struct{})
	var calls atomic.Int64
	err := h.s.Add("alarms", "*/10 * * * * *", JobFunc(func(ctx context.Context, _ RunOptions) (Result, error) {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return Result{}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	h.start(t)
	h.clock.Advance(5 * time.Second)
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- h.s.Stop(context.Background()) }()
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop = %v, want nil (the run finished)", err)
	}
	if r := h.next(t); r.Outcome != OutcomeSuccess {
		t.Fatalf("run = %+v, want ok", r)
	}
	h.clock.Advance(time.Hour)
	if _, err := h.s.RunNow(context.Background(), "alarms", RunOptions{}); !errors.Is(err, ErrStopped) {
		t.Fatalf("RunNow after Stop = %v, want ErrStopped", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("job ran %d times, want 1 (nothing after Stop)", calls.Load())
	}
}

func TestRunNowSharesTheJobsLock(t *testing.T) {
	ctx := context.Background()
	conn := redisConn(t)
	h := newHarness(t, conn, base, "i", WithoutCatchUp())
	started, release := make(chan struct{}, 1), make(chan struct{})
	var calls atomic.Int64
	err := h.s.Add("employments", "*/10 * * * * *", JobFunc(func(ctx context.Context, _ RunOptions) (Result, error) {
		if calls.Add(1) == 1 {
			started <- struct{}{}
			<-release
		}
		return Result{Counts: map[string]int{"pushed": 2}}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	h.start(t)
	h.clock.Advance(5 * time.Second)
	<-started

	// Another process (the CLI) asks for a run while the scheduled one goes on.
	cli := newHarness(t, secondConn(t, conn), base.Add(5*time.Second), "cli")
	if err := cli.s.Add("employments", "-", JobFunc(func(context.Context, RunOptions) (Result, error) { return Result{}, nil })); err != nil {
		t.Fatal(err)
	}
	run, err := cli.s.RunNow(ctx, "employments", RunOptions{})
	if !errors.Is(err, ErrJobRunning) || run.Outcome != OutcomeSkipped || run.Trigger != TriggerManual {
		t.Fatalf("RunNow while running = %+v, %v; want skipped and ErrJobRunning", run, err)
	}
	close(release)
	if r := h.next(t); r.Outcome != OutcomeSuccess || r.Trigger != TriggerSchedule {
		t.Fatalf("scheduled run = %+v, want ok", r)
	}
	h.quiesce(t, 1)

	run, err = h.s.RunNow(ctx, "employments", RunOptions{})
	if err != nil || run.Outcome != OutcomeSuccess || run.Trigger != TriggerManual || run.Counts["pushed"] != 2 || run.Instance != "i" {
		t.Fatalf("RunNow = %+v, %v; want a manual ok run with counts", run, err)
	}
	if _, err := h.s.RunNow(ctx, "nosuchjob", RunOptions{}); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("RunNow(unknown) = %v, want ErrUnknownJob", err)
	}
	last, ok, err := h.s.LastSuccess(ctx, "employments")
	if err != nil || !ok || last.Trigger != TriggerManual {
		t.Fatalf("LastSuccess = %+v %v %v, want the manual run", last, ok, err)
	}
}

func TestRunNowReturnsTheJobsFailure(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i")
	if err := h.s.Add("alerts", "-", JobFunc(func(context.Context, RunOptions) (Result, error) {
		return Result{Counts: map[string]int{"evaluated": 4}}, errors.New("ledger unavailable")
	})); err != nil {
		t.Fatal(err)
	}
	run, err := h.s.RunNow(context.Background(), "alerts", RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "ledger unavailable") || run.Outcome != OutcomeFailed || run.Counts["evaluated"] != 4 {
		t.Fatalf("RunNow = %+v, %v; want the failure with its counts", run, err)
	}
	if _, ok, _ := h.s.LastSuccess(context.Background(), "alerts"); ok {
		t.Fatal("a failed run counted as the last success")
	}
}

func TestAJobWithSpecDashOrEmptyIsOff(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i")
	var calls atomic.Int64
	for _, name := range []string{"alerts", "employments"} {
		spec := map[string]string{"alerts": "-", "employments": ""}[name]
		if err := h.s.Add(name, spec, counting(&calls)); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range h.s.Entries() {
		if e.Enabled || !e.Next.IsZero() {
			t.Errorf("entry %+v, want off", e)
		}
	}
	h.start(t)
	h.clock.Advance(48 * time.Hour)
	h.quiesce(t, 0)
	if calls.Load() != 0 {
		t.Fatalf("an off job ran %d times", calls.Load())
	}
	if _, err := h.s.RunNow(context.Background(), "alerts", RunOptions{}); err != nil || calls.Load() != 1 {
		t.Fatalf("RunNow of an off job = %v, calls %d; want one run", err, calls.Load())
	}
}

func TestPanickingJobIsRecordedAsFailed(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i")
	if err := h.s.Add("alarms", "-", JobFunc(func(context.Context, RunOptions) (Result, error) { panic("index out of range") })); err != nil {
		t.Fatal(err)
	}
	run, err := h.s.RunNow(context.Background(), "alarms", RunOptions{})
	if err == nil || run.Outcome != OutcomeFailed || !strings.Contains(run.Error, "job panicked: index out of range") {
		t.Fatalf("RunNow = %+v, %v; want a failed run naming the panic", run, err)
	}
}

func TestLockIsRenewedWhileTheJobRunsAndLossCancelsIt(t *testing.T) {
	ctx := context.Background()
	conn := redisConn(t)
	// Lock TTLs are Redis's own time: this test waits two and a half real TTLs of 600ms.
	h := newHarness(t, conn, base, "i", WithLockTTL(600*time.Millisecond))
	started := make(chan struct{})
	cause := make(chan error, 1)
	if err := h.s.Add("certificates", "-", JobFunc(func(ctx context.Context, _ RunOptions) (Result, error) {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return Result{}, ctx.Err()
	})); err != nil {
		t.Fatal(err)
	}
	done := make(chan Run, 1)
	go func() { run, _ := h.s.RunNow(ctx, "certificates", RunOptions{}); done <- run }()
	<-started
	lock := h.keys.Lock("certificates")
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if n, _ := testutil.RedisClient(t, conn).Exists(ctx, lock).Result(); n != 1 {
			t.Fatal("the lock expired while its job was running")
		}
	}
	// Another instance takes the lock (as if this one had stalled past the TTL).
	if err := testutil.RedisClient(t, conn).HSet(ctx, lock, "token", "someone-else", "host", "other-host", "pid", 4711).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-cause:
		if !errors.Is(c, ErrLockLost) {
			t.Fatalf("job ctx cause = %v, want ErrLockLost", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the job was not cancelled after losing its lock")
	}
	run := <-done
	if run.Outcome != OutcomeFailed || !strings.Contains(run.Error, msgLockLost) {
		t.Fatalf("run = %+v, want failed for the lost lock", run)
	}
	if v, _ := testutil.RedisClient(t, conn).HGet(ctx, lock, "token").Result(); v != "someone-else" {
		t.Fatalf("lock = %q: the loser released the new owner's lock", v)
	}
}

func TestRunNowPassesItsOptionsAndRecordsTheJobsVerdict(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, redisConn(t), base, "i")
	type summary struct{ full bool }
	if err := h.s.Add("certificates", "-", JobFunc(func(_ context.Context, opts RunOptions) (Result, error) {
		return Result{Counts: map[string]int{"queued": 3}, Outcome: OutcomePartial, Reason: "3 条转入重试队列",
			Detail: summary{opts.Full}}, nil
	})); err != nil {
		t.Fatal(err)
	}
	run, err := h.s.RunNow(ctx, "certificates", RunOptions{Full: true})
	if err != nil || run.Outcome != OutcomePartial || run.Reason != "3 条转入重试队列" || run.Detail != (summary{true}) {
		t.Fatalf("RunNow = %+v, %v; want the job's partial verdict, its reason and its detail", run, err)
	}
	hist, err := h.s.History(ctx, "certificates", 0)
	if err != nil || len(hist) != 1 || hist[0].Outcome != OutcomePartial || hist[0].Reason != "3 条转入重试队列" || hist[0].Counts["queued"] != 3 {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	// A partial run's data is in the ledger: it counts as the last success.
	if last, ok, err := h.s.LastSuccess(ctx, "certificates"); err != nil || !ok || last.Outcome != OutcomePartial {
		t.Fatalf("LastSuccess = %+v %v %v, want the partial run", last, ok, err)
	}
	if got := OutcomePlatformUnavailable.Text() + OutcomePartial.Text() + OutcomeSuccess.Text() + OutcomeFailed.Text(); got != "平台不可用部分完成成功失败" {
		t.Errorf("outcome texts = %s", got)
	}
}

type jobRuns struct {
	mu  sync.Mutex
	got []string
}

func (o *jobRuns) JobRun(job, outcome string, d time.Duration, end time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, job+"/"+outcome)
}

func TestObserverSeesEveryRecordedRun(t *testing.T) {
	obs := &jobRuns{}
	h := newHarness(t, redisConn(t), base, "i", WithObserver(obs))
	if err := h.s.Add("alarms", "-", JobFunc(func(context.Context, RunOptions) (Result, error) { return Result{}, nil })); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.RunNow(context.Background(), "alarms", RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(obs.got, " ") != "alarms/success" {
		t.Fatalf("observed %v, want alarms/success", obs.got)
	}
}

// specsOf lists the schedule section's jobs as internal/app hands them to AddConfigured.
func specsOf(sch config.Schedule) []JobSpec {
	var out []JobSpec
	for _, j := range sch.Jobs() {
		out = append(out, JobSpec{Name: j.Name, Spec: j.Spec})
	}
	return out
}

func TestAddConfiguredTakesTheScheduleSection(t *testing.T) {
	sch := config.Default().Schedule
	sch.Alerts = "-"
	h := newHarness(t, redisConn(t), base, "i")
	jobs := map[string]Job{"enterprises": noop(), "certificates": noop(), "alarms": noop(), "hazards": noop(),
		"inspections": noop(), "employments": noop()}
	if err := h.s.AddConfigured(specsOf(sch), jobs); err != nil {
		t.Fatalf("AddConfigured = %v (alerts is off, so it needs no job)", err)
	}
	var got []string
	for _, e := range h.s.Entries() {
		got = append(got, fmt.Sprintf("%s@%s", e.Name, e.Next.Format("15:04:05")))
	}
	if want := "enterprises@01:30:00 certificates@02:00:00 alarms@01:30:00 hazards@01:30:00 inspections@03:00:00 employments@02:30:00"; strings.Join(got, " ") != want {
		t.Fatalf("entries = %v, want %s", got, want)
	}
	h2 := newHarness(t, redisConn(t), base, "i")
	delete(jobs, "alarms")
	if err := h2.s.AddConfigured(specsOf(sch), jobs); err == nil || !strings.Contains(err.Error(), "alarms") {
		t.Fatalf("AddConfigured without the alarms job = %v, want an error naming it", err)
	}
}

func TestAddRejectsBadSpecsAndNames(t *testing.T) {
	h := newHarness(t, redisConn(t), base, "i")
	for _, tc := range []struct{ name, spec string }{{"x", "0 30 1 * *"}, {"a b", "@daily"}, {"{x}", "@daily"}, {"", "@daily"}} {
		if err := h.s.Add(tc.name, tc.spec, noop()); err == nil {
			t.Errorf("Add(%q, %q) accepted", tc.name, tc.spec)
		}
	}
	if err := h.s.Add("ok", "@daily", noop()); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Add("ok", "@daily", noop()); err == nil {
		t.Error("Add accepted a job twice")
	}
}

func TestPreviousTickIsComputedFromTheSchedule(t *testing.T) {
	parser := specParser
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct{ spec, now, want string }{
		{"0 30 1 * * *", "2026-03-03 09:00:00", "2026-03-03 01:30:00"},
		{"0 30 1 * * *", "2026-03-03 01:29:59", "2026-03-02 01:30:00"},
		{"0 30 1 * * *", "2026-03-03 01:30:00", "2026-03-03 01:30:00"},
		{"0 */5 * * * *", "2026-03-03 10:07:13", "2026-03-03 10:05:00"},
		{"0 0 8 1 * *", "2026-03-20 00:00:00", "2026-03-01 08:00:00"},
		{"0 0 0 1 1 *", "2026-06-01 00:00:00", "2026-01-01 00:00:00"},
	}
	for _, tc := range tests {
		s, err := parser.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := previous(s, at(tc.now)); !got.Equal(at(tc.want)) {
			t.Errorf("previous(%q, %s) = %s, want %s", tc.spec, tc.now, got, tc.want)
		}
	}
}

// The race a catch-up once had: instance b starts just after a tick, sees no success at it yet
// and plans a catch-up; meanwhile instance a finishes the tick. The catch-up must not run the
// tick a second time. A tick whose run failed, or whose taker died, is caught up exactly once
// however many instances start at the same time.
func TestCatchUpNeverRerunsATickItsTakerRan(t *testing.T) {
	slot := time.Date(2026, 3, 2, 1, 30, 0, 0, shanghai)
	type outcome struct {
		name      string
		job       func(calls *atomic.Int64) Job
		taken     func(t *testing.T, h *harness, e *entry) // how the tick was taken before the catch-ups
		wantCalls int64
	}
	failOnce := func(calls *atomic.Int64) Job {
		return JobFunc(func(context.Context, RunOptions) (Result, error) {
			if calls.Add(1) == 1 {
				return Result{}, errors.New("platform unreachable")
			}
			return Result{}, nil
		})
	}
	scheduled := func(t *testing.T, h *harness, e *entry) { h.s.fire(e, slot, TriggerSchedule) }
	for _, tc := range []outcome{
		{"the tick ran", counting, scheduled, 1},
		{"the tick failed", failOnce, scheduled, 2},
		{"the taker died", counting, func(t *testing.T, h *harness, e *entry) {
			// Its marker is there; its lock expired with it; nothing was recorded.
			if err := h.raw.Set(context.Background(), h.keys.Slot(e.name, slotName(slot, false)), "dead", time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"no instance took it", counting, func(*testing.T, *harness, *entry) {}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := redisConn(t)
			var calls atomic.Int64
			var hs []*harness
			for i := range 4 {
				h := newHarness(t, conn, slot.Add(2*time.Second), fmt.Sprintf("i%d", i))
				if err := h.s.Add("enterprises", "0 30 1 * * *", tc.job(&calls)); err != nil {
					t.Fatal(err)
				}
				hs = append(hs, h)
			}
			tc.taken(t, hs[0], hs[0].s.entries["enterprises"])
			before := calls.Load()
			var wg sync.WaitGroup
			for _, h := range hs[1:] {
				wg.Add(1)
				go func() { defer wg.Done(); h.s.fire(h.s.entries["enterprises"], slot, TriggerCatchUp) }()
			}
			wg.Wait()
			if got := calls.Load(); got != tc.wantCalls {
				t.Fatalf("job ran %d times (%d before the catch-ups), want %d", got, before, tc.wantCalls)
			}
		})
	}
}
