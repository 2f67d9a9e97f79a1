package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// The alarm job (quanzhou-platform.md, "Risk monitoring"): the street's handling feedback that the
// platform has not accepted yet is sent first, oldest first per alarm; then the alarms changed
// since the watermark are read, so that the platform's answer to the feedback is in the ledger
// by the end of the run and a second run finds nothing new.
//
// Feedback is the ledger's record (RecordFeedback stores it, then tries to send it). Sending the
// same feedback again is safe — the platform answers duplicate: true, which counts as accepted —
// so a crash between sending and recording costs nothing. 40902 (the alarm was closed with other
// handling) rejects it for good, with the platform's message, for a person to look at.

const (
	cursorAlarms = "alarms"
	alarmBatch   = 500
	feedbackPage = 1000
)

func (r *Runner) syncAlarms(ctx context.Context, t *tally, full bool, fc fence) error {
	if err := r.pushPendingFeedback(ctx, t); err != nil {
		return err
	}
	return r.pullAlarms(ctx, t, full, fc)
}

func (r *Runner) alarmPullJobPart(ctx context.Context, t *tally, fc fence) error {
	return r.pullAlarms(ctx, t, false, fc)
}

func (r *Runner) pullAlarms(ctx context.Context, t *tally, full bool, fc fence) error {
	aq, err := r.openQuarantine(ctx, ledger.SourceQuanzhou, ledger.KindAlarm)
	if err != nil {
		return err
	}
	since, err := r.watermark(ctx, cursorAlarms, full)
	if err != nil {
		return err
	}
	r.progress.Begin(Alarms, phasePull, 0)
	defer r.progress.End()
	seq, prog := r.qz.Alarms(ctx, since)
	batch := make([]mapping.Alarm, 0, alarmBatch)
	var bad []*ledger.QuarantineEntry
	requests := 0
	flush := func() error {
		if len(batch) > 0 {
			outs, err := r.store.UpsertAlarms(ctx, batch)
			if err != nil {
				return fmt.Errorf("store alarms: %w", err)
			}
			c := ledger.Tally(outs)
			t.pulled.Add(int64(c.Inserted + c.Updated))
			t.unchanged.Add(int64(c.Unchanged))
			for i := range batch {
				if err := r.resolve(ctx, aq, batch[i].ID); err != nil {
					return err
				}
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
	for pa, err := range seq {
		if err != nil {
			t.pages(prog.Requests, err)
			v := t.verdict(ctx, err)
			if ferr := flush(); ferr != nil {
				return errors.Join(err, ferr)
			}
			if v == verdictRetry {
				return r.queueJob(ctx, t, fc, KindAlarmPull, err)
			}
			return err
		}
		if pa.Problems.HasErrors() {
			key := pa.Alarm.ID
			if key == "" {
				key = "qyid:" + pa.Wire.Qyid + "@" + pa.Wire.Bjsj
			}
			raw, _ := json.Marshal(pa.Wire) // plain strings: cannot fail
			bad = append(bad, aq.entry(key, string(raw), pa.Problems.Errors()))
			t.quarantined.Add(1)
			continue
		}
		batch = append(batch, pa.Alarm)
		if len(batch) >= alarmBatch {
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
		return r.queueJob(ctx, t, fc, KindAlarmPull, errListingIncomplete)
	}
	return r.advanceMark(ctx, fc, cursorAlarms, prog.Mark())
}

// refreshAlarms reads the alarms changed since the watermark, under the job's lock; a failure for
// now is queued.
func (r *Runner) refreshAlarms(ctx context.Context) error {
	mu := r.locks[Alarms]
	mu.Lock()
	defer mu.Unlock()
	return r.pullAlarms(ctx, newTally(Alarms), false, nil)
}

// pushPendingFeedback sends every alarm's pending feedback; an alarm whose send failed for now is
// queued, its later feedback waiting behind it.
func (r *Runner) pushPendingFeedback(ctx context.Context, t *tally) error {
	r.progress.Begin(Alarms, phaseFeedback, 0)
	defer r.progress.End()
	tried := map[string]bool{}
	for {
		pending, err := r.store.PendingAlarmFeedback(ctx, feedbackPage)
		if err != nil {
			return fmt.Errorf("read pending feedback: %w", err)
		}
		var alarms []string
		for _, f := range pending {
			if !tried[f.AlarmID] {
				tried[f.AlarmID] = true
				alarms = append(alarms, f.AlarmID)
			}
		}
		if len(alarms) == 0 {
			return nil
		}
		var reqs []retry.Request
		for _, id := range alarms {
			res, err := r.pushAlarmFeedback(ctx, id, nil)
			t.answer(res.answered)
			if res.retryErr != nil {
				t.verdict(ctx, res.retryErr)
			}
			t.pushed.Add(int64(res.accepted))
			t.quarantined.Add(int64(res.rejected))
			r.progress.Advance(res.accepted+res.rejected, res.accepted+res.rejected)
			if err != nil {
				return errors.Join(err, r.enqueue(ctx, reqs))
			}
			if res.retryErr != nil {
				reqs = append(reqs, retry.Request{Kind: KindFeedbackPush, Key: id, Cause: res.retryErr})
				t.queued.Add(1)
			}
		}
		if err := r.enqueue(ctx, reqs); err != nil {
			return err
		}
		if len(pending) < feedbackPage {
			return nil
		}
	}
}

type feedbackResult struct {
	accepted, rejected int
	answered           int   // sends the platform answered
	retryErr           error // the send that failed for now; later feedback of the alarm waits
}

// pushAlarmFeedback sends one alarm's pending feedback in the order it was recorded — the current
// state of the ledger, whatever was pending when an item was queued.
func (r *Runner) pushAlarmFeedback(ctx context.Context, alarmID string, fc fence) (feedbackResult, error) {
	var res feedbackResult
	list, err := r.store.AlarmFeedback(ctx, alarmID)
	if err != nil {
		return res, fmt.Errorf("read feedback: %w", err)
	}
	for _, f := range list {
		if f.State != ledger.PushPending {
			continue
		}
		if ps := mapping.ValidateFeedback(&f.AlarmFeedback); ps.HasErrors() {
			if err := r.settleFeedback(ctx, fc, f.ID, ps.Errors().Error()); err != nil {
				return res, err
			}
			res.rejected++
			continue
		}
		_, err := r.qz.Feedback(ctx, f.AlarmFeedback) // duplicate: the platform had it; accepted all the same
		if err == nil || judge(ctx, err) == verdictReject {
			res.answered++
		}
		if err == nil {
			if err := r.settleFeedback(ctx, fc, f.ID, ""); err != nil {
				return res, err
			}
			res.accepted++
			continue
		}
		switch judge(ctx, err) {
		case verdictAbort:
			return res, err
		case verdictReject: // 40902, an unknown alarm, a refused parameter: a person decides
			if err := r.settleFeedback(ctx, fc, f.ID, summaryOf(err)); err != nil {
				return res, err
			}
			res.rejected++
		default:
			res.retryErr = err
			return res, nil
		}
	}
	return res, nil
}

// settleFeedback records the platform's verdict on one feedback: accepted ("" reason) or
// rejected with the reason.
func (r *Runner) settleFeedback(ctx context.Context, fc fence, id int64, reason string) error {
	if err := fc.check(ctx); err != nil {
		return err
	}
	now := r.clock.Now()
	var err error
	if reason == "" {
		err = r.store.MarkFeedbackAccepted(ctx, id, now)
	} else {
		err = r.store.MarkFeedbackRejected(ctx, id, reason, now)
	}
	if err != nil {
		return fmt.Errorf("record feedback %d: %w", id, err)
	}
	return nil
}

func (r *Runner) handleFeedbackPush(ctx context.Context, it *retry.Item) error {
	res, err := r.pushAlarmFeedback(ctx, it.Key, it.CheckFence)
	if err != nil {
		return err
	}
	if res.accepted > 0 {
		// The platform changed the alarm: read it into the ledger.
		if err := r.enqueue(ctx, []retry.Request{{Kind: KindAlarmPull, Key: keyJob}}); err != nil {
			return err
		}
	}
	return res.retryErr
}

// FeedbackOutcome is what became of the street's handling of an alarm (`alarms feedback`).
type FeedbackOutcome struct {
	// Feedback is the record as the ledger holds it after the attempt: State accepted,
	// rejected (Message says why) or pending.
	Feedback ledger.FeedbackRecord
	// Created is false when exactly this feedback had been recorded before.
	Created bool
	// Queued: the platform could not be reached; the retry queue sends it.
	Queued bool
}

// InvalidFeedbackError lists what is missing or wrong in feedback that RecordFeedback refused.
type InvalidFeedbackError struct{ Problems mapping.Problems }

func (e *InvalidFeedbackError) Error() string { return msgFeedbackInvalid + e.Problems.Error() }

// RecordFeedback stores the street's handling of an alarm in the ledger and tries to send it to
// the platform at once, with any earlier feedback of the alarm still pending (in order). Invalid
// feedback is refused with *InvalidFeedbackError and not stored. If the platform cannot be
// reached now, the feedback is queued (Queued) and the command has still succeeded.
func (r *Runner) RecordFeedback(ctx context.Context, fb mapping.AlarmFeedback) (FeedbackOutcome, error) {
	var out FeedbackOutcome
	// The canonical form is stored, so that the same handling typed twice is one record, and
	// the time to the second, as the platform keeps it.
	fb.Note = mapping.CleanText(fb.Note)
	fb.Handler = mapping.NormalizePersonName(fb.Handler)
	fb.HandledAt = fb.HandledAt.Truncate(time.Second)
	if ps := mapping.ValidateFeedback(&fb); ps.HasErrors() {
		return out, &InvalidFeedbackError{Problems: ps.Errors()}
	}
	rec, created, err := r.store.RecordAlarmFeedback(ctx, fb)
	if err != nil {
		return out, fmt.Errorf("record feedback: %w", err)
	}
	out.Feedback, out.Created = rec, created
	res, err := r.pushAlarmFeedback(ctx, fb.AlarmID, nil)
	if err != nil {
		return out, fmt.Errorf("send feedback: %w", err)
	}
	switch {
	case res.retryErr != nil:
		if err := r.enqueue(ctx, []retry.Request{{Kind: KindFeedbackPush, Key: fb.AlarmID, Cause: res.retryErr}}); err != nil {
			return out, err
		}
		out.Queued = true
	case res.accepted > 0:
		// The platform changed the alarm: read it into the ledger now (or by the queue). The
		// feedback itself is done; a failure here only delays the ledger's copy of the alarm.
		if err := r.refreshAlarms(ctx); err != nil {
			r.log.Warn("alarm listing after feedback failed; the next alarm sync reads it", zap.Error(err))
		}
	}
	list, err := r.store.AlarmFeedback(ctx, fb.AlarmID)
	if err != nil {
		return out, fmt.Errorf("read feedback: %w", err)
	}
	for _, f := range list {
		if f.ID == rec.ID {
			out.Feedback = f
		}
	}
	return out, nil
}
