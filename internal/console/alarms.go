package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// 监测报警 (风险报警): the risk-monitoring alarms the platform raised, newest first and paged —
// all, unhandled, not recovered, or those whose handling feedback the platform refused — and the
// street's feedback on each (`alarms feedback`), pushed to the platform.

// Alarms are the stored risk-monitoring alarms and the street's handling of them; ledger.Store
// satisfies it. Recorded feedback is pushed to the platform by the alarms job or its retry; a
// wiring that wants it pushed at once wraps RecordAlarmFeedback.
type Alarms interface {
	AlarmPage(ctx context.Context, q ledger.AlarmQuery) ([]ledger.AlarmListing, int, error)
	AlarmsPerDay(ctx context.Context, from, to time.Time, loc *time.Location) ([]ledger.AlarmDay, error)
	AlarmByID(ctx context.Context, id string) (mapping.Alarm, error)
	RecordAlarmFeedback(ctx context.Context, fb mapping.AlarmFeedback) (ledger.FeedbackRecord, bool, error)
}

type alarmsScreen struct{ *Server }

func (s alarmsScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /alarms", s.page(s.alarmsPage))
	pages.HandleFunc("POST /alarms/feedback", s.action(s.alarmFeedback))
	api.HandleFunc("GET /api/alarms", s.apiAlarms)
	api.HandleFunc("POST /api/alarms/{id}/feedback", s.apiFeedback)
}

// alarmRow is an alarm with its enterprise's community and the street's latest feedback.
type alarmRow struct {
	mapping.Alarm
	Community string                 `json:"community"`
	Feedback  *ledger.FeedbackRecord `json:"feedback,omitempty"` // the latest one recorded
}

// alarmQuery is a listing's selection: show is "", unhandled, active or refused (the latest
// feedback was refused by the platform).
type alarmQuery struct {
	Community string
	Show      string
	Days      int // raised within the last Days days (0: any time)
	Page      int
	Size      int
}

// Unhandled and Active keep the templates' filter state readable.
func (q alarmQuery) Unhandled() bool { return q.Show == "unhandled" }
func (q alarmQuery) Active() bool    { return q.Show == "active" }
func (q alarmQuery) Refused() bool   { return q.Show == "refused" }

type alarmsData struct {
	Rows        []alarmRow
	Down        string
	Query       alarmQuery
	Communities []string
	Pager       pager
}

func (s alarmsScreen) alarmsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	h := s.checkHealth(ctx)
	q := r.URL.Query()
	aq := alarmQuery{Community: q.Get("community"), Show: q.Get("show"), Days: intParam(r, "days", 30, 0, 3660),
		Page: intParam(r, "page", 1, 1, 1<<20), Size: 50}
	if aq.Refused() {
		if _, ok := q["days"]; !ok {
			aq.Days = 0 // refused feedback waits however old its alarm
		}
	}
	d := alarmsData{Query: aq, Pager: newPager(r, aq.Page, aq.Size, 0)}
	var err error
	if msg := h.down(needsLedger); msg != "" {
		d.Down = msg
	} else if d.Communities, err = s.comms.get(ctx); err != nil {
		d.Down = s.unreadable(r, err)
	} else if rows, total, err := s.alarmRows(ctx, aq); err != nil {
		d.Down = s.unreadable(r, err)
	} else {
		d.Rows, d.Pager = rows, newPager(r, aq.Page, aq.Size, total)
	}
	s.renderScreen(w, r, sess, h, "alarms", "监测报警", d)
}

func (s alarmsScreen) alarmFeedback(r *http.Request, sess *session) (string, error) {
	f := r.PostForm
	handler := sess.person(f, "handler")
	created, err := s.recordFeedback(r.Context(), f.Get("alarm"), f.Get("status"), f.Get("note"), handler)
	if err != nil {
		return "", err
	}
	if !created {
		return flashFeedbackSame, nil
	}
	return flashFeedback, nil
}

// apiAlarms is a page of alarms (query: community, unhandled, active, refused, days, page, size).
func (s alarmsScreen) apiAlarms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	aq := alarmQuery{Community: q.Get("community"), Days: intParam(r, "days", 0, 0, 3660),
		Page: intParam(r, "page", 1, 1, 1<<20), Size: intParam(r, "size", 100, 1, 1000)}
	switch {
	case boolParam(r, "unhandled"):
		aq.Show = "unhandled"
	case boolParam(r, "active"):
		aq.Show = "active"
	case boolParam(r, "refused"):
		aq.Show = "refused"
	}
	rows, total, err := s.alarmRows(r.Context(), aq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pageOf(rows, aq.Page, aq.Size, total))
}

func (s alarmsScreen) apiFeedback(w http.ResponseWriter, r *http.Request) {
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

// ledgerAlarmQuery is the ledger's query for a listing.
func (s *Server) ledgerAlarmQuery(q alarmQuery) ledger.AlarmQuery {
	lq := ledger.AlarmQuery{Community: q.Community, Unhandled: q.Unhandled(), ActiveOnly: q.Active(),
		FeedbackRejected: q.Refused(), Offset: (q.Page - 1) * q.Size, Limit: q.Size}
	if q.Days > 0 {
		first := s.today().AddDays(-(q.Days - 1))
		lq.From = time.Date(first.Year, first.Month, first.Day, 0, 0, 0, 0, s.loc)
	}
	return lq
}

func (s *Server) alarmRows(ctx context.Context, q alarmQuery) ([]alarmRow, int, error) {
	list, total, err := s.deps.Alarms.AlarmPage(ctx, s.ledgerAlarmQuery(q))
	if err != nil {
		return nil, 0, err
	}
	rows := make([]alarmRow, len(list))
	for i, l := range list {
		l.HandlingNote = mask.IDsInText(l.HandlingNote)
		rows[i] = alarmRow{Alarm: l.Alarm, Community: l.Community}
		if fb := l.Feedback; fb != nil {
			fb.Note, fb.Message = mask.IDsInText(fb.Note), mask.IDsInText(fb.Message)
			rows[i].Feedback = fb
		}
	}
	return rows, total, nil
}

// recordFeedback checks and records the street's handling of an alarm.
func (s *Server) recordFeedback(ctx context.Context, alarmID, status, note, handler string) (created bool, err error) {
	alarmID = strings.TrimSpace(alarmID)
	if status = strings.TrimSpace(status); status != "1" && status != "2" {
		return false, inputErr(msgBadStatus)
	}
	if _, err := s.deps.Alarms.AlarmByID(ctx, alarmID); err != nil {
		if isNotFound(err) {
			return false, inputErr(msgNoAlarm, alarmID)
		}
		return false, err
	}
	fb := mapping.AlarmFeedback{AlarmID: alarmID, Status: status, Note: strings.TrimSpace(note),
		Handler: strings.TrimSpace(handler), HandledAt: s.now().In(s.loc).Truncate(time.Second)}
	if ps := mapping.ValidateFeedback(&fb); ps.HasErrors() {
		return false, &InputError{Reason: ps.Errors().Error()}
	}
	_, created, err = s.deps.Alarms.RecordAlarmFeedback(ctx, fb)
	s.tallies.invalidate()
	return created, err
}
