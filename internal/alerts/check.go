package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
	"streetsync/mapping"
)

// RetryKind is the retry-queue kind of a failed delivery. Its key is "<channel>|<community>";
// the queue's worker for this kind calls Checker.Redeliver with it.
const RetryKind = "alerts.deliver"

// batchSize is how many findings share one ledger transaction, and how many alerts one
// resolution or closing transaction handles: small enough that a batch is a few megabytes, large
// enough that a city's hundred and sixty thousand alerts take a few dozen transactions. The alerts
// are keyed by a hash, so every transaction writes pages all over the key's index: at 2 000 a
// city's first check wrote each index page to the log some eighty times (2 GB for 165 678
// alerts), at 10 000 a fifth of that, and the check took a fifth less time.
const batchSize = 10000

// claimLease is how long a claimed delivery stays claimed when its run dies before recording the
// outcome: then the delivery is due again.
const claimLease = 10 * time.Minute

// Sources are what a check reads.
type Sources struct {
	Roster RosterSource // required
	// Runs tells how fresh each family's data is; required: a check never judges data it cannot
	// date.
	Runs   RunHistory
	Alarms AlarmSource  // optional: without it ALARM_UNHANDLED neither fires nor resolves
	Health HealthSource // optional: without it PLATFORM_DOWN neither fires nor resolves
	// Hazards is optional: without it the hazard rules (hazards.go) neither fire nor resolve.
	Hazards HazardSource
}

// Output receives the firing alerts of a check as they are recorded: every alert firing now of
// the families judged, silenced and acknowledged ones too (with --dry-run: as they would be). The
// alert is only read during the call.
type Output interface {
	Firing(a *Alert) error
}

// Result is what a check did, besides the firing alerts it handed to its Output.
type Result struct {
	Evaluated int            // on-duty roster entries judged
	Unknown   int            // on-duty entries skipped: the special-operations system never answered for them
	Firing    int            // alerts firing now (handed to the Output)
	Critical  int            // of which critical
	ByRule    map[string]int // firing alerts by rule
	Delivered Delivered      // alerts sent in this run (0 and 0 with --dry-run)
	Skipped   []Skip         // families of rules not judged: their data is stale
}

// SkippedError is nil when every family of rules was judged, else an error naming (in Chinese)
// what was skipped and why: the check did its part, but the office must not read silence as
// "all is well".
func (r *Result) SkippedError() error {
	if len(r.Skipped) == 0 {
		return nil
	}
	reasons := make([]string, len(r.Skipped))
	for i, s := range r.Skipped {
		reasons[i] = s.Reason
	}
	return &SkippedError{Reasons: reasons}
}

// SkippedError says which families of rules a check skipped (their data was stale).
type SkippedError struct{ Reasons []string }

func (e *SkippedError) Error() string { return reasonSkipped + strings.Join(e.Reasons, "；") }

// Delivered counts the alerts that reached at least one channel in a run.
type Delivered struct {
	Firing   int `json:"firing"`
	Resolved int `json:"resolved"`
}

// Skip is a family of rules a check did not judge, and why (Chinese).
type Skip struct {
	Rules  string `json:"rules"`
	Reason string `json:"reason"`
}

// judge is one family of rules with its source: what a check evaluates for that family. A family
// added (the hazard rules) is one more judge; the check's flow stays as it is.
type judge struct {
	family rules.Family
	// evaluate hands every finding of the family to add, or fails; judged reports the rules it
	// judged (a source that could not be read judges none: their alerts keep their state).
	evaluate func(ctx context.Context, r *checkRun, add func(rules.Finding) error) (judged []rules.Rule, err error)
}

// Checker runs alert checks: judge the rules whose data is fresh, move the alert state, deliver
// what is due. The clock and time zone are the Store's.
type Checker struct {
	store     *Store
	src       Sources
	judges    []judge // the families judged from synced data, in listing order
	channels  []Channel
	rules     rules.Config
	hazardCfg rules.HazardConfig
	repeat    time.Duration
	escalate  time.Duration
	alarmAge  time.Duration
	maxAge    time.Duration
	downAfter time.Duration
	retention time.Duration
	batch     int // findings per transaction: batchSize (tests make it smaller)
	enq       Enqueuer
	log       *zap.Logger
	// systemOnlyAll: no channel takes escalations, so system alerts go to the channels serving
	// every community instead (someone must hear that the alerts are paused).
	systemOnlyAll bool
}

