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

// Wait blocks until the next request may go, or ctx ends. It returns how long it waited.
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	if l.lim.Limit() == rate.Inf {
		return 0, ctx.Err()
	}
	start := time.Now()
	err := l.lim.Wait(ctx)
	d := time.Since(start)
	if err != nil && ctx.Err() == nil {
		// rate refuses early when the wait would outlast ctx's deadline; to callers that is the
		// deadline, not a failure of its own.
		err = fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	if d > 50*time.Microsecond { // a free token is not a wait
		l.waited.Add(int64(d))
		l.waits.Add(1)
	} else {
		d = 0
	}
	return d, err
}

// Waited is the total time callers spent waiting for the limiter, and how many waits that was.
func (l *Limiter) Waited() (time.Duration, int64) {
	return time.Duration(l.waited.Load()), l.waits.Load()
}

// Limit returns the configured rate (rate.Inf when lifted) and burst.
func (l *Limiter) Limit() (rate.Limit, int) { return l.lim.Limit(), l.lim.Burst() }
