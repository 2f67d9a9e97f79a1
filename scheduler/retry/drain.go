package retry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Drain works the given kinds now (`queue drain`): it runs their workers until no item of those
// kinds is pending or scheduled — waiting for scheduled items until they are due — or until
// timeout has passed on the queue's clock, then stops them gracefully. It returns the queue's
// stats (all kinds) at the end; running out of time is not an error.
func (q *Queue) Drain(ctx context.Context, timeout time.Duration, workers ...Worker) (Stats, error) {
	runners := make([]*runner, 0, len(workers))
	kinds := make(map[string]bool, len(workers))
	for _, w := range workers {
		r, err := q.newRunner(w)
		if err != nil {
			return Stats{}, err
		}
		if kinds[w.Kind] {
			return Stats{}, fmt.Errorf("retry: drain: two workers for %s", w.Kind)
		}
		kinds[w.Kind] = true
		runners = append(runners, r)
	}
	dctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() { defer wg.Done(); r.run(dctx) }()
	}

	deadline := q.clock.Now().Add(timeout)
	var err error
	for {
		moved := q.moved.C()
		left, serr := q.statsOf(ctx, kinds)
		if serr != nil {
			err = serr
			break
		}
		if left.Pending == 0 && left.Scheduled == 0 {
			break
		}
		now := q.clock.Now()
		if !now.Before(deadline) {
			break
		}
		wakeAt := now.Add(q.poll)
		if deadline.Before(wakeAt) {
			wakeAt = deadline
		}
		t := q.clock.TimerAt(wakeAt)
		select {
		case <-t.C():
		case <-moved:
		case <-ctx.Done():
			err = ctx.Err()
		}
		t.Stop()
		if err != nil {
			break
		}
	}
	stop()
	wg.Wait()
	final, ferr := q.Stats(context.WithoutCancel(ctx))
	return final, errors.Join(err, ferr)
}

func (q *Queue) statsOf(ctx context.Context, kinds map[string]bool) (Stats, error) {
	byKind, err := q.KindStats(ctx)
	if err != nil {
		return Stats{}, err
	}
	var s Stats
	for k, ks := range byKind {
		if kinds[k] {
			s.add(ks)
		}
	}
	return s, nil
}
