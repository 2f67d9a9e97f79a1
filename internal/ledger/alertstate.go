package ledger

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"streetsync/mapping"
)

// AlertState keeps the alert engine's state (migration 0004): every alert with its current state,
// its history, the last delivery per alert and channel, the silences, and when each family of
// rules was last judged. Package alerts decides every transition; the ledger only stores them,
// in transactions that no other alert-state transaction interleaves with, so that two daemons
// checking at once decide from what the other has written.
//
// ID numbers never reach these tables whole: alerts carry them masked and hashed.
type AlertState interface {
	// AlertTx runs fn in one write transaction, serialized with every alert-state transaction of
	// every process sharing the ledger (SQLite: its single writer; PostgreSQL: a transaction-scoped
	// advisory lock): what fn reads stays true until it commits. fn may be called again when the
	// database asks for a retry, so it must start afresh each time.
	AlertTx(ctx context.Context, fn func(tx AlertTx) error) error

	// AlertStates returns the stored alerts among keys, by key, without their bodies.
	AlertStates(ctx context.Context, keys []string) (map[string]AlertRow, error)
	// AlertByKey returns one alert (with its body), or an error wrapping ErrNotFound.
	AlertByKey(ctx context.Context, key string) (AlertRow, error)
	// AlertPage returns one page of the alerts q selects (with their bodies) and how many it
	// selects in all.
	AlertPage(ctx context.Context, q AlertQuery) (rows []AlertRow, total int, err error)
	// AlertCounts counts the firing alerts by family, severity, community and rule.
	AlertCounts(ctx context.Context) ([]AlertCount, error)
	// AlertEvents returns an alert's history, newest first, at most limit events.
	AlertEvents(ctx context.Context, key string, limit int) ([]AlertEvent, error)
	// AlertDeliveries returns the delivery records of the alerts, by alert key, in channel order.
	AlertDeliveries(ctx context.Context, keys []string) (map[string][]DeliveryRow, error)
	// FiringAlerts streams the key, rule, episode and version of every firing alert of a family.
	FiringAlerts(ctx context.Context, family string) iter.Seq2[AlertRef, error]
	// FiringCount counts the firing alerts of a family.
	FiringCount(ctx context.Context, family string) (int, error)
	// OpenAlertCommunities lists the communities of the open alerts (firing, or a resolution
	// still to deliver), each once, in order.
	OpenAlertCommunities(ctx context.Context) ([]string, error)
	// DeliveryClaims returns the delivery claims standing at now.
	DeliveryClaims(ctx context.Context, now time.Time) ([]DeliveryClaim, error)
	// DeliveryCandidates returns the open alerts of a community that may owe channel a notice
	// (DeliveryScope says which), with their bodies and the channel's delivery record, in the
	// order of a message (firing first, then severity, rule, enterprise, since, key). The columns
	// only listings and searches use (Subject, PersonName, CertNo, SearchText, Fingerprint,
	// BodyHash) are left empty: a message shows none of them. It reads outside any alert-state
	// transaction: the caller holds the message's claim (AlertTx's ClaimDelivery), so no other
	// run records a delivery of it meanwhile.
	DeliveryCandidates(ctx context.Context, scope DeliveryScope) ([]DeliveryCandidate, error)
	// Silences returns the silences in force at now (not ended, until after now), soonest to end
	// first.
	Silences(ctx context.Context, now time.Time) ([]SilenceRow, error)
	// AlertCheckedAt returns when a family of rules was last judged (zero: never).
	AlertCheckedAt(ctx context.Context, family string) (time.Time, error)
	// AlertRoster streams the roster entries on duty on day, in the roster's key order, each with
	// its enterprise's name and community, whether the special-operations system ever answered a
	// query for its ID number, and every stored certificate of that number (read a chunk of
	// entries at a time).
	AlertRoster(ctx context.Context, day mapping.Date) iter.Seq2[AlertRosterEntry, error]
	// DeferAlertIndexes drops the secondary indexes of the alerts and their history (not the
	// keys, not the partial indexes) when there is no alert yet, keeping their definitions in the
	// ledger: a first check then writes its alerts without them (alertindexes.go). false: there
	// are alerts, nothing was dropped.
	DeferAlertIndexes(ctx context.Context) (bool, error)
	// RestoreAlertIndexes builds the indexes DeferAlertIndexes dropped; nothing when none are.
	// Open calls it, so that a check that died between leaves none missing.
	RestoreAlertIndexes(ctx context.Context) error
	// AlertAlarms streams the alarms of level 1 or 2 (红, 橙) not handled (handling status other
	// than 2) raised at or before raisedBefore, oldest first, each with its enterprise's community
	// ("" when the enterprise is not in the ledger).
	AlertAlarms(ctx context.Context, raisedBefore time.Time) iter.Seq2[AlertAlarm, error]
}

