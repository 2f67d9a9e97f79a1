package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

// 立即重试: a waiting item is due at once and keeps its attempts and history; a dead one is
// replayed; one a worker holds and an unknown one are named, and the others still move.
func TestRetryNowMakesWaitingAndDeadItemsDue(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	waiting := f.enqueue(t, kindEnt, "91350582MA00000001", nil)
	if _, err := f.q.Fail(ctx, f.claimAt(t, waiting), errDown); err != nil {
		t.Fatal(err)
	}
	before := f.get(t, waiting)
	if before.State != StateScheduled || before.Attempts != 1 {
		t.Fatalf("before: %+v, want scheduled after one failed attempt", before)
	}
	dead := f.enqueue(t, kindEnt, "91350582MA00000002", nil)
	if _, err := f.q.Fail(ctx, f.claimAt(t, dead), Permanent(errors.New("平台拒绝（40001）"))); err != nil {
		t.Fatal(err)
	}
	held := f.enqueue(t, kindEnt, "91350582MA00000003", nil)
	f.claimAt(t, held)

	n, err := f.q.RetryNow(ctx, waiting, dead, held, "nosuchitem00")
	if n != 2 {
		t.Errorf("moved %d, want 2 (the waiting and the dead item)", n)
	}
	if !errors.Is(err, ErrBusy) || !errors.Is(err, ErrNotFound) {
		t.Errorf("error %v, want one naming the held item (busy) and the unknown one", err)
	}
	after := f.get(t, waiting)
	if after.State != StateDue || !after.NextAttempt.Equal(f.clock.Now().Truncate(time.Millisecond)) ||
		after.Attempts != before.Attempts || len(after.Errors) != len(before.Errors) {
		t.Errorf("waiting item after: %+v, want due now with its attempts and history", after)
	}
	if got := f.get(t, dead); got.State != StateDue {
		t.Errorf("dead item after: %s, want due (replayed)", got.State)
	}
	if got := f.get(t, held); got.State != StateActive {
		t.Errorf("held item after: %s, want still active", got.State)
	}
	// An item already due does not move later.
	f.clock.Advance(time.Minute)
	if n, err := f.q.RetryNow(ctx, waiting); n != 1 || err != nil {
		t.Errorf("again: %d %v", n, err)
	}
	if got := f.get(t, waiting); !got.NextAttempt.Equal(after.NextAttempt) {
		t.Errorf("an item already due moved from %v to %v", after.NextAttempt, got.NextAttempt)
	}
}

// claimAt claims the due item id (the only one due of its kind in these tests).
func (f *fixture) claimAt(t *testing.T, id string) *Item {
	t.Helper()
	it := f.claim(t, kindEnt)
	if it.ID != id {
		t.Fatalf("claimed %s, want %s", it.ID, id)
	}
	return it
}
