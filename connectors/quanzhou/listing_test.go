package quanzhou

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	mockqz "streetsync/mocks/quanzhou"
)

// platformClock is one clock for the mock platform and the client that moves 100 ms every time
// the platform reads it, so records touched during a walk get later and later gxsj, about ten
// requests to a second, as on the real platform.
type platformClock struct {
	*stepClock
	tick time.Duration
}

func (c platformClock) platformNow() time.Time {
	c.Advance(c.tick)
	return c.Now()
}

// mockFixture is a fixture whose listing endpoints are the stateful mock platform's Responder,
// so that the unit tests and the integration tests never disagree about the platform.
func mockFixture(t *testing.T, enterprises int, now func(*stepClock) func() time.Time, opts ...Option) (*fixture, *mockqz.Platform) {
	t.Helper()
	f := newFixture(t, opts...)
	p, err := mockqz.New(mockqz.Config{BasePath: testPrefix, Apps: []mockqz.App{{Key: testKey, Secret: testSecret}},
		Now: now(f.clk), Seed: 7, RatePerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	if enterprises > 0 {
		ds, err := dataset.Generate(dataset.Params{Seed: 3, Enterprises: enterprises, NoisePeople: -1})
		if err != nil {
			t.Fatal(err)
		}
		p.LoadDataset(ds)
	}
	f.mt.RegisterNoResponder(f.signed(p.Responder()))
	f.mt.RegisterResponder(http.MethodPost, testBase+"/auth/token", f.signed(p.Responder()))
	return f, p
}

func tickingClock(c *stepClock) func() time.Time {
	// The dataset's records are dated around 2026-01-15; the platform's now is after them all.
	c.Advance(time.Date(2026, 1, 15, 12, 0, 0, 0, mapping.Beijing()).Sub(c.Now()))
	return platformClock{c, 100 * time.Millisecond}.platformNow
}

func frozenClock(c *stepClock) func() time.Time {
	c.Advance(time.Date(2026, 1, 15, 12, 0, 0, 0, mapping.Beijing()).Sub(c.Now()))
	return c.Now
}

// collect runs a walk and keeps the last delivery of every record.
func collect(t *testing.T, f *fixture, since time.Time) (map[string]mapping.QZEnterprise, *Progress, int) {
	t.Helper()
	return collectFrom(t, f, MarkAt(since))
}

// collectFrom is collect from a mark.
func collectFrom(t *testing.T, f *fixture, from Mark) (map[string]mapping.QZEnterprise, *Progress, int) {
	t.Helper()
	seq, prog := f.c.ListEnterprises(context.Background(), from)
	got := map[string]mapping.QZEnterprise{}
	n := 0
	for e, err := range seq {
		if err != nil {
			t.Fatalf("after %d records: %v", n, err)
		}
		got[e.Qyid] = e
		n++
	}
	return got, prog, n
}

// missing lists the platform's records whose current version was not the last one delivered.
func missing(p *mockqz.Platform, got map[string]mapping.QZEnterprise) []string {
	var out []string
	for _, e := range p.Enterprises() {
		g, ok := got[e.Qyid]
		if !ok || g.Gxsj != e.Gxsj || g.Qymc != e.Qymc || string(g.Cyrs) != e.Cyrs {
			out = append(out, fmt.Sprintf("%s@%s (got %q)", e.Qyid, e.Gxsj, g.Gxsj))
		}
	}
	return out
}

// The contract's warning, as a test: while the walk runs, every page request moves a record to
// the end (fault.MutateWhilePaging = 1). Every record must come back in the version the platform
// holds when the walk ends.
func TestListingMissesNoRecordWhileRecordsMove(t *testing.T) {
	f, p := mockFixture(t, 3000, tickingClock, WithPageSize(50))
	p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	got, prog, n := collect(t, f, time.Time{})
	if miss := missing(p, got); len(miss) > 0 {
		t.Fatalf("%d of %d records missed or stale, e.g. %v", len(miss), len(p.Enterprises()), miss[:min(5, len(miss))])
	}
	if !prog.Done || prog.Rounds < 2 || prog.Records != n {
		t.Errorf("progress %+v after %d deliveries", *prog, n)
	}
	if hw := maxGxsj(p); prog.HighWaterText != hw {
		t.Errorf("high-water %q, want the platform's latest gxsj %q", prog.HighWaterText, hw)
	}
	t.Logf("%d records, %d deliveries, %+v", len(p.Enterprises()), n, *prog)
}

// The same platform walked naively (pageNo 1, 2, 3, … at a fixed gxsjStart) does lose records:
// the mutation knob bites, so the test above can fail.
func TestNaiveWalkLosesRecordsUnderTheSameMutations(t *testing.T) {
	f, p := mockFixture(t, 3000, tickingClock, WithPageSize(50))
	p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	got := map[string]mapping.QZEnterprise{}
	for pageNo := 1; ; pageNo++ {
		var pg page[mapping.QZEnterprise]
		q := url.Values{"xzqhdm": {testRegion}, "pageNo": {strconv.Itoa(pageNo)}, "pageSize": {"50"}}
		if err := f.c.do(context.Background(), &call{method: "GET", endpoint: "/enterprises", path: "/enterprises", query: q, idempotent: true}, &pg); err != nil {
			t.Fatal(err)
		}
		for _, e := range pg.List {
			got[e.Qyid] = e
		}
		if len(pg.List) < 50 {
			break
		}
	}
	if miss := missing(p, got); len(miss) == 0 {
		t.Fatal("the naive walk missed nothing: the mutation knob does not exercise the listing")
	} else {
		t.Logf("naive walk: %d of %d records missed or stale", len(miss), len(p.Enterprises()))
	}
}

// With the platform's clock standing still, every touched record gets the same gxsj second and
// is filed inside it by qyid — possibly before the largest key already seen. That second is
// not over, so the next round re-reads all of it.
func TestListingRereadsASecondThatIsNotOver(t *testing.T) {
	f, p := mockFixture(t, 1000, frozenClock, WithPageSize(50))
	p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	got, prog, _ := collect(t, f, time.Time{})
	if miss := missing(p, got); len(miss) > 0 {
		t.Fatalf("%d records missed or stale, e.g. %v", len(miss), miss[:min(5, len(miss))])
	}
	if !prog.Done || prog.HighWaterText != "2026-01-15 12:00:00" {
		t.Errorf("progress %+v", *prog)
	}
}

// settledBulkSecond is a platform (pages of 50) whose n records were all written in one second,
// an hour ago: a second that is over.
func settledBulkSecond(t *testing.T, n int) (*fixture, *mockqz.Platform) {
	t.Helper()
	f, p := mockFixture(t, 0, frozenClock, WithPageSize(50))
	for i := range n {
		p.PutEnterprise(mockqz.Enterprise{Tyshxydm: fmt.Sprintf("9135058200000%05d", i), Qymc: fmt.Sprintf("企业%d", i), Xzqhdm: testRegion, Cyrs: "1"})
	}
	f.clk.Advance(time.Hour)
	return f, p
}

// Records sharing one second that is over: the next round starts inside that second, skips
// what it saw, and ends at the first page because that page reaches back to the last key.
func TestListingSkipsASettledSecondItHasRead(t *testing.T) {
	f, p := settledBulkSecond(t, 120)
	got, prog, n := collect(t, f, time.Time{})
	if miss := missing(p, got); len(miss) > 0 || n != 120 {
		t.Fatalf("%d deliveries, missed %v", n, miss)
	}
	// Round 1: probe + pages 3, 2, 1. Round 2: probe + page 3, which holds the last key seen.
	if prog.Requests != 6 || prog.Rounds != 2 || !prog.Done {
		t.Errorf("progress %+v, want 6 requests in 2 rounds", *prog)
	}
	var pages []string
	for _, r := range f.requests("/enterprises") {
		q, _ := url.ParseQuery(r.query)
		pages = append(pages, q.Get("pageNo"))
	}
	if fmt.Sprint(pages) != "[1 3 2 1 1 3]" {
		t.Errorf("pages asked %v, want [1 3 2 1 1 3] (last to first)", pages)
	}
}

// A quiet night after a bulk second that is over. The walk that read it ends on the second's last
// id, and the next walk from that mark lists from the second after it: one request, delivering
// nothing, however many records share the second, and the mark stands. A record written later
// comes alone, and its second, still running, leaves no id in the mark.
func TestListingFromASettledMarkReadsOnlyWhatIsNew(t *testing.T) {
	f, p := settledBulkSecond(t, 120)
	_, prog, _ := collect(t, f, time.Time{})
	all := p.Enterprises()
	last := all[len(all)-1]
	if got, want := prog.Mark(), (Mark{Gxsj: last.Gxsj, Last: last.Qyid}); got != want {
		t.Fatalf("the walk ended on %+v, want %+v (the settled second's last record)", got, want)
	}

	before := len(f.requests("/enterprises"))
	got, quiet, n := collectFrom(t, f, prog.Mark())
	if n != 0 || len(got) != 0 || !quiet.Done || quiet.Mark() != prog.Mark() {
		t.Errorf("quiet night: %d deliveries, progress %+v; want none, done, the same mark", n, *quiet)
	}
	settled, _ := mapping.ParseBeijingTime(last.Gxsj)
	after := mapping.FormatBeijingTime(settled.Add(time.Second))
	var asked []string
	for _, r := range f.requests("/enterprises")[before:] {
		q, _ := url.ParseQuery(r.query)
		asked = append(asked, q.Get("gxsjStart")+"/"+q.Get("pageNo"))
	}
	if want := "[" + after + "/1]"; fmt.Sprint(asked) != want {
		t.Errorf("quiet night asked %v, want %s: one page, from the second after the mark's", asked, want)
	}

	f.clk.Advance(time.Minute)
	added := p.PutEnterprise(mockqz.Enterprise{Tyshxydm: "91350582000000000", Qymc: "新企业", Xzqhdm: testRegion, Cyrs: "2"})
	got, next, n := collectFrom(t, f, quiet.Mark())
	if _, ok := got[added.Qyid]; n != 1 || !ok {
		t.Errorf("after one new record: %d deliveries %v, want only %s", n, got, added.Qyid)
	}
	if m := next.Mark(); m.Gxsj != added.Gxsj || m.Last != "" {
		t.Errorf("mark %+v, want the new record's second %s without an id (the second is still running)", m, added.Gxsj)
	}
}

// A walk that ends in a busy second still running (our own bulk push) leaves the count of that
// second in its mark. The next walk expects at least that many and asks first for the page they
// end on: that answer is the first window of its backward walk and brings the count, so page 1
// is asked for once. When the listing has grown past that page, the answer only counts, page 1
// is asked for after all, and nothing is missed either way.
func TestListingFromABusyMarkAsksForTheLastPageFirst(t *testing.T) {
	f, p := mockFixture(t, 0, frozenClock, WithPageSize(50))
	put := func(from, n int) {
		for i := from; i < from+n; i++ {
			p.PutEnterprise(mockqz.Enterprise{Tyshxydm: fmt.Sprintf("9135058200000%05d", i), Qymc: fmt.Sprintf("企业%d", i), Xzqhdm: testRegion, Cyrs: "1"})
		}
	}
	put(0, 180)
	_, prog, _ := collect(t, f, time.Time{})
	mark := prog.Mark()
	if mark.Last != "" || mark.Count != 180 {
		t.Fatalf("mark %+v, want the running second's 180 records counted and no id", mark)
	}
	asked := func(since int) string {
		var pages []string
		for _, r := range f.requests("/enterprises")[since:] {
			q, _ := url.ParseQuery(r.query)
			pages = append(pages, q.Get("pageNo"))
		}
		return fmt.Sprint(pages)
	}

	// One more record in that second: 181, still four pages.
	put(180, 1)
	before := len(f.requests("/enterprises"))
	got, next, _ := collectFrom(t, f, mark)
	if miss := missing(p, got); len(miss) > 0 || !next.Done {
		t.Fatalf("missed %v, progress %+v", miss, *next)
	}
	if a := asked(before); a != "[4 3 2 1]" {
		t.Errorf("asked pages %s, want [4 3 2 1]: the expected last page first, then down to 1", a)
	}
	if m := next.Mark(); m.Count != 181 {
		t.Errorf("mark %+v, want 181 records counted", m)
	}

	// Thirty more: 211 records, five pages; page 4 is not the last.
	put(181, 30)
	before = len(f.requests("/enterprises"))
	got, next, _ = collectFrom(t, f, next.Mark())
	if miss := missing(p, got); len(miss) > 0 || !next.Done {
		t.Fatalf("missed %v, progress %+v", miss, *next)
	}
	if a := asked(before); a != "[4 1 5 4 3 2 1]" {
		t.Errorf("asked pages %s, want [4 1 5 4 3 2 1]: the guess, the count, then the walk", a)
	}

	// Records moving while a guessed walk reads: nothing is missed.
	f2, p2 := mockFixture(t, 600, tickingClock, WithPageSize(50))
	all := p2.Enterprises()
	oldest := all[0].Gxsj
	for _, e := range all {
		oldest = min(oldest, e.Gxsj)
	}
	p2.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	// As if the whole listing were in the mark's second: page 12 is asked for first.
	got2, prog2, _ := collectFrom(t, f2, Mark{Gxsj: oldest, Count: len(all)})
	if miss := missing(p2, got2); len(miss) > 0 || !prog2.Done {
		t.Fatalf("moving records: %d missed, e.g. %v; progress %+v", len(miss), miss[:min(5, len(miss))], *prog2)
	}
	if q, _ := url.ParseQuery(f2.requests("/enterprises")[len(f2.requests("/enterprises"))-prog2.Requests].query); q.Get("pageNo") != "12" {
		t.Errorf("the moving walk began with page %s, want 12", q.Get("pageNo"))
	}
}

// Night after night from the mark each walk ended on — records edited between walks, on every
// other night moving during the walk too, and on the quiet nights the mark's second long over, so
// that the next walk skips up to its id — every record's current version is delivered.
func TestListingNightsFromMarksMissNothing(t *testing.T) {
	f, p := mockFixture(t, 1500, tickingClock, WithPageSize(50))
	got := map[string]mapping.QZEnterprise{}
	var mark Mark
	fromID := 0
	for night := range 8 {
		all := p.Enterprises()
		for i := night; i < len(all); i += 97 {
			p.EditEnterprise(all[i].Tyshxydm, func(e *mockqz.Enterprise) { e.Qymc += "（变更）" })
		}
		moving := night%2 == 0
		if !moving {
			f.clk.Advance(10 * time.Minute)
		}
		p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = map[bool]float64{true: 0.5}[moving] })
		if mark.Last != "" {
			fromID++
		}
		walked, prog, _ := collectFrom(t, f, mark)
		for k, v := range walked {
			got[k] = v
		}
		if !prog.Done {
			t.Fatalf("night %d: walk not done: %+v", night, *prog)
		}
		mark = prog.Mark()
	}
	walked, _, _ := collectFrom(t, f, mark)
	for k, v := range walked {
		got[k] = v
	}
	if miss := missing(p, got); len(miss) > 0 {
		t.Fatalf("%d records missed or stale, e.g. %v", len(miss), miss[:min(5, len(miss))])
	}
	if fromID < 3 {
		t.Errorf("%d walks started from a mark with an id, want the quiet nights' (4)", fromID)
	}
}