// AlertTx is what an alert-state transaction can read and write. Every method works on the
// transaction's own view.
type AlertTx interface {
	// AlertStates returns the stored alerts among keys, by key, without their bodies.
	AlertStates(ctx context.Context, keys []string) (map[string]AlertRow, error)
	// PutAlerts writes whole alerts (body included), inserting or replacing them by key.
	PutAlerts(ctx context.Context, rows []AlertRow) error
	// ResolveAlerts marks resolved the alerts among refs that still fire in the referenced
	// episode, at `at`, with lastSeen as the last time they were found firing; it returns the
	// keys it resolved.
	ResolveAlerts(ctx context.Context, refs []AlertRef, at, lastSeen time.Time) ([]string, error)
	// AcknowledgeAlert records an acknowledgement of the given episode and version of a firing
	// alert; false when the alert is not firing in that episode and version any more.
	AcknowledgeAlert(ctx context.Context, ref AlertRef, by, note string, at time.Time) (bool, error)
	// CloseAlerts marks alerts no longer open (resolved, every notice out).
	CloseAlerts(ctx context.Context, keys []string) error
	// AddAlertEvents appends history events.
	AddAlertEvents(ctx context.Context, events []AlertEvent) error
	// ClaimDelivery claims one community's message to one channel for run until `until`, unless
	// another run's claim stands at now; false when it does.
	ClaimDelivery(ctx context.Context, c DeliveryClaim, now time.Time) (bool, error)
	// ReleaseDelivery ends run's claim; false when the claim is not run's any more (it expired
	// and another run took it).
	ReleaseDelivery(ctx context.Context, c DeliveryClaim) (bool, error)
	// DeliveryClaims returns the delivery claims standing at now.
	DeliveryClaims(ctx context.Context, now time.Time) ([]DeliveryClaim, error)
	// PutDeliveries writes delivery records, inserting or replacing them by (alert, channel).
	PutDeliveries(ctx context.Context, rows []DeliveryRow) error
	// OpenResolved returns up to limit resolved alerts that are still open, with key > after in
	// key order, and their delivery records.
	OpenResolved(ctx context.Context, after string, limit int) ([]AlertRow, map[string][]DeliveryRow, error)
	// PutSilence stores a new silence.
	PutSilence(ctx context.Context, sl SilenceRow) error
	// EndSilence ends a silence in force now; false when there is none with that id.
	EndSilence(ctx context.Context, id string, at time.Time) (bool, error)
	// SetAlertCheckedAt records when a family of rules was judged.
	SetAlertCheckedAt(ctx context.Context, family string, at time.Time) error
	// DeleteClosedAlerts deletes the closed alerts resolved before cutoff, with their history
	// and delivery records, and reports how many.
	DeleteClosedAlerts(ctx context.Context, cutoff time.Time) (int, error)
}

// AlertRow is one stored alert. Body is the alert object as shown (JSON, every ID number masked)
// without its state; the other descriptive fields are the columns listings filter, sort and
// search on.
type AlertRow struct {
	Key            string
	Family         string
	Rule           string
	RuleOrder      int
	Severity       string
	SeverityRank   int // 0 critical, 1 warning
	Community      string
	EnterpriseUSCC string
	EnterpriseName string
	Subject        string // the masked ID number, the alarm id, the system's subject
	PersonName     string
	IDHash         string
	CertNo         string // masked
	SearchText     string // lower-case
	Fingerprint    string
	BodyHash       string
	Body           string

	Status      string // firing | resolved
	Episode     int
	Version     int
	Since       time.Time
	ChangedAt   time.Time
	LastSeen    time.Time
	ResolvedAt  time.Time
	EscalatedAt time.Time
	Open        bool
	AckEpisode  int
	AckVersion  int
	AckBy       string
	AckNote     string
	AckAt       time.Time
}

// AlertRef names one version of one episode of an alert, and its rule.
type AlertRef struct {
	Key     string
	Rule    string
	Episode int
	Version int
}

// AlertEvent is one entry of an alert's history.
type AlertEvent struct {
	Key     string
	At      time.Time
	Type    string
	Channel string
	Notice  string
	Actor   string
	Note    string
	Error   string
	Until   time.Time
}

// DeliveryRow is the last delivery of one alert to one channel.
type DeliveryRow struct {
	Key         string
	Channel     string
	Episode     int // of the last firing notice delivered
	Version     int
	SentAt      time.Time
	EscalatedEp int
	ResolvedEp  int
	LastNotice  string
	LastAt      time.Time
	LastOK      bool
	LastError   string
}

// DeliveryClaim is a run's claim on one community's message to one channel.
type DeliveryClaim struct {
	Channel   string
	Community string
	Run       string
	Until     time.Time
}

// DeliveryScope selects delivery candidates: the open alerts of one community (of the listed
// families; none listed: all; only the escalated ones with EscalatedOnly) whose record for
// Channel is missing or may owe a notice (a repeat when SentAt is at or before RepeatBefore).
type DeliveryScope struct {
	Channel       string
	Community     string
	Families      []string
	EscalatedOnly bool
	RepeatBefore  time.Time
}

// DeliveryCandidate is an open alert (with its body) and its delivery record for the channel
// (Delivery.Channel is "" when there is none yet).
type DeliveryCandidate struct {
	Alert    AlertRow
	Delivery DeliveryRow
}

// SilenceRow is a silence. The matcher fields that are not empty must all match an alert.
type SilenceRow struct {
	ID        string
	Key       string
	Community string
	Rule      string
	IDHash    string
	Severity  string // critical or warning; "" every severity
	Until     time.Time
	Reason    string
	By        string
	CreatedAt time.Time
	EndedAt   time.Time
}

// AlertQuery selects and pages stored alerts for people. Empty fields select everything.
type AlertQuery struct {
	Families  []string
	Severity  string
	Rule      string
	Community string
	// Enterprise is a USCC.
	Enterprise string
	// Status is firing, resolved, acknowledged (firing and acknowledged in this version),
	// silenced (a silence in force matches it) or escalated (firing and escalated).
	Status string
	// IDHash and Text search: the hash of a whole ID number, or a piece of the search text (name,
	// masked ID number, enterprise, masked certificate number). Set at most one.
	IDHash string
	Text   string
	// Now decides which silences are in force.
	Now time.Time
	// Offset and Limit page the result (Limit 0: no limit), in listing order: firing first, then
	// critical before warning, oldest first, key.
	Offset, Limit int
}

// AlertCount is how many alerts fire in one family, severity, community and rule.
type AlertCount struct {
	Family    string
	Severity  string
	Community string
	Rule      string
	Count     int
}

// AlertRosterEntry is an on-duty roster entry as the alert rules judge it.
type AlertRosterEntry struct {
	Operator       mapping.Operator
	EnterpriseName string
	Community      string
	// Answered: the special-operations system answered a query for the ID number at least once
	// (found or not found).
	Answered     bool
	Certificates []mapping.Certificate
}

// AlertAlarm is an alarm as the alert rules judge it: with its enterprise's community.
type AlertAlarm struct {
	Alarm     mapping.Alarm
	Community string
}

