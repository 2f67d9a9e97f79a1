package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// The employment job (special-ops.md, "Employment registration"). The ledger knows each roster
// entry's registration as last accepted; RegistrationsDue lists the entries whose registration is
// missing (on duty today) or differs from the roster's dates. For each:
//
//   - a registration that only ends, ends earlier or starts later than the one accepted is PUT
//     under the certificate it was made with: the system always accepts that, whatever became of
//     the certificate;
//   - anything that creates or extends a registration needs a certificate for the item that is
//     valid today (schedule.timezone) by the ledger's copy — the best one: valid first, then the
//     latest validUntil, then the latest reviewDueDate. Without one nothing is sent (the system
//     would answer 409; the alert rules report the person); the entry stays due and is decided
//     afresh every run.
//
// A roster entry with a future 离岗日期 is registered with that endDate. Every comparison is
// against the ledger's record of what was accepted (the system offers no listing to compare with).
//
// Which entries are decided: a full pass decides every due entry of the roster. Most of them are
// the same every day — people waiting for a valid certificate — so a run after a complete one
// decides only the due entries whose decision may have changed since (RegistrationsDueSince:
// entries edited or added, entries starting, people whose certificates changed or become
// valid), and a full pass is made once a week as a safety net, on the first run without a mark,
// and with --full. (A refusal an operator resolves by hand without changing the entry or its
// certificates is therefore sent again at the next full pass.)

const (
	employmentGroup = 100 // roster entries a worker decides per certificate lookup
	employmentFlush = 500 // registrations recorded per ledger transaction
	// fullPassEvery is how many days an employment run may go on deciding only what changed.
	fullPassEvery = 7
	// markSkew is how far before its start a run's mark is set: writers stamp their changes
	// by their own clocks (hosts sharing PostgreSQL), and a batch is stamped when its
	// transaction begins (a batch commits within seconds). Deciding a minute's changes twice
	// costs little.
	markSkew = time.Minute
)

// employmentPlan is one registration to PUT.
type employmentPlan struct {
	key mapping.OperatorKey
	emp mapping.Employment
	// raw is what a refusal is remembered by: the payload and the content of the certificate it
	// relied on. The same plan is not sent again while its refusal is in quarantine.
	raw string
}

// planEmployment decides one due roster entry; false: nothing can be sent now (no certificate
// valid today for a registration that needs one).
func planEmployment(due *ledger.RegistrationDue, certs []mapping.Certificate, today mapping.Date, enterpriseName string) (employmentPlan, bool) {
	c, ok := chooseCertificate(due, certs, today)
	if !ok {
		return employmentPlan{}, false
	}
	return c.plan(due, enterpriseName), true
}

// certificateChoice is the certificate a registration is sent under, and the content it relied
// on ("" when it relies on none: an ending).
type certificateChoice struct{ certNo, certHash string }

// chooseCertificate decides whether a due entry can be sent, and under which certificate.
func chooseCertificate(due *ledger.RegistrationDue, certs []mapping.Certificate, today mapping.Date) (certificateChoice, bool) {
	o := &due.Operator.Operator
	if last := due.Last; last != nil && last.CertNo != "" && !extends(last, o) {
		return certificateChoice{certNo: last.CertNo}, true
	}
	best, ok := bestCertificate(certs, o.ItemCode, today)
	if !ok || !best.ValidOn(today) {
		return certificateChoice{}, false
	}
	return certificateChoice{certNo: best.CertNo, certHash: best.ContentHash()}, true
}

func (c certificateChoice) plan(due *ledger.RegistrationDue, enterpriseName string) employmentPlan {
	o := &due.Operator.Operator
	p := employmentPlan{key: o.Key(), emp: mapping.NewEmployment(o, c.certNo, enterpriseName)}
	p.raw = planRaw(&p.emp, c.certHash)
	return p
}

func planRaw(e *mapping.Employment, certHash string) string {
	b, _ := json.Marshal(struct {
		Employment  mapping.TZEmployment `json:"employment"`
		Certificate string               `json:"certificate,omitempty"`
	}{mapping.EmploymentToTZ(e), certHash}) // plain fields: cannot fail
	return string(b)
}

