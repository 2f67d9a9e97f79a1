package httpx

import (
	"context"
	"time"
)

// Clock is the time the connectors decide by: request timestamps, token expiry, Retry-After dates
// and the in-call retry waits. Tests inject a fake one; the rate limiter alone runs on real time,
// because the platforms' own limits do.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits d on clk, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, clk Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
