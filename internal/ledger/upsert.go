package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// upsertSpec describes how one table is upserted by content hash.
type upsertSpec struct {
	table   string
	keyCols []string
	// flagCol, when set, names a 0/1 column whose 1 makes an otherwise unchanged record count
	// as updated, because the upsert clears it (enterprises: pending_review) — unless the record
	// keeps it (upsertBatch's keepsFlag).
	flagCol string
	// insert is "INSERT INTO t (…) VALUES", row one row's "(?, …)", conflict the
	// "ON CONFLICT … DO UPDATE SET …" tail: a statement writes up to rowsPerStatement rows.
	insert, row, conflict string
}

// rowsPerStatement is how many records one multi-row INSERT carries on SQLite: per-statement
// overhead (database/sql, binding, the VDBE program) dominates single-row inserts, and 50 rows of
// ~20 columns stay far below its parameter limit. PostgreSQL gets arrayBatch records a
// statement, as arrays (execRows).
const rowsPerStatement = 50

// statement returns the upsert of n rows.
func (sp *upsertSpec) statement(n int) string {
	var b strings.Builder
	b.WriteString(sp.insert)
	b.WriteByte('\n')
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(sp.row)
	}
	b.WriteByte('\n')
	b.WriteString(sp.conflict)
	return b.String()
}

// upsertBatch upserts n records in one transaction (or, with dry, only classifies them).
// keyOf returns a record's key column values and content hash; args its statement arguments
// (given the hash), built only for records that are written; keepsFlag (nil: none does) says
// which records leave spec.flagCol as it is.
//
// The stored hashes of the batch's keys are read first, in chunks, inside the write transaction:
// unchanged records then cost no write at all. Records are written in key order — two instances
// upserting overlapping batches into one PostgreSQL then take row locks in the same order and do
// not deadlock — and outcomes are reported in input order. A key repeated in the batch sees the
// earlier occurrence. Records to write go out rowsPerStatement (SQLite) or arrayBatch (PostgreSQL)
// at a time; a statement never holds one key twice (PostgreSQL refuses to update a row twice in
// one statement).
func (s *sqlStore) upsertBatch(ctx context.Context, spec *upsertSpec, n int, keyOf func(i int) ([]any, string), args func(i int, hash string) []any, keepsFlag func(i int) bool, dry bool) ([]Outcome, error) {
	keys := make([][]any, n)
	hashes := make([]string, n)
	joined := make([]string, n)
	for i := range n {
		keys[i], hashes[i] = keyOf(i)
		joined[i] = joinKey(keys[i])
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(joined[a], joined[b]) })
	outs := make([]Outcome, n)
	classify := func(cur map[string]current, i int) Outcome {
		c, ok := cur[joined[i]]
		keep := keepsFlag != nil && keepsFlag(i)
		cur[joined[i]] = current{hash: hashes[i], flag: keep && (c.flag || !ok)}
		switch {
		case !ok:
			return OutcomeInserted
		case c.hash != hashes[i] || c.flag && !keep:
			return OutcomeUpdated
		}
		return OutcomeUnchanged
	}
	if n == 0 {
		return outs, nil
	}
	if dry {
		cur, err := s.currentHashes(ctx, s.r, spec, keys)
		if err != nil {
			return nil, err
		}
		for _, i := range order {
			outs[i] = classify(cur, i)
		}
		return outs, nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := s.currentHashes(ctx, tx, spec, keys)
		if err != nil {
			return err
		}
		stmts := map[int]*sql.Stmt{}
		defer func() {
			for _, st := range stmts {
				st.Close()
			}
		}()
		var pending []int // records to write in the next statement
		var vals []any
		limit := rowsPerStatement
		if s.d.name != "sqlite" {
			limit = arrayBatch
		}
		flush := func() error {
			if len(pending) == 0 {
				return nil
			}
			if s.d.name != "sqlite" {
				// PostgreSQL: one statement of arrays (execRows).
				err := s.execRows(ctx, tx, strings.TrimSuffix(spec.insert, "VALUES"), "\n"+spec.conflict,
					strings.Count(spec.row, "?"), len(pending), func(k int) []any { return args(pending[k], hashes[pending[k]]) })
				if err != nil {
					return fmt.Errorf("ledger upsert %s: %w", spec.table, err)
				}
				pending = pending[:0]
				return nil
			}
			st := stmts[len(pending)]
			if st == nil {
				if st, err = tx.PrepareContext(ctx, s.q(spec.statement(len(pending)))); err != nil {
					return fmt.Errorf("ledger upsert %s: %w", spec.table, err)
				}
				stmts[len(pending)] = st
			}
			vals = vals[:0]
			for _, i := range pending {
				vals = append(vals, args(i, hashes[i])...)
			}
			if _, err := st.ExecContext(ctx, vals...); err != nil {
				return fmt.Errorf("ledger upsert %s: %w", spec.table, err)
			}
			pending = pending[:0]
			return nil
		}
		for _, i := range order {
			outs[i] = classify(cur, i)
			if outs[i] == OutcomeUnchanged {
				continue
			}
			if len(pending) == limit || (len(pending) > 0 && joined[pending[len(pending)-1]] == joined[i]) {
				if err := flush(); err != nil {
					return err
				}
			}
			pending = append(pending, i)
		}
		if err := flush(); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}

