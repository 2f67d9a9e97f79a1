package retry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
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
	pipe := q.rdb.Pipeline()
	states := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		states[i] = pipe.HMGet(ctx, q.keys.item(id), "state", "kind")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("retry: retry now: %w", err)
	}
	now := q.clock.Now().UnixMilli()
	var dead, missing, busy []string
	pipe = q.rdb.Pipeline()
	waiting := 0
	for i, id := range ids {
		v := states[i].Val()
		state, _ := v[0].(string)
		kind, _ := v[1].(string)
		switch state {
		case "queued":
			// One key: only a member still waiting in this kind's queue moves, and only earlier
			// (XX LT): an item claimed or finished in between is not touched.
			pipe.ZAddArgs(ctx, q.keys.queue(kind), redis.ZAddArgs{XX: true, LT: true, Members: []redis.Z{{Score: float64(now), Member: id}}})
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
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("retry: retry now: %w", err)
		}
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
