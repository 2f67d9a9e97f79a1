package jobs

import (
	"context"
	"time"

	"go.uber.org/zap"

	"streetsync/scheduler/retry"
)

// The retry queue's job kinds. Record items hold only the record's key, never a snapshot: their
// handlers read the record's current state from the ledger, decide afresh (a record that needs
// nothing any more is finished without a request), and check the lease fence before recording a
// platform write. Job items (key "job") stand for a part of a run that failed as a whole — a
// listing, the certificate queries, the change feed — and run that part again.
const (
	// KindEnterpriseSync re-runs the enterprise job (its pull failed, so its push waited; or the
	// platform was down in the middle of the push).
	KindEnterpriseSync = "enterprise.sync"
	// KindEnterprisePush pushes one enterprise (key: USCC) if the comparison still says so.
	KindEnterprisePush = "enterprise.push"
	// KindEnterpriseForcePush pushes one enterprise an operator decided to push (reconcile).
	KindEnterpriseForcePush = "enterprise.forcepush"
	// KindEnterpriseReadBack reads one pushed enterprise back from the platform, when the
	// read-back right after its push failed (key: USCC): its platform-owned fields reach the
	// ledger without waiting for the next pull.
	KindEnterpriseReadBack = "enterprise.readback"
	// KindCertificateQuery queries the roster's ID numbers that still lack a recent answer.
	KindCertificateQuery = "certificate.query"
	// KindCertificateFeed follows the certificate change feed from its stored position.
	KindCertificateFeed = "certificate.feed"
	// KindAlarmPull reads the alarm listing from its watermark.
	KindAlarmPull = "alarm.pull"
	// KindFeedbackPush sends an alarm's pending feedback, oldest first (key: bjid).
	KindFeedbackPush = "feedback.push"
	// KindHazardSync re-runs the hazard job (its pull failed, or the platform was down in the
	// middle of its push).
	KindHazardSync = "hazard.sync"
	// KindHazardCreate creates one street hazard on the platform (key: lybh), if it is still
	// not there.
	KindHazardCreate = "hazard.create"
	// KindHazardStatusPush sends a hazard's pending street status changes (key: the hazard's key).
	KindHazardStatusPush = "hazard.status"
	// KindInspectionPull reads the inspection listing from its watermark.
	KindInspectionPull = "inspection.pull"
	// KindEmploymentSync re-runs the employment job (the system was down in the middle of it).
	KindEmploymentSync = "employment.sync"
	// KindEmploymentPut registers, extends or ends one roster entry's registration (key:
	// ID number|USCC|item, as mapping.OperatorKey.String).
	KindEmploymentPut = "employment.put"
)

// keyJob is the key of a job item: one per kind.
const keyJob = "job"

// Workers returns one retry worker per job kind, for the daemon (`go queue.Run(ctx, w)` each)
// and `queue drain` (`queue.Drain(ctx, timeout, runner.Workers()...)`). The workers need no
// limiter of their own: the platform clients pace every call with the limiter they share with
// the jobs.
func (r *Runner) Workers() []retry.Worker {
	return []retry.Worker{
		{Kind: KindEnterpriseSync, Handler: r.handleJob(Enterprises, r.enterpriseJobPart), Concurrency: 1},
		{Kind: KindEnterprisePush, Handler: r.handleEnterprisePush(false)},
		{Kind: KindEnterpriseForcePush, Handler: r.handleEnterprisePush(true)},
		{Kind: KindEnterpriseReadBack, Handler: r.handleEnterpriseReadBack},
		{Kind: KindCertificateQuery, Handler: r.handleJob(Certificates, r.queryJobPart), Concurrency: 1},
		{Kind: KindCertificateFeed, Handler: r.handleJob(Certificates, r.feedJobPart), Concurrency: 1},
		{Kind: KindAlarmPull, Handler: r.handleJob(Alarms, r.alarmPullJobPart), Concurrency: 1},
		{Kind: KindFeedbackPush, Handler: r.handleFeedbackPush},
		{Kind: KindHazardSync, Handler: r.handleJob(Hazards, r.hazardJobPart), Concurrency: 1},
		{Kind: KindHazardCreate, Handler: r.handleHazardCreate},
		{Kind: KindHazardStatusPush, Handler: r.handleHazardStatusPush},
		{Kind: KindInspectionPull, Handler: r.handleJob(Inspections, r.inspectionJobPart), Concurrency: 1},
		{Kind: KindEmploymentSync, Handler: r.handleJob(Employments, r.employmentJobPart), Concurrency: 1},
		{Kind: KindEmploymentPut, Handler: r.handleEmploymentPut},
	}
}

// Kinds lists the job kinds Workers handles.
func (r *Runner) Kinds() []string {
	ws := r.Workers()
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Kind
	}
	return out
}

// jobPart is a part of a job that a job item runs again, with the item's fence.
type jobPart func(ctx context.Context, t *tally, fc fence) error

// handleJob runs a job part under the job's lock. A transient failure is returned to the queue,
// which backs the item off (honouring the platform's Retry-After).
func (r *Runner) handleJob(job string, part jobPart) retry.Handler {
	return func(ctx context.Context, it *retry.Item) error {
		mu := r.locks[job]
		mu.Lock()
		defer mu.Unlock()
		start := time.Now()
		t := newTally(job)
		err := part(ctx, t, it.CheckFence)
		if err == nil && job == Certificates && t.pulled.Load() > 0 {
			// New certificates can make waiting registrations possible: decide them now.
			err = r.enqueue(ctx, []retry.Request{{Kind: KindEmploymentSync, Key: keyJob}})
		}
		s := t.summary(time.Since(start), err)
		r.report(s)
		r.log.Info("queued job part finished", zap.String("kind", it.Kind), zap.Int("pulled", s.Pulled),
			zap.Int("pushed", s.Pushed), zap.Int("queued", s.Queued), zap.Error(err))
		return err
	}
}

func (r *Runner) enterpriseJobPart(ctx context.Context, t *tally, fc fence) error {
	return r.syncEnterprises(ctx, t, false, fc)
}

// queueJob hands a job part that failed as a whole to the retry queue as one job item. Inside
// that item's own handler (fc set) the failure goes back to the queue instead, which backs the
// item off; enqueueing it again would only repeat it at once.
func (r *Runner) queueJob(ctx context.Context, t *tally, fc fence, kind string, cause error) error {
	if fc != nil {
		return cause
	}
	r.log.Warn("part of the sync failed for now; queued for retry", zap.String("kind", kind), zap.Error(cause))
	if _, err := r.queue.EnqueueBatch(ctx, []retry.Request{{Kind: kind, Key: keyJob, Cause: cause}}); err != nil {
		return err
	}
	t.queued.Add(1)
	return nil
}
