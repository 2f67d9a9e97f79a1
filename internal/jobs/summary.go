// Package jobs holds streetsync's sync jobs — enterprises, certificates, alarms, hazards,
// inspections, employments — which move records between the street's ledger and the two platforms: incremental by
// watermark and content hash, idempotent end to end, never losing a record (transient failures
// go to the retry queue, rejected data to quarantine).
//
// Who calls what: the CLI's `sync JOB [--full]` and the daemon's schedules call Runner.Run; the
// daemon and `queue drain` work the retry queue with Runner.Workers; `reconcile --apply` fixes
// through Runner.PushEnterprises, Runner.PullPlatformFields and Runner.RegisterEmployments (the
// sync's own code paths, Runner.PushHazards for hazards); `alarms feedback` calls
// Runner.RecordFeedback; `hazards report` and `hazards status` call Runner.ReportHazard and
// Runner.RecordHazardStatus (hazards.go).
//
// What it owns: the decisions — the three-way comparison per enterprise (push, drift, conflict),
// which certificate decides a registration, when a registration may be sent — and the order in
// which each job reads, writes and commits: a watermark moves only after the ledger holds what it
// covers, a platform write is recorded only after it was answered, and a retry sends the record's
// state as the ledger holds it then. It owns the watermarks' names and values (cursors.go; kept
// in Redis by scheduler.Cursors) and the retry queue's job kinds (handlers.go). It owns no
// storage: the ledger, the queue and the clients are given to it (deps.go declares what it uses
// of each).
//
// It also decides, once per run, how the run ended — success, partial, platform_unavailable or
// failed — from what the tally saw of every platform call and record, with a Chinese reason
// (Summary.Outcome and Reason; outcome.go).
//
// Files: runner.go (Deps, New, Run), enterprises.go, certificates.go, alarms.go, hazards.go,
// employments.go
// (one job each, with its retry handlers and the pieces reconcile reuses), handlers.go (job
// kinds, Workers), cursors.go, quarantine.go, tally.go (counts, failure verdicts, the breaker,
// the fan-out of platform calls), outcome.go (the run's outcome), progress.go (the progress
// of a long command: a line redrawn on a terminal, a line every 10 s in a log), messages.go (every Chinese string).
package jobs

// Job names, in the order `sync all` and the daemon's catch-up run them: enterprises first
// (employments need the enterprises' names), certificates before employments (only valid
// certificates are registered), hazards after enterprises (a hazard's create needs its enterprise
// on the platform), and the alert check after all of them (internal/app). A new job
// slots in by its place in Names.
const (
	Enterprises  = "enterprises"
	Certificates = "certificates"
	Alarms       = "alarms"
	Hazards      = "hazards"     // after enterprises: a hazard's create needs its enterprise on the platform
	Inspections  = "inspections" // pull only
	Employments  = "employments"
)

// Names lists the sync jobs in run order.
var Names = []string{Enterprises, Certificates, Alarms, Hazards, Inspections, Employments}

// Summary is one job run's outcome, exactly the operator contract's `sync --format json`.
type Summary struct {
	Job         string `json:"job"`
	Pulled      int    `json:"pulled"`
	Pushed      int    `json:"pushed"`
	Unchanged   int    `json:"unchanged"`
	Drifted     int    `json:"drifted"`
	Quarantined int    `json:"quarantined"`
	Queued      int    `json:"queued"`
	DurationMs  int64  `json:"durationMs"`
	// Outcome is success, partial, platform_unavailable or failed (outcome.go); Reason says
	// why, in Chinese, with what to do next ("" on success).
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// Counts renders the summary as the scheduler's run-history counts.
func (s Summary) Counts() map[string]int {
	return map[string]int{
		"pulled": s.Pulled, "pushed": s.Pushed, "unchanged": s.Unchanged,
		"drifted": s.Drifted, "quarantined": s.Quarantined, "queued": s.Queued,
	}
}
