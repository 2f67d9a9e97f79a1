package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"streetsync/internal/alerts"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// 持证预警: the alerts to triage — filtered by family, severity, rule, community, enterprise and
// status, searched by name, ID number (masked or whole), enterprise or certificate number, most
// severe and oldest first, with the rule's "what to do" in the row — acknowledged (督促) and
// silenced here; and 静默 (/alerts/silences): the silences in force, who set them, why, until
// when and how many alerts each holds back, with 解除.

// Alerts is the alerts' state (`streetsync alerts list|ack|silence|silences|unsilence`);
// *alerts.Store satisfies it.
type Alerts interface {
	Page(ctx context.Context, f alerts.Filter) (*alerts.Page, error)
	Counts(ctx context.Context) ([]alerts.Count, error)
	History(ctx context.Context, key string) (*alerts.Record, []alerts.Event, error)
	Ack(ctx context.Context, key, by, note string) error
	Silence(ctx context.Context, m alerts.Matcher, until time.Time, reason, by string) (alerts.Silence, error)
	Silences(ctx context.Context) ([]alerts.Silence, error)
	Covered(ctx context.Context, m alerts.Matcher, limit int) ([]alerts.Record, int, error)
	Unsilence(ctx context.Context, id string) error
}

type alertsScreen struct{ *Server }

func (s alertsScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /alerts", s.page(s.alertsPage))
	pages.HandleFunc("POST /alerts/ack", s.action(s.ackAlert))
	pages.HandleFunc("POST /alerts/silence", s.action(s.silenceAlert))
	pages.HandleFunc("GET /alerts/silences", s.page(s.silencesPage))
	pages.HandleFunc("POST /alerts/unsilence", s.action(s.unsilence))
	api.HandleFunc("GET /api/alerts", s.apiAlerts)
	api.HandleFunc("GET /api/alerts/silences", s.apiSilences)
	api.HandleFunc("GET /api/alerts/{key}", s.apiAlert)
	api.HandleFunc("POST /api/alerts/{key}/ack", s.apiAck)
	api.HandleFunc("POST /api/alerts/silence", s.apiSilence)
	api.HandleFunc("POST /api/alerts/silences/{id}/end", s.apiUnsilence)
}

type alertsData struct {
	Records     []alerts.Record
	Down        string
	Filter      alerts.Filter
	Communities []string
	Rules       []string
	Pager       pager
	Today       string
}

const (
	alertsPageSize    = 50
	apiAlertsPageSize = 100 // /api/alerts' page when none is asked for
)

func (s alertsScreen) alertsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	h := s.checkHealth(ctx)
	f := alertFilter(r, alertsPageSize)
	if _, ok := r.URL.Query()["status"]; !ok {
		f.Status = "firing"
	}
	d := alertsData{Filter: f, Rules: alerts.Rules, Today: s.today().AddDays(7).String(), Pager: newPager(r, f.Page, f.PageSize, 0)}
	if msg := h.down(needsLedger); msg != "" {
		d.Down = msg
		s.renderScreen(w, r, sess, h, "alerts", "持证预警", d)
		return
	}
	var err error
	if d.Communities, err = s.comms.get(ctx); err != nil {
		d.Down = s.unreadable(r, err)
	} else if p, err := s.alertPage(ctx, f); err != nil {
		d.Down = s.unreadable(r, err)
	} else {
		d.Records = p.Alerts
		d.Pager = newPager(r, p.Page, p.PageSize, p.Total)
	}
	s.renderScreen(w, r, sess, h, "alerts", "持证预警", d)
}

func (s alertsScreen) ackAlert(r *http.Request, sess *session) (string, error) {
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if note == "" {
		return "", inputErr(msgNoNote)
	}
	if err := s.deps.Alerts.Ack(r.Context(), r.PostForm.Get("key"), sess.operator, note); err != nil {
		return "", err
	}
	return flashAcked, nil
}

