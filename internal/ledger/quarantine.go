package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"streetsync/mapping/mask"
)

func (s *sqlStore) AddToQuarantine(ctx context.Context, entries []QuarantineEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		// The partial unique index quarantine_open allows one open entry per key; seeing the
		// same bad record again (a daily pull) updates it instead of piling up duplicates.
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO quarantine (source, kind, record_key, reasons, raw,
    has_id_number, occurrences, first_seen_at, last_seen_at)
VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (source, kind, record_key) WHERE resolved_at = 0 DO UPDATE SET
    reasons = excluded.reasons, raw = excluded.raw, has_id_number = excluded.has_id_number,
    occurrences = quarantine.occurrences + 1, last_seen_at = excluded.last_seen_at`))
		if err != nil {
			return fmt.Errorf("ledger quarantine: %w", err)
		}
		defer stmt.Close()
		now := millis(s.now())
		for _, e := range entries {
			// The caller's mark, or a valid ID number anywhere in the payload, the reasons or the
			// key, marks the entry.
			reasons := encodeProblems(e.Reasons)
			hasID := e.HasIDNumber || mask.IDsInText(e.Raw) != e.Raw || mask.IDsInText(reasons) != reasons ||
				mask.IDsInText(e.Key) != e.Key
			if _, err := stmt.ExecContext(ctx, string(e.Source), string(e.Kind), e.Key, reasons, e.Raw, flag(hasID), now, now); err != nil {
				return fmt.Errorf("ledger quarantine: %w", err)
			}
		}
		return nil
	})
}

const quarantineCols = `id, source, kind, record_key, reasons, raw, has_id_number, occurrences, first_seen_at,
    last_seen_at, resolved_at, resolution`

func scanQuarantine(sc scanner) (QuarantineEntry, error) {
	var e QuarantineEntry
	var source, kind, reasons string
	var hasID, occ, first, last, resolved int64
	if err := sc.Scan(&e.ID, &source, &kind, &e.Key, &reasons, &e.Raw, &hasID, &occ, &first, &last, &resolved, &e.Resolution); err != nil {
		return e, err
	}
	e.Source, e.Kind = Source(source), Kind(kind)
	e.HasIDNumber, e.Occurrences = hasID != 0, int(occ)
	e.FirstSeenAt, e.LastSeenAt, e.ResolvedAt = fromMillis(first), fromMillis(last), fromMillis(resolved)
	var err error
	if e.Reasons, err = decodeProblems(reasons); err != nil {
		return e, fmt.Errorf("quarantine entry %d: %w", e.ID, err)
	}
	return e, nil
}

func (s *sqlStore) QuarantineEntries(ctx context.Context, f QuarantineFilter) iter.Seq2[QuarantineEntry, error] {
	where, args := quarantineWhere(f)
	q := `SELECT ` + quarantineCols + ` FROM quarantine` + whereClause(where) + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return stream(ctx, s, q, args, func(rows *sql.Rows) (QuarantineEntry, error) { return scanQuarantine(rows) })
}

func (s *sqlStore) ResolveQuarantine(ctx context.Context, id int64, resolution string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE quarantine SET resolved_at = ?, resolution = ? WHERE id = ? AND resolved_at = 0`),
			millis(s.now()), resolution, id)
		if err != nil {
			return fmt.Errorf("ledger resolve quarantine: %w", err)
		}
		n, err := affected(res)
		if err == nil && n == 0 {
			err = fmt.Errorf("open quarantine entry %d: %w", id, ErrNotFound)
		}
		return err
	})
}

func (s *sqlStore) ResolveQuarantineKeys(ctx context.Context, source Source, kind Kind, keys []string, resolution string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE quarantine SET resolved_at = ?, resolution = ?
WHERE source = ? AND kind = ? AND record_key = ? AND resolved_at = 0`))
		if err != nil {
			return fmt.Errorf("ledger resolve quarantine: %w", err)
		}
		defer stmt.Close()
		now := millis(s.now())
		for _, key := range keys {
			res, err := stmt.ExecContext(ctx, now, resolution, string(source), string(kind), key)
			if err != nil {
				return fmt.Errorf("ledger resolve quarantine: %w", err)
			}
			m, err := affected(res)
			if err != nil {
				return err
			}
			n += m
		}
		return nil
	})
	return int(n), err
}

// quarantineWhere is the selection of f's fields but the limit.
func quarantineWhere(f QuarantineFilter) ([]string, []any) {
	var where []string
	var args []any
	if !f.IncludeResolved {
		where = append(where, "resolved_at = 0")
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, string(f.Source))
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.Key != "" {
		where, args = append(where, "record_key = ?"), append(args, f.Key)
	}
	return where, args
}