func TestListingSinceIsInclusive(t *testing.T) {
	f, p := mockFixture(t, 500, tickingClock)
	all := p.Enterprises()
	since, _ := mapping.ParseBeijingTime(all[len(all)-10].Gxsj)
	got, prog, _ := collect(t, f, since)
	want := 0
	for _, e := range all {
		if e.Gxsj >= all[len(all)-10].Gxsj {
			want++
			if _, ok := got[e.Qyid]; !ok {
				t.Errorf("record %s at %s not delivered", e.Qyid, e.Gxsj)
			}
		}
	}
	if len(got) != want || prog.Requests != 1 {
		t.Errorf("%d records in %d requests, want %d in 1", len(got), prog.Requests, want)
	}
}

func TestListingFixtureCanonical(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/enterprises", fileResponder(t, "enterprises_page.json"))
	seq, prog := f.c.Enterprises(context.Background(), Mark{})
	var got []PulledEnterprise
	for e, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 2 {
		t.Fatalf("%d records", len(got))
	}
	if got[0].Enterprise.Employees != 120 || got[1].Enterprise.Employees != 35 {
		t.Errorf("cyrs as string and as number: %d, %d", got[0].Enterprise.Employees, got[1].Enterprise.Employees)
	}
	if got[0].Enterprise.PlatformID != "QY35058200001234" || got[0].Wire.Qyid != "QY35058200001234" || !got[1].Enterprise.FactoryInFactory {
		t.Errorf("conversion: %+v", got[0].Enterprise)
	}
	if !prog.Done || prog.HighWaterText != "2024-05-21 10:02:17" || prog.HighWater.Hour() != 10 {
		t.Errorf("progress %+v", *prog)
	}
}

