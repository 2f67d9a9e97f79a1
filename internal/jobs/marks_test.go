package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"streetsync/internal/jobs"
	mockqz "streetsync/mocks/quanzhou"
)

// A quiet night reads no more of a listing than it must. A bulk change on the platform puts more
// than a page of records in one second; once that second is over, the stored mark names its last
// record, and a night with nothing changed asks for the count and the last page only — however
// many records share that second — and pulls nothing. A record edited later is pulled, alone.
func TestAQuietNightAfterASettledMarkReadsTwoPages(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 60, pageSize: 20})
	r := w.runner()
	ctx := context.Background()
	w.sync(r, jobs.Enterprises, false)
	w.clk.Advance(time.Hour)
	for i, e := range w.srv.Quanzhou.Enterprises() {
		if i < 50 { // the platform regrades fifty enterprises at once
			w.srv.Quanzhou.EditEnterprise(e.Tyshxydm, func(x *mockqz.Enterprise) {
				x.Bzhdj = map[bool]string{true: "2", false: "3"}[x.Bzhdj == "3"]
			})
		}
	}
	w.sync(r, jobs.Enterprises, false)
	w.clk.Advance(10 * time.Minute) // the bulk second is over
	w.sync(r, jobs.Enterprises, false)
	mark, err := w.cursors.Get(ctx, "enterprises")
	if err != nil || !strings.Contains(mark, `"last":"`) {
		t.Fatalf("stored mark %q (%v): want the settled second's last record named", mark, err)
	}

	before := w.srv.Quanzhou.RequestCount("GET /enterprises")
	atMark := 0
	for _, e := range w.srv.Quanzhou.Enterprises() {
		if strings.Contains(mark, `"gxsj":"`+e.Gxsj+`"`) {
			atMark++
		}
	}
	if atMark <= 20 {
		t.Fatalf("%d records at the mark's second, want more than a page (20) for the test to mean anything", atMark)
	}
	s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	if asked := w.srv.Quanzhou.RequestCount("GET /enterprises") - before; asked > 2 || s.Pulled != 0 {
		t.Errorf("quiet night: %d listing requests, %d pulled; want at most 2 (the count, the last page) and nothing pulled", asked, s.Pulled)
	}
	if again, _ := w.cursors.Get(ctx, "enterprises"); again != mark {
		t.Errorf("quiet night moved the mark from %s to %s", mark, again)
	}

	u, _, _ := pickAccepted(t, enterpriseRecords(t, w.store), 1)
	w.srv.Quanzhou.EditEnterprise(u, func(x *mockqz.Enterprise) { x.Zyfzr = "门户改" })
	if s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]; s.Pulled != 1 || s.Drifted != 1 {
		t.Errorf("after one portal edit: %+v, want exactly it pulled (as drift)", s)
	}
}
