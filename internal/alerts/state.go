package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// The alert state machine, per alert key:
//
//	(none) ──fires──▶ firing ──stops firing──▶ resolved ──fires again──▶ firing (next episode)
//	                  │  ▲
//	                  └──┘ fingerprint changes: next version (re-delivered, acknowledgement gone)
//
// Each channel has a delivery record per alert (ledger.DeliveryRow): which episode and version it
// last received and when, whether the escalation and the resolution went out, the last attempt's
// outcome, and a claim while a delivery is under way. A delivery is claimed in one ledger
// transaction, decided while the claim stands, sent, then recorded in another transaction that
// releases the claim: two instances deciding the same delivery deliver it once. A claim whose
// holder died expires after the claim lease and the delivery is due again, so delivery is at
// least once, and exactly once unless an instance dies between sending and recording.

// StateStore is what the alert state needs from the ledger (ledger.Store satisfies it).
type StateStore interface {
	AlertTx(ctx context.Context, fn func(tx ledger.AlertTx) error) error
	AlertStates(ctx context.Context, keys []string) (map[string]ledger.AlertRow, error)
	AlertByKey(ctx context.Context, key string) (ledger.AlertRow, error)
	AlertPage(ctx context.Context, q ledger.AlertQuery) ([]ledger.AlertRow, int, error)
	AlertCounts(ctx context.Context) ([]ledger.AlertCount, error)
	AlertEvents(ctx context.Context, key string, limit int) ([]ledger.AlertEvent, error)
	AlertDeliveries(ctx context.Context, keys []string) (map[string][]ledger.DeliveryRow, error)
	FiringAlerts(ctx context.Context, family string) iter.Seq2[ledger.AlertRef, error]
	FiringCount(ctx context.Context, family string) (int, error)
	OpenAlertCommunities(ctx context.Context) ([]string, error)
	Silences(ctx context.Context, now time.Time) ([]ledger.SilenceRow, error)
	AlertCheckedAt(ctx context.Context, family string) (time.Time, error)
	DeliveryClaims(ctx context.Context, now time.Time) ([]ledger.DeliveryClaim, error)
	DeliveryCandidates(ctx context.Context, scope ledger.DeliveryScope) ([]ledger.DeliveryCandidate, error)
	DeferAlertIndexes(ctx context.Context) (bool, error)
	RestoreAlertIndexes(ctx context.Context) error
}

const (
	historyCap       = 50                  // events History returns
	defaultRetention = 90 * 24 * time.Hour // how long a closed resolved alert is kept
	defaultPageSize  = 50
	maxPageSize      = 1000
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
	Family        string     `json:"family"`  // certificate, alarm, system
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
	Pending bool      `json:"pending,omitempty"` // a run is delivering its community's message to the channel now
}

// Filter selects and pages alerts; empty fields match everything.
type Filter struct {
	Family     string // certificate, alarm, system
	Severity   string // critical, warning
	Rule       string
	Community  string
	Enterprise string // a USCC
	// Status is firing, resolved, acknowledged (or acked: firing and acknowledged), silenced or
	// escalated.
	Status string
	// Search matches a person's name, a masked or whole ID number (a whole one by its hash: it is
	// never stored), an enterprise's name or USCC, a masked or whole certificate number.
	Search string
	// Page (from 1) and PageSize (default 50, at most 1000) cut the listing.
	Page, PageSize int
}

// Page is one page of alerts, in listing order: firing first, critical before warning, oldest
// first.
type Page struct {
	Alerts   []Record `json:"alerts"`
	Total    int      `json:"total"`
	Page     int      `json:"page"`
	PageSize int      `json:"pageSize"`
	Pages    int      `json:"pages"`
}

// Count is how many alerts fire in one family, severity, community and rule.
type Count struct {
	Family    string `json:"family"`
	Severity  string `json:"severity"`
	Community string `json:"community"`
	Rule      string `json:"rule"`
	Count     int    `json:"count"`
}

