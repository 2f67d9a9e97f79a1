package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// The hazard job (contracts/hazards.md): pull every hazard of the region, then push the street's
// new hazards and its status changes, then read back what the pushes touched.
//
// The pull records what the platform holds. An enterprise's own report (企业自查) is the
// platform's record and comes in whole; a street-reported hazard's reporter fields are kept as
// the platform's view beside the ledger's, so that a portal edit of them is drift (counted,
// reported by reconcile, never written over either way); the status merges furthest forward.
//
// A create is idempotent by lybh: the platform answers the same lybh with the same content as a
// duplicate with the same yhid, so a crash between the platform's answer and the ledger's write
// costs nothing — the next run (whose pull usually finds the hazard first) records it, and no
// second hazard is made. A status change is sent with /status; one the platform refuses as
// backward (40903: its copy is further along) is rejected and quarantined with a Chinese reason.
// A create the platform refuses because it does not know the enterprise (40401) waits for the
// enterprise: when the ledger holds the enterprise, its push is queued and the hazard's create
// retried after it; otherwise the hazard is quarantined until the street registers the
// enterprise.

// HazardPlatform is what the hazard and inspection jobs use of the Quanzhou client.
type HazardPlatform interface {
	// Hazards lists the region's hazards from the mark on (zero: all), none missed.
	Hazards(ctx context.Context, from quanzhou.Mark, cl *mapping.Clauses) (iter.Seq2[quanzhou.PulledHazard, error], *quanzhou.Progress)
	// ReportHazard creates a street hazard (idempotent by lybh).
	ReportHazard(ctx context.Context, h *mapping.Hazard) (yhid string, duplicate bool, err error)
	// SetHazardStatus sends a status change of a hazard the platform holds.
	SetHazardStatus(ctx context.Context, ch mapping.HazardStatusChange) (duplicate bool, err error)
	// Inspections lists the region's inspection records from the mark on (zero: all).
	Inspections(ctx context.Context, from quanzhou.Mark) (iter.Seq2[quanzhou.PulledInspection, error], *quanzhou.Progress)
}

const (
	cursorHazards     = "hazards"
	cursorInspections = "inspections"
	hazardBatch       = 500
)

func (r *Runner) syncHazards(ctx context.Context, t *tally, full bool, fc fence) error {
	since, err := r.watermark(ctx, cursorHazards, full)
	if err != nil {
		return err
	}
	hw, err := r.pullHazards(ctx, t, since, true)
	if err != nil {
		if t.verdict(ctx, err) == verdictRetry {
			// The push waits for the pull: without the platform's statuses it could send a
			// change the platform has passed.
			return r.queueJob(ctx, t, fc, KindHazardSync, err)
		}
		return err
	}
	if err := r.advanceMark(ctx, fc, cursorHazards, hw); err != nil {
		return err
	}
	touched, err := r.pushHazards(ctx, t, fc)
	if err != nil || touched == 0 {
		return err
	}
	// Read back what the pushes changed (gxsj, the platform's ids), so the next run finds
	// nothing new.
	back, err := r.pullHazards(ctx, t, hw, false)
	if err != nil {
		if t.verdict(ctx, err) == verdictRetry {
			return r.queueJob(ctx, t, fc, KindHazardSync, err)
		}
		return err
	}
	return r.advanceMark(ctx, fc, cursorHazards, back)
}

func (r *Runner) hazardJobPart(ctx context.Context, t *tally, fc fence) error {
	return r.syncHazards(ctx, t, false, fc)
}

