// Package jobs holds streetsync's sync jobs — enterprises, certificates, alarms, employments —
// which move records between the street's ledger and the two platforms: incremental by
// watermark and content hash, idempotent end to end, never losing a record (transient failures
// go to the retry queue, rejected data to quarantine).
package jobs

// Job names, in the order `sync all` runs them: enterprises first (employments need the
// enterprises' names), certificates before employments (only valid certificates are registered).
const (
	Enterprises  = "enterprises"
	Certificates = "certificates"
	Alarms       = "alarms"
	Employments  = "employments"
)

// Names lists the sync jobs in run order.
var Names = []string{Enterprises, Certificates, Alarms, Employments}

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
}

// Counts renders the summary as the scheduler's run-history counts.
func (s Summary) Counts() map[string]int {
	return map[string]int{
		"pulled": s.Pulled, "pushed": s.Pushed, "unchanged": s.Unchanged,
		"drifted": s.Drifted, "quarantined": s.Quarantined, "queued": s.Queued,
	}
}
