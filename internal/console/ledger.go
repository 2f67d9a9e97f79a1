package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// 台账: the street's ledger, paged — the enterprises (filtered by community, 待核实 and where
// each stands with the platform: not on it, changed on it, waiting for a push), the roster of
// special operators, the on-duty operators with a valid certificate but no employment
// registration, and what sits in quarantine — with the workbook's import (imports.go) and export.

// Ledger is what the console reads of the street's ledger; ledger.Store satisfies it.
type Ledger interface {
	Ping(ctx context.Context) error
	Overview(ctx context.Context, day mapping.Date) (ledger.Overview, error)
	EnterprisePage(ctx context.Context, q ledger.EnterpriseQuery) ([]ledger.EnterpriseRecord, int, error)
	EnterpriseByUSCC(ctx context.Context, uscc string) (ledger.EnterpriseRecord, error)
	OperatorPage(ctx context.Context, q ledger.OperatorQuery) ([]ledger.OperatorListing, int, error)
	UnregisteredPage(ctx context.Context, day mapping.Date, offset, limit int) ([]ledger.OperatorListing, int, error)
	QuarantinePage(ctx context.Context, q ledger.QuarantineQuery) ([]ledger.QuarantineEntry, int, error)
	Communities(ctx context.Context) ([]string, error)
	// ConfirmEnterprise clears the 待核实 flag of an enterprise pulled from the platform.
	ConfirmEnterprise(ctx context.Context, uscc string) error
}

// Workbook loads and writes the ledger workbook (`streetsync import|export`).
type Workbook interface {
	// Import loads a workbook; name is the uploaded file's name (its extension says .xlsx or
	// .csv). With dryRun nothing is written.
	Import(ctx context.Context, name string, r io.Reader, dryRun bool) (*ImportResult, error)
	// Export writes the whole ledger as an .xlsx workbook.
	Export(ctx context.Context, w io.Writer) error
	// RejectionList writes the full list of an import's rejected rows and warnings (.xlsx), by
	// the ListID of its result; an error wrapping ledger.ErrNotFound when it is unknown or was
	// dropped to make room for newer ones.
	RejectionList(ctx context.Context, id string, w io.Writer) error
}

type ledgerScreen struct{ *Server }

func (s ledgerScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /ledger", s.page(s.ledgerPage))
	pages.HandleFunc("POST /ledger/confirm", s.action(s.confirmEnterprise))
	pages.HandleFunc("POST /ledger/import", s.importPage)
	pages.HandleFunc("GET /ledger/export.xlsx", s.page(func(w http.ResponseWriter, r *http.Request, _ *session) { s.downloadWorkbook(w, r) }))
	pages.HandleFunc("GET /ledger/import/rejected/{id}", s.page(s.downloadRejectedPage))
	// The enterprises (q, community, pendingReview, state); the roster (q: a name, an ID number or
	// a USCC; community); the on-duty operators with a valid certificate and no registration
	// (reconcile's unregistered); the open quarantine, newest first.
	api.HandleFunc("GET /api/ledger/enterprises", listAPI(s, s.enterpriseRows))
	api.HandleFunc("GET /api/ledger/operators", listAPI(s, s.operatorRows))
	api.HandleFunc("GET /api/ledger/unregistered", listAPI(s, s.unregisteredRows))
	api.HandleFunc("GET /api/ledger/quarantine", listAPI(s, s.quarantineRows))
	api.HandleFunc("POST /api/ledger/enterprises/{uscc}/confirm", s.apiConfirm)
	api.HandleFunc("POST /api/workbook/import", s.apiImport)
	api.HandleFunc("GET /api/workbook/export", s.downloadWorkbook)
	api.HandleFunc("GET /api/workbook/rejected/{id}", s.downloadRejected)
}

// The ledger page's tabs.
const (
	tabEnterprises  = "enterprises"
	tabOperators    = "operators"
	tabUnregistered = "unregistered"
	tabQuarantine   = "quarantine"
)

// ledgerQuery is a listing's query: a search, the community, 待核实 only, an enterprise state
// (ledger.StateNotOnPlatform, StateDrifted, StateAwaitingPush), and the page.
type ledgerQuery struct {
	Q             string
	Community     string
	PendingReview bool
	State         string
	Page, Size    int
}