// NewChecker returns a checker over store. cfg is the configuration's alerts section; zero
// durations take config.Default's values. Options: WithEnqueuer, WithLogger.
func NewChecker(store *Store, src Sources, channels []Channel, cfg config.Alerts, opts ...Option) (*Checker, error) {
	if store == nil {
		return nil, errors.New("alerts: no store")
	}
	if src.Roster == nil || src.Runs == nil {
		return nil, errors.New("alerts: the roster and the run history are required")
	}
	def := config.Default().Alerts
	orDefault := func(d, def config.Duration) time.Duration {
		if d <= 0 {
			return def.D()
		}
		return d.D()
	}
	if cfg.ExpiringWithinDays < 0 {
		return nil, fmt.Errorf("alerts: expiringWithinDays %d is negative", cfg.ExpiringWithinDays)
	}
	names := map[string]bool{}
	escalations := false
	for _, ch := range channels {
		if ch.Name == "" || ch.Notifier == nil || names[ch.Name] {
			return nil, fmt.Errorf("alerts: channel %q: needs a unique name and a notifier", ch.Name)
		}
		names[ch.Name] = true
		escalations = escalations || ch.Escalations
	}
	o := applyOptions(opts)
	log := store.log
	if o.log != nil {
		log = o.log.Named("alerts")
	}
	c := &Checker{
		store: store, src: src, channels: slices.Clone(channels),
		rules:     rules.Config{ExpiringWithinDays: cfg.ExpiringWithinDays},
		repeat:    orDefault(cfg.RepeatInterval, def.RepeatInterval),
		escalate:  orDefault(cfg.EscalateAfter, def.EscalateAfter),
		alarmAge:  orDefault(cfg.AlarmUnhandled, def.AlarmUnhandled),
		maxAge:    orDefault(cfg.MaxDataAge, def.MaxDataAge),
		downAfter: orDefault(cfg.PlatformDownAfter, def.PlatformDownAfter),
		retention: defaultRetention, batch: batchSize,
		enq: o.enqueuer, log: log, systemOnlyAll: !escalations,
	}
	c.judges = append(c.judges, judge{rules.Certificate, c.evaluateRoster})
	if src.Alarms != nil {
		c.judges = append(c.judges, judge{rules.Alarm, c.evaluateAlarms})
	}
	if src.Hazards != nil {
		c.hazardCfg = defaultHazardRules()
		if o.hazards != nil {
			c.hazardCfg = *o.hazards
		}
		c.judges = append(c.judges, c.hazardJudges()...)
	}
	return c, nil
}

// Store returns the state the checker works on (for list, ack, silence, history).
func (c *Checker) Store() *Store { return c.store }

