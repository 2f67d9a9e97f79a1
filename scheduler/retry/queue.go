package retry

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"go.uber.org/zap"

	"streetsync/internal/rdb"
	"streetsync/scheduler/clock"
)

// Errors callers decide on with errors.Is.
var (
	// ErrLeaseLost: the claim is no longer this worker's (its lease ran out and the item was
	// claimed again, or it was finished meanwhile). Whoever gets it must not record the platform
	// write as done, and must not ack.
	ErrLeaseLost = errors.New("retry: lease lost")
	// ErrNoneDue: Claim found no item due.
	ErrNoneDue = errors.New("retry: no item due")
	// ErrNotFound: no such item (or, for RetryDead, no such dead item).
	ErrNotFound = errors.New("retry: no such item")
	// ErrBusy: the item is being worked on and cannot be dropped now.
	ErrBusy = errors.New("retry: item is being worked on")
	// ErrIDCollision: two (kind, key) pairs hash to one item ID. Practically impossible (60 bits);
	// the record is then not queued, and the next sync run tries it again.
	ErrIDCollision = errors.New("retry: item id collision")
)

// Observer receives queue events by job kind (EventEnqueued, EventAcked, …) — the daemon wires
// its Prometheus counters here (*metrics.Metrics satisfies it). It must be fast and safe for
// concurrent use.
type Observer interface {
	QueueEvent(kind, event string)
}

// Queue events reported to the Observer.
const (
	EventEnqueued     = "enqueued"      // a new item
	EventCoalesced    = "coalesced"     // an item for the record existed; the new error was recorded
	EventRevived      = "revived"       // a dead item was enqueued again and is back in the queue
	EventAcked        = "acked"         // an attempt succeeded
	EventRequeued     = "requeued"      // acked, but the record changed meanwhile: sent again
	EventQuarantined  = "quarantined"   // the handler quarantined the record; the item is finished
	EventRetried      = "retried"       // an attempt failed; the item waits for its next attempt
	EventDead         = "dead"          // the item went to the dead letters
	EventReleased     = "released"      // handed back unprocessed (graceful stop)
	EventLeaseExpired = "lease_expired" // a worker vanished; its item went back to the queue
	EventLeaseLost    = "lease_lost"    // a stalled worker found its claim taken over
	EventReplayed     = "replayed"      // an operator replayed a dead item
	EventDropped      = "dropped"       // an operator dropped an item
)

// Broker keeps the queue's items in Redis: one script or one pipelined read per method
// (*rdb.Conn, which owns the keys and scripts). The queue decides everything else.
type Broker interface {
	CheckPrefix() error
	Enqueue(ctx context.Context, now, deadline time.Time, maxErrors int, recs []rdb.EnqueueArg) ([]int, error)
	Claim(ctx context.Context, a rdb.ClaimArg) (returned, died int, items []rdb.Claimed, err error)
	Ack(ctx context.Context, now, deadline time.Time, refs []rdb.ItemRef) ([]int, error)
	Fail(ctx context.Context, ref rdb.ItemRef, a rdb.FailArg) (status, attempts int, reason string, err error)
	Release(ctx context.Context, ref rdb.ItemRef, now time.Time) (bool, error)
	Extend(ctx context.Context, until time.Time, refs ...rdb.ItemRef) ([]bool, error)
	Counts(ctx context.Context, now time.Time) (map[string]rdb.KindCounts, error)
	Kinds(ctx context.Context) ([]string, error)
	Refs(ctx context.Context, kinds []string, dead bool, limit int) ([]rdb.Ref, error)
	Score(ctx context.Context, kind string, zone rdb.Zone, id string) (time.Time, error)
	Load(ctx context.Context, ids []string) ([]*rdb.Stored, error)
	KindOf(ctx context.Context, id string) string
	DeadIDs(ctx context.Context, kind string, n int) ([]string, error)
	Replay(ctx context.Context, now, deadline time.Time, note string, maxErrors int, ids []string) ([]int, error)
	Drop(ctx context.Context, ids []string) ([]int, error)
	Purge(ctx context.Context, cutoff time.Time, batch int) (int, error)
	NextDue(ctx context.Context, kind string) (time.Time, bool)
	DueNow(ctx context.Context, now time.Time, ids []string) ([]string, error)
}

