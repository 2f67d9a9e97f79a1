package console

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler"
	"streetsync/scheduler/retry"
)

// 概览: the day's work first — 待办, each line a count that links to the list it counts, with
// the next step and the CLI that prints the same number — then the street at a glance (tiles,
// alerts by community, thirty days of alarms), the jobs, the platforms' health and a loss of
// Redis data still being recovered from.
//
// Every count is the total of the listing it links to, read with the very query of that
// listing, so that 概览, the page behind each line and the CLI agree. Certificate alerts (持证预警)
// and alarm alerts (报警预警) are counted apart.

type overviewScreen struct{ *Server }

func (s overviewScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /{$}", s.page(s.overviewPage))
	api.HandleFunc("GET /api/overview", s.apiOverview)
}

// overview is the front page, and GET /api/overview.
type overview struct {
	// Todo is the to-do panel, in order of urgency.
	Todo        []todoLine             `json:"todo"`
	Ledger      ledger.Overview        `json:"ledger"`
	Queue       retry.Stats            `json:"queue"`
	Jobs        []jobStatus            `json:"jobs"`
	Alerts      alertCounts            `json:"alerts"`         // certificate alerts (持证预警)
	Families    map[string]alertCounts `json:"alertsByFamily"` // certificate, alarm and system alerts, counted apart
	Communities []communityAlerts      `json:"alertsByCommunity"`
	AlarmDays   []alarmDay             `json:"alarmsByDay"`
	// With Deps.Status: where each job's latest tick stands (未运行, 延迟), each platform's
	// health, and a loss of Redis data the jobs are still recovering from (null: none).
	JobStatus []scheduler.JobStatus   `json:"jobStatus,omitempty"`
	Platforms []ledger.PlatformHealth `json:"platforms,omitempty"`
	RedisLoss *scheduler.RedisLoss    `json:"redisLoss"`
	// Clearing is the dynamic-clearing figures of the major hazards (动态清零), with Deps.Hazards.
	Clearing *ledger.ClearingFigures `json:"clearing,omitempty"`
	// Health is "ok" or what is wrong, per service; Unavailable names the parts left out
	// because their service is down or their read failed, and why.
	Health      map[string]string `json:"health"`
	Unavailable map[string]string `json:"unavailable,omitempty"`
	GeneratedAt time.Time         `json:"generatedAt"`
	// TalliedAt is when the counts that cost a pass over the roster were taken (ledger, and the
	// unregistered line): at most a minute before, or just after the console changed them.
	TalliedAt time.Time `json:"talliedAt,omitzero"`
}

// todoLine is one line of 待办: how many, what they are, where the list is, what to do next, and
// the command that prints the same number.
type todoLine struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Count int    `json:"count"`
	Link  string `json:"link"`
	Next  string `json:"next"`
	CLI   string `json:"cli,omitempty"`
	// Severity is critical or warning: how a non-zero count is shown.
	Severity string `json:"severity"`
	// Unavailable says why the count could not be read ("" when it was).
	Unavailable string `json:"unavailable,omitempty"`
	// People are the first of the on-duty operators with a critical alert, by name.
	People []todoPerson `json:"people,omitempty"`
}

// todoPerson is an on-duty operator with a critical certificate alert.
type todoPerson struct {
	Name       string    `json:"name"`
	IDNumber   string    `json:"idNumber"` // masked
	Enterprise string    `json:"enterprise"`
	Rule       string    `json:"rule"` // Chinese
	Since      time.Time `json:"since"`
	Link       string    `json:"link"`
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
	alarmWindow = 30 // days of alarms on the front page
	todoPeople  = 5  // operators named on the uncertified line
)

