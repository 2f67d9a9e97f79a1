package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/internal/ledger"
	"streetsync/scheduler"
)

// keepRuns is how many runs of each job the ledger's history keeps (the last successful one is
// kept however old).
const keepRuns = 500

// schedulerLedger gives the scheduler the ledger as its run history and its Redis marker store
// (scheduler.History, scheduler.MarkerStore): the scheduler does not import the ledger.
type schedulerLedger struct{ store ledger.Store }

func (l schedulerLedger) RecordRun(ctx context.Context, run scheduler.Run) error {
	_, err := l.store.RecordJobRun(ctx, ledger.JobRun{Job: run.Job, Trigger: string(run.Trigger), Slot: run.Slot,
		Start: run.Start, End: run.End, Outcome: string(run.Outcome), Reason: run.Reason, Error: run.Error,
		Counts: run.Counts, Instance: run.Instance}, keepRuns)
	return err
}

func (l schedulerLedger) Runs(ctx context.Context, job string, q scheduler.RunQuery) ([]scheduler.Run, int, error) {
	runs, total, err := l.store.JobRuns(ctx, ledger.JobRunFilter{Job: job, Slot: q.Slot, Offset: q.Offset, Limit: q.Limit})
	if err != nil {
		return nil, 0, err
	}
	out := make([]scheduler.Run, len(runs))
	for i, r := range runs {
		out[i] = fromLedgerRun(r)
	}
	return out, total, nil
}

func (l schedulerLedger) LastSuccess(ctx context.Context, job string) (scheduler.Run, bool, error) {
	r, ok, err := l.store.LastSuccessfulRun(ctx, job)
	if err != nil || !ok {
		return scheduler.Run{}, false, err
	}
	return fromLedgerRun(r), true, nil
}

func (l schedulerLedger) RedisMarker(ctx context.Context) (string, time.Time, string, error) {
	m, err := l.store.RedisMark(ctx)
	return m.Marker, m.LostAt, m.LostBy, err
}

func (l schedulerLedger) SetRedisMarker(ctx context.Context, marker string, lostAt time.Time, by string) error {
	return l.store.SetRedisMarker(ctx, marker, lostAt, by)
}

func fromLedgerRun(r ledger.JobRun) scheduler.Run {
	return scheduler.Run{Job: r.Job, Trigger: scheduler.Trigger(r.Trigger), Slot: r.Slot, Start: r.Start, End: r.End,
		Outcome: scheduler.Outcome(r.Outcome), Reason: r.Reason, Error: r.Error, Counts: r.Counts, Instance: r.Instance}
}

// platformCalls gathers what the connectors' requests show of each platform's health between
// two flushes into the ledger — at the end of every job run, every half minute in the daemon and
// when the App closes — so that a run of ten thousand calls costs one ledger write, and the
// CLI's runs and the daemon's add up in one place.
type platformCalls struct {
	now     func() time.Time
	mu      sync.Mutex
	pending map[string]*ledger.PlatformCalls
}

func newPlatformCalls(now func() time.Time) *platformCalls {
	return &platformCalls{now: now, pending: map[string]*ledger.PlatformCalls{}}
}

// observe notes one request. The platform answered it — successfully, or refusing the data — or
// failed to: no answer, a 5xx, a 429, maintenance, refused credentials. A request cut short by
// streetsync itself (a stop) says nothing of the platform.
func (p *platformCalls) observe(ri httpx.RequestInfo) {
	if errors.Is(ri.Err, context.Canceled) {
		return
	}
	failed := ri.Err != nil && httpx.Classify(ri.Err) != httpx.KindPermanent
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.pending[ri.System]
	if b == nil {
		b = &ledger.PlatformCalls{Platform: ri.System}
		p.pending[ri.System] = b
	}
	if !failed {
		b.LastSuccess, b.Failures, b.FailedSince = now, 0, time.Time{}
		return
	}
	if b.Failures == 0 {
		b.FailedSince = now
	}
	b.Failures++
	b.LastError, b.LastErrorAt = errorSummary(ri.Err), now
}

// errorSummary is the Chinese one-line account of a failed request (no secrets: the connectors'
// errors carry none).
func errorSummary(err error) string {
	var s interface{ Summary() string }
	if errors.As(err, &s) {
		return s.Summary()
	}
	return err.Error()
}

// flush writes what was gathered into the ledger; on failure it is kept for the next flush.
func (p *platformCalls) flush(ctx context.Context, store ledger.Store) error {
	p.mu.Lock()
	batches := make([]ledger.PlatformCalls, 0, len(p.pending))
	for _, b := range p.pending {
		batches = append(batches, *b)
	}
	clear(p.pending)
	p.mu.Unlock()
	if len(batches) == 0 {
		return nil
	}
	err := store.RecordPlatformCalls(ctx, batches)
	if err != nil {
		p.mu.Lock()
		for _, b := range batches {
			if cur := p.pending[b.Platform]; cur != nil {
				mergeCalls(&b, cur)
			} else {
				p.pending[b.Platform] = &b
			}
		}
		p.mu.Unlock()
	}
	return err
}

// mergeCalls folds the earlier batch old into cur, which was gathered after it.
func mergeCalls(old, cur *ledger.PlatformCalls) {
	if !cur.LastSuccess.IsZero() {
		return // cur's success ends old's failures
	}
	cur.LastSuccess = old.LastSuccess
	if old.Failures > 0 {
		cur.FailedSince = old.FailedSince
	}
	cur.Failures += old.Failures
	if cur.LastError == "" {
		cur.LastError, cur.LastErrorAt = old.LastError, old.LastErrorAt
	}
}
