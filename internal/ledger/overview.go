package ledger

import (
	"context"
	"fmt"

	"streetsync/mapping"
)

// Overview counts in a handful of aggregate queries. The sync-state counts follow syncState:
// awaiting push = unpushed or only the ledger changed; drifted = the platform changed (conflicts
// included); conflicts = both changed, differently.
func (s *sqlStore) Overview(ctx context.Context, day mapping.Date) (Overview, error) {
	var o Overview
	if day.IsZero() {
		day = mapping.DateOf(s.now().In(mapping.Beijing()))
	}
	onDuty, dutyArgs := onDutyCond(day)
	queries := []struct {
		sql  string
		args []any
		dest []any
	}{
		{`SELECT COUNT(*),
    COALESCE(SUM(CASE WHEN pending_review = 1 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN street_hash <> accepted_hash
        AND (accepted_hash = '' OR platform_hash = '' OR platform_hash = accepted_hash)
        AND NOT (accepted_hash = '' AND platform_hash = street_hash) THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN accepted_hash <> '' AND platform_hash <> '' AND platform_hash <> accepted_hash
        AND platform_hash <> street_hash THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN accepted_hash <> '' AND platform_hash <> '' AND platform_hash <> accepted_hash
        AND street_hash <> accepted_hash AND platform_hash <> street_hash THEN 1 ELSE 0 END), 0)
FROM enterprises`, nil, []any{&o.Enterprises, &o.PendingReview, &o.AwaitingPush, &o.Drifted, &o.Conflicts}},
		{`SELECT COUNT(*), COALESCE(SUM(CASE WHEN ` + onDuty + ` THEN 1 ELSE 0 END), 0) FROM operators o`, dutyArgs,
			[]any{&o.Operators, &o.OnDuty}},
		{`SELECT COUNT(*) FROM certificates`, nil, []any{&o.Certificates}},
		{`SELECT COALESCE(SUM(CASE WHEN recovered_at = 0 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN handling_status <> '2' THEN 1 ELSE 0 END), 0) FROM alarms`, nil,
			[]any{&o.ActiveAlarms, &o.UnhandledAlarms}},
		{`SELECT COALESCE(SUM(CASE WHEN push_state = 'pending' THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN push_state = 'rejected' THEN 1 ELSE 0 END), 0) FROM alarm_feedback`, nil,
			[]any{&o.FeedbackPending, &o.FeedbackRejected}},
		{`SELECT COUNT(*) FROM quarantine WHERE resolved_at = 0`, nil, []any{&o.QuarantineOpen}},
		{`SELECT COUNT(*) FROM operators o LEFT JOIN employments e ON e.id_number = o.id_number
    AND e.enterprise_uscc = o.enterprise_uscc AND e.item_code = o.item_code
WHERE e.id_number IS NULL AND ` + onDuty, dutyArgs, []any{&o.RegistrationsMissing}},
	}
	for _, q := range queries {
		if err := s.r.QueryRowContext(ctx, s.q(q.sql), q.args...).Scan(q.dest...); err != nil {
			return o, fmt.Errorf("ledger overview: %w", err)
		}
	}
	return o, nil
}
