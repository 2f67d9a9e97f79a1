package reconcile

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"reflect"
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
type listedPlatform struct {
	records []mapping.Enterprise
	hazards []mapping.Hazard
}

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

// Hazards sends the platform's hazards in the list's order.
func (l listedPlatform) Hazards(context.Context, quanzhou.Mark, *mapping.Clauses) (iter.Seq2[quanzhou.PulledHazard, error], *quanzhou.Progress) {
	return func(yield func(quanzhou.PulledHazard, error) bool) {
		for _, h := range l.hazards {
			if !yield(quanzhou.PulledHazard{Hazard: h}, nil) {
				return
			}
		}
	}, &quanzhou.Progress{}
}

func benchHazard(i int) mapping.Hazard {
	return mapping.Hazard{StreetID: fmt.Sprintf("LY-2026-%05d", i), USCC: benchEnterprise(i).USCC, RegionCode: "350582006",
		Source: mapping.SourceStreet, Level: mapping.HazardGeneral, Description: "消防通道堆放杂物", Location: "二号车间",
		FoundOn: mapping.MustDate("2026-02-10"), FoundBy: "林芳", Deadline: mapping.MustDate("2026-02-17"), Responsible: "陈志强",
		Status: mapping.HazardPending}
}

// Hazards are compared like enterprises, a batch of the platform's records at a time looked up in
// the ledger by key: a hazard the platform sends twice is judged by its latest copy across
// batches, a platform copy without the street's number is matched by its yhid, each gap is found
// once, and Compare gives the report Run gives, keeping nothing for Apply.
func TestHazardComparisonAcrossBatchesJudgesTheLatestCopy(t *testing.T) {
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
			var in []ledger.HazardInput
			for i := range n {
				if i != 5 { // 5: only on the platform
					in = append(in, ledger.HazardInput{Hazard: benchHazard(i)})
				}
			}
			if _, err := store.RecordStreetHazards(ctx, in, false); err != nil {
				t.Fatal(err)
			}
			// 9 was pushed: the platform's copy carries only its yhid.
			if err := store.MarkHazardCreated(ctx, benchHazard(9).StreetID, "YH0009", benchHazard(9), time.Now()); err != nil {
				t.Fatal(err)
			}
			var sent []mapping.Hazard
			for k := n - 1; k >= 0; k-- { // the reverse of key order
				if k == 7 { // 7: only in the ledger
					continue
				}
				h := benchHazard(k)
				h.ID = fmt.Sprintf("YH%04d", k)
				switch k {
				case 9:
					h.StreetID = ""
				case 11: // 11 differs, then is fixed; 13 agrees, then differs
					h.Location = "三号车间"
				}
				sent = append(sent, h)
			}
			fixed, drifted := benchHazard(11), benchHazard(13)
			fixed.ID, drifted.ID = "YH0011", "YH0013"
			drifted.Location = "仓库"
			self := mapping.Hazard{ID: "YH9999", USCC: benchEnterprise(1).USCC, Source: mapping.SourceEnterprise, Level: mapping.HazardGeneral,
				Description: "配电箱未上锁", FoundOn: mapping.MustDate("2026-02-11"), Deadline: mapping.MustDate("2026-02-20"), Status: mapping.HazardPending}
			sent = append(sent, fixed, drifted, self) // the latest copies, in the last batch

			r, err := New(store, listedPlatform{hazards: sent}, mapping.DefaultCatalog(), rulesForBench, mapping.Beijing(), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			rep, snap, err := r.Run(ctx, ScopeHazards)
			if err != nil {
				t.Fatal(err)
			}
			hr := rep.Hazards
			id := func(i int) string { return benchHazard(i).StreetID }
			if got := usccs(hr.Different, func(d HazardDifference) string { return d.ID }); !slices.Equal(got, []string{id(13)}) {
				t.Errorf("different %v, want only %s (11 was fixed while paging, 9 matched by its yhid)", got, id(13))
			}
			if len(hr.Different) == 1 && (len(hr.Different[0].Fields) != 1 || hr.Different[0].Fields[0].Field != "location" ||
				hr.Different[0].Fields[0].Platform != "仓库" || hr.Different[0].Yhid != "YH0013") {
				t.Errorf("difference %+v, want location only, the latest copy's", hr.Different[0])
			}
			if got := usccs(hr.OnlyOnPlatform, func(h HazardOnly) string { return h.ID }); !slices.Equal(got, []string{id(5), "YH9999"}) {
				t.Errorf("only on the platform %v, want %s and the enterprise's own report", got, id(5))
			}
			if got := usccs(hr.OnlyInLedger, func(h HazardOnly) string { return h.ID }); !slices.Equal(got, []string{id(7)}) {
				t.Errorf("only in the ledger %v, want %s", got, id(7))
			}
			if got, want := sortedKeys(snap.hazards.platform), sorted([]string{id(13), id(5), "YH9999"}); !slices.Equal(got, want) {
				t.Errorf("snapshot keeps %v, want the differing and the platform-only hazards", got)
			}
			if p := snap.hazards.platform[id(13)]; p == nil || p.Location != "仓库" {
				t.Errorf("snapshot of 13 = %+v, want the latest copy", p)
			}

			compared, err := r.Compare(ctx, ScopeHazards)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(compared, rep) {
				t.Errorf("Compare's report differs from Run's:\n%+v\n%+v", compared.Hazards, rep.Hazards)
			}
		})
	}
}
