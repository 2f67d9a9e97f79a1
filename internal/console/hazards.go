package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"iter"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// 隐患 (contracts/hazards.md): the hazard ledger, paged and filtered by community, level and
// status (overdue among them); each hazard's timeline of status changes; reporting a hazard the
// street found; recording progress or 销号 with who verified it; the four lists' download. On 概览
// the dynamic-clearing panel (overview.go reads HazardFigures) and on 持证预警 the action
// 判定为重大事故隐患 (POST /hazards/from-alert) are this screen's too.

// Hazards are the hazard ledger and the street's hazard actions. The wiring passes the ledger
// for the reads and the sync jobs for the actions, which push to the platform at once (a push
// that fails for now is queued). Optional: without it the screen says it is not available.
type Hazards interface {
	Hazards(ctx context.Context, f ledger.HazardFilter) iter.Seq2[ledger.HazardRecord, error]
	CountHazards(ctx context.Context, f ledger.HazardFilter) (int, error)
	HazardHistory(ctx context.Context, id string) ([]ledger.HazardStatusRecord, error)
	HazardFigures(ctx context.Context, today mapping.Date) (ledger.ClearingFigures, error)
	ReportHazard(ctx context.Context, h mapping.Hazard) (jobs.HazardOutcome, error)
	RecordHazardStatus(ctx context.Context, id string, ch mapping.HazardStatusChange) (jobs.HazardOutcome, error)
	// HazardFromAlert is `hazards from-alert`: a refusal is an *InputError.
	HazardFromAlert(ctx context.Context, key, note, handler string, deadline mapping.Date) (jobs.HazardOutcome, error)
	// WriteHazardLists writes the four lists' workbook (xlsx) as of today.
	WriteHazardLists(ctx context.Context, w io.Writer, today mapping.Date) error
}

type hazardsScreen struct{ *Server }

func (s hazardsScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /hazards", s.page(s.hazardsPage))
	pages.HandleFunc("GET /hazards/lists.xlsx", s.page(s.listsDownload))
	pages.HandleFunc("POST /hazards/report", s.action(s.reportForm))
	pages.HandleFunc("POST /hazards/status", s.action(s.statusForm))
	pages.HandleFunc("POST /hazards/from-alert", s.action(s.fromAlertForm))
	api.HandleFunc("GET /api/hazards", s.apiHazards)
	api.HandleFunc("GET /api/hazards/figures", s.apiFigures)
	api.HandleFunc("GET /api/hazards/lists", s.apiLists)
	api.HandleFunc("GET /api/hazards/{id}/history", s.apiHistory)
	api.HandleFunc("POST /api/hazards", s.apiReport)
	api.HandleFunc("POST /api/hazards/{id}/status", s.apiStatus)
	api.HandleFunc("POST /api/alerts/{key}/hazard", s.apiFromAlert)
}

// hazardRow is a hazard as the screen and GET /api/hazards show it: ID numbers in its texts
// masked, with its timeline on the page.
type hazardRow struct {
	ID          string         `json:"id"`
	Yhid        string         `json:"yhid"`
	Enterprise  enterpriseName `json:"enterprise"`
	Community   string         `json:"community"`
	Level       string         `json:"level"`
	Major       bool           `json:"major"`
	Clause      string         `json:"clause"`
	Description string         `json:"description"`
	Location    string         `json:"location,omitempty"`
	FoundOn     mapping.Date   `json:"foundOn"`
	FoundBy     string         `json:"foundBy"`
	Deadline    mapping.Date   `json:"deadline"`
	DaysLeft    int            `json:"daysLeft"` // negative when overdue
	Status      string         `json:"status"`
	StatusCode  string         `json:"statusCode"`
	Overdue     bool           `json:"overdue"`
	Open        bool           `json:"open"`
	Source      string         `json:"source"`
	Timeline    []hazardEvent  `json:"timeline,omitempty"`
}

type enterpriseName struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
}

