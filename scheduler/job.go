package scheduler

import (
	"context"
	"time"
)

// Job is one scheduled unit of work. counts are what the run did (pulled, pushed, queued, …),
// kept in the run history for the console and /metrics.
type Job interface {
	Run(ctx context.Context) (counts map[string]int, err error)
}

// JobFunc adapts a function to Job.
type JobFunc func(ctx context.Context) (map[string]int, error)

// Run calls f.
func (f JobFunc) Run(ctx context.Context) (map[string]int, error) { return f(ctx) }

// Outcome is how a run ended.
type Outcome string

// Run outcomes.
const (
	OutcomeOK      Outcome = "ok"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped" // the job was still running: this tick did not run, and is not queued
)

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
	Counts   map[string]int `json:"counts,omitempty"`
	Error    string         `json:"error,omitempty"`
	Instance string         `json:"instance"` // which streetsync process ran it
}

// Duration is how long the run took.
func (r Run) Duration() time.Duration { return r.End.Sub(r.Start) }
