package console

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"streetsync/internal/reconcile"
	"streetsync/mapping/mask"
)

// 对账: compare the ledger with the platforms now (`reconcile`), see every list of the report —
// each paged on its own, all of them in the .xlsx — and apply the fixes (`reconcile --apply`).
// The report is package reconcile's own, shown as it is.

// Reconciler compares the ledger with the platforms and fixes what can be fixed
// (`streetsync reconcile [--apply]`).
type Reconciler interface {
	// Reconcile compares what scope names and reports the differences.
	Reconcile(ctx context.Context, scope Scope) (*reconcile.Report, error)
	// Apply makes each side agree with its owner for what scope names.
	Apply(ctx context.Context, scope Scope) (*reconcile.Applied, error)
}

// Scope says what a reconciliation covers.
type Scope struct {
	// What is enterprises, operators or all.
	What string `json:"scope"`
	// USCC narrows the reconciliation to one enterprise (and its roster); "" = all of them.
	USCC string `json:"uscc,omitempty"`
}

// Scopes of a reconciliation.
const (
	ScopeAll         = "all"
	ScopeEnterprises = "enterprises"
	ScopeOperators   = "operators"
)

type reconcileScreen struct{ *Server }

func (s reconcileScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /reconcile", s.page(s.reconcilePage))
	pages.HandleFunc("POST /reconcile/run", s.action(s.runReconcile(false)))
	pages.HandleFunc("POST /reconcile/apply", s.action(s.runReconcile(true)))
	pages.HandleFunc("GET /reconcile/report.xlsx", s.page(s.pageDownload))
	api.HandleFunc("POST /api/reconcile", s.apiReconcile(false))
	api.HandleFunc("POST /api/reconcile/apply", s.apiReconcile(true))
	api.HandleFunc("GET /api/reconcile/report", s.apiReport)
	api.HandleFunc("GET /api/reconcile/report.xlsx", s.downloadReport)
}

// reportState is the last reconciliation the console ran.
type reportState struct {
	Scope      Scope             `json:"scope"`
	FinishedAt time.Time         `json:"finishedAt"`
	Report     *reconcile.Report `json:"report"`
	Applied    *appliedView      `json:"applied,omitempty"` // when it followed an apply
}

// appliedView is what an apply did: package reconcile's account, with what it left for a person
// as one list of Chinese lines (problems) and the count of fixes queued for retry.
type appliedView struct {
	*reconcile.Applied
	Queued   int      `json:"queued"`
	Problems []string `json:"problems,omitempty"`
}

func newAppliedView(a *reconcile.Applied) *appliedView {
	v := &appliedView{Applied: a}
	for _, x := range a.Failed {
		v.Problems = append(v.Problems, mask.IDsInText(x.Key+"："+x.Reason))
	}
	for _, x := range a.NeedsPerson {
		v.Problems = append(v.Problems, mask.IDsInText(x.Reason))
	}
	return v
}

// reportShown is how many rows of each list of a report a page shows; each list is paged on its
// own, and the .xlsx has them all.
const reportShown = 100

// The lists of a report, as the page's and the API's `list` parameter names them.
const (
	listDifferent      = "different"
	listOnlyInLedger   = "onlyInLedger"
	listOnlyOnPlatform = "onlyOnPlatform"
	listUnregistered   = "unregistered"
	listUnknownItems   = "unknownItems"
)

// reportRows are the rows of each list of a report that the page shows.
type reportRows struct {
	Different      []reconcile.Difference
	OnlyInLedger   []reconcile.LedgerOnly
	OnlyOnPlatform []reconcile.PlatformOnly
	Unregistered   []reconcile.Unregistered
	UnknownItems   []reconcile.UnknownItem
}

// reportPagers page each list of a report.
type reportPagers struct {
	Different, OnlyInLedger, OnlyOnPlatform, Unregistered, UnknownItems pager
}

type reconcileData struct {
	State   *reportState
	Task    *taskView
	Scope   Scope
	Counts  reconcile.Counts
	Rows    reportRows
	Pagers  reportPagers
	IsEmpty bool
}

func (d reconcileData) refresh() int {
	if d.Task != nil && d.Task.Running {
		return 3
	}
	return 0
}

