package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// BenchmarkReconcileEnterprises compares a ledger of N enterprises (STREETSYNC_BENCH_N, default
// 100 000) with the platform's N records, excluding the fetch: 1 % differ in a street-owned
// field, 1 % only in the ledger, 1 % only on the platform.
//
//	go test -run '^$' -bench BenchmarkReconcileEnterprises -benchtime 3x ./internal/reconcile
func BenchmarkReconcileEnterprises(b *testing.B) {
	n := 100_000
	if s := os.Getenv("STREETSYNC_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	store, err := ledger.Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(b.TempDir(), "l.db"))})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	platform := make(map[string]*mapping.Enterprise, n)
	batch := make([]ledger.EnterpriseInput, 0, 1000)
	for i := 0; i < n; i++ {
		e := mapping.Enterprise{USCC: fmt.Sprintf("91350582%010d", i), Name: fmt.Sprintf("晋江市灵源第%d鞋业有限公司", i),
			LegalRep: "张三", Principal: "李四", PrincipalPhone: "13905951234", Address: "晋江市灵源街道林口社区", RegionCode: "350582006",
			Community: "林口社区", Industry: "QG", KeyRisks: []mapping.KeyRisk{"FCSB"}, Employees: 120, Status: "1"}
		if i%100 != 1 {
			batch = append(batch, ledger.EnterpriseInput{Enterprise: e})
		}
		if i%100 != 2 {
			p := e
			if i%100 == 3 {
				p.LegalRep = "王五"
			}
			platform[p.USCC] = &p
		}
		if len(batch) == cap(batch) {
			if _, err := store.UpsertEnterprises(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := store.UpsertEnterprises(ctx, batch); err != nil {
		b.Fatal(err)
	}
	r, err := New(store, nopPlatform{}, mapping.DefaultCatalog(), rulesForBench, mapping.Beijing(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := r.CompareEnterprises(ctx, platform)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Different) != n/100 || len(rep.OnlyInLedger) != n/100 || len(rep.OnlyOnPlatform) != n/100 {
			b.Fatalf("got %d different, %d ledger-only, %d platform-only", len(rep.Different), len(rep.OnlyInLedger), len(rep.OnlyOnPlatform))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "enterprises/s")
}

var rulesForBench = rules.Config{ExpiringWithinDays: 60}

// nopPlatform is never called: the benchmark measures the comparison, not the fetch.
type nopPlatform struct{}

func (nopPlatform) Enterprises(context.Context, time.Time) (iter.Seq2[quanzhou.PulledEnterprise, error], *quanzhou.Progress) {
	return func(yield func(quanzhou.PulledEnterprise, error) bool) {
		yield(quanzhou.PulledEnterprise{}, errors.New("the benchmark does not fetch"))
	}, &quanzhou.Progress{}
}

func (nopPlatform) GetEnterprise(context.Context, string) (mapping.QZEnterprise, error) {
	return mapping.QZEnterprise{}, errors.New("the benchmark does not fetch")
}
