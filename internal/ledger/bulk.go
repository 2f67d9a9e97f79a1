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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: begin sheet: %w", err)
	}
	st := &sheetState{s: s, tx: tx}
	if err := load(&sheetTx{s: s, st: st, tx: tx}); err != nil {
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

// join returns ctx carrying the sheet's transaction (ctx's own deadline and values kept).
func (t *sheetTx) join(ctx context.Context) context.Context {
	if t.st == nil {
		return ctx
	}
	return context.WithValue(ctx, sheetKey{}, t.st)
}

func (t *sheetTx) Dry() bool { return t.tx == nil }

func (t *sheetTx) UpsertEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error) {
	return t.s.upsertEnterprises(t.join(ctx), batch, t.Dry())
}

func (t *sheetTx) UpsertOperators(ctx context.Context, batch []OperatorInput) ([]Outcome, error) {
	return t.s.upsertOperators(t.join(ctx), batch, t.Dry())
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
