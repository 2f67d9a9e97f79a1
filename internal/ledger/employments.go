package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"streetsync/mapping"
)

func (s *sqlStore) RecordEmployments(ctx context.Context, batch []EmploymentRecord) error {
	if len(batch) == 0 {
		return nil
	}
	// A registration recorded twice in one batch: the later answer stands, as it would written
	// one after the other.
	keyOf := func(e *EmploymentRecord) mapping.OperatorKey {
		return mapping.OperatorKey{IDNumber: idKey(e.Key.IDNumber), EnterpriseUSCC: e.Key.EnterpriseUSCC, ItemCode: e.Key.ItemCode}
	}
	last := make(map[mapping.OperatorKey]int, len(batch))
	for i := range batch {
		last[keyOf(&batch[i])] = i
	}
	if len(last) < len(batch) {
		kept := make([]EmploymentRecord, 0, len(last))
		for i, e := range batch {
			if last[keyOf(&e)] == i {
				kept = append(kept, e)
			}
		}
		batch = kept
	}
	now := millis(s.now())
	return s.write(ctx, func(tx *sql.Tx) error {
		err := s.execRows(ctx, tx, `INSERT INTO employments (id_number, enterprise_uscc, item_code, cert_no,
    start_date, end_date, status, accepted_at, modified_at)`, `
ON CONFLICT (id_number, enterprise_uscc, item_code) DO UPDATE SET
    cert_no = excluded.cert_no, start_date = excluded.start_date, end_date = excluded.end_date,
    status = excluded.status, accepted_at = excluded.accepted_at, modified_at = excluded.modified_at`, 9, len(batch),
			func(i int) []any {
				e := &batch[i]
				return []any{idKey(e.Key.IDNumber), e.Key.EnterpriseUSCC, e.Key.ItemCode, e.CertNo,
					e.StartDate.String(), e.EndDate.String(), e.Status, millis(e.AcceptedAt), now}
			})
		if err != nil {
			return fmt.Errorf("ledger record employments: %w", err)
		}
		return nil
	})
}

const employmentCols = `cert_no, start_date, end_date, status, accepted_at`

func scanEmploymentTail(e *EmploymentRecord, start, end string, accepted int64) error {
	e.AcceptedAt = fromMillis(accepted)
	var err1, err2 error
	e.StartDate, err1 = parseDate(start)
	e.EndDate, err2 = parseDate(end)
	return errors.Join(err1, err2)
}