func (s *Server) ledgerQuery(r *http.Request) ledgerQuery {
	q := r.URL.Query()
	lq := ledgerQuery{Q: strings.TrimSpace(q.Get("q")), Community: q.Get("community"), PendingReview: boolParam(r, "pendingReview"),
		Page: intParam(r, "page", 1, 1, 1<<20), Size: intParam(r, "size", 50, 1, 1000)}
	switch st := q.Get("state"); st {
	case ledger.StateNotOnPlatform, ledger.StateDrifted, ledger.StateAwaitingPush:
		lq.State = st
	}
	return lq
}

func (q ledgerQuery) offset() int { return (q.Page - 1) * q.Size }

// enterpriseRow is an enterprise as the ledger page lists it.
type enterpriseRow struct {
	USCC          string `json:"uscc"`
	Name          string `json:"name"`
	Community     string `json:"community"`
	Industry      string `json:"industry"`
	KeyRisks      string `json:"keyRisks"`
	Employees     int    `json:"employees"`
	Status        string `json:"status"`
	Principal     string `json:"principal"`
	PlatformID    string `json:"platformId"`
	Grade         string `json:"grade"`
	PendingReview bool   `json:"pendingReview"`
	State         string `json:"syncState"`
	Warnings      int    `json:"warnings"`
}

func newEnterpriseRow(e *ledger.EnterpriseRecord) enterpriseRow {
	return enterpriseRow{
		USCC: e.USCC, Name: e.Name, Community: e.Community, Industry: e.Industry.Label(),
		KeyRisks: mapping.KeyRiskLabels(e.KeyRisks), Employees: e.Employees, Status: e.Status.Label(),
		Principal: e.Principal, PlatformID: e.PlatformID, Grade: e.Grade.Label(),
		PendingReview: e.PendingReview, State: e.SyncState().String(), Warnings: len(e.Warnings),
	}
}

// operatorRow is a roster entry as the ledger page lists it; the ID number is masked.
type operatorRow struct {
	Name       string `json:"name"`
	IDNumber   string `json:"idNumber"`
	Enterprise string `json:"enterprise"`
	USCC       string `json:"enterpriseUscc"`
	Community  string `json:"community"`
	Item       string `json:"item"`
	ItemCode   string `json:"itemCode"`
	StartDate  string `json:"startDate"`
	EndDate    string `json:"endDate"`
	OnDuty     bool   `json:"onDuty"`
}

func (s *Server) newOperatorRow(l *ledger.OperatorListing, today mapping.Date) operatorRow {
	item := l.ItemCode
	if it, ok := s.catalog.Item(l.ItemCode); ok {
		item = it.Name
	}
	return operatorRow{
		Name: l.Name, IDNumber: mask.ID(l.IDNumber), Enterprise: l.EnterpriseName, USCC: l.EnterpriseUSCC,
		Community: l.Community, Item: item, ItemCode: l.ItemCode, StartDate: l.StartDate.String(),
		EndDate: l.EndDate.String(), OnDuty: l.Operator.OnDuty(today),
	}
}

// quarantineRow is an entry of the quarantine as the page lists it, masked.
type quarantineRow struct {
	ID          int64  `json:"id"`
	Source      string `json:"source"`
	Kind        string `json:"kind"`
	Key         string `json:"key"`
	Reasons     string `json:"reasons"`
	Occurrences int    `json:"occurrences"`
	FirstSeenAt string `json:"firstSeenAt"`
	LastSeenAt  string `json:"lastSeenAt"`
}

func (s *Server) newQuarantineRow(e *ledger.QuarantineEntry) quarantineRow {
	var reasons []string
	for _, p := range e.Reasons {
		reasons = append(reasons, p.Error())
	}
	return quarantineRow{ID: e.ID, Source: sourceName(e.Source), Kind: recordKindName(e.Kind), Key: mask.IDsInText(e.Key),
		Reasons: mask.IDsInText(strings.Join(reasons, "；")), Occurrences: e.Occurrences,
		FirstSeenAt: e.FirstSeenAt.In(s.loc).Format("2006-01-02 15:04"), LastSeenAt: e.LastSeenAt.In(s.loc).Format("2006-01-02 15:04")}
}

func (s *Server) enterpriseRows(ctx context.Context, q ledgerQuery) ([]enterpriseRow, int, error) {
	recs, total, err := s.deps.Ledger.EnterprisePage(ctx, ledger.EnterpriseQuery{Community: q.Community, PendingReview: q.PendingReview,
		State: q.State, Search: q.Q, Offset: q.offset(), Limit: q.Size})
	if err != nil {
		return nil, 0, err
	}
	rows := make([]enterpriseRow, len(recs))
	for i := range recs {
		rows[i] = newEnterpriseRow(&recs[i])
	}
	return rows, total, nil
}