// PostgreSQL serializes alert-state transactions with a transaction-scoped advisory lock (SQLite's
// single writer does it by itself). The key is arbitrary but fixed: "alerts" in ASCII. The same
// statement makes the transaction plan each query for its own parameters: pgx prepares every
// statement, and a plan made once and reused is made while the alerts table is small — a city's
// first check then scanned the whole table for each batch of keys it looked up.
const alertLockPostgres = "SELECT pg_advisory_xact_lock(107161709012595), set_config('plan_cache_mode', 'force_custom_plan', true)"

// alertCacheSQLite gives the writer connection a page cache (KiB) that holds the alert tables'
// indexes at a city's scale. The alerts are keyed by a hash, so a batch of them lands all over
// each index: with SQLite's default cache (2 MiB) a first check of a hundred and sixty thousand
// alerts wrote each index page to the log and read it back again batch after batch, and a daily
// check read the table five times over. The setting stays with the connection (SQLite's single
// writer); the cache fills only as far as the ledger's pages need it.
const alertCacheSQLite = "PRAGMA cache_size = -16384"

func (s *sqlStore) AlertTx(ctx context.Context, fn func(tx AlertTx) error) error {
	return s.alertWrite(ctx, func(tx *sql.Tx) error { return fn(&alertTx{s: s, tx: tx}) })
}

// alertTx is AlertTx over one database transaction.
type alertTx struct {
	s  *sqlStore
	tx *sql.Tx
}

const alertStateCols = `alert_key, family, rule, rule_order, severity, severity_rank, community, enterprise_uscc,
    enterprise_name, subject, person_name, id_hash, cert_no, search_text, fingerprint, body_hash,
    status, episode, version, since, changed_at, last_seen, resolved_at, escalated_at, is_open,
    ack_episode, ack_version, ack_by, ack_note, ack_at`

// alertCols are alertStateCols and the body: the columns PutAlerts writes, in its order.
const alertCols = alertStateCols + `, body`

func scanAlert(sc scanner, withBody bool) (AlertRow, error) {
	var r AlertRow
	dest, set := alertDest(&r)
	if withBody {
		dest = append(dest, &r.Body)
	}
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	set()
	return r, nil
}

// alertDest returns the scan destinations of alertStateCols for r, and the function that moves
// what was scanned into r. Integers are scanned as int64: database/sql turns an int64 into an int
// by formatting and parsing it, and a check scans a city's alerts more than once.
func alertDest(r *AlertRow) ([]any, func()) {
	var n [6]int64 // rule_order, severity_rank, episode, version, ack_episode, ack_version
	var t [7]int64 // since, changed_at, last_seen, resolved_at, escalated_at, is_open, ack_at
	dest := []any{&r.Key, &r.Family, &r.Rule, &n[0], &r.Severity, &n[1], &r.Community,
		&r.EnterpriseUSCC, &r.EnterpriseName, &r.Subject, &r.PersonName, &r.IDHash, &r.CertNo,
		&r.SearchText, &r.Fingerprint, &r.BodyHash, &r.Status, &n[2], &n[3], &t[0], &t[1], &t[2],
		&t[3], &t[4], &t[5], &n[4], &n[5], &r.AckBy, &r.AckNote, &t[6]}
	return dest, func() {
		r.RuleOrder, r.SeverityRank, r.Episode, r.Version = int(n[0]), int(n[1]), int(n[2]), int(n[3])
		r.AckEpisode, r.AckVersion = int(n[4]), int(n[5])
		r.Since, r.ChangedAt, r.LastSeen = fromMillis(t[0]), fromMillis(t[1]), fromMillis(t[2])
		r.ResolvedAt, r.EscalatedAt, r.AckAt = fromMillis(t[3]), fromMillis(t[4]), fromMillis(t[6])
		r.Open = t[5] != 0
	}
}

func alertArgs(r *AlertRow) []any {
	return []any{r.Key, r.Family, r.Rule, r.RuleOrder, r.Severity, r.SeverityRank, r.Community, r.EnterpriseUSCC,
		r.EnterpriseName, r.Subject, r.PersonName, r.IDHash, r.CertNo, r.SearchText, r.Fingerprint,
		r.BodyHash, r.Status, r.Episode, r.Version, millis(r.Since), millis(r.ChangedAt), millis(r.LastSeen),
		millis(r.ResolvedAt), millis(r.EscalatedAt), flag(r.Open), r.AckEpisode, r.AckVersion, r.AckBy, r.AckNote,
		millis(r.AckAt), r.Body}
}

const deliveryCols = `alert_key, channel, episode, version, sent_at, escalated_ep, resolved_ep, last_notice,
    last_at, last_ok, last_error`

// deliveryDest is alertDest for deliveryCols.
func deliveryDest(d *DeliveryRow) ([]any, func()) {
	var n [4]int64 // episode, version, escalated_ep, resolved_ep
	var t [3]int64 // sent_at, last_at, last_ok
	dest := []any{&d.Key, &d.Channel, &n[0], &n[1], &t[0], &n[2], &n[3], &d.LastNotice, &t[1], &t[2], &d.LastError}
	return dest, func() {
		d.Episode, d.Version, d.EscalatedEp, d.ResolvedEp = int(n[0]), int(n[1]), int(n[2]), int(n[3])
		d.SentAt, d.LastAt, d.LastOK = fromMillis(t[0]), fromMillis(t[1]), t[2] != 0
	}
}

func deliveryArgs(d *DeliveryRow) []any {
	return []any{d.Key, d.Channel, d.Episode, d.Version, millis(d.SentAt), d.EscalatedEp, d.ResolvedEp,
		d.LastNotice, millis(d.LastAt), flag(d.LastOK), d.LastError}
}

// prefixed qualifies every column of a column list with a table alias; the columns named in blank
// are read as empty strings instead.
func prefixed(cols, alias string, blank ...string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		c = strings.TrimSpace(c)
		if slices.Contains(blank, c) {
			parts[i] = "''"
			continue
		}
		parts[i] = alias + c
	}
	return strings.Join(parts, ", ")
}