// hazardEvent is one status change in a hazard's timeline.
type hazardEvent struct {
	At      time.Time `json:"at"`
	Status  string    `json:"status"`
	Note    string    `json:"note"`
	Handler string    `json:"handler"`
	Side    string    `json:"side"`            // 街道 or 平台
	Push    string    `json:"push,omitempty"`  // a street change's push state
	Error   string    `json:"error,omitempty"` // why the platform refused it
}

// hazardQuery is a listing's selection: status is "" (all), open (the default), overdue or closed.
type hazardQuery struct {
	Community string
	Level     string // "", 一般 or 重大
	Status    string
	Page      int
	Size      int
}

type hazardsData struct {
	Rows        []hazardRow
	Down        string
	Query       hazardQuery
	Communities []string
	Pager       pager
	Today       mapping.Date
	Deadline    mapping.Date // the report form's default deadline
	Clauses     []mapping.Clause
}

func (s *Server) hazardQueryOf(r *http.Request, size int) hazardQuery {
	q := r.URL.Query()
	hq := hazardQuery{Community: q.Get("community"), Level: q.Get("level"), Status: q.Get("status"),
		Page: intParam(r, "page", 1, 1, 1<<20), Size: size}
	switch {
	case !q.Has("status"):
		hq.Status = ledger.HazardsOpen // the work to do first; "all" lists the closed ones too
	case hq.Status != ledger.HazardsOpen && hq.Status != ledger.HazardsOverdue && hq.Status != ledger.HazardsClosed:
		hq.Status = ""
	}
	if _, ok := mapping.ParseHazardLevel(hq.Level); !ok {
		hq.Level = ""
	}
	return hq
}

func (s *Server) hazardFilter(q hazardQuery) ledger.HazardFilter {
	f := ledger.HazardFilter{Community: q.Community, Status: q.Status, Today: s.today(), Order: ledger.HazardOrderDeadline,
		Offset: (q.Page - 1) * q.Size, Limit: q.Size}
	if lv, ok := mapping.ParseHazardLevel(q.Level); ok && q.Level != "" {
		f.Level = lv
	}
	return f
}

func (s hazardsScreen) hazardsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	h := s.checkHealth(ctx)
	hq := s.hazardQueryOf(r, 30)
	today := s.today()
	d := hazardsData{Query: hq, Pager: newPager(r, hq.Page, hq.Size, 0), Today: today, Deadline: today.AddDays(7),
		Clauses: mapping.DefaultClauses().All()}
	var err error
	switch {
	case s.deps.Hazards == nil:
		d.Down = msgHazardsOff
	case h.down(needsLedger) != "":
		d.Down = h.down(needsLedger)
	default:
		if d.Communities, err = s.comms.get(ctx); err != nil {
			d.Down = s.unreadable(r, err)
		} else if rows, total, err := s.hazardRows(ctx, hq, true); err != nil {
			d.Down = s.unreadable(r, err)
		} else {
			d.Rows, d.Pager = rows, newPager(r, hq.Page, hq.Size, total)
		}
	}
	s.renderScreen(w, r, sess, h, "hazards", "隐患", d)
}

