package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"streetsync/internal/rdb"
	"streetsync/scheduler/clock"
)

// Errors callers decide on with errors.Is.
var (
	// ErrJobRunning: a manual run found the job running; the error is a *LockedError that
	// names the holder.
	ErrJobRunning = errors.New("scheduler: job is already running")
	ErrUnknownJob = errors.New("scheduler: no such job")
	ErrStopped    = errors.New("scheduler: stopped")
	// ErrLockLost is the cause of a run's ctx cancellation when another instance took its lock
	// (this instance could not renew it in time).
	ErrLockLost = errors.New("scheduler: lock lost")
)

// Observer is told about every recorded run — the daemon's Prometheus series (*metrics.Metrics
// satisfies it). outcome is the run's Outcome.
type Observer interface {
	JobRun(job, outcome string, d time.Duration, end time.Time)
}

// Scheduler runs streetsync's jobs on their cron schedules, once per tick across every instance
// that shares the Redis.
type Scheduler struct {
	locks       lockStore
	history     History
	marks       MarkerStore // nil: no watch for a loss of Redis data
	loc         *time.Location
	parser      cron.Parser
	clock       clock.Clock
	log         *zap.Logger
	obs         Observer
	instance    string
	lockTTL     time.Duration
	catchUp     bool
	maxLate     time.Duration
	markerEvery time.Duration
	order       []string  // WithOrder: the run order of jobs due together
	onRecord    func(Run) // tests only
	idlePoll    time.Duration

	mu      sync.Mutex
	entries map[string]*entry
	added   []string // in the order added
	state   int      // stateNew, stateStarted, stateStopped
	chain   chain

	stopLoops  context.CancelFunc
	loops      sync.WaitGroup
	runs       sync.WaitGroup
	runBase    context.Context // parent of every run's ctx; cancelled at Stop's deadline
	cancelRuns context.CancelFunc
	running    atomic.Int32 // runs starting or in progress, and a catch-up chain
}

const (
	stateNew = iota
	stateStarted
	stateStopped
)

type entry struct {
	name  string
	spec  string
	sched cron.Schedule // nil: off ("-" or "")
	job   Job
}

// Option configures a Scheduler.
type Option func(*Scheduler)

// WithLocation sets the time zone of the schedules (default Asia/Shanghai, the configuration's
// default schedule.timezone).
func WithLocation(loc *time.Location) Option { return func(s *Scheduler) { s.loc = loc } }

