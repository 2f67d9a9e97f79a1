package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"streetsync/mapping"
)

// Listings are the paged reads behind the console's lists and its to-do counts. Each returns one
// page of a query that the database answers from an index or one bounded scan, with the total
// that the page is cut from: an answer stays a page long however large the street, and a count
// on the front page is the total of the very list it links to.
type Listings interface {
	// EnterprisePage returns a page of enterprises in USCC order and how many match.
	EnterprisePage(ctx context.Context, q EnterpriseQuery) ([]EnterpriseRecord, int, error)
	// OperatorPage returns a page of roster entries (ID number, enterprise, item order) with
	// their enterprise's name and community, and how many match.
	OperatorPage(ctx context.Context, q OperatorQuery) ([]OperatorListing, int, error)
	// UnregisteredPage returns a page of the on-duty roster entries that hold a valid
	// certificate for their item on day and whose employment registration is missing or no
	// longer matches the roster's dates — what `reconcile` lists as unregistered — and how
	// many there are.
	UnregisteredPage(ctx context.Context, day mapping.Date, offset, limit int) ([]OperatorListing, int, error)
	// AlarmPage returns a page of alarms, newest first, with their enterprise's community and
	// the latest feedback recorded, and how many match.
	AlarmPage(ctx context.Context, q AlarmQuery) ([]AlarmListing, int, error)
	// AlarmsPerDay counts the alarms raised in [from, to) per day in loc and level.
	AlarmsPerDay(ctx context.Context, from, to time.Time, loc *time.Location) ([]AlarmDay, error)
	// QuarantinePage returns a page of quarantine entries, newest first, and how many match.
	QuarantinePage(ctx context.Context, q QuarantineQuery) ([]QuarantineEntry, int, error)
	// Communities lists the communities the enterprises name, in order.
	Communities(ctx context.Context) ([]string, error)
}

// Enterprise states a listing selects (EnterpriseQuery.State).
const (
	// StateNotOnPlatform: never seen on the platform — neither pulled nor accepted after a push —
	// and not 待核实 (reconcile's onlyInLedger, as of the last sync).
	StateNotOnPlatform = "notOnPlatform"
	// StateDrifted: the platform changed street-owned fields since the accepted version (a
	// conflict included): left for an operator's reconcile --apply.
	StateDrifted = "drifted"
	// StateAwaitingPush: the ledger changed, the platform has not accepted it yet.
	StateAwaitingPush = "awaitingPush"
)

// EnterpriseQuery selects and pages enterprises; the zero query selects all.
type EnterpriseQuery struct {
	Community     string
	PendingReview bool
	// State is StateNotOnPlatform, StateDrifted, StateAwaitingPush or "" (any).
	State string
	// Search is a piece of the name, USCC, legal representative, principal or address.
	Search string
	// Offset and Limit cut the page (Limit 0: count only).
	Offset, Limit int
}

// OperatorQuery selects and pages roster entries; the zero query selects all.
type OperatorQuery struct {
	Community      string
	EnterpriseUSCC string
	IDNumber       string // a whole ID number: that person's entries
	// Search is the start of the person's name, or a piece of the enterprise's.
	Search string
	// OnDuty keeps the entries on duty that day (the zero date: every entry).
	OnDuty        mapping.Date
	Offset, Limit int
}

// OperatorListing is a roster entry with its enterprise's name and community.
type OperatorListing struct {
	OperatorRecord
	EnterpriseName string
	Community      string
}

// AlarmQuery selects and pages alarms; the zero query selects all.
type AlarmQuery struct {
	Community  string
	From       time.Time // raised at or after (zero: any time)
	ActiveOnly bool      // not recovered
	Unhandled  bool      // handling status not 已处置
	// FeedbackRejected keeps the alarms whose latest feedback the platform refused.
	FeedbackRejected bool
	Offset, Limit    int
}

// AlarmListing is an alarm with its enterprise's community and the latest feedback recorded.
type AlarmListing struct {
	mapping.Alarm
	Community string
	Feedback  *FeedbackRecord // nil: none recorded
}

// AlarmDay counts one day's alarms by level (index 0 = level 1 红).
type AlarmDay struct {
	Day     mapping.Date
	ByLevel [4]int
}

