package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// The enterprise job (quanzhou-platform.md, "Enterprises"; MISSION's data-flow table).
//
// Pull first, then push. The pull records what the platform holds — its own fields, and its view
// of the street-owned ones — so that the three-way comparison the ledger keeps per record
// (ledger now, last accepted version, platform now) decides each push: only the ledger changed,
// or never accepted → push; only the platform changed (a portal edit) → drift, left for an
// operator's `reconcile --apply`; both changed → conflict, reported like drift. Enterprises only
// the platform knows come into the ledger flagged 待核实; street-owned data is never overwritten.
// After pushing, the records the pushes touched are read back (their gxsj moved), so the next
// run finds nothing new.
//
// Summary.Drifted counts the drifted records this run came across: portal edits the pull saw for
// the first time, and ledger changes held back because the platform changed too (a conflict is
// a push candidate, so it is reported every run until an operator decides); with --full every
// record is compared, so every drifted one is counted.

const (
	cursorEnterprises = "enterprises"
	pullBatch         = 500 // platform records recorded in the ledger per transaction
	saveBatch         = 100 // batchSave's maximum
	// readBackLimit: pushes up to this many records are read back in the same run. More would
	// crowd the platform's current second beyond one listing page (500).
	readBackLimit = 400
)

func (r *Runner) syncEnterprises(ctx context.Context, t *tally, full bool, fc fence) error {
	pq, err := r.openQuarantine(ctx, ledger.SourceQuanzhou, ledger.KindEnterprise)
	if err != nil {
		return err
	}
	since, err := r.watermark(ctx, cursorEnterprises, full)
	if err != nil {
		return err
	}
	var seen map[string]struct{}
	if full {
		seen = map[string]struct{}{} // a full pull also tells which accepted records the platform lost
	}
	hw, err := r.pullEnterprises(ctx, t, since, pq, seen, true)
	if err != nil {
		if t.verdict(ctx, err) == verdictRetry {
			// The push waits for the pull: without the platform's current values it could
			// overwrite a portal edit it has not seen. The whole job is retried.
			return r.queueJob(ctx, t, fc, KindEnterpriseSync, err)
		}
		return err
	}
	if err := r.advanceMark(ctx, fc, cursorEnterprises, hw); err != nil {
		return err
	}
	touched, err := r.pushChangedEnterprises(ctx, t, full, seen, fc)
	if err != nil || touched == 0 || touched > readBackLimit {
		// Past the limit, the read-back is left to the next run: the listing cannot be read to
		// its end while more than a page of records carry the platform's current second (see
		// connectors/quanzhou's listing.go), and a big push puts thousands there.
		return err
	}
	back, err := r.pullEnterprises(ctx, t, hw, pq, nil, false)
	if err != nil {
		if t.verdict(ctx, err) == verdictRetry {
			return r.queueJob(ctx, t, fc, KindEnterpriseSync, err)
		}
		return err
	}
	return r.advanceMark(ctx, fc, cursorEnterprises, back)
}

// errListingIncomplete: a listing ended without error before its end (it cannot, unless the
// connector changes); its watermark is not trusted.
var errListingIncomplete = retry.Transient(errors.New("listing ended before its end"), 0)