// Check judges the rules now (the store's clock, in schedule.timezone), records the alerts' state
// and delivers what is due: new and changed alerts, repeats after alerts.repeatInterval,
// escalations, resolutions. The firing alerts go to out (nil: nowhere) as they are recorded. With
// dryRun it reads the state but changes and delivers nothing.
//
// A family of rules whose data is older than alerts.maxDataAge is skipped: its alerts keep the
// state they had, none of them is delivered, and a DATA_STALE alert is raised (Result.Skipped).
// Two instances may check at once: each transaction sees the other's, and each delivery is claimed
// in the ledger, so every due alert is delivered once. A delivery that fails is recorded as
// failed (it is due again at the next check) and handed to the retry queue when it is transient
// and an Enqueuer is set; it does not fail the check.
func (c *Checker) Check(ctx context.Context, dryRun bool, out Output) (*Result, error) {
	r, err := c.newRun(ctx, dryRun, out)
	if err != nil {
		return nil, err
	}
	defer r.out.wait()
	if !dryRun {
		restore, err := c.deferIndexes(ctx)
		if err != nil {
			return nil, err
		}
		defer restore()
	}
	for _, j := range c.judges {
		if !r.fresh[j.family.Code] {
			continue
		}
		judged, err := j.evaluate(ctx, r, func(f rules.Finding) error { return r.add(ctx, f) })
		if err != nil {
			return nil, err
		}
		for _, rl := range judged {
			r.judged[rl.Code] = true
		}
		if err := r.flush(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.evaluateSystem(ctx); err != nil {
		return nil, err
	}
	// Every firing alert is written before anything resolves or is delivered: a result that
	// cannot be written stops the check, as it always did.
	if err := r.out.wait(); err != nil {
		return nil, err
	}
	if dryRun {
		return r.res, nil
	}
	// Delivery reads the open alerts by community, and the console lists them: the indexes a
	// first check deferred are built before anything is delivered.
	if err := c.store.st.RestoreAlertIndexes(ctx); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return r.res, r.finish(ctx, nil)
}

// deferIndexes builds the alert indexes a check that died left deferred and, when there is no
// alert yet (a first check), defers them until the alerts are written (ledger.AlertState). The
// returned function builds them if the check stops first, whatever stopped it.
func (c *Checker) deferIndexes(ctx context.Context) (restore func(), err error) {
	st := c.store.st
	if err := st.RestoreAlertIndexes(ctx); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	deferred, err := st.DeferAlertIndexes(ctx)
	if err != nil || !deferred {
		return func() {}, err
	}
	c.log.Info("first check: the alert indexes are built after the alerts are written")
	return func() {
		if err := st.RestoreAlertIndexes(context.WithoutCancel(ctx)); err != nil {
			c.log.Error("alert indexes not built: the next check or start builds them", zap.Error(err))
		}
	}, nil
}

// CheckSystem judges and delivers the system alerts only (DATA_STALE, PLATFORM_DOWN): cheap, for
// the daemon to call after each job run.
func (c *Checker) CheckSystem(ctx context.Context) (*Result, error) {
	r, err := c.newRun(ctx, false, nil)
	if err != nil {
		return nil, err
	}
	// Data never synced is the daily check's to report, not this one's: on a first start the
	// catch-up is syncing it right now, and a DATA_STALE raised between its jobs would be a
	// false critical alert, resolved minutes later. What has gone stale is reported here at once.
	// A DATA_STALE already firing for data never synced keeps its state.
	stale := r.stale[:0]
	for _, f := range r.stale {
		if f.Alert.System != nil && f.Alert.System.LastSuccess == nil { // never synced
			r.keep(f.Alert.Key)
			continue
		}
		stale = append(stale, f)
	}
	r.stale = stale
	if err := r.evaluateSystem(ctx); err != nil {
		return nil, err
	}
	return r.res, r.finish(ctx, []string{rules.System.Code})
}

// checkRun is one check's working state. Its memory is bounded by the batch, except for found:
// one number per firing alert (eight bytes and a map entry), so that what stopped firing can be
// told from what fires.
type checkRun struct {
	c    *Checker
	now  time.Time
	dry  bool
	out  *outputFeed // nil: no Output
	res  *Result
	runs map[string]rules.Freshness // by family
	// fresh are the families whose data may be judged; judged are the rules judged this run
	// (only those may resolve).
	fresh  map[string]bool
	judged map[string]bool
	found  map[uint64]struct{}
	// recorded counts the findings recorded firing, by family: when a family has no other
	// firing alert, nothing of it is to resolve (resolveGone).
	recorded map[string]int
	pending  []rules.Finding
	stale    []rules.Finding // DATA_STALE of the skipped families
	// previous is when each family was judged before this run.
	previous map[string]time.Time
	resolved int
	fired    int
	changed  int
}

// newRun dates each family's data and decides which may be judged.
func (c *Checker) newRun(ctx context.Context, dryRun bool, out Output) (*checkRun, error) {
	r := &checkRun{
		c: c, now: c.store.now(), dry: dryRun, out: feedOutput(out), res: &Result{ByRule: map[string]int{}},
		runs: map[string]rules.Freshness{}, fresh: map[string]bool{}, judged: map[string]bool{},
		found: map[uint64]struct{}{}, recorded: map[string]int{}, previous: map[string]time.Time{},
	}
	for _, j := range c.judges {
		f := j.family
		if f.Job == "" {
			r.fresh[f.Code] = true // the street's own records (drills): nothing to sync
			continue
		}
		last, ok, err := c.src.Runs.LastSuccess(ctx, f.Job)
		if err != nil {
			return nil, fmt.Errorf("alerts: when did %s last succeed: %w", f.Job, err)
		}
		fr := rules.Freshness{LastSuccess: last, Ever: ok}
		r.runs[f.Code] = fr
		if !fr.Stale(r.now, c.maxAge) {
			r.fresh[f.Code] = true
			continue
		}
		r.res.Skipped = append(r.res.Skipped, Skip{Rules: f.Code, Reason: staleReason(f, fr, r.now, c.maxAge, c.store.loc)})
		r.stale = append(r.stale, rules.DataStale(f, fr, r.now, c.store.loc))
	}
	for _, f := range rules.Families() {
		at, err := c.store.st.AlertCheckedAt(ctx, f.Code)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		r.previous[f.Code] = at
	}
	return r, nil
}

func staleReason(f rules.Family, fr rules.Freshness, now time.Time, maxAge time.Duration, loc *time.Location) string {
	if !fr.Ever {
		return fmt.Sprintf(reasonNeverSynced, f.Data, f.Job)
	}
	return fmt.Sprintf(reasonStale, f.Data, int(now.Sub(fr.LastSuccess)/time.Hour),
		fr.LastSuccess.In(loc).Format("2006-01-02 15:04 -07:00"), int(maxAge/time.Hour))
}

// familyRules are the rules of a family.
func familyRules(f rules.Family) []rules.Rule {
	var out []rules.Rule
	for _, rl := range rules.All() {
		if rl.Family == f {
			out = append(out, rl)
		}
	}
	return out
}

// evaluateRoster streams the on-duty roster through the certificate rules. An entry the
// special-operations system never answered for is unknown: it is counted, not judged, and the
// alerts it had keep their state.
//
// The roster is read and judged on a goroutine of its own (a reader connection of the ledger)
// while this one records the findings (the writer): on a city's roster each side takes seconds,
// and a server has two cores. They meet in rosterChunks, a few in flight, so memory stays bounded;
// the findings are recorded in the roster's order, as if read on this goroutine.
func (c *Checker) evaluateRoster(ctx context.Context, r *checkRun, add func(rules.Finding) error) ([]rules.Rule, error) {
	day := today(r.now, c.store.loc)
	certRules := familyRules(rules.Certificate)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	chunks := make(chan *rosterChunk, 2)
	var readErr error
	go func() {
		defer close(chunks)
		readErr = c.judgeRoster(rctx, day, certRules, chunks)
	}()
	var addErr error
	for ch := range chunks {
		if addErr != nil {
			continue // drain: the reader stops at its next entry
		}
		r.res.Evaluated += ch.evaluated
		r.res.Unknown += ch.unknown
		k := 0
		for i := 0; i <= len(ch.findings) && addErr == nil; i++ {
			for ; k < len(ch.keep) && ch.keep[k].before == i; k++ {
				r.keep(ch.keep[k].key)
			}
			if i < len(ch.findings) {
				addErr = add(ch.findings[i])
			}
		}
		if addErr != nil {
			stop()
		}
	}
	// chunks is closed: the reader has returned and readErr is its.
	if addErr != nil {
		return nil, addErr
	}
	if readErr != nil {
		return nil, fmt.Errorf("alerts: read roster: %w", readErr)
	}
	return certRules, nil
}

// rosterChunk is a run of roster entries judged: their findings, the alert keys of the unknown
// ones (they keep their state), and how many were judged and unknown.
type rosterChunk struct {
	findings  []rules.Finding
	keep      []keptKey
	evaluated int
	unknown   int
}

// keptKey is the key of an unknown entry's alert, kept before findings[before] (in roster order).
type keptKey struct {
	key    string
	before int
}

// rosterChunkSize is how many findings a rosterChunk holds before it is handed over.
const rosterChunkSize = 1000

// judgeRoster reads the on-duty roster and sends it judged, a rosterChunk at a time, to out.
func (c *Checker) judgeRoster(ctx context.Context, day mapping.Date, certRules []rules.Rule, out chan<- *rosterChunk) error {
	ch := &rosterChunk{}
	send := func() error {
		select {
		case out <- ch:
			ch = &rosterChunk{findings: make([]rules.Finding, 0, rosterChunkSize)}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := c.src.Roster.EachOnDuty(ctx, day, func(e *RosterEntry) error {
		if !e.Operator.OnDuty(day) {
			return nil
		}
		ch.evaluated++
		op := &e.Operator
		if !e.Answered && len(e.Certificates) == 0 {
			ch.unknown++
			for _, rl := range certRules {
				ch.keep = append(ch.keep, keptKey{rules.KeyOf(rl.Code, op.IDNumber, op.EnterpriseUSCC, op.ItemCode), len(ch.findings)})
			}
		} else {
			ch.findings = rules.AppendCertificateFindings(ch.findings, &e.RosterEntry, e.Certificates, day, c.rules)
		}
		if len(ch.findings)+len(ch.keep) >= rosterChunkSize {
			return send()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return send()
}

// evaluateAlarms judges the unhandled alarms. A failing alarm source leaves the alarm alerts as
// they are (neither fired nor resolved): certificate alerts still go out.
func (c *Checker) evaluateAlarms(ctx context.Context, r *checkRun, add func(rules.Finding) error) ([]rules.Rule, error) {
	list, err := c.src.Alarms.UnhandledAlarms(ctx, r.now.Add(-c.alarmAge))
	if err != nil {
		c.log.Warn("alarm source failed: ALARM_UNHANDLED not evaluated this run", zap.Error(err))
		return nil, nil
	}
	for i := range list {
		if f, ok := rules.EvaluateAlarm(&list[i], r.now, c.alarmAge, c.store.loc); ok {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	return familyRules(rules.Alarm), nil
}

// evaluateSystem raises DATA_STALE for the skipped families and PLATFORM_DOWN for the platforms
// failing too long.
func (r *checkRun) evaluateSystem(ctx context.Context) error {
	c := r.c
	for _, f := range r.stale {
		if err := r.add(ctx, f); err != nil {
			return err
		}
	}
	r.judged[rules.DataStaleRule.Code] = true
	if c.src.Health != nil {
		hs, err := c.src.Health.PlatformHealth(ctx)
		if err != nil {
			c.log.Warn("platform health unknown: PLATFORM_DOWN not evaluated this run", zap.Error(err))
		} else {
			for _, h := range hs {
				if f, ok := rules.PlatformDown(h, r.now, c.downAfter, c.store.loc); ok {
					if err := r.add(ctx, f); err != nil {
						return err
					}
				}
			}
			r.judged[rules.PlatformDownRule.Code] = true
		}
	}
	return r.flush(ctx)
}

// keep marks an alert as found without a finding: if it fires, it keeps its state.
func (r *checkRun) keep(key string) { r.found[keyBits(key)] = struct{}{} }

// add takes one finding (once per key: a roster listed twice alerts once) and records a batch
// when it is full.
func (r *checkRun) add(ctx context.Context, f rules.Finding) error {
	k := keyBits(f.Alert.Key)
	if _, dup := r.found[k]; dup {
		return nil
	}
	r.found[k] = struct{}{}
	r.recorded[f.Family.Code]++
	r.pending = append(r.pending, f)
	if len(r.pending) >= r.c.batch {
		return r.flush(ctx)
	}
	return nil
}

// flush records the pending findings (observe) and hands them to the Output.
func (r *checkRun) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	states, err := r.c.observe(ctx, r, r.pending)
	if err != nil {
		return err
	}
	var batch []Alert
	if r.out != nil {
		batch = make([]Alert, 0, len(r.pending))
	}
	for i := range r.pending {
		f := &r.pending[i]
		st := states[f.Alert.Key]
		a := f.Alert
		stateInto(&a, &st, r.c.store.loc)
		r.res.Firing++
		r.res.ByRule[a.Rule]++
		if a.Severity == notify.SeverityCritical {
			r.res.Critical++
		}
		if r.out != nil {
			batch = append(batch, a)
		}
	}
	r.pending = r.pending[:0]
	return r.out.send(batch)
}

// finish resolves what stopped firing among the judged rules, delivers what is due (of the
// families not skipped, or of only), closes resolutions delivered everywhere and forgets alerts
// resolved longer ago than the retention.
func (r *checkRun) finish(ctx context.Context, only []string) error {
	c := r.c
	families := only
	if families == nil {
		for _, f := range rules.Families() {
			if _, gated := r.runs[f.Code]; !gated || r.fresh[f.Code] {
				families = append(families, f.Code)
			}
		}
	}
	for _, f := range families {
		if err := r.resolveGone(ctx, f); err != nil {
			return err
		}
	}
	sent, derr := c.deliver(ctx, deliveryScope{families: families, now: r.now, run: newRunID(), enqueue: true})
	if ctx.Err() != nil {
		return fmt.Errorf("alerts: check interrupted: %w", context.Cause(ctx))
	}
	if de := (*DeliveryError)(nil); derr != nil && !errors.As(derr, &de) {
		return derr // the ledger failed, not a channel: a failed channel waits in the retry queue
	}
	r.res.Delivered = sent
	if err := c.finalize(ctx, families, r.now); err != nil {
		return err
	}
	if err := c.tidy(ctx, r.now); err != nil {
		return err
	}
	c.log.Info("alerts checked",
		zap.Int("evaluated", r.res.Evaluated), zap.Int("unknown", r.res.Unknown), zap.Int("firing", r.res.Firing),
		zap.Int("new", r.fired), zap.Int("changed", r.changed), zap.Int("resolved", r.resolved),
		zap.Int("deliveredFiring", sent.Firing), zap.Int("deliveredResolved", sent.Resolved),
		zap.Int("skipped", len(r.res.Skipped)), zap.Bool("deliveryFailures", derr != nil))
	return nil
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
