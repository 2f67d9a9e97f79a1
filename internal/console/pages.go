package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/scheduler/retry"
)

// The web console: server-rendered pages with plain forms (POST, then redirect back with a
// one-time message). Every page needs a session; every form that changes something is checked
// for its Origin and its CSRF token.

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", s.apiRoutes())
	if s.opt.Metrics != nil {
		mux.Handle("GET /metrics", s.apiAuth(s.opt.Metrics))
	}
	mux.Handle("GET /static/", s.staticFiles())
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.action(s.logout))
	mux.HandleFunc("GET /{$}", s.page(s.overviewPage))
	mux.HandleFunc("GET /jobs", s.page(s.jobsPage))
	mux.HandleFunc("POST /jobs/run", s.action(s.runJob))
	mux.HandleFunc("GET /queue", s.page(s.queuePage))
	mux.HandleFunc("POST /queue/retry", s.action(s.queueRetry))
	mux.HandleFunc("POST /queue/drop", s.action(s.queueDrop))
	mux.HandleFunc("GET /reconcile", s.page(s.reconcilePage))
	mux.HandleFunc("POST /reconcile/run", s.action(s.runReconcile(false)))
	mux.HandleFunc("POST /reconcile/apply", s.action(s.runReconcile(true)))
	mux.HandleFunc("GET /reconcile/report.xlsx", s.page(s.consoleDownload(s.downloadReport)))
	mux.HandleFunc("GET /alerts", s.page(s.alertsPage))
	mux.HandleFunc("POST /alerts/ack", s.action(s.ackAlert))
	mux.HandleFunc("POST /alerts/silence", s.action(s.silenceAlert))
	mux.HandleFunc("GET /alarms", s.page(s.alarmsPage))
	mux.HandleFunc("POST /alarms/feedback", s.action(s.alarmFeedback))
	mux.HandleFunc("GET /ledger", s.page(s.ledgerPage))
	mux.HandleFunc("POST /ledger/confirm", s.action(s.confirmEnterprise))
	mux.HandleFunc("POST /ledger/import", s.importPage)
	mux.HandleFunc("GET /ledger/export.xlsx", s.page(s.consoleDownload(s.downloadWorkbook)))
	mux.HandleFunc("GET /ledger/import/rejected/{id}", s.page(s.downloadRejectedPage))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, msgPageNotFound)
	})
	return s.recoverer(securityHeaders(mux))
}

// staticFiles serves the embedded CSS and JS. A directory is not found: http.FileServer would list
// it, and nothing the pages link to is one.
func (s *Server) staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(s.staticFS, name); name == "" || strings.HasSuffix(name, "/") || err != nil || fi.IsDir() {
			s.errorPage(w, r, http.StatusNotFound, msgPageNotFound)
			return
		}
		if r.URL.Query().Get("v") == s.assetVer {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		s.static.ServeHTTP(w, r)
	})
}

// ---- sessions and forms ----

func (s *Server) sessionOf(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	return s.sessions.get(c.Value)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteStrictMode,
	})
}

type pageHandler func(w http.ResponseWriter, r *http.Request, sess *session)

// page serves a page to a logged-in browser and sends anyone else to the login page.
func (s *Server) page(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.sessionOf(r)
		if !ok {
			s.toLogin(w, r)
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
	}
	if _, err := r.Cookie(sessionCookie); err == nil {
		s.setSessionCookie(w, r, "", -1)
		http.Redirect(w, r, "/login?expired=1&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// postSession is the session of a form post that comes from one of our own pages. Without a
// session it sends the browser to the login page, from another origin it refuses; either way it
// has answered and returns false.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	sess, ok := s.sessionOf(r)
	if !ok {
		s.toLogin(w, r)
		return nil, false
	}
	if !s.sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, msgCSRF)
		return nil, false
	}
	return sess, true
}

// actionHandler changes something and returns the message to show, or an error.
type actionHandler func(r *http.Request, sess *session) (string, error)