// pullEnterprises reads the listing from since and records it in the ledger; it returns the
// listing's high-water mark (gxsj text) once everything is committed. countUpdates: count records
// whose platform side changed as pulled (the read-back after pushing counts only new ones).
func (r *Runner) pullEnterprises(ctx context.Context, t *tally, since quanzhou.Mark, pq *quarantineIndex, seen map[string]struct{}, countUpdates bool) (quanzhou.Mark, error) {
	r.progress.Begin(Enterprises, phasePull, 0)
	defer r.progress.End()
	seq, prog := r.qz.Enterprises(ctx, since)
	seenAt := r.clock.Now()
	// Recording a page in the ledger overlaps reading the next one.
	wb := startWriteBehind(func(b pulledBatch) error { return r.recordPulled(ctx, t, pq, b, seenAt, countUpdates) })
	b := pulledBatch{records: make([]mapping.Enterprise, 0, pullBatch)}
	requests := 0
	hand := func() error {
		b.pages, requests = prog.Requests-requests, prog.Requests
		r.progress.Total(prog.Total)
		err := wb.put(ctx, b)
		b = pulledBatch{records: make([]mapping.Enterprise, 0, pullBatch)}
		return err
	}
	for p, err := range seq {
		if err != nil {
			// What was read is the platform's truth all the same: keep it.
			t.pages(prog.Requests, err)
			return quanzhou.Mark{}, errors.Join(err, hand(), wb.close())
		}
		uscc := p.Enterprise.USCC
		if seen != nil {
			seen[uscc] = struct{}{}
		}
		if p.Problems.HasErrors() {
			// A street-owned field the platform holds does not pass validation (a portal edit, an
			// old record): quarantined for a person; the ledger keeps its own values.
			key := uscc
			if key == "" {
				key = "qyid:" + p.Wire.Qyid
			}
			raw, _ := json.Marshal(p.Wire) // plain strings: cannot fail
			b.bad = append(b.bad, pq.entry(key, string(raw), p.Problems.Errors()))
			t.quarantined.Add(1)
			if uscc != "" {
				b.owned = append(b.owned, p.Enterprise)
			}
			continue
		}
		b.records = append(b.records, p.Enterprise)
		if len(b.records) >= pullBatch {
			if err := hand(); err != nil {
				return quanzhou.Mark{}, errors.Join(err, wb.close())
			}
		}
	}
	t.pages(prog.Requests, nil)
	if err := errors.Join(hand(), wb.close()); err != nil {
		return quanzhou.Mark{}, err
	}
	if !prog.Done {
		return quanzhou.Mark{}, errListingIncomplete
	}
	return prog.Mark(), nil
}

// pulledBatch is a page's worth of platform records on their way into the ledger.
type pulledBatch struct {
	records []mapping.Enterprise
	owned   []mapping.Enterprise // records with street-owned errors: their platform-owned fields only
	bad     []*ledger.QuarantineEntry
	pages   int
}

func (r *Runner) recordPulled(ctx context.Context, t *tally, pq *quarantineIndex, b pulledBatch, seenAt time.Time, countUpdates bool) error {
	if len(b.records) > 0 {
		comps, err := r.store.RecordPlatformEnterprises(ctx, b.records, seenAt)
		if err != nil {
			return fmt.Errorf("record platform enterprises: %w", err)
		}
		keys := make([]string, 0, len(b.records))
		for i, c := range comps {
			if c.Outcome == ledger.OutcomeInserted || (countUpdates && c.Outcome == ledger.OutcomeUpdated) {
				t.pulled.Add(1)
			}
			if c.State.Drifted() && c.Outcome != ledger.OutcomeUnchanged {
				t.drift(b.records[i].USCC) // newly seen; a record read again unchanged is not news
			}
			keys = append(keys, b.records[i].USCC)
		}
		if err := r.resolve(ctx, pq, keys...); err != nil {
			return err
		}
	}
	if len(b.owned) > 0 {
		if _, err := r.store.SetPlatformFields(ctx, b.owned); err != nil {
			return fmt.Errorf("record platform fields: %w", err)
		}
	}
	if err := r.quarantine(ctx, b.bad...); err != nil {
		return err
	}
	r.progress.Advance(b.pages, len(b.records)+len(b.owned))
	return nil
}

// pushChunk is what the producer hands the workers: records to save, and the quarantine entries
// it found on the way (written by the consumer, which owns the ledger writes).
type pushChunk struct {
	records []mapping.Enterprise
	unseen  []bool // the ledger never saw the record on the platform: read it back even if UNCHANGED
	bad     []*ledger.QuarantineEntry
}

type pushAnswer struct {
	chunk   pushChunk
	results []quanzhou.SaveResult
	err     error
}

