package retry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Stats counts items, as `queue stats` prints them.
type Stats struct {
	Pending   int `json:"pending"`   // due now or being worked on
	Scheduled int `json:"scheduled"` // waiting for their next attempt
	Dead      int `json:"dead"`      // out of attempts, kept for an operator
	Active    int `json:"-"`         // of Pending, those a worker holds
}

func (s *Stats) add(o Stats) {
	s.Pending += o.Pending
	s.Scheduled += o.Scheduled
	s.Dead += o.Dead
	s.Active += o.Active
}

// Stats counts the items of every kind. Dead items past their retention are purged first.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	byKind, err := q.KindStats(ctx)
	if err != nil {
		return Stats{}, err
	}
	var total Stats
	for _, s := range byKind {
		total.add(s)
	}
	return total, nil
}

// KindStats counts the items of each job kind.
func (q *Queue) KindStats(ctx context.Context) (map[string]Stats, error) {
	q.maybePurge(ctx)
	res, err := statsScript.Run(ctx, q.rdb, []string{q.keys.kinds()}, q.keys.base, q.clock.Now().UnixMilli()).Slice()
	if err != nil {
		return nil, fmt.Errorf("retry: stats: %w", err)
	}
	out := make(map[string]Stats, len(res)/5)
	for i := 0; i+5 <= len(res); i += 5 {
		due, sched, active, dead := toInt(res[i+1]), toInt(res[i+2]), toInt(res[i+3]), toInt(res[i+4])
		out[toString(res[i])] = Stats{Pending: due + active, Scheduled: sched, Dead: dead, Active: active}
	}
	return out, nil
}

// State is where an item is.
type State string

// Item states, as List reports them.
const (
	StateDue       State = "due"       // waiting, its next attempt is due
	StateScheduled State = "scheduled" // waiting for its next attempt
	StateActive    State = "active"    // a worker holds it
	StateDead      State = "dead"      // in the dead letters
)

// ItemInfo is an item as an operator sees it (`queue list`, the console). Keys are stored as
// given; masking ID numbers for display is the caller's job.
type ItemInfo struct {
	ID          string        `json:"id"`
	Kind        string        `json:"job"` // the operator contract calls the kind "job"
	Key         string        `json:"key"`
	State       State         `json:"state"`
	Attempts    int           `json:"attempts"`
	NextAttempt time.Time     `json:"nextAttempt,omitzero"` // waiting items
	LeaseUntil  time.Time     `json:"leaseUntil,omitzero"`  // active items
	LastError   string        `json:"lastError"`
	Errors      []ErrorRecord `json:"errors"` // oldest first
	FirstQueued time.Time     `json:"firstQueued"`
	Deadline    time.Time     `json:"deadline"`
	DeadSince   time.Time     `json:"deadSince,omitzero"`
	DeadReason  string        `json:"deadReason,omitempty"` // attempts | unknown | deadline | permanent; see DeadReasonText
}

// ErrorRecord is one entry of an item's error history.
type ErrorRecord struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"` // failed attempts counted when it happened (0: before the first)
	Class   string    `json:"class"`   // transient | unknown | permanent | quarantined | lease | replay
	Error   string    `json:"error"`
}

// storedError is an error record as kept in Redis (time in unix milliseconds).
type storedError struct {
	At      int64  `json:"at"`
	Attempt int    `json:"attempt"`
	Class   string `json:"class"`
	Error   string `json:"error"`
}

// ListOptions select what List returns.
type ListOptions struct {
	Dead  bool   // the dead letters instead of the live items
	Kind  string // one job kind only ("" = all)
	Limit int    // at most this many (0 = 1000)
}

