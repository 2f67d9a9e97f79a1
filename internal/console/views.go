package console

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/logging"
	"streetsync/mapping"
	"streetsync/scheduler"
	"streetsync/scheduler/retry"
)

// What the pages and the API show, built from the dependencies and masked: the one place where
// records from the ledger, the queue and the alert store become something a person reads.

const jobAll = "all"

// jobChoices are the jobs an operator can run, in run order, then all of them.
func jobChoices() []string { return append(slices.Clone(jobs.Names), jobAll) }

func validJob(job string) bool { return slices.Contains(jobChoices(), job) }

// ---- overview ----

// overview is the front page, and GET /api/overview.
type overview struct {
	Ledger      ledger.Overview        `json:"ledger"`
	Queue       retry.Stats            `json:"queue"`
	Jobs        []jobStatus            `json:"jobs"`
	Alerts      alertCounts            `json:"alerts"`         // certificate alerts (持证预警)
	Families    map[string]alertCounts `json:"alertsByFamily"` // certificate, alarm and system alerts, counted apart
	Communities []communityAlerts      `json:"alertsByCommunity"`
	AlarmDays   []alarmDay             `json:"alarmsByDay"`
	// With Deps.Status: where each job's latest tick stands (未运行, 延迟), each platform's
	// health, and a loss of Redis data the jobs are still recovering from (null: none).
	JobStatus   []scheduler.JobStatus   `json:"jobStatus,omitempty"`
	Platforms   []ledger.PlatformHealth `json:"platforms,omitempty"`
	RedisLoss   *scheduler.RedisLoss    `json:"redisLoss"`
	GeneratedAt time.Time               `json:"generatedAt"`
}

type jobStatus struct {
	Job     string `json:"job"`
	Name    string `json:"name"`
	LastRun *Run   `json:"lastRun"`
	Recent  []Run  `json:"recent"` // newest first
}

type alertCounts struct {
	Firing   int `json:"firing"`
	Critical int `json:"critical"`
	Warning  int `json:"warning"`
}

// communityAlerts counts one community's firing certificate alerts by rule.
type communityAlerts struct {
	Community string         `json:"community"`
	Critical  int            `json:"critical"`
	Warning   int            `json:"warning"`
	ByRule    map[string]int `json:"byRule"`
}

// alarmDay counts one day's alarms by level (index 0 = level 1 红).
type alarmDay struct {
	Day     string `json:"day"`
	ByLevel [4]int `json:"byLevel"`
}

func (d alarmDay) total() int { return d.ByLevel[0] + d.ByLevel[1] + d.ByLevel[2] + d.ByLevel[3] }

const (
	overviewRuns = 14 // recent runs per job on the front page
	alarmWindow  = 30 // days of alarms on the front page
)

func (s *Server) today() mapping.Date { return mapping.DateOf(s.now().In(s.loc)) }

func (s *Server) overview(ctx context.Context) (*overview, error) {
	o := &overview{GeneratedAt: s.now().In(s.loc)}
	var err error
	if o.Ledger, err = s.deps.Ledger.Overview(ctx, s.today()); err != nil {
		return nil, err
	}
	if o.Queue, err = s.deps.Queue.Stats(ctx); err != nil {
		return nil, err
	}
	for _, j := range jobs.Names {
		runs, err := s.deps.History.Runs(ctx, j, overviewRuns)
		if err != nil {
			return nil, err
		}
		js := jobStatus{Job: j, Name: jobName(j), Recent: runs}
		if len(runs) > 0 {
			js.LastRun = &runs[0]
		}
		o.Jobs = append(o.Jobs, js)
	}
	counts, err := s.deps.Alerts.Counts(ctx)
	if err != nil {
		return nil, err
	}
	o.Families = map[string]alertCounts{}
	byComm := map[string]*communityAlerts{}
	for _, n := range counts {
		fc := o.Families[n.Family]
		fc.Firing += n.Count
		if n.Severity == "critical" {
			fc.Critical += n.Count
		} else {
			fc.Warning += n.Count
		}
		o.Families[n.Family] = fc
		if n.Family != "certificate" {
			continue // the front page's 持证预警 are the certificate alerts; alarms have their own tile
		}
		c := byComm[n.Community]
		if c == nil {
			c = &communityAlerts{Community: n.Community, ByRule: map[string]int{}}
			byComm[n.Community] = c
		}
		c.ByRule[n.Rule] += n.Count
		if n.Severity == "critical" {
			c.Critical += n.Count
		} else {
			c.Warning += n.Count
		}
	}
	o.Alerts = o.Families["certificate"]
	for _, c := range byComm {
		o.Communities = append(o.Communities, *c)
	}
	slices.SortFunc(o.Communities, func(a, b communityAlerts) int {
		if c := cmp.Compare(b.Critical+b.Warning, a.Critical+a.Warning); c != 0 {
			return c
		}
		return strings.Compare(a.Community, b.Community)
	})
	if o.AlarmDays, err = s.alarmDays(ctx); err != nil {
		return nil, err
	}
	if st := s.deps.Status; st != nil {
		if o.JobStatus, err = st.JobStatus(ctx); err != nil {
			return nil, err
		}
		if o.Platforms, err = st.PlatformHealth(ctx); err != nil {
			return nil, err
		}
		if o.RedisLoss, err = st.RedisLoss(ctx); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// alarmDays counts the alarms raised on each of the last alarmWindow days (today included).
func (s *Server) alarmDays(ctx context.Context) ([]alarmDay, error) {
	today := s.today()
	first := today.AddDays(-(alarmWindow - 1))
	from := time.Date(first.Year, first.Month, first.Day, 0, 0, 0, 0, s.loc)
	days := make([]alarmDay, alarmWindow)
	index := map[mapping.Date]int{}
	for i := range days {
		d := first.AddDays(i)
		days[i].Day = d.String()
		index[d] = i
	}
	for a, err := range s.deps.Alarms.Alarms(ctx, ledger.AlarmFilter{From: from}) {
		if err != nil {
			return nil, err
		}
		i, ok := index[mapping.DateOf(a.RaisedAt.In(s.loc))]
		if !ok || a.Level < 1 || a.Level > 4 {
			continue
		}
		days[i].ByLevel[a.Level-1]++
	}
	return days, nil
}

// ---- queue ----

// maskItem masks what an item shows: its key (a roster key carries an ID number) and errors.
func maskItem(it retry.ItemInfo) retry.ItemInfo {
	it.Key = logging.MaskIDsInText(it.Key)
	it.LastError = logging.MaskIDsInText(it.LastError)
	errs := make([]retry.ErrorRecord, len(it.Errors))
	for i, e := range it.Errors {
		e.Error = logging.MaskIDsInText(e.Error)
		errs[i] = e
	}
	it.Errors = errs
	return it
}

func (s *Server) queueItems(ctx context.Context, dead bool, kind string, limit int) ([]retry.ItemInfo, error) {
	items, err := s.deps.Queue.List(ctx, retry.ListOptions{Dead: dead, Kind: kind, Limit: limit})
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i] = maskItem(items[i])
	}
	return items, nil
}

