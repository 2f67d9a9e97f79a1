package workbook_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/mocks/dataset"
)

// BenchmarkImportRoster imports a 20 000-row 特种作业人员 sheet into a fresh SQLite ledger.
func BenchmarkImportRoster(b *testing.B) {
	const n = 20000
	body := make([][]any, n)
	for i := range body {
		body[i] = operatorRow(i+1, 1+i%200)
	}
	path := writeXLSX(b, filepath.Join(b.TempDir(), "roster.xlsx"), sheet{name: "特种作业人员", rows: rows(operatorHeaders, body...)})
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		s := newStore(b)
		seedEnterprises(b, s, 200) // the roster's enterprises
		c0 := cpuTime()
		b.StartTimer()
		rep, err := workbook.Import(context.Background(), s, path, opts())
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		if rep.Operators.Inserted != n {
			b.Fatalf("inserted %d of %d (%d rejected: %+v)", rep.Operators.Inserted, n, len(rep.Rejected), rep.Rejected[:min(3, len(rep.Rejected))])
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.N*n)/cpu.Seconds(), "rows/cpu-s")
}

// BenchmarkExportEnterprises exports 100 000 enterprises (and no roster) and reports the peak
// heap in use while it runs, sampled every 2 ms: the StreamWriter keeps memory bounded.
func BenchmarkExportEnterprises(b *testing.B) {
	n := benchExportSize()
	s := newStore(b)
	ctx := context.Background()
	batch := make([]ledger.EnterpriseInput, 0, 1000)
	for i := range n {
		e, ps := mapping.EnterpriseFromRow(headerMap(enterpriseHeaders, enterpriseRow(i+1)), nil)
		if ps.HasErrors() {
			b.Fatal(ps)
		}
		batch = append(batch, ledger.EnterpriseInput{Enterprise: e})
		if len(batch) == cap(batch) {
			if _, err := s.UpsertEnterprises(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	dir := b.TempDir()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		stop := watchHeap(&peak)
		err := workbook.Export(ctx, s, filepath.Join(dir, fmt.Sprintf("export-%d.xlsx", i)), opts())
		stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MB")
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
}

// watchHeap samples the heap in use every 2 ms into *peak until stop is called.
func watchHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// benchExportSize is 100 000, or STREETSYNC_EXPORT_N to see how the peak grows with the ledger.
func benchExportSize() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("STREETSYNC_EXPORT_N"), &n); err == nil && n > 0 {
		return n
	}
	return 100000
}

// cpuTime is the process's user+system CPU time: on a shared, loaded machine rows per CPU
// second says more than rows per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImportStreet imports the generated street's workbook (mocks/dataset: N enterprises,
// about 5.3 N roster rows; N = STREETSYNC_IMPORT_N, default 10 000) into a fresh SQLite ledger,
// and reports rows per second and the peak Go heap in use (sampled every 2 ms): the import
// streams, so the peak does not grow with N.
func BenchmarkImportStreet(b *testing.B) {
	n := 10000
	if _, err := fmt.Sscan(os.Getenv("STREETSYNC_IMPORT_N"), &n); err != nil || n <= 0 {
		n = 10000
	}
	ds, err := dataset.Generate(dataset.Params{Seed: 1, Enterprises: n})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "企业台账.xlsx")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := ds.WriteWorkbook(f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	rows := len(ds.Ledger) + len(ds.Roster)
	ds = nil
	runtime.GC()
	var peak uint64
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		s := newStore(b)
		runtime.GC()
		stop := watchHeap(&peak)
		b.StartTimer()
		c0 := cpuTime()
		rep, err := workbook.Import(context.Background(), s, path, opts())
		cpu += cpuTime() - c0
		b.StopTimer()
		stop()
		if err != nil {
			b.Fatal(err)
		}
		if got := rep.Enterprises.Inserted + rep.Operators.Inserted + rep.RejectedRows; got != rows {
			b.Fatalf("%d rows loaded or rejected of %d", got, rows)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.N*rows)/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
