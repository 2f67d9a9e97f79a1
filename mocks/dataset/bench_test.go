package dataset

import (
	"io"
	"runtime"
	"testing"
)

// BenchmarkGenerate10k generates 10 000 enterprises with about 50 000 roster entries.
func BenchmarkGenerate10k(b *testing.B) {
	for b.Loop() {
		generate(b, Params{Seed: 1, Enterprises: 10000})
	}
}

// BenchmarkWorkbook10k writes the workbook of 10 000 enterprises.
func BenchmarkWorkbook10k(b *testing.B) {
	ds := generate(b, Params{Seed: 1, Enterprises: 10000})
	for b.Loop() {
		if err := ds.WriteWorkbook(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerate100k is the full-sync benchmark's size: 100 000 enterprises, about 500 000
// roster entries; it reports the live heap the dataset holds.
func BenchmarkGenerate100k(b *testing.B) {
	var ds *Dataset
	for b.Loop() {
		ds = generate(b, Params{Seed: 1, Enterprises: 100000, NoisePeople: 20000})
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-live")
	b.ReportMetric(float64(len(ds.Roster)), "roster")
	b.ReportMetric(float64(len(ds.Certificates)), "certs")
	runtime.KeepAlive(ds)
}
