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
// than a page of records in one second. While that second may still be running, a night reads it
// again, page by page from the last, without a request for the count: the stored mark says how
// many records it held. Once the second is over, the stored mark names its last record, and a
// night with nothing changed asks for one page — from the next second, empty — however many
// records share that second, and pulls nothing. A record edited later is pulled, alone.
func TestAQuietNightReadsOnlyWhatItMust(t *testing.T) {
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
	mark, err := w.cursors.Get(ctx, "enterprises")
	if err != nil || !strings.Contains(mark, `"count":50`) || strings.Contains(mark, `"last"`) {
		t.Fatalf("stored mark %q (%v): want the running second's 50 records counted, no id", mark, err)
	}
	before := w.srv.Quanzhou.RequestCount("GET /enterprises")
	if s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]; s.Pulled != 0 || s.Drifted != 0 {
		t.Errorf("re-reading the running second: %+v, want nothing pulled (read again, unchanged)", s)
	}
	if asked := w.srv.Quanzhou.RequestCount("GET /enterprises") - before; asked != 3 {
		t.Errorf("re-reading the running second's 50 records: %d listing requests, want its 3 pages", asked)
	}

	w.clk.Advance(10 * time.Minute) // the bulk second is over
	w.sync(r, jobs.Enterprises, false)
	mark, err = w.cursors.Get(ctx, "enterprises")
	if err != nil || !strings.Contains(mark, `"last":"`) {
		t.Fatalf("stored mark %q (%v): want the settled second's last record named", mark, err)
	}

	before = w.srv.Quanzhou.RequestCount("GET /enterprises")
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
	if asked := w.srv.Quanzhou.RequestCount("GET /enterprises") - before; asked != 1 || s.Pulled != 0 {
		t.Errorf("quiet night: %d listing requests, %d pulled; want 1 (from the second after the mark's) and nothing pulled", asked, s.Pulled)
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
