package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SheetImporter is the workbook import's way into the ledger: each sheet of a workbook is loaded
// in one transaction, so that an import killed part-way — by the operator, the OOM killer or a
// power cut — leaves every sheet as it was or as loaded, never half (issue 16, finding 11).
// Readers meanwhile see the ledger as it was before the sheet (SQLite's WAL, PostgreSQL's MVCC);
// other writers wait for the sheet's commit (SQLite: up to its busy timeout and the store's
// retries; PostgreSQL: for the rows the sheet has written).
type SheetImporter interface {
	// ImportSheet runs load in one transaction and commits it when load returns nil; an error
	// from load, or a cancelled ctx, rolls the whole sheet back. With dry, load runs against
	// the readers: upserts report what they would do, and nothing is written.
	ImportSheet(ctx context.Context, dry bool, load func(tx SheetTx) error) error
}

// SheetTx is one sheet's transaction: the store's own methods, run inside it, so that an import
// writes records, quarantine entries and resolutions exactly as the single-record paths do. It
// is valid only while load runs, and not safe for concurrent use.
type SheetTx interface {
	// Dry reports whether the sheet writes nothing (its upserts only compare).
	Dry() bool
	// UpsertEnterprises is Store.UpsertEnterprises (CompareEnterprises when dry).
	UpsertEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error)
	// UpsertOperators is Store.UpsertOperators (CompareOperators when dry).
	UpsertOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error)
	// AddToQuarantine is Store.AddToQuarantine; a dry run quarantines nothing.
	AddToQuarantine(ctx context.Context, entries []QuarantineEntry) error
	// ResolveQuarantineKeys is Store.ResolveQuarantineKeys; a dry run resolves nothing.
	ResolveQuarantineKeys(ctx context.Context, source Source, kind Kind, keys []string, resolution string) (int, error)
	// KnownEnterprises reports which of the USCCs the ledger holds, as the sheet sees it.
	KnownEnterprises(ctx context.Context, usccs []string) (map[string]bool, error)
	// EachOpenQuarantineKey calls fn with the key of every open quarantine entry of (source,
	// kind), so that an import can resolve those its rows now load without asking per row.
	EachOpenQuarantineKey(ctx context.Context, source Source, kind Kind, fn func(key string)) error
}

// sheetTx is SheetTx over the store: the store's write path joins the sheet's transaction
// (carried in the context, see write) instead of opening its own.
type sheetTx struct {
	s  *sqlStore
	st *sheetState // nil in a dry run
	tx *sql.Tx     // nil in a dry run
}

// sheetKey is the context key of the sheet transaction in progress.
type sheetKey struct{}

type sheetState struct {
	s  *sqlStore
	tx *sql.Tx
	// checked lists the tables whose indexes the sheet has decided about; deferred holds the
	// definitions of the indexes it dropped, to build again before the commit.
	checked  map[string]bool
	deferred []string
}

// sheetTxOf returns the sheet transaction ctx carries for this store, if any.
func (s *sqlStore) sheetTxOf(ctx context.Context) *sql.Tx {
	st, _ := ctx.Value(sheetKey{}).(*sheetState)
	if st == nil || st.s != s {
		return nil
	}
	return st.tx
}

func (s *sqlStore) ImportSheet(ctx context.Context, dry bool, load func(tx SheetTx) error) error {
	if dry {
		return load(&sheetTx{s: s})
	}
	if s.sheetTxOf(ctx) != nil {
		return errors.New("ledger: a sheet's import is already in progress in this context")
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("ledger: begin sheet: %w", err)
	}
	defer conn.Close()
	switch s.d.name {
	case "sqlite":
		restore, err := widenCache(ctx, conn)
		if err != nil {
			return err
		}
		defer restore()
	case "postgres":
		defer customPlans(ctx, conn)()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: begin sheet: %w", err)
	}
	st := &sheetState{s: s, tx: tx, checked: map[string]bool{}}
	if err := load(&sheetTx{s: s, st: st, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := st.buildDeferred(ctx, conn); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit sheet: %w", err)
	}
	return nil
}

// sheetCacheKiB is SQLite's page cache while a sheet loads. A sheet writes far more pages than
// the default 2 MiB holds, and SQLite then spills them to the WAL in the middle of the
// transaction and reads them back for the next insert. Measured on a city's first import
// (100 000 enterprises, 525 296 roster rows, indexes kept up to date; CPU seconds, peak RSS):
// 2 MiB 29.0 s 116 MiB, 16 MiB 25.5 s 145 MiB, 32 MiB 26.4 s 180 MiB, 64 MiB 25.6 s 249 MiB —
// beyond 16 MiB the cache costs memory and saves nothing. The memory is the process's only while
// the sheet loads. (Building the indexes at the end, deferIndexes, then took it from 27.3 s to
// 23.1 s of CPU and 18.3 s to 14.8 s of wall time, and the peak from 152 MiB to 214 MiB.)
const sheetCacheKiB = 16 << 10

// widenCache sets the writer connection's page cache for a sheet and returns what restores it.
func widenCache(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	var was int64
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&was); err != nil {
		return nil, fmt.Errorf("ledger: read cache size: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", sheetCacheKiB)); err != nil {
		return nil, fmt.Errorf("ledger: widen cache: %w", err)
	}
	return func() {
		// Also after a cancelled import: the connection goes back to the daemon's writers.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", was))
	}, nil
}

