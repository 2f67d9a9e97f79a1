package retry

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// RetryNow is 立即重试: an operator fixed what made items fail and does not want to wait for the
// backoff. A waiting item's next attempt moves to now (its attempts, deadline and error history
// are kept); a dead item is replayed as RetryDead does. An item a worker holds is left to it. It
// reports how many items are due now; unknown IDs are named in an error wrapping ErrNotFound,
// items being worked on in one wrapping ErrBusy.
func (q *Queue) RetryNow(ctx context.Context, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	states, err := q.b.DueNow(ctx, q.clock.Now(), ids)
	if err != nil {
		return 0, fmt.Errorf("retry: retry now: %w", err)
	}
	var dead, missing, busy []string
	waiting := 0
	for i, id := range ids {
		switch states[i] {
		case "queued":
			waiting++
		case "dead":
			dead = append(dead, id)
		case "active":
			busy = append(busy, id)
		default:
			missing = append(missing, id)
		}
	}
	if waiting > 0 {
		q.wake.fire()
	}
	n := waiting
	var errs []error
	if len(dead) > 0 {
		replayed, err := q.RetryDead(ctx, dead...)
		n += replayed
		errs = append(errs, err)
	}
	if len(busy) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrBusy, strings.Join(busy, ", ")))
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrNotFound, strings.Join(missing, ", ")))
	}
	return n, errors.Join(errs...)
}
