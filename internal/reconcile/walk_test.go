package reconcile

import (
	"context"
	"iter"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

// listedPlatform pages through a fixed list of records, in the list's order: the order in which
// the platform sends what it holds, a moved record appearing twice.
type listedPlatform struct{ records []mapping.Enterprise }

func (l listedPlatform) Enterprises(context.Context, quanzhou.Mark) (iter.Seq2[quanzhou.PulledEnterprise, error], *quanzhou.Progress) {
	return func(yield func(quanzhou.PulledEnterprise, error) bool) {
		for _, e := range l.records {
			if !yield(quanzhou.PulledEnterprise{Enterprise: e}, nil) {
				return
			}
		}
	}, &quanzhou.Progress{}
}

func (listedPlatform) GetEnterprise(context.Context, string) (mapping.QZEnterprise, error) {
	return mapping.QZEnterprise{}, quanzhou.ErrNotFound
}

// The comparison goes through the platform batch by batch: a record the platform sends twice (it
// was updated while being paged) is judged by its latest copy even when the two copies fall in
// different batches, every gap is found once, and the lists are in USCC order whatever order the
// platform sent. Apply's snapshot keeps only the records it acts on.
func TestComparisonAcrossBatchesJudgesTheLatestCopy(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "ledger.db")
			if driver == "postgres" {
				dsn = testutil.Postgres(t)
			}
			store, err := ledger.Open(ctx, config.Ledger{Driver: driver, DSN: config.Secret(dsn)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			const n = 3*compareBatch + 17
			var in []ledger.EnterpriseInput
			for i := range n {
				if i != 5 { // 5: only on the platform
					in = append(in, ledger.EnterpriseInput{Enterprise: benchEnterprise(i)})
				}
			}
			if _, err := store.UpsertEnterprises(ctx, in); err != nil {
				t.Fatal(err)
			}
			var sent []mapping.Enterprise
			for k := n - 1; k >= 0; k-- { // the reverse of key order
				if k == 7 { // 7: only in the ledger
					continue
				}
				e := benchEnterprise(k)
				if k == 11 { // 11 differs, then is fixed; 13 agrees, then differs
					e.LegalRep = "王五"
				}
				sent = append(sent, e)
			}
			fixed, drifted := benchEnterprise(11), benchEnterprise(13)
			drifted.Principal = "赵六"
			sent = append(sent, fixed, drifted) // the latest copies, in the last batch

			r, err := New(store, listedPlatform{records: sent}, mapping.DefaultCatalog(), rulesForBench, mapping.Beijing(), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			rep, snap, err := r.Run(ctx, ScopeEnterprises)
			if err != nil {
				t.Fatal(err)
			}
			er := rep.Enterprises
			if got := usccs(er.Different, func(d Difference) string { return d.USCC }); !slices.Equal(got, []string{benchEnterprise(13).USCC}) {
				t.Errorf("different %v, want only %s (11 was fixed while paging)", got, benchEnterprise(13).USCC)
			}
			if len(er.Different) == 1 && (len(er.Different[0].Fields) != 1 || er.Different[0].Fields[0].Field != "principal") {
				t.Errorf("fields %+v, want principal only", er.Different[0].Fields)
			}
			if got := usccs(er.OnlyOnPlatform, func(p PlatformOnly) string { return p.USCC }); !slices.Equal(got, []string{benchEnterprise(5).USCC}) {
				t.Errorf("only on the platform %v, want %s", got, benchEnterprise(5).USCC)
			}
			if got := usccs(er.OnlyInLedger, func(l LedgerOnly) string { return l.USCC }); !slices.Equal(got, []string{benchEnterprise(7).USCC}) {
				t.Errorf("only in the ledger %v, want %s", got, benchEnterprise(7).USCC)
			}
			if got, want := sortedKeys(snap.platform), sorted([]string{benchEnterprise(13).USCC, benchEnterprise(5).USCC}); !slices.Equal(got, want) {
				t.Errorf("snapshot keeps %v, want the differing and the platform-only record", got)
			}
			if p := snap.platform[benchEnterprise(13).USCC]; p == nil || p.Principal != "赵六" {
				t.Errorf("snapshot of 13 = %+v, want the latest copy", p)
			}
		})
	}
}