// upsertSet is "col = excluded.col, …" for every column but the key columns.
func upsertSet(cols string, keys int) string {
	var parts []string
	for i, c := range strings.Split(cols, ",") {
		if i < keys {
			continue
		}
		c = strings.TrimSpace(c)
		parts = append(parts, c+" = excluded."+c)
	}
	return strings.Join(parts, ", ")
}

var (
	alertUpsert    = ` ON CONFLICT (alert_key) DO UPDATE SET ` + upsertSet(alertCols, 1)
	deliveryUpsert = ` ON CONFLICT (alert_key, channel) DO UPDATE SET ` + upsertSet(deliveryCols, 2)
)

func (t *alertTx) execRows(ctx context.Context, head, tail string, width, n int, args func(i int) []any) error {
	return t.s.execRows(ctx, t.tx, head, tail, width, n, args)
}

// keyChunks calls fn with the keys a lookupChunk at a time.
func keyChunks(keys []string, fn func(chunk []string) error) error {
	for start := 0; start < len(keys); start += lookupChunk {
		if err := fn(keys[start:min(start+lookupChunk, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

func (t *alertTx) AlertStates(ctx context.Context, keys []string) (map[string]AlertRow, error) {
	return alertStates(ctx, t.s, t.tx, keys)
}

func (s *sqlStore) AlertStates(ctx context.Context, keys []string) (map[string]AlertRow, error) {
	return alertStates(ctx, s, s.r, keys)
}

// alertStates reads the states of keys through q.
func alertStates(ctx context.Context, s *sqlStore, q querier, keys []string) (map[string]AlertRow, error) {
	out := make(map[string]AlertRow, len(keys))
	err := keyChunks(keys, func(chunk []string) error {
		rows, err := q.QueryContext(ctx, s.q(`SELECT `+alertStateCols+` FROM alerts WHERE alert_key IN (`+
			placeholders(len(chunk), 1)+`)`), anyArgs(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanAlert(rows, false)
			if err != nil {
				return err
			}
			out[r.Key] = r
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger read alert states: %w", err)
	}
	return out, nil
}

func (t *alertTx) PutAlerts(ctx context.Context, rows []AlertRow) error {
	err := t.execRows(ctx, `INSERT INTO alerts (`+alertCols+`)`, alertUpsert, 31, len(rows),
		func(i int) []any { return alertArgs(&rows[i]) })
	if err != nil {
		return fmt.Errorf("ledger write alerts: %w", err)
	}
	return nil
}

func (t *alertTx) ResolveAlerts(ctx context.Context, refs []AlertRef, at, lastSeen time.Time) ([]string, error) {
	var out []string
	stmt, err := t.tx.PrepareContext(ctx, t.s.q(`UPDATE alerts SET status = 'resolved', resolved_at = ?, changed_at = ?,
    last_seen = CASE WHEN last_seen > ? THEN last_seen ELSE ? END
WHERE alert_key = ? AND status = 'firing' AND episode = ?`))
	if err != nil {
		return nil, fmt.Errorf("ledger resolve alerts: %w", err)
	}
	defer stmt.Close()
	for _, r := range refs {
		res, err := stmt.ExecContext(ctx, millis(at), millis(at), millis(lastSeen), millis(lastSeen), r.Key, r.Episode)
		if err != nil {
			return nil, fmt.Errorf("ledger resolve alerts: %w", err)
		}
		if n, err := affected(res); err != nil {
			return nil, err
		} else if n == 1 {
			out = append(out, r.Key)
		}
	}
	return out, nil
}

func (t *alertTx) AcknowledgeAlert(ctx context.Context, ref AlertRef, by, note string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE alerts SET ack_episode = ?, ack_version = ?, ack_by = ?, ack_note = ?,
    ack_at = ?, changed_at = ?
WHERE alert_key = ? AND status = 'firing' AND episode = ? AND version = ?`),
		ref.Episode, ref.Version, by, note, millis(at), millis(at), ref.Key, ref.Episode, ref.Version)
	if err != nil {
		return false, fmt.Errorf("ledger acknowledge alert: %w", err)
	}
	n, err := affected(res)
	return n == 1, err
}

func (t *alertTx) CloseAlerts(ctx context.Context, keys []string) error {
	err := keyChunks(keys, func(chunk []string) error {
		_, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE alerts SET is_open = 0 WHERE status = 'resolved' AND alert_key IN (`+
			placeholders(len(chunk), 1)+`)`), anyArgs(chunk)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("ledger close alerts: %w", err)
	}
	return nil
}

func (t *alertTx) AddAlertEvents(ctx context.Context, events []AlertEvent) error {
	// Most events name no actor, note, error or end (fired and delivered: a city's first check
	// writes two per alert); a batch of only those leaves the four columns to their defaults.
	full := slices.ContainsFunc(events, func(e AlertEvent) bool {
		return e.Actor != "" || e.Note != "" || e.Error != "" || !e.Until.IsZero()
	})
	var err error
	if full {
		err = t.execRows(ctx, `INSERT INTO alert_events (alert_key, at, type, channel, notice, actor, note, error, until_at)`,
			"", 9, len(events), func(i int) []any {
				e := &events[i]
				return []any{e.Key, millis(e.At), e.Type, e.Channel, e.Notice, e.Actor, e.Note, e.Error, millis(e.Until)}
			})
	} else {
		err = t.execRows(ctx, `INSERT INTO alert_events (alert_key, at, type, channel, notice)`, "", 5, len(events),
			func(i int) []any {
				e := &events[i]
				return []any{e.Key, millis(e.At), e.Type, e.Channel, e.Notice}
			})
	}
	if err != nil {
		return fmt.Errorf("ledger write alert history: %w", err)
	}
	return nil
}

// deliveryOrder is the order of the alerts in one message: firing first, critical before warning,
// the rules in their order, then by enterprise, age and key. The candidates are sorted here, not
// by the query: ordered by the database, SQLite reads a family's open alerts of every community
// (an index that serves the order) for each community's message, and sorts rows with bodies.
func deliveryOrder(a, b *DeliveryCandidate) int {
	x, y := &a.Alert, &b.Alert
	return cmp.Or(strings.Compare(x.Status, y.Status), cmp.Compare(x.SeverityRank, y.SeverityRank),
		cmp.Compare(x.RuleOrder, y.RuleOrder), strings.Compare(x.EnterpriseUSCC, y.EnterpriseUSCC),
		x.Since.Compare(y.Since), strings.Compare(x.Key, y.Key))
}

// deliveryCandidatesSQL is the query of DeliveryCandidates and its arguments: one community's
// open alerts through alerts_open, each with its delivery record for the channel.
func deliveryCandidatesSQL(sc DeliveryScope) (string, []any) {
	// The text columns only listings and searches use are read as '': at a city's first check
	// every candidate is read, and a message shows none of them.
	cols := prefixed(alertCols, "a.", "subject", "person_name", "cert_no", "search_text", "fingerprint", "body_hash")
	where := []string{"a.is_open = 1", "a.community = ?"}
	args := []any{sc.Channel, sc.Community}
	if len(sc.Families) > 0 {
		where = append(where, "a.family IN ("+placeholders(len(sc.Families), 1)+")")
		args = append(args, anyArgs(sc.Families)...)
	}
	if sc.EscalatedOnly {
		// Escalated in this episode (firing, or resolved since: that resolution is owed too).
		where = append(where, "a.escalated_at > 0")
	}
	// A superset of what may be due; the engine decides (acknowledgements, silences, claims).
	due := `(d.alert_key IS NULL
    OR (a.status = 'firing' AND (d.episode <> a.episode OR d.version <> a.version OR d.sent_at <= ?
        OR (a.escalated_at > 0 AND d.escalated_ep <> a.episode)))
    OR (a.status = 'resolved' AND d.episode = a.episode AND d.resolved_ep <> a.episode))`
	where = append(where, due)
	args = append(args, millis(sc.RepeatBefore))
	return `SELECT ` + cols + `, COALESCE(d.channel, ''), COALESCE(d.episode, 0), COALESCE(d.version, 0),
    COALESCE(d.sent_at, 0), COALESCE(d.escalated_ep, 0), COALESCE(d.resolved_ep, 0), COALESCE(d.last_notice, ''),
    COALESCE(d.last_at, 0), COALESCE(d.last_ok, 0), COALESCE(d.last_error, '')
FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_key = a.alert_key AND d.channel = ?` + whereClause(where), args
}

func (s *sqlStore) DeliveryCandidates(ctx context.Context, sc DeliveryScope) ([]DeliveryCandidate, error) {
	q, args := deliveryCandidatesSQL(sc)
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("ledger read deliveries due: %w", err)
	}
	defer rows.Close()
	var read candidateChunks
	var c DeliveryCandidate
	adest, aset := alertDest(&c.Alert)
	ddest, dset := deliveryDest(&c.Delivery)
	// The delivery's key is the alert's; its channel is "" when there is no record.
	dest := append(append(adest, &c.Alert.Body), ddest[1:]...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("ledger read deliveries due: %w", err)
		}
		aset()
		dset()
		c.Delivery.Key = c.Alert.Key
		read.add(c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger read deliveries due: %w", err)
	}
	return read.sorted(), nil
}

// candidateChunks holds candidates as they are read, a chunk at a time, until sorted copies them
// once into a slice of the exact size in deliveryOrder. A city's community has some eighteen
// thousand candidates of most of a kilobyte each: a growing slice would copy them over and over,
// and sorting it would move them about again.
type candidateChunks struct {
	chunks [][]DeliveryCandidate
	n      int
}

const candidateChunk = 1024

func (cc *candidateChunks) add(c DeliveryCandidate) {
	if cc.n%candidateChunk == 0 {
		cc.chunks = append(cc.chunks, make([]DeliveryCandidate, 0, candidateChunk))
	}
	last := len(cc.chunks) - 1
	cc.chunks[last] = append(cc.chunks[last], c)
	cc.n++
}

func (cc *candidateChunks) at(i int) *DeliveryCandidate {
	return &cc.chunks[i/candidateChunk][i%candidateChunk]
}

// sorted returns the candidates in deliveryOrder and empties cc.
func (cc *candidateChunks) sorted() []DeliveryCandidate {
	order := make([]int, cc.n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return deliveryOrder(cc.at(i), cc.at(j)) })
	out := make([]DeliveryCandidate, cc.n)
	for k, i := range order {
		out[k] = *cc.at(i)
	}
	*cc = candidateChunks{}
	return out
}

func (t *alertTx) PutDeliveries(ctx context.Context, rows []DeliveryRow) error {
	err := t.execRows(ctx, `INSERT INTO alert_deliveries (`+deliveryCols+`)`, deliveryUpsert, 11, len(rows),
		func(i int) []any { return deliveryArgs(&rows[i]) })
	if err != nil {
		return fmt.Errorf("ledger write deliveries: %w", err)
	}
	return nil
}

func (t *alertTx) ClaimDelivery(ctx context.Context, c DeliveryClaim, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO alert_claims (channel, community, run, claim_until) VALUES (?, ?, ?, ?)
ON CONFLICT (channel, community) DO UPDATE SET run = excluded.run, claim_until = excluded.claim_until
WHERE alert_claims.claim_until <= ?`), c.Channel, c.Community, c.Run, millis(c.Until), millis(now))
	if err != nil {
		return false, fmt.Errorf("ledger claim delivery: %w", err)
	}
	n, err := affected(res)
	return n == 1, err
}

func (t *alertTx) ReleaseDelivery(ctx context.Context, c DeliveryClaim) (bool, error) {
	res, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM alert_claims WHERE channel = ? AND community = ? AND run = ?`),
		c.Channel, c.Community, c.Run)
	if err != nil {
		return false, fmt.Errorf("ledger release delivery: %w", err)
	}
	n, err := affected(res)
	return n == 1, err
}

func (t *alertTx) DeliveryClaims(ctx context.Context, now time.Time) ([]DeliveryClaim, error) {
	return deliveryClaims(ctx, t.s, t.tx, now)
}

func (s *sqlStore) DeliveryClaims(ctx context.Context, now time.Time) ([]DeliveryClaim, error) {
	return deliveryClaims(ctx, s, s.r, now)
}

func deliveryClaims(ctx context.Context, s *sqlStore, q querier, now time.Time) ([]DeliveryClaim, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT channel, community, run, claim_until FROM alert_claims WHERE claim_until > ?
ORDER BY channel, community`), millis(now))
	if err != nil {
		return nil, fmt.Errorf("ledger read delivery claims: %w", err)
	}
	defer rows.Close()
	var out []DeliveryClaim
	for rows.Next() {
		var c DeliveryClaim
		var until int64
		if err := rows.Scan(&c.Channel, &c.Community, &c.Run, &until); err != nil {
			return nil, fmt.Errorf("ledger read delivery claims: %w", err)
		}
		c.Until = fromMillis(until)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger read delivery claims: %w", err)
	}
	return out, nil
}

// openResolvedSQL reads a batch of the resolved alerts still open, through their partial index
// (alerts_owed) instead of every open alert.
const openResolvedSQL = `SELECT ` + alertStateCols + ` FROM alerts
WHERE is_open = 1 AND status = 'resolved' AND alert_key > ? ORDER BY alert_key LIMIT ?`

func (t *alertTx) OpenResolved(ctx context.Context, after string, limit int) ([]AlertRow, map[string][]DeliveryRow, error) {
	rows, err := t.tx.QueryContext(ctx, t.s.q(openResolvedSQL), after, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger read resolved alerts: %w", err)
	}
	var out []AlertRow
	for rows.Next() {
		r, err := scanAlert(rows, false)
		if err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("ledger read resolved alerts: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("ledger read resolved alerts: %w", err)
	}
	keys := make([]string, len(out))
	for i := range out {
		keys[i] = out[i].Key
	}
	ds, err := deliveriesOf(ctx, t.s, t.tx, keys)
	return out, ds, err
}

// deliveriesOf reads the delivery records of keys through q.
func deliveriesOf(ctx context.Context, s *sqlStore, q querier, keys []string) (map[string][]DeliveryRow, error) {
	out := make(map[string][]DeliveryRow, len(keys))
	err := keyChunks(keys, func(chunk []string) error {
		rows, err := q.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM alert_deliveries WHERE alert_key IN (`+
			placeholders(len(chunk), 1)+`) ORDER BY alert_key, channel`), anyArgs(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var d DeliveryRow
		dest, set := deliveryDest(&d)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			set()
			out[d.Key] = append(out[d.Key], d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("ledger read deliveries: %w", err)
	}
	return out, nil
}

func (t *alertTx) PutSilence(ctx context.Context, sl SilenceRow) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO alert_silences (id, alert_key, community, rule, id_hash, severity,
    until_at, reason, created_by, created_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		sl.ID, sl.Key, sl.Community, sl.Rule, sl.IDHash, sl.Severity, millis(sl.Until), sl.Reason, sl.By, millis(sl.CreatedAt),
		millis(sl.EndedAt))
	if err != nil {
		return fmt.Errorf("ledger write silence: %w", err)
	}
	return nil
}

func (t *alertTx) EndSilence(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE alert_silences SET ended_at = ? WHERE id = ? AND ended_at = 0 AND until_at > ?`),
		millis(at), id, millis(at))
	if err != nil {
		return false, fmt.Errorf("ledger end silence: %w", err)
	}
	n, err := affected(res)
	return n == 1, err
}

func (t *alertTx) SetAlertCheckedAt(ctx context.Context, family string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO alert_checks (family, checked_at) VALUES (?, ?)
ON CONFLICT (family) DO UPDATE SET checked_at = excluded.checked_at`), family, millis(at))
	if err != nil {
		return fmt.Errorf("ledger record alert check: %w", err)
	}
	return nil
}

