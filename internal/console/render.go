package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/rules"
	"streetsync/scheduler/retry"
)

// Rendering: one template per screen inside the shared layout (assets/templates), written into a
// buffer first — a template error becomes a clean 500 — and then through the ID-number safety net.

// view is what every page template gets.
type view struct {
	Title    string
	Nav      string
	Region   string
	Operator string
	CSRF     string
	Flashes  []flash
	Banners  []banner // services down (health.go)
	Asset    string
	Refresh  int // seconds until the page reloads itself (a task is running); 0: never
	Path     string
	Data     any
}

var pageFiles = []string{"overview", "jobs", "queue", "reconcile", "alerts", "silences", "alarms", "ledger", "hazards", "login", "error"}

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

// renderScreen writes a screen's page (200) with the banners of the services found down.
func (s *Server) renderScreen(w http.ResponseWriter, r *http.Request, sess *session, h health, name, title string, data any) {
	s.renderView(w, r, sess, http.StatusOK, name, title, h.banners(), data)
}

// render writes a page that reads no service (login, errors).
func (s *Server) render(w http.ResponseWriter, r *http.Request, sess *session, status int, name, title string, data any) {
	s.renderView(w, r, sess, status, name, title, nil, data)
}

func (s *Server) renderView(w http.ResponseWriter, r *http.Request, sess *session, status int, name, title string, banners []banner, data any) {
	v := view{Title: title, Nav: name, Region: s.opt.Region, Asset: s.assetVer, Path: r.URL.RequestURI(), Banners: banners, Data: data}
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

// unreadable is the in-place text of a panel whose read failed although its service answered.
func (s *Server) unreadable(r *http.Request, err error) string {
	_, msg := s.classify(r, err)
	return msg
}

// pager says where a page stands in its listing and links to its neighbours, keeping the other
// query parameters.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
	PrevID, NextID     string // the links' element ids (a page with several pagers names each)
}

// newPager pages total items size at a time; page is the page shown.
func newPager(r *http.Request, page, size, total int) pager {
	p := pager{Page: page, Total: total, Pages: pagesOf(total, size), PrevID: "prev-page", NextID: "next-page"}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, max(p.Pages, 1)))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

func pagesOf(total, size int) int {
	if size <= 0 {
		return 0
	}
	return (total + size - 1) / size
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
		"short": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(s.loc).Format("01-02 15:04")
		},
		"since": func(a, b time.Time) string {
			if a.IsZero() || b.IsZero() {
				return "—"
			}
			return durationText(b.Sub(a))
		},
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return durationText(s.now().Sub(t)) + "前"
		},
		"ms":            func(ms int64) string { return durationText(time.Duration(ms) * time.Millisecond) },
		"jobName":       jobName,
		"kindName":      jobKindName,
		"outcomeName":   outcomeName,
		"outcomeClass":  outcomeClass,
		"triggerName":   triggerName,
		"tickClass":     tickClass,
		"ruleName":      alerts.RuleName,
		"familyName":    familyName,
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
		"errorClass":    errorClassName,
		"fieldName":     fieldName,
		"syncState":     func(r enterpriseRow) string { return syncStateName(&r) },
		"syncClass":     syncClass,
		"alertStatus":   alertStatusName,
		"platformName":  platformName,
		"healthClass":   healthClass,
		"countNames":    func() [][2]string { return countNames },
		"count":         func(m map[string]int, k string) int { return m[k] },
		"neg":           func(n int) int { return -n },
		"makesHazard":   func(rule string) bool { _, ok := rules.QualificationClause(rule); return ok },
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
	case d < 48*time.Hour:
		return fmt.Sprintf("%d 小时 %d 分", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d 天 %d 小时", int(d.Hours())/24, int(d.Hours())%24)
}

// Badge classes (console.css): ok green, warning amber, critical red, info blue, muted grey.

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

func tickClass(st string) string {
	switch st {
	case "ok":
		return "ok"
	case "late":
		return "warning"
	case "missed":
		return "critical"
	case "running", "due":
		return "info"
	}
	return "muted"
}

func healthClass(st string) string {
	switch st {
	case "ok":
		return "ok"
	case "degraded":
		return "warning"
	case "unavailable":
		return "critical"
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
