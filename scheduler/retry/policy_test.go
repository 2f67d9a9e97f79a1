package retry

import (
	"testing"
	"time"
)

func TestBackoffDoublesFromBaseToMax(t *testing.T) {
	p := testPolicy() // 30s … 10m, jitter 0.2
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if got := p.Delay(i+1, 0, 0); got != w {
			t.Errorf("Delay(attempt %d, no jitter) = %s, want %s", i+1, got, w)
		}
	}
}

func TestBackoffJitterStaysWithinBounds(t *testing.T) {
	p := testPolicy()
	for attempt := 1; attempt <= 12; attempt++ {
		lo, hi := p.Delay(attempt, 0, 0), p.Delay(attempt, 0, 0.999)
		if hi < lo || hi > p.MaxDelay || lo < p.BaseDelay {
			t.Errorf("attempt %d: jitter range %s…%s, want within %s…%s", attempt, lo, hi, p.BaseDelay, p.MaxDelay)
		}
		if attempt == 1 && hi <= lo {
			t.Errorf("attempt 1: jitter range %s…%s is empty", lo, hi)
		}
	}
	if got, want := p.Delay(1, 0, 0.5), 33*time.Second; got != want {
		t.Errorf("Delay(1, jitter 0.5) = %s, want %s", got, want)
	}
}

func TestRetryAfterWinsOnlyWhenLonger(t *testing.T) {
	p := testPolicy()
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"longer Retry-After wins", 1, 5 * time.Minute, 5 * time.Minute},
		{"shorter Retry-After is ignored", 3, 10 * time.Second, 2 * time.Minute},
		{"Retry-After beyond MaxDelay still wins", 1, time.Hour, time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Delay(tc.attempt, tc.retryAfter, 0); got != tc.want {
				t.Errorf("Delay(%d, %s) = %s, want %s", tc.attempt, tc.retryAfter, got, tc.want)
			}
		})
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if err := p.validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	if p.MaxAttempts != 12 || p.BaseDelay != 30*time.Second || p.MaxDelay != 6*time.Hour ||
		p.DeadRetention != 30*24*time.Hour || p.UnknownAttempts != 3 {
		t.Errorf("DefaultPolicy() = %+v, want maxAttempts 12, 30s…6h, retention 720h, unknown 3", p)
	}
}

func TestNewRejectsBadPolicy(t *testing.T) {
	p := testPolicy()
	p.MaxDelay = time.Second // below BaseDelay
	p.MaxAttempts = 0
	if err := p.validate(); err == nil {
		t.Fatal("validate accepted maxDelay < baseDelay and maxAttempts 0")
	}
}