// extends reports whether the roster's dates create or extend the accepted registration (which
// needs a valid certificate) rather than only end it, end it earlier or start it later (which the
// system always accepts).
func extends(last *ledger.EmploymentRecord, o *mapping.Operator) bool {
	if o.StartDate.Before(last.StartDate) {
		return true
	}
	switch {
	case o.EndDate.IsZero():
		return !last.EndDate.IsZero() // reopening an ended registration
	case last.EndDate.IsZero():
		return false // ending it
	}
	return o.EndDate.After(last.EndDate)
}

// bestCertificate picks the certificate for item that decides (operator contract, alert rules):
// valid on day before invalid, then the latest validUntil, then the latest reviewDueDate.
func bestCertificate(certs []mapping.Certificate, item string, day mapping.Date) (mapping.Certificate, bool) {
	var best mapping.Certificate
	found, bestValid := false, false
	for i := range certs {
		c := &certs[i]
		if c.ItemCode != item {
			continue
		}
		valid := c.ValidOn(day)
		better := !found ||
			(valid && !bestValid) ||
			(valid == bestValid && (c.ValidUntil.After(best.ValidUntil) ||
				(c.ValidUntil == best.ValidUntil && c.ReviewDueDate.After(best.ReviewDueDate))))
		if better {
			best, found, bestValid = *c, true, valid
		}
	}
	return best, found
}

type employmentAnswer struct {
	plan   employmentPlan
	status string
	err    error
}

// employmentDone is what a batch of answers puts in the ledger and the queue.
type employmentDone struct {
	records  []ledger.EmploymentRecord
	bad      []*ledger.QuarantineEntry
	reqs     []retry.Request
	resolved []string
}

// employmentBatch is what one worker did with a group of due entries: the answers to the PUTs
// it sent, and the entries it held back.
type employmentBatch struct {
	answers          []employmentAnswer
	waiting, refused int
	capped           int   // over the run's cap: left due for the next run
	err              error // the ledger failed
}

