package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// BenchmarkRecordPlatformHazards records a pull's batch of 500 platform hazards — new ones
// (insert) and the same ones read again (unchanged: a read per hazard, no write) — into SQLite
// and (when available) PostgreSQL; hazards/s is the figure. A street holds hundreds to a few
// thousand hazards: a full pull is a handful of batches.
func BenchmarkRecordPlatformHazards(b *testing.B) {
	for _, bk := range backends {
		for _, mode := range []string{"insert", "unchanged"} {
			b.Run(bk.name+"/"+mode, func(b *testing.B) {
				const batch = 500
				s := open(b, bk.cfg(b), newClock())
				ctx := context.Background()
				build := func(from int) []mapping.Hazard {
					out := make([]mapping.Hazard, batch)
					for i := range out {
						h := streetHazard(from+i, fmt.Sprintf("LY-B-%06d", from+i))
						h.ID = fmt.Sprintf("YH%013d", from+i)
						h.UpdatedAt = time.Date(2026, 2, 12, 10, 0, 0, 0, mapping.Beijing())
						out[i] = h
					}
					return out
				}
				fixed := build(0)
				if mode == "unchanged" {
					if _, err := s.RecordPlatformHazards(ctx, fixed, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					in := fixed
					if mode == "insert" {
						in = build((i + 1) * batch)
					}
					if _, err := s.RecordPlatformHazards(ctx, in, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "hazards/s")
			})
		}
	}
}

// BenchmarkHazardFigures computes the dynamic-clearing figures over 5 000 major hazards.
func BenchmarkHazardFigures(b *testing.B) {
	s := open(b, backends[0].cfg(b), newClock())
	ctx := context.Background()
	var in []ledger.HazardInput
	for i := 0; i < 5000; i++ {
		h := streetHazard(i%300, fmt.Sprintf("LY-F-%06d", i))
		h.FoundOn = mapping.Date{Year: 2025, Month: time.Month(1 + i%12), Day: 1 + i%28}
		h.Deadline = h.FoundOn.AddDays(30)
		in = append(in, ledger.HazardInput{Hazard: h})
	}
	if _, err := s.RecordStreetHazards(ctx, in, false); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.HazardFigures(ctx, mapping.Date{Year: 2026, Month: 3, Day: 2}); err != nil {
			b.Fatal(err)
		}
	}
}