// WithClock sets the clock that decides when ticks are due and whether a tick was missed.
func WithClock(c clock.Clock) Option { return func(s *Scheduler) { s.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *zap.Logger) Option { return func(s *Scheduler) { s.log = l.Named("scheduler") } }

// WithObserver reports every recorded run, e.g. to Prometheus.
func WithObserver(o Observer) Option { return func(s *Scheduler) { s.obs = o } }

// WithInstance names this process in run histories and slot markers (default host:pid).
func WithInstance(name string) Option { return func(s *Scheduler) { s.instance = name } }

// WithLockTTL sets a running lock's lease: how long it outlives its holder's last renewal
// (default 30s, config schedule.lockTTL); the holder renews it every third of that.
func WithLockTTL(d time.Duration) Option { return func(s *Scheduler) { s.lockTTL = d } }

// WithOrder sets the order in which jobs due at the same time run, one after another — at Start's
// catch-up, and for a tick due while an earlier job of the order still catches up. Jobs it does
// not name come after, in the order added. A job slots in by its place in names.
func WithOrder(names ...string) Option {
	return func(s *Scheduler) { s.order = append([]string(nil), names...) }
}

// WithoutCatchUp turns off running missed ticks at Start.
func WithoutCatchUp() Option { return func(s *Scheduler) { s.catchUp = false } }

// WithRedisMarks makes the started scheduler watch for a loss of Redis data: a marker key
// written at the first start and checked at Start and every minute on the clock, remembered in
// m (the ledger). See CheckRedis.
func WithRedisMarks(m MarkerStore) Option { return func(s *Scheduler) { s.marks = m } }

// lockStore is what the scheduler keeps in Redis: tick markers, the jobs' running locks that
// name their holder, and the Redis-loss marker (*rdb.Locks, which owns the keys and scripts).
type lockStore interface {
	// ClaimTick marks job's tick slot as this instance's and takes the job's lock, in one step.
	ClaimTick(ctx context.Context, job, slot string, slotTTL time.Duration, token string) (rdb.TickClaim, error)
	// Acquire takes job's lock outside a tick: free, or left by a process gone from this host;
	// else it returns the live holder.
	Acquire(ctx context.Context, job, token string) (bool, Holder, error)
	Holder(ctx context.Context, job string) (Holder, bool, error)
	// MarkSlot marks job's tick slot as this instance's without taking the lock; false: taken.
	MarkSlot(ctx context.Context, job, slot string, ttl time.Duration) (bool, error)
	// Gone reports whether a holder's process is known to be gone from this host.
	Gone(h Holder) bool
	// Keep renews the lease while the run goes on; lost is called when another holder has it.
	Keep(job, token string, lost func()) (stop func())
	Release(ctx context.Context, job, token string) error
	Marker(ctx context.Context) (string, error)
	SetMarker(ctx context.Context, marker string) (bool, error)
}

// Holder is who holds a job's running lock: host, process id, since when, instance, and when its
// lease ends unless renewed.
type Holder = rdb.Holder

// specParser reads the schedules: six fields with seconds, or a descriptor — the same parser
// internal/config validates the schedule section with.
var specParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// defaultLocation is the configuration's default time zone, Asia/Shanghai (UTC+8 where the
// system has no zone data).
func defaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// New returns a scheduler keeping its locks and tick markers in conn's Redis and its run history
// in history.
func New(conn *rdb.Conn, history History, opts ...Option) (*Scheduler, error) {
	if conn == nil {
		return nil, errors.New("scheduler: no redis connection")
	}
	if history == nil {
		return nil, errors.New("scheduler: no run history")
	}
	s := &Scheduler{
		history:     history,
		loc:         defaultLocation(),
		parser:      specParser,
		clock:       clock.Real(),
		log:         zap.NewNop(),
		obs:         nopObserver{},
		lockTTL:     30 * time.Second,
		catchUp:     true,
		maxLate:     time.Minute,
		markerEvery: time.Minute,
		idlePoll:    250 * time.Millisecond,
		entries:     map[string]*entry{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.instance == "" {
		s.instance = rdb.ThisProcess()
	}
	if s.loc == nil {
		return nil, errors.New("scheduler: no time zone")
	}
	if s.lockTTL < 30*time.Millisecond {
		return nil, fmt.Errorf("scheduler: lock TTL %s: want at least 30ms", s.lockTTL)
	}
	locks, err := rdb.NewLocks(conn, rdb.LockOptions{TTL: s.lockTTL, Instance: s.instance, Now: s.clock.Now, Log: s.log})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	s.locks = locks
	s.runBase, s.cancelRuns = context.WithCancel(context.Background())
	return s, nil
}

type nopObserver struct{}

func (nopObserver) JobRun(string, string, time.Duration, time.Time) {}

// Add registers a job with its cron spec (six fields with seconds, in the scheduler's time zone).
// A spec of "-" or "" registers the job switched off: it never runs on its own, RunNow still
// runs it. Jobs are added before Start.
func (s *Scheduler) Add(name, spec string, job Job) error {
	var sched cron.Schedule
	if spec = strings.TrimSpace(spec); spec != "" && spec != "-" {
		var err error
		if sched, err = s.parser.Parse(spec); err != nil {
			return fmt.Errorf("scheduler: job %s: spec %q: %w", name, spec, err)
		}
	}
	return s.add(&entry{name: name, spec: spec, sched: sched, job: job})
}

// AddSchedule registers a job on any cron.Schedule (cron.Every(d), a parsed spec, …).
func (s *Scheduler) AddSchedule(name string, sched cron.Schedule, job Job) error {
	if sched == nil {
		return fmt.Errorf("scheduler: job %s: no schedule", name)
	}
	return s.add(&entry{name: name, spec: fmt.Sprintf("%v", sched), sched: sched, job: job})
}

// JobSpec is a job's name and cron spec, as the configuration's schedule section gives them
// ("" or "-": switched off).
type JobSpec struct {
	Name string
	Spec string
}

// AddConfigured registers the jobs of the `schedule` section (internal/app lists them): each
// configured name gets the job of that name from jobs. A job that is switched on but has no
// implementation is an error.
func (s *Scheduler) AddConfigured(specs []JobSpec, jobs map[string]Job) error {
	for _, j := range specs {
		job, ok := jobs[j.Name]
		if !ok {
			if j.Spec == "" || j.Spec == "-" {
				continue
			}
			return fmt.Errorf("scheduler: job %s is scheduled (%q) but not implemented", j.Name, j.Spec)
		}
		if err := s.Add(j.Name, j.Spec, job); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scheduler) add(e *entry) error {
	if e.job == nil {
		return fmt.Errorf("scheduler: job %s: nil job", e.name)
	}
	if e.name == "" || strings.ContainsFunc(e.name, func(r rune) bool {
		return r == '{' || r == '}' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		return fmt.Errorf("scheduler: job name %q: want no braces, spaces or control characters", e.name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return fmt.Errorf("scheduler: job %s added after Start", e.name)
	}
	if _, dup := s.entries[e.name]; dup {
		return fmt.Errorf("scheduler: job %s added twice", e.name)
	}
	s.entries[e.name] = e
	s.added = append(s.added, e.name)
	return nil
}

// rank is a job's place in the run order.
func (s *Scheduler) rank(name string) int {
	if i := slices.Index(s.order, name); i >= 0 {
		return i
	}
	return len(s.order) + slices.Index(s.added, name)
}

// inOrder lists the registered jobs in run order.
func (s *Scheduler) inOrder() []string {
	names := slices.Clone(s.added)
	slices.SortStableFunc(names, func(a, b string) int { return s.rank(a) - s.rank(b) })
	return names
}

// Entry describes a registered job.
type Entry struct {
	Name    string    `json:"name"`
	Spec    string    `json:"spec"`
	Enabled bool      `json:"enabled"`
	Next    time.Time `json:"next,omitzero"` // the next tick (enabled jobs)
}

// Entries lists the registered jobs in run order.
func (s *Scheduler) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now().In(s.loc)
	out := make([]Entry, 0, len(s.added))
	for _, name := range s.inOrder() {
		e := s.entries[name]
		en := Entry{Name: name, Spec: e.spec, Enabled: e.sched != nil}
		if e.sched != nil {
			en.Next = e.sched.Next(now)
		}
		out = append(out, en)
	}
	return out
}

// Start begins the schedules. First, the jobs whose last successful run is older than their
// latest tick (a tick missed while no instance was up, or a job that never ran) run that missed
// tick once, now, one after another in run order (WithOrder) — unless another instance runs it
// at the same time, which the chain then waits for. Start returns once the schedules are
// running; ctx only bounds the checks at start.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return errors.New("scheduler: started twice")
	}
	if s.marks != nil {
		if _, err := s.CheckRedis(ctx); err != nil {
			s.log.Warn("checking the Redis marker failed; trying again in a minute", zap.Error(err))
		}
	}
	now := s.clock.Now().In(s.loc)
	due := map[string]chainItem{}
	for _, name := range s.added {
		e := s.entries[name]
		if e.sched == nil || !s.catchUp {
			continue
		}
		prev := previous(e.sched, now)
		if prev.IsZero() {
			continue
		}
		last, ok, err := s.history.LastSuccess(ctx, name)
		if err != nil {
			return fmt.Errorf("scheduler: last success of %s: %w", name, err)
		}
		if ok && !last.Slot.Before(prev) {
			continue
		}
		s.log.Info("catching up a missed tick", zap.String("job", name), zap.Time("slot", prev))
		due[name] = chainItem{e: e, slot: prev, trigger: TriggerCatchUp}
	}
	s.state = stateStarted
	loopCtx, stop := context.WithCancel(context.Background())
	s.stopLoops = stop
	if len(due) > 0 {
		s.chain = chain{active: true, pending: due}
		s.spawn(func() { s.runChain(loopCtx) })
	}
	for _, name := range s.added {
		if e := s.entries[name]; e.sched != nil {
			s.loops.Add(1)
			go func() { defer s.loops.Done(); s.loop(loopCtx, e, now) }()
		}
	}
	if s.marks != nil {
		s.loops.Add(1)
		go func() { defer s.loops.Done(); s.watchRedis(loopCtx) }()
	}
	return nil
}

// Stop stops the schedules: no new run starts; runs in progress may finish until ctx ends, then
// their ctx is cancelled and Stop waits for them to return. Locks are released by their runs. It
// returns ctx's error if runs had to be cancelled.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.state == stateStarted {
		s.stopLoops()
	}
	s.state = stateStopped
	s.mu.Unlock()
	s.loops.Wait()
	done := make(chan struct{})
	go func() { s.runs.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.log.Warn("stop deadline reached: cancelling the jobs still running")
		s.cancelRuns()
		<-done
		return ctx.Err()
	}
}

// spawn runs f as a run of this scheduler (Stop waits for it).
func (s *Scheduler) spawn(f func()) {
	s.running.Add(1)
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer s.running.Add(-1)
		f()
	}()
}

