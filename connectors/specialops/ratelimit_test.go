package specialops_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"streetsync/mocks"
)

// TestRateLimitUtilization runs concurrent callers at the system's limit (10/s, bursts of 10;
// the client 10/s with bursts of 5, as config.Default) and reports the sustained rate ÷ allowed
// (≥ 0.95) with no 429. 3 s by default; STREETSYNC_LONG=1 runs 30 s.
func TestRateLimitUtilization(t *testing.T) {
	d := 3 * time.Second
	if os.Getenv("STREETSYNC_LONG") == "1" {
		d = 30 * time.Second
	}
	s, ep := startServer(t, mocks.Options{Seed: 41, Enterprises: 20})
	c := newClient(t, ep)
	id := s.Dataset.Roster[0].IDNumber
	const rate, burst = 10.0, 5
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var stamps []time.Time
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.QueryCertificates(ctx, []string{id}); err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				stamps = append(stamps, time.Now())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	limited := 0
	for k, n := range s.SpecialOps.Requests() {
		if k.Status == 429 {
			limited += n
		}
	}
	if limited != 0 {
		t.Errorf("%d requests answered 429", limited)
	}
	sustained := float64(len(stamps)-burst) / stamps[len(stamps)-1].Sub(stamps[burst-1]).Seconds()
	waited, waits := c.Limiter().Waited()
	t.Logf("%v: %d requests, sustained %.2f/s of %.0f/s allowed = %.3f; limiter waits %d, %v in all",
		d, len(stamps)+1, sustained, rate, sustained/rate, waits, waited.Round(time.Millisecond))
	if sustained/rate < 0.95 {
		t.Errorf("utilization %.3f, want ≥ 0.95", sustained/rate)
	}
}