func TestListingStopsWhenTheCallerStops(t *testing.T) {
	f, _ := mockFixture(t, 500, tickingClock, WithPageSize(50))
	seq, prog := f.c.ListEnterprises(context.Background(), Mark{})
	n := 0
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if prog.Requests != 2 || prog.Done {
		t.Errorf("progress %+v after stopping at the third record", *prog)
	}
}

func TestListingErrorEndsTheSequence(t *testing.T) {
	f, p := mockFixture(t, 500, tickingClock, WithPageSize(50))
	var calls int
	var mu sync.Mutex
	f.mt.RegisterResponder(http.MethodGet, testBase+"/enterprises", f.signed(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 3 {
			return codeResponder(200, 40301, "无权访问该区域")(req)
		}
		return p.Responder()(req)
	}))
	seq, prog := f.c.ListEnterprises(context.Background(), Mark{})
	var last error
	for _, err := range seq {
		if err != nil {
			last = err
		}
	}
	checkErr(t, last, ErrForbidden, httpx.KindAuth, 0)
	if prog.Done {
		t.Error("a failed walk reported Done")
	}
}

func TestListingThatNeverSettlesGivesUp(t *testing.T) {
	f := newFixture(t, WithPageSize(2))
	// Every answer claims three records, the last one touched just now: the walk can never
	// see the end in one answer.
	f.on(http.MethodGet, "/enterprises", func(req *http.Request) (*http.Response, error) {
		now := mapping.FormatBeijingTime(f.clk.Now())
		f.clk.Advance(time.Second)
		body := fmt.Sprintf(`{"code":0,"msg":"成功","data":{"total":3,"list":[{"qyid":"QY1","gxsj":%q},{"qyid":"QY2","gxsj":%q}]}}`, now, now)
		return httpmock.NewStringResponse(200, body), nil
	})
	seq, _ := f.c.ListEnterprises(context.Background(), Mark{})
	var last error
	for _, err := range seq {
		last = err
	}
	checkErr(t, last, ErrUnstable, httpx.KindTransient, 0)
	if n := len(f.requests("/enterprises")); n != maxRounds*3 {
		t.Errorf("%d requests, want %d", n, maxRounds*3)
	}
}

