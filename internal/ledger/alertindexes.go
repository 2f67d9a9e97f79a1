package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// A first check writes every alert at once: a city's hundred and sixty thousand, each with its
// `fired` and `delivered` events. Keyed by a hash, each alert lands all over each of the
// console's indexes, and keeping seven of them up to date row by row cost the check more than
// half its time writing; built after the rows they cost a few seconds. DeferAlertIndexes drops
// them for such a check, keeping their definitions in alert_deferred_indexes (migration 14), and
// RestoreAlertIndexes builds them again. The keys (and the partial indexes, empty on a first
// check) stay. Each step is one transaction, serialized with the alert-state transactions, and
// Open builds whatever is still listed, so that a check that dies between leaves nothing missing
// once the ledger is opened again.

// deferrableIndexes lists the secondary indexes of the alerts and their history: the
// definitions, not unique and not partial.
var deferrableIndexes = map[string]string{
	"sqlite": `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('alerts', 'alert_events')
    AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND sql NOT LIKE '% WHERE %' ORDER BY name`,
	"postgres": `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
    AND tablename IN ('alerts', 'alert_events') AND indexdef NOT LIKE 'CREATE UNIQUE%' AND indexdef NOT LIKE '% WHERE %'
    ORDER BY indexname`,
}

// alertWrite runs fn in a write transaction serialized with every alert-state transaction
// (AlertTx).
func (s *sqlStore) alertWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		lock := alertLockPostgres
		if s.d.name == "sqlite" {
			lock = alertCacheSQLite
		}
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("ledger alert state: begin: %w", err)
		}
		return fn(tx)
	})
}

// anyAlertSQL is 1 when the ledger holds an alert, else 0.
const anyAlertSQL = `SELECT COUNT(*) FROM (SELECT 1 FROM alerts LIMIT 1) a`

func (s *sqlStore) DeferAlertIndexes(ctx context.Context) (bool, error) {
	// Every check asks; once there are alerts the answer stays no, and a reader says so without
	// taking the writer's lock.
	var any int
	if err := s.r.QueryRowContext(ctx, anyAlertSQL).Scan(&any); err != nil {
		return false, fmt.Errorf("ledger defer alert indexes: %w", err)
	}
	if any > 0 {
		return false, nil
	}
	deferred := false
	err := s.alertWrite(ctx, func(tx *sql.Tx) error {
		deferred = false
		var any int
		if err := tx.QueryRowContext(ctx, anyAlertSQL).Scan(&any); err != nil || any > 0 {
			return err // another check wrote alerts meanwhile
		}
		names, defs, err := indexDefs(ctx, tx, deferrableIndexes[s.d.name])
		if err != nil {
			return err
		}
		for i, n := range names {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_deferred_indexes (name, definition) VALUES (?, ?)
ON CONFLICT (name) DO NOTHING`), n, defs[i]); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DROP INDEX `+quoteIdent(n)); err != nil {
				return err
			}
		}
		deferred = len(names) > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("ledger defer alert indexes: %w", err)
	}
	return deferred, nil
}

func (s *sqlStore) RestoreAlertIndexes(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_deferred_indexes`).Scan(&n); err != nil {
		return fmt.Errorf("ledger build alert indexes: %w", err)
	}
	if n == 0 {
		return nil // the usual case: nothing deferred
	}
	err := s.alertWrite(ctx, func(tx *sql.Tx) error {
		_, defs, err := indexDefs(ctx, tx, `SELECT name, definition FROM alert_deferred_indexes ORDER BY name`)
		if err != nil {
			return err
		}
		for _, d := range defs {
			// Only when missing: a newer migration may have made it meanwhile.
			q, ok := strings.CutPrefix(d, "CREATE INDEX ")
			if !ok {
				return fmt.Errorf("unexpected index definition %q", d)
			}
			if _, err := tx.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS "+q); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM alert_deferred_indexes`)
		return err
	})
	if err != nil {
		return fmt.Errorf("ledger build alert indexes: %w", err)
	}
	return nil
}

// indexDefs reads the (name, definition) pairs query selects.
func indexDefs(ctx context.Context, tx *sql.Tx, query string, args ...any) (names, defs []string, err error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			return nil, nil, err
		}
		names, defs = append(names, n), append(defs, d)
	}
	return names, defs, rows.Err()
}

// hasIndex reports whether the SQLite ledger has an index by that name (false when it cannot tell).
func (s *sqlStore) hasIndex(ctx context.Context, name string) bool {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n)
	return err == nil && n > 0
}

// quoteIdent quotes an SQL identifier (both dialects).
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