// reportPage is the page of list name (the rows of a report's list, in the report's order) that r
// asks for: `list` names the list being paged and `page` its page; every other list shows its
// first page. The pager's links page that list and return to its heading (list-anchor, where
// anchor is its table's id).
func reportPage[T any](r *http.Request, name, anchor string, items []T) ([]T, pager) {
	page := 1
	if r.URL.Query().Get("list") == name {
		page = intParam(r, "page", 1, 1, 1<<20)
	}
	page = min(page, max(1, pagesOf(len(items), reportShown)))
	start := (page - 1) * reportShown
	u := *r.URL
	q := u.Query()
	q.Set("list", name)
	u.RawQuery = q.Encode()
	paged := *r
	paged.URL = &u
	p := newPager(&paged, page, reportShown, len(items))
	p.PrevID, p.NextID = "prev-"+anchor, "next-"+anchor
	if p.Prev != "" {
		p.Prev += "#list-" + anchor // the list's heading
	}
	if p.Next != "" {
		p.Next += "#list-" + anchor
	}
	return items[start:min(len(items), start+reportShown)], p
}

func (s reconcileScreen) reconcilePage(w http.ResponseWriter, r *http.Request, sess *session) {
	h := s.checkHealth(r.Context())
	d := reconcileData{State: s.lastReport(), Scope: Scope{What: ScopeAll}}
	if t := s.tasks.current("reconcile"); t != nil {
		d.Task = s.taskView(r, t)
	}
	if d.State != nil {
		d.Scope = d.State.Scope
		if rep := d.State.Report; rep != nil {
			d.IsEmpty = rep.Empty()
			d.Counts = rep.Counts()
			if e := rep.Enterprises; e != nil {
				d.Rows.Different, d.Pagers.Different = reportPage(r, listDifferent, "diff-table", e.Different)
				d.Rows.OnlyInLedger, d.Pagers.OnlyInLedger = reportPage(r, listOnlyInLedger, "only-ledger", e.OnlyInLedger)
				d.Rows.OnlyOnPlatform, d.Pagers.OnlyOnPlatform = reportPage(r, listOnlyOnPlatform, "only-platform", e.OnlyOnPlatform)
			}
			if o := rep.Operators; o != nil {
				d.Rows.Unregistered, d.Pagers.Unregistered = reportPage(r, listUnregistered, "unregistered", o.Unregistered)
				d.Rows.UnknownItems, d.Pagers.UnknownItems = reportPage(r, listUnknownItems, "unknown-items", o.UnknownItems)
			}
		}
	}
	s.renderScreen(w, r, sess, h, "reconcile", "对账", d)
}

func (s reconcileScreen) runReconcile(apply bool) actionHandler {
	return func(r *http.Request, sess *session) (string, error) {
		sc, err := normalizeScope(Scope{What: r.PostForm.Get("scope"), USCC: r.PostForm.Get("uscc")})
		if err != nil {
			return "", err
		}
		t, err := s.startReconcile(sc, apply)
		if err != nil {
			return "", err
		}
		return s.waitForm(r, t)
	}
}

// pageDownload is the report's download for a logged-in browser; without a report it goes back
// to the page with a message.
func (s reconcileScreen) pageDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	if s.lastReport() == nil {
		s.sessions.addFlash(sess, "error", msgNoReport)
		http.Redirect(w, r, "/reconcile", http.StatusSeeOther)
		return
	}
	s.downloadReport(w, r)
}

func (s reconcileScreen) apiReconcile(apply bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var sc Scope
		if !s.decodeJSON(w, r, &sc) {
			return
		}
		sc, err := normalizeScope(sc)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.startReconcile(sc, apply)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		waitsForTask(w)
		if !t.wait(r.Context(), 0) {
			return
		}
		if t.err != nil {
			s.fail(w, r, t.err)
			return
		}
		st := t.result.(*reportState)
		if apply {
			s.writeJSON(w, http.StatusOK, st)
			return
		}
		s.writeJSON(w, http.StatusOK, st.Report)
	}
}

// reportSummary is the last reconciliation without its lists: what it covered, when, what an apply
// before it did, and how long each list is.
type reportSummary struct {
	Scope      Scope            `json:"scope"`
	FinishedAt time.Time        `json:"finishedAt"`
	Counts     reconcile.Counts `json:"counts"`
	Applied    *appliedView     `json:"applied,omitempty"`
}

// apiReportPageSize is an API page of a report's list unless pageSize says otherwise.
const apiReportPageSize = 100

