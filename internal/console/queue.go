package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping/mask"
	"streetsync/scheduler/retry"
)

// 重试队列: the items waiting for their next attempt and the dead letters, paged, each with its
// job in Chinese, the record it stands for (name and key), its errors by class, and 立即重试 for
// waiting and dead items alike; a search by USCC, ID number or item number.

// Queue is the retry queue's operator side (`streetsync queue …`); *retry.Queue satisfies it.
type Queue interface {
	Stats(ctx context.Context) (retry.Stats, error)
	KindStats(ctx context.Context) (map[string]retry.Stats, error)
	List(ctx context.Context, opt retry.ListOptions) ([]retry.ItemInfo, error)
	Get(ctx context.Context, id string) (retry.ItemInfo, error)
	RetryNow(ctx context.Context, ids ...string) (int, error)
	RetryAllDead(ctx context.Context, kind string) (int, error)
	Drop(ctx context.Context, ids ...string) (int, error)
}

type queueScreen struct{ *Server }

func (s queueScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /queue", s.page(s.queuePage))
	pages.HandleFunc("POST /queue/retry", s.action(s.queueRetry))
	pages.HandleFunc("POST /queue/drop", s.action(s.queueDrop))
	api.HandleFunc("GET /api/queue/stats", s.apiQueueStats)
	api.HandleFunc("GET /api/queue/items", s.apiQueueItems)
	api.HandleFunc("POST /api/queue/retry", s.apiQueueRetry)
	api.HandleFunc("POST /api/queue/drop", s.apiQueueDrop)
}

const (
	queuePageSize = 50
	// queueDepth is how deep the pages reach into one listing: the queue lists by score from
	// the head, so page n reads n pages; past this, the filters and the search find an item.
	queueDepth = 5000
)

// queueItem is an item as the page shows it: masked, with the record it stands for.
type queueItem struct {
	retry.ItemInfo
	Record string // the record's name (enterprise, person and enterprise, alarm); "" unknown
}

// LastClass is the class of the item's latest error ("" without one).
func (it queueItem) LastClass() string {
	if len(it.Errors) == 0 {
		return ""
	}
	return it.Errors[len(it.Errors)-1].Class
}

type kindCount struct {
	Kind  string
	Count int
}

type queueData struct {
	Stats     retry.Stats
	StatsDown string
	Dead      bool
	Kind      string
	Kinds     []kindCount
	Search    string
	Searched  bool
	Items     []queueItem
	ItemsDown string
	Pager     pager
	TooDeep   bool
}

func (s queueScreen) queuePage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	h := s.checkHealth(ctx)
	q := r.URL.Query()
	d := queueData{Dead: q.Get("view") != "live", Kind: q.Get("job"), Search: strings.TrimSpace(q.Get("q"))}
	page := intParam(r, "page", 1, 1, 1<<20)
	d.Pager = newPager(r, page, queuePageSize, 0)
	if msg := h.down(needsRedis); msg != "" {
		d.StatsDown, d.ItemsDown = msg, msg
		s.renderScreen(w, r, sess, h, "queue", "重试队列", d)
		return
	}
	byKind, err := s.deps.Queue.KindStats(ctx)
	if err != nil {
		d.StatsDown, d.ItemsDown = s.unreadable(r, err), s.unreadable(r, err)
		s.renderScreen(w, r, sess, h, "queue", "重试队列", d)
		return
	}
	total := 0
	for kind, st := range byKind {
		d.Stats.Pending += st.Pending
		d.Stats.Scheduled += st.Scheduled
		d.Stats.Dead += st.Dead
		n := st.Pending + st.Scheduled
		if d.Dead {
			n = st.Dead
		}
		if n > 0 || kind == d.Kind {
			d.Kinds = append(d.Kinds, kindCount{kind, n})
		}
		if d.Kind == "" || d.Kind == kind {
			total += n
		}
	}
	slices.SortFunc(d.Kinds, func(a, b kindCount) int { return strings.Compare(a.Kind, b.Kind) })
	var items []retry.ItemInfo
	if d.Search != "" {
		d.Searched = true
		items, err = s.searchQueue(ctx, h, d.Search)
		total = len(items)
	} else {
		items, d.TooDeep, err = s.queuePageItems(ctx, d.Dead, d.Kind, page, queuePageSize)
	}
	if err != nil {
		d.ItemsDown = s.unreadable(r, err)
	} else {
		d.Items = s.describeItems(ctx, h, items)
		d.Pager = newPager(r, page, queuePageSize, total)
		if d.Searched {
			d.Pager = newPager(r, 1, max(total, 1), total)
		}
	}
	s.renderScreen(w, r, sess, h, "queue", "重试队列", d)
}