// pullHazards reads the hazard listing from since and records it; it returns the listing's
// high-water mark once everything is committed. count: count what changed (the read-back after
// pushing does not).
func (r *Runner) pullHazards(ctx context.Context, t *tally, since quanzhou.Mark, count bool) (quanzhou.Mark, error) {
	pq, err := r.openQuarantine(ctx, ledger.SourceQuanzhou, ledger.KindHazard)
	if err != nil {
		return quanzhou.Mark{}, err
	}
	r.progress.Begin(Hazards, phasePull, 0)
	defer r.progress.End()
	seq, prog := r.qz.Hazards(ctx, since, r.clauses)
	seenAt := r.clock.Now()
	batch := make([]mapping.Hazard, 0, hazardBatch)
	var bad []*ledger.QuarantineEntry
	requests := 0
	flush := func() error {
		if len(batch) > 0 {
			comps, err := r.store.RecordPlatformHazards(ctx, batch, seenAt)
			if err != nil {
				return fmt.Errorf("record platform hazards: %w", err)
			}
			keys := make([]string, len(batch))
			for i, c := range comps {
				keys[i] = batch[i].ID
				switch {
				case c.Outcome == ledger.OutcomeUnchanged:
					if count {
						t.unchanged.Add(1)
					}
				case count || c.Outcome == ledger.OutcomeInserted:
					t.pulled.Add(1)
				}
				if c.State.Drifted() && c.Outcome != ledger.OutcomeUnchanged {
					t.drift(batch[i].Key())
				}
			}
			if err := r.resolve(ctx, pq, keys...); err != nil {
				return err
			}
		}
		if err := r.quarantine(ctx, bad...); err != nil {
			return err
		}
		r.progress.Total(prog.Total)
		r.progress.Advance(prog.Requests-requests, len(batch))
		requests = prog.Requests
		batch, bad = batch[:0], bad[:0]
		return nil
	}
	for p, err := range seq {
		if err != nil {
			t.pages(prog.Requests, err)
			return quanzhou.Mark{}, errors.Join(err, flush()) // what was read is the platform's truth all the same
		}
		if p.Problems.HasErrors() {
			key := p.Hazard.ID
			if key == "" {
				key = "lybh:" + p.Wire.Lybh
			}
			raw, _ := json.Marshal(p.Wire) // plain strings: cannot fail
			bad = append(bad, pq.entry(key, string(raw), p.Problems.Errors()))
			t.quarantined.Add(1)
			continue
		}
		batch = append(batch, p.Hazard)
		if len(batch) >= hazardBatch {
			if err := flush(); err != nil {
				return quanzhou.Mark{}, err
			}
		}
	}
	t.pages(prog.Requests, nil)
	if err := flush(); err != nil {
		return quanzhou.Mark{}, err
	}
	if !prog.Done {
		return quanzhou.Mark{}, errListingIncomplete
	}
	return prog.Mark(), nil
}

// pushHazards creates the street's hazards the platform does not hold and sends the street's
// pending status changes. It returns how many platform records it changed.
func (r *Runner) pushHazards(ctx context.Context, t *tally, fc fence) (int, error) {
	r.progress.Begin(Hazards, phasePush, 0)
	defer r.progress.End()
	var br breaker
	touched := 0
	var keys []string
	for rec, err := range r.store.Hazards(ctx, ledger.HazardFilter{Unpushed: true}) {
		if err != nil {
			return touched, fmt.Errorf("read hazards: %w", err)
		}
		keys = append(keys, rec.Key())
	}
	var reqs []retry.Request
	for _, key := range keys {
		if br.open {
			break
		}
		res, err := r.createHazard(ctx, key, nil)
		if err != nil {
			return touched, errors.Join(err, r.enqueue(ctx, reqs))
		}
		r.countPush(t, &res, &br)
		if res.created {
			touched++
		}
		reqs = append(reqs, res.reqs...)
	}
	if err := r.enqueue(ctx, reqs); err != nil {
		return touched, err
	}
	if !br.open {
		n, err := r.pushPendingStatus(ctx, t, &br)
		touched += n
		if err != nil {
			return touched, err
		}
	}
	if br.open {
		r.log.Warn("hazard push stopped: the platform keeps failing; the rest is queued as one job retry")
		return touched, r.queueJob(ctx, t, fc, KindHazardSync, errPlatformDown)
	}
	return touched, nil
}

// hazardPush is what became of one create or one hazard's status changes.
type hazardPush struct {
	created   bool // the platform made a new record (a duplicate is not new)
	accepted  int  // creates (duplicates included) and status changes the platform accepted
	rejected  int  // refused for good: quarantined
	answered  int
	retryErr  error           // the call that failed for now (its item is in reqs)
	reqs      []retry.Request // retry items to enqueue
	reason    string          // why it was not accepted, for a person (Chinese)
	duplicate bool
}

