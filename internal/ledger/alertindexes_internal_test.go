package ledger

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"streetsync/internal/config"
	"streetsync/internal/testutil"
)

// A first check's alert indexes: deferred only while there is no alert, listed in the ledger while
// they are, and built again — by RestoreAlertIndexes, or by the next Open when the check died
// first — exactly as they were. A search of the alerts answers meanwhile (SQLite names its index
// in the query: without it, the plain query).
func TestAlertIndexesAreDeferredOnlyWhenEmptyAndAlwaysBuiltAgain(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		driver string
		cfg    func(t *testing.T) config.Ledger
	}{
		{"sqlite", func(t *testing.T) config.Ledger {
			return config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))}
		}},
		{"postgres", func(t *testing.T) config.Ledger {
			return config.Ledger{Driver: "postgres", DSN: config.Secret(testutil.Postgres(t))}
		}},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			cfg := tc.cfg(t)
			open := func() *sqlStore {
				st, err := Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st.(*sqlStore)
			}
			s := open()
			indexes := func(s *sqlStore) []string {
				t.Helper()
				tx, err := s.w.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				names, defs, err := indexDefs(ctx, tx, deferrableIndexes[s.d.name])
				if err != nil {
					t.Fatal(err)
				}
				for i := range names {
					names[i] += ": " + defs[i]
				}
				return names
			}
			listed := func(s *sqlStore) int {
				t.Helper()
				var n int
				if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_deferred_indexes`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			want := indexes(s)
			if len(want) != 7 {
				t.Fatalf("deferrable alert indexes %v, want the seven of the listings, counts, searches and history", want)
			}

			if deferred, err := s.DeferAlertIndexes(ctx); err != nil || !deferred {
				t.Fatalf("deferring on an empty ledger: %v, %v; want deferred", deferred, err)
			}
			if got := indexes(s); len(got) != 0 || listed(s) != 7 {
				t.Fatalf("after deferring: indexes %v, %d listed; want none, seven listed", got, listed(s))
			}
			now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
			row := AlertRow{Key: "00000000000000a1", Family: "certificate", Rule: "NO_CERTIFICATE", Severity: "critical",
				Community: "灵源社区", PersonName: "庄英金", SearchText: "庄英金 第1鞋材", Fingerprint: "fp", BodyHash: "h",
				Body: `{"message":"m"}`, Status: "firing", Episode: 1, Version: 1, Since: now, ChangedAt: now, Open: true}
			if err := s.AlertTx(ctx, func(tx AlertTx) error { return tx.PutAlerts(ctx, []AlertRow{row}) }); err != nil {
				t.Fatal(err)
			}
			if page, total, err := s.AlertPage(ctx, AlertQuery{Text: "英金", Status: "firing", Now: now}); err != nil || total != 1 || len(page) != 1 {
				t.Fatalf("a search while the indexes are deferred: %d of %d, %v", len(page), total, err)
			}

			// The check dies here; the next process to open the ledger builds them.
			s.Close()
			s = open()
			if got := indexes(s); !slices.Equal(got, want) || listed(s) != 0 {
				t.Fatalf("after reopening: indexes %v, %d listed; want %v, none listed", got, listed(s), want)
			}
			if page, total, err := s.AlertPage(ctx, AlertQuery{Text: "英金", Status: "firing", Now: now}); err != nil || total != 1 || len(page) != 1 {
				t.Fatalf("a search with the indexes built: %d of %d, %v", len(page), total, err)
			}

			// With an alert stored, nothing is deferred; with nothing deferred, nothing is built.
			if deferred, err := s.DeferAlertIndexes(ctx); err != nil || deferred {
				t.Fatalf("deferring with an alert stored: %v, %v; want not deferred", deferred, err)
			}
			if err := s.RestoreAlertIndexes(ctx); err != nil {
				t.Fatal(err)
			}
			if got := indexes(s); !slices.Equal(got, want) || listed(s) != 0 {
				t.Fatalf("indexes %v, %d listed; want %v, none listed", got, listed(s), want)
			}

			// Deferred and built again within one process, as a check does.
			if _, err := s.w.ExecContext(ctx, `DELETE FROM alerts`); err != nil {
				t.Fatal(err)
			}
			if deferred, err := s.DeferAlertIndexes(ctx); err != nil || !deferred {
				t.Fatalf("deferring on an emptied ledger: %v, %v; want deferred", deferred, err)
			}
			if err := s.RestoreAlertIndexes(ctx); err != nil {
				t.Fatal(err)
			}
			if got := indexes(s); !slices.Equal(got, want) || listed(s) != 0 {
				t.Fatalf("built again: indexes %v, %d listed; want %v, none listed", got, listed(s), want)
			}
		})
	}
}
