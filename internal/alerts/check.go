package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
	"streetsync/internal/logging"
	"streetsync/mapping"
)

// RetryKind is the retry-queue kind of a failed delivery. Its key is "<channel>|<community>";
// the queue's worker for this kind calls Checker.Redeliver with it.
const RetryKind = "alerts.deliver"

// certBatch is how many roster entries share one certificate lookup.
const certBatch = 1000

// Sources are what a check reads.
type Sources struct {
	Roster       RosterSource      // required
	Certificates CertificateSource // required
	Alarms       AlarmSource       // optional: without it ALARM_UNHANDLED neither fires nor resolves
}

// Result is the outcome of a check, as `alerts check --format json` prints it.
type Result struct {
	Evaluated int       `json:"evaluated"` // on-duty roster entries
	Firing    []Alert   `json:"firing"`    // every alert firing now, silenced and acknowledged ones too
	Delivered Delivered `json:"delivered"` // alerts sent in this run (0 and 0 with --dry-run)
}

// Delivered counts the alerts that reached at least one channel in a run.
type Delivered struct {
	Firing   int `json:"firing"`
	Resolved int `json:"resolved"`
}

// DeliveryError is a failed delivery of one community's alerts to one channel.
type DeliveryError struct {
	Channel   string
	Community string
	Retry     bool // transient: worth another attempt
	Err       error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("deliver alerts of community %q to channel %s: %v", e.Community, e.Channel, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Temporary reports whether retrying may succeed; Permanent its opposite. The retry queue
// classifies by these two.
func (e *DeliveryError) Temporary() bool { return e.Retry }

// Permanent reports that no retry can succeed (bad key, bad payload, channel gone).
func (e *DeliveryError) Permanent() bool { return !e.Retry }

// Checker runs alert checks: evaluate the rules over the roster and the alarms, move the alert
// state, deliver what is due. The clock and time zone are the Store's.
type Checker struct {
	store    *Store
	src      Sources
	channels []Channel
	rules    RuleConfig
	repeat   time.Duration
	escalate time.Duration
	alarmAge time.Duration
	enq      Enqueuer
	lockTTL  time.Duration
	lockWait time.Duration
	lease    time.Duration
	log      *zap.Logger
}

// NewChecker returns a checker over store. cfg is the configuration's alerts section; zero
// durations take config.Default's values. Options: WithEnqueuer, WithLock, WithClaimLease,
// WithLogger.
func NewChecker(store *Store, src Sources, channels []Channel, cfg config.Alerts, opts ...Option) (*Checker, error) {
	if store == nil {
		return nil, errors.New("alerts: no store")
	}
	if src.Roster == nil || src.Certificates == nil {
		return nil, errors.New("alerts: the roster and certificate sources are required")
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
	for _, ch := range channels {
		if ch.Name == "" || ch.Notifier == nil || names[ch.Name] {
			return nil, fmt.Errorf("alerts: channel %q: needs a unique name and a notifier", ch.Name)
		}
		names[ch.Name] = true
	}
	o := applyOptions(opts)
	if o.lockTTL < time.Second || o.lockWait < 0 || o.claimLease <= 0 {
		return nil, errors.New("alerts: lock TTL must be at least 1s, lock wait and claim lease positive")
	}
	log := store.log
	if o.log != nil {
		log = o.log.Named("alerts")
	}
	return &Checker{
		store: store, src: src, channels: slices.Clone(channels),
		rules:    RuleConfig{ExpiringWithinDays: cfg.ExpiringWithinDays},
		repeat:   orDefault(cfg.RepeatInterval, def.RepeatInterval),
		escalate: orDefault(cfg.EscalateAfter, def.EscalateAfter),
		alarmAge: orDefault(cfg.AlarmUnhandled, def.AlarmUnhandled),
		enq:      o.enqueuer, lockTTL: o.lockTTL, lockWait: o.lockWait, lease: o.claimLease,
		log: log,
	}, nil
}

// Store returns the state the checker works on (for list, ack, silence, history).
func (c *Checker) Store() *Store { return c.store }

// evaluation is what the rules found in one run.
type evaluation struct {
	findings  [][]Finding // in chunks of pipelineBatch: never copied as they grow, one pipeline each
	count     int
	keys      map[string]struct{} // public keys of findings
	evaluated int
	alarms    bool // the alarm rule was evaluated: its alerts may resolve
}

// Check evaluates the rules now (the store's clock, in schedule.timezone), records the alerts'
// state and delivers what is due: new and changed alerts, repeats after alerts.repeatInterval,
// escalations, resolutions. With dryRun it reads the state but changes and delivers nothing.
//
// Runs are serialized by a lock in Redis (an instance waits for another's run, up to the lock
// wait), and each delivery is claimed atomically, so two instances checking at once deliver once.
// A delivery that fails is recorded as failed (and is due again at the next check), and handed to
// the retry queue when it is transient and an Enqueuer is set.
func (c *Checker) Check(ctx context.Context, dryRun bool) (*Result, error) {
	if !dryRun {
		runCtx, release, err := c.lock(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		ctx = runCtx
	}
	now := c.store.now()
	ev, err := c.evaluate(ctx, mapping.DateOf(now), now)
	if err != nil {
		return nil, err
	}
	if dryRun {
		return c.preview(ctx, ev, now)
	}
	return c.apply(ctx, ev, now)
}

func (c *Checker) evaluate(ctx context.Context, day mapping.Date, now time.Time) (*evaluation, error) {
	ev := &evaluation{keys: map[string]struct{}{}}
	add := func(f Finding) {
		if _, dup := ev.keys[f.Alert.Key]; !dup { // a roster listed twice alerts once
			ev.keys[f.Alert.Key] = struct{}{}
			if n := len(ev.findings); n == 0 || len(ev.findings[n-1]) == pipelineBatch {
				ev.findings = append(ev.findings, make([]Finding, 0, pipelineBatch))
			}
			last := &ev.findings[len(ev.findings)-1]
			*last = append(*last, f)
			ev.count++
		}
	}
	batch := make([]RosterEntry, 0, certBatch)
	ids := make([]string, 0, certBatch)
	var found []Finding
	var certErr error
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ids = ids[:0]
		for i := range batch {
			ids = append(ids, batch[i].Operator.IDNumber)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		certs, err := c.src.Certificates.CertificatesByID(ctx, ids)
		if err != nil {
			certErr = fmt.Errorf("alerts: read certificates: %w", err)
			return certErr
		}
		for i := range batch {
			found = appendFindings(found[:0], &batch[i], certs[batch[i].Operator.IDNumber], day, c.rules)
			for _, f := range found {
				add(f)
			}
		}
		batch = batch[:0]
		return nil
	}
	err := c.src.Roster.EachOnDuty(ctx, day, func(e *RosterEntry) error {
		if !e.Operator.OnDuty(day) {
			return nil
		}
		ev.evaluated++
		batch = append(batch, *e)
		if len(batch) == certBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if certErr != nil {
		return nil, certErr
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: read roster: %w", err)
	}
	if c.src.Alarms != nil {
		list, err := c.src.Alarms.UnhandledAlarms(ctx, now.Add(-c.alarmAge))
		if err != nil {
			// Certificate alerts still go out; alarm alerts neither fire nor resolve this run.
			c.log.Warn("alarm source failed: ALARM_UNHANDLED not evaluated this run", zap.Error(err))
		} else {
			ev.alarms = true
			for i := range list {
				if f, ok := EvaluateAlarm(&list[i], now, c.alarmAge, c.store.loc); ok {
					add(f)
				}
			}
		}
	}
	return ev, nil
}

// preview is the dry run: the findings with what the state already knows of them.
func (c *Checker) preview(ctx context.Context, ev *evaluation, now time.Time) (*Result, error) {
	s := c.store
	res := &Result{Evaluated: ev.evaluated, Firing: make([]Alert, 0, ev.count)}
	fields := []string{fStatus, fEpisode, fVersion, fFP, fSince, fEscAt, fAckRev, fAckBy, fAckNote, fAckAt}
	for _, batch := range ev.findings {
		pipe := s.conn.Client.Pipeline()
		cmds := make([]*redis.SliceCmd, len(batch))
		for i := range batch {
			cmds[i] = pipe.HMGet(ctx, s.k.state(batch[i].Alert.Key), fields...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("alerts: read state: %w", err)
		}
		for i := range batch {
			m := map[string]string{}
			for j, v := range cmds[i].Val() {
				if str, ok := v.(string); ok {
					m[fields[j]] = str
				}
			}
			st := parseState(m)
			a := batch[i].Alert
			a.Since = now.Truncate(time.Second)
			if st.status == notify.StatusFiring {
				a.Since = msTime(st.since, s.loc).Truncate(time.Second)
				a.Escalated = st.escAt > 0
				if st.fp == batch[i].fp && st.acked() {
					a.Acknowledged = &notify.Ack{By: st.ackBy, Note: st.ackNote, At: msTime(st.ackAt, s.loc)}
				}
			}
			a.Escalated = a.Escalated || (a.Severity == notify.SeverityCritical && now.Sub(a.Since) >= c.escalate)
			res.Firing = append(res.Firing, a)
		}
	}
	res.Firing = sortAlerts(res.Firing)
	return res, nil
}

func (c *Checker) apply(ctx context.Context, ev *evaluation, now time.Time) (*Result, error) {
	s := c.store
	if err := s.loadScripts(ctx); err != nil {
		return nil, err
	}
	pubs, err := s.conn.Client.SMembers(ctx, s.k.open()).Result()
	if err != nil {
		return nil, fmt.Errorf("alerts: read open alerts: %w", err)
	}
	states, err := s.loadStates(ctx, pubs, c.channels)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*state, len(states))
	for _, st := range states {
		byKey[st.pub] = st
	}
	fired, changed, fresh, err := c.observe(ctx, ev.findings, byKey, now)
	if err != nil {
		return nil, err
	}
	if len(fresh) > 0 {
		// Alerts new to the open set: read them whole (one that fires again after it was closed
		// still has its delivery stamps).
		more, err := s.loadStates(ctx, fresh, c.channels)
		if err != nil {
			return nil, err
		}
		for _, st := range more {
			byKey[st.pub] = st
		}
		states = append(states, more...)
	}
	resolved, err := c.resolveGone(ctx, states, ev, now)
	if err != nil {
		return nil, err
	}
	if err := c.markEscalations(ctx, states, now); err != nil {
		return nil, err
	}
	sls, err := s.Silences(ctx)
	if err != nil {
		return nil, err
	}
	run := newRunID()
	sent, deliverErr := c.deliver(ctx, states, now, sls, run, nil, true)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("alerts: check interrupted: %w", context.Cause(ctx))
	}
	if err := c.finalize(ctx, states, now, sls); err != nil {
		return nil, err
	}
	if err := s.tidyIndex(ctx, now); err != nil {
		return nil, err
	}

	res := &Result{Evaluated: ev.evaluated, Firing: make([]Alert, 0, ev.count), Delivered: sent}
	for _, chunk := range ev.findings {
		for i := range chunk {
			a := chunk[i].Alert
			if st := byKey[a.Key]; st != nil {
				st.stateInto(&a, s.loc)
			} else {
				a.Since = now.Truncate(time.Second) // not stored (cannot happen after observe)
			}
			res.Firing = append(res.Firing, a)
		}
	}
	res.Firing = sortAlerts(res.Firing)
	c.log.Info("alerts checked",
		zap.Int("evaluated", ev.evaluated), zap.Int("firing", len(res.Firing)),
		zap.Int("new", fired), zap.Int("changed", changed), zap.Int("resolved", resolved),
		zap.Int("deliveredFiring", sent.Firing), zap.Int("deliveredResolved", sent.Resolved),
		zap.Bool("deliveryFailures", deliverErr != nil))
	return res, nil
}

// observe records every finding as firing, one pipeline per chunk, keeps byKey (the open
// alerts' states, read just before) up to date with what it changed, and returns the keys of the
// alerts that were not in it (fresh: the caller reads them). An alert firing as it did
// (same status, fingerprint and alert JSON hash) only gets its last evaluation time: one HSET, its
// JSON is not sent again. The others go through observeScript, whose answer (episode, version,
// since) updates the state in memory. Only a check run changes status, fingerprint or JSON, and
// runs hold the lock, so what was read stands; should it not, a HSET of one field is harmless and
// the claims re-check status, episode and version before anything is delivered.
func (c *Checker) observe(ctx context.Context, chunks [][]Finding, byKey map[string]*state, now time.Time) (fired, changed int, fresh []string, err error) {
	s := c.store
	nowMs := now.UnixMilli()
	evFired := s.event(Event{At: now, Type: EventFired})
	evChanged := s.event(Event{At: now, Type: EventChanged})
	hashes := make([]string, pipelineBatch)
	for _, batch := range chunks {
		pipe := s.conn.Client.Pipeline()
		cmds := make([]*redis.Cmd, len(batch))
		for i := range batch {
			f := &batch[i]
			hashes[i] = alertHash(&f.Alert)
			if st := byKey[f.Alert.Key]; st != nil && st.status == notify.StatusFiring && st.fp == f.fp && st.ah == hashes[i] {
				pipe.HSet(ctx, s.k.state(f.Alert.Key), fSeen, nowMs)
				st.seen = nowMs
				continue
			}
			body, err := alertJSON(&f.Alert)
			if err != nil {
				return 0, 0, nil, err
			}
			cmds[i] = observeScript.EvalSha(ctx, pipe,
				[]string{s.k.state(f.Alert.Key), s.k.history(f.Alert.Key), s.k.open(), s.k.all()},
				f.Alert.Key, f.fp, body, f.Alert.Community, f.Alert.Rule, f.Alert.Severity, f.idh, nowMs,
				evFired, evChanged, historyCap, hashes[i])
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, 0, nil, fmt.Errorf("alerts: record firing alerts: %w", err)
		}
		for i, cmd := range cmds {
			if cmd == nil {
				continue
			}
			v, err := cmd.Slice()
			if err != nil || len(v) != 4 {
				return 0, 0, nil, fmt.Errorf("alerts: record firing alerts: unexpected answer %v (%v)", v, err)
			}
			f := &batch[i]
			outcome, _ := v[0].(string)
			switch outcome {
			case "fired":
				fired++
			case "changed":
				changed++
			}
			st := byKey[f.Alert.Key]
			if st == nil {
				fresh = append(fresh, f.Alert.Key)
				continue
			}
			if outcome == "fired" { // a new episode: what observeScript cleared
				st.resolvedAt, st.escAt = 0, 0
			}
			ep, _ := v[1].(int64)
			ver, _ := v[2].(int64)
			since, _ := v[3].(string)
			st.status, st.ep, st.ver, st.fp, st.ah, st.seen = notify.StatusFiring, int(ep), int(ver), f.fp, hashes[i], nowMs
			st.since, _ = strconv.ParseInt(since, 10, 64)
			st.comm, st.rule, st.sev, st.idh = f.Alert.Community, f.Alert.Rule, f.Alert.Severity, f.idh
		}
	}
	return fired, changed, fresh, nil
}

// alertJSON is the alert as stored: without what the state keeps in its own fields.
func alertJSON(a *Alert) ([]byte, error) {
	c := *a
	c.Status, c.Since, c.Notice, c.Escalated, c.Acknowledged = "", time.Time{}, "", false, nil
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("alerts: encode alert: %w", err)
	}
	return b, nil
}

// alertHash is a 64-bit FNV-1a (hex) over every field alertJSON stores, so that an alert that
// fires as it did is recognized without encoding it. TestAlertHashCoversTheStoredFields keeps
// it honest when Alert grows a field.
func alertHash(a *Alert) string {
	h := uint64(14695981039346656037)
	w := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211 // separator: "ab","c" ≠ "a","bc"
	}
	num := func(n int64) { w(strconv.FormatInt(n, 10)) }
	present := func(ok bool) {
		if ok {
			w("1")
		} else {
			w("0")
		}
	}
	w(a.Key)
	w(a.Rule)
	w(a.RuleName)
	w(a.Severity)
	w(a.Community)
	w(a.Enterprise.USCC)
	w(a.Enterprise.Name)
	w(a.Message)
	present(a.Operator != nil)
	if o := a.Operator; o != nil {
		w(o.Name)
		w(o.IDNumber)
	}
	present(a.Item != nil)
	if it := a.Item; it != nil {
		w(it.Code)
		w(it.Name)
	}
	present(a.Certificate != nil)
	if c := a.Certificate; c != nil {
		w(c.CertNo)
		w(string(c.Status))
		w(c.ValidUntil.String())
		w(c.ReviewDueDate.String())
	}
	present(a.Alarm != nil)
	if al := a.Alarm; al != nil {
		w(al.ID)
		w(al.Point)
		w(al.Quantity)
		w(al.Value)
		w(al.Threshold)
		w(al.Unit)
		num(int64(al.Level))
		num(al.RaisedAt.UnixNano())
	}
	return strconv.FormatUint(h, 16)
}

// sortAlerts orders alerts as every listing does (compareAlerts), moving pointers rather than
// the alerts themselves.
func sortAlerts(as []Alert) []Alert {
	ps := make([]*Alert, len(as))
	for i := range as {
		ps[i] = &as[i]
	}
	slices.SortFunc(ps, compareAlerts)
	out := make([]Alert, len(as))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// resolveGone resolves the firing alerts this evaluation did not find — of the rules it
// evaluated: alarm alerts stay as they are when the alarm source was not read.
func (c *Checker) resolveGone(ctx context.Context, states []*state, ev *evaluation, now time.Time) (int, error) {
	s := c.store
	var gone []*state
	for _, st := range states {
		if _, found := ev.keys[st.pub]; st.status == notify.StatusFiring && !found && (certificateRule(st.rule) || ev.alarms) {
			gone = append(gone, st)
		}
	}
	evResolved := s.event(Event{At: now, Type: EventResolved})
	n := 0
	err := s.pipelined(ctx, len(gone), func(pipe redis.Pipeliner, i int) *redis.Cmd {
		st := gone[i]
		return resolveScript.EvalSha(ctx, pipe, []string{s.k.state(st.pub), s.k.history(st.pub), s.k.all()},
			st.ep, now.UnixMilli(), evResolved, historyCap, st.pub)
	}, func(i int, cmd *redis.Cmd) {
		if v, _ := cmd.Int(); v == 1 {
			gone[i].status, gone[i].resolvedAt = notify.StatusResolved, now.UnixMilli()
			n++
		}
	})
	if err != nil {
		return 0, fmt.Errorf("alerts: resolve alerts: %w", err)
	}
	return n, nil
}

// markEscalations records the escalation of critical alerts firing longer than escalateAfter.
func (c *Checker) markEscalations(ctx context.Context, states []*state, now time.Time) error {
	s := c.store
	var due []*state
	for _, st := range states {
		if st.status == notify.StatusFiring && st.sev == notify.SeverityCritical && st.escAt == 0 &&
			st.since > 0 && now.Sub(msTime(st.since, s.loc)) >= c.escalate {
			due = append(due, st)
		}
	}
	evEscalated := s.event(Event{At: now, Type: EventEscalated})
	err := s.pipelined(ctx, len(due), func(pipe redis.Pipeliner, i int) *redis.Cmd {
		st := due[i]
		return escalateScript.EvalSha(ctx, pipe, []string{s.k.state(st.pub), s.k.history(st.pub)},
			st.ep, now.UnixMilli(), evEscalated, historyCap)
	}, func(i int, _ *redis.Cmd) {
		// 0 means another run marked it first: escalated all the same.
		due[i].escAt = now.UnixMilli()
	})
	if err != nil {
		return fmt.Errorf("alerts: escalate alerts: %w", err)
	}
	return nil
}

// due says which notice of st, if any, channel ch should get now.
func (c *Checker) due(st *state, ch *Channel, nowMs int64, silenced bool) string {
	sp := st.stamp(ch.Name)
	if (sp.Pend != nil && sp.Pend.Until > nowMs) || silenced {
		return "" // another run is delivering it, or it is muted
	}
	switch st.status {
	case notify.StatusFiring:
		escalated := st.escAt > 0
		if !ch.covers(st.comm) && !(ch.Escalations && escalated) {
			return ""
		}
		switch {
		case ch.Escalations && escalated && sp.Esc != st.ep:
			return notify.NoticeEscalation // even when acknowledged: the street office hears of it once
		case sp.Ep != st.ep:
			return notify.NoticeNew
		case sp.Ver != st.ver:
			return notify.NoticeChanged
		case st.acked():
			return ""
		case nowMs-sp.At >= c.repeat.Milliseconds():
			return notify.NoticeRepeat
		}
	case notify.StatusResolved:
		// Only channels that were told it fires hear that it stopped.
		if sp.Ep == st.ep && sp.Res != st.ep {
			return notify.NoticeResolved
		}
	}
	return ""
}

func (st *state) stamp(ch string) stamp {
	return parseStamp(st.stamps[ch])
}

type dueItem struct {
	st     *state
	notice string
}

// deliver sends what is due to every channel (or those want keeps), one message per community per
// channel. It returns the alerts delivered and the first delivery error.
func (c *Checker) deliver(ctx context.Context, states []*state, now time.Time, sls []Silence, run string,
	want func(ch *Channel, st *state) bool, enqueue bool) (Delivered, error) {
	s := c.store
	nowMs := now.UnixMilli()
	silenced := make(map[*state]bool, len(states))
	for _, st := range states {
		silenced[st] = silencedBy(sls, st) != nil
	}
	firingSent, resolvedSent := map[string]bool{}, map[string]bool{}
	var firstErr error
	for ci := range c.channels {
		ch := &c.channels[ci]
		groups := map[string][]dueItem{}
		for _, st := range states {
			if want != nil && !want(ch, st) {
				continue
			}
			if n := c.due(st, ch, nowMs, silenced[st]); n != "" {
				groups[st.comm] = append(groups[st.comm], dueItem{st, n})
			}
		}
		for _, community := range sortedKeys(groups) {
			if ctx.Err() != nil {
				return Delivered{len(firingSent), len(resolvedSent)}, ctx.Err()
			}
			won, err := c.claim(ctx, ch, groups[community], nowMs, run)
			if err != nil {
				return Delivered{len(firingSent), len(resolvedSent)}, err
			}
			if len(won) == 0 {
				continue
			}
			alerts := make([]Alert, 0, len(won))
			for _, it := range won {
				a, err := it.st.view(s.loc)
				if err != nil {
					return Delivered{len(firingSent), len(resolvedSent)}, err
				}
				a.Notice = it.notice
				alerts = append(alerts, a)
			}
			alerts = sortAlerts(alerts)
			retry, nerr := ch.Notifier.Notify(ctx, notify.NewMessage(community, alerts))
			if err := c.finish(ctx, ch, won, now, nerr); err != nil {
				return Delivered{len(firingSent), len(resolvedSent)}, err
			}
			if nerr != nil {
				derr := &DeliveryError{Channel: ch.Name, Community: community, Retry: retry, Err: nerr}
				c.log.Warn("alert delivery failed", zap.String("channel", ch.Name),
					zap.String("community", community), zap.Int("alerts", len(won)),
					zap.Bool("retry", retry), zap.Error(nerr))
				if enqueue && retry && c.enq != nil {
					if _, err := c.enq.Enqueue(ctx, RetryKind, ch.Name+"|"+community, derr); err != nil {
						c.log.Error("cannot queue alert delivery for retry", zap.String("channel", ch.Name), zap.Error(err))
					}
				}
				if firstErr == nil {
					firstErr = derr
				}
				continue
			}
			c.log.Info("alerts delivered", zap.String("channel", ch.Name), zap.String("community", community),
				zap.Int("alerts", len(won)))
			for _, it := range won {
				if it.notice == notify.NoticeResolved {
					resolvedSent[it.st.pub] = true
				} else {
					firingSent[it.st.pub] = true
				}
			}
		}
	}
	return Delivered{len(firingSent), len(resolvedSent)}, firstErr
}

// claim takes the deliveries of items to ch (claimScript, pipelined) and returns those won.
func (c *Checker) claim(ctx context.Context, ch *Channel, items []dueItem, nowMs int64, run string) ([]dueItem, error) {
	s := c.store
	field := fChanPrefix + ch.Name
	claimed := make([]string, len(items))
	var won []dueItem
	err := s.pipelined(ctx, len(items), func(pipe redis.Pipeliner, i int) *redis.Cmd {
		st := items[i].st
		old := st.stamps[ch.Name]
		sp := parseStamp(old)
		sp.Pend = &claim{Notice: items[i].notice, Until: nowMs + c.lease.Milliseconds(), Run: run}
		claimed[i] = sp.encode()
		return claimScript.EvalSha(ctx, pipe, []string{s.k.state(st.pub)},
			field, old, claimed[i], st.status, st.ep, st.ver)
	}, func(i int, cmd *redis.Cmd) {
		if body, ok := cmd.Val().(string); ok {
			st := items[i].st
			if st.stamps == nil {
				st.stamps = map[string]string{}
			}
			st.stamps[ch.Name] = claimed[i]
			st.alert = body
			won = append(won, items[i])
		}
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: claim deliveries to %s: %w", ch.Name, err)
	}
	return won, nil
}

// finish records the outcome of the claimed deliveries (finishScript, pipelined).
func (c *Checker) finish(ctx context.Context, ch *Channel, won []dueItem, now time.Time, nerr error) error {
	s := c.store
	nowMs := now.UnixMilli()
	field := fChanPrefix + ch.Name
	errText := ""
	if nerr != nil {
		errText = logging.MaskIDsInText(nerr.Error())
	}
	final := make([]string, len(won))
	// The outcome is recorded even when the run is being cancelled: the message went out (or not).
	ctx = context.WithoutCancel(ctx)
	err := s.pipelined(ctx, len(won), func(pipe redis.Pipeliner, i int) *redis.Cmd {
		it := won[i]
		cur := it.st.stamps[ch.Name]
		sp := parseStamp(cur)
		sp.Pend = nil
		ev := Event{At: now, Type: EventDelivered, Channel: ch.Name, Notice: it.notice}
		if nerr == nil {
			switch it.notice {
			case notify.NoticeResolved:
				sp.Res = it.st.ep
			case notify.NoticeEscalation:
				sp.Esc = it.st.ep
				sp.Ep, sp.Ver, sp.At = it.st.ep, it.st.ver, nowMs
			default:
				sp.Ep, sp.Ver, sp.At = it.st.ep, it.st.ver, nowMs
			}
			sp.Last = &attempt{Notice: it.notice, At: nowMs, OK: true}
		} else {
			sp.Last = &attempt{Notice: it.notice, At: nowMs, Err: errText}
			ev.Type, ev.Error = EventFailed, errText
		}
		final[i] = sp.encode()
		return finishScript.EvalSha(ctx, pipe, []string{s.k.state(it.st.pub), s.k.history(it.st.pub)},
			field, cur, final[i], s.event(ev), historyCap)
	}, func(i int, _ *redis.Cmd) {
		won[i].st.stamps[ch.Name] = final[i]
	})
	if err != nil {
		return fmt.Errorf("alerts: record deliveries to %s: %w", ch.Name, err)
	}
	return nil
}

// finalize closes the resolved alerts that no channel still has to hear about (or that resolved
// longer ago than the retention).
func (c *Checker) finalize(ctx context.Context, states []*state, now time.Time, sls []Silence) error {
	s := c.store
	nowMs := now.UnixMilli()
	var done []*state
	for _, st := range states {
		if st.status != notify.StatusResolved {
			continue
		}
		open := false
		if nowMs-st.resolvedAt < s.retention.Milliseconds() {
			silenced := silencedBy(sls, st) != nil
			for ci := range c.channels {
				ch := &c.channels[ci]
				sp := st.stamp(ch.Name)
				if c.due(st, ch, nowMs, silenced) != "" || (sp.Pend != nil && sp.Pend.Until > nowMs) {
					open = true
					break
				}
			}
		}
		if !open {
			done = append(done, st)
		}
	}
	err := s.pipelined(ctx, len(done), func(pipe redis.Pipeliner, i int) *redis.Cmd {
		st := done[i]
		return finalizeScript.EvalSha(ctx, pipe, []string{s.k.state(st.pub), s.k.history(st.pub), s.k.open()},
			st.pub, st.ep, s.retention.Milliseconds())
	}, nil)
	if err != nil {
		return fmt.Errorf("alerts: close resolved alerts: %w", err)
	}
	return nil
}

// Redeliver delivers what is due to one channel for one community now; key is the retry-queue
// key "<channel>|<community>" of RetryKind. It is the retry queue's worker for failed deliveries:
// it returns a *DeliveryError (Temporary reports whether another attempt may help) when the
// delivery fails again, and does not queue anything itself.
func (c *Checker) Redeliver(ctx context.Context, key string) error {
	name, community, ok := strings.Cut(key, "|")
	var ch *Channel
	for i := range c.channels {
		if c.channels[i].Name == name {
			ch = &c.channels[i]
		}
	}
	if !ok || ch == nil {
		// The channel is gone from the configuration: nothing to retry.
		return &DeliveryError{Channel: name, Community: community, Err: errors.New("no such channel configured")}
	}
	s := c.store
	if err := s.loadScripts(ctx); err != nil {
		return err
	}
	pubs, err := s.conn.Client.SMembers(ctx, s.k.open()).Result()
	if err != nil {
		return fmt.Errorf("alerts: read open alerts: %w", err)
	}
	states, err := s.loadStates(ctx, pubs, c.channels)
	if err != nil {
		return err
	}
	var mine []*state
	for _, st := range states {
		if st.comm == community {
			mine = append(mine, st)
		}
	}
	sls, err := s.Silences(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	_, derr := c.deliver(ctx, mine, now, sls, newRunID(), func(x *Channel, _ *state) bool { return x == ch }, false)
	if err := c.finalize(ctx, mine, now, sls); err != nil {
		return err
	}
	return derr
}

// pipelined runs n script calls in pipelines of pipelineBatch and hands each result to done
// (nil: ignore results). Any command's error fails the whole call.
func (s *Store) pipelined(ctx context.Context, n int, call func(redis.Pipeliner, int) *redis.Cmd, done func(int, *redis.Cmd)) error {
	for start := 0; start < n; start += pipelineBatch {
		end := min(start+pipelineBatch, n)
		pipe := s.conn.Client.Pipeline()
		cmds := make([]*redis.Cmd, 0, end-start)
		for i := start; i < end; i++ {
			cmds = append(cmds, call(pipe, i))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		if done != nil {
			for j, cmd := range cmds {
				done(start+j, cmd)
			}
		}
	}
	return nil
}

var errLockLost = errors.New("alerts: the check run lost its lock")

// lock takes the check run's lock, waiting up to lockWait for another instance's run. The
// returned context is cancelled if the lock is lost; release (idempotent) stops renewing and
// deletes it if it is still ours.
// Waiting and renewal are in real time: the lock's TTL runs on the Redis server's clock anyway.
func (c *Checker) lock(ctx context.Context) (context.Context, func(), error) {
	s := c.store
	token := newRunID()
	key := s.k.lock()
	wait := time.NewTimer(c.lockWait)
	defer wait.Stop()
	for {
		ok, err := s.conn.Client.SetNX(ctx, key, token, c.lockTTL).Result()
		if err != nil {
			return nil, nil, fmt.Errorf("alerts: take the check lock: %w", err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-wait.C:
			return nil, nil, ErrCheckRunning
		case <-time.After(100 * time.Millisecond):
		}
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(c.lockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-runCtx.Done():
				return
			case <-t.C:
				n, err := extendLockScript.Run(runCtx, s.conn.Client, []string{key}, token, c.lockTTL.Milliseconds()).Int()
				if err == nil && n == 0 {
					cancel(errLockLost)
					return
				}
				if err != nil {
					c.log.Warn("cannot renew the alert check lock", zap.Error(err))
				}
			}
		}
	})
	var once sync.Once
	release := func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer rcancel()
			if err := releaseLockScript.Run(rctx, s.conn.Client, []string{key}, token).Err(); err != nil {
				c.log.Warn("cannot release the alert check lock (it expires by itself)", zap.Error(err))
			}
			cancel(nil)
		})
	}
	return runCtx, release, nil
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