// Queue is the retry queue of one streetsync installation (one Redis prefix). Several processes
// may work one queue at once.
type Queue struct {
	b      Broker
	policy Policy
	clock  clock.Clock
	log    *zap.Logger
	obs    Observer
	rand   func() float64
	poll   time.Duration

	wake      signal       // an item may have become due in this process (enqueue, release)
	moved     signal       // an attempt ended (drain watches it)
	lastPurge atomic.Int64 // unix ms of the last purge of old dead items
}

// Option configures a Queue.
type Option func(*Queue)

// WithClock sets the clock that decides backoff, leases and deadlines (default: the wall clock).
func WithClock(c clock.Clock) Option { return func(q *Queue) { q.clock = c } }

// WithLogger sets the logger (default: none).
func WithLogger(l *zap.Logger) Option { return func(q *Queue) { q.log = l.Named("retry") } }

// WithObserver reports queue events, e.g. to Prometheus.
func WithObserver(o Observer) Option { return func(q *Queue) { q.obs = o } }

// WithRandom sets the source of the backoff's jitter, a function returning [0,1).
func WithRandom(f func() float64) Option { return func(q *Queue) { q.rand = f } }

// WithPollInterval sets how often an idle worker looks for items that another process made due
// (default 1s; items enqueued or released in this process wake workers at once).
func WithPollInterval(d time.Duration) Option { return func(q *Queue) { q.poll = d } }

// New returns the queue kept by b (an *rdb.Conn: its Redis, under its prefix), working by
// policy.
func New(b Broker, policy Policy, opts ...Option) (*Queue, error) {
	if b == nil {
		return nil, errors.New("retry: no redis connection")
	}
	if err := b.CheckPrefix(); err != nil {
		return nil, fmt.Errorf("retry: %w", err)
	}
	if err := policy.validate(); err != nil {
		return nil, err
	}
	q := &Queue{
		b:      b,
		policy: policy,
		clock:  clock.Real(),
		log:    zap.NewNop(),
		obs:    nopObserver{},
		rand:   rand.Float64,
		poll:   time.Second,
	}
	for _, o := range opts {
		o(q)
	}
	if q.poll <= 0 {
		return nil, fmt.Errorf("retry: poll interval %s: want > 0", q.poll)
	}
	return q, nil
}

// Policy returns the queue's policy.
func (q *Queue) Policy() Policy { return q.policy }

type nopObserver struct{}

func (nopObserver) QueueEvent(string, string) {}

// ID is the item ID of (kind, key): stable, 12 characters of lower-case base32 (no i, l, o, u),
// short enough for an operator to type.
func ID(kind, key string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + key))
	return idEncoding.EncodeToString(h[:8])[:12]
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

func validKind(kind string) error {
	if kind == "" || len(kind) > 100 {
		return fmt.Errorf("retry: job kind %q: want 1 to 100 characters", kind)
	}
	for _, r := range kind {
		if r == '{' || r == '}' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("retry: job kind %q: no braces, spaces or control characters", kind)
		}
	}
	return nil
}

// Item is a claimed item: the record to send again is Kind + Key, never a snapshot — the handler
// reads the record's current state from the ledger.
type Item struct {
	ID          string
	Kind        string
	Key         string
	Attempts    int       // failed attempts so far (by the queue)
	FirstQueued time.Time // when the failure this item retries was first queued
	Deadline    time.Time // after this the item is dead rather than retried
	LastError   string
	Token       int64     // fencing token of this claim
	LeaseUntil  time.Time // the lease as claimed (renewals extend it in Redis)

	q *Queue
}