// pushChangedEnterprises pushes every enterprise the three-way comparison says to push (full:
// every enterprise is examined), in batches, several in flight. It returns how many records need
// reading back: created or updated by the platform, or found there unread.
func (r *Runner) pushChangedEnterprises(ctx context.Context, t *tally, full bool, seen map[string]struct{}, fc fence) (int, error) {
	sq, err := r.openQuarantine(ctx, ledger.SourceSyncPush, ledger.KindEnterprise)
	if err != nil {
		return 0, err
	}
	r.progress.Begin(Enterprises, phasePush, 0)
	defer r.progress.End()
	var br breaker
	touched := 0
	produce := func(send func(pushChunk) bool) error {
		c := pushChunk{records: make([]mapping.Enterprise, 0, saveBatch)}
		for rec, err := range r.store.Enterprises(ctx, ledger.EnterpriseFilter{ChangedSinceAccepted: !full}) {
			if err != nil {
				return fmt.Errorf("read enterprises: %w", err)
			}
			if !r.shouldPush(&rec, t, full, seen) {
				continue
			}
			e := r.outgoing(&rec)
			if ps := mapping.ValidateEnterprise(&e); ps.HasErrors() {
				// Never pushed: a person fixes the ledger (warnings stay with the record).
				t.quarantined.Add(1)
				if q := sq.entry(e.USCC, wireJSON(&e), ps.Errors()); q != nil {
					c.bad = append(c.bad, q)
				}
				continue
			}
			if sq.has(e.USCC) && sq.refused(e.USCC, wireJSON(&e)) {
				t.quarantined.Add(1) // refused as it is: not sent again until it changes
				continue
			}
			c.records = append(c.records, e)
			c.unseen = append(c.unseen, rec.PlatformHash == "")
			if len(c.records) == saveBatch {
				if !send(c) {
					return nil
				}
				c = pushChunk{records: make([]mapping.Enterprise, 0, saveBatch)}
			}
		}
		if len(c.records) > 0 || len(c.bad) > 0 {
			send(c)
		}
		return nil
	}
	work := func(ctx context.Context, c pushChunk) pushAnswer {
		if len(c.records) == 0 {
			return pushAnswer{chunk: c}
		}
		res, err := r.qz.SaveEnterprises(ctx, c.records)
		return pushAnswer{chunk: c, results: res, err: err}
	}
	consume := func(a pushAnswer) (bool, error) {
		if err := r.quarantine(ctx, a.chunk.bad...); err != nil {
			return false, err
		}
		if len(a.chunk.records) == 0 {
			return false, nil
		}
		r.progress.Advance(1, len(a.chunk.records))
		if a.err != nil {
			if v := t.verdict(ctx, a.err); v != verdictRetry {
				return false, a.err // the whole call refused: credentials, or a request no record can fix
			}
			reqs := make([]retry.Request, len(a.chunk.records))
			for i := range a.chunk.records {
				reqs[i] = retry.Request{Kind: KindEnterprisePush, Key: a.chunk.records[i].USCC, Cause: a.err}
			}
			t.queued.Add(int64(len(reqs)))
			return br.record(a.err), r.enqueue(ctx, reqs)
		}
		br.record(nil)
		t.answer(1)
		outs, err := r.settleSaves(ctx, a.chunk.records, a.results, sq, nil, KindEnterprisePush)
		for i, o := range outs {
			switch {
			case o.result == quanzhou.ResultUnchanged:
				t.unchanged.Add(1)
				if a.chunk.unseen[i] {
					touched++ // already there (a push whose answer was lost), but never read
				}
			case o.result != "":
				t.pushed.Add(1)
				touched++
			case o.verdict == verdictReject:
				t.quarantined.Add(1)
			case o.verdict == verdictRetry:
				t.queued.Add(1)
			}
		}
		return false, err
	}
	if err := fanOut(ctx, r.concurrency, produce, work, consume); err != nil {
		return touched, err
	}
	if br.open {
		// The platform is down: what was not read yet stays due in the ledger; one queued run
		// of the job sends it, in batches, when the platform is back.
		r.log.Warn("enterprise push stopped: the platform keeps failing; the rest is queued as one job retry")
		return touched, r.queueJob(ctx, t, fc, KindEnterpriseSync, errPlatformDown)
	}
	return touched, nil
}

var errPlatformDown = retry.Transient(errors.New("platform kept failing; push stopped"), 0)