// overview reads the front page. It does not fail: a part whose service is down or whose read
// failed is left out and named in Unavailable.
func (s *Server) overview(r *http.Request, h health) *overview {
	ctx := r.Context()
	o := &overview{GeneratedAt: s.now().In(s.loc), Health: h.healthJSON(), Families: map[string]alertCounts{},
		Jobs: []jobStatus{}, Communities: []communityAlerts{}, AlarmDays: []alarmDay{}}
	missing := func(part, why string) {
		if o.Unavailable == nil {
			o.Unavailable = map[string]string{}
		}
		o.Unavailable[part] = why
	}
	read := func(part string, svc service, fn func() error) {
		if msg := h.down(svc); msg != "" {
			missing(part, msg)
			return
		}
		if err := fn(); err != nil {
			missing(part, s.unreadable(r, err))
		}
	}
	var tl *tally
	read("ledger", needsLedger, func() (err error) {
		if tl, err = s.tallies.get(ctx); err == nil {
			o.Ledger, o.TalliedAt = tl.Ledger, tl.At.In(s.loc)
		}
		return err
	})
	o.Todo = s.todo(r, h, tl)
	read("queue", needsRedis, func() (err error) { o.Queue, err = s.deps.Queue.Stats(ctx); return })
	read("jobs", needsLedger, func() (err error) { o.Jobs, err = s.recent(ctx); return })
	read("alerts", needsLedger, func() error {
		if tl == nil {
			return errNoTally
		}
		s.countAlerts(tl.Alerts, o)
		return nil
	})
	read("alarms", needsLedger, func() error {
		if tl == nil {
			return errNoTally
		}
		o.AlarmDays = tl.AlarmDays
		return nil
	})
	if hz := s.deps.Hazards; hz != nil {
		read("clearing", needsLedger, func() error {
			fig, err := hz.HazardFigures(ctx, s.today())
			o.Clearing = &fig
			return err
		})
	}
	if st := s.deps.Status; st != nil {
		read("jobStatus", needsRedis, func() (err error) { o.JobStatus, err = st.JobStatus(ctx); return })
		read("platforms", needsLedger, func() (err error) { o.Platforms, err = st.PlatformHealth(ctx); return })
		read("redisLoss", needsLedger, func() (err error) { o.RedisLoss, err = st.RedisLoss(ctx); return })
	}
	return o
}

// countAlerts adds up the firing alerts by family and, for the certificate alerts, by community
// and rule.
func (s *Server) countAlerts(counts []alerts.Count, o *overview) {
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
			continue // the front page's 持证预警 are the certificate alerts; alarms have their own line
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
}

// alarmDays counts the alarms raised on each of the last alarmWindow days (today included).
func (s *Server) alarmDays(ctx context.Context) ([]alarmDay, error) {
	today := s.today()
	first := today.AddDays(-(alarmWindow - 1))
	from := time.Date(first.Year, first.Month, first.Day, 0, 0, 0, 0, s.loc)
	to := from.AddDate(0, 0, alarmWindow)
	days := make([]alarmDay, alarmWindow)
	index := map[mapping.Date]int{}
	for i := range days {
		d := first.AddDays(i)
		days[i].Day = d.String()
		index[d] = i
	}
	counted, err := s.deps.Alarms.AlarmsPerDay(ctx, from, to, s.loc)
	if err != nil {
		return nil, err
	}
	for _, c := range counted {
		if i, ok := index[c.Day]; ok {
			days[i].ByLevel = c.ByLevel
		}
	}
	return days, nil
}

