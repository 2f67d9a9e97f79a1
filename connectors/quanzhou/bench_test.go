package quanzhou_test

import (
	"context"
	"errors"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/connectors/quanzhou"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
)

// bigDataset is generated once per test binary: ~100 000 platform records take seconds to make.
var bigDataset = sync.OnceValues(func() (*dataset.Dataset, error) {
	return dataset.Generate(dataset.Params{Seed: 5, Enterprises: 103_000, OperatorsPerEnterprise: 0.01, NoisePeople: -1})
})

// BenchmarkListEnterprises walks ~100 000 records from the mock over loopback with the rate limit
// lifted, decoding and converting every record to the canonical model (mapping.EnterpriseFromQZ).
// records/s is wall clock; records/cpu-s divides by the CPU time of the whole test process (the
// client and the mock platform serving it), which a busy machine does not distort.
func BenchmarkListEnterprises(b *testing.B) {
	ds, err := bigDataset()
	if err != nil {
		b.Fatal(err)
	}
	s, ep := startServer(b, mocks.Options{Dataset: ds, Unlimited: true, DiscardPushes: true})
	c := newClient(b, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithPageSize(500))
	want := len(s.Quanzhou.Enterprises())
	b.ReportAllocs()
	b.ResetTimer()
	records, requests := 0, 0
	cpu0 := processCPU()
	for b.Loop() {
		seq, prog := c.Enterprises(context.Background(), quanzhou.Mark{})
		n := 0
		for e, err := range seq {
			if err != nil {
				b.Fatal(err)
			}
			if e.Enterprise.USCC == "" {
				b.Fatal("empty record")
			}
			n++
		}
		if n != want {
			b.Fatalf("%d records, platform holds %d", n, want)
		}
		records += n
		requests += prog.Requests
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		// Client and mock platform together, so it does not depend on what else the machine runs.
		b.ReportMetric(float64(records)/cpu.Seconds(), "records/cpu-s")
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/walk")
}

// TestRateLimitUtilization runs the client at the platform's limit (20/s, bursts of 40; the client
// is configured 20/s with bursts of 20) with several concurrent callers, and reports the sustained
// rate achieved ÷ allowed, which must be ≥ 0.95 with no 429. 5 s by default; STREETSYNC_LONG=1
// runs 30 s.
func TestRateLimitUtilization(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on the wall clock")
	}
	d := 5 * time.Second
	if os.Getenv("STREETSYNC_LONG") == "1" {
		d = 30 * time.Second
	}
	s, ep := startServer(t, mocks.Options{Seed: 21, Enterprises: 50})
	obs := &countingObserver{}
	c := newClient(t, ep, quanzhou.WithObserver(obs)) // rateLimit 20, burst 20, as config.Default
	uscc := s.Dataset.Platform[0].USCC
	const rate, burst = 20.0, 20

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done atomic.Int64
	var mu sync.Mutex
	var stamps []time.Time
	var wg sync.WaitGroup
	start := time.Now()
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := c.GetEnterprise(ctx, uscc); err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Error(err)
					}
					return
				}
				done.Add(1)
				mu.Lock()
				stamps = append(stamps, time.Now())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	limited := 0
	for k, n := range s.Quanzhou.Requests() {
		if k.Status == 429 {
			limited += n
		}
	}
	if limited != 0 || obs.limited.Load() != 0 {
		t.Errorf("%d requests answered 429", limited)
	}
	// Sustained rate: from the end of the client's burst to the last request.
	total := int(done.Load()) + 1 // + the token request, which the limit counts too
	sustained := float64(len(stamps)-burst) / stamps[len(stamps)-1].Sub(stamps[burst-1]).Seconds()
	ratio := sustained / rate
	whole := float64(total) / (40 + rate*elapsed.Seconds())
	waited, waits := c.Limiter().Waited()
	t.Logf("%v: %d requests, sustained %.2f/s of %.0f/s allowed = %.3f; whole run %.3f of the platform's burst+rate; limiter waits %d, %v in all",
		elapsed.Round(time.Millisecond), total, sustained, rate, ratio, whole, waits, waited.Round(time.Millisecond))
	if ratio < 0.95 || math.IsNaN(ratio) {
		t.Errorf("utilization %.3f, want ≥ 0.95", ratio)
	}
}

type countingObserver struct {
	httpx.NopObserver
	limited atomic.Int64
}

func (o *countingObserver) ObserveRequest(i httpx.RequestInfo) {
	if i.Status == 429 {
		o.limited.Add(1)
	}
}