// shouldPush decides one record by the three-way comparison, and counts the records it holds back.
func (r *Runner) shouldPush(rec *ledger.EnterpriseRecord, t *tally, full bool, seen map[string]struct{}) bool {
	if rec.PendingReview {
		return false // the platform's own record, not yet confirmed by the street: nothing to push
	}
	state := rec.SyncState()
	switch {
	case state.Drifted():
		t.drift(rec.USCC) // a portal edit: left for an operator, never overwritten
		return false
	case state.NeedsPush():
		return true
	}
	if seen != nil && rec.AcceptedHash != "" {
		if _, ok := seen[rec.USCC]; !ok {
			return true // accepted once, gone from the platform's full listing: send it again
		}
	}
	if full {
		t.unchanged.Add(1)
	}
	return false
}

// outgoing is the record as pushed: the street's region where the ledger holds none.
func (r *Runner) outgoing(rec *ledger.EnterpriseRecord) mapping.Enterprise {
	e := rec.Enterprise
	if e.RegionCode == "" {
		e.RegionCode = r.region
	}
	return e
}

// wireJSON is the payload a push sends: what a platform refusal is remembered by.
func wireJSON(e *mapping.Enterprise) string {
	b, _ := json.Marshal(mapping.EnterpriseToQZ(e)) // plain strings: cannot fail
	return string(b)
}

// saveOutcome is what became of one pushed record.
type saveOutcome struct {
	uscc    string
	result  string  // CREATED, UPDATED or UNCHANGED; "" when it failed
	verdict verdict // for a failure: verdictRetry or verdictReject
	err     error
}

// settleSaves records batchSave's per-item answers: accepted records in the ledger (after the
// fence), refused ones in quarantine with the platform's message, transient ones in the retry
// queue under queueKind ("" — a retry handler — leaves that to the caller).
func (r *Runner) settleSaves(ctx context.Context, records []mapping.Enterprise, results []quanzhou.SaveResult, sq *quarantineIndex, fc fence, queueKind string) ([]saveOutcome, error) {
	now := r.clock.Now()
	outs := make([]saveOutcome, len(records))
	acc := make([]ledger.Acceptance, 0, len(records))
	var bad []*ledger.QuarantineEntry
	var reqs []retry.Request
	for i := range records {
		e := &records[i]
		res := results[i]
		outs[i] = saveOutcome{uscc: e.USCC, err: res.Err}
		if res.Err == nil {
			outs[i].result = res.Result
			acc = append(acc, ledger.Acceptance{Pushed: *e, PlatformID: res.Qyid, At: now})
			continue
		}
		switch v := judge(ctx, res.Err); v {
		case verdictAbort:
			return outs, res.Err
		case verdictReject:
			outs[i].verdict = v
			bad = append(bad, sq.entry(e.USCC, wireJSON(e), platformRefusal(labelQuanzhou, res.Err)))
		default:
			outs[i].verdict = verdictRetry
			if queueKind != "" {
				reqs = append(reqs, retry.Request{Kind: queueKind, Key: e.USCC, Cause: res.Err})
			}
		}
	}
	if len(acc) > 0 {
		if err := fc.check(ctx); err != nil {
			return outs, err
		}
		if _, err := r.store.MarkEnterprisesAccepted(ctx, acc); err != nil {
			return outs, fmt.Errorf("record accepted enterprises: %w", err)
		}
		for _, a := range acc {
			if err := r.resolve(ctx, sq, a.Pushed.USCC); err != nil {
				return outs, err
			}
		}
	}
	if err := r.quarantine(ctx, bad...); err != nil {
		return outs, err
	}
	return outs, r.enqueue(ctx, reqs)
}

