package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"streetsync/internal/config"
	"streetsync/mapping"
)

// A first load into empty SQLite tables builds their secondary indexes after the rows, inside
// the sheet's transaction: committed, the indexes are there and used; rolled back, they are
// there as before; a table that already holds rows keeps its indexes throughout.
func TestFirstLoadBuildsIndexesAtTheEnd(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	indexes := func(table string) []string {
		t.Helper()
		var out []string
		rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	want := indexes("operators")
	if len(want) < 3 {
		t.Fatalf("operators has indexes %v", want)
	}
	roster := func(n int) []OperatorInput {
		var out []OperatorInput
		for i := range n {
			out = append(out, OperatorInput{Operator: mapping.Operator{IDNumber: "35058219800101" + string(rune('A'+i%26)) + "000",
				EnterpriseUSCC: "91350582MA00000001", ItemCode: "0102", Name: "x"}})
		}
		return out
	}
	boom := errors.New("stopped")
	err = s.ImportSheet(ctx, false, func(tx SheetTx) error {
		if _, err := tx.UpsertOperators(ctx, roster(26)); err != nil {
			return err
		}
		var n int
		_ = tx.(*sheetTx).tx.QueryRowContext(ctx,
			`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'operators' AND sql IS NOT NULL`).Scan(&n)
		if n != 0 {
			t.Errorf("inside a first load the roster keeps %d secondary indexes, want them deferred", n)
		}
		if got := indexes("operators"); !slices.Equal(got, want) {
			t.Errorf("a reader sees indexes %v during the sheet, want %v", got, want)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := indexes("operators"); !slices.Equal(got, want) {
		t.Errorf("after a rolled-back first load: indexes %v, want %v", got, want)
	}
	if err := s.ImportSheet(ctx, false, func(tx SheetTx) error {
		_, err := tx.UpsertOperators(ctx, roster(26))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := indexes("operators"); !slices.Equal(got, want) {
		t.Errorf("after a committed first load: indexes %v, want %v", got, want)
	}
	var plan string
	if err := s.r.QueryRowContext(ctx, `EXPLAIN QUERY PLAN SELECT * FROM operators WHERE enterprise_uscc = 'x'`).Scan(new(int), new(int), new(int), &plan); err != nil {
		t.Fatal(err)
	}
	if plan != "SEARCH operators USING INDEX operators_enterprise (enterprise_uscc=?)" {
		t.Errorf("plan %q, want the rebuilt index", plan)
	}
	// The roster is no longer empty: the next sheet keeps the indexes as it goes.
	if err := s.ImportSheet(ctx, false, func(tx SheetTx) error {
		if _, err := tx.UpsertOperators(ctx, roster(3)); err != nil {
			return err
		}
		if len(tx.(*sheetTx).st.deferred) != 0 {
			t.Errorf("a sheet into a filled table deferred %v", tx.(*sheetTx).st.deferred)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