// compositeLookup reads the hashes of n composite keys on PostgreSQL as one index probe per key.
// Given `(k1, k2, k3) IN (VALUES …)`, PostgreSQL hashes the list against a sequential scan of the
// table — and during an import the table is the one the sheet is filling, so every lookup read
// more of it: the roster's import grew as N² (a city's 525 296 entries are 1 051 lookups). A
// lateral subquery that cannot be pulled up (OFFSET 0) leaves the planner only the probe.
func compositeLookup(spec *upsertSpec, flagExpr string, n int) string {
	vals := make([]string, len(spec.keyCols))
	conds := make([]string, len(spec.keyCols))
	for i, c := range spec.keyCols {
		vals[i] = fmt.Sprintf("v.k%d", i)
		conds[i] = fmt.Sprintf("%s = v.k%d", c, i)
	}
	return "SELECT " + strings.Join(vals, ", ") + ", t.content_hash, t.flag FROM (VALUES " + placeholders(n, len(spec.keyCols)) +
		") AS v(" + strings.ReplaceAll(strings.Join(vals, ", "), "v.", "") + ") CROSS JOIN LATERAL (SELECT content_hash, " + flagExpr +
		" AS flag FROM " + spec.table + " WHERE " + strings.Join(conds, " AND ") + " OFFSET 0) AS t"
}

// current is a stored record's content hash and flag.
type current struct {
	hash string
	flag bool
}

