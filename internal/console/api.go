package console

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/logging"
	"streetsync/scheduler"
)

// The JSON API, under /api/. Every route needs "Authorization: Bearer <console.token>"; the
// shapes are the CLI's --format json where the CLI has one.

func (s *Server) apiRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/overview", s.apiOverview)
	mux.HandleFunc("GET /api/jobs/runs", s.apiRuns)
	mux.HandleFunc("GET /api/jobs/status", s.apiJobStatus)
	mux.HandleFunc("POST /api/jobs/run", s.apiRunJob)
	mux.HandleFunc("GET /api/queue/stats", s.apiQueueStats)
	mux.HandleFunc("GET /api/queue/items", s.apiQueueItems)
	mux.HandleFunc("POST /api/queue/retry", s.apiQueueRetry)
	mux.HandleFunc("POST /api/queue/drop", s.apiQueueDrop)
	mux.HandleFunc("POST /api/reconcile", s.apiReconcile(false))
	mux.HandleFunc("POST /api/reconcile/apply", s.apiReconcile(true))
	mux.HandleFunc("GET /api/reconcile/report", s.apiReport)
	mux.HandleFunc("GET /api/reconcile/report.xlsx", s.downloadReport)
	mux.HandleFunc("GET /api/alerts", s.apiAlerts)
	mux.HandleFunc("GET /api/alerts/{key}", s.apiAlert)
	mux.HandleFunc("POST /api/alerts/{key}/ack", s.apiAck)
	mux.HandleFunc("POST /api/alerts/silence", s.apiSilence)
	mux.HandleFunc("GET /api/alarms", s.apiAlarms)
	mux.HandleFunc("POST /api/alarms/{id}/feedback", s.apiFeedback)
	mux.HandleFunc("GET /api/ledger/enterprises", s.apiEnterprises)
	mux.HandleFunc("GET /api/ledger/operators", s.apiOperators)
	mux.HandleFunc("POST /api/ledger/enterprises/{uscc}/confirm", s.apiConfirm)
	mux.HandleFunc("POST /api/workbook/import", s.apiImport)
	mux.HandleFunc("GET /api/workbook/export", s.downloadWorkbook)
	mux.HandleFunc("GET /api/workbook/rejected/{id}", s.downloadRejected)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeAPIError(w, http.StatusNotFound, msgPageNotFound)
	})
	return s.apiAuth(mux)
}

// apiAuth checks the bearer token. The right token always passes; a client address that keeps
// presenting wrong ones is answered 429 (failureLimiter).
func (s *Server) apiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if ok && s.token.ok(tok) {
			next.ServeHTTP(w, r)
			return
		}
		client := s.clientAddr(r)
		if s.failures.blocked(client) {
			w.Header().Set("Retry-After", strconv.Itoa(int(failureRefill/time.Second)))
			s.writeAPIError(w, http.StatusTooManyRequests, msgTooManyLogins)
			return
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="streetsync"`)
			s.writeAPIError(w, http.StatusUnauthorized, msgNoToken)
			return
		}
		s.failures.fail(client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="streetsync", error="invalid_token"`)
		s.writeAPIError(w, http.StatusUnauthorized, msgBadToken)
	})
}

// operatorOf says who did something through the API: the X-Operator header (percent-encoded
// UTF-8 allowed), else "API".
func operatorOf(r *http.Request, given string) string {
	if v := strings.TrimSpace(given); v != "" {
		return v
	}
	if v := r.Header.Get("X-Operator"); v != "" {
		if u, err := url.PathUnescape(v); err == nil && strings.TrimSpace(u) != "" {
			return strings.TrimSpace(u)
		}
	}
	return "API"
}

func intParam(r *http.Request, name string, def, lo, hi int) int {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		return def
	}
	return max(lo, min(hi, v))
}

func boolParam(r *http.Request, name string) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return v
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	o, err := s.overview(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, o)
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	job := r.URL.Query().Get("job")
	if job != "" && (job == jobAll || !validJob(job)) {
		s.fail(w, r, inputErr(msgUnknownJob, job))
		return
	}
	runs, err := s.deps.History.Runs(r.Context(), job, intParam(r, "limit", 50, 1, 500))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, maskRuns(runs))
}