// closedBefore selects the closed alerts resolved before ?, through their partial index
// (alerts_closed): every check looks for them.
const closedBefore = `is_open = 0 AND status = 'resolved' AND resolved_at < ?`

func (t *alertTx) DeleteClosedAlerts(ctx context.Context, cutoff time.Time) (int, error) {
	for _, q := range []string{
		`DELETE FROM alert_events WHERE alert_key IN (SELECT alert_key FROM alerts WHERE ` + closedBefore + `)`,
		`DELETE FROM alert_deliveries WHERE alert_key IN (SELECT alert_key FROM alerts WHERE ` + closedBefore + `)`,
	} {
		if _, err := t.tx.ExecContext(ctx, t.s.q(q), millis(cutoff)); err != nil {
			return 0, fmt.Errorf("ledger delete old alerts: %w", err)
		}
	}
	res, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM alerts WHERE `+closedBefore), millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("ledger delete old alerts: %w", err)
	}
	n, err := affected(res)
	return int(n), err
}

// ---- reads outside transactions ----

func (s *sqlStore) AlertByKey(ctx context.Context, key string) (AlertRow, error) {
	r, err := scanAlert(s.r.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE alert_key = ?`), key), true)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("alert %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("ledger read alert: %w", err)
	}
	return r, nil
}

