package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/connectors/specialops"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// The certificate job (special-ops.md). Two ways in, both kept to the street's roster:
//
//   - the query by ID number, for roster people without a recent answer (never asked first, then
//     the oldest answer), 50 to a request — a new person on the roster is asked the day they
//     appear, everyone else again after AnswerMaxAge as a safety net;
//   - the province-wide change feed, from its stored position, keeping the changes of people on
//     the roster.
//
// A new installation (no feed position) first queries its whole roster and starts the feed at
// the time of that query, so that nothing changed meanwhile is missed. Every certificate of a
// roster person is stored (one per item); records that fail validation are quarantined.

const (
	// feedSkew is how far before its first roster query a new installation starts the change
	// feed: the contract's clock tolerance (300 s) and then some.
	feedSkew       = 10 * time.Minute
	queryChunk     = 50   // the query's maximum
	certFlushBatch = 1000 // certificates per ledger transaction
	feedFlushBatch = 500
)

func (r *Runner) syncCertificates(ctx context.Context, t *tally, full bool, fc fence) error {
	fs, err := r.feedState(ctx)
	if err != nil {
		return err
	}
	now := r.clock.Now()
	if !fs.started() {
		// Everything is due (answeredBefore now): a lost feed position means changes may have
		// been missed, so every holder is asked again.
		if err := r.queryDue(ctx, t, now, fc); err != nil {
			return err
		}
		// Holders whose query failed are still "never asked" (or stale) and are asked by the
		// queued retry; what changed for the others after the query, the feed delivers. It starts
		// a little before the query: the system stamps changes by its own clock, to the second,
		// and reading a few minutes twice only finds them unchanged.
		fs = feedState{Since: now.Add(-feedSkew).Truncate(time.Second)}
		if err := r.setFeedState(ctx, fc, fs); err != nil {
			return err
		}
	} else {
		before := now.Add(-r.answerMaxAge)
		if full {
			before = now
		}
		if err := r.queryDue(ctx, t, before, fc); err != nil {
			return err
		}
	}
	return r.followFeed(ctx, t, fs, fc)
}

func (r *Runner) queryJobPart(ctx context.Context, t *tally, fc fence) error {
	return r.queryDue(ctx, t, r.clock.Now().Add(-r.answerMaxAge), fc)
}

func (r *Runner) feedJobPart(ctx context.Context, t *tally, fc fence) error {
	fs, err := r.feedState(ctx)
	if err != nil || !fs.started() {
		return err // not started: the next certificate run starts it, with a query
	}
	return r.followFeed(ctx, t, fs, fc)
}

// answeredBatch is what a batch of answers puts in the ledger.
type answeredBatch struct {
	certs []mapping.Certificate
	bad   []*ledger.QuarantineEntry
	ids   []string
	at    time.Time
}

type queryAnswer struct {
	ids      []string
	at       time.Time // when the question was asked: the answer is true as of then
	certs    []specialops.PulledCertificate
	notFound []string
	err      error
}