// loop fires e's ticks after from (Start's now: a tick due while the goroutine was starting is
// not lost). Each tick is named by its planned time from the schedule, never by the
// time this instance woke up, so that instances whose clocks differ still name it alike. A tick
// due while an earlier job of the run order still catches up joins the catch-up chain instead.
func (s *Scheduler) loop(ctx context.Context, e *entry, from time.Time) {
	next := e.sched.Next(from)
	for !next.IsZero() {
		if clock.SleepUntil(ctx, s.clock, next) != nil {
			return
		}
		slot := next
		if !s.deferToChain(e, slot) {
			s.spawn(func() { s.fire(e, slot, TriggerSchedule) })
		}
		now := s.clock.Now().In(s.loc)
		next = e.sched.Next(slot)
		if !next.IsZero() && now.Sub(next) > s.maxLate {
			// Far behind (the machine was suspended): skip what is long past.
			next = e.sched.Next(now)
		}
	}
}

// fire tries to run e's tick slot.
func (s *Scheduler) fire(e *entry, slot time.Time, trigger Trigger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	token := newToken()
	var res rdb.TickClaim
	var err error
	if trigger == TriggerCatchUp {
		res, err = s.claimCatchUp(ctx, e, slot, token)
	} else {
		res, err = s.claim(ctx, e, slotName(slot, false), slot, token)
	}
	var h Holder
	if err == nil && res == rdb.TickRunning {
		// The tick is ours, the job's lock is not: a holder whose process is gone from this
		// host is taken over; a live one makes this tick skipped.
		var got bool
		if got, h, err = s.locks.Acquire(ctx, e.name, token); got {
			res = rdb.TickOurs
		}
	}
	if err != nil {
		s.log.Error("cannot take a tick: redis unavailable", zap.String("job", e.name), zap.Time("slot", slot), zap.Error(err))
		return
	}
	switch res {
	case rdb.TickTaken:
		s.log.Debug("tick taken by another instance", zap.String("job", e.name), zap.Time("slot", slot))
	case rdb.TickRunning:
		now := s.clock.Now()
		s.record(Run{Job: e.name, Trigger: trigger, Slot: slot, Start: now, End: now, Outcome: OutcomeSkipped,
			Reason: s.skippedReason(h), Instance: s.instance})
	default:
		runCtx, cancel := context.WithCancelCause(s.runBase)
		defer cancel(nil)
		s.execute(runCtx, cancel, e, slot, trigger, token, RunOptions{})
	}
}

