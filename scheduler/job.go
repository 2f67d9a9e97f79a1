package scheduler

import (
	"context"
	"time"
)

// Job is one scheduled unit of work.
type Job interface {
	Run(ctx context.Context, opts RunOptions) (Result, error)
}

// JobFunc adapts a function to Job.
type JobFunc func(ctx context.Context, opts RunOptions) (Result, error)

// Run calls f.
func (f JobFunc) Run(ctx context.Context, opts RunOptions) (Result, error) { return f(ctx, opts) }

// RunOptions are what a manual run asks of the job (scheduled runs pass the zero value).
type RunOptions struct {
	// Full ignores watermarks and hashes: every record is read again (`sync --full`).
	Full bool
}

// Result is what a run did, as the job judges it.
type Result struct {
	// Counts are what the run did (pulled, pushed, queued, …), kept in the run history.
	Counts map[string]int
	// Outcome is the job's verdict; "" means success when the job returned no error. A job
	// that returns an error has failed, whatever it says here.
	Outcome Outcome
	// Reason says, in Chinese, what happened and what to do next ("" on success).
	Reason string
	// Detail is the job's own account of the run (the sync jobs' jobs.Summary), handed back
	// by RunNow; it is not kept in the history.
	Detail any
}

// Outcome is how a run ended.
type Outcome string

// Run outcomes.
const (
	// OutcomeSuccess: everything was done.
	OutcomeSuccess Outcome = "success"
	// OutcomePartial: the run went through, but some items were queued for retry or
	// quarantined for a person.
	OutcomePartial Outcome = "partial"
	// OutcomePlatformUnavailable: no call reached the platform, or every call failed for now;
	// what was due waits in the retry queue.
	OutcomePlatformUnavailable Outcome = "platform_unavailable"
	// OutcomeFailed: the run itself failed (the ledger, refused credentials, a bug, a stop).
	OutcomeFailed Outcome = "failed"
	// OutcomeSkipped: the tick did not run — the job was still running, or a later tick of the
	// same job took its place — and is not queued.
	OutcomeSkipped Outcome = "skipped"
)

// Succeeded reports whether the run's data made it into the ledger: success or partial. Such a
// run is a job's "last success" (catch-up, data freshness).
func (o Outcome) Succeeded() bool { return o == OutcomeSuccess || o == OutcomePartial }

// Trigger is what started a run.
type Trigger string

// Run triggers.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerCatchUp  Trigger = "catchup" // at start, for a tick missed while no instance was up
	TriggerManual   Trigger = "manual"  // RunNow: `streetsync sync JOB`, the console
)

// Run is one entry of a job's run history.
type Run struct {
	Job      string         `json:"job"`
	Trigger  Trigger        `json:"trigger"`
	Slot     time.Time      `json:"slot"` // the tick's planned time (manual runs: when asked)
	Start    time.Time      `json:"start"`
	End      time.Time      `json:"end"`
	Outcome  Outcome        `json:"outcome"`
	Reason   string         `json:"reason,omitempty"` // Chinese, for the office; "" on success
	Error    string         `json:"error,omitempty"`  // the technical error of a failed run
	Counts   map[string]int `json:"counts,omitempty"`
	Instance string         `json:"instance"` // which streetsync process ran it
	// Detail is the job's own account of the run (Result.Detail); not kept.
	Detail any `json:"-"`
}

// Duration is how long the run took.
func (r Run) Duration() time.Duration { return r.End.Sub(r.Start) }

// History is where runs are kept, shared by every instance and the CLI (the ledger, adapted by
// internal/app): the console's run history, each job's last success for catch-up, and the runs
// of a tick for Status.
type History interface {
	// RecordRun appends a finished run (the store keeps a bounded history per job, and always
	// the job's last successful run).
	RecordRun(ctx context.Context, run Run) error
	// Runs returns a job's runs ("" = every job), newest first, as q selects them, and how many
	// match in all.
	Runs(ctx context.Context, job string, q RunQuery) ([]Run, int, error)
	// LastSuccess returns the job's newest run whose outcome Succeeded (false: none).
	LastSuccess(ctx context.Context, job string) (Run, bool, error)
}

// RunQuery selects runs of the history.
type RunQuery struct {
	Slot   time.Time // non-zero: only the runs of that tick
	Offset int
	Limit  int // 0: all
}
