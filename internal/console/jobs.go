package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping/mask"
	"streetsync/scheduler"
)

// 同步任务: where each job stands — its last run with the outcome in colour and the reason, its
// last success, its next scheduled run, and whether its latest tick ran (未运行, 延迟) — each
// platform's health, a run now, and the run history, paged.

// JobRunner runs sync jobs now (`streetsync sync JOB [--full]`). job is one of jobs.Names or
// "all" (every job, in order); the summaries are in run order. A manual run is expected to land
// in the run history like a scheduled one.
type JobRunner interface {
	Run(ctx context.Context, job string, full bool) ([]jobs.Summary, error)
}

// RunHistory is the scheduler's record of job runs (kept in the ledger).
type RunHistory interface {
	// Runs returns the runs of job ("" = every job) from offset, at most limit, newest first,
	// and how many there are in all.
	Runs(ctx context.Context, job string, offset, limit int) ([]scheduler.Run, int, error)
}

// Status is where the jobs and the system stand: per job what became of its latest tick (未运行,
// 延迟) and its next one, the platforms' health, and a loss of Redis data the jobs are still
// recovering from (internal/app implements it over the scheduler and the ledger). JobStatus reads
// the job locks in Redis; the other two only the ledger.
type Status interface {
	JobStatus(ctx context.Context) ([]scheduler.JobStatus, error)
	RedisLoss(ctx context.Context) (*scheduler.RedisLoss, error)
	PlatformHealth(ctx context.Context) ([]ledger.PlatformHealth, error)
}

// Run is one job run as the console shows it (GET /api/jobs/runs); reason and error masked.
type Run struct {
	Job        string         `json:"job"`
	Trigger    string         `json:"trigger"` // schedule, manual, catchup
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt,omitzero"` // zero while running
	Outcome    string         `json:"outcome"`             // success, partial, platform_unavailable, failed, skipped, running
	Reason     string         `json:"reason,omitempty"`    // Chinese: what happened, what to do
	Error      string         `json:"error,omitempty"`
	Counts     map[string]int `json:"counts,omitempty"` // jobs.Summary.Counts
	Instance   string         `json:"instance,omitempty"`
}

// Run outcomes (scheduler.Outcome); OutcomeOK is what older histories call a success.
const (
	OutcomeSuccess             = "success"
	OutcomePartial             = "partial"
	OutcomePlatformUnavailable = "platform_unavailable"
	OutcomeOK                  = "ok"
	OutcomeFailed              = "failed"
	OutcomeSkipped             = "skipped"
	OutcomeRunning             = "running"
)

func runOf(r scheduler.Run) Run {
	return Run{Job: r.Job, Trigger: string(r.Trigger), StartedAt: r.Start, FinishedAt: r.End, Outcome: string(r.Outcome),
		Reason: mask.IDsInText(r.Reason), Error: mask.IDsInText(r.Error), Counts: r.Counts, Instance: r.Instance}
}

func runsOf(rs []scheduler.Run) []Run {
	out := make([]Run, len(rs))
	for i, r := range rs {
		out[i] = runOf(r)
	}
	return out
}

const jobAll = "all"

// jobChoices are the jobs an operator can run, in run order, then all of them.
func jobChoices() []string { return append(slices.Clone(jobs.Names), jobAll) }

func validJob(job string) bool { return slices.Contains(jobChoices(), job) }

type jobsScreen struct{ *Server }

func (s jobsScreen) routes(pages, api *http.ServeMux) {
	pages.HandleFunc("GET /jobs", s.page(s.jobsPage))
	pages.HandleFunc("POST /jobs/run", s.action(s.runJob))
	api.HandleFunc("GET /api/jobs/runs", s.apiRuns)
	api.HandleFunc("GET /api/jobs/status", s.apiJobStatus)
	api.HandleFunc("POST /api/jobs/run", s.apiRunJob)
}

// jobStatus is a job's recent runs (GET /api/overview's "jobs").
type jobStatus struct {
	Job     string `json:"job"`
	Name    string `json:"name"`
	LastRun *Run   `json:"lastRun"`
	Recent  []Run  `json:"recent"` // newest first
}