// apiReport is the last reconciliation: without `list`, its summary (reportSummary); with list
// (different, onlyInLedger, onlyOnPlatform, unregistered, unknownItems), one page of that list
// (page, pageSize ≤ 1 000): {"items": […], "page", "size", "more", "total", "pages"}. A city's
// report holds tens of thousands of rows; the whole of it is the .xlsx.
func (s reconcileScreen) apiReport(w http.ResponseWriter, r *http.Request) {
	st := s.lastReport()
	if st == nil {
		s.writeAPIError(w, http.StatusNotFound, msgNoReport)
		return
	}
	list := r.URL.Query().Get("list")
	if list == "" {
		s.writeJSON(w, http.StatusOK, reportSummary{Scope: st.Scope, FinishedAt: st.FinishedAt, Counts: st.Report.Counts(), Applied: st.Applied})
		return
	}
	var e reconcile.EnterpriseReport
	if st.Report.Enterprises != nil {
		e = *st.Report.Enterprises
	}
	var o reconcile.OperatorReport
	if st.Report.Operators != nil {
		o = *st.Report.Operators
	}
	switch list {
	case listDifferent:
		writeReportPage(s.Server, w, r, e.Different)
	case listOnlyInLedger:
		writeReportPage(s.Server, w, r, e.OnlyInLedger)
	case listOnlyOnPlatform:
		writeReportPage(s.Server, w, r, e.OnlyOnPlatform)
	case listUnregistered:
		writeReportPage(s.Server, w, r, o.Unregistered)
	case listUnknownItems:
		writeReportPage(s.Server, w, r, o.UnknownItems)
	default:
		s.writeAPIError(w, http.StatusBadRequest, fmt.Sprintf(msgUnknownList, list))
	}
}

// writeReportPage writes the page of a report's list that r asks for (page, pageSize).
func writeReportPage[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) {
	size := intParam(r, "pageSize", apiReportPageSize, 1, 1000)
	page := intParam(r, "page", 1, 1, 1<<20)
	start := min(len(items), (page-1)*size)
	s.writeJSON(w, http.StatusOK, pageOf(items[start:min(len(items), start+size)], page, size, len(items)))
}

// downloadReport writes the last reconciliation as the reconcile command's .xlsx (API and console
// alike).
func (s reconcileScreen) downloadReport(w http.ResponseWriter, r *http.Request) {
	st := s.lastReport()
	if st == nil {
		s.writeAPIError(w, http.StatusNotFound, msgNoReport)
		return
	}
	var buf bytes.Buffer
	if err := st.Report.WriteXLSX(&buf); err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendFile(w, "对账报告-"+st.FinishedAt.Format("20060102-1504")+".xlsx", buf.Bytes())
}

// maskReport masks the ID and certificate numbers of a report in place (package reconcile masks
// them already; the console does not depend on it).
func maskReport(r *reconcile.Report) {
	if r == nil || r.Operators == nil {
		return
	}
	for i := range r.Operators.Unregistered {
		u := &r.Operators.Unregistered[i]
		u.IDNumber = mask.ID(u.IDNumber)
		u.CertNo = mask.CertNo(u.CertNo)
	}
	for i := range r.Operators.UnknownItems {
		r.Operators.UnknownItems[i].CertNo = mask.CertNo(r.Operators.UnknownItems[i].CertNo)
	}
}

func normalizeScope(sc Scope) (Scope, error) {
	sc.What = strings.TrimSpace(sc.What)
	if sc.What == "" {
		sc.What = ScopeAll
	}
	if sc.What != ScopeAll && sc.What != ScopeEnterprises && sc.What != ScopeOperators {
		return sc, inputErr(msgUnknownScope, sc.What)
	}
	sc.USCC = strings.ToUpper(strings.TrimSpace(sc.USCC))
	if sc.USCC != "" && !usccShape(sc.USCC) {
		return sc, inputErr(msgBadUSCC, sc.USCC)
	}
	return sc, nil
}

// usccShape reports whether s has the shape of a unified social credit code (18 characters of
// digits and upper-case letters); the check character is the reconciler's business.
func usccShape(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func scopeKey(sc Scope) string { return sc.What + "|" + sc.USCC }

// startReconcile starts (or joins) a reconciliation; with apply, the fixes are applied first
// and the comparison shows what is left.
func (s *Server) startReconcile(sc Scope, apply bool) (*task, error) {
	key, label := "reconcile", labelReconcile
	if apply {
		label = labelApply
	}
	t, _, err := s.tasks.start(key, fmt.Sprint(apply, "|", scopeKey(sc)), label, func(ctx context.Context) (any, error) {
		st := &reportState{Scope: sc}
		if apply {
			res, err := s.deps.Reconciler.Apply(ctx, sc)
			if err != nil {
				return nil, err
			}
			st.Applied = newAppliedView(res)
		}
		if apply {
			s.tallies.invalidate()
		}
		rep, err := s.deps.Reconciler.Reconcile(ctx, sc)
		if err != nil {
			return st, err
		}
		maskReport(rep)
		st.Report, st.FinishedAt = rep, s.now().In(s.loc)
		s.reportMu.Lock()
		s.report = st
		s.reportMu.Unlock()
		return st, nil
	})
	if err == errTaskBusy {
		return nil, &busyError{t.label}
	}
	return t, err
}

func (s *Server) lastReport() *reportState {
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	return s.report
}
