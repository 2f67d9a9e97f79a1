package retry

import (
	"errors"
	"fmt"
	"time"
)

// Policy is the retry policy — decided here and nowhere else.
type Policy struct {
	MaxAttempts     int           // failed attempts (by the queue) before an item is dead
	BaseDelay       time.Duration // the first retry's delay
	MaxDelay        time.Duration // the backoff's ceiling (a longer Retry-After still wins)
	Deadline        time.Duration // an item older than this is dead, whatever its attempts
	DeadRetention   time.Duration // how long dead items are kept
	Lease           time.Duration // how long a claim lasts without renewal
	Workers         int           // default concurrency per job kind
	UnknownAttempts int           // attempts ending in an unclassified error before an item is dead
	// Jitter lengthens each delay by up to this fraction at random (0.2: 30s becomes 30–36s), so
	// that records that failed together do not all come back together.
	Jitter float64
	// MaxErrors is how many error records an item keeps (the oldest go first).
	MaxErrors int
}

// DefaultPolicy is the policy of the default configuration (internal/config's retry section;
// internal/app fills a Policy from the configured one, and its test keeps the two equal).
func DefaultPolicy() Policy {
	return Policy{
		MaxAttempts:     12,
		BaseDelay:       30 * time.Second,
		MaxDelay:        6 * time.Hour,
		Deadline:        7 * 24 * time.Hour,
		DeadRetention:   30 * 24 * time.Hour,
		Lease:           60 * time.Second,
		Workers:         4,
		UnknownAttempts: 3,
		Jitter:          0.2,
		MaxErrors:       100,
	}
}

func (p Policy) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(p.MaxAttempts >= 1, "max attempts %d: want at least 1", p.MaxAttempts)
	check(p.BaseDelay > 0, "base delay %s: want > 0", p.BaseDelay)
	check(p.MaxDelay >= p.BaseDelay, "max delay %s: want ≥ base delay %s", p.MaxDelay, p.BaseDelay)
	check(p.Deadline > 0, "deadline %s: want > 0", p.Deadline)
	check(p.DeadRetention > 0, "dead retention %s: want > 0", p.DeadRetention)
	check(p.Lease >= 3*time.Millisecond, "lease %s: want ≥ 3ms", p.Lease)
	check(p.Workers >= 1, "workers %d: want at least 1", p.Workers)
	check(p.UnknownAttempts >= 1, "unknown attempts %d: want at least 1", p.UnknownAttempts)
	check(p.Jitter >= 0 && p.Jitter <= 1, "jitter %g: want 0…1", p.Jitter)
	check(p.MaxErrors >= 1, "max errors %d: want at least 1", p.MaxErrors)
	if len(errs) > 0 {
		return fmt.Errorf("retry policy: %w", errors.Join(errs...))
	}
	return nil
}

// Delay is the backoff before the next attempt, after the attempt-th failed attempt (1, 2, …):
// BaseDelay·2^(attempt-1), lengthened by up to Jitter (rnd in [0,1) picks how much), never more
// than MaxDelay. A Retry-After the platform sent wins when it is longer; the item's deadline,
// not MaxDelay, bounds it.
func (p Policy) Delay(attempt int, retryAfter time.Duration, rnd float64) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	d += time.Duration(float64(d) * p.Jitter * rnd)
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	if retryAfter > d {
		d = retryAfter
	}
	return d
}