// action serves a form post: session, Origin, body size and CSRF token are checked before h
// runs; afterwards the browser is sent back (the form's "return" field) with h's message.
func (s *Server) action(h actionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.postSession(w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxJSONBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.errorPage(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgJSONTooLarge, sizeText(s.opt.MaxJSONBytes)))
				return
			}
			s.errorPage(w, r, http.StatusBadRequest, msgBadForm)
			return
		}
		if !csrfOK(sess, r.PostForm.Get("csrf")) {
			s.errorPage(w, r, http.StatusForbidden, msgCSRF)
			return
		}
		msg, err := h(r, sess)
		s.flashResult(r, sess, msg, err)
		if r.URL.Path == "/logout" {
			http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, safeReturn(r.PostForm.Get("return"), s.refererPath(r)), http.StatusSeeOther)
	}
}

func (s *Server) flashResult(r *http.Request, sess *session, msg string, err error) {
	if err != nil {
		_, text := s.classify(r, err)
		s.sessions.addFlash(sess, "error", text)
		return
	}
	if msg != "" {
		s.sessions.addFlash(sess, "ok", msg)
	}
}

// safeReturn accepts only a path on this site, else def. Browsers are generous with what they
// follow: they drop tabs and newlines anywhere in a URL and read a backslash as a slash, so
// "/\t/evil.example/" and "/\\evil.example" both lead to //evil.example. What is left after
// refusing every control character and every backslash must start with exactly one slash and
// parse to a path with no scheme and no host — also once its escapes are decoded, for a proxy or
// browser that decodes them before following.
func safeReturn(v, def string) string {
	if !localPath(v) {
		return def
	}
	if dec, err := url.PathUnescape(v); err != nil || !localPath(dec) {
		return def
	}
	return v
}

// localPath reports whether v is a bare path on this site by the rules of safeReturn.
func localPath(v string) bool {
	if len(v) < 1 || v[0] != '/' || len(v) > 1 && v[1] == '/' {
		return false
	}
	for _, r := range v {
		if r == '\\' || unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == "" && !strings.HasPrefix(u.Path, "//")
}

func (s *Server) refererPath(r *http.Request) string {
	if u, err := url.Parse(r.Header.Get("Referer")); err == nil && u.Path != "" && strings.EqualFold(u.Host, s.requestHost(r)) {
		return safeReturn(u.RequestURI(), "/")
	}
	return "/"
}

// ---- rendering ----

// view is what every page template gets.
type view struct {
	Title    string
	Nav      string
	Region   string
	Operator string
	CSRF     string
	Flashes  []flash
	Asset    string
	Refresh  int // seconds until the page reloads itself (a task is running); 0: never
	Path     string
	Data     any
}

var pageFiles = []string{"overview", "jobs", "queue", "reconcile", "alerts", "alarms", "ledger", "login", "error"}

func (s *Server) parseTemplates() (map[string]*template.Template, error) {
	funcs := s.templateFuncs()
	out := map[string]*template.Template{}
	for _, p := range pageFiles {
		t, err := template.New(p).Funcs(funcs).ParseFS(assets, "assets/templates/layout.html", "assets/templates/"+p+".html")
		if err != nil {
			return nil, err
		}
		out[p] = t
	}
	return out, nil
}

// render writes a page: into a buffer first (a template error becomes a clean 500), then
// through the ID-number safety net.
func (s *Server) render(w http.ResponseWriter, r *http.Request, sess *session, status int, name, title string, data any) {
	v := view{Title: title, Nav: name, Region: s.opt.Region, Asset: s.assetVer, Path: r.URL.RequestURI(), Data: data}
	if sess != nil {
		v.Operator, v.CSRF, v.Flashes = sess.operator, sess.csrf, s.sessions.takeFlashes(sess)
	}
	if rf, ok := data.(interface{ refresh() int }); ok {
		v.Refresh = rf.refresh()
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("console: render page", zap.String("page", name), zap.Error(err))
		http.Error(w, msgInternal, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(maskBody(buf.Bytes()))
}

type errorData struct {
	Status  int
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	sess, _ := s.sessionOf(r)
	s.render(w, r, sess, status, "error", "出错了", errorData{status, msg})
}

// failPage answers a page whose data could not be read.
func (s *Server) failPage(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := s.classify(r, err)
	s.errorPage(w, r, status, msg)
}

// ---- login ----

type loginData struct {
	Next    string
	Message string
	Error   string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := loginData{Next: safeReturn(q.Get("next"), "/")}
	switch {
	case q.Get("expired") != "":
		d.Message = msgSessionEnded
	case q.Get("out") != "":
		d.Message = flashLoggedOut
	}
	if _, ok := s.sessionOf(r); ok {
		http.Redirect(w, r, d.Next, http.StatusSeeOther)
		return
	}
	s.render(w, r, nil, http.StatusOK, "login", "登录", d)
}

// login checks the token and starts a session. The right token always gets in; a client address
// that keeps failing is answered 429 (failureLimiter).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	client := s.clientAddr(r)
	d := loginData{}
	if !s.sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, msgCSRF)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, msgBadForm)
		return
	}
	d.Next = safeReturn(r.PostForm.Get("next"), "/")
	if !s.token.ok(r.PostForm.Get("token")) {
		if s.failures.blocked(client) {
			d.Error = msgTooManyLogins
			w.Header().Set("Retry-After", strconv.Itoa(int(failureRefill/time.Second)))
			s.render(w, r, nil, http.StatusTooManyRequests, "login", "登录", d)
			return
		}
		s.failures.fail(client)
		s.log.Warn("console login refused", zap.String("client", client))
		d.Error = msgBadToken
		s.render(w, r, nil, http.StatusUnauthorized, "login", "登录", d)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("operator"))
	if name == "" {
		name = "安办"
	}
	if len([]rune(name)) > 20 {
		name = string([]rune(name)[:20])
	}
	sess := s.sessions.create(name)
	s.setSessionCookie(w, r, sess.id, int(s.opt.SessionTTL/time.Second))
	s.log.Info("console login", zap.String("client", client), zap.String("operator", name))
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (s *Server) logout(r *http.Request, sess *session) (string, error) {
	s.sessions.delete(sess.id)
	return "", nil
}