// QuarantineQuery selects and pages quarantine entries; the zero query selects the open ones.
type QuarantineQuery struct {
	Source          Source
	Kind            Kind
	IncludeResolved bool
	Offset, Limit   int
}

// page runs a count and, when limit > 0, one page of the same selection.
func page[T any](ctx context.Context, s *sqlStore, from string, where []string, args []any, cols, order string,
	offset, limit int, scan func(*sql.Rows) (T, error)) ([]T, int, error) {
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) `+from+whereClause(where)), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ledger count: %w", err)
	}
	out := []T{}
	if limit <= 0 || total <= offset {
		return out, total, nil
	}
	q := `SELECT ` + cols + ` ` + from + whereClause(where) + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	for v, err := range stream(ctx, s, q, append(append([]any{}, args...), limit, max(offset, 0)), scan) {
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// likeArg is a LIKE pattern matching s anywhere, its wildcards escaped (ESCAPE '\').
func likeArg(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// The sync states of syncState, as conditions on the enterprise row (Overview counts the same).
// Each is the condition of a partial index (migration 7): keep them word for word.
const (
	notOnPlatformCond = `pending_review = 0 AND platform_hash = ''`
	driftedCond       = `accepted_hash <> '' AND platform_hash <> '' AND platform_hash <> accepted_hash AND platform_hash <> street_hash`
	awaitingPushCond  = `street_hash <> accepted_hash AND (accepted_hash = '' OR platform_hash = '' OR platform_hash = accepted_hash)
    AND NOT (accepted_hash = '' AND platform_hash = street_hash)`
)

func (s *sqlStore) EnterprisePage(ctx context.Context, q EnterpriseQuery) ([]EnterpriseRecord, int, error) {
	var where []string
	var args []any
	if q.Community != "" {
		where, args = append(where, "community = ?"), append(args, q.Community)
	}
	if q.PendingReview {
		where = append(where, "pending_review = 1")
	}
	switch q.State {
	case "":
	case StateNotOnPlatform:
		where = append(where, notOnPlatformCond)
	case StateDrifted:
		where = append(where, driftedCond)
	case StateAwaitingPush:
		where = append(where, awaitingPushCond)
	default:
		return nil, 0, fmt.Errorf("ledger enterprise listing: unknown state %q", q.State)
	}
	if search := strings.TrimSpace(q.Search); search != "" {
		like := likeArg(search)
		where = append(where, `(uscc LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR legal_rep LIKE ? ESCAPE '\'
    OR principal LIKE ? ESCAPE '\' OR address LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like, like)
	}
	return page(ctx, s, `FROM enterprises`, where, args, enterpriseCols, `uscc`, q.Offset, q.Limit,
		func(rows *sql.Rows) (EnterpriseRecord, error) { return scanEnterprise(rows) })
}

func scanOperatorListing(rows *sql.Rows) (OperatorListing, error) {
	var l OperatorListing
	var name, community sql.NullString
	r, err := scanOperator(rows, &name, &community)
	l.OperatorRecord, l.EnterpriseName, l.Community = r, name.String, community.String
	return l, err
}

// enterprisesNamedLike are the enterprises whose name is LIKE the argument: read from the index
// on (name, uscc) alone (migration 13), not from the enterprises' rows.
const enterprisesNamedLike = `SELECT uscc FROM enterprises WHERE name LIKE ? ESCAPE '\'`