func (r *Runner) syncEmployments(ctx context.Context, t *tally, full bool, fc fence) error {
	eq, err := r.openQuarantine(ctx, ledger.SourceSpecialOps, ledger.KindEmployment)
	if err != nil {
		return err
	}
	mark, err := r.employmentMark(ctx)
	if err != nil {
		return err
	}
	started := r.clock.Now()
	today := r.today()
	incremental := !full && !mark.FullDay.IsZero() && today.Before(mark.FullDay.AddDays(fullPassEvery))
	var dueSeq iter.Seq2[ledger.RegistrationDue, error]
	if incremental {
		dueSeq = r.store.RegistrationsDueSince(ctx, today, mark.At, mark.Day)
	} else {
		dueSeq = r.store.RegistrationsDue(ctx, today)
	}
	names := newNameCache(r.store)
	r.progress.Begin(Employments, phaseRegister, 0)
	defer r.progress.End()

	// One goroutine reads the due entries; the workers decide a group each (certificates,
	// names, the plan) and send its registrations, so that neither the reading nor the
	// deciding holds the requests up.
	produce := func(send func([]ledger.RegistrationDue) bool) error {
		group := make([]ledger.RegistrationDue, 0, employmentGroup)
		for due, err := range dueSeq {
			if err != nil {
				return fmt.Errorf("read due registrations: %w", err)
			}
			group = append(group, due)
			if len(group) == employmentGroup {
				if !send(group) {
					return nil
				}
				group = make([]ledger.RegistrationDue, 0, employmentGroup)
			}
		}
		if len(group) > 0 {
			send(group)
		}
		return nil
	}
	var stopped atomic.Bool // the breaker opened: send nothing more
	var sent atomic.Int64   // registrations sent, against the run's cap (r.maxRegs)
	t.regCap = r.maxRegs
	work := func(ctx context.Context, group []ledger.RegistrationDue) employmentBatch {
		var b employmentBatch
		ids := make([]string, 0, len(group))
		for i := range group {
			if i == 0 || group[i].Operator.IDNumber != group[i-1].Operator.IDNumber {
				ids = append(ids, group[i].Operator.IDNumber)
			}
		}
		certs, err := r.store.CertificatesByIDNumbers(ctx, ids)
		if err != nil {
			b.err = fmt.Errorf("read certificates: %w", err)
			return b
		}
		for i := range group {
			due := &group[i]
			choice, ok := chooseCertificate(due, certs[due.Operator.IDNumber], today)
			if !ok {
				b.waiting++ // waiting for a valid certificate
				continue
			}
			name, err := names.get(ctx, due.Operator.EnterpriseUSCC)
			if err != nil {
				b.err = err
				return b
			}
			p := choice.plan(due, name)
			switch {
			case eq.refused(p.key.String(), p.raw):
				b.refused++ // refused as it is: not sent again until something changes
				continue
			case stopped.Load() || ctx.Err() != nil:
				continue // left due in the ledger; the queued job run sends it
			case r.maxRegs > 0 && sent.Add(1) > int64(r.maxRegs):
				b.capped++ // left due in the ledger; the next run sends it
				continue
			}
			stored, _, _, err := r.tz.RegisterEmployment(ctx, p.emp)
			b.answers = append(b.answers, employmentAnswer{plan: p, status: stored.Status, err: err})
		}
		return b
	}

	var br breaker
	// The ledger writes run behind the answers (one goroutine, in order).
	wb := startWriteBehind(func(d employmentDone) error {
		if len(d.records) > 0 {
			if err := r.store.RecordEmployments(ctx, d.records); err != nil {
				return fmt.Errorf("record employments: %w", err)
			}
		}
		if err := r.resolve(ctx, eq, d.resolved...); err != nil {
			return err
		}
		if err := r.quarantine(ctx, d.bad...); err != nil {
			return err
		}
		return r.enqueue(ctx, d.reqs)
	})
	var cur employmentDone
	flush := func() error {
		if len(cur.records)+len(cur.bad)+len(cur.reqs)+len(cur.resolved) == 0 {
			return nil
		}
		err := wb.put(ctx, cur)
		cur = employmentDone{}
		return err
	}
	consume := func(b employmentBatch) (bool, error) {
		if b.err != nil {
			return false, b.err
		}
		t.unchanged.Add(int64(b.waiting))
		t.quarantined.Add(int64(b.refused))
		t.capped.Add(int64(b.capped))
		r.progress.Advance(len(b.answers), len(b.answers)+b.waiting+b.refused+b.capped)
		now := r.clock.Now()
		for _, a := range b.answers {
			key := a.plan.key.String()
			if a.err != nil {
				switch t.verdict(ctx, a.err) {
				case verdictAbort:
					return false, errors.Join(a.err, flush())
				case verdictReject:
					t.quarantined.Add(1)
					cur.bad = append(cur.bad, eq.entry(key, a.plan.raw, platformRefusal(labelSpecialOps, a.err)))
				default:
					t.queued.Add(1)
					cur.reqs = append(cur.reqs, retry.Request{Kind: KindEmploymentPut, Key: key, Cause: a.err})
				}
				if br.record(a.err) {
					stopped.Store(true)
				}
				continue
			}
			br.record(nil)
			t.answer(1)
			t.pushed.Add(1)
			cur.records = append(cur.records, acceptedEmployment(&a.plan, a.status, now))
			if eq.has(key) {
				cur.resolved = append(cur.resolved, key)
			}
		}
		if len(cur.records)+len(cur.bad)+len(cur.reqs) >= employmentFlush {
			return stopped.Load(), flush()
		}
		return stopped.Load(), nil
	}
	err = fanOut(ctx, r.concurrency, produce, work, consume)
	if err == nil {
		err = flush()
	}
	if err = errors.Join(err, wb.close()); err != nil {
		return err
	}
	if br.open {
		// Left due: the mark stays, so the queued run and the next one decide them again.
		return r.queueJob(ctx, t, fc, KindEmploymentSync, errPlatformDown)
	}
	if t.capped.Load() > 0 {
		// Over the cap (a first load spread over nights): the mark stays, so the next run
		// reads what is still due and goes on from there.
		return nil
	}
	next := employmentMark{At: started.Add(-markSkew), Day: today, FullDay: today}
	if incremental {
		next.FullDay = mark.FullDay
	}
	return r.setEmploymentMark(ctx, fc, next)
}