// ---- pages ----

// taskView shows a console task: running (the page refreshes) or finished.
type taskView struct {
	Label    string
	Started  time.Time
	Finished time.Time
	Running  bool
	Error    string
}

func (s *Server) taskView(r *http.Request, t *task) *taskView {
	if t == nil {
		return nil
	}
	tv := &taskView{Label: t.label, Started: t.started, Running: !t.finishedYet()}
	if !tv.Running {
		tv.Finished = t.finished
		if t.err != nil {
			_, tv.Error = s.classify(r, t.err)
		}
	}
	return tv
}

type overviewData struct {
	*overview
	AlertChart template.HTML
	AlarmChart template.HTML
	RuleLegend []legendItem
	Strips     map[string]template.HTML
	Running    []*taskView
}

func (d overviewData) refresh() int {
	if len(d.Running) > 0 {
		return 5
	}
	return 0
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request, sess *session) {
	o, err := s.overview(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := overviewData{overview: o, Strips: map[string]template.HTML{}}
	d.AlertChart, d.RuleLegend = alertsChart(o.Communities)
	d.AlarmChart = alarmsChart(o.AlarmDays)
	for _, j := range o.Jobs {
		d.Strips[j.Job] = runStrip(j.Recent, s.loc)
	}
	for _, t := range s.tasks.runningTasks() {
		d.Running = append(d.Running, s.taskView(r, t))
	}
	s.render(w, r, sess, http.StatusOK, "overview", "概览", d)
}

type jobsData struct {
	Jobs    []jobStatus
	Strips  map[string]template.HTML
	Runs    []Run
	Filter  string
	Choices []string
	Task    *taskView
	Result  []jobs.Summary
}

func (d jobsData) refresh() int {
	if d.Task != nil && d.Task.Running {
		return 3
	}
	return 0
}

func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	d := jobsData{Strips: map[string]template.HTML{}, Choices: jobs.Names}
	if f := r.URL.Query().Get("job"); validJob(f) && f != jobAll {
		d.Filter = f
	}
	for _, j := range jobs.Names {
		runs, err := s.deps.History.Runs(ctx, j, overviewRuns)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		js := jobStatus{Job: j, Name: jobName(j), Recent: maskRuns(runs)}
		if len(runs) > 0 {
			js.LastRun = &runs[0]
		}
		d.Jobs = append(d.Jobs, js)
		d.Strips[j] = runStrip(runs, s.loc)
	}
	runs, err := s.deps.History.Runs(ctx, d.Filter, 50)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Runs = maskRuns(runs)
	if t := s.tasks.current("sync"); t != nil {
		d.Task = s.taskView(r, t)
		if !d.Task.Running && t.err == nil {
			d.Result, _ = t.result.([]jobs.Summary)
		}
	}
	s.render(w, r, sess, http.StatusOK, "jobs", "同步任务", d)
}

