package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"streetsync/internal/reconcile"
)

// bigReport is a city's last reconciliation: more rows in two lists than a page shows.
func bigReport(unregistered, onlyInLedger int) *reportState {
	return &reportState{Scope: Scope{What: ScopeAll}, FinishedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC),
		Report: BigReport(unregistered, onlyInLedger)}
}

// Each list of a report is paged on its own: a page shows 100 rows of each, the pager of a list
// turns that list's pages only (and returns to its table), and a page past the end shows the last.
func TestTheReconcilePagePagesEachList(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.srv.reportMu.Lock()
	w.srv.report = bigReport(250, 120)
	w.srv.reportMu.Unlock()
	s := w.consoleLogin(t)

	body := w.page(t, s, "/reconcile")
	for _, want := range []string{"人员00000", "人员00099", "企业00000", "企业00099", `data-total="250"`, `data-total="120"`,
		`id="next-unregistered"`, `id="next-only-ledger"`, "持证在岗但未用工登记（250，每页 100 人）"} {
		if !strings.Contains(body, want) {
			t.Errorf("first page: %q missing", want)
		}
	}
	for _, absent := range []string{"人员00100", "企业00100", `id="next-page"`} {
		if strings.Contains(body, absent) {
			t.Errorf("first page shows %q", absent)
		}
	}
	if !strings.Contains(body, `href="/reconcile?list=unregistered&amp;page=2#list-unregistered"`) {
		t.Errorf("the unregistered list's next link is missing or does not return to its heading")
	}

	body = w.page(t, s, "/reconcile?list=unregistered&page=2")
	if !strings.Contains(body, "人员00100") || !strings.Contains(body, "人员00199") || strings.Contains(body, "人员00099") {
		t.Errorf("page 2 of the unregistered list shows the wrong rows")
	}
	if !strings.Contains(body, "企业00000") || strings.Contains(body, "企业00100") {
		t.Errorf("paging one list moved another")
	}
	if body = w.page(t, s, "/reconcile?list=unregistered&page=99"); !strings.Contains(body, "人员00249") || strings.Contains(body, "人员00199") {
		t.Errorf("a page past the end should show the last page (rows 200–249)")
	}
}

// The API gives the report's summary, or one page of one list; never the whole of a city's report.
func TestTheReconcileReportAPIIsPaged(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.srv.reportMu.Lock()
	w.srv.report = bigReport(250, 120)
	w.srv.reportMu.Unlock()

	resp, b := w.api(t, "GET", "/api/reconcile/report", "")
	var sum reportSummary
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary: %d %s", resp.StatusCode, b)
	}
	if want := (reconcile.Counts{OnlyInLedger: 120, Unregistered: 250, Uncertified: 7}); sum.Counts != want || sum.Scope.What != ScopeAll {
		t.Errorf("summary %+v, want counts %+v", sum, want)
	}
	if strings.Contains(string(b), "人员") {
		t.Errorf("the summary carries rows of a list")
	}

	resp, b = w.api(t, "GET", "/api/reconcile/report?list=unregistered&page=3&pageSize=40", "")
	var pg listPage[reconcile.Unregistered]
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &pg) != nil {
		t.Fatalf("a page: %d %s", resp.StatusCode, b)
	}
	if len(pg.Items) != 40 || pg.Items[0].Name != "人员00080" || pg.Total != 250 || pg.Pages != 7 || !pg.More || pg.Page != 3 || pg.Size != 40 {
		t.Errorf("page 3 of 40: %d items from %v, %+v", len(pg.Items), pg.Items[:min(1, len(pg.Items))], pg)
	}
	resp, b = w.api(t, "GET", "/api/reconcile/report?list=onlyInLedger&page=2", "")
	var last listPage[reconcile.LedgerOnly]
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &last) != nil || len(last.Items) != 20 || last.More || last.Items[0].Name != "企业00100" {
		t.Errorf("the last page of onlyInLedger: %d %s", resp.StatusCode, b)
	}
	resp, b = w.api(t, "GET", "/api/reconcile/report?list=unknownItems", "")
	var empty listPage[reconcile.UnknownItem]
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &empty) != nil || empty.Items == nil || empty.Total != 0 {
		t.Errorf("an empty list: %d %s, want an empty page", resp.StatusCode, b)
	}
	resp, b = w.api(t, "GET", "/api/reconcile/report?list=everything", "")
	if resp.StatusCode != http.StatusBadRequest || apiErrorOf(t, b) != fmt.Sprintf(msgUnknownList, "everything") {
		t.Errorf("an unknown list: %d %s, want 400 naming the lists", resp.StatusCode, b)
	}
}