// ---- alerts ----

// maskAlert masks the person and certificate of an alert again (the alert store masks them
// already; a second pass costs nothing and does not depend on it).
func maskAlert(r alerts.Record) alerts.Record {
	if r.Operator != nil {
		op := *r.Operator
		op.IDNumber = logging.MaskID(op.IDNumber)
		r.Operator = &op
	}
	if r.Certificate != nil {
		c := *r.Certificate
		c.CertNo = logging.MaskCertNo(c.CertNo)
		r.Certificate = &c
	}
	r.Message = logging.MaskIDsInText(r.Message)
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

// ---- alarms ----

// alarmRow is an alarm with its enterprise's community and the street's feedback.
type alarmRow struct {
	mapping.Alarm
	Community string                 `json:"community"`
	Feedback  *ledger.FeedbackRecord `json:"feedback,omitempty"` // the latest one recorded
}

type alarmQuery struct {
	Community string
	Unhandled bool
	Active    bool
	Days      int // raised within the last Days days (0: any time)
	Page      int
	Size      int
}

func (s *Server) alarmRows(ctx context.Context, q alarmQuery) (rows []alarmRow, more bool, err error) {
	dir, err := s.dir.get(ctx)
	if err != nil {
		return nil, false, err
	}
	f := ledger.AlarmFilter{Community: q.Community, Unhandled: q.Unhandled, ActiveOnly: q.Active, NewestFirst: true,
		Limit: q.Page*q.Size + 1}
	if q.Days > 0 {
		first := s.today().AddDays(-(q.Days - 1))
		f.From = time.Date(first.Year, first.Month, first.Day, 0, 0, 0, 0, s.loc)
	}
	skip := (q.Page - 1) * q.Size
	n := 0
	for a, err := range s.deps.Alarms.Alarms(ctx, f) {
		if err != nil {
			return nil, false, err
		}
		n++
		if n <= skip {
			continue
		}
		if len(rows) == q.Size {
			more = true
			break
		}
		a.HandlingNote = logging.MaskIDsInText(a.HandlingNote)
		rows = append(rows, alarmRow{Alarm: a, Community: dir.community(a.USCC)})
	}
	for i := range rows {
		fbs, err := s.deps.Alarms.AlarmFeedback(ctx, rows[i].ID)
		if err != nil {
			return nil, false, err
		}
		if len(fbs) > 0 {
			fb := fbs[len(fbs)-1]
			fb.Note = logging.MaskIDsInText(fb.Note)
			rows[i].Feedback = &fb
		}
	}
	return rows, more, nil
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
	return created, err
}

// ---- ledger ----

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
	Item       string `json:"item"`
	ItemCode   string `json:"itemCode"`
	StartDate  string `json:"startDate"`
	EndDate    string `json:"endDate"`
	OnDuty     bool   `json:"onDuty"`
}

type ledgerQuery struct {
	Q             string
	Community     string
	PendingReview bool
	Page, Size    int
}