// waitForm waits briefly for a task a form started and says how it went.
func (s *Server) waitForm(r *http.Request, t *task) (string, error) {
	if !t.wait(r.Context(), s.opt.FormWait) {
		return fmt.Sprintf(flashTaskStarted, t.label), nil
	}
	if t.err != nil {
		_, msg := s.classify(r, t.err)
		return "", &InputError{Reason: fmt.Sprintf(flashTaskFailed, t.label, msg)}
	}
	return fmt.Sprintf(flashTaskDone, t.label), nil
}

func (s *Server) runJob(r *http.Request, sess *session) (string, error) {
	t, err := s.startJob(r.PostForm.Get("job"), r.PostForm.Get("full") != "")
	if err != nil {
		return "", err
	}
	return s.waitForm(r, t)
}

type queueData struct {
	Stats  retry.Stats
	Dead   bool
	Items  []retry.ItemInfo
	Kinds  []string
	Kind   string
	Shown  int
	Capped bool
}

const queuePageLimit = 500

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	d := queueData{Dead: r.URL.Query().Get("view") != "live", Kind: r.URL.Query().Get("job")}
	var err error
	if d.Stats, err = s.deps.Queue.Stats(ctx); err != nil {
		s.failPage(w, r, err)
		return
	}
	if d.Items, err = s.queueItems(ctx, d.Dead, d.Kind, queuePageLimit); err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Shown, d.Capped = len(d.Items), len(d.Items) == queuePageLimit
	for _, it := range d.Items {
		if !slices.Contains(d.Kinds, it.Kind) {
			d.Kinds = append(d.Kinds, it.Kind)
		}
	}
	slices.Sort(d.Kinds)
	s.render(w, r, sess, http.StatusOK, "queue", "重试队列", d)
}

// formIDs are the items a queue form names: the row's own button (id) or the ticked boxes (ids).
func formIDs(r *http.Request) []string {
	if id := strings.TrimSpace(r.PostForm.Get("id")); id != "" {
		return []string{id}
	}
	var ids []string
	for _, id := range r.PostForm["ids"] {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Server) queueRetry(r *http.Request, sess *session) (string, error) {
	var n int
	var err error
	if r.PostForm.Get("all") != "" {
		n, err = s.deps.Queue.RetryAllDead(r.Context(), r.PostForm.Get("job"))
	} else if ids := formIDs(r); len(ids) == 0 {
		return "", inputErr(msgNoIDs)
	} else {
		n, err = s.deps.Queue.RetryDead(r.Context(), ids...)
	}
	if err != nil && n == 0 {
		return "", err
	}
	if err != nil {
		s.sessions.addFlash(sess, "error", errText(err))
	}
	return fmt.Sprintf(flashRetried, n), nil
}

func (s *Server) queueDrop(r *http.Request, sess *session) (string, error) {
	ids := formIDs(r)
	if len(ids) == 0 {
		return "", inputErr(msgNoIDs)
	}
	n, err := s.deps.Queue.Drop(r.Context(), ids...)
	if err != nil && n == 0 {
		return "", err
	}
	if err != nil {
		s.sessions.addFlash(sess, "error", errText(err))
	}
	return fmt.Sprintf(flashDropped, n), nil
}

type reconcileData struct {
	State   *reportState
	Task    *taskView
	Scope   Scope
	Counts  reportCounts
	IsEmpty bool
}

type reportCounts struct {
	OnlyInLedger, OnlyOnPlatform, Different, Unregistered, Uncertified, UnknownItems int
}

func (d reconcileData) refresh() int {
	if d.Task != nil && d.Task.Running {
		return 3
	}
	return 0
}

func (s *Server) reconcilePage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := reconcileData{State: s.lastReport(), Scope: Scope{What: ScopeAll}}
	if t := s.tasks.current("reconcile"); t != nil {
		d.Task = s.taskView(r, t)
	}
	if d.State != nil {
		d.Scope = d.State.Scope
		if rep := d.State.Report; rep != nil {
			d.IsEmpty = rep.empty()
			if e := rep.Enterprises; e != nil {
				d.Counts.OnlyInLedger, d.Counts.OnlyOnPlatform, d.Counts.Different = len(e.OnlyInLedger), len(e.OnlyOnPlatform), len(e.Different)
			}
			if o := rep.Operators; o != nil {
				d.Counts.Unregistered, d.Counts.Uncertified, d.Counts.UnknownItems = len(o.Unregistered), o.Uncertified, len(o.UnknownItems)
			}
		}
	}
	s.render(w, r, sess, http.StatusOK, "reconcile", "对账", d)
}

