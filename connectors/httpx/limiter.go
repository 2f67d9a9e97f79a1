package httpx

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces requests below a platform's rate limit (golang.org/x/time/rate) and counts how
// long callers waited for it. One Limiter per set of credentials: the platforms count per app key
// or client, so the sync jobs and the retry workers share it.
type Limiter struct {
	lim    *rate.Limiter
	waited atomic.Int64 // nanoseconds
	waits  atomic.Int64
}

// NewLimiter allows perSecond requests per second with bursts of burst. perSecond ≤ 0 or
// +Inf lifts the limit (benchmarks against a mock without one).
func NewLimiter(perSecond float64, burst int) *Limiter {
	r := rate.Limit(perSecond)
	if perSecond <= 0 {
		r = rate.Inf
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{lim: rate.NewLimiter(r, burst)}
}

// Wait blocks until the next request may go, or ctx ends. It returns how long the limiter held
// the caller: the delay of its reservation, exact rather than measured, so that a free slot
// never counts as a wait however busy the machine is.
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil || l.lim.Limit() == rate.Inf {
		return 0, err
	}
	r := l.lim.Reserve()
	d := r.Delay()
	if d == 0 {
		return 0, nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		// The wait would outlast ctx's deadline: to callers that is the deadline.
		r.Cancel()
		return 0, fmt.Errorf("%w (rate limit wait of %v)", context.DeadlineExceeded, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		l.waited.Add(int64(d))
		l.waits.Add(1)
		return d, nil
	case <-ctx.Done():
		r.Cancel()
		return 0, ctx.Err()
	}
}

// Waited is the total time callers spent waiting for the limiter, and how many waits that was.
func (l *Limiter) Waited() (time.Duration, int64) {
	return time.Duration(l.waited.Load()), l.waits.Load()
}

// Limit returns the configured rate (rate.Inf when lifted) and burst.
func (l *Limiter) Limit() (rate.Limit, int) { return l.lim.Limit(), l.lim.Burst() }