// CheckFence reports whether this claim still holds the item, and renews its lease: call it
// after the platform write and before recording the write as done in the ledger. ErrLeaseLost
// means another worker has the item now; record nothing.
func (it *Item) CheckFence(ctx context.Context) error { return it.q.CheckFence(ctx, it) }

// Request is one record to queue.
type Request struct {
	Kind  string
	Key   string
	Cause error // the failure that makes the record need a retry (nil: just send it later)
}

// Enqueue queues the record (kind, key) for a retry because of cause, and returns its item ID.
// There is at most one item per (kind, key): when one exists, the new error joins its history
// and no second item is made; if it is being worked on right now, it is sent once more after
// that, so the record's newest state always gets out. A dead item comes back to life with a
// fresh attempt budget. The first attempt is due after BaseDelay (or the cause's longer
// Retry-After); with a nil cause, at once.
func (q *Queue) Enqueue(ctx context.Context, kind, key string, cause error) (string, error) {
	ids, err := q.EnqueueBatch(ctx, []Request{{Kind: kind, Key: key, Cause: cause}})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// EnqueueBatch is Enqueue for many records in one round trip.
func (q *Queue) EnqueueBatch(ctx context.Context, reqs []Request) ([]string, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	now := q.clock.Now()
	ids := make([]string, len(reqs))
	recs := make([]rdb.EnqueueArg, len(reqs))
	for i, r := range reqs {
		if err := validKind(r.Kind); err != nil {
			return nil, err
		}
		if r.Key == "" {
			return nil, fmt.Errorf("retry: empty record key for job kind %q", r.Kind)
		}
		id := ID(r.Kind, r.Key)
		ids[i] = id
		recs[i] = rdb.EnqueueArg{ID: id, Kind: r.Kind, Key: r.Key, First: now}
		if r.Cause != nil {
			c, ra := Classify(r.Cause)
			recs[i].Class, recs[i].Error = string(c), r.Cause.Error()
			recs[i].First = now.Add(q.policy.Delay(1, ra, q.rand()))
		}
	}
	res, err := q.b.Enqueue(ctx, now, now.Add(q.policy.Deadline), q.policy.MaxErrors, recs)
	if err != nil {
		return nil, fmt.Errorf("retry: enqueue: %w", err)
	}
	if len(res) != len(reqs) {
		return nil, fmt.Errorf("retry: enqueue: %d results for %d records", len(res), len(reqs))
	}
	var errs []error
	for i, v := range res {
		switch v {
		case 1:
			q.obs.QueueEvent(reqs[i].Kind, EventEnqueued)
		case 2:
			q.obs.QueueEvent(reqs[i].Kind, EventCoalesced)
		case 3:
			q.obs.QueueEvent(reqs[i].Kind, EventRevived)
		default:
			errs = append(errs, fmt.Errorf("%w: %s (job kind %s)", ErrIDCollision, ids[i], reqs[i].Kind))
		}
	}
	q.wake.fire()
	return ids, errors.Join(errs...)
}

// Claim leases the next due item of kind for lease (0: the policy's lease); ErrNoneDue when
// there is none. Items whose lease ran out are returned to the queue first.
func (q *Queue) Claim(ctx context.Context, kind string, lease time.Duration) (*Item, error) {
	items, err := q.ClaimN(ctx, kind, 1, lease)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, ErrNoneDue
	}
	return items[0], nil
}

// maxClaim bounds one claim (a Lua unpack of the ids must stay far below the stack limit).
const maxClaim = 500

