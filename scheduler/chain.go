package scheduler

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// The catch-up chain. Jobs depend on each other's data — employment registrations on the
// enterprises and certificates, the alert check on all of them — so when several are due at
// once, at Start after the daemon was down, they run one after another in the run order
// (WithOrder), never side by side: an alert check that ran before the certificates were pulled
// would call every on-duty operator uncertified.
//
// While the chain runs, a job's tick that comes due behind a predecessor still waiting or running
// in the chain joins the chain instead of firing (it waits for that predecessor); a tick of the
// same job already waiting there is superseded by the newer one and recorded as skipped. A tick
// with no predecessor left in the chain fires as usual.
//
// Other instances may run the same jobs: before each step the chain waits until the job's lock
// is free (or left by a process gone from this host), so that it follows the order even when
// another instance runs a predecessor; the step itself then claims the tick like any catch-up,
// which never runs a tick twice.

// chain is the catch-up chain's state, guarded by Scheduler.mu.
type chain struct {
	active  bool
	pending map[string]chainItem // by job: the tick each job waits to run
	current string               // the job the chain runs now
}

type chainItem struct {
	e       *entry
	slot    time.Time
	trigger Trigger
}

// next takes the pending job that comes first in the run order; false (and the chain ends) when
// none is left.
func (s *Scheduler) next() (chainItem, bool) {
	c := &s.chain
	best, found := "", false
	for name := range c.pending {
		if !found || s.rank(name) < s.rank(best) {
			best, found = name, true
		}
	}
	if !found {
		*c = chain{}
		return chainItem{}, false
	}
	it := c.pending[best]
	delete(c.pending, best)
	c.current = best
	return it, true
}

// runChain runs the chain's steps until none is left or ctx ends (Stop).
func (s *Scheduler) runChain(ctx context.Context) {
	for {
		s.mu.Lock()
		it, ok := s.next()
		s.mu.Unlock()
		if !ok {
			return
		}
		if s.waitIdle(ctx, it.e.name) != nil {
			s.mu.Lock()
			s.chain = chain{}
			s.mu.Unlock()
			return
		}
		s.fire(it.e, it.slot, it.trigger)
	}
}

// deferToChain puts e's tick slot into the chain when a job before e in the run order is still
// waiting or running there; it reports whether it did.
func (s *Scheduler) deferToChain(e *entry, slot time.Time) bool {
	s.mu.Lock()
	c := &s.chain
	if !c.active {
		s.mu.Unlock()
		return false
	}
	r := s.rank(e.name)
	behind := c.current != "" && s.rank(c.current) < r
	for name := range c.pending {
		behind = behind || s.rank(name) < r
	}
	if !behind {
		s.mu.Unlock()
		return false
	}
	old, superseded := c.pending[e.name]
	c.pending[e.name] = chainItem{e: e, slot: slot, trigger: TriggerSchedule}
	s.mu.Unlock()
	s.log.Info("tick waits for the catch-up of an earlier job", zap.String("job", e.name), zap.Time("slot", slot))
	if superseded && old.trigger == TriggerSchedule {
		s.spawn(func() { s.skipTick(old) })
	}
	return true
}

// skipTick records a scheduled tick that a newer one of the same job replaced in the chain —
// once, by the instance that takes its marker.
func (s *Scheduler) skipTick(it chainItem) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ok, err := s.locks.MarkSlot(ctx, it.e.name, slotName(it.slot, false), slotTTL(it.e.sched, it.slot))
	if err != nil {
		s.log.Warn("cannot mark a superseded tick", zap.String("job", it.e.name), zap.Error(err))
		return
	}
	if ok {
		now := s.clock.Now()
		s.record(Run{Job: it.e.name, Trigger: it.trigger, Slot: it.slot, Start: now, End: now, Outcome: OutcomeSkipped,
			Reason: msgSuperseded, Instance: s.instance})
	}
}

// waitIdle waits until job's lock is free, or held by a process gone from this host (the step
// takes it over). It polls Redis in real time, as the lease is counted there; an error reading
// the lock ends the wait (the step's claim then reports it).
func (s *Scheduler) waitIdle(ctx context.Context, job string) error {
	t := time.NewTicker(s.idlePoll)
	defer t.Stop()
	for {
		h, held, err := s.locks.Holder(ctx, job)
		if err != nil || !held || s.locks.Gone(h) {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
