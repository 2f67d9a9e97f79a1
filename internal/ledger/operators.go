package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"streetsync/mapping"
)

var operatorUpsert = upsertSpec{
	table:   "operators",
	keyCols: []string{"id_number", "enterprise_uscc", "item_code"},
	insert: `INSERT INTO operators (id_number, enterprise_uscc, item_code, name, phone, category_code, start_date,
    end_date, remark, warnings, content_hash, created_at, modified_at) VALUES`,
	row: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	conflict: `ON CONFLICT (id_number, enterprise_uscc, item_code) DO UPDATE SET
    name = excluded.name, phone = excluded.phone, category_code = excluded.category_code,
    start_date = excluded.start_date, end_date = excluded.end_date, remark = excluded.remark,
    warnings = excluded.warnings, content_hash = excluded.content_hash, modified_at = excluded.modified_at`,
}

// idKey is the stored form of an ID number: upper case, so that a final x matches X.
func idKey(id string) string { return strings.ToUpper(id) }

func (s *sqlStore) UpsertOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error) {
	return s.upsertOperators(ctx, batch, false)
}

func (s *sqlStore) CompareOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error) {
	return s.upsertOperators(ctx, batch, true)
}

func (s *sqlStore) upsertOperators(ctx context.Context, batch []OperatorInput, dry bool) ([]Outcome, error) {
	now := millis(s.now())
	return s.upsertBatch(ctx, &operatorUpsert, len(batch),
		func(i int) ([]any, string) {
			o := &batch[i].Operator
			return []any{idKey(o.IDNumber), o.EnterpriseUSCC, o.ItemCode}, operatorHash(o)
		},
		func(i int, hash string) []any {
			o := &batch[i].Operator
			return []any{idKey(o.IDNumber), o.EnterpriseUSCC, o.ItemCode, o.Name, o.Phone, o.CategoryCode,
				o.StartDate.String(), o.EndDate.String(), o.Remark, encodeProblems(batch[i].Warnings),
				hash, now, now}
		}, nil, dry)
}

const operatorCols = `o.id_number, o.enterprise_uscc, o.item_code, o.name, o.phone, o.category_code, o.start_date,
    o.end_date, o.remark, o.warnings, o.created_at, o.modified_at`

func scanOperator(sc scanner, extra ...any) (OperatorRecord, error) {
	var r OperatorRecord
	o := &r.Operator
	var start, end, warnings string
	var created, modified int64
	dest := append([]any{&o.IDNumber, &o.EnterpriseUSCC, &o.ItemCode, &o.Name, &o.Phone, &o.CategoryCode,
		&start, &end, &o.Remark, &warnings, &created, &modified}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.CreatedAt, r.ModifiedAt = fromMillis(created), fromMillis(modified)
	var errs [3]error
	o.StartDate, errs[0] = parseDate(start)
	o.EndDate, errs[1] = parseDate(end)
	r.Warnings, errs[2] = decodeProblems(warnings)
	if err := errors.Join(errs[:]...); err != nil {
		return r, fmt.Errorf("operator %s: %w", o.Key(), err)
	}
	return r, nil
}

// onDutyCond selects entries on duty on d (mapping.Operator.OnDuty), for table alias o.
func onDutyCond(d mapping.Date) (string, []any) {
	day := d.String()
	return "(o.start_date = '' OR o.start_date <= ?) AND (o.end_date = '' OR o.end_date > ?)", []any{day, day}
}

func operatorWhere(f OperatorFilter) ([]string, []any) {
	var where []string
	var args []any
	if !f.OnDuty.IsZero() {
		c, a := onDutyCond(f.OnDuty)
		where, args = append(where, c), append(args, a...)
	}
	if f.EnterpriseUSCC != "" {
		where, args = append(where, "o.enterprise_uscc = ?"), append(args, f.EnterpriseUSCC)
	}
	if f.IDNumber != "" {
		where, args = append(where, "o.id_number = ?"), append(args, idKey(f.IDNumber))
	}
	return where, args
}

func (s *sqlStore) OperatorByKey(ctx context.Context, key mapping.OperatorKey) (OperatorRecord, error) {
	r, err := scanOperator(s.r.QueryRowContext(ctx, s.q(`SELECT `+operatorCols+` FROM operators o
WHERE o.id_number = ? AND o.enterprise_uscc = ? AND o.item_code = ?`), idKey(key.IDNumber), key.EnterpriseUSCC, key.ItemCode))
	if errors.Is(err, sql.ErrNoRows) {
		// The key is not printed: it carries an ID number.
		return r, fmt.Errorf("roster entry: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("ledger read roster entry: %w", err)
	}
	return r, nil
}

func (s *sqlStore) Operators(ctx context.Context, f OperatorFilter) iter.Seq2[OperatorRecord, error] {
	where, args := operatorWhere(f)
	return stream(ctx, s, `SELECT `+operatorCols+` FROM operators o`+whereClause(where)+
		` ORDER BY o.id_number, o.enterprise_uscc, o.item_code`, args,
		func(rows *sql.Rows) (OperatorRecord, error) { return scanOperator(rows) })
}

func (s *sqlStore) IDNumbersDueForCertificateQuery(ctx context.Context, answeredBefore time.Time, onDuty mapping.Date) iter.Seq2[string, error] {
	var where []string
	var args []any
	if !onDuty.IsZero() {
		c, a := onDutyCond(onDuty)
		where, args = append(where, c), append(args, a...)
	}
	args = append(args, millis(answeredBefore))
	return stream(ctx, s, `SELECT r.id_number FROM (SELECT DISTINCT o.id_number FROM operators o`+whereClause(where)+`) r
LEFT JOIN certificate_answers a ON a.id_number = r.id_number
WHERE a.answered_at IS NULL OR a.answered_at < ?
ORDER BY COALESCE(a.answered_at, 0), r.id_number`, args,
		func(rows *sql.Rows) (string, error) {
			var id string
			err := rows.Scan(&id)
			return id, err
		})
}

func (s *sqlStore) OnRoster(ctx context.Context, idNumbers []string) (map[string]bool, error) {
	out := make(map[string]bool, len(idNumbers))
	ids := lookupKeys(idNumbers)
	for start := 0; start < len(ids); start += lookupChunk {
		chunk := ids[start:min(start+lookupChunk, len(ids))]
		q := `SELECT DISTINCT id_number FROM operators WHERE id_number IN (` + placeholders(len(chunk), 1) + `)`
		for id, err := range stream(ctx, s, q, anyArgs(chunk), func(rows *sql.Rows) (string, error) {
			var id string
			err := rows.Scan(&id)
			return id, err
		}) {
			if err != nil {
				return nil, fmt.Errorf("ledger read roster: %w", err)
			}
			out[id] = true
		}
	}
	// Callers look up by the ID numbers they passed, which may end in a lower-case x.
	for _, id := range idNumbers {
		if k := idKey(id); k != id && out[k] {
			out[id] = true
		}
	}
	return out, nil
}
