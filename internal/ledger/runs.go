package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"streetsync/mapping/mask"
)

// DaemonState is what the scheduler and the daemon keep in the ledger rather than in Redis, so
// that the CLI's runs and every daemon's agree, and a loss of Redis data neither re-runs every
// job nor hides what happened: the run history with each job's last successful run, the
// platforms' health, and the marker that tells the daemons Redis lost its keys.
type DaemonState interface {
	// RecordJobRun appends a finished run to its job's history and prunes that history to the
	// newest keep runs (keep < 1: no pruning); the job's last successful run is always kept.
	// It returns the run's id.
	RecordJobRun(ctx context.Context, run JobRun, keep int) (int64, error)
	// JobRuns returns runs newest first as the filter selects them, and how many match in all
	// (for paging).
	JobRuns(ctx context.Context, f JobRunFilter) ([]JobRun, int, error)
	// LastSuccessfulRun returns the job's newest run whose outcome was success or partial — a
	// run whose data is in the ledger (a partial run left some items to the retry queue) —
	// and false when it has none.
	LastSuccessfulRun(ctx context.Context, job string) (JobRun, bool, error)

	// RecordPlatformCalls merges batches of observed platform calls into each platform's health.
	RecordPlatformCalls(ctx context.Context, batches []PlatformCalls) error
	// PlatformHealth returns the health of every platform observed so far, by name.
	PlatformHealth(ctx context.Context) ([]PlatformHealth, error)

	// RedisMark returns the marker the daemons expect in Redis and the last detected loss.
	RedisMark(ctx context.Context) (RedisMark, error)
	// SetRedisMarker stores the marker the daemons expect in Redis; with a non-zero lostAt it
	// also records that Redis lost its data then, noticed by instance by (a zero lostAt keeps
	// the last loss recorded).
	SetRedisMarker(ctx context.Context, marker string, lostAt time.Time, by string) error
}

// Run outcomes the ledger tells apart: a successful data run is one of these two.
const (
	RunSuccess = "success"
	RunPartial = "partial"
)

// JobRun is one run of a scheduled job (a sync job, the alert check).
type JobRun struct {
	ID       int64
	Job      string
	Trigger  string    // schedule, catchup or manual
	Slot     time.Time // the tick's planned time; a manual run's: when asked
	Start    time.Time
	End      time.Time
	Outcome  string // success, partial, platform_unavailable, failed or skipped
	Reason   string // Chinese, for the office: what happened and what to do; "" on success
	Error    string // the technical error of a failed run
	Counts   map[string]int
	Instance string // which streetsync process ran it
}

// JobRunFilter selects runs; the zero filter selects every run of every job.
type JobRunFilter struct {
	Job    string    // "" = every job
	Slot   time.Time // non-zero: only runs of that tick
	Offset int
	Limit  int // 0: no limit
}

const jobRunCols = `id, job, trigger_kind, slot_at, started_at, finished_at, outcome, reason, error, counts, instance`

func (s *sqlStore) RecordJobRun(ctx context.Context, run JobRun, keep int) (int64, error) {
	if run.Job == "" || run.Outcome == "" {
		return 0, errors.New("ledger: a job run needs a job and an outcome")
	}
	counts := ""
	if len(run.Counts) > 0 {
		b, err := json.Marshal(run.Counts)
		if err != nil {
			return 0, fmt.Errorf("ledger job run: %w", err)
		}
		counts = string(b)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		// RETURNING works in both dialects (SQLite since 3.35).
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO job_runs (job, trigger_kind, slot_at, started_at, finished_at,
    outcome, reason, error, counts, instance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			run.Job, run.Trigger, millis(run.Slot), millis(run.Start), millis(run.End), run.Outcome,
			mask.IDsInText(run.Reason), mask.IDsInText(run.Error), counts, run.Instance).Scan(&id)
		if err != nil {
			return fmt.Errorf("ledger job run: %w", err)
		}
		if keep < 1 {
			return nil
		}
		// Everything older than the keep-th newest run goes, except the last successful one,
		// which catch-up and the data-freshness checks read however long a job has failed.
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM job_runs WHERE job = ?
    AND id < (SELECT id FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
    AND id <> COALESCE((SELECT MAX(id) FROM job_runs WHERE job = ? AND outcome IN (?, ?)), 0)`),
			run.Job, run.Job, keep-1, run.Job, RunSuccess, RunPartial)
		if err != nil {
			return fmt.Errorf("ledger prune job runs: %w", err)
		}
		return nil
	})
	return id, err
}

func scanJobRun(sc scanner) (JobRun, error) {
	var r JobRun
	var slot, start, end int64
	var counts string
	if err := sc.Scan(&r.ID, &r.Job, &r.Trigger, &slot, &start, &end, &r.Outcome, &r.Reason, &r.Error, &counts, &r.Instance); err != nil {
		return r, err
	}
	r.Slot, r.Start, r.End = fromMillis(slot), fromMillis(start), fromMillis(end)
	if counts != "" {
		if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
			return r, fmt.Errorf("job run %d counts: %w", r.ID, err)
		}
	}
	return r, nil
}

func (s *sqlStore) JobRuns(ctx context.Context, f JobRunFilter) ([]JobRun, int, error) {
	var where []string
	var args []any
	if f.Job != "" {
		where, args = append(where, "job = ?"), append(args, f.Job)
	}
	if !f.Slot.IsZero() {
		where, args = append(where, "slot_at = ?"), append(args, millis(f.Slot))
	}
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM job_runs`+whereClause(where)), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ledger job runs: %w", err)
	}
	q := `SELECT ` + jobRunCols + ` FROM job_runs` + whereClause(where) + ` ORDER BY id DESC`
	switch {
	case f.Limit > 0:
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, max(f.Offset, 0))
	case f.Offset > 0:
		// Both dialects take OFFSET without LIMIT only in their own spelling: bound it instead.
		q += " LIMIT ? OFFSET ?"
		args = append(args, total, f.Offset)
	}
	out := []JobRun{}
	for r, err := range stream(ctx, s, q, args, func(rows *sql.Rows) (JobRun, error) { return scanJobRun(rows) }) {
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, nil
}

func (s *sqlStore) LastSuccessfulRun(ctx context.Context, job string) (JobRun, bool, error) {
	r, err := scanJobRun(s.r.QueryRowContext(ctx, s.q(`SELECT `+jobRunCols+` FROM job_runs
WHERE job = ? AND outcome IN (?, ?) ORDER BY id DESC LIMIT 1`), job, RunSuccess, RunPartial))
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, false, nil
	}
	if err != nil {
		return JobRun{}, false, fmt.Errorf("ledger last successful run of %s: %w", job, err)
	}
	return r, true, nil
}
