package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/redisconn"
)

// The alert state machine, per alert key:
//
//	(none) ──fires──▶ firing ──stops firing──▶ resolved ──fires again──▶ firing (next episode)
//	                  │  ▲
//	                  └──┘ fingerprint changes: next version (re-delivered, acknowledgement gone)
//
// Each channel has a delivery stamp per alert: which episode/version it last received and when,
// whether the escalation and the resolution went out, the last attempt's outcome, and a claim
// while a delivery is under way. Deliveries are decided from the state, claimed by compare-and-set
// (claimScript), then finished (finishScript): two instances deciding the same delivery deliver it
// once. A claim whose holder died expires after the claim lease and the delivery is due again, so
// delivery is at least once, and exactly once unless an instance dies between sending and
// recording.

const (
	historyCap       = 50                  // events kept per alert
	defaultRetention = 90 * 24 * time.Hour // how long a resolved alert is kept
	pipelineBatch    = 1000
)

// Event types of an alert's history.
const (
	EventFired        = "fired"
	EventChanged      = "changed"
	EventDelivered    = "delivered"
	EventFailed       = "failed"
	EventAcknowledged = "acknowledged"
	EventEscalated    = "escalated"
	EventResolved     = "resolved"
	EventSilenced     = "silenced"
)

// Event is one entry of an alert's history.
type Event struct {
	At      time.Time  `json:"at"`
	Type    string     `json:"type"`
	Channel string     `json:"channel,omitempty"`
	Notice  string     `json:"notice,omitempty"` // what was delivered: new, changed, repeat, escalation, resolved
	By      string     `json:"by,omitempty"`
	Note    string     `json:"note,omitempty"`
	Error   string     `json:"error,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
}

// Record is an alert with its state, for `alerts list` and the console: the alert object plus
// where it was delivered.
type Record struct {
	Alert
	Episode       int        `json:"episode"` // how many times it has started firing
	ResolvedAt    *time.Time `json:"resolvedAt,omitempty"`
	LastEvaluated time.Time  `json:"lastEvaluated"` // last check that found it firing
	Silenced      *Silence   `json:"silenced,omitempty"`
	Deliveries    []Delivery `json:"deliveries"`
}

// Delivery is the last attempt to deliver an alert to one channel.
type Delivery struct {
	Channel string    `json:"channel"`
	Notice  string    `json:"notice"`
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
	Pending bool      `json:"pending,omitempty"` // claimed by a run that is delivering it now
}

// Filter selects alerts for List; empty fields match everything.
type Filter struct {
	Community string
	Rule      string
	// Status is firing, resolved, acknowledged (firing and acknowledged), silenced or escalated.
	Status string
}

// Matcher says which alerts a silence mutes; every non-empty field must match.
type Matcher struct {
	Key       string `json:"key,omitempty"`
	Community string `json:"community,omitempty"`
	Rule      string `json:"rule,omitempty"`
	IDHash    string `json:"idHash,omitempty"` // IDHash of a person's ID number: all their alerts
}

// Silence mutes the deliveries of matching alerts until a time. Muted alerts keep firing and
// resolving in the state; only their notices are held back (a notice due when the silence ends is
// delivered then).
type Silence struct {
	ID        string    `json:"id"`
	Matcher   Matcher   `json:"matcher"`
	Until     time.Time `json:"until"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"createdAt"`
}

var (
	publicKeyRE = regexp.MustCompile(`^[0-9a-f]{16}$`)
	idNumberRE  = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
)

// ParseTarget reads what `alerts silence --id` names: an alert's public key (16 hex digits) or a
// person's 18-character ID number (all their alerts, matched by IDHash: the number is not stored).
func ParseTarget(s string) (Matcher, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if publicKeyRE.MatchString(t) {
		return Matcher{Key: t}, nil
	}
	id := strings.ToUpper(t)
	if idNumberRE.MatchString(id) {
		return Matcher{IDHash: IDHash(id)}, nil
	}
	return Matcher{}, inputErr(reasonBadTarget, maskTarget(s))
}

// maskTarget keeps a mistyped ID number out of error messages.
func maskTarget(s string) string {
	if len(s) > 10 {
		return s[:6] + strings.Repeat("*", len(s)-10) + s[len(s)-4:]
	}
	return s
}

func (m Matcher) empty() bool { return m == Matcher{} }

func (m Matcher) matches(st *state) bool {
	return (m.Key == "" || m.Key == st.pub) &&
		(m.Community == "" || m.Community == st.comm) &&
		(m.Rule == "" || m.Rule == st.rule) &&
		(m.IDHash == "" || m.IDHash == st.idh)
}

// Store is the alert state in Redis: what the check run changes, and what people browse,
// acknowledge and silence (`alerts list|ack|silence`, the console).
type Store struct {
	conn      *redisconn.Conn
	k         keys
	loc       *time.Location
	clock     Clock
	log       *zap.Logger
	retention time.Duration
}

// Option configures a Store or a Checker.
type Option func(*options)

type options struct {
	clock      Clock
	log        *zap.Logger
	retention  time.Duration
	enqueuer   Enqueuer
	lockTTL    time.Duration
	lockWait   time.Duration
	claimLease time.Duration
}

// WithClock sets the clock (default: the system's).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *zap.Logger) Option { return func(o *options) { o.log = l } }

// WithRetention sets how long resolved alerts and their history are kept (default 90 days).
func WithRetention(d time.Duration) Option { return func(o *options) { o.retention = d } }

// WithEnqueuer hands failed deliveries to the retry queue (Checker; optional).
func WithEnqueuer(e Enqueuer) Option { return func(o *options) { o.enqueuer = e } }

// WithLock sets the check run's lock TTL (renewed while the run lasts; default 2m) and how long
// a check waits for another instance's run to finish (default 5m).
func WithLock(ttl, wait time.Duration) Option {
	return func(o *options) { o.lockTTL, o.lockWait = ttl, wait }
}

// WithClaimLease sets how long a claimed delivery stays claimed when its run dies before
// recording the outcome (default 10m).
func WithClaimLease(d time.Duration) Option { return func(o *options) { o.claimLease = d } }

func applyOptions(opts []Option) options {
	o := options{
		clock: systemClock{}, retention: defaultRetention,
		lockTTL: 2 * time.Minute, lockWait: 5 * time.Minute, claimLease: 10 * time.Minute,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewStore returns the alert state on conn; loc is schedule.timezone (times are shown in it).
func NewStore(conn *redisconn.Conn, loc *time.Location, opts ...Option) (*Store, error) {
	if conn == nil || conn.Client == nil {
		return nil, errors.New("alerts: no redis connection")
	}
	if loc == nil {
		return nil, errors.New("alerts: no time zone")
	}
	o := applyOptions(opts)
	if o.retention <= 0 {
		return nil, errors.New("alerts: retention must be positive")
	}
	log := o.log
	if log == nil {
		log = zap.NewNop()
	}
	return &Store{
		conn: conn, k: keys{conn}, loc: loc, clock: o.clock,
		log: log.Named("alerts"), retention: o.retention,
	}, nil
}

func (s *Store) now() time.Time { return s.clock.Now().In(s.loc) }

func (s *Store) event(e Event) string {
	e.At = e.At.In(s.loc).Truncate(time.Millisecond)
	b, _ := json.Marshal(e) // a struct of strings and times always encodes
	return string(b)
}

// state is one alert's state hash, decoded.
type state struct {
	pub, rule, sev, comm, idh, fp string
	ah                            string // hash of the alert JSON
	alert                         string // JSON (only when being delivered)
	status                        string
	ep, ver                       int
	since, seen, resolvedAt       int64
	escAt, ackAt                  int64
	ackRev, ackBy, ackNote        string
	stamps                        map[string]string // channel → stamp JSON
}

func parseState(m map[string]string) *state {
	st := &state{
		pub: m[fPub], rule: m[fRule], sev: m[fSeverity], comm: m[fCommunity], idh: m[fIDHash],
		fp: m[fFP], ah: m[fAlertHash], alert: m[fAlert], status: m[fStatus],
		ackRev: m[fAckRev], ackBy: m[fAckBy], ackNote: m[fAckNote],
	}
	st.ep, _ = strconv.Atoi(m[fEpisode])
	st.ver, _ = strconv.Atoi(m[fVersion])
	num := func(f string) int64 { n, _ := strconv.ParseInt(m[f], 10, 64); return n }
	st.since, st.seen, st.resolvedAt = num(fSince), num(fSeen), num(fResolvedAt)
	st.escAt, st.ackAt = num(fEscAt), num(fAckAt)
	for f, v := range m {
		if ch, ok := strings.CutPrefix(f, fChanPrefix); ok {
			if st.stamps == nil {
				st.stamps = map[string]string{}
			}
			st.stamps[ch] = v
		}
	}
	return st
}

func rev(ep, ver int) string { return strconv.Itoa(ep) + ":" + strconv.Itoa(ver) }

// acked reports whether the current version of the firing episode is acknowledged.
func (st *state) acked() bool { return st.ackRev != "" && st.ackRev == rev(st.ep, st.ver) }

// view is the alert object of the state, in loc.
func (st *state) view(loc *time.Location) (Alert, error) {
	var a Alert
	if err := json.Unmarshal([]byte(st.alert), &a); err != nil {
		return a, fmt.Errorf("alert %s: stored alert: %w", st.pub, err)
	}
	a.Key = st.pub
	if a.Alarm != nil {
		a.Alarm.RaisedAt = a.Alarm.RaisedAt.In(loc)
	}
	st.stateInto(&a, loc)
	return a, nil
}

// stateInto sets what the state knows of an alert: status, since, escalation, acknowledgement.
func (st *state) stateInto(a *Alert, loc *time.Location) {
	a.Status = st.status
	a.Since = msTime(st.since, loc).Truncate(time.Second)
	a.Escalated = st.escAt > 0 && st.status == notify.StatusFiring
	a.Acknowledged = nil
	if st.status == notify.StatusFiring && st.acked() {
		a.Acknowledged = &notify.Ack{By: st.ackBy, Note: st.ackNote, At: msTime(st.ackAt, loc)}
	}
}

func msTime(ms int64, loc *time.Location) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).In(loc)
}

// stamp is one channel's delivery record for one alert. It is stored as one hash field in a
// compact text form (encode), read for every open alert on every check.
type stamp struct {
	Ep   int      // episode of the last successful firing notice
	Ver  int      // its version
	At   int64    // when (ms): repeats count from here
	Esc  int      // episode whose escalation went out
	Res  int      // episode whose resolution went out
	Pend *claim   // a delivery under way
	Last *attempt // the last attempt's outcome
}

type claim struct {
	Notice string
	Until  int64 // ms: after this the claim is void (its run died)
	Run    string
}

type attempt struct {
	Notice string
	At     int64
	OK     bool
	Err    string
}

// encode writes "ep ver at esc res pendNotice pendUntil pendRun lastNotice lastAt lastOK lastErr":
// eleven space-free tokens ("-" for none) and the error text, which may hold spaces, last.
func (sp stamp) encode() string {
	b := make([]byte, 0, 96)
	num := func(n int64) { b = strconv.AppendInt(b, n, 10); b = append(b, ' ') }
	word := func(w string) {
		if w == "" {
			w = "-"
		}
		b = append(b, w...)
		b = append(b, ' ')
	}
	num(int64(sp.Ep))
	num(int64(sp.Ver))
	num(sp.At)
	num(int64(sp.Esc))
	num(int64(sp.Res))
	if p := sp.Pend; p != nil {
		word(p.Notice)
		num(p.Until)
		word(p.Run)
	} else {
		b = append(b, "- 0 - "...)
	}
	if l := sp.Last; l != nil {
		word(l.Notice)
		num(l.At)
		if l.OK {
			b = append(b, "1 "...)
		} else {
			b = append(b, "0 "...)
		}
		b = append(b, strings.ReplaceAll(l.Err, "\n", " ")...)
	} else {
		b = append(b, "- 0 0 "...)
	}
	return string(b)
}

// parseStamp reads encode's form; a damaged stamp reads as "never delivered": deliver again.
func parseStamp(s string) stamp {
	var sp stamp
	if s == "" {
		return sp
	}
	t := strings.SplitN(s, " ", 12)
	if len(t) != 12 {
		return sp
	}
	n := func(i int) int64 { v, _ := strconv.ParseInt(t[i], 10, 64); return v }
	w := func(i int) string {
		if t[i] == "-" {
			return ""
		}
		return t[i]
	}
	sp.Ep, sp.Ver, sp.At, sp.Esc, sp.Res = int(n(0)), int(n(1)), n(2), int(n(3)), int(n(4))
	if w(5) != "" {
		sp.Pend = &claim{Notice: w(5), Until: n(6), Run: w(7)}
	}
	if w(8) != "" {
		sp.Last = &attempt{Notice: w(8), At: n(9), OK: t[10] == "1", Err: t[11]}
	}
	return sp
}

// loadScripts makes sure the scripts run by EVALSHA inside pipelines are in the script cache
// (a restarted Redis has an empty one).
func (s *Store) loadScripts(ctx context.Context) error {
	for _, sc := range pipelined {
		if err := sc.Load(ctx, s.conn.Client).Err(); err != nil {
			return fmt.Errorf("load alert scripts: %w", err)
		}
	}
	return nil
}

// stateFields are the fields a check reads of every open alert; the alert JSON is left out
// (only the alerts being delivered need it: claimScript returns it).
var stateFields = []string{fStatus, fEpisode, fVersion, fFP, fAlertHash, fSince, fSeen, fResolvedAt,
	fEscAt, fCommunity, fRule, fSeverity, fIDHash, fAckRev, fAckBy, fAckNote, fAckAt}

// loadStates reads the states of pubs with the stamps of channels; keys without a state are
// dropped from the open set.
func (s *Store) loadStates(ctx context.Context, pubs []string, channels []Channel) ([]*state, error) {
	fields := slices.Clone(stateFields)
	for _, ch := range channels {
		fields = append(fields, fChanPrefix+ch.Name)
	}
	out := make([]*state, 0, len(pubs))
	var gone []any
	m := make(map[string]string, len(fields))
	for start := 0; start < len(pubs); start += pipelineBatch {
		batch := pubs[start:min(start+pipelineBatch, len(pubs))]
		pipe := s.conn.Client.Pipeline()
		cmds := make([]*redis.SliceCmd, len(batch))
		for i, p := range batch {
			cmds[i] = pipe.HMGet(ctx, s.k.state(p), fields...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("read alert states: %w", err)
		}
		for i, c := range cmds {
			clear(m)
			for j, v := range c.Val() {
				if str, ok := v.(string); ok {
					m[fields[j]] = str
				}
			}
			if m[fStatus] == "" {
				gone = append(gone, batch[i])
				continue
			}
			st := parseState(m)
			st.pub = batch[i]
			out = append(out, st)
		}
	}
	if len(gone) > 0 {
		if err := s.conn.Client.SRem(ctx, s.k.open(), gone...).Err(); err != nil {
			return nil, fmt.Errorf("clean open alerts: %w", err)
		}
	}
	return out, nil
}

// tidyIndex drops from the index of stored alerts the members unchanged for longer than the
// retention whose state has expired (a member that old may still be firing: it is kept).
func (s *Store) tidyIndex(ctx context.Context, now time.Time) error {
	cut := strconv.FormatInt(now.Add(-s.retention).UnixMilli(), 10)
	old, err := s.conn.Client.ZRangeByScore(ctx, s.k.all(), &redis.ZRangeBy{Min: "-inf", Max: cut, Count: 10000}).Result()
	if err != nil || len(old) == 0 {
		return err
	}
	pipe := s.conn.Client.Pipeline()
	exists := make([]*redis.IntCmd, len(old))
	for i, p := range old {
		exists[i] = pipe.Exists(ctx, s.k.state(p))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("alerts: tidy index: %w", err)
	}
	var gone []any
	for i, e := range exists {
		if e.Val() == 0 {
			gone = append(gone, old[i])
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return s.conn.Client.ZRem(ctx, s.k.all(), gone...).Err()
}

// Ack acknowledges a firing alert (已督促): by is who, note what was done. Repeats of this
// version of the alert stop; escalation still happens. A change of the alert (another
// certificate state) or a new episode needs a new acknowledgement.
func (s *Store) Ack(ctx context.Context, key, by, note string) error {
	key = strings.ToLower(strings.TrimSpace(key))
	note = strings.TrimSpace(note)
	switch {
	case key == "":
		return inputErr(reasonNoKey)
	case note == "":
		return inputErr(reasonNoNote)
	}
	now := s.now()
	ev := s.event(Event{At: now, Type: EventAcknowledged, By: by, Note: note})
	n, err := ackScript.Run(ctx, s.conn.Client, []string{s.k.state(key), s.k.history(key)},
		by, note, now.UnixMilli(), ev, historyCap).Int()
	if err != nil {
		return fmt.Errorf("acknowledge alert %s: %w", key, err)
	}
	switch n {
	case -1:
		return ErrNotFound
	case 0:
		return ErrNotFiring
	}
	s.log.Info("alert acknowledged", zap.String("key", key), zap.String("by", by))
	return nil
}

// Silence mutes matching alerts until until, for reason. A silence by key is also written into
// that alert's history.
func (s *Store) Silence(ctx context.Context, m Matcher, until time.Time, reason, by string) (Silence, error) {
	now := s.now()
	m.Key = strings.ToLower(strings.TrimSpace(m.Key))
	reason = strings.TrimSpace(reason)
	switch {
	case m.empty():
		return Silence{}, inputErr(reasonEmptyMatch)
	case reason == "":
		return Silence{}, inputErr(reasonNoReason)
	case !until.After(now):
		return Silence{}, inputErr(reasonUntilPast, until.In(s.loc).Format(time.RFC3339))
	case m.Rule != "" && !slices.Contains(Rules, m.Rule):
		return Silence{}, inputErr(reasonUnknownRule, m.Rule)
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Silence{}, err
	}
	sl := Silence{
		ID: hex.EncodeToString(id[:]), Matcher: m, Until: until.In(s.loc), Reason: reason, By: by,
		CreatedAt: now.Truncate(time.Second),
	}
	b, _ := json.Marshal(sl)
	if err := s.conn.Client.HSet(ctx, s.k.silences(), sl.ID, b).Err(); err != nil {
		return Silence{}, fmt.Errorf("store silence: %w", err)
	}
	if m.Key != "" {
		u := sl.Until
		ev := s.event(Event{At: now, Type: EventSilenced, By: by, Note: reason, Until: &u})
		if err := historyScript.Run(ctx, s.conn.Client, []string{s.k.state(m.Key), s.k.history(m.Key)}, ev, historyCap).Err(); err != nil {
			return sl, fmt.Errorf("record silence in history: %w", err)
		}
	}
	s.log.Info("alerts silenced", zap.String("silence", sl.ID), zap.Time("until", sl.Until), zap.String("by", by))
	return sl, nil
}

// Silences returns the silences in force, soonest to end first; ended ones are deleted.
func (s *Store) Silences(ctx context.Context) ([]Silence, error) {
	m, err := s.conn.Client.HGetAll(ctx, s.k.silences()).Result()
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	now := s.now()
	var out []Silence
	var ended []string
	for id, v := range m {
		var sl Silence
		if err := json.Unmarshal([]byte(v), &sl); err != nil || !sl.Until.After(now) {
			ended = append(ended, id)
			continue
		}
		sl.Until = sl.Until.In(s.loc)
		sl.CreatedAt = sl.CreatedAt.In(s.loc)
		out = append(out, sl)
	}
	if len(ended) > 0 {
		if err := s.conn.Client.HDel(ctx, s.k.silences(), ended...).Err(); err != nil {
			return nil, fmt.Errorf("delete ended silences: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b Silence) int { return a.Until.Compare(b.Until) })
	return out, nil
}

// Unsilence ends a silence now.
func (s *Store) Unsilence(ctx context.Context, id string) error {
	n, err := s.conn.Client.HDel(ctx, s.k.silences(), strings.TrimSpace(id)).Result()
	if err != nil {
		return fmt.Errorf("delete silence: %w", err)
	}
	if n == 0 {
		return inputErr(reasonNoSilence, id)
	}
	return nil
}

func silencedBy(sls []Silence, st *state) *Silence {
	for i := range sls {
		if sls[i].Matcher.matches(st) {
			return &sls[i]
		}
	}
	return nil
}

// List returns the stored alerts that f selects: firing ones first, then by community, severity,
// rule and since.
func (s *Store) List(ctx context.Context, f Filter) ([]Record, error) {
	switch f.Status {
	case "", notify.StatusFiring, notify.StatusResolved, "acknowledged", "silenced", "escalated":
	default:
		return nil, inputErr(reasonBadStatus, f.Status)
	}
	if f.Rule != "" && !slices.Contains(Rules, f.Rule) {
		return nil, inputErr(reasonUnknownRule, f.Rule)
	}
	pubs, err := s.conn.Client.ZRange(ctx, s.k.all(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	sls, err := s.Silences(ctx)
	if err != nil {
		return nil, err
	}
	var out []Record
	var gone []any
	for start := 0; start < len(pubs); start += pipelineBatch {
		batch := pubs[start:min(start+pipelineBatch, len(pubs))]
		pipe := s.conn.Client.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(batch))
		for i, p := range batch {
			cmds[i] = pipe.HGetAll(ctx, s.k.state(p))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
		for i, c := range cmds {
			m := c.Val()
			if len(m) == 0 {
				gone = append(gone, batch[i]) // expired after its retention
				continue
			}
			st := parseState(m)
			st.pub = batch[i]
			if (f.Community != "" && st.comm != f.Community) || (f.Rule != "" && st.rule != f.Rule) {
				continue
			}
			sl := silencedBy(sls, st)
			switch f.Status {
			case notify.StatusFiring, notify.StatusResolved:
				if st.status != f.Status {
					continue
				}
			case "acknowledged":
				if st.status != notify.StatusFiring || !st.acked() {
					continue
				}
			case "silenced":
				if sl == nil {
					continue
				}
			case "escalated":
				if st.status != notify.StatusFiring || st.escAt == 0 {
					continue
				}
			}
			r, err := s.record(st, sl)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if len(gone) > 0 {
		_ = s.conn.Client.ZRem(ctx, s.k.all(), gone...).Err() // tidy only: the next list retries
	}
	// Sort indexes, not the records themselves: a list may hold a hundred thousand of them.
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return compareAlerts(&out[i].Alert, &out[j].Alert) })
	sorted := make([]Record, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted, nil
}

func (s *Store) record(st *state, sl *Silence) (Record, error) {
	a, err := st.view(s.loc)
	if err != nil {
		return Record{}, err
	}
	r := Record{Alert: a, Episode: st.ep, LastEvaluated: msTime(st.seen, s.loc), Silenced: sl, Deliveries: []Delivery{}}
	if st.status == notify.StatusResolved && st.resolvedAt > 0 {
		t := msTime(st.resolvedAt, s.loc)
		r.ResolvedAt = &t
	}
	now := s.now().UnixMilli()
	for _, ch := range sortedKeys(st.stamps) {
		sp := parseStamp(st.stamps[ch])
		d := Delivery{Channel: ch}
		if sp.Last != nil {
			d.Notice, d.At, d.OK, d.Error = sp.Last.Notice, msTime(sp.Last.At, s.loc), sp.Last.OK, sp.Last.Err
		}
		if sp.Pend != nil && sp.Pend.Until > now {
			d.Pending, d.Notice = true, sp.Pend.Notice
		}
		r.Deliveries = append(r.Deliveries, d)
	}
	return r, nil
}

// History returns an alert with its state and its history, newest event first.
func (s *Store) History(ctx context.Context, key string) (*Record, []Event, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	if key == "" {
		return nil, nil, inputErr(reasonNoKey)
	}
	m, err := s.conn.Client.HGetAll(ctx, s.k.state(key)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("read alert %s: %w", key, err)
	}
	if len(m) == 0 {
		return nil, nil, ErrNotFound
	}
	st := parseState(m)
	st.pub = key
	sls, err := s.Silences(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.record(st, silencedBy(sls, st))
	if err != nil {
		return nil, nil, err
	}
	raw, err := s.conn.Client.LRange(ctx, s.k.history(key), 0, -1).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("read alert history %s: %w", key, err)
	}
	events := make([]Event, 0, len(raw))
	for _, v := range raw {
		var e Event
		if json.Unmarshal([]byte(v), &e) == nil {
			e.At = e.At.In(s.loc)
			events = append(events, e)
		}
	}
	return &r, events, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// compareAlerts orders alerts for every listing: firing before resolved, then community,
// critical before warning, the contract's rule order, enterprise, since, key.
func compareAlerts(a, b *Alert) int {
	if c := boolOrder(a.Status == notify.StatusFiring, b.Status == notify.StatusFiring); c != 0 {
		return c
	}
	if c := strings.Compare(a.Community, b.Community); c != 0 {
		return c
	}
	if c := boolOrder(a.Severity == notify.SeverityCritical, b.Severity == notify.SeverityCritical); c != 0 {
		return c
	}
	if c := slices.Index(Rules, a.Rule) - slices.Index(Rules, b.Rule); c != 0 {
		return c
	}
	if c := strings.Compare(a.Enterprise.USCC, b.Enterprise.USCC); c != 0 {
		return c
	}
	if c := a.Since.Compare(b.Since); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// boolOrder puts true first.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}
