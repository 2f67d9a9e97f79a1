package mocks

import (
	"runtime"
	"testing"
	"time"

	"streetsync/mocks/dataset"
)

// BenchmarkNewServer100k builds the full-sync benchmark's world — 100 000 enterprises, about
// 500 000 roster entries and their certificates — and reports the live heap of the Server
// (dataset plus both platforms' stores).
func BenchmarkNewServer100k(b *testing.B) {
	now := func() time.Time { return dataset.Date(2026, 1, 15).Time(9 * 3600) }
	var s *Server
	for b.Loop() {
		var err error
		if s, err = NewServer(Options{Seed: 1, Enterprises: 100000, Now: now, Unlimited: true, DiscardPushes: true}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-live")
	b.ReportMetric(float64(len(s.Dataset.Roster)), "roster")
	b.ReportMetric(float64(len(s.Dataset.Certificates)), "certs")
	runtime.KeepAlive(s)
}