func (s *Scheduler) skippedReason(h Holder) string {
	if h.Host == "" {
		return msgSkipped
	}
	return fmt.Sprintf(msgSkippedBy, h.Host, h.PID, h.Since.In(s.loc).Format("15:04:05"))
}

// claim takes the tick named marker and the job's lock in one step: the tick was taken by
// another instance, the tick is ours but the job is running, or both are ours to run.
func (s *Scheduler) claim(ctx context.Context, e *entry, marker string, slot time.Time, token string) (rdb.TickClaim, error) {
	return s.locks.ClaimTick(ctx, e.name, marker, slotTTL(e.sched, slot), token)
}

// claimCatchUp takes a missed tick at start. It claims the tick under the same marker as its
// scheduled run, so that a tick some instance is running, or has just run, is not run again.
// Only a tick whose taker is gone without success (its run failed, or its process died and its
// lock expired or was left on this host) is run once more, under a second marker that only one
// instance can take.
func (s *Scheduler) claimCatchUp(ctx context.Context, e *entry, slot time.Time, token string) (rdb.TickClaim, error) {
	res, err := s.claim(ctx, e, slotName(slot, false), slot, token)
	if err != nil || res != rdb.TickTaken {
		return res, err
	}
	// The taker records its run before it releases the lock: a lock that is free (or left by a
	// process gone from this host) and no success at this tick mean its run ended without one.
	h, held, err := s.locks.Holder(ctx, e.name)
	if err != nil || (held && !s.locks.Gone(h)) {
		return rdb.TickTaken, err
	}
	last, ok, err := s.history.LastSuccess(ctx, e.name)
	if err != nil || (ok && !last.Slot.Before(slot)) {
		return rdb.TickTaken, err
	}
	return s.claim(ctx, e, slotName(slot, true), slot, token)
}