// Matcher says which alerts a silence mutes; every non-empty field must match.
type Matcher struct {
	Key       string `json:"key,omitempty"`
	Community string `json:"community,omitempty"`
	Rule      string `json:"rule,omitempty"`
	IDHash    string `json:"idHash,omitempty"` // IDHash of a person's ID number: all their alerts
	// Severity limits the silence to alerts of one severity ("" every severity): a silence set
	// without --include-critical is "warning", so that it never holds back a critical alert.
	Severity string `json:"severity,omitempty"`
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
	// certNoRE is a whole certificate number that carries an ID number: T350582199001011234.
	certNoRE = regexp.MustCompile(`^[A-Z]*[0-9]{17}[0-9X]$`)
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

// empty reports whether m names no alert: a severity alone would mute a whole street's alerts.
func (m Matcher) empty() bool {
	return m.Key == "" && m.Community == "" && m.Rule == "" && m.IDHash == ""
}

func (m Matcher) matches(a *ledger.AlertRow) bool {
	return (m.Key == "" || m.Key == a.Key) &&
		(m.Community == "" || m.Community == a.Community) &&
		(m.Rule == "" || m.Rule == a.Rule) &&
		(m.IDHash == "" || m.IDHash == a.IDHash) &&
		(m.Severity == "" || m.Severity == a.Severity)
}

func silencedBy(sls []Silence, a *ledger.AlertRow) *Silence {
	for i := range sls {
		if sls[i].Matcher.matches(a) {
			return &sls[i]
		}
	}
	return nil
}

// Store is the alert state in the ledger: what the check run changes, and what people browse,
// acknowledge and silence (`alerts list|ack|silence`, the console).
type Store struct {
	st    StateStore
	loc   *time.Location
	clock Clock
	log   *zap.Logger
}

// Option configures a Store or a Checker.
type Option func(*options)

type options struct {
	clock    Clock
	log      *zap.Logger
	enqueuer Enqueuer
	hazards  *rules.HazardConfig
}

// WithClock sets the clock (default: the system's).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *zap.Logger) Option { return func(o *options) { o.log = l } }

// WithEnqueuer hands failed deliveries to the retry queue (Checker; optional).
func WithEnqueuer(e Enqueuer) Option { return func(o *options) { o.enqueuer = e } }

func applyOptions(opts []Option) options {
	o := options{clock: systemClock{}}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewStore returns the alert state kept in st; loc is schedule.timezone (times are shown in it).
func NewStore(st StateStore, loc *time.Location, opts ...Option) (*Store, error) {
	if st == nil {
		return nil, errors.New("alerts: no ledger")
	}
	if loc == nil {
		return nil, errors.New("alerts: no time zone")
	}
	o := applyOptions(opts)
	log := o.log
	if log == nil {
		log = zap.NewNop()
	}
	return &Store{st: st, loc: loc, clock: o.clock, log: log.Named("alerts")}, nil
}

func (s *Store) now() time.Time { return s.clock.Now().In(s.loc) }

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
	err := s.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		rows, err := tx.AlertStates(ctx, []string{key})
		if err != nil {
			return err
		}
		a, ok := rows[key]
		switch {
		case !ok:
			return ErrNotFound
		case a.Status != notify.StatusFiring:
			return ErrNotFiring
		}
		if ok, err := tx.AcknowledgeAlert(ctx, ledger.AlertRef{Key: key, Episode: a.Episode, Version: a.Version}, by, note, now); err != nil {
			return err
		} else if !ok {
			return ErrNotFiring
		}
		return tx.AddAlertEvents(ctx, []ledger.AlertEvent{{Key: key, At: now, Type: EventAcknowledged, Actor: by, Note: note}})
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotFiring) {
			return err
		}
		return fmt.Errorf("acknowledge alert %s: %w", key, err)
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
	case m.Rule != "" && !ruleInto(&m.Rule):
		return Silence{}, inputErr(reasonUnknownRule, m.Rule, RuleChoices())
	case m.Severity != "" && m.Severity != notify.SeverityCritical && m.Severity != notify.SeverityWarning:
		return Silence{}, inputErr(reasonBadSeverity, m.Severity)
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Silence{}, err
	}
	sl := Silence{
		ID: hex.EncodeToString(id[:]), Matcher: m, Until: until.In(s.loc), Reason: reason, By: by,
		CreatedAt: now.Truncate(time.Second),
	}
	err := s.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		if err := tx.PutSilence(ctx, ledger.SilenceRow{ID: sl.ID, Key: m.Key, Community: m.Community, Rule: m.Rule,
			IDHash: m.IDHash, Severity: m.Severity, Until: sl.Until, Reason: reason, By: by, CreatedAt: sl.CreatedAt}); err != nil {
			return err
		}
		if m.Key == "" {
			return nil
		}
		if rows, err := tx.AlertStates(ctx, []string{m.Key}); err != nil || len(rows) == 0 {
			return err
		}
		return tx.AddAlertEvents(ctx, []ledger.AlertEvent{{Key: m.Key, At: now, Type: EventSilenced, Actor: by,
			Note: reason, Until: sl.Until}})
	})
	if err != nil {
		return Silence{}, fmt.Errorf("store silence: %w", err)
	}
	s.log.Info("alerts silenced", zap.String("silence", sl.ID), zap.Time("until", sl.Until), zap.String("by", by))
	return sl, nil
}