func (s *Server) runReconcile(apply bool) actionHandler {
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

// consoleDownload serves an API download to a logged-in browser; without a report it goes
// back to the page with a message.
func (s *Server) consoleDownload(h http.HandlerFunc) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if strings.HasPrefix(r.URL.Path, "/reconcile/") && s.lastReport() == nil {
			s.sessions.addFlash(sess, "error", msgNoReport)
			http.Redirect(w, r, "/reconcile", http.StatusSeeOther)
			return
		}
		h(w, r)
	}
}

type alertsData struct {
	Records     []alerts.Record
	Total       int
	Pages       int
	Filter      alerts.Filter
	Communities []string
	Rules       []string
	Pager       pager
	Today       string
}

const alertsPageSize = 100

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	f := alertFilter(r, alertsPageSize)
	if _, ok := r.URL.Query()["status"]; !ok {
		f.Status = "firing"
	}
	dir, err := s.dir.get(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	p, err := s.alertPage(r.Context(), f)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := alertsData{Records: p.Alerts, Total: p.Total, Pages: p.Pages, Filter: f, Communities: dir.communities,
		Rules: alerts.Rules, Today: s.today().AddDays(7).String()}
	d.Pager = newPager(r, p.Page, p.Page < p.Pages)
	s.render(w, r, sess, http.StatusOK, "alerts", "持证预警", d)
}

func (s *Server) ackAlert(r *http.Request, sess *session) (string, error) {
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if note == "" {
		return "", inputErr(msgNoNote)
	}
	if err := s.deps.Alerts.Ack(r.Context(), r.PostForm.Get("key"), sess.operator, note); err != nil {
		return "", err
	}
	return flashAcked, nil
}

func (s *Server) silenceAlert(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	sl, err := s.silence(r.Context(), f.Get("target"), f.Get("community"), f.Get("rule"), f.Get("until"), f.Get("reason"), sess.operator)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(flashSilenced, sl.Until.In(s.loc).Format("2006-01-02 15:04")), nil
}

type alarmsData struct {
	Rows        []alarmRow
	Query       alarmQuery
	Communities []string
	Pager       pager
}

func (s *Server) alarmsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	aq := alarmQuery{Community: q.Get("community"), Days: intParam(r, "days", 30, 0, 3660),
		Page: intParam(r, "page", 1, 1, 1<<20), Size: 50}
	switch q.Get("show") {
	case "unhandled":
		aq.Unhandled = true
	case "active":
		aq.Active = true
	}
	dir, err := s.dir.get(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	rows, more, err := s.alarmRows(r.Context(), aq)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	s.render(w, r, sess, http.StatusOK, "alarms", "监测报警",
		alarmsData{Rows: rows, Query: aq, Communities: dir.communities, Pager: newPager(r, aq.Page, more)})
}

func (s *Server) alarmFeedback(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	handler := strings.TrimSpace(f.Get("handler"))
	if handler == "" {
		handler = sess.operator
	}
	created, err := s.recordFeedback(r.Context(), f.Get("alarm"), f.Get("status"), f.Get("note"), handler)
	if err != nil {
		return "", err
	}
	if !created {
		return flashFeedbackSame, nil
	}
	return flashFeedback, nil
}