// ClaimN leases up to n due items of kind in one round trip (none due: an empty slice).
func (q *Queue) ClaimN(ctx context.Context, kind string, n int, lease time.Duration) ([]*Item, error) {
	if err := validKind(kind); err != nil {
		return nil, err
	}
	if lease <= 0 {
		lease = q.policy.Lease
	}
	n = max(1, min(n, maxClaim))
	now := q.clock.Now()
	until := now.Add(lease)
	returned, died, claimed, err := q.b.Claim(ctx, rdb.ClaimArg{Kind: kind, Now: now, Until: until, N: n,
		MaxAttempts: q.policy.MaxAttempts, LeaseError: msgLeaseLost, MaxErrors: q.policy.MaxErrors})
	if err != nil {
		return nil, fmt.Errorf("retry: claim %s: %w", kind, err)
	}
	if returned+died > 0 {
		q.log.Warn("leases ran out: items returned to the queue", zap.String("kind", kind),
			zap.Int("returned", returned), zap.Int("dead", died))
		for range returned + died {
			q.obs.QueueEvent(kind, EventLeaseExpired)
		}
		for range died {
			q.obs.QueueEvent(kind, EventDead)
		}
	}
	items := make([]*Item, len(claimed))
	for i, c := range claimed {
		items[i] = &Item{ID: c.ID, Token: c.Token, Kind: kind, Key: c.Key, Attempts: c.Attempts, FirstQueued: c.First,
			Deadline: c.Deadline, LastError: c.LastError, LeaseUntil: until, q: q}
	}
	return items, nil
}

// Ack finishes a successful item. ErrLeaseLost: the claim was stale (another worker has or had
// the item); nothing was changed.
func (q *Queue) Ack(ctx context.Context, it *Item) error {
	st, err := q.ackBatch(ctx, []*Item{it})
	if err != nil {
		return err
	}
	return q.afterAck(it, st[0], EventAcked)
}

// afterAck reports an ack's result; event is EventAcked or EventQuarantined.
func (q *Queue) afterAck(it *Item, status int, event string) error {
	switch status {
	case 1, 2:
		q.obs.QueueEvent(it.Kind, event)
		if status == 2 {
			q.obs.QueueEvent(it.Kind, EventRequeued)
			q.wake.fire()
		}
		q.moved.fire()
		return nil
	default:
		q.obs.QueueEvent(it.Kind, EventLeaseLost)
		return fmt.Errorf("ack %s: %w", it.ID, ErrLeaseLost)
	}
}

// ackBatch acks items in one round trip: per item 1 done, 2 re-queued, 0 lease lost.
func (q *Queue) ackBatch(ctx context.Context, items []*Item) ([]int, error) {
	now := q.clock.Now()
	refs := make([]rdb.ItemRef, len(items))
	for i, it := range items {
		refs[i] = it.ref()
	}
	res, err := q.b.Ack(ctx, now, now.Add(q.policy.Deadline), refs)
	if err != nil {
		return nil, fmt.Errorf("retry: ack: %w", err)
	}
	if len(res) != len(items) {
		return nil, fmt.Errorf("retry: ack: %d results for %d items", len(res), len(items))
	}
	return res, nil
}

func (it *Item) ref() rdb.ItemRef { return rdb.ItemRef{ID: it.ID, Kind: it.Kind, Token: it.Token} }

// Outcome is what became of an item after an attempt.
type Outcome string

// Outcomes of Fail.
const (
	OutcomeRetrying    Outcome = "retrying"    // waits for its next attempt
	OutcomeDead        Outcome = "dead"        // moved to the dead letters
	OutcomeQuarantined Outcome = "quarantined" // finished: the handler quarantined the record
)

// Result says what Fail did.
type Result struct {
	Outcome     Outcome
	Class       Class
	Attempts    int       // failed attempts now counted
	NextAttempt time.Time // OutcomeRetrying only
	DeadReason  string    // OutcomeDead only: attempts | unknown | deadline | permanent
}