// hazardRows reads a page of hazards with their total, and each one's timeline when asked.
func (s *Server) hazardRows(ctx context.Context, q hazardQuery, timelines bool) ([]hazardRow, int, error) {
	f := s.hazardFilter(q)
	total, err := s.deps.Hazards.CountHazards(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	today := s.today()
	rows := []hazardRow{}
	for rec, err := range s.deps.Hazards.Hazards(ctx, f) {
		if err != nil {
			return nil, 0, err
		}
		rows = append(rows, s.hazardRowOf(&rec, today))
	}
	if timelines {
		for i := range rows {
			if rows[i].Timeline, err = s.timeline(ctx, rows[i].ID); err != nil {
				return nil, 0, err
			}
		}
	}
	return rows, total, nil
}

func (s *Server) hazardRowOf(r *ledger.HazardRecord, today mapping.Date) hazardRow {
	h := &r.Hazard
	st := h.Status
	if st == "" {
		st = mapping.HazardPending
	}
	return hazardRow{ID: h.Key(), Yhid: h.ID, Enterprise: enterpriseName{USCC: h.USCC, Name: h.EnterpriseName},
		Community: r.Community, Level: h.Level.Label(), Major: h.Major(), Clause: h.Clause,
		Description: mask.IDsInText(h.Description), Location: h.Location, FoundOn: h.FoundOn,
		FoundBy: mask.IDsInText(h.FoundBy), Deadline: h.Deadline, DaysLeft: daysFrom(today, h.Deadline),
		Status: st.Label(), StatusCode: string(st), Overdue: h.Overdue(today), Open: h.Open(), Source: h.Source.Label()}
}

func daysFrom(a, b mapping.Date) int {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	ta := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(math.Round(tb.Sub(ta).Hours() / 24))
}

// timeline is a hazard's status changes, oldest first, masked.
func (s *Server) timeline(ctx context.Context, id string) ([]hazardEvent, error) {
	hist, err := s.deps.Hazards.HazardHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]hazardEvent, 0, len(hist))
	street := map[mapping.HazardStatusChange]bool{}
	for _, c := range hist {
		key := mapping.HazardStatusChange{Status: c.Status, Note: c.Note, Handler: c.Handler}
		side := "平台"
		if c.Side == ledger.SideStreet {
			side = "街道"
			street[key] = true
		} else if street[key] {
			continue // the platform's copy of the street's own change, seen by the next pull: told once
		}
		e := hazardEvent{At: c.At, Status: c.Status.Label(), Note: mask.IDsInText(c.Note), Handler: mask.IDsInText(c.Handler),
			Side: side, Error: mask.IDsInText(c.Message)}
		if c.State != "" {
			e.Push = pushStateName(string(c.State))
		}
		out = append(out, e)
	}
	return out, nil
}

// --- actions ---

func (s hazardsScreen) reportForm(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	foundBy := sess.person(f, "foundBy")
	out, err := s.reportHazard(r.Context(), f.Get("uscc"), f.Get("desc"), f.Get("level"), f.Get("clause"), f.Get("deadline"),
		foundBy, f.Get("location"))
	if err != nil {
		return "", err
	}
	return hazardFlash(flashHazardReported, out), nil
}

func (s hazardsScreen) statusForm(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	handler := sess.person(f, "handler")
	out, err := s.recordStatus(r.Context(), f.Get("id"), f.Get("status"), f.Get("note"), handler)
	if err != nil {
		return "", err
	}
	return hazardFlash(flashHazardStatus, out), nil
}

func (s hazardsScreen) fromAlertForm(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	handler := sess.person(f, "handler")
	out, err := s.fromAlert(r.Context(), f.Get("key"), f.Get("note"), handler, f.Get("deadline"))
	if err != nil {
		return "", err
	}
	if !out.Created {
		return fmt.Sprintf(flashHazardFromAlertSame, out.Hazard.Key()), nil
	}
	return hazardFlash(flashHazardFromAlert, out), nil
}

// hazardFlash says what happened and where the hazard stands with the platform.
func hazardFlash(what string, out jobs.HazardOutcome) string {
	msg := fmt.Sprintf(what, out.Hazard.Key())
	switch {
	case out.Pushed:
		return msg + "；" + fmt.Sprintf(flashHazardPushed, out.Hazard.ID)
	case out.Queued:
		return msg + "；" + flashHazardQueued
	case out.Rejected:
		return msg + "；" + fmt.Sprintf(flashHazardRejected, mask.IDsInText(out.Reason))
	}
	return msg
}

func (s *Server) hazardsOn() error {
	if s.deps.Hazards == nil {
		return inputErr(msgHazardsOff)
	}
	return nil
}

func (s *Server) reportHazard(ctx context.Context, uscc, desc, level, clause, deadline, foundBy, location string) (jobs.HazardOutcome, error) {
	var out jobs.HazardOutcome
	if err := s.hazardsOn(); err != nil {
		return out, err
	}
	lv, ok := mapping.ParseHazardLevel(level)
	if !ok || lv == "" {
		return out, inputErr(msgHazardLevel)
	}
	due, err := mapping.ParseDate(strings.TrimSpace(deadline))
	if err != nil {
		return out, inputErr(msgHazardDeadline, deadline)
	}
	if strings.TrimSpace(desc) == "" {
		return out, inputErr(msgHazardDesc)
	}
	out, err = s.deps.Hazards.ReportHazard(ctx, mapping.Hazard{USCC: strings.TrimSpace(uscc), Source: mapping.SourceStreet,
		Level: lv, Clause: strings.TrimSpace(clause), Description: strings.TrimSpace(desc), Location: strings.TrimSpace(location),
		FoundOn: s.today(), FoundBy: strings.TrimSpace(foundBy), Deadline: due})
	s.tallies.invalidate()
	return out, hazardErr(err)
}

