package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"streetsync/internal/jobs"
)

// A first load larger than a night is spread over runs by specialOps.maxRegistrationsPerRun: each
// run sends at most the cap, says (partial, in Chinese) how many are left for the next run, queues
// nothing and keeps its mark, and the runs together register exactly what one uncapped run does,
// each registration once.
func TestRegistrationsOverTheCapWaitForTheNextRun(t *testing.T) {
	const seed, enterprises = 31, 40
	registrations := func(w *world) []string {
		var out []string
		for _, e := range w.srv.SpecialOps.Employments() {
			end := ""
			if e.EndDate != nil {
				end = *e.EndDate
			}
			out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%s", e.CertNo, e.ItemCode, e.EnterpriseUSCC, e.StartDate, end, e.Status))
		}
		return out
	}

	control := newWorld(t, worldOptions{enterprises: enterprises, seed: seed})
	cr := control.runner()
	control.sync(cr, jobs.Enterprises, false)
	control.sync(cr, jobs.Certificates, false)
	want := control.sync(cr, jobs.Employments, false)[jobs.Employments].Pushed
	if want < 20 {
		t.Fatalf("an uncapped first load registers %d: too few to spread over runs", want)
	}
	limit := want/4 + 1 // four runs, the last one short

	w := newWorld(t, worldOptions{enterprises: enterprises, seed: seed})
	w.sync(w.runner(), jobs.Enterprises, false)
	w.sync(w.runner(), jobs.Certificates, false)
	left := want
	for run := 1; left > 0; run++ {
		if run > 4 {
			t.Fatalf("run %d and still %d left", run, left)
		}
		// The next night: later than the last run's mark by more than its margin, so that only a
		// mark kept where it was reads what the last run left.
		w.clk.Advance(10 * time.Minute)
		r := w.runnerWith(func(d *jobs.Deps) { d.MaxRegistrations = limit })
		before := w.writes()["employ"]
		s := w.sync(r, jobs.Employments, false)[jobs.Employments]
		puts := w.writes()["employ"] - before
		if s.Pushed != min(limit, left) || puts != s.Pushed || s.Queued != 0 {
			t.Fatalf("run %d: %+v after %d PUTs, want %d pushed and nothing queued", run, s, puts, min(limit, left))
		}
		left -= s.Pushed
		if left > 0 {
			wantReason := fmt.Sprintf("已达本次运行的登记上限 %d 条（specialOps.maxRegistrationsPerRun），其余 %d 条仍待登记，下次运行接着登记", limit, left)
			if s.Outcome != jobs.OutcomePartial || !strings.Contains(s.Reason, wantReason) {
				t.Fatalf("run %d: outcome %s %q, want partial: %s", run, s.Outcome, s.Reason, wantReason)
			}
		} else if s.Outcome != jobs.OutcomeSuccess || s.Reason != "" {
			t.Fatalf("last run %d: outcome %s %q, want success", run, s.Outcome, s.Reason)
		}
	}
	st, err := w.queue.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending+st.Scheduled != 0 {
		t.Errorf("queue %+v: a capped run queues nothing", st)
	}
	if s := w.sync(w.runner(), jobs.Employments, false)[jobs.Employments]; s.Pushed != 0 {
		t.Errorf("a run after the last: %+v, want nothing left to send", s)
	}
	if got, exp := registrations(w), registrations(control); !slices.Equal(got, exp) {
		t.Errorf("registrations over capped runs differ from one uncapped run:\n%v\n%v", got, exp)
	}
}