// List returns items, live ones by next attempt, dead ones by the time they died, with their
// whole error history.
func (q *Queue) List(ctx context.Context, opt ListOptions) ([]ItemInfo, error) {
	if opt.Limit <= 0 {
		opt.Limit = 1000
	}
	q.maybePurge(ctx)
	kinds, err := q.kindList(ctx, opt.Kind)
	if err != nil {
		return nil, err
	}
	type ref struct {
		id    string
		score float64
		state State
	}
	pipe := q.rdb.Pipeline()
	type zq struct {
		cmd   *redis.ZSliceCmd
		state State
	}
	var zs []zq
	for _, k := range kinds {
		if opt.Dead {
			zs = append(zs, zq{pipe.ZRangeWithScores(ctx, q.keys.dead(k), 0, int64(opt.Limit-1)), StateDead})
			continue
		}
		zs = append(zs, zq{pipe.ZRangeWithScores(ctx, q.keys.active(k), 0, int64(opt.Limit-1)), StateActive})
		zs = append(zs, zq{pipe.ZRangeWithScores(ctx, q.keys.queue(k), 0, int64(opt.Limit-1)), StateScheduled})
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("retry: list: %w", err)
	}
	now := q.clock.Now().UnixMilli()
	var refs []ref
	for _, z := range zs {
		for _, m := range z.cmd.Val() {
			st := z.state
			if st == StateScheduled && int64(m.Score) <= now {
				st = StateDue
			}
			refs = append(refs, ref{id: m.Member.(string), score: m.Score, state: st})
		}
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].score < refs[j].score })
	if len(refs) > opt.Limit {
		refs = refs[:opt.Limit]
	}
	infos, err := q.load(ctx, func(yield func(id string) bool) {
		for _, r := range refs {
			if !yield(r.id) {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]ItemInfo, 0, len(refs))
	for i, r := range refs {
		info := infos[i]
		if info == nil {
			continue // finished between the two reads
		}
		info.State = r.state
		switch r.state {
		case StateDue, StateScheduled:
			info.NextAttempt = time.UnixMilli(int64(r.score))
		case StateActive:
			info.LeaseUntil = time.UnixMilli(int64(r.score))
		}
		out = append(out, *info)
	}
	return out, nil
}

// Get returns one item by ID (ErrNotFound when there is none).
func (q *Queue) Get(ctx context.Context, id string) (ItemInfo, error) {
	infos, err := q.load(ctx, func(yield func(string) bool) { yield(id) })
	if err != nil {
		return ItemInfo{}, err
	}
	if infos[0] == nil {
		return ItemInfo{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	info := infos[0]
	var zkey string
	switch info.State {
	case StateDead:
		return *info, nil
	case StateActive:
		zkey = q.keys.active(info.Kind)
	default:
		zkey = q.keys.queue(info.Kind)
	}
	score, err := q.rdb.ZScore(ctx, zkey, id).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return ItemInfo{}, fmt.Errorf("retry: get %s: %w", id, err)
	}
	if info.State == StateActive {
		info.LeaseUntil = time.UnixMilli(int64(score))
	} else {
		info.NextAttempt = time.UnixMilli(int64(score))
		info.State = StateScheduled
		if int64(score) <= q.clock.Now().UnixMilli() {
			info.State = StateDue
		}
	}
	return *info, nil
}

// load reads item hashes and error histories in one round trip; nil where an item is gone.
func (q *Queue) load(ctx context.Context, ids func(yield func(string) bool)) ([]*ItemInfo, error) {
	pipe := q.rdb.Pipeline()
	type pair struct {
		id   string
		hash *redis.MapStringStringCmd
		errs *redis.StringSliceCmd
	}
	var ps []pair
	for id := range ids {
		ps = append(ps, pair{id, pipe.HGetAll(ctx, q.keys.item(id)), pipe.LRange(ctx, q.keys.errs(id), 0, -1)})
	}
	if len(ps) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("retry: read items: %w", err)
	}
	out := make([]*ItemInfo, len(ps))
	for i, p := range ps {
		h := p.hash.Val()
		if len(h) == 0 {
			continue
		}
		info := &ItemInfo{
			ID:          p.id,
			Kind:        h["kind"],
			Key:         h["key"],
			Attempts:    toInt(h["attempts"]),
			LastError:   decodeError(h["lastError"]),
			FirstQueued: fromMillis(toInt(h["first"])),
			Deadline:    fromMillis(toInt(h["deadline"])),
			DeadSince:   fromMillis(toInt(h["deadAt"])),
			DeadReason:  h["deadReason"],
			Errors:      []ErrorRecord{},
		}
		switch h["state"] {
		case "dead":
			info.State = StateDead
		case "active":
			info.State = StateActive
		default:
			info.State = StateScheduled
		}
		for _, raw := range p.errs.Val() {
			var r storedError
			if err := json.Unmarshal([]byte(raw), &r); err == nil {
				info.Errors = append(info.Errors, ErrorRecord{At: time.UnixMilli(r.At), Attempt: r.Attempt, Class: r.Class, Error: r.Error})
			}
		}
		out[i] = info
	}
	return out, nil
}

func (q *Queue) kindList(ctx context.Context, kind string) ([]string, error) {
	if kind != "" {
		return []string{kind}, nil
	}
	kinds, err := q.rdb.SMembers(ctx, q.keys.kinds()).Result()
	if err != nil {
		return nil, fmt.Errorf("retry: kinds: %w", err)
	}
	slices.Sort(kinds)
	return kinds, nil
}

// RetryDead replays dead items (`queue retry ID…`): each goes back to the queue, due now, with a
// fresh attempt budget and deadline; its error history stays. It returns how many were replayed;
// IDs that are not dead items are named in an ErrNotFound error, the others are replayed all the
// same.
func (q *Queue) RetryDead(ctx context.Context, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	now := q.clock.Now()
	args := []any{q.keys.base, now.UnixMilli(), now.Add(q.policy.Deadline).UnixMilli(), errorJSON(msgReplay), q.policy.MaxErrors}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := replayScript.Run(ctx, q.rdb, []string{q.keys.kinds()}, args...).Slice()
	if err != nil {
		return 0, fmt.Errorf("retry: replay: %w", err)
	}
	n, missing := 0, []string(nil)
	for i, v := range res {
		if toInt(v) == 1 {
			n++
			q.obs.QueueEvent(q.kindOf(ctx, ids[i]), EventReplayed)
		} else {
			missing = append(missing, ids[i])
		}
	}
	if n > 0 {
		q.wake.fire()
	}
	if len(missing) > 0 {
		return n, fmt.Errorf("%w among the dead letters: %s", ErrNotFound, strings.Join(missing, ", "))
	}
	return n, nil
}

// kindOf reads an item's kind, for the observer ("" when unknown).
func (q *Queue) kindOf(ctx context.Context, id string) string {
	k, _ := q.rdb.HGet(ctx, q.keys.item(id), "kind").Result()
	return k
}

// RetryAllDead replays every dead item of kind ("" = every kind): `queue retry --all-dead`.
func (q *Queue) RetryAllDead(ctx context.Context, kind string) (int, error) {
	kinds, err := q.kindList(ctx, kind)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, k := range kinds {
		for {
			ids, err := q.rdb.ZRange(ctx, q.keys.dead(k), 0, 499).Result()
			if err != nil {
				return total, fmt.Errorf("retry: replay: %w", err)
			}
			if len(ids) == 0 {
				break
			}
			n, err := q.RetryDead(ctx, ids...)
			total += n
			if err != nil && !errors.Is(err, ErrNotFound) {
				return total, err
			}
			if n == 0 {
				break
			}
		}
	}
	return total, nil
}

// Drop deletes items for good (`queue drop ID…`), dead or waiting; an item a worker holds is
// refused with ErrBusy, an unknown ID with ErrNotFound — the others are dropped all the same.
func (q *Queue) Drop(ctx context.Context, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	kinds := make([]string, len(ids))
	args := []any{q.keys.base}
	for i, id := range ids {
		args = append(args, id)
		kinds[i] = q.kindOf(ctx, id)
	}
	res, err := dropScript.Run(ctx, q.rdb, []string{q.keys.kinds()}, args...).Slice()
	if err != nil {
		return 0, fmt.Errorf("retry: drop: %w", err)
	}
	n := 0
	var missing, busy []string
	for i, v := range res {
		switch toInt(v) {
		case 1:
			n++
			q.obs.QueueEvent(kinds[i], EventDropped)
		case -1:
			busy = append(busy, ids[i])
		default:
			missing = append(missing, ids[i])
		}
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrNotFound, strings.Join(missing, ", ")))
	}
	if len(busy) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrBusy, strings.Join(busy, ", ")))
	}
	if n > 0 {
		q.moved.fire()
	}
	return n, errors.Join(errs...)
}

// Purge deletes dead items kept longer than DeadRetention; it returns how many.
func (q *Queue) Purge(ctx context.Context) (int, error) {
	now := q.clock.Now()
	q.lastPurge.Store(now.UnixMilli())
	cutoff := now.Add(-q.policy.DeadRetention).UnixMilli()
	const batch = 500
	total := 0
	for {
		n, err := purgeScript.Run(ctx, q.rdb, []string{q.keys.kinds()}, q.keys.base, cutoff, batch).Int()
		if err != nil {
			return total, fmt.Errorf("retry: purge: %w", err)
		}
		total += n
		if n < batch {
			return total, nil
		}
	}
}

// purgeEvery is how often reads and idle workers purge old dead items on their way.
const purgeEvery = time.Minute

func (q *Queue) maybePurge(ctx context.Context) {
	now := q.clock.Now().UnixMilli()
	last := q.lastPurge.Load()
	if now-last < purgeEvery.Milliseconds() && now >= last || !q.lastPurge.CompareAndSwap(last, now) {
		return
	}
	if n, err := q.Purge(ctx); err != nil {
		q.log.Warn("purging old dead items failed", zap.Error(err))
	} else if n > 0 {
		q.log.Info("purged dead items past their retention", zap.Int("count", n))
	}
}