// hazardStatuses are the statuses a person records: progress, rectified, verified and closed.
var hazardStatuses = map[string]mapping.HazardStatus{"整改中": mapping.HazardRectifying, "已整改": mapping.HazardRectified,
	"已销号": mapping.HazardClosed}

func (s *Server) recordStatus(ctx context.Context, id, status, note, handler string) (jobs.HazardOutcome, error) {
	var out jobs.HazardOutcome
	if err := s.hazardsOn(); err != nil {
		return out, err
	}
	st, ok := hazardStatuses[strings.TrimSpace(status)]
	if !ok {
		return out, inputErr(msgHazardStatus, status)
	}
	note, handler = strings.TrimSpace(note), strings.TrimSpace(handler)
	if note == "" || handler == "" {
		return out, inputErr(msgHazardNote)
	}
	out, err := s.deps.Hazards.RecordHazardStatus(ctx, strings.TrimSpace(id), mapping.HazardStatusChange{Status: st, Note: note,
		Handler: handler, At: s.now()})
	if isNotFound(err) {
		return out, inputErr(msgNoHazard, strings.TrimSpace(id))
	}
	s.tallies.invalidate()
	return out, hazardErr(err)
}

func (s *Server) fromAlert(ctx context.Context, key, note, handler, deadline string) (jobs.HazardOutcome, error) {
	var out jobs.HazardOutcome
	if err := s.hazardsOn(); err != nil {
		return out, err
	}
	var due mapping.Date
	if d := strings.TrimSpace(deadline); d != "" {
		var err error
		if due, err = mapping.ParseDate(d); err != nil {
			return out, inputErr(msgHazardDeadline, deadline)
		}
	}
	out, err := s.deps.Hazards.HazardFromAlert(ctx, strings.TrimSpace(key), note, handler, due)
	s.tallies.invalidate()
	return out, hazardErr(err)
}

// hazardErr turns a hazard the jobs refused (incomplete or wrong) into the person's message.
func hazardErr(err error) error {
	var inv *jobs.InvalidHazardError
	if errors.As(err, &inv) {
		return &InputError{Reason: mask.IDsInText(inv.Error())}
	}
	return err
}

// --- downloads and API ---

func (s hazardsScreen) listsDownload(w http.ResponseWriter, r *http.Request, _ *session) {
	b, err := s.listsFile(r.Context())
	if err != nil {
		_, msg := s.classify(r, err)
		s.errorPage(w, r, http.StatusServiceUnavailable, msg)
		return
	}
	s.sendFile(w, "四个清单-"+s.today().String()+".xlsx", b)
}

func (s *Server) listsFile(ctx context.Context) ([]byte, error) {
	if err := s.hazardsOn(); err != nil {
		return nil, err
	}
	var buf strings.Builder
	if err := s.deps.Hazards.WriteHazardLists(ctx, &buf, s.today()); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}

func (s hazardsScreen) apiLists(w http.ResponseWriter, r *http.Request) {
	b, err := s.listsFile(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendFile(w, "四个清单-"+s.today().String()+".xlsx", b)
}

// apiHazards is a page of hazards (query: community, level 一般|重大, status open|overdue|closed,
// page, size), deadline first.
func (s hazardsScreen) apiHazards(w http.ResponseWriter, r *http.Request) {
	if err := s.hazardsOn(); err != nil {
		s.fail(w, r, err)
		return
	}
	hq := s.hazardQueryOf(r, intParam(r, "size", 100, 1, 1000))
	rows, total, err := s.hazardRows(r.Context(), hq, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pageOf(rows, hq.Page, hq.Size, total))
}

func (s hazardsScreen) apiHistory(w http.ResponseWriter, r *http.Request) {
	if err := s.hazardsOn(); err != nil {
		s.fail(w, r, err)
		return
	}
	tl, err := s.timeline(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Timeline []hazardEvent `json:"timeline"`
	}{tl})
}