// todo reads the to-do lines, each with the query of the list it links to; the unregistered
// line's from the tally (nil: the ledger is down).
func (s *Server) todo(r *http.Request, h health, tl *tally) []todoLine {
	ctx := r.Context()
	var lines []todoLine
	line := func(l todoLine, svc service, count func() (int, error)) *todoLine {
		if msg := h.down(svc); msg != "" {
			l.Unavailable = msg
		} else if n, err := count(); err != nil {
			l.Unavailable = s.unreadable(r, err)
		} else {
			l.Count = n
		}
		lines = append(lines, l)
		return &lines[len(lines)-1]
	}
	alertLine := func(l todoLine, f alerts.Filter) {
		var people []todoPerson
		added := line(l, needsLedger, func() (int, error) {
			p, err := s.alertPage(ctx, f)
			if err != nil {
				return 0, err
			}
			for _, a := range p.Alerts {
				if a.Operator == nil {
					continue
				}
				people = append(people, todoPerson{Name: a.Operator.Name, IDNumber: a.Operator.IDNumber,
					Enterprise: a.Enterprise.Name, Rule: a.RuleName, Since: a.Since,
					Link: "/alerts?family=certificate&status=firing&q=" + a.Operator.IDNumber})
			}
			return p.Total, nil
		})
		added.People = people
	}
	enterprises := func(q ledger.EnterpriseQuery) func() (int, error) {
		return func() (int, error) {
			_, n, err := s.deps.Ledger.EnterprisePage(ctx, q)
			return n, err
		}
	}

	alertLine(todoLine{Key: "uncertified", Title: todoUncertified, Next: todoUncertifiedNext, Severity: "critical",
		Link: "/alerts?family=certificate&severity=critical&status=firing",
		CLI:  "streetsync alerts list --family certificate --severity critical --status firing（对账中“无有效证书在岗”也是此数）"},
		alerts.Filter{Family: "certificate", Severity: "critical", Status: "firing", PageSize: todoPeople})
	alertLine(todoLine{Key: "alarmAlerts", Title: todoAlarmAlerts, Next: todoAlarmAlertsNext, Severity: "critical",
		Link: "/alerts?family=alarm&status=firing", CLI: "streetsync alerts list --family alarm --status firing"},
		alerts.Filter{Family: "alarm", Status: "firing", PageSize: 1})
	alertLine(todoLine{Key: "systemAlerts", Title: todoSystemAlerts, Next: todoSystemAlertsNext, Severity: "critical",
		Link: "/alerts?family=system&status=firing", CLI: "streetsync alerts list --family system --status firing"},
		alerts.Filter{Family: "system", Status: "firing", PageSize: 1})
	if hz := s.deps.Hazards; hz != nil {
		hazards := func(f ledger.HazardFilter) func() (int, error) {
			return func() (int, error) { return hz.CountHazards(ctx, f) }
		}
		line(todoLine{Key: "majorHazards", Title: todoMajorHazards, Next: todoMajorHazardsNext, Severity: "critical",
			Link: "/hazards?level=重大&status=open", CLI: "streetsync hazards list --level 重大 --status open"},
			needsLedger, hazards(ledger.HazardFilter{Level: mapping.HazardMajor, Status: ledger.HazardsOpen}))
		line(todoLine{Key: "overdueHazards", Title: todoOverdueHazards, Next: todoOverdueHazardsNext, Severity: "critical",
			Link: "/hazards?status=overdue", CLI: "streetsync hazards list --status overdue"},
			needsLedger, hazards(ledger.HazardFilter{Status: ledger.HazardsOverdue, Today: s.today()}))
	}
	line(todoLine{Key: "dead", Title: todoDead, Next: todoDeadNext, Severity: "critical", Link: "/queue",
		CLI: "streetsync queue stats（dead 即死信）"}, needsRedis, func() (int, error) {
		st, err := s.deps.Queue.Stats(ctx)
		return st.Dead, err
	})
	line(todoLine{Key: "notOnPlatform", Title: todoNotOnPlatform, Next: todoNotOnPlatformNext, Severity: "warning",
		Link: "/ledger?state=" + ledger.StateNotOnPlatform, CLI: "streetsync reconcile enterprises（onlyInLedger：仅台账有）"},
		needsLedger, enterprises(ledger.EnterpriseQuery{State: ledger.StateNotOnPlatform}))
	line(todoLine{Key: "pendingReview", Title: todoPendingReview, Next: todoPendingReviewNext, Severity: "warning",
		Link: "/ledger?pendingReview=true", CLI: "streetsync reconcile enterprises（onlyOnPlatform：仅平台有）"},
		needsLedger, enterprises(ledger.EnterpriseQuery{PendingReview: true}))
	line(todoLine{Key: "drifted", Title: todoDrifted, Next: todoDriftedNext, Severity: "warning",
		Link: "/ledger?state=" + ledger.StateDrifted, CLI: "streetsync reconcile enterprises（different：字段不一致）"},
		needsLedger, enterprises(ledger.EnterpriseQuery{State: ledger.StateDrifted}))
	line(todoLine{Key: "unregistered", Title: todoUnregistered, Next: todoUnregisteredNext, Severity: "warning",
		Link: "/ledger?tab=" + tabUnregistered, CLI: "streetsync reconcile operators（unregistered：未用工登记）"},
		needsLedger, func() (int, error) {
			if tl == nil {
				return 0, errNoTally
			}
			return tl.UnregisteredTotal, nil
		})
	line(todoLine{Key: "quarantined", Title: todoQuarantined, Next: todoQuarantinedNext, Severity: "warning",
		Link: "/ledger?tab=" + tabQuarantine}, needsLedger, func() (int, error) {
		_, n, err := s.deps.Ledger.QuarantinePage(ctx, ledger.QuarantineQuery{})
		return n, err
	})
	line(todoLine{Key: "feedbackRefused", Title: todoFeedbackRefused, Next: todoFeedbackRefusedNext, Severity: "warning",
		Link: "/alarms?show=refused"}, needsLedger, func() (int, error) {
		_, n, err := s.deps.Alarms.AlarmPage(ctx, ledger.AlarmQuery{FeedbackRejected: true})
		return n, err
	})
	return lines
}

