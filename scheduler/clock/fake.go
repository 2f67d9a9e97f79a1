package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Fake is a clock that moves only when told to (Advance, Set). Timers fire, in deadline order,
// when the time they wait for is reached. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever the set of timers changes
}

// NewFake returns a fake clock showing now.
func NewFake(now time.Time) *Fake {
	return &Fake{now: now, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// TimerAt arms a timer for t.
func (f *Fake) TimerAt(t time.Time) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := &fakeTimer{f: f, at: t, c: make(chan time.Time, 1)}
	if !f.now.Before(t) {
		ft.c <- f.now
		return ft
	}
	f.timers = append(f.timers, ft)
	f.notifyLocked()
	return ft
}

// Advance moves the clock forward by d and fires the timers that fall due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(f.now.Add(d))
}

// Set moves the clock to t (forward or back) and fires the timers that fall due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(t)
}

func (f *Fake) setLocked(t time.Time) {
	f.now = t
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	kept := f.timers[:0]
	fired := false
	for _, ft := range f.timers {
		if !t.Before(ft.at) {
			ft.c <- t
			fired = true
			continue
		}
		kept = append(kept, ft)
	}
	for i := len(kept); i < len(f.timers); i++ {
		f.timers[i] = nil
	}
	f.timers = kept
	if fired {
		f.notifyLocked()
	}
}

// Timers reports how many timers are armed and not yet fired.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// Next returns the earliest armed timer's deadline (false when none is armed).
func (f *Fake) Next() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	for _, ft := range f.timers {
		if next.IsZero() || ft.at.Before(next) {
			next = ft.at
		}
	}
	return next, !next.IsZero()
}

// BlockUntil waits until at least n timers are armed — that is, until the goroutines under test
// have gone to sleep on this clock — or ctx ends.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		have, ch := len(f.timers), f.changed
		f.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f  *Fake
	at time.Time
	c  chan time.Time
}

func (ft *fakeTimer) C() <-chan time.Time { return ft.c }

func (ft *fakeTimer) Stop() bool {
	f := ft.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.timers {
		if x == ft {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.notifyLocked()
			return true
		}
	}
	return false
}
