package retry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/rdb"
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
	counts, err := q.b.Counts(ctx, q.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("retry: stats: %w", err)
	}
	out := make(map[string]Stats, len(counts))
	for kind, c := range counts {
		out[kind] = Stats{Pending: c.Due + c.Active, Scheduled: c.Scheduled, Dead: c.Dead, Active: c.Active}
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

// ErrorRecord is one entry of an item's error history: when, after how many failed attempts,
// the class (transient | unknown | permanent | quarantined | lease | replay) and the error.
type ErrorRecord = rdb.ErrorRecord

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
	zrefs, err := q.b.Refs(ctx, kinds, opt.Dead, opt.Limit)
	if err != nil {
		return nil, fmt.Errorf("retry: list: %w", err)
	}
	now := q.clock.Now()
	type ref struct {
		id    string
		at    time.Time
		state State
	}
	refs := make([]ref, len(zrefs))
	for i, z := range zrefs {
		st := StateDead
		switch z.Zone {
		case rdb.ZoneActive:
			st = StateActive
		case rdb.ZoneQueue:
			st = StateScheduled
			if !z.At.After(now) {
				st = StateDue
			}
		}
		refs[i] = ref{id: z.ID, at: z.At, state: st}
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].at.Before(refs[j].at) })
	if len(refs) > opt.Limit {
		refs = refs[:opt.Limit]
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	infos, err := q.load(ctx, ids)
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
			info.NextAttempt = r.at
		case StateActive:
			info.LeaseUntil = r.at
		}
		out = append(out, *info)
	}
	return out, nil
}

// Get returns one item by ID (ErrNotFound when there is none).
func (q *Queue) Get(ctx context.Context, id string) (ItemInfo, error) {
	infos, err := q.load(ctx, []string{id})
	if err != nil {
		return ItemInfo{}, err
	}
	if infos[0] == nil {
		return ItemInfo{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	info := infos[0]
	zone := rdb.ZoneQueue
	switch info.State {
	case StateDead:
		return *info, nil
	case StateActive:
		zone = rdb.ZoneActive
	}
	at, err := q.b.Score(ctx, info.Kind, zone, id)
	if err != nil {
		return ItemInfo{}, fmt.Errorf("retry: get %s: %w", id, err)
	}
	if info.State == StateActive {
		info.LeaseUntil = at
	} else {
		info.NextAttempt = at
		info.State = StateScheduled
		if !at.After(q.clock.Now()) {
			info.State = StateDue
		}
	}
	return *info, nil
}

// load reads items with their error histories in one round trip; nil where an item is gone.
func (q *Queue) load(ctx context.Context, ids []string) ([]*ItemInfo, error) {
	stored, err := q.b.Load(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("retry: read items: %w", err)
	}
	out := make([]*ItemInfo, len(stored))
	for i, s := range stored {
		if s == nil {
			continue
		}
		info := &ItemInfo{ID: s.ID, Kind: s.Kind, Key: s.Key, Attempts: s.Attempts, LastError: s.LastError,
			FirstQueued: s.First, Deadline: s.Deadline, DeadSince: s.DeadAt, DeadReason: s.DeadReason, Errors: s.Errors}
		switch s.State {
		case "dead":
			info.State = StateDead
		case "active":
			info.State = StateActive
		default:
			info.State = StateScheduled
		}
		out[i] = info
	}
	return out, nil
}

func (q *Queue) kindList(ctx context.Context, kind string) ([]string, error) {
	if kind != "" {
		return []string{kind}, nil
	}
	kinds, err := q.b.Kinds(ctx)
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
	res, err := q.b.Replay(ctx, now, now.Add(q.policy.Deadline), msgReplay, q.policy.MaxErrors, ids)
	if err != nil {
		return 0, fmt.Errorf("retry: replay: %w", err)
	}
	n, missing := 0, []string(nil)
	for i, v := range res {
		if v == 1 {
			n++
			q.obs.QueueEvent(q.b.KindOf(ctx, ids[i]), EventReplayed)
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

// RetryAllDead replays every dead item of kind ("" = every kind): `queue retry --all-dead`.
func (q *Queue) RetryAllDead(ctx context.Context, kind string) (int, error) {
	kinds, err := q.kindList(ctx, kind)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, k := range kinds {
		for {
			ids, err := q.b.DeadIDs(ctx, k, 500)
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
	for i, id := range ids {
		kinds[i] = q.b.KindOf(ctx, id)
	}
	res, err := q.b.Drop(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("retry: drop: %w", err)
	}
	n := 0
	var missing, busy []string
	for i, v := range res {
		switch v {
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
	cutoff := now.Add(-q.policy.DeadRetention)
	const batch = 500
	total := 0
	for {
		n, err := q.b.Purge(ctx, cutoff, batch)
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