const recentRuns = 14 // recent runs per job in the strips

// recent reads each job's last runs.
func (s *Server) recent(ctx context.Context) ([]jobStatus, error) {
	var out []jobStatus
	for _, j := range jobs.Names {
		runs, _, err := s.deps.History.Runs(ctx, j, 0, recentRuns)
		if err != nil {
			return nil, err
		}
		js := jobStatus{Job: j, Name: jobName(j), Recent: runsOf(runs)}
		if len(js.Recent) > 0 {
			js.LastRun = &js.Recent[0]
		}
		out = append(out, js)
	}
	return out, nil
}

// schedule reads the jobs' schedule (it needs the job locks in Redis) and says in place why not
// when it cannot.
func (s *Server) schedule(r *http.Request, h health) ([]scheduler.JobStatus, string) {
	if s.deps.Status == nil {
		return nil, ""
	}
	if h.redis != nil {
		return nil, msgStatusDown
	}
	st, err := s.deps.Status.JobStatus(r.Context())
	if err != nil {
		return nil, msgStatusDown + "：" + s.unreadable(r, err)
	}
	return st, ""
}

// platforms reads the platforms' health and a loss of Redis data (both in the ledger).
func (s *Server) platforms(r *http.Request, h health) ([]ledger.PlatformHealth, *redisLossView, string) {
	if s.deps.Status == nil {
		return nil, nil, ""
	}
	if msg := h.down(needsLedger); msg != "" {
		return nil, nil, msg
	}
	ps, err := s.deps.Status.PlatformHealth(r.Context())
	if err != nil {
		return nil, nil, s.unreadable(r, err)
	}
	loss, err := s.deps.Status.RedisLoss(r.Context())
	if err != nil {
		return ps, nil, s.unreadable(r, err)
	}
	return ps, s.redisLoss(loss), ""
}

// redisLossView is a loss of Redis data in the office's words: when, who noticed, which jobs
// have yet to complete a run, and what to do.
type redisLossView struct {
	LostAt    time.Time
	NoticedBy string
	Waiting   []string // Chinese job names
}

func (s *Server) redisLoss(l *scheduler.RedisLoss) *redisLossView {
	if l == nil {
		return nil
	}
	v := &redisLossView{LostAt: l.LostAt, NoticedBy: l.NoticedBy}
	for _, j := range l.Waiting {
		v.Waiting = append(v.Waiting, jobName(j))
	}
	return v
}

// Text is the notice shown on 概览 and 同步任务 until every job has completed a run.
func (v *redisLossView) Text() string {
	return fmt.Sprintf(msgRedisLost, v.LostAt.Format("2006-01-02 15:04"), v.NoticedBy, strings.Join(v.Waiting, "、"))
}

// jobRow is one job on the page: its schedule (when readable) and its recent runs.
type jobRow struct {
	jobStatus
	Strip       template.HTML
	Schedule    *scheduler.JobStatus
	LastSuccess *Run
}

type jobsData struct {
	Jobs          []jobRow
	JobsDown      string // the history cannot be read
	ScheduleDown  string // the schedule cannot be read (Redis down): shown in place
	Platforms     []ledger.PlatformHealth
	PlatformsDown string
	RedisLoss     *redisLossView
	Runs          []Run
	RunsDown      string
	Pager         pager
	Filter        string
	Choices       []string
	Task          *taskView
	Result        []jobs.Summary
	Now           time.Time
}

func (d jobsData) refresh() int {
	if d.Task != nil && d.Task.Running {
		return 3
	}
	return 0
}

const runsPageSize = 50