// apiFigures are the dynamic-clearing figures (动态清零) as of today.
func (s hazardsScreen) apiFigures(w http.ResponseWriter, r *http.Request) {
	if err := s.hazardsOn(); err != nil {
		s.fail(w, r, err)
		return
	}
	fig, err := s.deps.Hazards.HazardFigures(r.Context(), s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		AsOf mapping.Date `json:"asOf"`
		ledger.ClearingFigures
	}{s.today(), fig})
}

// hazardAnswer is what the API's hazard actions answer.
type hazardAnswer struct {
	Hazard   hazardRow `json:"hazard"`
	Created  bool      `json:"created"`
	Pushed   bool      `json:"pushed"`
	Queued   bool      `json:"queued"`
	Rejected bool      `json:"rejected"`
	Message  string    `json:"message,omitempty"`
}

func (s *Server) answerHazard(w http.ResponseWriter, out jobs.HazardOutcome) {
	status := http.StatusOK
	if out.Created {
		status = http.StatusCreated
	}
	s.writeJSON(w, status, hazardAnswer{Hazard: s.hazardRowOf(&out.Hazard, s.today()), Created: out.Created,
		Pushed: out.Pushed, Queued: out.Queued, Rejected: out.Rejected, Message: mask.IDsInText(out.Reason)})
}

func (s hazardsScreen) apiReport(w http.ResponseWriter, r *http.Request) {
	var req struct {
		USCC        string `json:"uscc"`
		Description string `json:"description"`
		Level       string `json:"level"`
		Clause      string `json:"clause"`
		Deadline    string `json:"deadline"`
		FoundBy     string `json:"foundBy"`
		Location    string `json:"location"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	out, err := s.reportHazard(r.Context(), req.USCC, req.Description, req.Level, req.Clause, req.Deadline,
		operatorOf(r, req.FoundBy), req.Location)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerHazard(w, out)
}

func (s hazardsScreen) apiStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status  string `json:"status"`
		Note    string `json:"note"`
		Handler string `json:"handler"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	out, err := s.recordStatus(r.Context(), r.PathValue("id"), req.Status, req.Note, operatorOf(r, req.Handler))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerHazard(w, out)
}

func (s hazardsScreen) apiFromAlert(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Note     string `json:"note"`
		Handler  string `json:"handler"`
		Deadline string `json:"deadline"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	out, err := s.fromAlert(r.Context(), r.PathValue("key"), req.Note, operatorOf(r, req.Handler), req.Deadline)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerHazard(w, out)
}

// --- 概览's dynamic-clearing panel ---

// clearingChart draws the open major hazards at each of the last 12 month-ends (the current
// month: today), one bar each.
func clearingChart(months []ledger.MonthCount) template.HTML {
	const width, height, left, bottom, top = 560, 190, 34, 22, 14
	if len(months) == 0 {
		return emptyChart(width, 60, "暂无数据")
	}
	most := 0
	for _, m := range months {
		most = max(most, m.Open)
	}
	if most == 0 {
		return emptyChart(width, 60, "近 12 个月没有未销号的重大事故隐患")
	}
	c := newColumnChart(width, height, left, top, bottom, len(months), most, 0.6, 4, "近 12 个月每月末未销号重大事故隐患")
	for i, m := range months {
		if m.Open > 0 {
			x, h := c.x(i), c.scale(m.Open)
			y := c.base() - h
			c.doc.rect(x, y, c.barW, h, "hz-open", fmt.Sprintf("%s 月末未销号重大事故隐患：%d", m.Month, m.Open))
			c.doc.text(x+c.barW/2, y-3, "middle", "axis-label", strconv.Itoa(m.Open))
		}
		label := m.Month
		if len(label) == 7 {
			label = label[5:] + "月"
		}
		c.label(i, label)
	}
	return c.doc.html()
}