// queryDue asks for the certificates of every roster ID number whose last answer is older than
// answeredBefore, several requests in flight, and stores them with the time of each answer.
func (r *Runner) queryDue(ctx context.Context, t *tally, answeredBefore time.Time, fc fence) error {
	var ids []string
	for id, err := range r.store.IDNumbersDueForCertificateQuery(ctx, answeredBefore, mapping.Date{}) {
		if err != nil {
			return fmt.Errorf("read roster ID numbers: %w", err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	cq, err := r.openQuarantine(ctx, ledger.SourceSpecialOps, ledger.KindCertificate)
	if err != nil {
		return err
	}
	r.progress.Begin(Certificates, phaseQuery, len(ids))
	defer r.progress.End()

	var br breaker
	answeredTotal := 0
	var lastErr error
	// The ledger writes run behind the answers, so that storing one batch overlaps reading the next.
	wb := startWriteBehind(func(a answeredBatch) error {
		if err := r.storeCertificates(ctx, t, a.certs, a.bad); err != nil {
			return err
		}
		if err := r.store.RecordCertificateAnswers(ctx, a.ids, a.at); err != nil {
			return fmt.Errorf("record certificate answers: %w", err)
		}
		return nil
	})
	var cur answeredBatch
	flush := func() error {
		if len(cur.ids) == 0 && len(cur.bad) == 0 {
			return nil
		}
		err := wb.put(ctx, cur)
		cur = answeredBatch{}
		return err
	}
	produce := func(send func([]string) bool) error {
		for from := 0; from < len(ids); from += queryChunk {
			if !send(ids[from:min(from+queryChunk, len(ids))]) {
				return nil
			}
		}
		return nil
	}
	work := func(ctx context.Context, chunk []string) queryAnswer {
		a := queryAnswer{ids: chunk, at: r.clock.Now()}
		a.certs, a.notFound, a.err = r.tz.Certificates(ctx, chunk)
		return a
	}
	consume := func(a queryAnswer) (bool, error) {
		r.progress.Advance(1, len(a.ids))
		if a.err != nil {
			if t.verdict(ctx, a.err) != verdictRetry {
				return false, a.err
			}
			lastErr = a.err
			return br.record(a.err), nil
		}
		br.record(nil)
		t.answer(1)
		for i := range a.certs {
			if q := r.screenCertificate(&a.certs[i], cq, t); q != nil {
				cur.bad = append(cur.bad, q)
			} else if !a.certs[i].Problems.HasErrors() {
				cur.certs = append(cur.certs, a.certs[i].Certificate)
			}
		}
		cur.ids = append(cur.ids, a.ids...)
		answeredTotal += len(a.ids)
		if cur.at.IsZero() || a.at.Before(cur.at) {
			cur.at = a.at // the earliest question among them: safe to record for all
		}
		if len(cur.certs) >= certFlushBatch || len(cur.ids) >= certFlushBatch {
			return false, flush()
		}
		return false, nil
	}
	err = fanOut(ctx, r.concurrency, produce, work, consume)
	if err == nil {
		err = flush()
	}
	if err = errors.Join(err, wb.close()); err != nil {
		return err
	}
	if left := len(ids) - answeredTotal; left > 0 {
		// Unanswered holders stay due in the ledger; one queued item asks them again.
		t.queued.Add(int64(left))
		return r.queueJob(ctx, t, fc, KindCertificateQuery, lastErr)
	}
	return nil
}

// screenCertificate quarantines a certificate that failed validation (it is not stored) and
// returns its entry (nil: nothing new to record).
func (r *Runner) screenCertificate(pc *specialops.PulledCertificate, cq *quarantineIndex, t *tally) *ledger.QuarantineEntry {
	if !pc.Problems.HasErrors() {
		return nil
	}
	t.quarantined.Add(1)
	raw, _ := json.Marshal(pc.Wire) // plain fields: cannot fail
	return cq.entry(pc.Wire.CertNo+"/"+pc.Wire.ItemCode, string(raw), pc.Problems.Errors())
}

// storeCertificates upserts certificates and quarantines the rejected ones.
func (r *Runner) storeCertificates(ctx context.Context, t *tally, certs []mapping.Certificate, bad []*ledger.QuarantineEntry) error {
	if len(certs) > 0 {
		outs, err := r.store.UpsertCertificates(ctx, certs)
		if err != nil {
			return fmt.Errorf("store certificates: %w", err)
		}
		c := ledger.Tally(outs)
		t.pulled.Add(int64(c.Inserted + c.Updated))
		t.unchanged.Add(int64(c.Unchanged))
	}
	return r.quarantine(ctx, bad...)
}

// followFeed reads the change feed from fs and stores the changes of roster people; the position
// is stored after each ledger commit, never ahead of it.
func (r *Runner) followFeed(ctx context.Context, t *tally, fs feedState, fc fence) error {
	cq, err := r.openQuarantine(ctx, ledger.SourceSpecialOps, ledger.KindCertificate)
	if err != nil {
		return err
	}
	r.progress.Begin(Certificates, phaseFeed, 0)
	defer r.progress.End()
	seq, pos := r.tz.CertificateChanges(ctx, fs.Since, fs.Cursor)
	// The feed is province-wide: its records wait in pending until a batch's roster membership
	// is looked up at once, and only the street's people are kept.
	var pending []specialops.PulledCertificate
	var certs []mapping.Certificate
	var bad []*ledger.QuarantineEntry
	requests, records := 0, 0
	keep := func() error {
		if len(pending) == 0 {
			return nil
		}
		ids := make([]string, len(pending))
		for i := range pending {
			ids[i] = pending[i].Certificate.IDNumber
		}
		on, err := r.store.OnRoster(ctx, ids)
		if err != nil {
			return fmt.Errorf("read roster: %w", err)
		}
		for i := range pending {
			pc := &pending[i]
			if !on[pc.Certificate.IDNumber] {
				continue
			}
			if q := r.screenCertificate(pc, cq, t); q != nil {
				bad = append(bad, q)
			} else if !pc.Problems.HasErrors() {
				certs = append(certs, pc.Certificate)
			}
		}
		clear(pending)
		pending = pending[:0]
		return nil
	}
	flush := func() error {
		if err := keep(); err != nil {
			return err
		}
		if err := r.storeCertificates(ctx, t, certs, bad); err != nil {
			return err
		}
		certs, bad = certs[:0], bad[:0]
		r.progress.Advance(pos.Requests-requests, records)
		requests, records = pos.Requests, 0
		// The position moves after a whole page has been handed over, so it never covers a
		// record that is not committed by now.
		if pos.Cursor == fs.Cursor && pos.Since.Equal(fs.Since) {
			return nil
		}
		fs = feedState{Cursor: pos.Cursor, Since: pos.Since}
		return r.setFeedState(ctx, fc, fs)
	}
	for pc, err := range seq {
		if err != nil {
			t.pages(pos.Requests, err)
			v := verdictRetry
			if errors.Is(err, httpx.ErrCursorExpired) {
				t.answer(1) // the system answered: the cursor is too old
			} else {
				v = t.verdict(ctx, err)
			}
			if ferr := flush(); ferr != nil {
				return errors.Join(err, ferr)
			}
			if errors.Is(err, httpx.ErrCursorExpired) {
				// Expired again after the connector's own restart: forget the cursor, so that
				// the next walk starts from the last since (inclusive: nothing is lost).
				if err := r.setFeedState(ctx, fc, feedState{Since: fs.Since}); err != nil {
					return err
				}
				return r.queueJob(ctx, t, fc, KindCertificateFeed, retry.Transient(err, 0))
			}
			if v == verdictRetry {
				return r.queueJob(ctx, t, fc, KindCertificateFeed, err)
			}
			return err
		}
		records++
		pending = append(pending, pc)
		if len(pending) >= feedFlushBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	t.pages(pos.Requests, nil)
	return flush()
}