func (r *Runner) countPush(t *tally, res *hazardPush, br *breaker) {
	t.answer(res.answered)
	t.pushed.Add(int64(res.accepted))
	t.quarantined.Add(int64(res.rejected))
	if res.retryErr != nil {
		t.failed.Add(1)
		t.mu.Lock()
		t.lastFailure = res.retryErr
		t.mu.Unlock()
		t.queued.Add(int64(len(res.reqs)))
		br.record(res.retryErr)
	} else if res.answered > 0 {
		br.record(nil)
	}
	r.progress.Advance(res.answered, res.accepted+res.rejected)
}

// createHazard sends one street hazard's create, as the ledger holds it now, and records the
// answer (after the fence). A hazard already on the platform, or gone, needs nothing.
func (r *Runner) createHazard(ctx context.Context, key string, fc fence) (hazardPush, error) {
	var res hazardPush
	rec, err := r.store.HazardByKey(ctx, key)
	if errors.Is(err, ledger.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if !rec.NeedsCreate() {
		return res, nil
	}
	sq, err := r.quarantineOf(ctx, ledger.SourceSyncPush, ledger.KindHazard, key)
	if err != nil {
		return res, err
	}
	h := rec.Hazard
	if h.RegionCode == "" {
		h.RegionCode = r.region
	}
	raw := hazardWireJSON(&h)
	if ps := mapping.ValidateHazard(&h, r.clauses, mapping.WithToday(r.today())); ps.HasErrors() {
		res.rejected, res.reason = 1, ps.Errors().Error()
		return res, r.quarantine(ctx, sq.entry(key, raw, ps.Errors()))
	}
	if sq.refused(key, raw) {
		res.rejected, res.reason = 1, msgStillRefused
		return res, nil // refused as it is: not sent again until it changes
	}
	yhid, dup, err := r.qz.ReportHazard(ctx, &h)
	if err == nil {
		res.answered, res.accepted, res.created, res.duplicate = 1, 1, !dup, dup
		if err := fc.check(ctx); err != nil {
			return res, err
		}
		if err := r.store.MarkHazardCreated(ctx, key, yhid, h, r.clock.Now()); err != nil {
			return res, fmt.Errorf("record created hazard: %w", err)
		}
		if err := r.resolve(ctx, sq, key); err != nil {
			return res, err
		}
		// Status changes recorded after the create's content was read go with /status.
		return res, nil
	}
	switch judge(ctx, err) {
	case verdictAbort:
		return res, err
	case verdictRetry:
		res.retryErr = err
		res.reqs = append(res.reqs, retry.Request{Kind: KindHazardCreate, Key: key, Cause: err})
		res.reason = fmt.Sprintf(msgQueued, summaryOf(err))
		return res, nil
	}
	res.answered = 1
	if errors.Is(err, quanzhou.ErrNotFound) {
		// 40401: the platform does not know the enterprise. Push it first, then try again.
		ent, eerr := r.store.EnterpriseByUSCC(ctx, h.USCC)
		switch {
		case eerr == nil && !ent.PendingReview:
			cause := retry.Transient(fmt.Errorf("enterprise %s not on the platform yet: %w", h.USCC, err), 0)
			res.retryErr = cause
			res.reqs = append(res.reqs, retry.Request{Kind: KindEnterpriseForcePush, Key: h.USCC, Cause: err},
				retry.Request{Kind: KindHazardCreate, Key: key, Cause: cause})
			res.reason = msgHazardWaitsEnterprise
			return res, nil
		case eerr != nil && !errors.Is(eerr, ledger.ErrNotFound):
			return res, eerr
		}
		res.rejected, res.reason = 1, msgHazardUnknownEnterprise
		return res, r.quarantine(ctx, sq.entry(key, raw, refusal(msgHazardUnknownEnterprise)))
	}
	reasons := platformRefusal(labelQuanzhou, err)
	if errors.Is(err, quanzhou.ErrConflict) {
		reasons = refusal(msgHazardConflict)
	}
	res.rejected, res.reason = 1, reasons.Error()
	return res, r.quarantine(ctx, sq.entry(key, raw, reasons))
}

// refusal is a quarantine reason of this package's own words.
func refusal(reason string) mapping.Problems {
	return mapping.Problems{{Field: "platform", Label: labelQuanzhou, Reason: reason, Severity: mapping.SeverityError}}
}

// hazardWireJSON is the create's payload: what a platform refusal is remembered by.
func hazardWireJSON(h *mapping.Hazard) string {
	b, _ := json.Marshal(mapping.HazardToQZ(h)) // plain strings: cannot fail
	return string(b)
}

// pushPendingStatus sends every pending street status change of hazards the platform holds, in
// the order recorded; a hazard whose send failed for now is queued, its later changes waiting
// behind it.
func (r *Runner) pushPendingStatus(ctx context.Context, t *tally, br *breaker) (int, error) {
	touched := 0
	tried := map[string]bool{}
	for {
		pending, err := r.store.PendingHazardStatusChanges(ctx, feedbackPage)
		if err != nil {
			return touched, fmt.Errorf("read pending hazard status changes: %w", err)
		}
		var keys []string
		for _, p := range pending {
			if !tried[p.Key] {
				tried[p.Key] = true
				keys = append(keys, p.Key)
			}
		}
		if len(keys) == 0 {
			return touched, nil
		}
		var reqs []retry.Request
		for _, k := range keys {
			if br.open {
				break
			}
			res, err := r.pushHazardStatus(ctx, k, nil)
			if err != nil {
				return touched, errors.Join(err, r.enqueue(ctx, reqs))
			}
			r.countPush(t, &res, br)
			touched += res.accepted
			reqs = append(reqs, res.reqs...)
		}
		if err := r.enqueue(ctx, reqs); err != nil {
			return touched, err
		}
		if len(pending) < feedbackPage || br.open {
			return touched, nil
		}
	}
}

// pushHazardStatus sends one hazard's pending street status changes in the order recorded — the
// ledger's state now, whatever was pending when an item was queued.
func (r *Runner) pushHazardStatus(ctx context.Context, key string, fc fence) (hazardPush, error) {
	var res hazardPush
	hist, err := r.store.HazardHistory(ctx, key)
	if errors.Is(err, ledger.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	for _, ch := range hist {
		if ch.Side != ledger.SideStreet || ch.State != ledger.PushPending || ch.HazardID == "" {
			continue
		}
		// The move was checked when it was recorded; here only the platform's required fields.
		if ps := mapping.ValidateStatusChange(mapping.HazardPending, &ch.HazardStatusChange); ps.HasErrors() {
			if err := r.settleStatus(ctx, fc, ch.ID, ps.Errors().Error()); err != nil {
				return res, err
			}
			res.rejected, res.reason = res.rejected+1, ps.Errors().Error()
			continue
		}
		_, err := r.qz.SetHazardStatus(ctx, ch.HazardStatusChange) // duplicate: the platform had it; accepted all the same
		if err == nil {
			res.answered++
			if err := r.settleStatus(ctx, fc, ch.ID, ""); err != nil {
				return res, err
			}
			res.accepted++
			continue
		}
		switch judge(ctx, err) {
		case verdictAbort:
			return res, err
		case verdictRetry:
			res.retryErr = err
			res.reqs = append(res.reqs, retry.Request{Kind: KindHazardStatusPush, Key: key, Cause: err})
			res.reason = fmt.Sprintf(msgQueued, summaryOf(err))
			return res, nil
		}
		res.answered++
		reason := summaryOf(err)
		switch {
		case errors.Is(err, quanzhou.ErrStatusBackward):
			reason = fmt.Sprintf(msgStatusRefusedBackward, ch.Status.Label())
		case errors.Is(err, quanzhou.ErrNotFound):
			reason = msgHazardGone
		}
		if err := r.settleStatus(ctx, fc, ch.ID, reason); err != nil {
			return res, err
		}
		sq, err := r.quarantineOf(ctx, ledger.SourceSyncPush, ledger.KindHazardStatus, key)
		if err != nil {
			return res, err
		}
		raw, _ := json.Marshal(mapping.StatusChangeToQZ(ch.HazardStatusChange))
		if err := r.quarantine(ctx, sq.entry(key, string(raw), refusal(reason))); err != nil {
			return res, err
		}
		res.rejected++
		res.reason = reason
	}
	return res, nil
}

// settleStatus records the platform's verdict on one street status change: accepted ("") or
// rejected with the reason.
func (r *Runner) settleStatus(ctx context.Context, fc fence, id int64, reason string) error {
	if err := fc.check(ctx); err != nil {
		return err
	}
	state := ledger.PushAccepted
	if reason != "" {
		state = ledger.PushRejected
	}
	if err := r.store.SettleHazardStatusChange(ctx, id, state, reason, r.clock.Now()); err != nil {
		return fmt.Errorf("record hazard status change %d: %w", id, err)
	}
	return nil
}

// handleHazardCreate is the retry handler of KindHazardCreate (key: the hazard's lybh).
func (r *Runner) handleHazardCreate(ctx context.Context, it *retry.Item) error {
	res, err := r.createHazard(ctx, it.Key, it.CheckFence)
	if err != nil {
		return err
	}
	if res.retryErr != nil {
		return res.retryErr
	}
	if res.rejected > 0 {
		return queuedQuarantine(errors.New(res.reason))
	}
	if res.accepted > 0 {
		// Status changes recorded meanwhile, and the read-back: one job run does both.
		return r.enqueue(ctx, []retry.Request{{Kind: KindHazardSync, Key: keyJob}})
	}
	return nil
}

// handleHazardStatusPush is the retry handler of KindHazardStatusPush (key: the hazard's key).
func (r *Runner) handleHazardStatusPush(ctx context.Context, it *retry.Item) error {
	res, err := r.pushHazardStatus(ctx, it.Key, it.CheckFence)
	if err != nil {
		return err
	}
	return res.retryErr
}

// HazardOutcome is what became of a hazard the street recorded (`hazards report`, `hazards
// status`): the hazard as the ledger holds it afterwards, and its push.
type HazardOutcome struct {
	Hazard ledger.HazardRecord
	// Created is false when exactly this hazard or change had been recorded before.
	Created bool
	// Pushed: the platform accepted it now. Queued: the platform could not be reached (or
	// waits for the enterprise); the retry queue sends it. Rejected: the platform refused it;
	// Reason says why (Chinese), and it is in quarantine.
	Pushed, Queued, Rejected bool
	Reason                   string
}

// InvalidHazardError lists what is missing or wrong in a hazard or status change the street
// tried to record; nothing was stored.
type InvalidHazardError struct{ Problems mapping.Problems }

func (e *InvalidHazardError) Error() string { return msgHazardInvalid + e.Problems.Error() }

// ReportHazard records a hazard the street found (`hazards report`): normalized, validated
// (*InvalidHazardError, nothing stored), given its lybh when it has none, stored, and pushed
// at once; a push that fails for now is queued, and the command has still succeeded.
func (r *Runner) ReportHazard(ctx context.Context, h mapping.Hazard) (HazardOutcome, error) {
	var out HazardOutcome
	if h.Source == "" {
		h.Source = mapping.SourceStreet
	}
	mapping.NormalizeHazard(&h, r.clauses)
	ps := mapping.ValidateHazard(&h, r.clauses, mapping.WithToday(r.today()))
	if _, err := r.store.EnterpriseByUSCC(ctx, h.USCC); errors.Is(err, ledger.ErrNotFound) && !ps.HasErrors() {
		ps = append(ps, mapping.Problem{Field: "uscc", Label: "统一社会信用代码", Value: h.USCC, Reason: msgHazardEnterpriseUnknown,
			Severity: mapping.SeverityError})
	} else if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return out, err
	}
	if ps.HasErrors() {
		return out, &InvalidHazardError{Problems: ps.Errors()}
	}
	if h.StreetID == "" {
		h.StreetID = mapping.StreetIDFor(&h)
	}
	outs, err := r.store.RecordStreetHazards(ctx, []ledger.HazardInput{{Hazard: h, Warnings: ps.Warnings()}}, false)
	if err != nil {
		return out, fmt.Errorf("record hazard: %w", err)
	}
	switch o := outs[0]; {
	case o.Refused:
		return out, &InvalidHazardError{Problems: refusal(msgHazardNotStreets)}
	case o.Backward:
		return out, &InvalidHazardError{Problems: mapping.ValidateStatusMove(o.From, h.Status)}
	default:
		out.Created = o.Outcome == ledger.OutcomeInserted
	}
	return r.pushNow(ctx, h.StreetID, out)
}

// RecordHazardStatus records a status change of the hazard id (its 隐患编号 or yhid) and sends
// it at once (with any earlier pending change of the hazard; a hazard not on the platform yet is
// created with it). A change the hazard's status does not allow, or without the platform's
// required note and handler, is *InvalidHazardError; an unknown hazard wraps ledger.ErrNotFound.
func (r *Runner) RecordHazardStatus(ctx context.Context, id string, ch mapping.HazardStatusChange) (HazardOutcome, error) {
	var out HazardOutcome
	rec, err := r.store.HazardByKey(ctx, id)
	if err != nil {
		return out, err
	}
	ch.Note = mapping.CleanText(ch.Note)
	ch.Handler = mapping.NormalizePersonName(ch.Handler)
	ch.At = ch.At.Truncate(time.Second)
	if ps := mapping.ValidateStatusChange(rec.Status, &ch); ps.HasErrors() {
		return out, &InvalidHazardError{Problems: ps.Errors()}
	}
	_, created, err := r.store.RecordHazardStatus(ctx, id, ch)
	if errors.Is(err, ledger.ErrStatusMove) {
		return out, &InvalidHazardError{Problems: mapping.ValidateStatusMove(rec.Status, ch.Status)}
	}
	if err != nil {
		return out, fmt.Errorf("record hazard status: %w", err)
	}
	out.Created = created
	return r.pushNow(ctx, rec.Key(), out)
}

// pushNow sends what the ledger holds for the hazard key and is not on the platform yet — its
// create, or its pending status changes — and reports the outcome.
func (r *Runner) pushNow(ctx context.Context, key string, out HazardOutcome) (HazardOutcome, error) {
	mu := r.locks[Hazards]
	mu.Lock()
	defer mu.Unlock()
	rec, err := r.store.HazardByKey(ctx, key)
	if err != nil {
		return out, err
	}
	var res hazardPush
	if rec.NeedsCreate() {
		res, err = r.createHazard(ctx, key, nil)
	} else {
		res, err = r.pushHazardStatus(ctx, key, nil)
	}
	if err != nil {
		return out, fmt.Errorf("push hazard: %w", err)
	}
	if err := r.enqueue(ctx, res.reqs); err != nil {
		return out, err
	}
	out.Pushed, out.Queued, out.Rejected = res.accepted > 0, res.retryErr != nil, res.rejected > 0
	out.Reason = res.reason
	if res.accepted > 0 {
		// The platform changed the hazard: read it into the ledger now (a failure only delays it).
		if err := r.pullHazardsLocked(ctx); err != nil {
			r.log.Warn("hazard listing after the push failed; the next hazard sync reads it", zap.Error(err))
		}
	}
	out.Hazard, err = r.store.HazardByKey(ctx, key)
	return out, err
}

// pullHazardsLocked reads the hazards changed since the watermark (the caller holds the job's
// lock) and advances it.
func (r *Runner) pullHazardsLocked(ctx context.Context) error {
	since, err := r.watermark(ctx, cursorHazards, false)
	if err != nil {
		return err
	}
	hw, err := r.pullHazards(ctx, newTally(Hazards), since, false)
	if err != nil {
		return err
	}
	return r.advanceMark(ctx, nil, cursorHazards, hw)
}

// PushHazards is reconcile --apply's push of the street's side of these hazards (keys): a
// create for a hazard the platform does not hold, the pending status changes of one it holds.
// It reports how many the platform accepted and, for the others, why not (Chinese).
func (r *Runner) PushHazards(ctx context.Context, keys []string) (pushed int, failed map[string]string, err error) {
	failed = map[string]string{}
	for _, k := range keys {
		out, err := r.pushNow(ctx, k, HazardOutcome{})
		if errors.Is(err, ledger.ErrNotFound) {
			failed[k] = msgHazardNotInLedger
			continue
		}
		if err != nil {
			return pushed, failed, err
		}
		switch {
		case out.Pushed:
			pushed++
		case out.Reason != "":
			failed[k] = out.Reason
		case out.Hazard.SyncState() != ledger.StateInSync:
			// Ledger changed, portal edited, or both: there is no update of a hazard's content.
			failed[k] = msgHazardNoUpdate
		}
	}
	return pushed, failed, nil
}

// PullHazards is reconcile --apply's pull: the hazards changed since the watermark are read
// into the ledger (the platform's side of every hazard, its statuses merged).
func (r *Runner) PullHazards(ctx context.Context) error {
	mu := r.locks[Hazards]
	mu.Lock()
	defer mu.Unlock()
	return r.pullHazardsLocked(ctx)
}

// The inspection job: pull only (the platform's 企业检查记录).

func (r *Runner) syncInspections(ctx context.Context, t *tally, full bool, fc fence) error {
	iq, err := r.openQuarantine(ctx, ledger.SourceQuanzhou, ledger.KindInspection)
	if err != nil {
		return err
	}
	since, err := r.watermark(ctx, cursorInspections, full)
	if err != nil {
		return err
	}
	r.progress.Begin(Inspections, phasePull, 0)
	defer r.progress.End()
	seq, prog := r.qz.Inspections(ctx, since)
	batch := make([]mapping.Inspection, 0, hazardBatch)
	var bad []*ledger.QuarantineEntry
	requests := 0
	flush := func() error {
		if len(batch) > 0 {
			outs, err := r.store.UpsertInspections(ctx, batch)
			if err != nil {
				return fmt.Errorf("store inspections: %w", err)
			}
			c := ledger.Tally(outs)
			t.pulled.Add(int64(c.Inserted + c.Updated))
			t.unchanged.Add(int64(c.Unchanged))
			keys := make([]string, len(batch))
			for i := range batch {
				keys[i] = batch[i].ID
			}
			if err := r.resolve(ctx, iq, keys...); err != nil {
				return err
			}
		}
		if err := r.quarantine(ctx, bad...); err != nil {
			return err
		}
		r.progress.Total(prog.Total)
		r.progress.Advance(prog.Requests-requests, len(batch))
		requests = prog.Requests
		batch, bad = batch[:0], bad[:0]
		return nil
	}
	for p, err := range seq {
		if err != nil {
			t.pages(prog.Requests, err)
			v := t.verdict(ctx, err)
			if ferr := flush(); ferr != nil {
				return errors.Join(err, ferr)
			}
			if v == verdictRetry {
				return r.queueJob(ctx, t, fc, KindInspectionPull, err)
			}
			return err
		}
		if p.Problems.HasErrors() {
			key := p.Inspection.ID
			if key == "" {
				key = "tyshxydm:" + p.Wire.Tyshxydm + "@" + p.Wire.Jcrq
			}
			raw, _ := json.Marshal(p.Wire) // cannot fail
			bad = append(bad, iq.entry(key, string(raw), p.Problems.Errors()))
			t.quarantined.Add(1)
			continue
		}
		batch = append(batch, p.Inspection)
		if len(batch) >= hazardBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	t.pages(prog.Requests, nil)
	if err := flush(); err != nil {
		return err
	}
	if !prog.Done {
		return r.queueJob(ctx, t, fc, KindInspectionPull, errListingIncomplete)
	}
	return r.advanceMark(ctx, fc, cursorInspections, prog.Mark())
}

func (r *Runner) inspectionJobPart(ctx context.Context, t *tally, fc fence) error {
	return r.syncInspections(ctx, t, false, fc)
}