// queuePageItems reads one page of a listing, keys whole (describeItems masks them); tooDeep
// when the page lies past queueDepth.
func (s *Server) queuePageItems(ctx context.Context, dead bool, kind string, page, size int) ([]retry.ItemInfo, bool, error) {
	skip := (page - 1) * size
	if skip+size > queueDepth {
		return nil, true, nil
	}
	items, err := s.deps.Queue.List(ctx, retry.ListOptions{Dead: dead, Kind: kind, Limit: skip + size})
	if err != nil {
		return nil, false, err
	}
	if skip >= len(items) {
		return nil, false, nil
	}
	return items[skip:], false, nil
}

// searchQueue finds the items of a record: an item number, a USCC (the enterprise's pushes and
// read-backs), an ID number (the person's employment registrations, from the roster), or an
// alarm's number (its feedback). Items are found by their IDs, which the queue derives from job
// and record key (retry.ID): no scan of the queue.
func (s *Server) searchQueue(ctx context.Context, h health, q string) ([]retry.ItemInfo, error) {
	up := strings.ToUpper(strings.TrimSpace(q))
	var ids []string
	switch {
	case len(up) == 18 && validIDShape(up):
		if msg := h.down(needsLedger); msg != "" {
			return nil, errors.New(msg)
		}
		entries, _, err := s.deps.Ledger.OperatorPage(ctx, ledger.OperatorQuery{IDNumber: up, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			ids = append(ids, retry.ID(jobs.KindEmploymentPut, e.Key().String()))
		}
	case usccShape(up):
		for _, k := range []string{jobs.KindEnterprisePush, jobs.KindEnterpriseForcePush, jobs.KindEnterpriseReadBack} {
			ids = append(ids, retry.ID(k, up))
		}
	case len(q) == 12:
		ids = append(ids, strings.ToLower(q))
	default:
		ids = append(ids, retry.ID(jobs.KindFeedbackPush, strings.TrimSpace(q)))
	}
	var out []retry.ItemInfo
	for _, id := range ids {
		it, err := s.deps.Queue.Get(ctx, id)
		if errors.Is(err, retry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// describeItems names the record each item stands for, from the ledger (when it answers), and
// masks the items for display.
func (s *Server) describeItems(ctx context.Context, h health, items []retry.ItemInfo) []queueItem {
	out := make([]queueItem, len(items))
	for i := range items {
		if h.ledger == nil {
			out[i].Record = s.recordName(ctx, &items[i])
		}
		out[i].ItemInfo = maskItem(items[i])
	}
	return out
}

// recordName is what a person calls the record of an item ("" when the ledger does not know it),
// from its whole key: a roster key is looked up by its ID number.
func (s *Server) recordName(ctx context.Context, it *retry.ItemInfo) string {
	switch it.Kind {
	case jobs.KindEnterprisePush, jobs.KindEnterpriseForcePush, jobs.KindEnterpriseReadBack:
		if e, err := s.deps.Ledger.EnterpriseByUSCC(ctx, it.Key); err == nil {
			return e.Name
		}
	case jobs.KindEmploymentPut:
		id, rest, _ := strings.Cut(it.Key, "|")
		uscc, _, _ := strings.Cut(rest, "|")
		entries, _, err := s.deps.Ledger.OperatorPage(ctx, ledger.OperatorQuery{IDNumber: id, EnterpriseUSCC: uscc, Limit: 1})
		if err == nil && len(entries) > 0 {
			return entries[0].Name + " · " + entries[0].EnterpriseName
		}
	case jobs.KindFeedbackPush:
		if a, err := s.deps.Alarms.AlarmByID(ctx, it.Key); err == nil {
			return a.EnterpriseName + " · " + a.PointName
		}
	case alerts.RetryKind:
		if channel, community, ok := strings.Cut(it.Key, "|"); ok {
			return fmt.Sprintf("渠道 %s · %s", channel, community)
		}
	}
	if it.Key == "job" {
		return "整项任务"
	}
	return ""
}

// maskItem masks what an item shows: its key (a roster key carries an ID number) and errors.
// The whole key stays with the item for the record's lookup, never shown.
func maskItem(it retry.ItemInfo) retry.ItemInfo {
	it.Key = mask.IDsInText(it.Key)
	it.LastError = mask.IDsInText(it.LastError)
	errs := make([]retry.ErrorRecord, len(it.Errors))
	for i, e := range it.Errors {
		e.Error = mask.IDsInText(e.Error)
		errs[i] = e
	}
	it.Errors = errs
	return it
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

// queueRetry is 立即重试: the named items (waiting or dead) are due now; "all" replays every dead
// item of the listed job.
func (s queueScreen) queueRetry(r *http.Request, sess *session) (string, error) {
	var n int
	var err error
	if r.PostForm.Get("all") != "" {
		n, err = s.deps.Queue.RetryAllDead(r.Context(), r.PostForm.Get("job"))
	} else if ids := formIDs(r); len(ids) == 0 {
		return "", inputErr(msgNoIDs)
	} else {
		n, err = s.deps.Queue.RetryNow(r.Context(), ids...)
	}
	if err != nil && n == 0 {
		return "", err
	}
	if err != nil {
		s.sessions.addFlash(sess, "error", errText(err))
	}
	return fmt.Sprintf(flashRetried, n), nil
}

func (s queueScreen) queueDrop(r *http.Request, sess *session) (string, error) {
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

func (s queueScreen) apiQueueStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.deps.Queue.Stats(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

// apiQueueItems lists items (query: dead, job, page, limit — default 100, at most 1000 — or q, a
// search): the list, as `queue list --format json` prints it, with X-Total-Count.
func (s queueScreen) apiQueueItems(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		items, err := s.searchQueue(ctx, health{}, q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(len(items)))
		s.writeJSON(w, http.StatusOK, maskItems(items))
		return
	}
	limit, page := intParam(r, "limit", 100, 1, 1000), intParam(r, "page", 1, 1, 1<<20)
	dead, kind := boolParam(r, "dead"), r.URL.Query().Get("job")
	items, tooDeep, err := s.queuePageItems(ctx, dead, kind, page, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tooDeep {
		s.fail(w, r, inputErr(msgQueueTooDeep, queueDepth))
		return
	}
	if byKind, err := s.deps.Queue.KindStats(ctx); err == nil {
		total := 0
		for k, st := range byKind {
			if kind == "" || kind == k {
				if dead {
					total += st.Dead
				} else {
					total += st.Pending + st.Scheduled
				}
			}
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
	}
	s.writeJSON(w, http.StatusOK, maskItems(items))
}

func maskItems(items []retry.ItemInfo) []retry.ItemInfo {
	out := make([]retry.ItemInfo, len(items))
	for i := range items {
		out[i] = maskItem(items[i])
	}
	return out
}

type queueRequest struct {
	IDs     []string `json:"ids"`
	AllDead bool     `json:"allDead"`
	Job     string   `json:"job"` // with allDead: one job kind only
}

// queueResult says how many items a retry or drop moved, and what went wrong with the others.
type queueResult struct {
	Count int    `json:"count"`
	Error string `json:"error,omitempty"`
}

// apiQueueRetry makes the named items (waiting or dead) due now, or replays every dead item.
func (s queueScreen) apiQueueRetry(w http.ResponseWriter, r *http.Request) {
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
		n, err = s.deps.Queue.RetryNow(r.Context(), req.IDs...)
	}
	if err != nil && n == 0 {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, queueResult{Count: n, Error: errText(err)})
}

func (s queueScreen) apiQueueDrop(w http.ResponseWriter, r *http.Request) {
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
