package main

import (
	"fmt"
	"testing"
	"time"

	"streetsync/mocks"
	"streetsync/mocks/quanzhou"
)

// A quiet night's fewest calls include the pages a listing must read again at its mark: the
// records still at the last second the previous sync could have seen, while that second was not
// certainly over.
func TestTheFewestCallsReadTheMarksSecondAgain(t *testing.T) {
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	srv, err := mocks.NewServer(mocks.Options{Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	// A bulk write of 1 200 enterprises, all in one second, after everything generated.
	now = now.Add(time.Hour)
	for i := range 1200 {
		srv.Quanzhou.PutEnterprise(quanzhou.Enterprise{Tyshxydm: fmt.Sprintf("91350582BULK%06d", i), Qymc: "批量企业"})
	}
	mk := listingMarks(srv, now)
	if want := now.In(time.FixedZone("", 8*3600)).Format("2006-01-02 15:04:05"); mk.at["enterprises"] != want {
		t.Fatalf("the enterprises' mark = %q, want the bulk write's second %q", mk.at["enterprises"], want)
	}
	// Had the sync ended once that second was certainly over, a client could skip it.
	over := listingMarks(srv, now.Add(302*time.Second))

	// The next night: one of them changed (it moves to a later second and is pulled).
	now = now.Add(24 * time.Hour)
	srv.Quanzhou.EditEnterprise("91350582BULK000007", func(e *quanzhou.Enterprise) { e.Qymc = "批量企业（更名）" })
	reread := mk.reread(srv)
	if reread["enterprises"] != 1200 {
		t.Errorf("records to read from the mark = %d, want the 1 199 still in that second and the one changed", reread["enterprises"])
	}
	night := []byte(`[{"job":"enterprises","pulled":1},{"job":"alarms"},{"job":"hazards"},{"job":"inspections"},
{"job":"certificates"},{"job":"employments"}]`)
	qz, so := fewestCalls(night, false, 0, reread)
	if n := over.reread(srv)["enterprises"]; n != 1 {
		t.Errorf("records to read from a mark whose second was over = %d, want only the one changed", n)
	}
	// The token; enterprises: 1 200 records read (the one pulled among them), 3 pages; alarms,
	// hazards, inspections: at least one page each, more if their own marks hold more.
	want := 1 + 3 + pagesOf(reread["alarms"]) + pagesOf(reread["hazards"]) + pagesOf(reread["inspections"])
	if qz != want {
		t.Errorf("fewest Quanzhou calls = %d, want %d (reread %v)", qz, want, reread)
	}
	if so != 1+1 {
		t.Errorf("fewest special-ops calls = %d, want the token and one feed page", so)
	}
	// Without the mark (the first load), only what was pulled counts.
	if qz, _ := fewestCalls(night, false, 0, nil); qz != 1+1+3 {
		t.Errorf("fewest Quanzhou calls without marks = %d, want 5", qz)
	}
}

func pagesOf(n int) int { return max(1, (n+pageMax-1)/pageMax) }