func TestContainsFindsExactKeys(t *testing.T) {
	keys := []recordKey{{"2024-01-01 00:00:00", "QY1"}, {"2024-01-01 00:00:00", "QY3"}, {"2024-01-02 00:00:00", "QY2"}}
	for _, k := range keys {
		if !contains(keys, k) {
			t.Errorf("%v not found", k)
		}
	}
	for _, k := range []recordKey{{"2024-01-01 00:00:00", "QY2"}, {"2023-12-31 00:00:00", "QY1"}, {"2024-01-02 00:00:00", "QY1"}, {"2025-01-01 00:00:00", "QY9"}} {
		if contains(keys, k) {
			t.Errorf("%v found", k)
		}
	}
	if contains(nil, keys[0]) {
		t.Error("found in nothing")
	}
	if !errors.Is(ErrUnstable, httpx.ErrUnstable) {
		t.Error("sentinel not shared")
	}
}

func maxGxsj(p *mockqz.Platform) string {
	hw := ""
	for _, e := range p.Enterprises() {
		hw = max(hw, e.Gxsj)
	}
	return hw
}

// A platform that silently serves 2 records a page when asked for 500 is paged by 2.
func TestListingFollowsTheServedPageSize(t *testing.T) {
	f := newFixture(t)
	recs := []string{"QY1", "QY2", "QY3", "QY4", "QY5"}
	f.on(http.MethodGet, "/enterprises", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		pageNo, _ := strconv.Atoi(q.Get("pageNo"))
		from := min((pageNo-1)*2, len(recs))
		var items []string
		for _, id := range recs[from:min(from+2, len(recs))] {
			items = append(items, fmt.Sprintf(`{"qyid":%q,"gxsj":"2024-05-21 09:00:00"}`, id))
		}
		body := fmt.Sprintf(`{"code":0,"msg":"成功","data":{"total":5,"pageNo":%d,"list":[%s]}}`, pageNo, strings.Join(items, ","))
		return httpmock.NewStringResponse(200, body), nil
	})
	got, prog, _ := collect(t, f, time.Time{})
	if len(got) != 5 || !prog.Done {
		t.Fatalf("%d records, progress %+v", len(got), *prog)
	}
	var asked []string
	for _, r := range f.requests("/enterprises") {
		q, _ := url.ParseQuery(r.query)
		asked = append(asked, q.Get("pageNo")+"/"+q.Get("pageSize"))
	}
	// Each round asks for 500 first, then pages by what was served.
	if want := "[1/500 3/2 2/2 1/2 1/500 3/2]"; fmt.Sprint(asked) != want {
		t.Errorf("asked %v, want %s", asked, want)
	}
}