// silencedCond is true for an alert a that a silence in force at ? matches.
const silencedCond = `EXISTS (SELECT 1 FROM alert_silences s WHERE s.until_at > ? AND s.ended_at = 0
    AND (s.alert_key = '' OR s.alert_key = a.alert_key) AND (s.community = '' OR s.community = a.community)
    AND (s.rule = '' OR s.rule = a.rule) AND (s.id_hash = '' OR s.id_hash = a.id_hash)
    AND (s.severity = '' OR s.severity = a.severity))`

func alertQueryWhere(q AlertQuery) ([]string, []any, error) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	if len(q.Families) > 0 {
		where = append(where, "a.family IN ("+placeholders(len(q.Families), 1)+")")
		args = append(args, anyArgs(q.Families)...)
	}
	eq("a.severity", q.Severity)
	eq("a.rule", q.Rule)
	eq("a.community", q.Community)
	eq("a.enterprise_uscc", q.Enterprise)
	eq("a.id_hash", q.IDHash)
	if q.Text != "" {
		r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		where, args = append(where, `a.search_text LIKE ? ESCAPE '\'`), append(args, "%"+r.Replace(strings.ToLower(q.Text))+"%")
	}
	switch q.Status {
	case "":
	case "firing", "resolved":
		eq("a.status", q.Status)
	case "acknowledged":
		where = append(where, "a.status = 'firing' AND a.ack_episode = a.episode AND a.ack_version = a.version")
	case "escalated":
		where = append(where, "a.status = 'firing' AND a.escalated_at > 0")
	case "silenced":
		where, args = append(where, silencedCond), append(args, millis(q.Now))
	default:
		return nil, nil, fmt.Errorf("ledger alert query: unknown status %q", q.Status)
	}
	return where, args, nil
}