// page walks a stream, keeps the rows of one page that match, and reports whether there are
// more.
func pageRows[T, R any](seq func(yield func(T, error) bool), q ledgerQuery, match func(*T) bool, row func(*T) R) (rows []R, more bool, err error) {
	skip := (q.Page - 1) * q.Size
	n := 0
	for v, err := range seq {
		if err != nil {
			return nil, false, err
		}
		if !match(&v) {
			continue
		}
		n++
		if n <= skip {
			continue
		}
		if len(rows) == q.Size {
			return rows, true, nil
		}
		rows = append(rows, row(&v))
	}
	return rows, false, nil
}

func (s *Server) enterpriseRows(ctx context.Context, q ledgerQuery) ([]enterpriseRow, bool, error) {
	needle := strings.ToUpper(strings.TrimSpace(q.Q))
	seq := s.deps.Ledger.Enterprises(ctx, ledger.EnterpriseFilter{Community: q.Community, PendingReview: q.PendingReview})
	return pageRows(seq, q, func(e *ledger.EnterpriseRecord) bool {
		return needle == "" || strings.Contains(e.USCC, needle) || strings.Contains(e.Name, q.Q) ||
			strings.Contains(e.LegalRep, q.Q) || strings.Contains(e.Principal, q.Q) || strings.Contains(e.Address, q.Q)
	}, newEnterpriseRow)
}

func (s *Server) operatorRows(ctx context.Context, q ledgerQuery) ([]operatorRow, bool, error) {
	dir, err := s.dir.get(ctx)
	if err != nil {
		return nil, false, err
	}
	needle := strings.ToUpper(strings.TrimSpace(q.Q))
	var f ledger.OperatorFilter
	switch {
	case len(needle) == 18 && validIDShape(needle):
		f.IDNumber, needle = needle, "" // an ID number: ask the ledger for exactly that person
	case len(needle) == 18 && dir.byUSCC[needle] != (enterpriseInfo{}):
		f.EnterpriseUSCC, needle = needle, ""
	}
	today := s.today()
	seq := s.deps.Ledger.Operators(ctx, f)
	return pageRows(seq, q, func(o *ledger.OperatorRecord) bool {
		if q.Community != "" && dir.community(o.EnterpriseUSCC) != q.Community {
			return false
		}
		return needle == "" || strings.Contains(o.Name, q.Q) || strings.Contains(dir.name(o.EnterpriseUSCC), q.Q)
	}, func(o *ledger.OperatorRecord) operatorRow {
		item := o.ItemCode
		if it, ok := s.catalog.Item(o.ItemCode); ok {
			item = it.Name
		}
		return operatorRow{
			Name: o.Name, IDNumber: logging.MaskID(o.IDNumber), Enterprise: dir.name(o.EnterpriseUSCC),
			USCC: o.EnterpriseUSCC, Item: item, ItemCode: o.ItemCode, StartDate: o.StartDate.String(),
			EndDate: o.EndDate.String(), OnDuty: o.Operator.OnDuty(today),
		}
	})
}

// validIDShape reports whether s looks like an ID number: 17 digits and a check character.
func validIDShape(s string) bool {
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	c := s[17]
	return c >= '0' && c <= '9' || c == 'X'
}

// ---- reconciliation ----

// reportState is the last reconciliation the console ran.
type reportState struct {
	Scope      Scope        `json:"scope"`
	FinishedAt time.Time    `json:"finishedAt"`
	Report     *Report      `json:"report"`
	Applied    *ApplyResult `json:"applied,omitempty"` // when it followed an apply
}

// maskReport masks the ID and certificate numbers of a report in place.
func maskReport(r *Report) {
	if r == nil || r.Operators == nil {
		return
	}
	for i := range r.Operators.Unregistered {
		u := &r.Operators.Unregistered[i]
		u.IDNumber = logging.MaskID(u.IDNumber)
		u.CertNo = logging.MaskCertNo(u.CertNo)
	}
	for i := range r.Operators.UnknownItems {
		r.Operators.UnknownItems[i].CertNo = logging.MaskCertNo(r.Operators.UnknownItems[i].CertNo)
	}
}

func (r *Report) empty() bool {
	if r == nil {
		return true
	}
	e, o := r.Enterprises, r.Operators
	return (e == nil || len(e.OnlyInLedger)+len(e.OnlyOnPlatform)+len(e.Different) == 0) &&
		(o == nil || len(o.Unregistered)+len(o.UnknownItems)+o.Uncertified == 0)
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
			for i, p := range res.Problems {
				res.Problems[i] = logging.MaskIDsInText(p)
			}
			st.Applied = res
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

// startJob starts (or joins) a sync run.
func (s *Server) startJob(job string, full bool) (*task, error) {
	if !validJob(job) {
		return nil, inputErr(msgUnknownJob, job)
	}
	label := fmt.Sprintf(labelSync, jobName(job))
	t, _, err := s.tasks.start("sync", fmt.Sprint(job, "|", full), label, func(ctx context.Context) (any, error) {
		return s.deps.Jobs.Run(ctx, job, full)
	})
	if err == errTaskBusy {
		return nil, &busyError{t.label}
	}
	return t, err
}