func (r *Runner) employmentJobPart(ctx context.Context, t *tally, fc fence) error {
	return r.syncEmployments(ctx, t, false, fc)
}

// acceptedEmployment is the ledger's record of an accepted registration: the dates as sent.
func acceptedEmployment(p *employmentPlan, status string, at time.Time) ledger.EmploymentRecord {
	return ledger.EmploymentRecord{Key: p.key, CertNo: p.emp.CertNo, StartDate: p.emp.StartDate, EndDate: p.emp.EndDate,
		Status: status, AcceptedAt: at}
}

// nameCache holds enterprise names for a run's registrations. A few names are read one by one;
// once a run needs many (a first sync), all are read in one pass, which costs far less than
// thousands of lookups.
type nameCache struct {
	store     ledger.Store
	mu        sync.Mutex
	names     map[string]string
	misses    int
	preloaded bool
}

// preloadAfter is how many lookups a run makes before it reads every name at once: a point
// lookup costs about what reading 20 rows does, so reading a street's 100 000 names pays only
// once a run needs a good part of them (a first sync), never for a day's changes.
const preloadAfter = 10000

func newNameCache(s ledger.Store) *nameCache { return &nameCache{store: s, names: map[string]string{}} }

// get returns the enterprise's name ("" when the ledger lacks it: the system then refuses the
// registration, which is quarantined).
func (c *nameCache) get(ctx context.Context, uscc string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.names[uscc]; ok || c.preloaded {
		return n, nil
	}
	if c.misses++; c.misses > preloadAfter {
		for e, err := range c.store.Enterprises(ctx, ledger.EnterpriseFilter{}) {
			if err != nil {
				return "", fmt.Errorf("read enterprises: %w", err)
			}
			c.names[e.USCC] = e.Name
		}
		c.preloaded = true
		return c.names[uscc], nil
	}
	rec, err := c.store.EnterpriseByUSCC(ctx, uscc)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return "", fmt.Errorf("read enterprise: %w", err)
	}
	c.names[uscc] = rec.Name
	return rec.Name, nil
}

// parseOperatorKey reads a queue item's key (mapping.OperatorKey.String).
func parseOperatorKey(s string) (mapping.OperatorKey, bool) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return mapping.OperatorKey{}, false
	}
	return mapping.OperatorKey{IDNumber: parts[0], EnterpriseUSCC: parts[1], ItemCode: parts[2]}, true
}

// planState is where one roster entry stands, decided afresh from the ledger.
type planState int

const (
	planReady   planState = iota // a registration to send
	planGone                     // not on the roster (any more)
	planCurrent                  // its registration is as the roster says
	planWaiting                  // it needs a certificate valid today, and has none
)

// planOne decides one roster entry from the ledger (retry handler, reconcile).
func (r *Runner) planOne(ctx context.Context, key mapping.OperatorKey) (employmentPlan, planState, error) {
	var p employmentPlan
	o, err := r.store.OperatorByKey(ctx, key)
	if errors.Is(err, ledger.ErrNotFound) {
		return p, planGone, nil
	}
	if err != nil {
		return p, 0, err
	}
	today := r.today()
	due := ledger.RegistrationDue{Operator: o}
	last, err := r.store.EmploymentByKey(ctx, key)
	switch {
	case err == nil:
		if last.StartDate == o.StartDate && last.EndDate == o.EndDate {
			return p, planCurrent, nil
		}
		due.Last = &last
	case errors.Is(err, ledger.ErrNotFound):
		if !o.OnDuty(today) {
			return p, planCurrent, nil // never registered and not on duty: nothing to register
		}
	default:
		return p, 0, err
	}
	certs, err := r.store.CertificatesByIDNumbers(ctx, []string{o.IDNumber})
	if err != nil {
		return p, 0, err
	}
	name, err := newNameCache(r.store).get(ctx, o.EnterpriseUSCC)
	if err != nil {
		return p, 0, err
	}
	p, ok := planEmployment(&due, certs[o.IDNumber], today, name)
	if !ok {
		return p, planWaiting, nil
	}
	return p, planReady, nil
}