// Our own bulk push files more than a page of records in the platform's current second. That
// second cannot be skipped until it is over (301 s), and re-reading it takes more than one
// answer, so rounds would repeat it without progress. The walk ends instead, with everything
// delivered and the high-water mark on that second, so the next walk (since is inclusive)
// reads it again once it is over.
func TestListingEndsOnABusySecondThatIsNotOver(t *testing.T) {
	f, p := mockFixture(t, 0, frozenClock, WithPageSize(50))
	for i := range 180 {
		p.PutEnterprise(mockqz.Enterprise{Tyshxydm: fmt.Sprintf("9135058200000%05d", i), Qymc: fmt.Sprintf("企业%d", i), Xzqhdm: testRegion, Cyrs: "1"})
	}
	second := mapping.FormatBeijingTime(f.clk.Now())
	got, prog, n := collect(t, f, time.Time{})
	if miss := missing(p, got); len(miss) > 0 {
		t.Fatalf("%d deliveries, missed %v", n, miss)
	}
	if !prog.Done || prog.Rounds > 2 || prog.HighWaterText != second {
		t.Errorf("progress %+v, want done within 2 rounds at high water %s", *prog, second)
	}
	// A second that is still running: the next walk from the high-water mark reads it again
	// and misses nothing of it.
	p.PutEnterprise(mockqz.Enterprise{Tyshxydm: "91350582000000000", Qymc: "同一秒新增", Xzqhdm: testRegion, Cyrs: "2"})
	got2, prog2, _ := collect(t, f, prog.HighWater)
	if miss := missing(p, got2); len(miss) > 0 {
		t.Fatalf("the next walk missed %v", miss[:min(5, len(miss))])
	}
	if !prog2.Done || prog2.HighWaterText != second {
		t.Errorf("next walk: progress %+v", *prog2)
	}
	// It started in that second and found nothing newer: one round (the count, then 181 records
	// in four pages), not a second round reading the same second again.
	if prog2.Rounds != 1 || prog2.Requests != 5 {
		t.Errorf("next walk: %d rounds, %d requests; want 1 round of 5 requests", prog2.Rounds, prog2.Requests)
	}
}