func (s *sqlStore) OperatorPage(ctx context.Context, q OperatorQuery) ([]OperatorListing, int, error) {
	where, args := operatorWhere(OperatorFilter{OnDuty: q.OnDuty, EnterpriseUSCC: q.EnterpriseUSCC, IDNumber: q.IDNumber})
	if q.Community != "" {
		// By the community's enterprises (index), not the joined row: the count needs no join.
		where, args = append(where, "o.enterprise_uscc IN (SELECT uscc FROM enterprises WHERE community = ?)"), append(args, q.Community)
	}
	if search := strings.TrimSpace(q.Search); search != "" {
		// SQLite: the name's start as a range of the name index, in byte order: every name that
		// starts with search lies in [search, search + the largest rune). PostgreSQL compares
		// names in the database's collation, where that range does not hold: LIKE 'search%'.
		byName, nameArgs := `o.name >= ? AND o.name < ?`, []any{search, search + string(utf8.MaxRune)}
		if s.d.name == "postgres" {
			byName, nameArgs = `o.name LIKE ? ESCAPE '\'`, []any{likeEscaper.Replace(search) + "%"}
		}
		where = append(where, `((`+byName+`) OR o.enterprise_uscc IN (`+enterprisesNamedLike+`))`)
		args = append(append(args, nameArgs...), likeArg(search))
	}
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM operators o`+whereClause(where)), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ledger count roster: %w", err)
	}
	out := []OperatorListing{}
	if q.Limit <= 0 || total <= q.Offset {
		return out, total, nil
	}
	// The page's keys first, from the primary key's index alone; then their rows and enterprises.
	// Joined before the cut, a deep page would read every row and enterprise it skips.
	query := `SELECT ` + operatorCols + `, e.name, e.community FROM (SELECT o.id_number, o.enterprise_uscc, o.item_code
    FROM operators o` + whereClause(where) + ` ORDER BY o.id_number, o.enterprise_uscc, o.item_code LIMIT ? OFFSET ?) AS p
JOIN operators o ON o.id_number = p.id_number AND o.enterprise_uscc = p.enterprise_uscc AND o.item_code = p.item_code
LEFT JOIN enterprises e ON e.uscc = o.enterprise_uscc ORDER BY o.id_number, o.enterprise_uscc, o.item_code`
	for l, err := range stream(ctx, s, query, append(args, q.Limit, max(q.Offset, 0)), scanOperatorListing) {
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, nil
}

// validCertCond is true when person o holds a certificate for o's item valid on a day
// (mapping.Certificate.ValidOn; four ? for the day).
const validCertCond = `EXISTS (SELECT 1 FROM certificates c WHERE c.id_number = o.id_number AND c.item_code = o.item_code
    AND c.status = 'VALID' AND (c.valid_from = '' OR c.valid_from <= ?) AND c.valid_until <> '' AND c.valid_until >= ?
    AND (c.review_due_date = '' OR c.review_due_date >= ? OR (c.last_review_date <> '' AND c.last_review_date >= c.review_due_date)))`

// registrationDueCond is true when o's registration e is missing or differs from the roster's
// dates (RegistrationsDue, for on-duty entries).
const registrationDueCond = `(e.id_number IS NULL OR e.start_date <> o.start_date OR e.end_date <> o.end_date)`

func (s *sqlStore) UnregisteredPage(ctx context.Context, day mapping.Date, offset, limit int) ([]OperatorListing, int, error) {
	onDuty, dutyArgs := onDutyCond(day)
	d := day.String()
	from := `FROM operators o LEFT JOIN employments e ON e.id_number = o.id_number AND e.enterprise_uscc = o.enterprise_uscc
    AND e.item_code = o.item_code`
	where := []string{onDuty, registrationDueCond, validCertCond}
	args := append(append([]any{}, dutyArgs...), d, d, d)
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) `+from+whereClause(where)), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ledger count unregistered: %w", err)
	}
	out := []OperatorListing{}
	if limit <= 0 || total <= offset {
		return out, total, nil
	}
	query := `SELECT ` + operatorCols + `, n.name, n.community ` + from + `
LEFT JOIN enterprises n ON n.uscc = o.enterprise_uscc` + whereClause(where) +
		` ORDER BY o.id_number, o.enterprise_uscc, o.item_code LIMIT ? OFFSET ?`
	for l, err := range stream(ctx, s, query, append(args, limit, max(offset, 0)), scanOperatorListing) {
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, nil
}

// latestFeedbackRejected is true when alarm a's latest feedback was refused. It is read from the
// refused feedback (an index range), each checked for a later one (by alarm), not from every
// alarm.
const latestFeedbackRejected = `a.id IN (SELECT f.alarm_id FROM alarm_feedback f WHERE f.push_state = 'rejected'
    AND NOT EXISTS (SELECT 1 FROM alarm_feedback g WHERE g.alarm_id = f.alarm_id AND g.id > f.id))`