// slotTTL is how long a slot marker lives: long enough for any instance, however late its clock,
// to see that the tick was taken.
func slotTTL(sched cron.Schedule, slot time.Time) time.Duration {
	period := time.Hour
	if sched != nil {
		if n := sched.Next(slot); !n.IsZero() {
			period = n.Sub(slot)
		}
	}
	return min(max(2*period, 10*time.Minute), 7*24*time.Hour)
}

// RunNow runs a job at once (`streetsync sync JOB`, the console), under the same lock as its
// schedule. If the job is running — in this process, or in another that is alive or whose lease
// has not ended — the request is recorded as skipped and a *LockedError (ErrJobRunning) names the
// holder; a lock left by a process gone from this host is taken over. The run is recorded with
// trigger "manual"; a failed run's error is returned with it.
func (s *Scheduler) RunNow(ctx context.Context, name string, opts RunOptions) (Run, error) {
	s.mu.Lock()
	e, ok := s.entries[name]
	switch {
	case !ok:
		s.mu.Unlock()
		return Run{}, fmt.Errorf("%w: %s", ErrUnknownJob, name)
	case s.state == stateStopped:
		s.mu.Unlock()
		return Run{}, ErrStopped
	}
	s.running.Add(1)
	s.runs.Add(1)
	s.mu.Unlock()
	defer s.runs.Done()
	defer s.running.Add(-1)

	token := newToken()
	now := s.clock.Now()
	got, h, err := s.locks.Acquire(ctx, name, token)
	if err != nil {
		return Run{}, err
	}
	if !got {
		run := Run{Job: name, Trigger: TriggerManual, Slot: now, Start: now, End: now, Outcome: OutcomeSkipped,
			Reason: s.skippedReason(h), Instance: s.instance}
		s.record(run)
		return run, &LockedError{Job: name, Holder: h, LeaseLeft: max(h.LeaseEnds.Sub(now), 0)}
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(s.runBase, func() { cancel(context.Canceled) })
	defer stop()
	run := s.execute(runCtx, cancel, e, now, TriggerManual, token, opts)
	if run.Outcome == OutcomeFailed {
		return run, fmt.Errorf("job %s: %s", name, run.Error)
	}
	return run, nil
}

// execute runs the job holding the lock (renewing it), records the run and releases the lock.
func (s *Scheduler) execute(ctx context.Context, cancel context.CancelCauseFunc, e *entry, slot time.Time, trigger Trigger, token string, opts RunOptions) Run {
	// The lease is renewed while the job runs; if another instance owns the lock, the run's
	// ctx is cancelled with ErrLockLost.
	stopRenewal := s.locks.Keep(e.name, token, func() { cancel(ErrLockLost) })

	log := s.log.With(zap.String("job", e.name), zap.String("trigger", string(trigger)), zap.Time("slot", slot))
	log.Info("job started")
	start := s.clock.Now()
	res, err := s.call(ctx, e, opts, log)
	end := s.clock.Now()
	stopRenewal()

	run := Run{Job: e.name, Trigger: trigger, Slot: slot, Start: start, End: end, Outcome: res.Outcome,
		Reason: res.Reason, Counts: res.Counts, Instance: s.instance, Detail: res.Detail}
	switch {
	case err != nil:
		run.Outcome = OutcomeFailed
		run.Error = err.Error()
		if cause := context.Cause(ctx); errors.Is(cause, ErrLockLost) {
			run.Error += "（" + msgLockLost + "）"
			run.Reason = msgLockLost
		}
		if run.Reason == "" {
			run.Reason = fmt.Sprintf(msgFailed, run.Error)
		}
		log.Error("job failed", zap.Duration("duration", run.Duration()), zap.Error(err))
	case run.Outcome == "":
		run.Outcome = OutcomeSuccess
		fallthrough
	default:
		log.Info("job finished", zap.String("outcome", string(run.Outcome)), zap.Duration("duration", run.Duration()),
			zap.Any("counts", run.Counts))
	}
	s.record(run)

	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	if err := s.locks.Release(rctx, e.name, token); err != nil {
		log.Warn("releasing the job lock failed; it expires on its own", zap.Error(err))
	}
	return run
}

// call runs the job, turning a panic into an error.
func (s *Scheduler) call(ctx context.Context, e *entry, opts RunOptions, log *zap.Logger) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("job panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			res, err = Result{}, fmt.Errorf("job panicked: %v", p)
		}
	}()
	return e.job.Run(ctx, opts)
}