func (s alertsScreen) silenceAlert(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	sl, err := s.silence(r.Context(), f.Get("target"), f.Get("community"), f.Get("rule"), f.Get("until"), f.Get("reason"), sess.operator)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(flashSilenced, sl.Until.In(s.loc).Format("2006-01-02 15:04")), nil
}

// silenceView is a silence in force as 静默 lists it: what it covers in words, and how many
// firing alerts it holds back now.
type silenceView struct {
	alerts.Silence
	Scope  string `json:"scope"` // Chinese: 单条预警 …, 社区 …, 规则 …, 某人的全部预警
	Covers int    `json:"covers"`
}

type silencesData struct {
	Silences []silenceView
	Down     string
}

func (s alertsScreen) silencesPage(w http.ResponseWriter, r *http.Request, sess *session) {
	h := s.checkHealth(r.Context())
	d := silencesData{}
	if msg := h.down(needsLedger); msg != "" {
		d.Down = msg
	} else if sls, err := s.silences(r.Context()); err != nil {
		d.Down = s.unreadable(r, err)
	} else {
		d.Silences = sls
	}
	s.renderScreen(w, r, sess, h, "silences", "静默", d)
}

// silences lists the silences in force with what each covers.
func (s *Server) silences(ctx context.Context) ([]silenceView, error) {
	sls, err := s.deps.Alerts.Silences(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]silenceView, 0, len(sls))
	for _, sl := range sls {
		v := silenceView{Silence: sl}
		recs, n, err := s.deps.Alerts.Covered(ctx, sl.Matcher, 1)
		if err != nil {
			return nil, err
		}
		v.Covers = n
		v.Scope = s.silenceScope(ctx, sl.Matcher, recs)
		v.Reason = mask.IDsInText(v.Reason)
		out = append(out, v)
	}
	return out, nil
}

// silenceScope says in words what a matcher covers; a silence of one alert names it (from the
// alert itself when it no longer fires).
func (s *Server) silenceScope(ctx context.Context, m alerts.Matcher, covered []alerts.Record) string {
	var parts []string
	if m.Key != "" {
		rec := (*alerts.Record)(nil)
		if len(covered) > 0 {
			rec = &covered[0]
		} else if r, _, err := s.deps.Alerts.History(ctx, m.Key); err == nil {
			rec = r
		}
		if rec == nil {
			return fmt.Sprintf(scopeOneAlert, m.Key)
		}
		who := rec.Enterprise.Name
		if rec.Operator != nil {
			who = rec.Operator.Name + "（" + mask.ID(rec.Operator.IDNumber) + "）· " + who
		}
		return fmt.Sprintf(scopeOneAlertOf, alerts.RuleName(rec.Rule), who)
	}
	if m.IDHash != "" {
		parts = append(parts, scopePerson)
	}
	if m.Community != "" {
		parts = append(parts, m.Community)
	}
	if m.Rule != "" {
		parts = append(parts, alerts.RuleName(m.Rule))
	}
	if len(parts) == 0 {
		return scopeAll
	}
	return strings.Join(parts, " · ")
}

func (s alertsScreen) unsilence(r *http.Request, sess *session) (string, error) {
	id := strings.TrimSpace(r.PostForm.Get("id"))
	if id == "" {
		return "", inputErr(msgNoSilence)
	}
	if err := s.deps.Alerts.Unsilence(r.Context(), id); err != nil {
		return "", err
	}
	return flashUnsilenced, nil
}

// apiAlerts is one page of the alerts (query: family, severity, rule, community, enterprise,
// status, q, page, pageSize): {"alerts": […], "total", "page", "pageSize", "pages"}.
func (s alertsScreen) apiAlerts(w http.ResponseWriter, r *http.Request) {
	p, err := s.alertPage(r.Context(), alertFilter(r, apiAlertsPageSize))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, p)
}