// putOne sends one plan and records the answer; the verdict says what became of a failure
// (0 on success).
func (r *Runner) putOne(ctx context.Context, p employmentPlan, eq *quarantineIndex, fc fence) (verdict, error) {
	stored, _, _, err := r.tz.RegisterEmployment(ctx, p.emp)
	key := p.key.String()
	if err != nil {
		v := judge(ctx, err)
		if v == verdictReject {
			if qerr := r.quarantine(ctx, eq.entry(key, p.raw, platformRefusal(labelSpecialOps, err))); qerr != nil {
				return v, qerr
			}
		}
		return v, err
	}
	if err := fc.check(ctx); err != nil {
		return 0, err
	}
	if err := r.store.RecordEmployments(ctx, []ledger.EmploymentRecord{acceptedEmployment(&p, stored.Status, r.clock.Now())}); err != nil {
		return 0, fmt.Errorf("record employment: %w", err)
	}
	return 0, r.resolve(ctx, eq, key)
}

func (r *Runner) handleEmploymentPut(ctx context.Context, it *retry.Item) error {
	key, ok := parseOperatorKey(it.Key)
	if !ok {
		return retry.Permanent(errors.New("employment item key is not ID number|USCC|item"))
	}
	p, state, err := r.planOne(ctx, key)
	if err != nil || state != planReady {
		return err // nothing to send now; a roster change or a new certificate makes it due again
	}
	eq, err := r.quarantineOf(ctx, ledger.SourceSpecialOps, ledger.KindEmployment, p.key.String())
	if err != nil {
		return err
	}
	if eq.refused(p.key.String(), p.raw) {
		return nil
	}
	v, err := r.putOne(ctx, p, eq, it.CheckFence)
	if v == verdictReject {
		return queuedQuarantine(err)
	}
	return err
}

// RegisterEmployments registers (or ends) these roster entries' employments now, through the
// same decisions as the sync (`reconcile --apply`, internal/reconcile's Fixer). It reports how
// many the system accepted and, for the others, why not (Chinese; keys are
// mapping.OperatorKey.String, carrying whole ID numbers — mask them before showing).
func (r *Runner) RegisterEmployments(ctx context.Context, keys []mapping.OperatorKey) (registered int, failed map[string]string, err error) {
	failed = map[string]string{}
	eq, err := r.openQuarantine(ctx, ledger.SourceSpecialOps, ledger.KindEmployment)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		p, state, err := r.planOne(ctx, k)
		if err != nil {
			return registered, failed, err
		}
		switch state {
		case planGone:
			failed[k.String()] = msgOperatorNotInLedger
			continue
		case planWaiting:
			failed[k.String()] = msgNoValidCertificate
			continue
		case planCurrent:
			continue
		}
		v, err := r.putOne(ctx, p, eq, nil)
		switch {
		case err == nil:
			registered++
		case v == verdictReject:
			failed[k.String()] = platformRefusal(labelSpecialOps, err).Error()
		case v == verdictRetry:
			failed[k.String()] = fmt.Sprintf(msgQueued, summaryOf(err))
			if err := r.enqueue(ctx, []retry.Request{{Kind: KindEmploymentPut, Key: p.key.String(), Cause: err}}); err != nil {
				return registered, failed, err
			}
		default:
			return registered, failed, err
		}
	}
	return registered, failed, nil
}
