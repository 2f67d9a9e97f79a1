package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/scheduler/clock"
)

// A loss of Redis data — a restart without persistence, a failover that lost writes, FLUSHDB —
// loses the retry queue, the watermarks, the locks and the tick markers without an error: every
// command simply finds nothing. The daemons notice it by a marker key, written once and expected
// from then on; the ledger remembers what it should hold, so that a daemon (re)started on an
// emptied Redis notices too.

// MarkerStore is where the daemons remember the marker they expect in Redis (the ledger).
type MarkerStore interface {
	// RedisMarker returns the marker expected in Redis ("" before the first start) and the
	// last recorded loss (zero: none) with the instance that noticed it.
	RedisMarker(ctx context.Context) (marker string, lostAt time.Time, by string, err error)
	// SetRedisMarker stores the expected marker; a non-zero lostAt records a loss.
	SetRedisMarker(ctx context.Context, marker string, lostAt time.Time, by string) error
}

// CheckRedis compares the marker in Redis with the one the ledger expects. A marker gone while
// one is expected means Redis lost its data: the scheduler logs it as an error, records the loss
// in the ledger and writes a new marker; it reports true. Without WithRedisMarks it does nothing.
func (s *Scheduler) CheckRedis(ctx context.Context) (bool, error) {
	if s.marks == nil {
		return false, nil
	}
	expected, _, _, err := s.marks.RedisMarker(ctx)
	if err != nil {
		return false, fmt.Errorf("scheduler: expected redis marker: %w", err)
	}
	cur, err := s.locks.Marker(ctx)
	if err != nil {
		return false, fmt.Errorf("scheduler: redis marker: %w", err)
	}
	switch {
	case cur != "" && cur == expected:
		return false, nil
	case cur != "":
		// A marker the ledger does not know yet: another instance has just written it (after
		// the first start, or after noticing a loss), or this ledger is new to this Redis.
		return false, s.marks.SetRedisMarker(ctx, cur, time.Time{}, "")
	}
	// No marker: the first instance to write one decides, once, what its absence means.
	marker := newToken()
	won, err := s.locks.SetMarker(ctx, marker)
	if err != nil {
		return false, fmt.Errorf("scheduler: redis marker: %w", err)
	}
	if !won {
		return false, nil // another instance wrote it; the next check adopts it
	}
	if expected == "" {
		return false, s.marks.SetRedisMarker(ctx, marker, time.Time{}, "")
	}
	now := s.clock.Now()
	s.log.Error("redis lost its data: its keys are gone (a restart without persistence, a failover, FLUSHDB); "+
		"the jobs rebuild what was queued from the ledger at their next run", zap.Time("noticed", now))
	return true, s.marks.SetRedisMarker(ctx, marker, now, s.instance)
}

// watchRedis checks the marker every markerEvery until ctx ends.
func (s *Scheduler) watchRedis(ctx context.Context) {
	for {
		if clock.Sleep(ctx, s.clock, s.markerEvery) != nil {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := s.CheckRedis(cctx); err != nil && ctx.Err() == nil {
			s.log.Warn("checking the Redis marker failed; trying again in a minute", zap.Error(err))
		}
		cancel()
	}
}

// RedisLoss is a loss of Redis data the office should know about: when it was noticed, and the
// jobs that have not completed a run since (until they have, work that was only queued in Redis
// may still be missing).
type RedisLoss struct {
	LostAt    time.Time `json:"lostAt"`
	NoticedBy string    `json:"noticedBy"`
	Waiting   []string  `json:"waiting"`
	Message   string    `json:"message"` // Chinese, with what to do
}

// RedisLoss returns the last loss of Redis data while it is outstanding: until every enabled job
// has had a run that succeeded (success or partial) since it was noticed. nil: none.
func (s *Scheduler) RedisLoss(ctx context.Context) (*RedisLoss, error) {
	if s.marks == nil {
		return nil, nil
	}
	_, lostAt, by, err := s.marks.RedisMarker(ctx)
	if err != nil || lostAt.IsZero() {
		return nil, err
	}
	var waiting []string
	for _, e := range s.Entries() {
		if !e.Enabled {
			continue
		}
		last, ok, err := s.history.LastSuccess(ctx, e.Name)
		if err != nil {
			return nil, fmt.Errorf("scheduler: last success of %s: %w", e.Name, err)
		}
		if !ok || last.Start.Before(lostAt) {
			waiting = append(waiting, e.Name)
		}
	}
	if len(waiting) == 0 {
		return nil, nil
	}
	return &RedisLoss{LostAt: lostAt, NoticedBy: by, Waiting: waiting,
		Message: fmt.Sprintf(msgRedisLost, lostAt.In(s.loc).Format("2006-01-02 15:04:05"), by, strings.Join(waiting, "、"))}, nil
}