// PushEnterprises pushes the ledger's street-owned fields of these enterprises now, whatever the
// three-way comparison says — drifted and conflicting ones included: an operator decided
// (`reconcile --apply`, internal/reconcile's Fixer). It reports how many the platform accepted
// and, for the others, why not (Chinese, for the report): not in the ledger, failing
// validation (quarantined), refused by the platform (quarantined), or failed for now (queued
// for retry, still pushed whatever the comparison says).
func (r *Runner) PushEnterprises(ctx context.Context, usccs []string) (pushed int, failed map[string]string, err error) {
	failed = map[string]string{}
	sq, err := r.openQuarantine(ctx, ledger.SourceSyncPush, ledger.KindEnterprise)
	if err != nil {
		return 0, nil, err
	}
	var records []mapping.Enterprise
	var bad []*ledger.QuarantineEntry
	for _, u := range usccs {
		rec, err := r.store.EnterpriseByUSCC(ctx, u)
		if errors.Is(err, ledger.ErrNotFound) {
			failed[u] = msgNotInLedger
			continue
		}
		if err != nil {
			return pushed, failed, err
		}
		e := r.outgoing(&rec)
		if ps := mapping.ValidateEnterprise(&e); ps.HasErrors() {
			bad = append(bad, sq.entry(u, wireJSON(&e), ps.Errors()))
			failed[u] = ps.Errors().Error()
			continue
		}
		records = append(records, e)
	}
	if err := r.quarantine(ctx, bad...); err != nil {
		return pushed, failed, err
	}
	for from := 0; from < len(records); from += saveBatch {
		chunk := records[from:min(from+saveBatch, len(records))]
		res, err := r.qz.SaveEnterprises(ctx, chunk)
		if err != nil {
			if judge(ctx, err) != verdictRetry {
				return pushed, failed, err
			}
			reqs := make([]retry.Request, len(chunk))
			for i := range chunk {
				reqs[i] = retry.Request{Kind: KindEnterpriseForcePush, Key: chunk[i].USCC, Cause: err}
				failed[chunk[i].USCC] = fmt.Sprintf(msgQueued, summaryOf(err))
			}
			if err := r.enqueue(ctx, reqs); err != nil {
				return pushed, failed, err
			}
			continue
		}
		outs, err := r.settleSaves(ctx, chunk, res, sq, nil, KindEnterpriseForcePush)
		var touched []string
		for _, o := range outs {
			switch {
			case o.result != "":
				pushed++
				if o.result != quanzhou.ResultUnchanged {
					touched = append(touched, o.uscc)
				}
			case o.verdict == verdictReject:
				failed[o.uscc] = platformRefusal(labelQuanzhou, o.err).Error()
			case o.verdict == verdictRetry:
				failed[o.uscc] = fmt.Sprintf(msgQueued, summaryOf(o.err))
			}
		}
		if err != nil {
			return pushed, failed, err
		}
		if len(touched) <= readBackLimit {
			if err := r.readBack(ctx, touched); err != nil {
				return pushed, failed, err
			}
		}
	}
	return pushed, failed, nil
}

// PullPlatformFields reads these enterprises from the platform one by one and records what it
// holds — platform-owned fields and its view of the street-owned ones, an unknown enterprise
// flagged 待核实 — exactly as the sync's pull does. It reports how many were read and, for the
// others, why not.
func (r *Runner) PullPlatformFields(ctx context.Context, usccs []string) (pulled int, failed map[string]string, err error) {
	failed = map[string]string{}
	var batch []mapping.Enterprise
	for _, u := range usccs {
		w, err := r.qz.GetEnterprise(ctx, u)
		if errors.Is(err, quanzhou.ErrNotFound) {
			failed[u] = msgNotOnPlatform
			continue
		}
		if err != nil {
			if judge(ctx, err) == verdictAbort {
				return pulled, failed, err
			}
			failed[u] = summaryOf(err)
			continue
		}
		e, ps := mapping.EnterpriseFromQZ(w)
		if ps.HasErrors() {
			if _, err := r.store.SetPlatformFields(ctx, []mapping.Enterprise{e}); err != nil {
				return pulled, failed, err
			}
			failed[u] = ps.Errors().Error()
			continue
		}
		batch = append(batch, e)
	}
	if len(batch) > 0 {
		if _, err := r.store.RecordPlatformEnterprises(ctx, batch, r.clock.Now()); err != nil {
			return pulled, failed, fmt.Errorf("record platform enterprises: %w", err)
		}
	}
	return len(batch), failed, nil
}

