package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// Deps is what a Runner is built from; the wiring (internal/app) fills it once.
type Deps struct {
	Store      ledger.Store // required
	Quanzhou   Quanzhou     // required
	SpecialOps SpecialOps   // required
	Queue      Queue        // required: the retry queue (scheduler/retry)
	Cursors    Cursors      // required: where watermarks live (Redis)
	// Region is the street's 行政区划代码 (config region.code): pushed as xzqhdm where the
	// ledger holds none.
	Region string
	// Location is schedule.timezone: "today" for certificate validity and duty (default
	// Asia/Shanghai).
	Location *time.Location
	Clock    Clock       // default: the wall clock
	Logger   *zap.Logger // default: none
	Observer Observer    // default: none (the daemon passes *metrics.Metrics)
	Progress Progress    // default: none (the CLI passes NewProgress on its stderr)
	// Concurrency is how many platform calls a job keeps in flight (default 4). The clients'
	// rate limiters pace them; more than one hides each call's latency.
	Concurrency int
	// Clauses are the judgement clauses of major hazards (hazards.clauses); nil: the built-in
	// list.
	Clauses *mapping.Clauses
	// AnswerMaxAge is how old a certificate answer may get before the holder is asked again
	// (default 30 days); between answers the change feed keeps certificates current.
	AnswerMaxAge time.Duration
	// MaxRegistrations caps the registrations one employments run sends (0: no cap); the rest
	// stay due in the ledger for the next run (specialOps.maxRegistrationsPerRun).
	MaxRegistrations int
}

// Runner runs the sync jobs and the retry handlers. It is safe for concurrent use; one job runs
// at a time per Runner (a second caller of the same job waits).
type Runner struct {
	store        ledger.Store
	qz           Quanzhou
	tz           SpecialOps
	queue        Queue
	cursors      Cursors
	region       string
	loc          *time.Location
	clock        Clock
	log          *zap.Logger
	obs          Observer
	progress     Progress
	concurrency  int
	answerMaxAge time.Duration
	maxRegs      int
	clauses      *mapping.Clauses

	locks map[string]*sync.Mutex
}

// New checks deps and returns a Runner.
func New(d Deps) (*Runner, error) {
	var missing []string
	if d.Store == nil {
		missing = append(missing, "Store")
	}
	if d.Quanzhou == nil {
		missing = append(missing, "Quanzhou")
	}
	if d.SpecialOps == nil {
		missing = append(missing, "SpecialOps")
	}
	if d.Queue == nil {
		missing = append(missing, "Queue")
	}
	if d.Cursors == nil {
		missing = append(missing, "Cursors")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("jobs: missing %s", strings.Join(missing, ", "))
	}
	if d.Region != "" && (len(d.Region) != 9 || strings.Trim(d.Region, "0123456789") != "") {
		return nil, fmt.Errorf("jobs: region %q is not a 9-digit 行政区划代码", d.Region)
	}
	if d.Concurrency < 0 || d.AnswerMaxAge < 0 || d.MaxRegistrations < 0 {
		return nil, errors.New("jobs: concurrency, answer age and registration cap must not be negative")
	}
	r := &Runner{
		store: d.Store, qz: d.Quanzhou, tz: d.SpecialOps, queue: d.Queue, cursors: d.Cursors,
		region: d.Region, loc: d.Location, clock: d.Clock, log: d.Logger, obs: d.Observer, progress: d.Progress,
		concurrency: d.Concurrency, answerMaxAge: d.AnswerMaxAge, maxRegs: d.MaxRegistrations, clauses: d.Clauses,
		locks: map[string]*sync.Mutex{},
	}
	if r.loc == nil {
		r.loc = mapping.Beijing()
	}
	if r.clock == nil {
		r.clock = systemClock{}
	}
	if r.log == nil {
		r.log = zap.NewNop()
	}
	r.log = r.log.Named("jobs")
	if r.obs == nil {
		r.obs = nopObserver{}
	}
	if r.progress == nil {
		r.progress = nopProgress{}
	}
	if r.concurrency == 0 {
		r.concurrency = 4
	}
	if r.answerMaxAge == 0 {
		r.answerMaxAge = 30 * 24 * time.Hour
	}
	for _, n := range Names {
		r.locks[n] = &sync.Mutex{}
	}
	return r, nil
}

// ErrUnknownJob is returned by Run for a name that is neither a job nor "all".
var ErrUnknownJob = errors.New("unknown sync job")

// All is the name that runs every job, in Names order.
const All = "all"

// Run runs one job by name, or every job in Names order for "all", and returns one Summary per
// job run. full ignores watermarks and hashes: every record is read again and compared.
//
// Records that failed transiently are queued for retry and counted in Summary.Queued; that is
// not an error. Run returns an error for what no retry fixes: the ledger failing, credentials or
// the region refused, the context ending. With "all", a job's error does not stop the next job
// (employments still run when the enterprise listing was refused); the errors are joined.
func (r *Runner) Run(ctx context.Context, job string, full bool) ([]Summary, error) {
	names := []string{job}
	if job == All {
		names = Names
	} else if _, ok := r.locks[job]; !ok {
		return nil, fmt.Errorf("%w %q: want %s or %s", ErrUnknownJob, job, strings.Join(Names, ", "), All)
	}
	var out []Summary
	var errs []error
	for _, name := range names {
		s, err := r.runJob(ctx, name, full, nil)
		out = append(out, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("sync %s: %w", name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

// fence is the retry queue's lease check, called before a handler records a platform write or
// advances a watermark; nil outside handlers.
type fence func(ctx context.Context) error

func (f fence) check(ctx context.Context) error {
	if f == nil {
		return nil
	}
	return f(ctx)
}

// runJob runs one job under its lock and reports its counts.
func (r *Runner) runJob(ctx context.Context, name string, full bool, fc fence) (Summary, error) {
	mu := r.locks[name]
	mu.Lock()
	defer mu.Unlock()
	start := time.Now()
	t := newTally(name)
	var err error
	switch name {
	case Enterprises:
		err = r.syncEnterprises(ctx, t, full, fc)
	case Certificates:
		err = r.syncCertificates(ctx, t, full, fc)
	case Alarms:
		err = r.syncAlarms(ctx, t, full, fc)
	case Hazards:
		err = r.syncHazards(ctx, t, full, fc)
	case Inspections:
		err = r.syncInspections(ctx, t, full, fc)
	case Employments:
		err = r.syncEmployments(ctx, t, full, fc)
	}
	s := t.summary(time.Since(start), err)
	r.report(s)
	lvl := r.log.Info
	if s.Outcome == OutcomeFailed || s.Outcome == OutcomePlatformUnavailable {
		lvl = r.log.Warn
	}
	lvl("sync job finished", zap.String("job", name), zap.String("outcome", s.Outcome), zap.Bool("full", full), zap.Int("pulled", s.Pulled),
		zap.Int("pushed", s.Pushed), zap.Int("unchanged", s.Unchanged), zap.Int("drifted", s.Drifted),
		zap.Int("quarantined", s.Quarantined), zap.Int("queued", s.Queued), zap.Int64("durationMs", s.DurationMs),
		zap.Error(err))
	return s, err
}

func (r *Runner) report(s Summary) {
	for outcome, n := range s.Counts() {
		if n > 0 {
			r.obs.Records(s.Job, outcome, n)
		}
	}
}

// today is the civil date in the schedule's time zone.
func (r *Runner) today() mapping.Date { return mapping.DateOf(r.clock.Now().In(r.loc)) }
