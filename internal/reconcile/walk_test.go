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

// eachLedger runs f on an empty ledger of each kind.
func eachLedger(t *testing.T, f func(t *testing.T, ctx context.Context, store ledger.Store)) {
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
			f(t, ctx, store)
		})
	}
}

// gapScenario lays the comparison's cases over 3 batches and a bit of records made by rec: the
// ledger holds all but 5 (only on the platform); the platform sends all but 7 (only in the
// ledger) in the reverse of key order, each through adjust (where 11 is made to differ: the
// caller then sends 11 again fixed, and 13 changed, as the latest copies).
func gapScenario[T any](rec func(int) T, adjust func(k int, v *T)) (held, sent []T) {
	const n = 3*compareBatch + 17
	for i := range n {
		if i != 5 {
			held = append(held, rec(i))
		}
	}
	for k := n - 1; k >= 0; k-- {
		if k != 7 {
			v := rec(k)
			adjust(k, &v)
			sent = append(sent, v)
		}
	}
	return held, sent
}

// runListed reconciles scope of store against the listed platform, keeping what Apply needs.
func runListed(t *testing.T, ctx context.Context, store ledger.Store, p listedPlatform, scope Scope) (*Reconciler, *Report, *Snapshot) {
	t.Helper()
	r, err := New(store, p, mapping.DefaultCatalog(), rulesForBench, mapping.Beijing(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	rep, snap, err := r.Run(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	return r, rep, snap
}

// wantKeys checks that a report's list holds exactly these keys, in this order.
func wantKeys[T any](t *testing.T, what string, list []T, key func(T) string, want ...string) {
	t.Helper()
	if got := usccs(list, key); !slices.Equal(got, want) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

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
	eachLedger(t, func(t *testing.T, ctx context.Context, store ledger.Store) {
		held, sent := gapScenario(benchEnterprise, func(k int, e *mapping.Enterprise) {
			if k == 11 {
				e.LegalRep = "王五"
			}
		})
		var in []ledger.EnterpriseInput
		for _, e := range held {
			in = append(in, ledger.EnterpriseInput{Enterprise: e})
		}
		if _, err := store.UpsertEnterprises(ctx, in); err != nil {
			t.Fatal(err)
		}
		fixed, drifted := benchEnterprise(11), benchEnterprise(13)
		drifted.Principal = "赵六"
		sent = append(sent, fixed, drifted) // the latest copies, in the last batch

		_, rep, snap := runListed(t, ctx, store, listedPlatform{records: sent}, ScopeEnterprises)
		er := rep.Enterprises
		wantKeys(t, "different (11 was fixed while paging)", er.Different, func(d Difference) string { return d.USCC }, benchEnterprise(13).USCC)
		if len(er.Different) == 1 && (len(er.Different[0].Fields) != 1 || er.Different[0].Fields[0].Field != "principal") {
			t.Errorf("fields %+v, want principal only", er.Different[0].Fields)
		}
		wantKeys(t, "only on the platform", er.OnlyOnPlatform, func(p PlatformOnly) string { return p.USCC }, benchEnterprise(5).USCC)
		wantKeys(t, "only in the ledger", er.OnlyInLedger, func(l LedgerOnly) string { return l.USCC }, benchEnterprise(7).USCC)
		if got, want := sortedKeys(snap.platform), sorted([]string{benchEnterprise(13).USCC, benchEnterprise(5).USCC}); !slices.Equal(got, want) {
			t.Errorf("snapshot keeps %v, want the differing and the platform-only record", got)
		}
		if p := snap.platform[benchEnterprise(13).USCC]; p == nil || p.Principal != "赵六" {
			t.Errorf("snapshot of 13 = %+v, want the latest copy", p)
		}
	})
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
	eachLedger(t, func(t *testing.T, ctx context.Context, store ledger.Store) {
		held, sent := gapScenario(benchHazard, func(k int, h *mapping.Hazard) {
			h.ID = fmt.Sprintf("YH%04d", k)
			switch k {
			case 9: // pushed: the platform's copy carries only its yhid
				h.StreetID = ""
			case 11:
				h.Location = "三号车间"
			}
		})
		var in []ledger.HazardInput
		for _, h := range held {
			in = append(in, ledger.HazardInput{Hazard: h})
		}
		if _, err := store.RecordStreetHazards(ctx, in, false); err != nil {
			t.Fatal(err)
		}
		// 9 was pushed: the platform's copy carries only its yhid.
		if err := store.MarkHazardCreated(ctx, benchHazard(9).StreetID, "YH0009", benchHazard(9), time.Now()); err != nil {
			t.Fatal(err)
		}
		fixed, drifted := benchHazard(11), benchHazard(13)
		fixed.ID, drifted.ID = "YH0011", "YH0013"
		drifted.Location = "仓库"
		self := mapping.Hazard{ID: "YH9999", USCC: benchEnterprise(1).USCC, Source: mapping.SourceEnterprise, Level: mapping.HazardGeneral,
			Description: "配电箱未上锁", FoundOn: mapping.MustDate("2026-02-11"), Deadline: mapping.MustDate("2026-02-20"), Status: mapping.HazardPending}
		sent = append(sent, fixed, drifted, self) // the latest copies, in the last batch

		r, rep, snap := runListed(t, ctx, store, listedPlatform{hazards: sent}, ScopeHazards)
		hr := rep.Hazards
		id := func(i int) string { return benchHazard(i).StreetID }
		hazardID := func(h HazardOnly) string { return h.ID }
		wantKeys(t, "different (11 was fixed while paging, 9 matched by its yhid)", hr.Different, func(d HazardDifference) string { return d.ID }, id(13))
		if len(hr.Different) == 1 && (len(hr.Different[0].Fields) != 1 || hr.Different[0].Fields[0].Field != "location" ||
			hr.Different[0].Fields[0].Platform != "仓库" || hr.Different[0].Yhid != "YH0013") {
			t.Errorf("difference %+v, want location only, the latest copy's", hr.Different[0])
		}
		wantKeys(t, "only on the platform (the street's not pulled, the enterprise's own report)", hr.OnlyOnPlatform, hazardID, id(5), "YH9999")
		wantKeys(t, "only in the ledger", hr.OnlyInLedger, hazardID, id(7))
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
