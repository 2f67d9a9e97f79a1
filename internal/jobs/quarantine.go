package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.uber.org/zap"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// quarantineIndex holds the open quarantine entries of one (source, kind) by record key, with the
// payload each was refused with. A record whose payload is still the refused one is not sent
// again (the platform would refuse it again, and a rerun must send nothing), and not quarantined
// again (a rerun must change nothing); once its payload changes it is tried afresh, and once it
// goes through its entry is resolved.
type quarantineIndex struct {
	source ledger.Source
	kind   ledger.Kind
	mu     sync.Mutex
	open   map[string]string // key → raw
}

func (r *Runner) openQuarantine(ctx context.Context, source ledger.Source, kind ledger.Kind) (*quarantineIndex, error) {
	return r.quarantineOf(ctx, source, kind, "")
}

// quarantineOf reads the open entries of (source, kind), or only key's when key is set (a retry
// handler's one record).
func (r *Runner) quarantineOf(ctx context.Context, source ledger.Source, kind ledger.Kind, key string) (*quarantineIndex, error) {
	q := &quarantineIndex{source: source, kind: kind, open: map[string]string{}}
	for e, err := range r.store.QuarantineEntries(ctx, ledger.QuarantineFilter{Source: source, Kind: kind, Key: key}) {
		if err != nil {
			return nil, fmt.Errorf("read quarantine: %w", err)
		}
		q.open[e.Key] = e.Raw
	}
	return q, nil
}

// refused reports whether key was refused with exactly this payload and is still in quarantine.
func (q *quarantineIndex) refused(key, raw string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	got, ok := q.open[key]
	return ok && got == raw
}

// has reports whether key has an open entry (whatever its payload).
func (q *quarantineIndex) has(key string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.open[key]
	return ok
}

// entry builds the quarantine entry of key, or nil when an open entry already holds this
// payload; either way the index then holds it.
func (q *quarantineIndex) entry(key, raw string, reasons mapping.Problems) *ledger.QuarantineEntry {
	q.mu.Lock()
	defer q.mu.Unlock()
	if got, ok := q.open[key]; ok && got == raw {
		return nil
	}
	q.open[key] = raw
	// Roster and certificate keys carry an ID number even when it is malformed.
	hasID := q.kind == ledger.KindEmployment || q.kind == ledger.KindCertificate
	return &ledger.QuarantineEntry{Source: q.source, Kind: q.kind, Key: key, Reasons: reasons, Raw: raw, HasIDNumber: hasID}
}

// resolve closes the open entries of keys, if any: the records went through.
func (r *Runner) resolve(ctx context.Context, q *quarantineIndex, keys ...string) error {
	var open []string
	q.mu.Lock()
	for _, k := range keys {
		if _, ok := q.open[k]; ok {
			open = append(open, k)
			delete(q.open, k)
		}
	}
	q.mu.Unlock()
	if len(open) == 0 {
		return nil
	}
	if _, err := r.store.ResolveQuarantineKeys(ctx, q.source, q.kind, open, msgResolvedBySync); err != nil {
		return fmt.Errorf("resolve quarantine: %w", err)
	}
	return nil
}

// quarantine stores entries (nil ones skipped).
func (r *Runner) quarantine(ctx context.Context, entries ...*ledger.QuarantineEntry) error {
	batch := make([]ledger.QuarantineEntry, 0, len(entries))
	for _, e := range entries {
		if e != nil {
			batch = append(batch, *e)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := r.store.AddToQuarantine(ctx, batch); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	return nil
}

// platformRefusal is the quarantine reason for what a platform refused: its own words.
func platformRefusal(label string, err error) mapping.Problems {
	return mapping.Problems{{Field: "platform", Label: label, Reason: summaryOf(err), Severity: mapping.SeverityError}}
}

// queued is a rejection the retry handlers hand to the queue: the record is in quarantine, the
// item is finished.
func queuedQuarantine(err error) error { return retry.Quarantined(err) }

// enqueue hands records to the retry queue, in batches.
func (r *Runner) enqueue(ctx context.Context, reqs []retry.Request) error {
	const batch = 1000
	for from := 0; from < len(reqs); from += batch {
		_, err := r.queue.EnqueueBatch(ctx, reqs[from:min(from+batch, len(reqs))])
		if errors.Is(err, retry.ErrIDCollision) {
			// Practically impossible; the record stays due in the ledger and the next run sends it.
			r.log.Warn("retry item id collision; the next run retries the record", zap.Error(err))
			continue
		}
		if err != nil {
			return fmt.Errorf("queue for retry: %w", err)
		}
	}
	return nil
}