// Silences returns the silences in force, soonest to end first.
func (s *Store) Silences(ctx context.Context) ([]Silence, error) {
	rows, err := s.st.Silences(ctx, s.now())
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	out := make([]Silence, len(rows))
	for i, r := range rows {
		out[i] = Silence{
			ID: r.ID, Matcher: Matcher{Key: r.Key, Community: r.Community, Rule: r.Rule, IDHash: r.IDHash, Severity: r.Severity},
			Until: r.Until.In(s.loc), Reason: r.Reason, By: r.By, CreatedAt: r.CreatedAt.In(s.loc),
		}
	}
	return out, nil
}

// Unsilence ends a silence now.
func (s *Store) Unsilence(ctx context.Context, id string) error {
	id = strings.TrimSpace(id)
	var ended bool
	err := s.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		var err error
		ended, err = tx.EndSilence(ctx, id, s.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("end silence: %w", err)
	}
	if !ended {
		return inputErr(reasonNoSilence, id)
	}
	return nil
}

// statuses are Filter.Status's values (acked is acknowledged).
var statuses = []string{"", notify.StatusFiring, notify.StatusResolved, "acknowledged", "acked", "silenced", "escalated"}

// query turns a filter into the ledger's query (a search by a whole ID or certificate number
// becomes its hash).
func (s *Store) query(f Filter) (ledger.AlertQuery, error) {
	q := ledger.AlertQuery{Severity: f.Severity, Rule: f.Rule, Community: strings.TrimSpace(f.Community),
		Enterprise: strings.ToUpper(strings.TrimSpace(f.Enterprise)), Status: f.Status, Now: s.now()}
	switch {
	case !slices.Contains(statuses, f.Status):
		return q, inputErr(reasonBadStatus, f.Status)
	case q.Rule != "" && !ruleInto(&q.Rule):
		return q, inputErr(reasonUnknownRule, f.Rule, RuleChoices())
	case f.Severity != "" && f.Severity != notify.SeverityCritical && f.Severity != notify.SeverityWarning:
		return q, inputErr(reasonBadSeverity, f.Severity)
	}
	if f.Status == "acked" {
		q.Status = "acknowledged"
	}
	if f.Family != "" {
		if _, ok := rules.FamilyOf(f.Family); !ok {
			return q, inputErr(reasonBadFamily, f.Family)
		}
		q.Families = []string{f.Family}
	}
	search := strings.TrimSpace(f.Search)
	switch up := strings.ToUpper(search); {
	case search == "":
	case idNumberRE.MatchString(up):
		q.IDHash = IDHash(up)
	case certNoRE.MatchString(up):
		q.IDHash = IDHash(up[len(up)-18:]) // the certificates of the person whose ID number it holds
	default:
		q.Text = search
	}
	return q, nil
}

// ruleInto turns a rule's code or Chinese name into its code; false when it names none.
func ruleInto(rule *string) bool {
	code, ok := RuleCode(*rule)
	if ok {
		*rule = code
	}
	return ok
}

// Page returns one page of the alerts f selects, with the total.
func (s *Store) Page(ctx context.Context, f Filter) (*Page, error) {
	q, err := s.query(f)
	if err != nil {
		return nil, err
	}
	page, size := max(f.Page, 1), f.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	q.Offset, q.Limit = (page-1)*size, size
	rows, total, err := s.st.AlertPage(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	recs, err := s.records(ctx, rows)
	if err != nil {
		return nil, err
	}
	return &Page{Alerts: recs, Total: total, Page: page, PageSize: size, Pages: (total + size - 1) / size}, nil
}

// Counts counts the firing alerts by family, severity, community and rule (indexed: the console's
// front page asks on every view).
func (s *Store) Counts(ctx context.Context) ([]Count, error) {
	rows, err := s.st.AlertCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("count alerts: %w", err)
	}
	out := make([]Count, len(rows))
	for i, r := range rows {
		out[i] = Count(r)
	}
	return out, nil
}