// errNoTally stands for a tally that could not be taken (the ledger's panel says why).
var errNoTally = errors.New("console: no tally of the counts")

type overviewData struct {
	*overview
	AlertChart template.HTML
	AlarmChart template.HTML
	// ClearingChart is the 12 months of open major hazards (with Deps.Hazards).
	ClearingChart template.HTML
	RuleLegend    []legendItem
	Strips        map[string]template.HTML
	Running       []*taskView
	Schedule      map[string]*scheduler.JobStatus
	Loss          *redisLossView
	// TodoOpen are the lines to act on (or that could not be read), TodoDone those at zero.
	TodoOpen, TodoDone []todoLine
	AllClear           bool
}

func (d overviewData) refresh() int {
	if len(d.Running) > 0 {
		return 5
	}
	return 0
}

func (s overviewScreen) overviewPage(w http.ResponseWriter, r *http.Request, sess *session) {
	h := s.checkHealth(r.Context())
	o := s.overview(r, h)
	d := overviewData{overview: o, Strips: map[string]template.HTML{}, Schedule: map[string]*scheduler.JobStatus{},
		Loss: s.redisLoss(o.RedisLoss), AllClear: true}
	for _, l := range o.Todo {
		if l.Count > 0 || l.Unavailable != "" {
			d.AllClear = false
			d.TodoOpen = append(d.TodoOpen, l)
		} else {
			d.TodoDone = append(d.TodoDone, l)
		}
	}
	d.AlertChart, d.RuleLegend = alertsChart(o.Communities)
	d.AlarmChart = alarmsChart(o.AlarmDays)
	if o.Clearing != nil {
		d.ClearingChart = clearingChart(o.Clearing.Total.Monthly)
	}
	for _, j := range o.Jobs {
		d.Strips[j.Job] = runStrip(j.Recent, s.loc)
	}
	for i := range o.JobStatus {
		d.Schedule[o.JobStatus[i].Job] = &o.JobStatus[i]
	}
	for _, t := range s.tasks.runningTasks() {
		d.Running = append(d.Running, s.taskView(r, t))
	}
	s.renderScreen(w, r, sess, h, "overview", "概览", d)
}

// apiOverview is the front page's data. It answers 200 when a service is down: "health" says
// which, "unavailable" which parts are missing and why (/readyz is the machine check).
func (s overviewScreen) apiOverview(w http.ResponseWriter, r *http.Request) {
	h := s.checkHealth(r.Context())
	o := s.overview(r, h)
	for i := range o.JobStatus {
		for _, run := range []*scheduler.Run{o.JobStatus[i].LastRun, o.JobStatus[i].LastSuccess} {
			if run != nil {
				*run = maskSchedulerRun(*run)
			}
		}
	}
	s.writeJSON(w, http.StatusOK, o)
}