func (s jobsScreen) jobsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	h := s.checkHealth(ctx)
	d := jobsData{Choices: jobs.Names, Now: s.now()}
	if f := r.URL.Query().Get("job"); validJob(f) && f != jobAll {
		d.Filter = f
	}
	page := intParam(r, "page", 1, 1, 1<<20)
	d.Pager = newPager(r, page, runsPageSize, 0)
	sched, schedDown := s.schedule(r, h)
	d.ScheduleDown = schedDown
	d.Platforms, d.RedisLoss, d.PlatformsDown = s.platforms(r, h)
	if msg := h.down(needsLedger); msg != "" {
		d.JobsDown, d.RunsDown = msg, msg
	} else if recent, err := s.recent(ctx); err != nil {
		d.JobsDown = s.unreadable(r, err)
	} else {
		for _, js := range recent {
			row := jobRow{jobStatus: js, Strip: runStrip(js.Recent, s.loc)}
			for i := range sched {
				if sched[i].Job == js.Job {
					row.Schedule = &sched[i]
					if ls := sched[i].LastSuccess; ls != nil {
						v := runOf(*ls)
						row.LastSuccess = &v
					}
				}
			}
			d.Jobs = append(d.Jobs, row)
		}
		runs, total, err := s.deps.History.Runs(ctx, d.Filter, (page-1)*runsPageSize, runsPageSize)
		if err != nil {
			d.RunsDown = s.unreadable(r, err)
		} else {
			d.Runs = runsOf(runs)
			d.Pager = newPager(r, page, runsPageSize, total)
		}
	}
	if t := s.tasks.current("sync"); t != nil {
		d.Task = s.taskView(r, t)
		if !d.Task.Running && t.err == nil {
			d.Result, _ = t.result.([]jobs.Summary)
		}
	}
	s.renderScreen(w, r, sess, h, "jobs", "同步任务", d)
}

func (s jobsScreen) runJob(r *http.Request, sess *session) (string, error) {
	t, err := s.startJob(r.PostForm.Get("job"), r.PostForm.Get("full") != "")
	if err != nil {
		return "", err
	}
	return s.waitForm(r, t)
}

// apiRuns is a page of the run history (query: job, page, limit; default the newest 50). The
// answer is the list; X-Total-Count says how many runs there are in all.
func (s jobsScreen) apiRuns(w http.ResponseWriter, r *http.Request) {
	job := r.URL.Query().Get("job")
	if job != "" && (job == jobAll || !validJob(job)) {
		s.fail(w, r, inputErr(msgUnknownJob, job))
		return
	}
	limit := intParam(r, "limit", 50, 1, 500)
	page := intParam(r, "page", 1, 1, 1<<20)
	runs, total, err := s.deps.History.Runs(r.Context(), job, (page-1)*limit, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	s.writeJSON(w, http.StatusOK, runsOf(runs))
}

// apiJobStatus answers per job, in run order: its schedule, what became of its latest tick
// (tickState ok, late 延迟, missed 未运行, running, due), the next tick, the last run and the last
// success.
func (s jobsScreen) apiJobStatus(w http.ResponseWriter, r *http.Request) {
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
				*run = maskSchedulerRun(*run)
			}
		}
	}
	s.writeJSON(w, http.StatusOK, st)
}

func maskSchedulerRun(r scheduler.Run) scheduler.Run {
	r.Reason, r.Error = mask.IDsInText(r.Reason), mask.IDsInText(r.Error)
	return r
}

// apiRunJob runs a job now and answers with `sync --format json`: one summary, or a list for
// "all". The run belongs to the server: a client that gives up does not stop it.
func (s jobsScreen) apiRunJob(w http.ResponseWriter, r *http.Request) {
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

// startJob starts (or joins) a sync run.
func (s *Server) startJob(job string, full bool) (*task, error) {
	if !validJob(job) {
		return nil, inputErr(msgUnknownJob, job)
	}
	label := fmt.Sprintf(labelSync, jobName(job))
	t, _, err := s.tasks.start("sync", fmt.Sprint(job, "|", full), label, func(ctx context.Context) (any, error) {
		defer s.tallies.invalidate()
		return s.deps.Jobs.Run(ctx, job, full)
	})
	if err == errTaskBusy {
		return nil, &busyError{t.label}
	}
	return t, err
}