// History returns an alert with its state and its history, newest event first.
func (s *Store) History(ctx context.Context, key string) (*Record, []Event, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	if key == "" {
		return nil, nil, inputErr(reasonNoKey)
	}
	row, err := s.st.AlertByKey(ctx, key)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read alert %s: %w", key, err)
	}
	recs, err := s.records(ctx, []ledger.AlertRow{row})
	if err != nil {
		return nil, nil, err
	}
	evs, err := s.st.AlertEvents(ctx, key, historyCap)
	if err != nil {
		return nil, nil, fmt.Errorf("read alert history %s: %w", key, err)
	}
	events := make([]Event, len(evs))
	for i, e := range evs {
		events[i] = Event{At: e.At.In(s.loc), Type: e.Type, Channel: e.Channel, Notice: e.Notice, By: e.Actor,
			Note: e.Note, Error: e.Error}
		if !e.Until.IsZero() {
			u := e.Until.In(s.loc)
			events[i].Until = &u
		}
	}
	return &recs[0], events, nil
}

// records turns stored alerts (with bodies) into records: state, silence, deliveries.
func (s *Store) records(ctx context.Context, rows []ledger.AlertRow) ([]Record, error) {
	out := make([]Record, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	keys := make([]string, len(rows))
	for i := range rows {
		keys[i] = rows[i].Key
	}
	ds, err := s.st.AlertDeliveries(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	sls, err := s.Silences(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	claims, err := s.st.DeliveryClaims(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("read delivery claims: %w", err)
	}
	claimed := map[[2]string]bool{}
	for _, c := range claims {
		claimed[[2]string{c.Channel, c.Community}] = true
	}
	checked := map[string]time.Time{}
	for i := range rows {
		r := &rows[i]
		a, err := alertOf(r, r.Body, s.loc)
		if err != nil {
			return nil, err
		}
		rec := Record{Alert: a, Family: r.Family, Episode: r.Episode, LastEvaluated: r.LastSeen.In(s.loc),
			Deliveries: []Delivery{}}
		if sl := silencedBy(sls, r); sl != nil {
			c := *sl
			rec.Silenced = &c
		}
		if r.Status == notify.StatusResolved && !r.ResolvedAt.IsZero() {
			t := r.ResolvedAt.In(s.loc)
			rec.ResolvedAt = &t
		} else if r.Status == notify.StatusFiring {
			// A firing alert was found by every check of its family since it last changed.
			at, ok := checked[r.Family]
			if !ok {
				if at, err = s.st.AlertCheckedAt(ctx, r.Family); err != nil {
					return nil, fmt.Errorf("read alert checks: %w", err)
				}
				checked[r.Family] = at
			}
			if at.After(r.LastSeen) {
				rec.LastEvaluated = at.In(s.loc)
			}
		}
		for _, d := range ds[r.Key] {
			del := Delivery{Channel: d.Channel, Notice: d.LastNotice, OK: d.LastOK, Error: d.LastError}
			if !d.LastAt.IsZero() {
				del.At = d.LastAt.In(s.loc)
			}
			del.Pending = claimed[[2]string{d.Channel, r.Community}]
			rec.Deliveries = append(rec.Deliveries, del)
		}
		out = append(out, rec)
	}
	return out, nil
}

// stateInto sets what the state knows of an alert: status, since, escalation, acknowledgement.
func stateInto(a *Alert, r *ledger.AlertRow, loc *time.Location) {
	a.Status = r.Status
	a.Since = r.Since.In(loc).Truncate(time.Second)
	a.Escalated = !r.EscalatedAt.IsZero() && r.Status == notify.StatusFiring
	a.Acknowledged = nil
	if acked(r) {
		a.Acknowledged = &notify.Ack{By: r.AckBy, Note: r.AckNote, At: r.AckAt.In(loc)}
	}
}

// acked reports whether the current version of a firing alert's episode is acknowledged.
func acked(r *ledger.AlertRow) bool {
	return r.Status == notify.StatusFiring && r.AckEpisode == r.Episode && r.AckVersion == r.Version && r.AckEpisode > 0
}

// keyBits is a public key as a number (16 hex digits), for the sets a check keeps.
func keyBits(key string) uint64 {
	v, err := strconv.ParseUint(key, 16, 64)
	if err != nil {
		h := uint64(14695981039346656037) // a key not made by KeyOf: any stable hash will do
		for i := 0; i < len(key); i++ {
			h = (h ^ uint64(key[i])) * 1099511628211
		}
		return h
	}
	return v
}

// today is the day of t in loc.
func today(t time.Time, loc *time.Location) mapping.Date { return mapping.DateOf(t.In(loc)) }