// sortFewAlerts is how many alerts a listing may hold to be read by its filter's index and sorted,
// rather than walked in the listing index's order.
const sortFewAlerts = 2000

// alertFrom is the FROM clause of a listing of q on the driver's ledger: for the count (total < 0)
// or for a page of total alerts. A free-text search of SQLite's ledger reads the search texts from
// their own index (migration 12) rather than every alert's row: the planner, seeing a status to
// match, would walk the listing index and read the row of every firing alert. A person's or an
// enterprise's alerts are fewer still by their own index; a search that finds many has its page
// among the first rows of the listing's order.
func alertFrom(q AlertQuery, driver string, total int) string {
	if q.Text != "" && q.IDHash == "" && q.Enterprise == "" && driver == "sqlite" && total <= sortFewAlerts {
		return ` FROM alerts a INDEXED BY alerts_search`
	}
	return ` FROM alerts a`
}

func (s *sqlStore) AlertPage(ctx context.Context, q AlertQuery) ([]AlertRow, int, error) {
	where, args, err := alertQueryWhere(q)
	if err != nil {
		return nil, 0, err
	}
	driver := s.d.name
	if q.Text != "" && driver == "sqlite" && !s.hasIndex(ctx, "alerts_search") {
		driver = "" // a first check is writing the alerts, its indexes deferred (alertindexes.go)
	}
	from := alertFrom(q, driver, -1)
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*)`+from+whereClause(where)), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ledger count alerts: %w", err)
	}
	if q.Limit > 0 && total <= max(q.Offset, 0) {
		return nil, total, nil // nothing on the page: no need to look
	}
	order := ` ORDER BY a.status, a.severity_rank, a.since, a.alert_key`
	if total <= sortFewAlerts || q.IDHash != "" || q.Enterprise != "" {
		// Few alerts (a person's, an enterprise's, a rare family's, a search's): read them by
		// their own index and sort them. Ordered by the bare column, SQLite (without statistics)
		// walks the listing index instead — every firing alert of a city — to save that sort.
		order = ` ORDER BY a.status || '', a.severity_rank, a.since, a.alert_key`
	}
	query := `SELECT ` + alertCols + alertFrom(q, driver, total) + whereClause(where) + order
	if q.Limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, q.Limit, max(q.Offset, 0))
	}
	var out []AlertRow
	for r, err := range stream(ctx, s, query, args, func(rows *sql.Rows) (AlertRow, error) { return scanAlert(rows, true) }) {
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, nil
}

// alertCountsSQL counts from the index on (family, status, severity, community, rule) alone.
// Written as "status = 'firing'", the condition makes SQLite prefer the listing's index on status
// and read the row of every firing alert (a city's console overview and every check's gauges).
const alertCountsSQL = `SELECT family, severity, community, rule, COUNT(*) FROM alerts
WHERE status || '' = 'firing' GROUP BY family, status, severity, community, rule ORDER BY family, severity, community, rule`

func (s *sqlStore) AlertCounts(ctx context.Context) ([]AlertCount, error) {
	var out []AlertCount
	for c, err := range stream(ctx, s, alertCountsSQL, nil,
		func(rows *sql.Rows) (AlertCount, error) {
			var c AlertCount
			err := rows.Scan(&c.Family, &c.Severity, &c.Community, &c.Rule, &c.Count)
			return c, err
		}) {
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *sqlStore) AlertEvents(ctx context.Context, key string, limit int) ([]AlertEvent, error) {
	var out []AlertEvent
	for e, err := range stream(ctx, s, `SELECT alert_key, at, type, channel, notice, actor, note, error, until_at
