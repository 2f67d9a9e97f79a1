package scheduler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var runOrder = []string{"enterprises", "certificates", "alarms", "employments", "alerts"}

// gated is a job that says when it starts and runs until the test releases it, counting how many
// of the test's jobs run at once.
type gated struct {
	started chan string
	release map[string]chan struct{}
	done    chan struct{} // closed when the test ends: a failed test does not hang its cleanup
	running atomic.Int32
	overlap atomic.Int32 // the most jobs seen running at once
}

func newGated() *gated {
	g := &gated{started: make(chan string, 20), release: map[string]chan struct{}{}, done: make(chan struct{})}
	for _, n := range runOrder {
		g.release[n] = make(chan struct{}, 10)
	}
	return g
}

func (g *gated) job(name string) Job {
	return JobFunc(func(ctx context.Context, _ RunOptions) (Result, error) {
		n := g.running.Add(1)
		defer g.running.Add(-1)
		for {
			o := g.overlap.Load()
			if n <= o || g.overlap.CompareAndSwap(o, n) {
				break
			}
		}
		g.started <- name
		select {
		case <-g.release[name]:
		case <-ctx.Done():
		case <-g.done:
		}
		return Result{}, nil
	})
}

// next waits for the next job to start and lets it finish.
func (g *gated) next(t *testing.T) string {
	t.Helper()
	select {
	case name := <-g.started:
		return name
	case <-time.After(10 * time.Second):
		t.Fatal("no job started")
		return ""
	}
}

func (g *gated) finish(name string) { g.release[name] <- struct{}{} }

// The issue-14 first start: every job's slot has passed and none ever ran. The catch-up runs
// them one after another in dependency order, whatever order they were added in; the ticks that
// come due meanwhile behind a job still catching up wait for it — the alert check never starts
// before the certificates are in.
func TestCatchUpRunsDueJobsOneAfterAnotherInDependencyOrder(t *testing.T) {
	conn := redisConn(t)
	start := time.Date(2026, 3, 2, 7, 59, 0, 0, shanghai)
	h := newHarness(t, conn, start, "i", WithOrder(runOrder...))
	g := newGated()
	specs := map[string]string{"alerts": "0 0 8 * * *", "employments": "0 30 2 * * *", "enterprises": "0 30 1 * * *",
		"alarms": "0 */5 * * * *", "certificates": "0 0 2 * * *"}
	for _, name := range []string{"alerts", "employments", "enterprises", "alarms", "certificates"} {
		if err := h.s.Add(name, specs[name], g.job(name)); err != nil {
			t.Fatal(err)
		}
	}
	h.start(t)
	t.Cleanup(func() { close(g.done) })
	var got []string
	step := func(want string) {
		t.Helper()
		name := g.next(t)
		got = append(got, name)
		if name != want {
			t.Fatalf("jobs started %v, want %s next", got, want)
		}
	}
	step("enterprises")
	g.finish("enterprises")
	step("certificates")
	// 08:00 while the certificates are still being pulled: the alert check and the alarms are
	// due, behind the certificates; at 08:05 the alarms again (the 08:00 tick gives way).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.clock.Set(time.Date(2026, 3, 2, 8, 0, 0, 0, shanghai))
	if err := h.clock.BlockUntil(ctx, 5); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(time.Date(2026, 3, 2, 8, 5, 0, 0, shanghai))
	if err := h.clock.BlockUntil(ctx, 5); err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-g.started:
		t.Fatalf("%s started while the certificates were still running", name)
	default:
	}
	g.finish("certificates")
	for _, name := range []string{"alarms", "employments", "alerts"} {
		step(name)
		g.finish(name)
	}
	h.quiesce(t, 5)
	if o := g.overlap.Load(); o != 1 {
		t.Errorf("%d jobs ran at once, want one at a time", o)
	}
	var runs []string
	for _, r := range h.recorded() {
		runs = append(runs, fmt.Sprintf("%s/%s@%s/%s", r.Job, r.Trigger, r.Slot.In(shanghai).Format("15:04"), r.Outcome))
	}
	// (The order the jobs ran in is checked above; the superseded tick is recorded on the side.)
	sort.Strings(runs)
	want := "alarms/schedule@08:00/skipped alarms/schedule@08:05/success alerts/schedule@08:00/success " +
		"certificates/catchup@02:00/success employments/catchup@02:30/success enterprises/catchup@01:30/success"
	if strings.Join(runs, " ") != want {
		t.Fatalf("runs:\n got %s\nwant %s", strings.Join(runs, " "), want)
	}
	for _, r := range h.recorded() {
		if r.Outcome == OutcomeSkipped && r.Reason != msgSuperseded {
			t.Errorf("superseded tick %+v, want the reason %q", r, msgSuperseded)
		}
	}
	// The chain is over: the next alarm tick fires on its own.
	h.clock.Advance(5 * time.Minute)
	if name := g.next(t); name != "alarms" {
		t.Fatalf("after the catch-up %s started, want the alarms' 08:10 tick", name)
	}
	g.finish("alarms")
	h.quiesce(t, 5)
}

// A tick with no predecessor left in the chain does not wait: the enterprises need nothing the
// alert check produces.
func TestATickAheadOfTheCatchUpFiresAtOnce(t *testing.T) {
	start := time.Date(2026, 3, 2, 1, 29, 0, 0, shanghai)
	h := newHarness(t, redisConn(t), start, "i", WithOrder(runOrder...))
	g := newGated()
	if err := h.s.Add("enterprises", "0 30 1 * * *", g.job("enterprises")); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Add("alerts", "0 0 8 * * *", g.job("alerts")); err != nil {
		t.Fatal(err)
	}
	// The enterprises ran at 01:30 yesterday; only yesterday's alert check is missed.
	if err := historyOf(h.conn).RecordRun(context.Background(), Run{Job: "enterprises", Trigger: TriggerSchedule,
		Slot: start.Add(-24*time.Hour + time.Minute), Outcome: OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	t.Cleanup(func() { close(g.done) })
	if name := g.next(t); name != "alerts" {
		t.Fatalf("%s caught up, want alerts", name)
	}
	h.clock.Advance(time.Minute) // 01:30 while the alert check catches up
	if name := g.next(t); name != "enterprises" {
		t.Fatalf("%s started, want the enterprises' tick at once", name)
	}
	g.finish("enterprises")
	g.finish("alerts")
	h.quiesce(t, 2)
}