// handleEnterprisePush is the retry handler of KindEnterprisePush (force: KindEnterpriseForcePush,
// an operator's decision). It reads the record as the ledger holds it now and decides afresh:
// a record that is in sync now, or drifted (not forced), is finished without sending.
func (r *Runner) handleEnterprisePush(force bool) retry.Handler {
	return func(ctx context.Context, it *retry.Item) error {
		rec, err := r.store.EnterpriseByUSCC(ctx, it.Key)
		if errors.Is(err, ledger.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		state := rec.SyncState()
		if rec.PendingReview || (!force && !state.NeedsPush()) {
			r.log.Debug("queued push no longer needed", zap.String("uscc", it.Key), zap.Stringer("state", state))
			return nil
		}
		sq, err := r.quarantineOf(ctx, ledger.SourceSyncPush, ledger.KindEnterprise, it.Key)
		if err != nil {
			return err
		}
		e := r.outgoing(&rec)
		if ps := mapping.ValidateEnterprise(&e); ps.HasErrors() {
			if err := r.quarantine(ctx, sq.entry(e.USCC, wireJSON(&e), ps.Errors())); err != nil {
				return err
			}
			return queuedQuarantine(ps.Errors())
		}
		res, err := r.qz.SaveEnterprises(ctx, []mapping.Enterprise{e})
		if err != nil {
			return err
		}
		outs, err := r.settleSaves(ctx, []mapping.Enterprise{e}, res, sq, it.CheckFence, "")
		if err != nil {
			return err
		}
		switch o := outs[0]; {
		case o.verdict == verdictReject:
			return queuedQuarantine(o.err)
		case o.verdict == verdictRetry:
			return o.err
		case o.result == quanzhou.ResultCreated || o.result == quanzhou.ResultUpdated || rec.PlatformHash == "":
			// The platform set gxsj (and, on create, its own fields: grade, 标准化有效期, qyid), or
			// holds the record unread: read it back, as the sync job does, so that the ledger
			// holds it whole now rather than after the next pull.
			return r.readBack(ctx, []string{e.USCC})
		}
		return nil
	}
}

// readBack reads pushed records from the platform one by one and records the platform's side of
// them (its own fields, gxsj), as a pull would. A record that cannot be read now is queued for a
// read-back of its own (KindEnterpriseReadBack); one the platform does not know is left to the
// next pull.
func (r *Runner) readBack(ctx context.Context, usccs []string) error {
	var reqs []retry.Request
	for _, u := range usccs {
		err := r.readOne(ctx, u, nil)
		if err == nil || errors.Is(err, quanzhou.ErrNotFound) {
			continue
		}
		switch judge(ctx, err) {
		case verdictRetry:
			reqs = append(reqs, retry.Request{Kind: KindEnterpriseReadBack, Key: u, Cause: err})
		case verdictAbort:
			return errors.Join(err, r.enqueue(ctx, reqs))
		default:
			r.log.Debug("read-back after push refused; the next pull catches up", zap.Error(err))
		}
	}
	return r.enqueue(ctx, reqs)
}

// readOne reads one enterprise from the platform and records the platform's side of it.
func (r *Runner) readOne(ctx context.Context, uscc string, fc fence) error {
	w, err := r.qz.GetEnterprise(ctx, uscc)
	if err != nil {
		return err
	}
	e, ps := mapping.EnterpriseFromQZ(w)
	if err := fc.check(ctx); err != nil {
		return err
	}
	if ps.HasErrors() {
		// Street-owned values that do not validate (a portal edit): its own fields only.
		if _, err := r.store.SetPlatformFields(ctx, []mapping.Enterprise{e}); err != nil {
			return fmt.Errorf("record platform fields: %w", err)
		}
		return nil
	}
	if _, err := r.store.RecordPlatformEnterprises(ctx, []mapping.Enterprise{e}, r.clock.Now()); err != nil {
		return fmt.Errorf("record platform enterprises: %w", err)
	}
	return nil
}

// handleEnterpriseReadBack is the retry handler of KindEnterpriseReadBack.
func (r *Runner) handleEnterpriseReadBack(ctx context.Context, it *retry.Item) error {
	err := r.readOne(ctx, it.Key, it.CheckFence)
	if errors.Is(err, quanzhou.ErrNotFound) {
		return nil // gone from the platform: the next pull tells the ledger
	}
	return err
}