// apiJobStatus answers per job, in run order: its schedule, what became of its latest tick
// (tickState ok, late 延迟, missed 未运行, running, due), the next tick, the last run and the last
// success.
func (s *Server) apiJobStatus(w http.ResponseWriter, r *http.Request) {
	if s.deps.Status == nil {
		s.writeAPIError(w, http.StatusNotFound, msgPageNotFound)
		return
	}
	st, err := s.deps.Status.JobStatus(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range st {
		for _, run := range []*scheduler.Run{st[i].LastRun, st[i].LastSuccess} {
			if run != nil {
				run.Reason, run.Error = logging.MaskIDsInText(run.Reason), logging.MaskIDsInText(run.Error)
			}
		}
	}
	s.writeJSON(w, http.StatusOK, st)
}

func maskRuns(runs []Run) []Run {
	if runs == nil {
		return []Run{}
	}
	for i := range runs {
		runs[i].Error = logging.MaskIDsInText(runs[i].Error)
		runs[i].Reason = logging.MaskIDsInText(runs[i].Reason)
	}
	return runs
}

// apiRunJob runs a job now and answers with `sync --format json`: one summary, or a list for
// "all". The run belongs to the server: a client that gives up does not stop it.
func (s *Server) apiRunJob(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Job  string `json:"job"`
		Full bool   `json:"full"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	t, err := s.startJob(req.Job, req.Full)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	waitsForTask(w)
	if !t.wait(r.Context(), 0) {
		return // the client went away; the run goes on
	}
	if t.err != nil {
		s.fail(w, r, t.err)
		return
	}
	sums, _ := t.result.([]jobs.Summary)
	if req.Job != jobAll && len(sums) == 1 {
		s.writeJSON(w, http.StatusOK, sums[0])
		return
	}
	if sums == nil {
		sums = []jobs.Summary{}
	}
	s.writeJSON(w, http.StatusOK, sums)
}

func (s *Server) apiQueueStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.deps.Queue.Stats(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiQueueItems(w http.ResponseWriter, r *http.Request) {
	items, err := s.queueItems(r.Context(), boolParam(r, "dead"), r.URL.Query().Get("job"), intParam(r, "limit", 1000, 1, 10000))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, items)
}

type queueRequest struct {
	IDs     []string `json:"ids"`
	AllDead bool     `json:"allDead"`
	Job     string   `json:"job"` // with allDead: one job kind only
}

func (s *Server) apiQueueRetry(w http.ResponseWriter, r *http.Request) {
	var req queueRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	var n int
	var err error
	switch {
	case req.AllDead:
		n, err = s.deps.Queue.RetryAllDead(r.Context(), req.Job)
	case len(req.IDs) == 0:
		err = inputErr(msgNoIDs)
	default:
		n, err = s.deps.Queue.RetryDead(r.Context(), req.IDs...)
	}
	if err != nil && n == 0 {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, queueResult{Count: n, Error: errText(err)})
}

func (s *Server) apiQueueDrop(w http.ResponseWriter, r *http.Request) {
	var req queueRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if len(req.IDs) == 0 {
		s.fail(w, r, inputErr(msgNoIDs))
		return
	}
	n, err := s.deps.Queue.Drop(r.Context(), req.IDs...)
	if err != nil && n == 0 {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, queueResult{Count: n, Error: errText(err)})
}

// queueResult says how many items a retry or drop moved, and what went wrong with the others.
type queueResult struct {
	Count int    `json:"count"`
	Error string `json:"error,omitempty"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return logging.MaskIDsInText(err.Error())
}

func (s *Server) apiReconcile(apply bool) http.HandlerFunc {
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

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	st := s.lastReport()
	if st == nil {
		s.writeAPIError(w, http.StatusNotFound, msgNoReport)
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

// downloadReport writes the last reconciliation as .xlsx (API and console alike).
func (s *Server) downloadReport(w http.ResponseWriter, r *http.Request) {
	st := s.lastReport()
	if st == nil {
		s.writeAPIError(w, http.StatusNotFound, msgNoReport)
		return
	}
	var buf bytes.Buffer
	if err := s.deps.Reconciler.WriteXLSX(&buf, st.Report); err != nil {
		s.fail(w, r, err)
		return
	}
	name := "对账报告-" + st.FinishedAt.Format("20060102-1504") + ".xlsx"
	s.sendFile(w, name, buf.Bytes())
}

// downloadWorkbook writes the ledger workbook. It is the ledger's own copy: the operator
// contract keeps ID numbers whole in it, so that it can be edited and imported again.
func (s *Server) downloadWorkbook(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := s.deps.Workbook.Export(r.Context(), &buf); err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendFile(w, "企业台账-"+s.now().In(s.loc).Format("20060102")+".xlsx", buf.Bytes())
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) sendFile(w http.ResponseWriter, name string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// apiAlerts is one page of the alerts (query: family, severity, rule, community, enterprise,
// status, q, page, pageSize): {"alerts": […], "total", "page", "pageSize", "pages"}.
func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) {
	p, err := s.alertPage(r.Context(), alertFilter(r, apiAlertsPageSize))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, p)
}

// apiAlertsPageSize is /api/alerts' page when none is asked for.
const apiAlertsPageSize = 100

// alertFilter reads a listing's filter from the query: family, severity, rule, community,
// enterprise, status, q (the search), page, pageSize.
func alertFilter(r *http.Request, pageSize int) alerts.Filter {
	q := r.URL.Query()
	return alerts.Filter{
		Family: q.Get("family"), Severity: q.Get("severity"), Rule: q.Get("rule"), Community: q.Get("community"),
		Enterprise: q.Get("enterprise"), Status: q.Get("status"), Search: q.Get("q"),
		Page: intParam(r, "page", 1, 1, 1<<20), PageSize: intParam(r, "pageSize", pageSize, 1, 1000),
	}
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request) {
	rec, events, err := s.deps.Alerts.History(r.Context(), r.PathValue("key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range events {
		events[i].Note = logging.MaskIDsInText(events[i].Note)
		events[i].Error = logging.MaskIDsInText(events[i].Error)
	}
	if events == nil {
		events = []alerts.Event{}
	}
	s.writeJSON(w, http.StatusOK, struct {
		Alert   alerts.Record  `json:"alert"`
		History []alerts.Event `json:"history"`
	}{maskAlert(*rec), events})
}

func (s *Server) apiAck(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Note string `json:"note"`
		By   string `json:"by"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if err := s.deps.Alerts.Ack(r.Context(), r.PathValue("key"), operatorOf(r, req.By), req.Note); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Acknowledged bool `json:"acknowledged"`
	}{true})
}

func (s *Server) apiSilence(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Target    string `json:"target"` // an alert key or an ID number
		Community string `json:"community"`
		Rule      string `json:"rule"`
		Until     string `json:"until"`
		Reason    string `json:"reason"`
		By        string `json:"by"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	sl, err := s.silence(r.Context(), req.Target, req.Community, req.Rule, req.Until, req.Reason, operatorOf(r, req.By))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, sl)
}

func (s *Server) apiAlarms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	aq := alarmQuery{Community: q.Get("community"), Unhandled: boolParam(r, "unhandled"), Active: boolParam(r, "active"),
		Days: intParam(r, "days", 0, 0, 3660), Page: intParam(r, "page", 1, 1, 1<<20), Size: intParam(r, "size", 100, 1, 1000)}
	rows, more, err := s.alarmRows(r.Context(), aq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pageOf(rows, aq.Page, aq.Size, more))
}

// listPage is a page of a listing.
type listPage[T any] struct {
	Items []T  `json:"items"`
	Page  int  `json:"page"`
	Size  int  `json:"size"`
	More  bool `json:"more"`
}

func pageOf[T any](items []T, page, size int, more bool) listPage[T] {
	if items == nil {
		items = []T{}
	}
	return listPage[T]{Items: items, Page: page, Size: size, More: more}
}

func (s *Server) apiFeedback(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status  string `json:"status"`
		Note    string `json:"note"`
		Handler string `json:"handler"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	created, err := s.recordFeedback(r.Context(), r.PathValue("id"), req.Status, req.Note, req.Handler)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, status, struct {
		Created bool `json:"created"`
	}{created})
}

func (s *Server) ledgerQuery(r *http.Request) ledgerQuery {
	q := r.URL.Query()
	return ledgerQuery{Q: strings.TrimSpace(q.Get("q")), Community: q.Get("community"), PendingReview: boolParam(r, "pendingReview"),
		Page: intParam(r, "page", 1, 1, 1<<20), Size: intParam(r, "size", 50, 1, 1000)}
}

func (s *Server) apiEnterprises(w http.ResponseWriter, r *http.Request) {
	q := s.ledgerQuery(r)
	rows, more, err := s.enterpriseRows(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pageOf(rows, q.Page, q.Size, more))
}

func (s *Server) apiOperators(w http.ResponseWriter, r *http.Request) {
	q := s.ledgerQuery(r)
	rows, more, err := s.operatorRows(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pageOf(rows, q.Page, q.Size, more))
}

func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request) {
	uscc := strings.ToUpper(strings.TrimSpace(r.PathValue("uscc")))
	if err := s.deps.Ledger.ConfirmEnterprise(r.Context(), uscc); err != nil {
		s.fail(w, r, err)
		return
	}
	s.dir.invalidate()
	s.writeJSON(w, http.StatusOK, struct {
		Confirmed string `json:"confirmed"`
	}{uscc})
}

// apiImport loads an uploaded workbook: multipart/form-data with the file in field "file";
// ?dryRun=true checks it without writing.
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) {
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

func (s *Server) failUpload(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errUploadTooLarge) {
		s.writeAPIError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgUploadTooLarge, sizeText(s.opt.MaxUploadBytes)))
		return
	}
	s.fail(w, r, err)
}

// upload is a workbook read from a multipart form, with the form's other (small) fields.
type upload struct {
	name   string
	data   []byte
	fields map[string]string
}

var errUploadTooLarge = errors.New("upload too large")

// readUpload reads a multipart form holding one workbook (field "file") and small text fields.
// The whole body is bounded by MaxUploadBytes plus room for the fields. before, when set, is
// called with the text fields that precede the file, and may refuse the request (the console's
// CSRF check, made before the file is read).
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, before func(fields map[string]string) error) (*upload, error) {
	limit := s.opt.MaxUploadBytes + 64<<10
	if r.ContentLength > limit {
		return nil, errUploadTooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, inputErr(msgNoFile)
	}
	up := &upload{fields: map[string]string{}}
	checked := before == nil
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, uploadErr(err)
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(p, 4<<10))
			if err != nil {
				return nil, uploadErr(err)
			}
			up.fields[p.FormName()] = string(v)
			continue
		}
		if p.FormName() != "file" || up.data != nil {
			continue
		}
		if !checked {
			if err := before(up.fields); err != nil {
				return nil, err
			}
			checked = true
		}
		up.name = filepath.Base(p.FileName())
		up.data, err = io.ReadAll(io.LimitReader(p, s.opt.MaxUploadBytes+1))
		if err != nil {
			return nil, uploadErr(err)
		}
		if int64(len(up.data)) > s.opt.MaxUploadBytes {
			return nil, errUploadTooLarge
		}
	}
	if !checked {
		if err := before(up.fields); err != nil {
			return nil, err
		}
	}
	if up.data == nil || up.name == "" {
		return nil, inputErr(msgNoFile)
	}
	return up, nil
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errUploadTooLarge
	}
	return inputErr(msgBadForm)
}

func (s *Server) importWorkbook(r *http.Request, up *upload, dryRun bool) (*ImportResult, error) {
	switch strings.ToLower(filepath.Ext(up.name)) {
	case ".xlsx", ".csv":
	default:
		return nil, inputErr(msgBadFileType)
	}
	res, err := s.deps.Workbook.Import(r.Context(), up.name, bytes.NewReader(up.data), dryRun)
	if err != nil {
		return nil, err
	}
	res.DryRun = dryRun
	maskImport(res)
	if !dryRun {
		s.dir.invalidate()
	}
	return res, nil
}
