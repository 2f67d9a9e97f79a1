package reconcile

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mocks"
)

// benchN is STREETSYNC_BENCH_N, or def.
func benchN(def int) int {
	if n, err := strconv.Atoi(os.Getenv("STREETSYNC_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkReconcileEnterprises compares a ledger of N enterprises (STREETSYNC_BENCH_N, default
// 100 000) with a platform of N records made as they are read (no HTTP: the comparison alone):
// 1 % differ in a street-owned field, 1 % only in the ledger, 1 % only on the platform. It
// reports the peak Go heap, which stays flat as N grows: neither side is held whole.
//
//	go test -run '^$' -bench BenchmarkReconcileEnterprises -benchtime 3x ./internal/reconcile
func BenchmarkReconcileEnterprises(b *testing.B) {
	n := benchN(100_000)
	ctx := context.Background()
	store, err := ledger.Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(b.TempDir(), "l.db"))})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	batch := make([]ledger.EnterpriseInput, 0, 1000)
	for i := 0; i < n; i++ {
		if i%100 == 1 {
			continue // only on the platform
		}
		if batch = append(batch, ledger.EnterpriseInput{Enterprise: benchEnterprise(i)}); len(batch) == cap(batch) {
			if _, err := store.UpsertEnterprises(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := store.UpsertEnterprises(ctx, batch); err != nil {
		b.Fatal(err)
	}
	r, err := New(store, generatedPlatform{n: n}, mapping.DefaultCatalog(), rulesForBench, mapping.Beijing(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	heap := watchHeap()
	b.ResetTimer()
	for b.Loop() {
		rep, _, _, err := r.CompareEnterprises(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Different) != n/100 || len(rep.OnlyInLedger) != n/100 || len(rep.OnlyOnPlatform) != n/100 {
			b.Fatalf("got %d different, %d ledger-only, %d platform-only", len(rep.Different), len(rep.OnlyInLedger), len(rep.OnlyOnPlatform))
		}
	}
	b.StopTimer()
	inUse, live := heap.MiB()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "enterprises/s")
	b.ReportMetric(inUse, "peak-heap-MiB")
	b.ReportMetric(live, "peak-live-heap-MiB")
}

func benchEnterprise(i int) mapping.Enterprise {
	return mapping.Enterprise{USCC: fmt.Sprintf("91350582%010d", i), Name: fmt.Sprintf("晋江市灵源第%d鞋业有限公司", i),
		LegalRep: "张三", Principal: "李四", PrincipalPhone: "13905951234", Address: "晋江市灵源街道林口社区", RegionCode: "350582006",
		Community: "林口社区", Industry: "QG", KeyRisks: []mapping.KeyRisk{"FCSB"}, Employees: 120, Status: "1"}
}

// BenchmarkReconcileAll runs `reconcile all` — the platform walk through the Quanzhou mock over
// HTTP, the ledger, the roster with its certificates — on the generated street of N enterprises
// (STREETSYNC_BENCH_N, default 10 000; about 5.3 N roster entries) in a SQLite ledger, and
// reports CPU seconds per run and the peak live Go heap above the live heap before the run (the
// mock platforms live in the same process: their data is the base, and the heap in use would
// mostly show the collector's headroom over it).
//
//	STREETSYNC_BENCH_N=100000 go test -run '^$' -bench BenchmarkReconcileAll -benchtime 2x -timeout 30m ./internal/reconcile
func BenchmarkReconcileAll(b *testing.B) {
	n := benchN(10_000)
	ctx := context.Background()
	clk := &offsetClock{base: refTime, start: time.Now()}
	srv, err := mocks.NewServer(mocks.Options{Seed: 11, Enterprises: n, Now: clk.Now, Unlimited: true, DiscardPushes: true})
	if err != nil {
		b.Fatal(err)
	}
	ts, ep := srv.StartTest()
	defer func() { srv.Close(); ts.Close() }()
	client, err := quanzhou.New(quanzhou.Config{BaseURL: ep.QuanzhouBaseURL, AppKey: ep.AppKey, AppSecret: ep.AppSecret,
		RateLimit: 100000, Burst: 1000, Timeout: time.Minute}, ep.Region, zap.NewNop(), quanzhou.WithClock(clk))
	if err != nil {
		b.Fatal(err)
	}
	store, err := ledger.Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(b.TempDir(), "l.db"))}, ledger.WithClock(clk.Now))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	loadLedger(b, store, srv.Dataset)
	r, err := New(store, client, mapping.DefaultCatalog(), rules.Config{ExpiringWithinDays: 60}, mapping.Beijing(), clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	gaps := len(srv.Dataset.Gaps.OnlyInLedger)
	roster := len(srv.Dataset.Roster)
	runtime.GC()
	base := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(base)
	heap := watchHeap()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		rep, err := r.Compare(ctx, ScopeAll)
		if err != nil {
			b.Fatal(err)
		}
		if got := len(rep.Enterprises.OnlyInLedger); got != gaps {
			b.Fatalf("got %d enterprises only in the ledger, want %d", got, gaps)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "enterprises")
	b.ReportMetric(float64(roster), "roster")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	_, live := heap.MiB()
	baseMiB := float64(base[0].Value.Uint64()) / (1 << 20)
	b.ReportMetric(live-baseMiB, "peak-live-heap-over-base-MiB")
	b.ReportMetric(baseMiB, "base-live-heap-MiB")
}

var rulesForBench = rules.Config{ExpiringWithinDays: 60}

// generatedPlatform yields n enterprises made as they are read, in a shuffled order (the
// platform pages in update order, not by USCC): every hundredth one (i%100 == 2) is missing and
// every i%100 == 3 has another legal representative.
type generatedPlatform struct{ n int }

func (g generatedPlatform) Enterprises(context.Context, quanzhou.Mark) (iter.Seq2[quanzhou.PulledEnterprise, error], *quanzhou.Progress) {
	return func(yield func(quanzhou.PulledEnterprise, error) bool) {
		for k := 0; k < g.n; k++ {
			i := (k * 7919) % g.n // 7919 is prime: a permutation unless it divides n
			if g.n%7919 == 0 {
				i = k
			}
			if i%100 == 2 {
				continue
			}
			e := benchEnterprise(i)
			if i%100 == 3 {
				e.LegalRep = "王五"
			}
			if !yield(quanzhou.PulledEnterprise{Enterprise: e}, nil) {
				return
			}
		}
	}, &quanzhou.Progress{}
}

func (generatedPlatform) GetEnterprise(context.Context, string) (mapping.QZEnterprise, error) {
	return mapping.QZEnterprise{}, fmt.Errorf("the benchmark reads one enterprise: %w", quanzhou.ErrNotFound)
}

// heapWatch samples the Go heap every 2 ms and keeps its peaks — in use (garbage not yet
// collected included), and live as the last collection marked it — until MiB stops it.
type heapWatch struct {
	done       chan struct{}
	wg         sync.WaitGroup
	peak, live uint64
}

func watchHeap() *heapWatch {
	h := &heapWatch{done: make(chan struct{})}
	h.wg.Go(func() {
		var m runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			metrics.Read(live)
			h.peak = max(h.peak, m.HeapInuse)
			h.live = max(h.live, live[0].Value.Uint64())
			select {
			case <-h.done:
				return
			case <-t.C:
			}
		}
	})
	return h
}

// MiB stops the sampling and returns the peaks in use and live.
func (h *heapWatch) MiB() (inUse, live float64) {
	close(h.done)
	h.wg.Wait()
	return float64(h.peak) / (1 << 20), float64(h.live) / (1 << 20)
}

// cpuTime is the process's user+system CPU time: on a shared machine it says more than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