// alertFilter reads a listing's filter from the query: family, severity, rule, community,
// enterprise, status, q (the search), page, pageSize.
func alertFilter(r *http.Request, pageSize int) alerts.Filter {
	q := r.URL.Query()
	return alerts.Filter{
		Family: q.Get("family"), Severity: q.Get("severity"), Rule: q.Get("rule"), Community: q.Get("community"),
		Enterprise: strings.TrimSpace(q.Get("enterprise")), Status: q.Get("status"), Search: strings.TrimSpace(q.Get("q")),
		Page: intParam(r, "page", 1, 1, 1<<20), PageSize: intParam(r, "pageSize", pageSize, 1, 1000),
	}
}

func (s alertsScreen) apiAlert(w http.ResponseWriter, r *http.Request) {
	rec, events, err := s.deps.Alerts.History(r.Context(), r.PathValue("key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range events {
		events[i].Note = mask.IDsInText(events[i].Note)
		events[i].Error = mask.IDsInText(events[i].Error)
	}
	if events == nil {
		events = []alerts.Event{}
	}
	s.writeJSON(w, http.StatusOK, struct {
		Alert   alerts.Record  `json:"alert"`
		History []alerts.Event `json:"history"`
	}{maskAlert(*rec), events})
}

func (s alertsScreen) apiAck(w http.ResponseWriter, r *http.Request) {
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

func (s alertsScreen) apiSilence(w http.ResponseWriter, r *http.Request) {
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

// apiSilences lists the silences in force, soonest to end first, each with "scope" and "covers"
// (`alerts silences --format json`).
func (s alertsScreen) apiSilences(w http.ResponseWriter, r *http.Request) {
	sls, err := s.silences(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, sls)
}

// apiUnsilence ends a silence now (`alerts unsilence ID`).
func (s alertsScreen) apiUnsilence(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Alerts.Unsilence(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Ended string `json:"ended"`
	}{r.PathValue("id")})
}

// maskAlert masks the person and certificate of an alert again (the alert store masks them
// already; a second pass costs nothing and does not depend on it).
func maskAlert(r alerts.Record) alerts.Record {
	if r.Operator != nil {
		op := *r.Operator
		op.IDNumber = mask.ID(op.IDNumber)
		r.Operator = &op
	}
	if r.Certificate != nil {
		c := *r.Certificate
		c.CertNo = mask.CertNo(c.CertNo)
		r.Certificate = &c
	}
	r.Message = mask.IDsInText(r.Message)
	return r
}

func (s *Server) alertPage(ctx context.Context, f alerts.Filter) (*alerts.Page, error) {
	p, err := s.deps.Alerts.Page(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range p.Alerts {
		p.Alerts[i] = maskAlert(p.Alerts[i])
	}
	return p, nil
}

// parseUntil reads a silence's end: RFC 3339, a local date-time (2026-03-01T18:00, as an HTML
// datetime-local input sends it) or a date (the end of that day), in schedule.timezone.
func (s *Server) parseUntil(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, s.loc); err == nil {
			return t, nil
		}
	}
	if d, err := mapping.ParseDate(v); err == nil && !d.IsZero() {
		return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, s.loc), nil
	}
	return time.Time{}, inputErr(msgBadUntil, v)
}

// silence mutes alerts: target is an alert key or an ID number (all of a person's alerts); with
// no target, community and rule say which.
func (s *Server) silence(ctx context.Context, target, community, rule, until, reason, by string) (alerts.Silence, error) {
	var m alerts.Matcher
	if strings.TrimSpace(target) != "" {
		var err error
		if m, err = alerts.ParseTarget(target); err != nil {
			return alerts.Silence{}, err
		}
	}
	m.Community, m.Rule = strings.TrimSpace(community), strings.TrimSpace(rule)
	t, err := s.parseUntil(until)
	if err != nil {
		return alerts.Silence{}, err
	}
	return s.deps.Alerts.Silence(ctx, m, t, reason, by)
}