// record keeps a run in the history (the ledger) and tells the observer.
func (s *Scheduler) record(run Run) {
	if s.onRecord != nil {
		defer s.onRecord(run)
	}
	s.obs.JobRun(run.Job, string(run.Outcome), run.Duration(), run.End)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.history.RecordRun(ctx, run); err != nil {
		s.log.Error("recording a run failed", zap.String("job", run.Job), zap.String("outcome", string(run.Outcome)), zap.Error(err))
	}
}

// History returns a job's last runs, newest first (at most limit; 0: all kept).
func (s *Scheduler) History(ctx context.Context, job string, limit int) ([]Run, error) {
	runs, _, err := s.history.Runs(ctx, job, RunQuery{Limit: max(limit, 0)})
	if err != nil {
		return nil, fmt.Errorf("scheduler: history %s: %w", job, err)
	}
	return runs, nil
}

// LastSuccess returns a job's last run whose outcome Succeeded (false: none yet).
func (s *Scheduler) LastSuccess(ctx context.Context, job string) (Run, bool, error) {
	run, ok, err := s.history.LastSuccess(ctx, job)
	if err != nil {
		return Run{}, false, fmt.Errorf("scheduler: last success of %s: %w", job, err)
	}
	return run, ok, nil
}

// previous is the latest tick of sched at or before now (zero if none within a year).
func previous(sched cron.Schedule, now time.Time) time.Time {
	for _, back := range []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		t := sched.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return time.Time{}
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// slotName names a tick by its planned time, the same on every instance whatever its clock. A
// tick's scheduled run and its catch-up share the name; retry names the one further attempt a
// catch-up may make when the tick's taker ended without success.
func slotName(slot time.Time, retry bool) string {
	s := strconv.FormatInt(slot.Unix(), 10)
	if retry {
		return "catchup:" + s
	}
	return s
}
