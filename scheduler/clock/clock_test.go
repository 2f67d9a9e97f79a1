package clock

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

func TestFakeTimerFiresOnlyWhenItsTimeIsReached(t *testing.T) {
	f := NewFake(t0)
	tm := f.TimerAt(t0.Add(10 * time.Second))
	f.Advance(9 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("timer fired 1s early")
	default:
	}
	f.Advance(time.Second)
	select {
	case got := <-tm.C():
		if !got.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("fired with %v, want %v", got, t0.Add(10*time.Second))
		}
	default:
		t.Fatal("timer did not fire at its deadline")
	}
	if n := f.Timers(); n != 0 {
		t.Fatalf("armed timers after firing = %d, want 0", n)
	}
}

func TestFakeTimerInThePastFiresAtOnce(t *testing.T) {
	f := NewFake(t0)
	select {
	case <-f.TimerAt(t0.Add(-time.Second)).C():
	default:
		t.Fatal("timer for a past instant did not fire at once")
	}
}

func TestFakeStoppedTimerNeverFires(t *testing.T) {
	f := NewFake(t0)
	tm := f.TimerAt(t0.Add(time.Second))
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer = false, want true")
	}
	f.Advance(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
}

func TestSleepUntilWakesWhenFakeClockAdvances(t *testing.T) {
	f := NewFake(t0)
	done := make(chan error, 1)
	go func() { done <- SleepUntil(context.Background(), f, t0.Add(time.Minute)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if next, ok := f.Next(); !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Next = %v %v, want %v", next, ok, t0.Add(time.Minute))
	}
	f.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("SleepUntil = %v, want nil", err)
	}
}

func TestSleepReturnsContextError(t *testing.T) {
	f := NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, f, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
}

func TestRealClockTimer(t *testing.T) {
	c := Real()
	start := time.Now()
	<-c.TimerAt(start.Add(5 * time.Millisecond)).C()
	if el := time.Since(start); el < 5*time.Millisecond {
		t.Fatalf("real timer fired after %v, want ≥ 5ms", el)
	}
}
