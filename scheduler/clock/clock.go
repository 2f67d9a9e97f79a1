// Package clock is the time source of the scheduler and the retry queue. Everything in them that
// time decides — when a tick is due, which slot it names, backoff, leases, deadlines, catch-up —
// asks a Clock, so that tests drive time with a Fake instead of sleeping on the wall clock.
//
// Timers are set for an absolute instant (TimerAt), not a duration: a goroutine that computed a
// wake-up time from Now cannot miss it because the clock moved before the timer was armed.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and wakes goroutines at a given instant.
type Clock interface {
	Now() time.Time
	// TimerAt returns a timer whose channel receives once the clock reaches t (at once when it
	// already has).
	TimerAt(t time.Time) Timer
}

// Timer is a one-shot timer; Stop releases it.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Real is the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) TimerAt(t time.Time) Timer { return realTimer{time.NewTimer(time.Until(t))} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// SleepUntil waits until c reaches t or ctx ends; it returns ctx's error in the latter case.
func SleepUntil(ctx context.Context, c Clock, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.Now().Before(t) {
		return nil
	}
	tm := c.TimerAt(t)
	defer tm.Stop()
	select {
	case <-tm.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sleep waits for d on c, or until ctx ends.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	return SleepUntil(ctx, c, c.Now().Add(d))
}