// operatorRows lists the roster: a search is a whole ID number (that person), a USCC (that
// enterprise's roster) or a piece of a person's or an enterprise's name.
func (s *Server) operatorRows(ctx context.Context, q ledgerQuery) ([]operatorRow, int, error) {
	oq := ledger.OperatorQuery{Community: q.Community, Offset: q.offset(), Limit: q.Size}
	switch up := strings.ToUpper(q.Q); {
	case len(up) == 18 && validIDShape(up):
		oq.IDNumber = up
	case usccShape(up):
		oq.EnterpriseUSCC = up
	default:
		oq.Search = q.Q
	}
	list, total, err := s.deps.Ledger.OperatorPage(ctx, oq)
	if err != nil {
		return nil, 0, err
	}
	today := s.today()
	rows := make([]operatorRow, len(list))
	for i := range list {
		rows[i] = s.newOperatorRow(&list[i], today)
	}
	return rows, total, nil
}

// unregisteredRows lists the on-duty operators with a valid certificate and no registration:
// the count and the first pages from the tally (the count is the front page's), deeper pages
// from the ledger.
func (s *Server) unregisteredRows(ctx context.Context, q ledgerQuery) ([]operatorRow, int, error) {
	today := s.today()
	tl, err := s.tallies.get(ctx)
	if err != nil {
		return nil, 0, err
	}
	total := tl.UnregisteredTotal
	var list []ledger.OperatorListing
	if end := q.offset() + q.Size; end <= len(tl.Unregistered) || len(tl.Unregistered) == total {
		list = tl.Unregistered[min(q.offset(), len(tl.Unregistered)):min(end, len(tl.Unregistered))]
	} else if list, _, err = s.deps.Ledger.UnregisteredPage(ctx, today, q.offset(), q.Size); err != nil {
		return nil, 0, err
	}
	rows := make([]operatorRow, len(list))
	for i := range list {
		rows[i] = s.newOperatorRow(&list[i], today)
	}
	return rows, total, nil
}

func (s *Server) quarantineRows(ctx context.Context, q ledgerQuery) ([]quarantineRow, int, error) {
	list, total, err := s.deps.Ledger.QuarantinePage(ctx, ledger.QuarantineQuery{Offset: q.offset(), Limit: q.Size})
	if err != nil {
		return nil, 0, err
	}
	rows := make([]quarantineRow, len(list))
	for i := range list {
		rows[i] = s.newQuarantineRow(&list[i])
	}
	return rows, total, nil
}

// validIDShape reports whether s looks like an ID number: 17 digits and a check character.
func validIDShape(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	c := s[17]
	return c >= '0' && c <= '9' || c == 'X'
}

type ledgerData struct {
	Tab          string
	Query        ledgerQuery
	Enterprises  []enterpriseRow
	Operators    []operatorRow
	Quarantine   []quarantineRow
	Down         string
	Communities  []string
	Pager        pager
	Counts       struct{ Enterprises, Operators int }
	Import       *ImportResult
	MaxUpload    string
	StateName    string
	Unregistered bool
}

func (s ledgerScreen) ledgerPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	h := s.checkHealth(ctx)
	q := s.ledgerQuery(r)
	d := ledgerData{Tab: tabEnterprises, Query: q, MaxUpload: sizeText(s.opt.MaxUploadBytes), Import: s.sessions.takeImport(sess),
		StateName: enterpriseStateName(q.State), Pager: newPager(r, q.Page, q.Size, 0)}
	switch t := r.URL.Query().Get("tab"); t {
	case tabOperators, tabUnregistered, tabQuarantine:
		d.Tab = t
	}
	if msg := h.down(needsLedger); msg != "" {
		d.Down = msg
		s.renderScreen(w, r, sess, h, "ledger", "台账", d)
		return
	}
	err := func() error {
		var err error
		if d.Communities, err = s.comms.get(ctx); err != nil {
			return err
		}
		if _, d.Counts.Enterprises, err = s.deps.Ledger.EnterprisePage(ctx, ledger.EnterpriseQuery{}); err != nil {
			return err
		}
		if _, d.Counts.Operators, err = s.deps.Ledger.OperatorPage(ctx, ledger.OperatorQuery{}); err != nil {
			return err
		}
		var total int
		switch d.Tab {
		case tabOperators:
			d.Operators, total, err = s.operatorRows(ctx, q)
		case tabUnregistered:
			d.Operators, total, err = s.unregisteredRows(ctx, q)
		case tabQuarantine:
			d.Quarantine, total, err = s.quarantineRows(ctx, q)
		default:
			d.Enterprises, total, err = s.enterpriseRows(ctx, q)
		}
		d.Pager = newPager(r, q.Page, q.Size, total)
		return err
	}()
	if err != nil {
		d.Down = s.unreadable(r, err)
	}
	s.renderScreen(w, r, sess, h, "ledger", "台账", d)
}

