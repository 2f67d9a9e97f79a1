package app

import (
	"context"
	"errors"
	"fmt"

	"streetsync/internal/jobs"
	"streetsync/scheduler"
	"streetsync/scheduler/retry"
)

// Jobs is the sync runner: the four sync jobs and their retry handlers.
func (a *App) Jobs(ctx context.Context) (*jobs.Runner, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.jobsLocked(ctx)
}

func (a *App) jobsLocked(ctx context.Context) (*jobs.Runner, error) {
	if a.runner != nil {
		return a.runner, nil
	}
	st, err := a.ledgerLocked(ctx)
	if err != nil {
		return nil, err
	}
	qz, err := a.quanzhouLocked()
	if err != nil {
		return nil, err
	}
	tz, err := a.specialOpsLocked()
	if err != nil {
		return nil, err
	}
	q, err := a.queueLocked(ctx)
	if err != nil {
		return nil, err
	}
	r, err := jobs.New(jobs.Deps{
		Store: st, Quanzhou: qz, SpecialOps: tz, Queue: q, Cursors: scheduler.NewCursors(a.redis),
		Region: a.cfg.Region.Code, Location: a.cfg.Schedule.Location(), Clock: a.clock,
		Logger: a.log, Observer: a.metrics, Progress: a.progress,
	})
	if err != nil {
		return nil, err
	}
	a.runner = r
	return r, nil
}

// Workers returns one retry worker per job kind the queue holds items of: the sync jobs' pushes
// and pulls, and alert deliveries. The platform clients pace every call with the rate limiter
// they share with the jobs, so the workers need none of their own.
func (a *App) Workers(ctx context.Context) ([]retry.Worker, error) {
	r, err := a.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := a.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	ws := r.Workers()
	ws = append(ws, retry.Worker{Kind: alertsRetryKind, Concurrency: 1, Handler: func(ctx context.Context, it *retry.Item) error {
		return ch.Redeliver(ctx, it.Key)
	}})
	return ws, nil
}

// runRequest is a manual run's wish (full or not) and where its summaries go. It travels in the
// run's context through the scheduler's RunNow, so that a manual run takes the job's lock and
// lands in the run history like a scheduled one.
type runRequest struct {
	full      bool
	summaries []jobs.Summary
}

type runRequestKey struct{}

// Scheduler is the cron scheduler with the four sync jobs and the alert check registered on
// their configured specs (history, locks and catch-up in Redis). It is not started: the daemon
// starts it; `sync` and the console run jobs through RunNow.
func (a *App) Scheduler(ctx context.Context) (*scheduler.Scheduler, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sched != nil {
		return a.sched, nil
	}
	conn, err := a.redisLocked(ctx)
	if err != nil {
		return nil, err
	}
	r, err := a.jobsLocked(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := a.alertsLocked(ctx)
	if err != nil {
		return nil, err
	}
	s, err := scheduler.New(conn, scheduler.WithLocation(a.cfg.Schedule.Location()), scheduler.WithClock(a.clock),
		scheduler.WithLogger(a.log), scheduler.WithObserver(a.metrics))
	if err != nil {
		return nil, err
	}
	registered := map[string]scheduler.Job{}
	for _, name := range jobs.Names {
		registered[name] = scheduler.JobFunc(func(ctx context.Context) (map[string]int, error) {
			req, _ := ctx.Value(runRequestKey{}).(*runRequest)
			full := req != nil && req.full
			sums, err := r.Run(ctx, name, full)
			if req != nil {
				req.summaries = sums
			}
			if len(sums) == 0 {
				return nil, err
			}
			return sums[0].Counts(), err
		})
	}
	registered[JobAlerts] = scheduler.JobFunc(func(ctx context.Context) (map[string]int, error) {
		res, err := a.check(ctx, ch, false, nil)
		if err != nil {
			return nil, err
		}
		// A family skipped for stale data is not a failed run: DATA_STALE says so, and a failed
		// run would be taken again by another instance's catch-up.
		return map[string]int{"evaluated": res.Evaluated, "unknown": res.Unknown, "firing": res.Firing, "skipped": len(res.Skipped),
			"deliveredFiring": res.Delivered.Firing, "deliveredResolved": res.Delivered.Resolved}, nil
	})
	if err := s.AddConfigured(a.cfg.Schedule, registered); err != nil {
		return nil, err
	}
	a.sched = s
	a.onClose("scheduler", func() error {
		// Stopping a scheduler that never started only marks it stopped.
		return s.Stop(context.Background())
	})
	return s, nil
}

// JobAlerts is the scheduled alert check's name in the schedule and the run history.
const JobAlerts = "alerts"

// ErrJobRunning says a manual run found the job running (on this or another instance).
var ErrJobRunning = scheduler.ErrJobRunning

// Sync runs one sync job now, or every one in order for "all", through the scheduler: under the
// job's lock, recorded in the run history with trigger "manual". full ignores watermarks and
// hashes. It returns the summaries of the jobs that ran; with "all", a job's failure does not
// stop the next job, and the errors are joined.
func (a *App) Sync(ctx context.Context, job string, full bool) ([]jobs.Summary, error) {
	names := []string{job}
	if job == jobs.All {
		names = jobs.Names
	} else if !isJob(job) {
		return nil, fmt.Errorf("%w %q", jobs.ErrUnknownJob, job)
	}
	s, err := a.Scheduler(ctx)
	if err != nil {
		return nil, err
	}
	var out []jobs.Summary
	var errs []error
	for _, name := range names {
		req := &runRequest{full: full}
		_, err := s.RunNow(context.WithValue(ctx, runRequestKey{}, req), name)
		out = append(out, req.summaries...)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || errors.Is(err, scheduler.ErrStopped) {
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

func isJob(name string) bool {
	for _, n := range jobs.Names {
		if n == name {
			return true
		}
	}
	return false
}
