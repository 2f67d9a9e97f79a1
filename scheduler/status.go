package scheduler

import (
	"context"
	"fmt"
	"time"
)

// TickState says what became of a job's latest tick that should have run by now.
type TickState string

const (
	// TickOK: it ran, starting within a minute of its slot.
	TickOK TickState = "ok"
	// TickLate: it ran, but started more than a minute after its slot (a catch-up, a tick that
	// waited for an earlier job, a busy instance).
	TickLate TickState = "late"
	// TickMissed: it did not run — no instance was up, the job was still running, or the tick's
	// taker died — and no run will make up for it until the next tick or start.
	TickMissed TickState = "missed"
	// TickRunning: a run of the job is under way.
	TickRunning TickState = "running"
	// TickDue: its slot has just passed; an instance is about to run it.
	TickDue TickState = "due"
)

// JobStatus is where a job stands: its schedule, what became of its latest tick, its last run
// and its last success.
type JobStatus struct {
	Job     string    `json:"job"`
	Spec    string    `json:"spec"`
	Enabled bool      `json:"enabled"`
	Next    time.Time `json:"next,omitzero"` // the next tick (enabled jobs)
	// Tick is the latest tick at or before now (zero: switched off, or none yet); TickState
	// says what became of it, TickText the same in Chinese.
	Tick        time.Time `json:"tick,omitzero"`
	TickState   TickState `json:"tickState,omitempty"`
	TickText    string    `json:"tickText,omitempty"`
	LastRun     *Run      `json:"lastRun,omitempty"`     // any outcome, manual runs included
	LastSuccess *Run      `json:"lastSuccess,omitempty"` // success or partial
	Holder      *Holder   `json:"holder,omitempty"`      // who runs the job now
}

// statusGrace is how long after its slot a tick that has not started is still only due.
const statusGrace = time.Minute

// Status tells, for every registered job in run order, what became of its latest tick, when the
// next one is, and its last run and last success.
func (s *Scheduler) Status(ctx context.Context) ([]JobStatus, error) {
	s.mu.Lock()
	names := s.inOrder()
	entries := make([]*entry, len(names))
	for i, n := range names {
		entries[i] = s.entries[n]
	}
	s.mu.Unlock()
	now := s.clock.Now().In(s.loc)
	out := make([]JobStatus, 0, len(entries))
	for _, e := range entries {
		st := JobStatus{Job: e.name, Spec: e.spec, Enabled: e.sched != nil}
		last, _, err := s.history.Runs(ctx, e.name, RunQuery{Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("scheduler: status of %s: %w", e.name, err)
		}
		if len(last) > 0 {
			st.LastRun = &last[0]
		}
		if ok, found, err := s.history.LastSuccess(ctx, e.name); err != nil {
			return nil, fmt.Errorf("scheduler: status of %s: %w", e.name, err)
		} else if found {
			st.LastSuccess = &ok
		}
		h, held, err := s.locks.Holder(ctx, e.name)
		if err != nil {
			return nil, err
		}
		if held {
			st.Holder = &h
		}
		if e.sched != nil {
			st.Next = e.sched.Next(now)
			if st.Tick = previous(e.sched, now); !st.Tick.IsZero() {
				if st.TickState, err = s.tickState(ctx, e.name, st.Tick, now, held); err != nil {
					return nil, err
				}
				st.TickText = st.TickState.Text()
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// tickState decides what became of job's tick at slot from the runs of that tick.
func (s *Scheduler) tickState(ctx context.Context, job string, slot, now time.Time, running bool) (TickState, error) {
	runs, _, err := s.history.Runs(ctx, job, RunQuery{Slot: slot})
	if err != nil {
		return "", fmt.Errorf("scheduler: runs of %s at %s: %w", job, slot, err)
	}
	skipped := false
	for _, r := range runs {
		switch {
		case r.Trigger == TriggerManual:
			// A manual run asked at that very instant is not the tick's.
		case r.Outcome == OutcomeSkipped:
			skipped = true
		case r.Start.Sub(slot) > s.maxLate:
			return TickLate, nil
		default:
			return TickOK, nil
		}
	}
	switch {
	case skipped:
		return TickMissed, nil
	case running:
		return TickRunning, nil
	case now.Sub(slot) <= statusGrace:
		return TickDue, nil
	}
	return TickMissed, nil
}
