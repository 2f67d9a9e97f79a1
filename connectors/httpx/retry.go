package httpx

import (
	"errors"
	"math/rand/v2"
	"time"
)

// RetryPolicy bounds the short retry inside one call. Anything longer belongs to the retry queue:
// a call never blocks its goroutine for minutes because a platform asked for 1800 s.
type RetryPolicy struct {
	Attempts  int           // attempts in all for transient failures
	BaseDelay time.Duration // first backoff, doubled on each attempt, with jitter
	MaxDelay  time.Duration // cap on one backoff
	MaxWait   time.Duration // a Retry-After longer than this is returned to the caller at once
	Budget    time.Duration // total waiting within one call
}

// DefaultRetryPolicy is 3 attempts, 250 ms then 500 ms (±50 % jitter), Retry-After honoured up to
// 2 s, at most 3 s of waiting per call.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Attempts:  3,
		BaseDelay: 250 * time.Millisecond,
		MaxDelay:  time.Second,
		MaxWait:   2 * time.Second,
		Budget:    3 * time.Second,
	}
}

// Reason says why a call is repeated (for the debug log).
type Reason string

// The reasons to repeat a call.
const (
	ReasonReauth    Reason = "access token refused: re-authenticate once"
	ReasonNonce     Reason = "nonce reused: fresh nonce once"
	ReasonRetryable Reason = "transient failure"
)

// Retrier decides, attempt after attempt of one call, whether to repeat it and after how long
// (stripe-go's shouldRetry, returning its reason). It is the only retry loop in the connectors.
type Retrier struct {
	policy     RetryPolicy
	idempotent bool

	reauthed bool
	renonced bool
	failures int
	waited   time.Duration
}

// NewRetrier starts the decisions for one call. A call that is not idempotent is repeated only
// when the platform refused it before doing anything (token, nonce, rate limit).
func NewRetrier(p RetryPolicy, idempotent bool) *Retrier {
	return &Retrier{policy: p, idempotent: idempotent}
}

// Next reports whether to repeat the call after err, why, and after how long.
func (r *Retrier) Next(err error) (Reason, time.Duration, bool) {
	var ae *APIError
	if !errors.As(err, &ae) {
		return "", 0, false // the caller's context ended, or nothing the platform said
	}
	switch {
	case errors.Is(err, ErrTokenExpired):
		// 40101 / 401: exactly one re-authentication and one repeat (both contracts).
		if r.reauthed {
			return "", 0, false
		}
		r.reauthed = true
		return ReasonReauth, 0, true
	case errors.Is(err, ErrNonceReused):
		// 40104: the nonce was recorded; the repeat carries a fresh one.
		if r.renonced {
			return "", 0, false
		}
		r.renonced = true
		return ReasonNonce, 0, true
	}
	if ae.Kind != KindTransient {
		return "", 0, false
	}
	if !r.idempotent && !errors.Is(err, ErrRateLimited) {
		return "", 0, false
	}
	r.failures++
	if r.failures >= r.policy.Attempts {
		return "", 0, false
	}
	wait := ae.Wait
	if wait > r.policy.MaxWait {
		return "", 0, false // the queue waits, not a goroutine
	}
	if wait <= 0 {
		wait = r.backoff()
	}
	if r.waited+wait > r.policy.Budget {
		return "", 0, false
	}
	r.waited += wait
	return ReasonRetryable, wait, true
}

// backoff is BaseDelay·2^(n−1), capped, with ±50 % jitter so that concurrent callers spread out.
func (r *Retrier) backoff() time.Duration {
	d := r.policy.BaseDelay << (r.failures - 1)
	if d > r.policy.MaxDelay || d <= 0 {
		d = r.policy.MaxDelay
	}
	return d/2 + rand.N(d+1)
}