// currentHashes reads the stored content hash (and flag) of the given keys.
func (s *sqlStore) currentHashes(ctx context.Context, q querier, spec *upsertSpec, keys [][]any) (map[string]current, error) {
	out := make(map[string]current, len(keys))
	flagExpr := "0"
	if spec.flagCol != "" {
		flagExpr = spec.flagCol
	}
	cols := strings.Join(spec.keyCols, ", ")
	w := len(spec.keyCols)
	for start := 0; start < len(keys); start += lookupChunk {
		chunk := keys[start:min(start+lookupChunk, len(keys))]
		args := make([]any, 0, len(chunk)*w)
		for _, k := range chunk {
			args = append(args, k...)
		}
		query := "SELECT " + cols + ", content_hash, " + flagExpr + " FROM " + spec.table + " WHERE "
		switch {
		case w == 1:
			query += cols + " IN (" + placeholders(len(chunk), 1) + ")"
		case s.d.name == "postgres":
			query = compositeLookup(spec, flagExpr, len(chunk))
		default:
			// SQLite wants a subquery on the right of a row-value IN; VALUES is one.
			query += "(" + cols + ") IN (VALUES " + placeholders(len(chunk), w) + ")"
		}
		err := func() error {
			rows, err := q.QueryContext(ctx, s.q(query), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			keyVals := make([]string, w)
			dest := make([]any, w+2)
			for i := range keyVals {
				dest[i] = &keyVals[i]
			}
			var c current
			var fl int64
			dest[w], dest[w+1] = &c.hash, &fl
			for rows.Next() {
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				c.flag = fl != 0
				out[strings.Join(keyVals, "\x00")] = c
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("ledger read %s: %w", spec.table, err)
		}
	}
	return out, nil
}

// joinKey renders key column values (all strings) as one map key.
func joinKey(k []any) string {
	if len(k) == 1 {
		return k[0].(string)
	}
	parts := make([]string, len(k))
	for i, v := range k {
		parts[i] = v.(string)
	}
	return strings.Join(parts, "\x00")
}

// execRows runs head + VALUES (…) + tail in tx for n rows of width columns. SQLite gets one
// statement per row, prepared once per call: a statement of several rows makes SQLite copy every
// page it touches to a statement journal (the statement might fail halfway) and is parsed anew
// for each size, and with the database in-process one row per statement costs no round trip.
// PostgreSQL gets arrayBatch rows a statement, as one array a column (head + SELECT * FROM
// unnest(…) + tail): the statement has width parameters whatever its rows, is parsed and planned
// once, and binds each array whole — against a parameter a value in a multi-row VALUES, which
// cost the first alert check about a quarter more waiting on the server. A value is a string, an
// integer or a bool. An upsert's rows must not share a key (PostgreSQL refuses a statement that
// updates a row twice).
func (s *sqlStore) execRows(ctx context.Context, tx *sql.Tx, head, tail string, width, n int, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	if s.d.name == "sqlite" {
		stmt, err := tx.PrepareContext(ctx, head+` VALUES `+placeholders(1, width)+tail)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range n {
			if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		return nil
	}
	first := args(0)
	cols, err := arrayColumns(first)
	if err != nil {
		return fmt.Errorf("ledger: %s: %w", head, err)
	}
	stmt := s.q(head + ` SELECT * FROM unnest(` + strings.Join(cols, ", ") + `)` + tail)
	for start := 0; start < n; start += arrayBatch {
		end := min(start+arrayBatch, n)
		vals := newArrays(first, end-start)
		for i := start; i < end; i++ {
			if err := appendArrays(vals, args(i)); err != nil {
				return fmt.Errorf("ledger: %s: row %d: %w", head, i, err)
			}
		}
		if _, err := tx.ExecContext(ctx, stmt, vals...); err != nil {
			return err
		}
	}
	return nil
}

// arrayBatch bounds the rows of one execRows statement of arrays (PostgreSQL).
const arrayBatch = 2000

// arrayColumns is the unnest argument list for a row of these values: ?::text[] for a string,
// ?::int8[] for an integer, ?::boolean[] for a bool.
func arrayColumns(row []any) ([]string, error) {
	cols := make([]string, len(row))
	for j, v := range row {
		switch v.(type) {
		case string:
			cols[j] = "?::text[]"
		case int, int64:
			cols[j] = "?::int8[]"
		case bool:
			cols[j] = "?::boolean[]"
		default:
			return nil, fmt.Errorf("column %d: a %T cannot be written as an array", j+1, v)
		}
	}
	return cols, nil
}

// newArrays makes one empty array a column, room for n rows shaped like row.
func newArrays(row []any, n int) []any {
	vals := make([]any, len(row))
	for j, v := range row {
		switch v.(type) {
		case string:
			vals[j] = make([]string, 0, n)
		case int, int64:
			vals[j] = make([]int64, 0, n)
		case bool:
			vals[j] = make([]bool, 0, n)
		}
	}
	return vals
}

// appendArrays appends a row's values to their columns' arrays (newArrays).
func appendArrays(vals []any, row []any) error {
	if len(row) != len(vals) {
		return fmt.Errorf("%d values, want %d", len(row), len(vals))
	}
	for j, v := range row {
		ok := false
		switch col := vals[j].(type) {
		case []string:
			var s string
			if s, ok = v.(string); ok {
				vals[j] = append(col, s)
			}
		case []int64:
			switch n := v.(type) {
			case int:
				vals[j], ok = append(col, int64(n)), true
			case int64:
				vals[j], ok = append(col, n), true
			}
		case []bool:
			var b bool
			if b, ok = v.(bool); ok {
				vals[j] = append(col, b)
			}
		}
		if !ok {
			return fmt.Errorf("column %d: a %T where the first row has a %T", j+1, v, vals[j])
		}
	}
	return nil
}
