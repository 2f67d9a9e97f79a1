// Package limit is the mocks' token bucket, driven by the platform's injected clock so that rate
// limiting is deterministic in tests.
package limit

import (
	"math"
	"time"
)

// Bucket allows rate requests per second with bursts of burst. The zero Bucket allows everything.
// It is not safe for concurrent use; the platforms hold it under their lock.
type Bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// New returns a full bucket. rate ≤ 0 means unlimited.
func New(rate float64, burst int) *Bucket {
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// Take takes one token at now. When none is left it returns false and how long until one is.
func (b *Bucket) Take(now time.Time) (ok bool, wait time.Duration) {
	if b == nil || b.rate <= 0 {
		return true, 0
	}
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// Seconds rounds a wait up to whole seconds, at least 1, as a Retry-After header carries it.
func Seconds(wait time.Duration) int {
	s := int(math.Ceil(wait.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
