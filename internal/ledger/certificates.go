package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"streetsync/mapping"
)

var certificateUpsert = upsertSpec{
	table:   "certificates",
	keyCols: []string{"cert_no", "item_code"},
	insert: `INSERT INTO certificates (cert_no, item_code, id_number, holder_name, gender, category_code, category_name,
    item_name, first_issue_date, valid_from, valid_until, review_due_date, last_review_date, status, issuer,
    source_updated_at, content_hash, created_at, modified_at) VALUES`,
	row: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	conflict: `ON CONFLICT (cert_no, item_code) DO UPDATE SET
    id_number = excluded.id_number, holder_name = excluded.holder_name, gender = excluded.gender,
    category_code = excluded.category_code, category_name = excluded.category_name, item_name = excluded.item_name,
    first_issue_date = excluded.first_issue_date, valid_from = excluded.valid_from,
    valid_until = excluded.valid_until, review_due_date = excluded.review_due_date,
    last_review_date = excluded.last_review_date, status = excluded.status, issuer = excluded.issuer,
    source_updated_at = excluded.source_updated_at, content_hash = excluded.content_hash,
    modified_at = excluded.modified_at`,
}

func (s *sqlStore) UpsertCertificates(ctx context.Context, batch []mapping.Certificate) ([]Outcome, error) {
	now := millis(s.now())
	return s.upsertBatch(ctx, &certificateUpsert, len(batch),
		func(i int) ([]any, string) {
			c := &batch[i]
			return []any{c.CertNo, c.ItemCode}, certificateHash(c)
		},
		func(i int, hash string) []any {
			c := &batch[i]
			return []any{c.CertNo, c.ItemCode, idKey(c.IDNumber), c.HolderName, c.Gender, c.CategoryCode, c.CategoryName,
				c.ItemName, c.FirstIssueDate.String(), c.ValidFrom.String(), c.ValidUntil.String(),
				c.ReviewDueDate.String(), c.LastReviewDate.String(), string(c.Status), c.Issuer,
				millis(c.UpdatedAt), hash, now, now}
		}, nil, false)
}

const certificateCols = `cert_no, item_code, id_number, holder_name, gender, category_code, category_name, item_name,
    first_issue_date, valid_from, valid_until, review_due_date, last_review_date, status, issuer, source_updated_at`

func scanCertificate(sc scanner) (mapping.Certificate, error) {
	var c mapping.Certificate
	var status string
	var d [5]string
	var updated int64
	if err := sc.Scan(&c.CertNo, &c.ItemCode, &c.IDNumber, &c.HolderName, &c.Gender, &c.CategoryCode, &c.CategoryName,
		&c.ItemName, &d[0], &d[1], &d[2], &d[3], &d[4], &status, &c.Issuer, &updated); err != nil {
		return c, err
	}
	c.Status = mapping.CertStatus(status)
	c.UpdatedAt = fromMillis(updated)
	var errs [5]error
	c.FirstIssueDate, errs[0] = parseDate(d[0])
	c.ValidFrom, errs[1] = parseDate(d[1])
	c.ValidUntil, errs[2] = parseDate(d[2])
	c.ReviewDueDate, errs[3] = parseDate(d[3])
	c.LastReviewDate, errs[4] = parseDate(d[4])
	if err := errors.Join(errs[:]...); err != nil {
		return c, fmt.Errorf("certificate of item %s: %w", c.ItemCode, err)
	}
	return c, nil
}

// anyArgs are strings as query arguments.
func anyArgs(ss []string) []any {
	args := make([]any, len(ss))
	for i, s := range ss {
		args[i] = s
	}
	return args
}

// lookupKeys are ID numbers as the ledger keys them, sorted, each once.
func lookupKeys(idNumbers []string) []string {
	ids := make([]string, len(idNumbers))
	for i, id := range idNumbers {
		ids[i] = idKey(id)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (s *sqlStore) CertificatesByIDNumbers(ctx context.Context, idNumbers []string) (map[string][]mapping.Certificate, error) {
	out := make(map[string][]mapping.Certificate, len(idNumbers))
	ids := lookupKeys(idNumbers)
	for start := 0; start < len(ids); start += lookupChunk {
		chunk := ids[start:min(start+lookupChunk, len(ids))]
		q := `SELECT ` + certificateCols + ` FROM certificates WHERE id_number IN (` + placeholders(len(chunk), 1) + `)
ORDER BY id_number, cert_no, item_code`
		for c, err := range stream(ctx, s, q, anyArgs(chunk), func(rows *sql.Rows) (mapping.Certificate, error) { return scanCertificate(rows) }) {
			if err != nil {
				return nil, err
			}
			out[c.IDNumber] = append(out[c.IDNumber], c)
		}
	}
	// Callers look up by the ID numbers they passed, which may end in a lower-case x.
	for _, id := range idNumbers {
		if k := idKey(id); k != id {
			if cs, ok := out[k]; ok {
				out[id] = cs
			}
		}
	}
	return out, nil
}

func (s *sqlStore) Certificates(ctx context.Context) iter.Seq2[mapping.Certificate, error] {
	return stream(ctx, s, `SELECT `+certificateCols+` FROM certificates ORDER BY cert_no, item_code`, nil,
		func(rows *sql.Rows) (mapping.Certificate, error) { return scanCertificate(rows) })
}

func (s *sqlStore) RecordCertificateAnswers(ctx context.Context, idNumbers []string, at time.Time) error {
	if len(idNumbers) == 0 {
		return nil
	}
	ids := make([]string, len(idNumbers))
	for i, id := range idNumbers {
		ids[i] = idKey(id)
	}
	slices.Sort(ids) // one lock order for concurrent writers
	ids = slices.Compact(ids)
	answered := millis(at)
	return s.write(ctx, func(tx *sql.Tx) error {
		err := s.execRows(ctx, tx, `INSERT INTO certificate_answers (id_number, answered_at)`,
			` ON CONFLICT (id_number) DO UPDATE SET answered_at = excluded.answered_at`, 2, len(ids),
			func(i int) []any { return []any{ids[i], answered} })
		if err != nil {
			return fmt.Errorf("ledger record certificate answers: %w", err)
		}
		return nil
	})
}
