package alerts

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// The roster is read and judged on a goroutine of its own while the findings are recorded. These
// tests hold it to what a check on one goroutine did: every finding recorded in roster order,
// a failing roster fails the check, and a failing recorder stops the reader (goleak, in
// TestMain, checks that nothing is left running).

// countingRoster counts the entries it hands out and fails after failAfter of them (0: never).
type countingRoster struct {
	*roster
	read      atomic.Int64
	failAfter int64
	err       error
}

func (l *countingRoster) EachOnDuty(ctx context.Context, day mapping.Date, fn func(*RosterEntry) error) error {
	return l.roster.EachOnDuty(ctx, day, func(e *RosterEntry) error {
		if n := l.read.Add(1); l.failAfter > 0 && n > l.failAfter {
			return l.err
		}
		return fn(e)
	})
}

// expiredRoster is n entries, each with an expired certificate (one alert each).
func expiredRoster(n int) *roster {
	l := newRoster()
	for i := range n {
		id := testID(1000 + i)
		l.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
	}
	return l
}

// TestTheRosterIsRecordedInItsOrderAcrossChunks: more findings than one chunk, and unknown entries
// between them, come out in the roster's order, each counted once.
func TestTheRosterIsRecordedInItsOrderAcrossChunks(t *testing.T) {
	h := newHarness(t, backends[0])
	n := 2*rosterChunkSize + 7
	var want []string
	for i := range n {
		id := testID(1000 + i)
		if i%500 == 3 {
			e := entry(id)
			e.Answered = false // never answered, no certificate: unknown, not judged
			h.roster.add(e)
			continue
		}
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		want = append(want, id)
	}
	res := h.check()
	if res.Evaluated != n || res.Unknown != n-len(want) || res.Firing != len(want) {
		t.Fatalf("evaluated %d, unknown %d, firing %d; want %d, %d, %d", res.Evaluated, res.Unknown, res.Firing,
			n, n-len(want), len(want))
	}
	for i, a := range res.alerts {
		if got := a.Operator.IDNumber; got != mask.ID(want[i]) {
			t.Fatalf("alert %d is of %s, want %s (the roster's order)", i, got, mask.ID(want[i]))
		}
	}
}

// TestARosterThatFailsFailsTheCheck: a roster that cannot be read to its end fails the check with
// its error, and nothing is resolved for what it did not reach.
func TestARosterThatFailsFailsTheCheck(t *testing.T) {
	h := newHarness(t, backends[0])
	h.roster = expiredRoster(3 * rosterChunkSize)
	h.check()
	h.rec["all"].take()

	broken := errors.New("roster gone")
	h.clock.Advance(24 * time.Hour)
	src := &countingRoster{roster: h.roster, failAfter: rosterChunkSize + 10, err: broken}
	c := h.checker()
	c.src.Roster = src
	_, err := c.Check(context.Background(), false, nil)
	if !errors.Is(err, broken) {
		t.Fatalf("Check: %v, want the roster's error", err)
	}
	page, err := h.store().Page(context.Background(), Filter{Status: "resolved"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 0 {
		t.Errorf("%d alerts resolved by a check that could not read the roster", page.Total)
	}
}

// failingOutput fails on its first alert.
type failingOutput struct{ err error }

func (f failingOutput) Firing(*Alert) error { return f.err }

// TestAFailingOutputStopsTheRosterReader: when recording fails (here the output), the check
// returns that error and the reader stops early instead of reading the rest of the roster.
func TestAFailingOutputStopsTheRosterReader(t *testing.T) {
	h := newHarness(t, backends[0])
	n := 20 * rosterChunkSize
	src := &countingRoster{roster: expiredRoster(n)}
	h.roster = src.roster
	c := h.checker()
	c.src.Roster = src
	c.batch = 2 * rosterChunkSize // the reader runs at most a batch and a chunk ahead
	broken := errors.New("disk full")
	_, err := c.Check(context.Background(), false, failingOutput{broken})
	if !errors.Is(err, broken) {
		t.Fatalf("Check: %v, want the output's error", err)
	}
	if got := src.read.Load(); got >= int64(n) {
		t.Errorf("the reader read all %d entries after the output failed", got)
	}
}

// TestAResultThatCannotBeWrittenDeliversNothing: the firing alerts are written on a goroutine of
// their own, yet a failure to write them still stops the check before anything is delivered.
func TestAResultThatCannotBeWrittenDeliversNothing(t *testing.T) {
	h := newHarness(t, backends[0])
	h.roster = expiredRoster(3)
	broken := errors.New("stdout closed")
	_, err := h.checker().Check(context.Background(), false, failingOutput{broken})
	if !errors.Is(err, broken) {
		t.Fatalf("Check: %v, want the output's error", err)
	}
	h.expectSent("all")
}
