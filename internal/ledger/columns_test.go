package ledger_test

import (
	"context"
	"slices"
	"testing"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// The ledger's columns and mapping's field tables describe one another: every field with a
// ledger column has it in both dialects' schema, and every column is either a field's or one of
// the table's own bookkeeping columns listed here.
func TestSchemaColumnsMatchTheFieldTables(t *testing.T) {
	tables := []struct {
		name        string
		fields      []string
		bookkeeping []string
	}{
		{"enterprises", ledgerColumns(mapping.EnterpriseTable),
			[]string{"warnings", "content_hash", "street_hash", "accepted_hash", "accepted_at", "platform_street",
				"platform_hash", "platform_view_at", "created_at", "modified_at"}},
		{"operators", ledgerColumns(mapping.OperatorTable),
			[]string{"warnings", "content_hash", "created_at", "modified_at"}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			open(t, cfg, newClock()) // migrates
			for _, tb := range tables {
				got := schemaColumns(t, cfg, tb.name)
				want := append(slices.Clone(tb.fields), tb.bookkeeping...)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s columns\n got %q\nwant %q (the field table's ledger columns and the bookkeeping)", tb.name, got, want)
				}
			}
		})
	}
}

func ledgerColumns[R any](table []*mapping.Field[R]) []string {
	var out []string
	for _, f := range table {
		if f.Ledger != "" {
			out = append(out, f.Ledger)
		}
	}
	return out
}

// schemaColumns reads a table's column names from the database itself.
func schemaColumns(t *testing.T, cfg config.Ledger, table string) []string {
	t.Helper()
	q := `SELECT name FROM pragma_table_info('` + table + `')`
	if cfg.Driver == "postgres" {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '` + table + `'`
	}
	rows, err := rawDB(t, cfg).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no columns read for %s", table)
	}
	return out
}

// Every field of an enterprise the table stores comes back as written.
func TestEveryStoredFieldComesBack(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		e := enterprise(7)
		e.SafetyManager, e.FactoryInFactory, e.Remark = "李安全", true, "厂中厂"
		outs, err := s.UpsertEnterprises(ctx, inputs(e))
		mustOutcomes(t, outs, err, ins)
		p := withPlatformID(e, "QY7")
		p.Grade, p.GradeValidUntil, p.RiskMonitored = "2", date(2027, 6, 30), true
		if _, err := s.SetPlatformFields(ctx, []mapping.Enterprise{p}); err != nil {
			t.Fatal(err)
		}
		r, err := s.EnterpriseByUSCC(ctx, e.USCC)
		if err != nil {
			t.Fatal(err)
		}
		want := p
		want.Remark = e.Remark
		for _, f := range mapping.EnterpriseTable {
			if f.Ledger == "" || f.Kind() == mapping.KindTime {
				continue
			}
			if got, w := f.Get(&r.Enterprise), f.Get(&want); got != w {
				t.Errorf("%s: stored %q, want %q", f.Name, got, w)
			}
		}
	})
}
