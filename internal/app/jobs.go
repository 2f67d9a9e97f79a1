package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/rdb"
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
	conn, err := a.redisLocked(ctx)
	if err != nil {
		return nil, err
	}
	q, err := a.queueLocked(ctx)
	if err != nil {
		return nil, err
	}
	clauses, err := a.cfg.Hazards.ClauseList()
	if err != nil {
		return nil, err
	}
	r, err := jobs.New(jobs.Deps{
		Store: st, Quanzhou: qz, SpecialOps: tz, Queue: q, Cursors: rdb.NewCursors(conn),
		Region: a.cfg.Region.Code, Location: a.cfg.Schedule.Location(), Clock: a.clock,
		Logger: a.log, Observer: a.metrics, Progress: a.progress, Clauses: clauses,
		MaxRegistrations: a.cfg.SpecialOps.MaxRegistrationsPerRun,
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

// Scheduler is the cron scheduler with the four sync jobs and the alert check registered on
// their configured specs, in dependency order (enterprises → certificates → alarms → hazards →
// inspections → employments → alerts, as jobs.Names then the alert check), with its locks in Redis and its run history in
// the ledger. It is not started: the daemon starts it (catch-up, the Redis-loss watch); `sync`
// and the console run jobs through RunNow.
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
	st, err := a.ledgerLocked(ctx)
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
	history := schedulerLedger{st}
	s, err := scheduler.New(conn, history, scheduler.WithLocation(a.cfg.Schedule.Location()), scheduler.WithClock(a.clock),
		scheduler.WithLogger(a.log), scheduler.WithObserver(a.metrics), scheduler.WithLockTTL(a.cfg.Schedule.LockTTL.D()),
		scheduler.WithOrder(append(slices.Clone(jobs.Names), JobAlerts)...), scheduler.WithRedisMarks(history))
	if err != nil {
		return nil, err
	}
	registered := map[string]scheduler.Job{}
	for _, name := range jobs.Names {
		registered[name] = scheduler.JobFunc(func(ctx context.Context, opts scheduler.RunOptions) (scheduler.Result, error) {
			sums, err := r.Run(ctx, name, opts.Full)
			// The platforms' health as this run saw it, for every process to read.
			if ferr := a.calls.flush(context.WithoutCancel(ctx), st); ferr != nil {
				a.log.Warn("recording the platforms' health failed; kept for the next flush", zap.Error(ferr))
			}
			if len(sums) == 0 {
				return scheduler.Result{}, err
			}
			s := sums[0]
			return scheduler.Result{Counts: s.Counts(), Outcome: scheduler.Outcome(s.Outcome), Reason: s.Reason, Detail: s}, err
		})
	}
	registered[JobAlerts] = scheduler.JobFunc(func(ctx context.Context, _ scheduler.RunOptions) (scheduler.Result, error) {
		res, err := a.check(ctx, ch, false, nil)
		if err != nil {
			return scheduler.Result{}, err
		}
		counts := map[string]int{"evaluated": res.Evaluated, "unknown": res.Unknown, "firing": res.Firing,
			"skipped": len(res.Skipped), "deliveredFiring": res.Delivered.Firing, "deliveredResolved": res.Delivered.Resolved}
		// A family skipped for stale data is a partial run, not a failed one: DATA_STALE says so,
		// and a failed run would be taken again by another instance's catch-up.
		if len(res.Skipped) > 0 {
			reasons := make([]string, len(res.Skipped))
			for i, sk := range res.Skipped {
				reasons[i] = sk.Reason
			}
			return scheduler.Result{Counts: counts, Outcome: scheduler.OutcomePartial,
				Reason: "部分预警暂停：" + strings.Join(reasons, "；")}, nil
		}
		return scheduler.Result{Counts: counts, Outcome: scheduler.OutcomeSuccess}, nil
	})
	if err := s.AddConfigured(jobSpecs(a.cfg.Schedule), registered); err != nil {
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

// Title is a job's name for people: the sync jobs' (企业信息同步 …) and the alert check's.
func Title(job string) string {
	if job == JobAlerts {
		return "持证预警检查"
	}
	return jobs.Title(job)
}

// RunNow runs one job now — a sync job or the alert check — through the scheduler: under the
// job's lock, recorded in the run history with trigger "manual". A run refused because the job is
// running elsewhere returns an error that reads as the Chinese refusal (who holds the job, since
// when, when the lease ends) and matches ErrJobRunning. A sync job's run carries its
// jobs.Summary in Run.Detail.
func (a *App) RunNow(ctx context.Context, job string, opts scheduler.RunOptions) (scheduler.Run, error) {
	s, err := a.Scheduler(ctx)
	if err != nil {
		return scheduler.Run{}, err
	}
	run, err := s.RunNow(ctx, job, opts)
	var le *scheduler.LockedError
	if errors.As(err, &le) {
		return run, &refusedError{msg: le.Message(Title(job), a.cfg.Schedule.Location()), err: err}
	}
	return run, err
}

// refusedError is a run refused because its job is running: its text is for people.
type refusedError struct {
	msg string
	err error
}

func (e *refusedError) Error() string { return e.msg }
func (e *refusedError) Unwrap() error { return e.err }

// Sync runs one sync job now, or every one in order for "all" (jobs.Names: the order the daemon's
// catch-up follows too), each through RunNow. full ignores watermarks and hashes. It returns the
// summaries of the jobs that ran, each with its outcome and reason; with "all", a job's failure
// or refusal does not stop the next job, and the errors are joined. A run whose outcome is
// platform_unavailable returns no error: its summary says so.
func (a *App) Sync(ctx context.Context, job string, full bool) ([]jobs.Summary, error) {
	names := []string{job}
	if job == jobs.All {
		names = jobs.Names
	} else if !slices.Contains(jobs.Names, job) {
		return nil, fmt.Errorf("%w %q", jobs.ErrUnknownJob, job)
	}
	var out []jobs.Summary
	var errs []error
	for _, name := range names {
		run, err := a.RunNow(ctx, name, scheduler.RunOptions{Full: full})
		if s, ok := run.Detail.(jobs.Summary); ok {
			out = append(out, s)
		}
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || errors.Is(err, scheduler.ErrStopped) {
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

// JobStatus tells, per job in run order, what became of its latest tick (未运行, 延迟), when the
// next one is, and its last run and last success.
func (a *App) JobStatus(ctx context.Context) ([]scheduler.JobStatus, error) {
	s, err := a.Scheduler(ctx)
	if err != nil {
		return nil, err
	}
	return s.Status(ctx)
}

// RunPage is a page of the run history, newest first: the runs of job ("" = every job) from
// offset, at most limit, and how many there are in all.
func (a *App) RunPage(ctx context.Context, job string, offset, limit int) ([]scheduler.Run, int, error) {
	st, err := a.Ledger(ctx)
	if err != nil {
		return nil, 0, err
	}
	return schedulerLedger{st}.Runs(ctx, job, scheduler.RunQuery{Offset: offset, Limit: limit})
}

// RedisLoss returns the last loss of Redis data the daemons noticed while it is outstanding (some
// job has not succeeded since); nil when there is none.
func (a *App) RedisLoss(ctx context.Context) (*scheduler.RedisLoss, error) {
	s, err := a.Scheduler(ctx)
	if err != nil {
		return nil, err
	}
	return s.RedisLoss(ctx)
}

// PlatformHealth is each platform's health as the ledger holds it, after writing what this
// process observed since its last flush; a platform never called is listed as unknown.
func (a *App) PlatformHealth(ctx context.Context) ([]ledger.PlatformHealth, error) {
	st, err := a.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.calls.flush(ctx, st); err != nil {
		return nil, err
	}
	hs, err := st.PlatformHealth(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.PlatformHealth, 0, 2)
	for _, p := range []string{"quanzhou", "specialops"} {
		h := ledger.PlatformHealth{Platform: p, State: ledger.HealthUnknown, StateText: ledger.HealthUnknown.Text()}
		for _, x := range hs {
			if x.Platform == p {
				h = x
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// FlushPlatformHealth writes the platforms' health gathered since the last flush.
func (a *App) FlushPlatformHealth(ctx context.Context) error {
	st, err := a.Ledger(ctx)
	if err != nil {
		return err
	}
	return a.calls.flush(ctx, st)
}

// jobSpecs lists the schedule section's jobs for the scheduler.
func jobSpecs(c config.Schedule) []scheduler.JobSpec {
	jobs := c.Jobs()
	out := make([]scheduler.JobSpec, len(jobs))
	for i, j := range jobs {
		out[i] = scheduler.JobSpec{Name: j.Name, Spec: j.Spec}
	}
	return out
}