func (s ledgerScreen) confirmEnterprise(r *http.Request, sess *session) (string, error) {
	uscc := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("uscc")))
	if err := s.deps.Ledger.ConfirmEnterprise(r.Context(), uscc); err != nil {
		return "", err
	}
	s.comms.invalidate()
	s.tallies.invalidate()
	return fmt.Sprintf(flashConfirmed, uscc), nil
}

// importPage takes a workbook upload from the console. The CSRF token travels in the form
// before the file and is checked before the file is read.
func (s ledgerScreen) importPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.postSession(w, r)
	if !ok {
		return
	}
	up, err := s.readUpload(w, r, func(fields map[string]string) error {
		if !csrfOK(sess, fields["csrf"]) {
			return errCSRF
		}
		return nil
	})
	switch {
	case errors.Is(err, errCSRF):
		s.errorPage(w, r, http.StatusForbidden, msgCSRF)
		return
	case errors.Is(err, errUploadTooLarge):
		s.errorPage(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgUploadTooLarge, sizeText(s.opt.MaxUploadBytes)))
		return
	case err != nil:
		s.flashResult(r, sess, "", err)
		http.Redirect(w, r, "/ledger", http.StatusSeeOther)
		return
	}
	dry := up.fields["dryRun"] != ""
	res, err := s.importWorkbook(r, up, dry)
	if err != nil {
		s.flashResult(r, sess, "", err)
	} else {
		format := flashImported
		if dry {
			format = flashDryRun
		}
		kind := "ok"
		if res.rejectedRows() > 0 {
			kind = "error" // as the result below it: red when rows were rejected
		}
		s.sessions.setImport(sess, res)
		s.sessions.addFlash(sess, kind, fmt.Sprintf(format, res.Enterprises.Inserted, res.Enterprises.Updated,
			res.Operators.Inserted, res.Operators.Updated, res.rejectedRows()))
	}
	http.Redirect(w, r, "/ledger", http.StatusSeeOther)
}

// listAPI answers a page of a ledger listing as {"items", "page", "size", "more", "total",
// "pages"} (query: q, community, pendingReview, state, page, size).
func listAPI[T any](s ledgerScreen, rows func(ctx context.Context, q ledgerQuery) ([]T, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := s.ledgerQuery(r)
		items, total, err := rows(r.Context(), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeJSON(w, http.StatusOK, pageOf(items, q.Page, q.Size, total))
	}
}

func (s ledgerScreen) apiConfirm(w http.ResponseWriter, r *http.Request) {
	uscc := strings.ToUpper(strings.TrimSpace(r.PathValue("uscc")))
	if err := s.deps.Ledger.ConfirmEnterprise(r.Context(), uscc); err != nil {
		s.fail(w, r, err)
		return
	}
	s.comms.invalidate()
	s.tallies.invalidate()
	s.writeJSON(w, http.StatusOK, struct {
		Confirmed string `json:"confirmed"`
	}{uscc})
}

// apiImport loads an uploaded workbook: multipart/form-data with the file in field "file";
// ?dryRun=true checks it without writing.
func (s ledgerScreen) apiImport(w http.ResponseWriter, r *http.Request) {
	up, err := s.readUpload(w, r, nil)
	if err != nil {
		s.failUpload(w, r, err)
		return
	}
	res, err := s.importWorkbook(r, up, boolParam(r, "dryRun") || up.fields["dryRun"] == "true")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.ListID != "" {
		res.RejectedList = apiRejectedListPath(res.ListID)
	}
	s.writeJSON(w, http.StatusOK, res)
}

// downloadWorkbook streams the ledger workbook (a city's is tens of megabytes: it is not held in
// memory). It is the ledger's own copy: the operator contract keeps ID numbers whole in it, so
// that it can be edited and imported again.
func (s ledgerScreen) downloadWorkbook(w http.ResponseWriter, r *http.Request) {
	lw := &lazyFile{w: w, name: "企业台账-" + s.now().In(s.loc).Format("20060102") + ".xlsx"}
	if err := s.deps.Workbook.Export(r.Context(), lw); err != nil && !lw.started {
		s.fail(w, r, err)
	}
}