func (s *sqlStore) EmploymentByKey(ctx context.Context, key mapping.OperatorKey) (EmploymentRecord, error) {
	e := EmploymentRecord{Key: mapping.OperatorKey{IDNumber: idKey(key.IDNumber), EnterpriseUSCC: key.EnterpriseUSCC, ItemCode: key.ItemCode}}
	var start, end string
	var accepted int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT `+employmentCols+` FROM employments
WHERE id_number = ? AND enterprise_uscc = ? AND item_code = ?`), e.Key.IDNumber, e.Key.EnterpriseUSCC, e.Key.ItemCode).
		Scan(&e.CertNo, &start, &end, &e.Status, &accepted)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("employment registration: %w", ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("ledger read employment: %w", err)
	}
	if err := scanEmploymentTail(&e, start, end, accepted); err != nil {
		return e, fmt.Errorf("ledger read employment: %w", err)
	}
	return e, nil
}

func (s *sqlStore) RegistrationsDue(ctx context.Context, day mapping.Date) iter.Seq2[RegistrationDue, error] {
	return s.registrationsDue(ctx, "", nil, day)
}

// registrationsDueCandidates are the roster entries whose registration decision may have changed
// since a moment and a day: entries changed since the moment (new ones included), entries
// starting after the day, and the entries of people whose certificates changed since the moment
// or become valid after the day. Each branch is an index range (migration 2). The plan is spelled
// out: UNION ALL, not UNION, and CROSS JOIN (which SQLite does not reorder) — left to itself,
// SQLite 3.49 merges the branches in key order by scanning the whole roster, the very read this
// query exists to avoid. PostgreSQL plans the same text freely.
const registrationsDueCandidates = `WITH cand AS (
    SELECT DISTINCT id_number, enterprise_uscc, item_code FROM (
        SELECT id_number, enterprise_uscc, item_code FROM operators WHERE modified_at >= ?
        UNION ALL SELECT id_number, enterprise_uscc, item_code FROM operators WHERE start_date > ? AND start_date <= ?
        UNION ALL SELECT p.id_number, p.enterprise_uscc, p.item_code FROM certificates c CROSS JOIN operators p
            WHERE p.id_number = c.id_number AND c.modified_at >= ?
        UNION ALL SELECT p.id_number, p.enterprise_uscc, p.item_code FROM certificates c CROSS JOIN operators p
            WHERE p.id_number = c.id_number AND c.valid_from > ? AND c.valid_from <= ?
    ) AS changed
)
`

// registrationsChanged counts the rows behind the candidates (an entry may count more than once).
const registrationsChanged = `SELECT
    (SELECT COUNT(*) FROM operators WHERE modified_at >= ?) +
    (SELECT COUNT(*) FROM operators WHERE start_date > ? AND start_date <= ?) +
    (SELECT COUNT(*) FROM certificates WHERE modified_at >= ?) +
    (SELECT COUNT(*) FROM certificates WHERE valid_from > ? AND valid_from <= ?),
    (SELECT COUNT(*) FROM operators)`

// candidateShare is the share of the roster beyond which reading the candidates one by one
// costs more than reading the whole roster in order (measured: about four times more for all
// of it, on SQLite and PostgreSQL alike).
const candidateShare = 8

func (s *sqlStore) RegistrationsDueSince(ctx context.Context, day mapping.Date, since time.Time, sinceDay mapping.Date) iter.Seq2[RegistrationDue, error] {
	from, to := sinceDay.String(), day.String()
	args := []any{millis(since), from, to, millis(since), from, to}
	var changed, roster int64
	if err := s.r.QueryRowContext(ctx, s.q(registrationsChanged), args...).Scan(&changed, &roster); err != nil {
		return func(yield func(RegistrationDue, error) bool) {
			yield(RegistrationDue{}, fmt.Errorf("ledger count changes: %w", err))
		}
	}
	if changed*candidateShare > roster {
		// So much changed (a first sync, a re-import) that the whole roster is read instead:
		// more entries are decided, none is missed.
		return s.registrationsDue(ctx, "", nil, day)
	}
	return s.registrationsDue(ctx, registrationsDueCandidates, args, day)
}

// registrationsDue streams the due entries of the whole roster, or of the candidates a WITH
// clause names "cand".
func (s *sqlStore) registrationsDue(ctx context.Context, with string, withArgs []any, day mapping.Date) iter.Seq2[RegistrationDue, error] {
	onDuty, dutyArgs := onDutyCond(day)
	from, among := `FROM operators o`, ``
	if with != "" {
		from = `FROM cand CROSS JOIN operators o`
		among = `o.id_number = cand.id_number AND o.enterprise_uscc = cand.enterprise_uscc AND o.item_code = cand.item_code AND `
	}
	q := with + `SELECT ` + operatorCols + `, CASE WHEN e.id_number IS NULL THEN 0 ELSE 1 END, COALESCE(e.cert_no, ''),
    COALESCE(e.start_date, ''), COALESCE(e.end_date, ''), COALESCE(e.status, ''), COALESCE(e.accepted_at, 0)
` + from + `
LEFT JOIN employments e ON e.id_number = o.id_number AND e.enterprise_uscc = o.enterprise_uscc AND e.item_code = o.item_code
WHERE ` + among + `((e.id_number IS NULL AND ` + onDuty + `)
   OR (e.id_number IS NOT NULL AND (e.start_date <> o.start_date OR e.end_date <> o.end_date)))
ORDER BY o.id_number, o.enterprise_uscc, o.item_code`
	args := append(append([]any{}, withArgs...), dutyArgs...)
	return stream(ctx, s, q, args, func(rows *sql.Rows) (RegistrationDue, error) {
		var has, accepted int64
		var e EmploymentRecord
		var start, end string
		o, err := scanOperator(rows, &has, &e.CertNo, &start, &end, &e.Status, &accepted)
		if err != nil {
			return RegistrationDue{}, err
		}
		due := RegistrationDue{Operator: o}
		if has != 0 {
			e.Key = o.Key()
			if err := scanEmploymentTail(&e, start, end, accepted); err != nil {
				return due, err
			}
			due.Last = &e
		}
		return due, nil
	})
}