// Fail records a failed attempt and decides, by the error's class (see Classify), what follows:
// a transient error backs off (the n-th failed attempt waits Policy.Delay(n): BaseDelay doubling
// to MaxDelay, with jitter; a longer
// Retry-After wins); an unknown one too, but only UnknownAttempts times; a quarantined record
// finishes the item; a permanent error, running out of attempts, or a next attempt past the
// deadline moves it to the dead letters with its whole error history.
func (q *Queue) Fail(ctx context.Context, it *Item, cause error) (Result, error) {
	if cause == nil {
		return Result{}, errors.New("retry: fail without an error")
	}
	class, retryAfter := Classify(cause)
	if class == ClassQuarantined {
		st, err := q.ackBatch(ctx, []*Item{it})
		if err != nil {
			return Result{}, err
		}
		if err := q.afterAck(it, st[0], EventQuarantined); err != nil {
			return Result{}, err
		}
		return Result{Outcome: OutcomeQuarantined, Class: class, Attempts: it.Attempts}, nil
	}
	now := q.clock.Now()
	next := now.Add(q.policy.Delay(it.Attempts+1, retryAfter, q.rand()))
	status, attempts, reason, err := q.b.Fail(ctx, it.ref(), rdb.FailArg{Now: now, Next: next, Class: string(class),
		Error: cause.Error(), MaxAttempts: q.policy.MaxAttempts, UnknownAttempts: q.policy.UnknownAttempts,
		Dead: class == ClassPermanent, MaxErrors: q.policy.MaxErrors})
	if err != nil {
		return Result{}, fmt.Errorf("retry: fail %s: %w", it.ID, err)
	}
	defer q.moved.fire()
	switch status {
	case 1:
		q.obs.QueueEvent(it.Kind, EventRetried)
		return Result{Outcome: OutcomeRetrying, Class: class, Attempts: attempts, NextAttempt: time.UnixMilli(next.UnixMilli())}, nil
	case 2:
		q.obs.QueueEvent(it.Kind, EventDead)
		q.log.Warn("item moved to the dead letters", zap.String("kind", it.Kind), zap.String("id", it.ID),
			zap.String("reason", reason), zap.Int("attempts", attempts))
		return Result{Outcome: OutcomeDead, Class: class, Attempts: attempts, DeadReason: reason}, nil
	default:
		q.obs.QueueEvent(it.Kind, EventLeaseLost)
		return Result{}, fmt.Errorf("fail %s: %w", it.ID, ErrLeaseLost)
	}
}

// Release hands a claimed item back, due now, without counting an attempt (a worker stopping).
func (q *Queue) Release(ctx context.Context, it *Item) error {
	ok, err := q.b.Release(ctx, it.ref(), q.clock.Now())
	if err != nil {
		return fmt.Errorf("retry: release %s: %w", it.ID, err)
	}
	if !ok {
		q.obs.QueueEvent(it.Kind, EventLeaseLost)
		return fmt.Errorf("release %s: %w", it.ID, ErrLeaseLost)
	}
	q.obs.QueueEvent(it.Kind, EventReleased)
	q.wake.fire()
	q.moved.fire()
	return nil
}

// Extend renews the claim's lease to lease from now (0: the policy's lease).
func (q *Queue) Extend(ctx context.Context, it *Item, lease time.Duration) error {
	if lease <= 0 {
		lease = q.policy.Lease
	}
	ok, err := q.b.Extend(ctx, q.clock.Now().Add(lease), it.ref())
	if err != nil {
		return fmt.Errorf("retry: extend %s: %w", it.ID, err)
	}
	if !ok[0] {
		return fmt.Errorf("extend %s: %w", it.ID, ErrLeaseLost)
	}
	return nil
}

// CheckFence is the fence check before recording a platform write as done: nil means the claim
// still holds the item (and its lease was just renewed for a full period); ErrLeaseLost means a
// newer claim exists and the caller must record nothing.
func (q *Queue) CheckFence(ctx context.Context, it *Item) error {
	err := q.Extend(ctx, it, 0)
	if errors.Is(err, ErrLeaseLost) {
		q.obs.QueueEvent(it.Kind, EventLeaseLost)
	}
	return err
}

// signal wakes every goroutine waiting on C when fire is called.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel closed at the next fire. Take it before checking the condition waited
// for, so that a fire in between is not missed.
func (s *signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