type ledgerData struct {
	Tab         string
	Query       ledgerQuery
	Enterprises []enterpriseRow
	Operators   []operatorRow
	Communities []string
	Pager       pager
	Counts      struct{ Enterprises, PendingReview, Operators, OnDuty int }
	Import      *ImportResult
	MaxUpload   string
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	q := s.ledgerQuery(r)
	d := ledgerData{Tab: "enterprises", Query: q, MaxUpload: sizeText(s.opt.MaxUploadBytes), Import: s.sessions.takeImport(sess)}
	if r.URL.Query().Get("tab") == "operators" {
		d.Tab = "operators"
	}
	dir, err := s.dir.get(ctx)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Communities = dir.communities
	ov, err := s.deps.Ledger.Overview(ctx, s.today())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Counts.Enterprises, d.Counts.PendingReview, d.Counts.Operators, d.Counts.OnDuty = ov.Enterprises, ov.PendingReview, ov.Operators, ov.OnDuty
	var more bool
	if d.Tab == "operators" {
		d.Operators, more, err = s.operatorRows(ctx, q)
	} else {
		d.Enterprises, more, err = s.enterpriseRows(ctx, q)
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Pager = newPager(r, q.Page, more)
	s.render(w, r, sess, http.StatusOK, "ledger", "台账", d)
}

func (s *Server) confirmEnterprise(r *http.Request, sess *session) (string, error) {
	uscc := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("uscc")))
	if err := s.deps.Ledger.ConfirmEnterprise(r.Context(), uscc); err != nil {
		return "", err
	}
	s.dir.invalidate()
	return fmt.Sprintf(flashConfirmed, uscc), nil
}

// importPage takes a workbook upload from the console. The CSRF token travels in the form
// before the file and is checked before the file is read.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
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

var errCSRF = errors.New("csrf token mismatch")

// pager links to the neighbouring pages of a listing, keeping the other query parameters.
type pager struct {
	Page       int
	Prev, Next string
}

func newPager(r *http.Request, page int, more bool) pager {
	p := pager{Page: page}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if more {
		p.Next = link(page + 1)
	}
	return p
}

// ---- template functions ----

func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"time": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(s.loc).Format("2006-01-02 15:04")
		},
		"clock": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(s.loc).Format("01-02 15:04:05")
		},
		"since": func(a, b time.Time) string {
			if a.IsZero() || b.IsZero() {
				return "—"
			}
			return durationText(b.Sub(a))
		},
		"ms":            func(ms int64) string { return durationText(time.Duration(ms) * time.Millisecond) },
		"jobName":       jobName,
		"outcomeName":   outcomeName,
		"outcomeClass":  outcomeClass,
		"triggerName":   triggerName,
		"ruleName":      alerts.RuleName,
		"severityClass": severityClass,
		"severityName":  severityName,
		"levelName":     alarmLevelName,
		"levelClass":    func(l int) string { return "lv" + strconv.Itoa(max(1, min(4, l))) },
		"alarmType":     alarmTypeName,
		"handling":      handlingName,
		"pushState":     func(p any) string { return pushStateName(fmt.Sprint(p)) },
		"pushClass":     pushClass,
		"queueState":    func(st retry.State) string { return queueStateName(string(st)) },
		"deadReason":    retry.DeadReasonText,
		"fieldName":     fieldName,
		"syncState":     func(r enterpriseRow) string { return syncStateName(&r) },
		"syncClass":     syncClass,
		"alertStatus":   alertStatusName,
		"countNames":    func() [][2]string { return countNames },
		"count":         func(m map[string]int, k string) int { return m[k] },
	}
}

func durationText(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d 毫秒", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f 秒", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d 分 %d 秒", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d 小时 %d 分", int(d.Hours()), int(d.Minutes())%60)
}

func outcomeClass(o string) string {
	switch o {
	case OutcomeOK, OutcomeSuccess:
		return "ok"
	case OutcomePartial:
		return "warning"
	case OutcomeFailed, OutcomePlatformUnavailable:
		return "critical"
	case OutcomeRunning:
		return "info"
	}
	return "muted"
}

func pushClass(p any) string {
	switch fmt.Sprint(p) {
	case "accepted":
		return "ok"
	case "rejected":
		return "critical"
	}
	return "info"
}

func severityClass(s string) string {
	if s == "critical" {
		return "critical"
	}
	return "warning"
}

func severityName(s string) string {
	if s == "critical" {
		return "严重"
	}
	return "提醒"
}

func syncClass(r enterpriseRow) string {
	switch {
	case r.PendingReview:
		return "warning"
	case r.State == "inSync":
		return "ok"
	case r.State == "conflict":
		return "critical"
	case r.State == "platformChanged":
		return "warning"
	}
	return "info"
}