// customPlans has PostgreSQL plan every statement of the sheet for its own arguments, and returns
// what undoes it. pgx prepares the store's statements, and after five executions PostgreSQL may
// keep a generic plan, made while the sheet's tables were small: a sequential scan, which it then
// keeps for the whole sheet as the tables grow (no statistics change inside a transaction). The
// hash lookups of a city's roster went from milliseconds to a second each, and its import from
// 30 s to over three minutes. Best effort: a PostgreSQL-compatible database without the setting
// keeps its own plans.
func customPlans(ctx context.Context, conn *sql.Conn) (undo func()) {
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_custom_plan"); err != nil {
		return func() {}
	}
	return func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "RESET plan_cache_mode") }
}

// join returns ctx carrying the sheet's transaction (ctx's own deadline and values kept).
func (t *sheetTx) join(ctx context.Context) context.Context {
	if t.st == nil {
		return ctx
	}
	return context.WithValue(ctx, sheetKey{}, t.st)
}

func (t *sheetTx) Dry() bool { return t.tx == nil }

func (t *sheetTx) UpsertEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error) {
	if err := t.deferIndexes(ctx, "enterprises"); err != nil {
		return nil, err
	}
	return t.s.upsertEnterprises(t.join(ctx), batch, t.Dry())
}

func (t *sheetTx) UpsertOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error) {
	if err := t.deferIndexes(ctx, "operators"); err != nil {
		return nil, err
	}
	return t.s.upsertOperators(t.join(ctx), batch, t.Dry())
}

// deferIndexes drops the secondary indexes of an empty SQLite table the sheet is about to fill,
// to build them again, sorted, before the commit (buildDeferred): for a first load that is
// cheaper than keeping them up to date row by row. Readers meanwhile see the table as before
// the sheet, indexes and all (WAL), and a rolled-back sheet leaves them as they were: DDL is
// part of the transaction. The primary key, which the upserts' ON CONFLICT needs, stays.
// PostgreSQL keeps its indexes: DROP INDEX there would lock every reader out of the table until
// the sheet commits.
func (t *sheetTx) deferIndexes(ctx context.Context, table string) error {
	if t.st == nil || t.s.d.name != "sqlite" || t.st.checked[table] {
		return nil
	}
	t.st.checked[table] = true
	var any int
	err := t.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&any)
	if err != nil || any != 0 {
		return err
	}
	names, defs, err := indexDefs(ctx, t.tx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, table)
	if err != nil {
		return fmt.Errorf("ledger: read indexes of %s: %w", table, err)
	}
	t.st.deferred = append(t.st.deferred, defs...)
	for _, name := range names {
		if _, err := t.tx.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return fmt.Errorf("ledger: defer index %s: %w", name, err)
		}
	}
	return nil
}

// buildDeferred builds the indexes deferIndexes dropped, sorting on disk rather than in memory
// (temp_store FILE for the while): a city's roster index sorts some 30 MiB.
func (st *sheetState) buildDeferred(ctx context.Context, conn *sql.Conn) error {
	if len(st.deferred) == 0 {
		return nil
	}
	var was int64
	if err := st.tx.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&was); err != nil {
		return fmt.Errorf("ledger: read temp store: %w", err)
	}
	if _, err := st.tx.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
		return fmt.Errorf("ledger: temp store: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA temp_store = %d", was))
	}()
	for _, def := range st.deferred {
		if _, err := st.tx.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("ledger: build index: %w", err)
		}
	}
	return nil
}

func (t *sheetTx) AddToQuarantine(ctx context.Context, entries []QuarantineEntry) error {
	if t.Dry() {
		return nil
	}
	return t.s.AddToQuarantine(t.join(ctx), entries)
}

func (t *sheetTx) ResolveQuarantineKeys(ctx context.Context, source Source, kind Kind, keys []string, resolution string) (int, error) {
	if t.Dry() {
		return 0, nil
	}
	return t.s.ResolveQuarantineKeys(t.join(ctx), source, kind, keys, resolution)
}

// querier is the sheet's transaction, or the readers in a dry run.
func (t *sheetTx) querier() querier {
	if t.tx == nil {
		return t.s.r
	}
	return t.tx
}

func (t *sheetTx) KnownEnterprises(ctx context.Context, usccs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(usccs))
	for start := 0; start < len(usccs); start += lookupChunk {
		chunk := usccs[start:min(start+lookupChunk, len(usccs))]
		err := func() error {
			rows, err := t.querier().QueryContext(ctx, t.s.q(`SELECT uscc FROM enterprises WHERE uscc IN (`+placeholders(len(chunk), 1)+`)`), anyArgs(chunk)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var u string
				if err := rows.Scan(&u); err != nil {
					return err
				}
				out[u] = true
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("ledger read enterprises: %w", err)
		}
	}
	return out, nil
}

func (t *sheetTx) EachOpenQuarantineKey(ctx context.Context, source Source, kind Kind, fn func(key string)) error {
	rows, err := t.querier().QueryContext(ctx, t.s.q(`SELECT record_key FROM quarantine WHERE source = ? AND kind = ? AND resolved_at = 0`),
		string(source), string(kind))
	if err != nil {
		return fmt.Errorf("ledger read quarantine: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("ledger read quarantine: %w", err)
		}
		fn(k)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ledger read quarantine: %w", err)
	}
	return nil
}