FROM alert_events WHERE alert_key = ? ORDER BY id DESC LIMIT ?`, []any{key, limit},
		func(rows *sql.Rows) (AlertEvent, error) {
			var e AlertEvent
			var at, until int64
			err := rows.Scan(&e.Key, &at, &e.Type, &e.Channel, &e.Notice, &e.Actor, &e.Note, &e.Error, &until)
			e.At, e.Until = fromMillis(at), fromMillis(until)
			return e, err
		}) {
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *sqlStore) AlertDeliveries(ctx context.Context, keys []string) (map[string][]DeliveryRow, error) {
	return deliveriesOf(ctx, s, s.r, keys)
}

func (s *sqlStore) FiringAlerts(ctx context.Context, family string) iter.Seq2[AlertRef, error] {
	return stream(ctx, s, `SELECT alert_key, rule, episode, version FROM alerts WHERE family = ? AND status = 'firing'`,
		[]any{family}, func(rows *sql.Rows) (AlertRef, error) {
			var r AlertRef
			err := rows.Scan(&r.Key, &r.Rule, &r.Episode, &r.Version)
			return r, err
		})
}

// firingCountSQL counts from the index on (family, status, …) alone.
const firingCountSQL = `SELECT COUNT(*) FROM alerts WHERE family = ? AND status = 'firing'`

func (s *sqlStore) FiringCount(ctx context.Context, family string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.q(firingCountSQL), family).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("ledger count firing alerts: %w", err)
	}
	return n, nil
}

func (s *sqlStore) OpenAlertCommunities(ctx context.Context) ([]string, error) {
	var out []string
	for c, err := range stream(ctx, s, `SELECT DISTINCT community FROM alerts WHERE is_open = 1 ORDER BY community`, nil,
		func(rows *sql.Rows) (string, error) {
			var c string
			err := rows.Scan(&c)
			return c, err
		}) {
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *sqlStore) Silences(ctx context.Context, now time.Time) ([]SilenceRow, error) {
	var out []SilenceRow
	for sl, err := range stream(ctx, s, `SELECT id, alert_key, community, rule, id_hash, severity, until_at, reason,
    created_by, created_at, ended_at FROM alert_silences WHERE ended_at = 0 AND until_at > ? ORDER BY until_at, id`, []any{millis(now)},
		func(rows *sql.Rows) (SilenceRow, error) {
			var sl SilenceRow
			var until, created, ended int64
			err := rows.Scan(&sl.ID, &sl.Key, &sl.Community, &sl.Rule, &sl.IDHash, &sl.Severity, &until, &sl.Reason, &sl.By,
				&created, &ended)
			sl.Until, sl.CreatedAt, sl.EndedAt = fromMillis(until), fromMillis(created), fromMillis(ended)
			return sl, err
		}) {
		if err != nil {
			return nil, err
		}
		out = append(out, sl)
	}
	return out, nil
}

func (s *sqlStore) AlertCheckedAt(ctx context.Context, family string) (time.Time, error) {
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT checked_at FROM alert_checks WHERE family = ?`), family).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("ledger read alert check: %w", err)
	}
	return fromMillis(at), nil
}

func (s *sqlStore) AlertRoster(ctx context.Context, day mapping.Date) iter.Seq2[AlertRosterEntry, error] {
	return func(yield func(AlertRosterEntry, error) bool) {
		// A city's roster is half a million entries, read every day. Each enterprise is looked up
		// in a map read in one pass (a join would read a random page of the enterprises per
		// entry), and the certificates are merged in as one stream in ID-number order (lookups by
		// chunks of ID numbers read random pages too). Both orders are byte order, as Go compares.
		ents, err := s.enterpriseNames(ctx)
		if err != nil {
			yield(AlertRosterEntry{}, err)
			return
		}
		cond, args := onDutyCond(day)
		byteOrder := ""
		if s.d.name == "postgres" {
			byteOrder = ` COLLATE "C"`
		}
		entries := readAhead(ctx, stream(ctx, s, `SELECT o.id_number, o.enterprise_uscc, o.item_code, o.name, o.category_code, o.start_date,
    o.end_date, COALESCE(a.answered_at, 0)
FROM operators o LEFT JOIN certificate_answers a ON a.id_number = o.id_number
WHERE `+cond+` ORDER BY o.id_number`+byteOrder+`, o.enterprise_uscc, o.item_code`, args,
			func(rows *sql.Rows) (AlertRosterEntry, error) {
				var e AlertRosterEntry
				o := &e.Operator
				var start, end string
				var answered int64
				if err := rows.Scan(&o.IDNumber, &o.EnterpriseUSCC, &o.ItemCode, &o.Name, &o.CategoryCode, &start, &end,
					&answered); err != nil {
					return e, err
				}
				e.Answered = answered != 0
				var errs [2]error
				o.StartDate, errs[0] = parseDate(start)
				o.EndDate, errs[1] = parseDate(end)
				if err := errors.Join(errs[:]...); err != nil {
					return e, fmt.Errorf("operator %s: %w", o.Key(), err)
				}
				return e, nil
			}), rosterBatchSize)
		certs := newCertificateMerge(ctx, stream(ctx, s, `SELECT `+certificateCols+` FROM certificates ORDER BY id_number`+byteOrder, nil,
			func(rows *sql.Rows) (mapping.Certificate, error) { return scanCertificate(rows) }))
		defer certs.stop()
		var held []mapping.Certificate
		heldOf := ""
		for e, err := range entries {
			if err != nil {
				yield(AlertRosterEntry{}, err)
				return
			}
			if id := e.Operator.IDNumber; id != heldOf {
				if held, err = certs.of(id); err != nil {
					yield(AlertRosterEntry{}, err)
					return
				}
				heldOf = id
			}
			en := ents[e.Operator.EnterpriseUSCC]
			e.EnterpriseName, e.Community, e.Certificates = en.name, en.community, held
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (s *sqlStore) AlertAlarms(ctx context.Context, raisedBefore time.Time) iter.Seq2[AlertAlarm, error] {
	return stream(ctx, s, `SELECT `+alarmCols+`, COALESCE(e.community, '') FROM alarms a
LEFT JOIN enterprises e ON e.uscc = a.uscc
WHERE a.level IN (1, 2) AND a.handling_status <> '2' AND a.raised_at <= ? ORDER BY a.raised_at, a.id`,
		[]any{millis(raisedBefore)}, func(rows *sql.Rows) (AlertAlarm, error) {
			var a AlertAlarm
			var err error
			a.Alarm, err = scanAlarm(scanWith{rows, &a.Community})
			return a, err
		})
}

// scanWith scans a row into a scan function's destinations and one more at the end.
type scanWith struct {
	rows *sql.Rows
	last any
}

func (w scanWith) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.last)...) }

type enterpriseName struct{ name, community string }

// enterpriseNames maps every enterprise's USCC to its name and community.
func (s *sqlStore) enterpriseNames(ctx context.Context) (map[string]enterpriseName, error) {
	out := map[string]enterpriseName{}
	for e, err := range stream(ctx, s, `SELECT uscc, name, community FROM enterprises`, nil, func(rows *sql.Rows) ([3]string, error) {
		var v [3]string
		err := rows.Scan(&v[0], &v[1], &v[2])
		return v, err
	}) {
		if err != nil {
			return nil, err
		}
		out[e[0]] = enterpriseName{e[1], e[2]}
	}
	return out, nil
}
