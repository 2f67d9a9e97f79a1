package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"streetsync/connectors/httpx"
)

// A run's outcome (operator contract, `sync --format json`), decided here once from what the
// tally saw of every platform call and every record:
//
//   - failed: the run returned an error — the ledger or Redis failed, the platform refused the
//     credentials or the region, the run was stopped. No retry of a record fixes that.
//   - platform_unavailable: calls were made and none was answered (the platform down or
//     unreachable, a maintenance window, the breaker open before anything succeeded). What was
//     due waits in the retry queue or stays due in the ledger.
//   - partial: the run went through, but some records were queued for retry or quarantined, or
//     left for the next run at the run's cap (specialOps.maxRegistrationsPerRun).
//   - success: everything was done (a run with nothing to do included).
const (
	OutcomeSuccess             = "success"
	OutcomePartial             = "partial"
	OutcomePlatformUnavailable = "platform_unavailable"
	OutcomeFailed              = "failed"
)

// platformOf is the platform a job talks to, as the office names it.
var platformOf = map[string]string{
	Enterprises:  labelQuanzhou,
	Alarms:       labelQuanzhou,
	Certificates: labelSpecialOps,
	Employments:  labelSpecialOps,
}

// outcome decides the run's outcome and says why, in Chinese, with what to do next.
func (t *tally) outcome(s *Summary, err error) (string, string) {
	if err != nil {
		return OutcomeFailed, failureReason(t.job, err)
	}
	if failed := t.failed.Load(); failed > 0 && t.answered.Load() == 0 {
		t.mu.Lock()
		last := t.lastFailure
		t.mu.Unlock()
		what := ""
		if last != nil {
			what = summaryOf(last)
		}
		return OutcomePlatformUnavailable, fmt.Sprintf(msgPlatformUnavailable, platformOf[t.job], failed, what)
	}
	var parts []string
	if s.Queued > 0 {
		parts = append(parts, fmt.Sprintf(msgPartialQueued, s.Queued))
	}
	if s.Quarantined > 0 {
		parts = append(parts, fmt.Sprintf(msgPartialQuarantined, s.Quarantined))
	}
	if n := t.capped.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf(msgPartialCapped, t.regCap, n))
	}
	if len(parts) > 0 {
		return OutcomePartial, strings.Join(parts, "；")
	}
	return OutcomeSuccess, ""
}

// failureReason says why a run failed and what to do.
func failureReason(job string, err error) string {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return msgFailedStopped
	case httpx.Classify(err) == httpx.KindAuth:
		return fmt.Sprintf(msgFailedAuth, platformOf[job], summaryOf(err), job)
	}
	var ae *httpx.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf(msgFailedPlatform, platformOf[job], ae.Summary(), job)
	}
	return fmt.Sprintf(msgFailed, err.Error(), job)
}