func (s *sqlStore) AlarmPage(ctx context.Context, q AlarmQuery) ([]AlarmListing, int, error) {
	where, args := alarmWhere(AlarmFilter{From: q.From, Community: q.Community, ActiveOnly: q.ActiveOnly, Unhandled: q.Unhandled})
	if q.FeedbackRejected {
		where = append(where, latestFeedbackRejected)
	}
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM alarms a`+whereClause(where)), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ledger count alarms: %w", err)
	}
	out := []AlarmListing{}
	if q.Limit <= 0 || total <= q.Offset {
		return out, total, nil
	}
	query := `SELECT ` + alarmCols + `, COALESCE(e.community, '') FROM alarms a LEFT JOIN enterprises e ON e.uscc = a.uscc` +
		whereClause(where) + ` ORDER BY a.raised_at DESC, a.id DESC LIMIT ? OFFSET ?`
	index := map[string]int{}
	for l, err := range stream(ctx, s, query, append(args, q.Limit, max(q.Offset, 0)), func(rows *sql.Rows) (AlarmListing, error) {
		var l AlarmListing
		var err error
		l.Alarm, err = scanAlarm(rows, &l.Community)
		return l, err
	}) {
		if err != nil {
			return nil, 0, err
		}
		index[l.ID] = len(out)
		out = append(out, l)
	}
	if len(out) == 0 {
		return out, total, nil
	}
	// The page's feedback in one query; the latest per alarm wins (ordered by id).
	ids := make([]any, 0, len(out))
	for _, l := range out {
		ids = append(ids, l.ID)
	}
	for fb, err := range stream(ctx, s, `SELECT `+feedbackCols+` FROM alarm_feedback WHERE alarm_id IN (`+
		placeholders(len(ids), 1)+`) ORDER BY id`, ids, func(rows *sql.Rows) (FeedbackRecord, error) { return scanFeedback(rows) }) {
		if err != nil {
			return nil, 0, err
		}
		out[index[fb.AlarmID]].Feedback = &fb
	}
	return out, total, nil
}

func (s *sqlStore) AlarmsPerDay(ctx context.Context, from, to time.Time, loc *time.Location) ([]AlarmDay, error) {
	if loc == nil {
		loc = mapping.Beijing()
	}
	// Grouped by the day in loc: the offset of from applies to the window (the street's zone
	// keeps one offset all year; a window across a change would shift its edge by an hour).
	_, offset := from.In(loc).Zone()
	const day = 24 * 60 * 60 * 1000
	var out []AlarmDay
	for v, err := range stream(ctx, s, `SELECT (raised_at + ?) / ?, level, COUNT(*) FROM alarms
WHERE raised_at >= ? AND raised_at < ? GROUP BY 1, 2 ORDER BY 1, 2`,
		[]any{int64(offset) * 1000, day, millis(from), millis(to)},
		func(rows *sql.Rows) ([3]int64, error) {
			var v [3]int64
			err := rows.Scan(&v[0], &v[1], &v[2])
			return v, err
		}) {
		if err != nil {
			return nil, err
		}
		d := mapping.DateOf(time.UnixMilli(v[0] * day).UTC())
		if n := len(out); n == 0 || out[n-1].Day != d {
			out = append(out, AlarmDay{Day: d})
		}
		if lv := int(v[1]); lv >= 1 && lv <= 4 {
			out[len(out)-1].ByLevel[lv-1] += int(v[2])
		}
	}
	return out, nil
}

func (s *sqlStore) QuarantinePage(ctx context.Context, q QuarantineQuery) ([]QuarantineEntry, int, error) {
	where, args := quarantineWhere(QuarantineFilter{Source: q.Source, Kind: q.Kind, IncludeResolved: q.IncludeResolved})
	return page(ctx, s, `FROM quarantine`, where, args, quarantineCols, `id DESC`, q.Offset, q.Limit,
		func(rows *sql.Rows) (QuarantineEntry, error) { return scanQuarantine(rows) })
}

func (s *sqlStore) Communities(ctx context.Context) ([]string, error) {
	var out []string
	for c, err := range stream(ctx, s, `SELECT DISTINCT community FROM enterprises WHERE community <> '' ORDER BY community`, nil,
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
