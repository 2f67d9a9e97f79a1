package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"streetsync/mapping"
)

// Hazards (contracts/hazards.md): the street's hazard ledger with every status change as history,
// the platform's inspection records and the street's drills.
//
// A hazard's key is its identity on the street side (mapping.Hazard.Key): the street's lybh when
// the street reported it, else the platform's yhid. The reporter owns the fields from source to
// measures. For a street-reported hazard they carry the three-way state enterprises have
// (StreetHash, AcceptedHash, PlatformHash; SyncState): the ledger's version is pushed once by
// POST /hazards, and a platform-side edit afterwards is drift, kept beside the ledger's values
// and never written over them. An enterprise's own report (企业自查) is the platform's: a pull
// overwrites its fields. The status is merged as the furthest forward of the two sides; every
// change, from either side, is a row of the history, and a street change waits there for its
// push.

// HazardStore is the ledger's part for hazards, inspections and drills; Store embeds it.
type HazardStore interface {
	// RecordStreetHazards writes hazards the street found (workbook, `hazards report`), keyed by
	// their StreetID, which must be set, in one transaction. Reporter fields, remark and
	// warnings are the street's and written as given; a status ahead of the ledger's is a street
	// status change (recorded, pending its push, with the input's StatusNote, StatusBy and
	// StatusAt); one behind it refuses the record (HazardOutcome.Backward) and writes nothing of
	// it. A hazard the platform reported itself (企业自查) cannot be written (Refused). With dry,
	// nothing is written and the outcomes say what would be.
	RecordStreetHazards(ctx context.Context, batch []HazardInput, dry bool) ([]HazardOutcome, error)
	// RecordHazardStatus records a street status change of the hazard whose key or platform ID
	// is id: the history gets the change (pending its push) and the hazard its status. A move
	// the ledger's status does not allow (backwards, after 已销号, to 待整改) is an error wrapping
	// ErrStatusMove; an unknown hazard ErrNotFound. The same change twice is one record
	// (created false).
	RecordHazardStatus(ctx context.Context, id string, ch mapping.HazardStatusChange) (rec HazardStatusRecord, created bool, err error)
	// RecordPlatformHazards stores the platform's hazards (the pull): an enterprise's own report
	// whole, a street-reported hazard's reporter fields as the platform's view beside the
	// ledger's (a hazard the ledger does not hold yet comes in whole, as accepted), the status
	// merged furthest forward, and a platform status change as history. A street status change
	// still pending whose status the platform has passed is settled as superseded.
	RecordPlatformHazards(ctx context.Context, batch []mapping.Hazard, seenAt time.Time) ([]HazardComparison, error)
	// MarkHazardCreated records that the platform accepted a street hazard's create (POST
	// /hazards, duplicate or not): its yhid, the pushed reporter fields as the accepted version,
	// and the street status changes the create carried as accepted.
	MarkHazardCreated(ctx context.Context, key, yhid string, pushed mapping.Hazard, at time.Time) error
	// PendingHazardStatusChanges returns up to limit street status changes waiting for their
	// push, oldest first, of hazards the platform holds (HazardID set).
	PendingHazardStatusChanges(ctx context.Context, limit int) ([]HazardStatusRecord, error)
	// SettleHazardStatusChange records the platform's verdict on a street status change:
	// PushAccepted, or PushRejected with the reason.
	SettleHazardStatusChange(ctx context.Context, id int64, state PushState, message string, at time.Time) error
	// HazardHistory returns every status change of the hazard (key or platform ID), oldest first.
	HazardHistory(ctx context.Context, id string) ([]HazardStatusRecord, error)
	// HazardByKey returns the hazard whose key or platform ID is id, or an error wrapping
	// ErrNotFound.
	HazardByKey(ctx context.Context, id string) (HazardRecord, error)
	// HazardsByKeys returns the hazards whose key or platform ID is among ids, in no particular
	// order, each once: one batch of a comparison that arrives in the platform's order.
	HazardsByKeys(ctx context.Context, ids []string) ([]HazardRecord, error)
	// Hazards streams the hazards f selects, in f's order, from f.Offset, at most f.Limit.
	Hazards(ctx context.Context, f HazardFilter) iter.Seq2[HazardRecord, error]
	// CountHazards counts the hazards f selects (Offset and Limit ignored): a page's total.
	CountHazards(ctx context.Context, f HazardFilter) (int, error)
	// HazardFigures computes the dynamic-clearing figures (动态清零) on day today, per community
	// (the ledger's community of the enterprise; "" when the ledger does not hold it) and in
	// total.
	HazardFigures(ctx context.Context, today mapping.Date) (ClearingFigures, error)

	// UpsertInspections writes the platform's inspection records keyed by jcid.
	UpsertInspections(ctx context.Context, batch []mapping.Inspection) ([]Outcome, error)
	// Inspections streams inspection records ordered by enterprise, date and id.
	Inspections(ctx context.Context, f InspectionFilter) iter.Seq2[mapping.Inspection, error]
	// UpsertDrills writes the street's drill records keyed by (USCC, date, type).
	UpsertDrills(ctx context.Context, batch []mapping.Drill, dry bool) ([]Outcome, error)
	// Drills streams drill records ordered by enterprise, date and type.
	Drills(ctx context.Context, f DrillFilter) iter.Seq2[mapping.Drill, error]
}

// ErrStatusMove is wrapped by a status change the hazard's recorded status does not allow.
var ErrStatusMove = errors.New("hazard status move not allowed")

// HazardInput is a hazard the street records, with the validation warnings kept with it.
type HazardInput struct {
	mapping.Hazard
	Warnings mapping.Problems
}

// HazardOutcome is what RecordStreetHazards did with one hazard.
type HazardOutcome struct {
	Outcome Outcome
	// Backward is set when the input's status is behind the ledger's (the record was not
	// written); From is the ledger's status then.
	Backward bool
	From     mapping.HazardStatus
	// Refused is set when the key names a hazard the street did not report (企业自查).
	Refused bool
	// StatusChanged: the input moved the status forward (a street change pending its push).
	StatusChanged bool
}

// HazardComparison is what RecordPlatformHazards did with one platform hazard.
type HazardComparison struct {
	Outcome Outcome
	// State is where a street-reported hazard's reporter fields stand (StateInSync for others).
	State SyncState
	// StatusPulled: the platform's status was ahead and became the ledger's.
	StatusPulled bool
}

// HazardRecord is a hazard as the ledger holds it.
type HazardRecord struct {
	mapping.Hazard
	Warnings mapping.Problems
	// Community is the ledger's community of the enterprise ("" when the ledger does not hold
	// the enterprise).
	Community string
	// ClosedOn is the day the hazard was closed (销号); zero while open.
	ClosedOn mapping.Date
	// StreetHash, AcceptedHash and PlatformHash hold the three-way state of a street-reported
	// hazard's reporter fields ("" for an enterprise's own report).
	StreetHash, AcceptedHash, PlatformHash string
	AcceptedAt                             time.Time
	// Platform is the platform's reporter fields as last seen; nil when never seen.
	Platform *mapping.Hazard
	// PlatformStatus is the platform's status as last seen or accepted; "" never.
	PlatformStatus mapping.HazardStatus
	CreatedAt      time.Time
	ModifiedAt     time.Time
}

// SyncState compares the three versions of a street-reported hazard's reporter fields; an
// enterprise's own report is always in sync (the platform's is the only version).
func (r *HazardRecord) SyncState() SyncState {
	if r.StreetID == "" {
		return StateInSync
	}
	return hazardState(r.StreetHash, r.AcceptedHash, r.PlatformHash)
}

// hazardState is syncState for a street hazard's reporter fields, with one difference: the
// platform has no update of a hazard's content, so a hazard the platform holds (platform set)
// that never had an accepted version and differs from the ledger cannot be pushed — which side
// moved is unknown, and a person decides: a conflict.
func hazardState(street, accepted, platform string) SyncState {
	if accepted == "" && platform != "" && platform != street {
		return StateConflict
	}
	return syncState(street, accepted, platform)
}

// NeedsCreate reports whether the street's hazard is not on the platform yet.
func (r *HazardRecord) NeedsCreate() bool { return r.StreetID != "" && r.ID == "" }

// StatusAhead reports whether the ledger's status is ahead of the platform's (a street change
// not pushed yet).
func (r *HazardRecord) StatusAhead() bool {
	return r.ID != "" && r.PlatformStatus.MoveTo(r.Status) == mapping.MoveForward
}

// Status change sides.
const (
	SideStreet   = "street"
	SidePlatform = "platform"
)

// HazardStatusRecord is one status change in a hazard's history.
type HazardStatusRecord struct {
	ID  int64
	Key string // the hazard's key
	// Side is SideStreet (recorded by the street, pushed) or SidePlatform (seen on the platform).
	Side string
	mapping.HazardStatusChange
	State      PushState // a street change's push state; "" for the platform's
	Message    string    // why the push was rejected
	RecordedAt time.Time
	PushedAt   time.Time
}

// Hazard list orders.
const (
	HazardOrderFound    = iota // found on, then key (the ledger's order)
	HazardOrderDeadline        // deadline, then key (the rectification list)
)

// HazardFilter selects hazards; the zero filter selects all.
type HazardFilter struct {
	Community string
	USCC      string
	Level     mapping.HazardLevel
	// Status: "open" (not closed), "overdue" (deadline before Today, 待整改 or 整改中) or
	// "closed"; "" any.
	Status string
	Today  mapping.Date // for overdue; zero: no hazard is overdue
	// StreetOnly keeps the hazards the street reported; Unpushed those not on the platform yet.
	StreetOnly bool
	Unpushed   bool
	Order      int
	Offset     int
	Limit      int // 0: no limit
}

// Hazard filter statuses.
const (
	HazardsOpen    = "open"
	HazardsOverdue = "overdue"
	HazardsClosed  = "closed"
)

// ClearingFigures are the dynamic-clearing figures (动态清零) of the street and its communities.
type ClearingFigures struct {
	Total       CommunityFigures   `json:"total"`
	Communities []CommunityFigures `json:"communities"`
}

// CommunityFigures are one community's figures (Community "" in the total). All count major
// hazards (重大事故隐患).
type CommunityFigures struct {
	Community string `json:"community"`
	// Stock (存量): open, found before this calendar year; Increment (增量): open, found this year.
	Stock     int `json:"stock"`
	Increment int `json:"increment"`
	// ClosedThisMonth were closed (销号) this calendar month; Overdue are open and past their
	// deadline while 待整改 or 整改中.
	ClosedThisMonth int `json:"closedThisMonth"`
	Overdue         int `json:"overdue"`
	// Monthly is the open count at the end of each of the last 12 months, oldest first (the
	// current month: today).
	Monthly []MonthCount `json:"monthly"`
}

// MonthCount is the open major hazards at the end of a month (yyyy-MM).
type MonthCount struct {
	Month string `json:"month"`
	Open  int    `json:"open"`
}

// InspectionFilter selects inspections; the zero filter selects all.
type InspectionFilter struct {
	USCC  string
	Type  mapping.InspectionType
	Since mapping.Date // on or after; zero: any
}

// DrillFilter selects drills; the zero filter selects all.
type DrillFilter struct {
	USCC string
	Type mapping.DrillType
}

// --- hashes and the platform's view ---

// hazardReporterHash hashes the reporter fields of a hazard as pushed (mapping.HazardFields
// without the status fields): what the three-way state is about.
func hazardReporterHash(h *mapping.Hazard) string {
	x := hasher{b: make([]byte, 0, 256)}
	x.add("ledger.hazard/v1", "")
	n := *h
	mapping.NormalizeHazard(&n, nil)
	for _, f := range mapping.HazardFields {
		if !f.Status && f.Name != "regionCode" {
			x.add(f.Name, f.Get(&n))
		}
	}
	return x.sum()
}

// reporterView is the stored form of the platform's reporter fields.
type reporterView struct {
	Source      string `json:"yhly"`
	Level       string `json:"yhdj"`
	Clause      string `json:"pdbz"`
	Description string `json:"yhms"`
	Location    string `json:"yhbw"`
	FoundOn     string `json:"fxrq"`
	FoundBy     string `json:"fxr"`
	Deadline    string `json:"zgqx"`
	Responsible string `json:"zgzrr"`
	Measures    string `json:"zgcs"`
	USCC        string `json:"tyshxydm"`
}

func encodeReporter(h *mapping.Hazard) string {
	b, _ := json.Marshal(reporterView{string(h.Source), string(h.Level), h.Clause, h.Description, h.Location,
		h.FoundOn.String(), h.FoundBy, h.Deadline.String(), h.Responsible, h.Measures, h.USCC}) // strings only
	return string(b)
}

func decodeReporter(s string) (*mapping.Hazard, error) {
	if s == "" {
		return nil, nil
	}
	var v reporterView
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("stored platform hazard view: %w", err)
	}
	found, err1 := parseDate(v.FoundOn)
	deadline, err2 := parseDate(v.Deadline)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return &mapping.Hazard{Source: mapping.HazardSource(v.Source), Level: mapping.HazardLevel(v.Level), Clause: v.Clause,
		Description: v.Description, Location: v.Location, FoundOn: found, FoundBy: v.FoundBy, Deadline: deadline,
		Responsible: v.Responsible, Measures: v.Measures, USCC: v.USCC}, nil
}

func statusChangeHash(ch *mapping.HazardStatusChange) string {
	x := hasher{b: make([]byte, 0, 128)}
	x.add("ledger.hazardStatus/v1", "")
	x.add("status", string(ch.Status))
	x.add("note", ch.Note)
	x.add("handler", ch.Handler)
	x.add("at", strconv.FormatInt(millis(ch.At), 10))
	return x.sum()
}

// closedOn is the day a hazard at status st was closed: its status time's day in Beijing, or
// fallback's when it has none; zero when it is not closed.
func closedOn(st mapping.HazardStatus, at, fallback time.Time) string {
	if st != mapping.HazardClosed {
		return ""
	}
	if at.IsZero() {
		at = fallback
	}
	return mapping.DateOf(at.In(mapping.Beijing())).String()
}

// --- reads ---

const hazardCols = `h.hazard_key, h.street_id, h.platform_id, h.uscc, h.enterprise_id, h.enterprise_name, h.region_code,
    h.source, h.level, h.clause, h.description, h.location, h.found_on, h.found_by, h.deadline, h.responsible,
    h.measures, h.status, h.status_note, h.status_by, h.status_at, h.closed_on, h.remark, h.warnings,
    h.street_hash, h.accepted_hash, h.accepted_at, h.platform_reported, h.platform_hash, h.platform_status,
    h.platform_updated_at, h.created_at, h.modified_at, COALESCE(e.community, ''), COALESCE(e.name, '')`

const hazardFrom = ` FROM hazards h LEFT JOIN enterprises e ON e.uscc = h.uscc`

func scanHazard(sc scanner) (HazardRecord, error) {
	var r HazardRecord
	h := &r.Hazard
	var key, found, deadline, closed, warnings, view, ledgerName, source, level, status, pstatus string
	var statusAt, acceptedAt, updated, created, modified int64
	if err := sc.Scan(&key, &h.StreetID, &h.ID, &h.USCC, &h.EnterpriseID, &h.EnterpriseName, &h.RegionCode,
		&source, &level, &h.Clause, &h.Description, &h.Location, &found, &h.FoundBy, &deadline, &h.Responsible,
		&h.Measures, &status, &h.StatusNote, &h.StatusBy, &statusAt, &closed, &h.Remark, &warnings,
		&r.StreetHash, &r.AcceptedHash, &acceptedAt, &view, &r.PlatformHash, &pstatus,
		&updated, &created, &modified, &r.Community, &ledgerName); err != nil {
		return r, err
	}
	h.Source, h.Level, h.Status = mapping.HazardSource(source), mapping.HazardLevel(level), mapping.HazardStatus(status)
	r.PlatformStatus = mapping.HazardStatus(pstatus)
	if h.EnterpriseName == "" {
		h.EnterpriseName = ledgerName
	}
	var errs [5]error
	h.FoundOn, errs[0] = parseDate(found)
	h.Deadline, errs[1] = parseDate(deadline)
	r.ClosedOn, errs[2] = parseDate(closed)
	r.Warnings, errs[3] = decodeProblems(warnings)
	r.Platform, errs[4] = decodeReporter(view)
	if err := errors.Join(errs[:]...); err != nil {
		return r, fmt.Errorf("hazard %s: %w", key, err)
	}
	if !h.StatusAt.IsZero() || statusAt != 0 {
		h.StatusAt = fromMillis(statusAt).In(mapping.Beijing())
	}
	if updated != 0 {
		h.UpdatedAt = fromMillis(updated).In(mapping.Beijing())
	}
	r.AcceptedAt, r.CreatedAt, r.ModifiedAt = fromMillis(acceptedAt), fromMillis(created), fromMillis(modified)
	return r, nil
}

func (s *sqlStore) HazardByKey(ctx context.Context, id string) (HazardRecord, error) {
	return s.hazardByKey(ctx, s.r, id)
}

func (s *sqlStore) hazardByKey(ctx context.Context, q querier, id string) (HazardRecord, error) {
	// Two index lookups rather than one OR, which the planners may answer with a scan.
	r, err := scanHazard(q.QueryRowContext(ctx, s.q(`SELECT `+hazardCols+hazardFrom+` WHERE h.hazard_key = ?`), id))
	if errors.Is(err, sql.ErrNoRows) && id != "" {
		// platform_id <> '' lets the planners use the partial unique index.
		r, err = scanHazard(q.QueryRowContext(ctx, s.q(`SELECT `+hazardCols+hazardFrom+` WHERE h.platform_id = ? AND h.platform_id <> ''`), id))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("hazard %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("ledger read hazard: %w", err)
	}
	return r, nil
}

func (s *sqlStore) HazardsByKeys(ctx context.Context, ids []string) ([]HazardRecord, error) {
	var out []HazardRecord
	got := map[string]bool{}
	err := keyChunks(ids, func(chunk []string) error {
		return s.hazardsByIDs(ctx, s.r, chunk, func(r HazardRecord) {
			if k := r.Key(); !got[k] {
				got[k] = true
				out = append(out, r)
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ledger read hazards: %w", err)
	}
	return out, nil
}

// hazardsByIDs calls fn with each hazard whose key or platform id is one of ids (a lookupChunk
// at most), through q: two index lookups rather than one OR, as in hazardByKey. A hazard matched
// both ways comes twice.
func (s *sqlStore) hazardsByIDs(ctx context.Context, q querier, ids []string, fn func(HazardRecord)) error {
	for _, where := range []string{` WHERE h.hazard_key IN (`, ` WHERE h.platform_id <> '' AND h.platform_id IN (`} {
		rows, err := q.QueryContext(ctx, s.q(`SELECT `+hazardCols+hazardFrom+where+placeholders(len(ids), 1)+`)`), anyArgs(ids)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanHazard(rows)
			if err != nil {
				rows.Close()
				return err
			}
			fn(r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (f *HazardFilter) where() ([]string, []any) {
	var where []string
	var args []any
	if f.Community != "" {
		where, args = append(where, "e.community = ?"), append(args, f.Community)
	}
	if f.USCC != "" {
		where, args = append(where, "h.uscc = ?"), append(args, f.USCC)
	}
	if f.Level != "" {
		where, args = append(where, "h.level = ?"), append(args, string(f.Level))
	}
	switch f.Status {
	case HazardsOpen:
		where = append(where, "h.status <> '3'")
	case HazardsClosed:
		where = append(where, "h.status = '3'")
	case HazardsOverdue:
		if f.Today.IsZero() {
			where = append(where, "1 = 0")
		} else {
			where = append(where, "h.status IN ('', '0', '1') AND h.deadline <> '' AND h.deadline < ?")
			args = append(args, f.Today.String())
		}
	}
	if f.StreetOnly {
		where = append(where, "h.street_id <> ''")
	}
	if f.Unpushed {
		where = append(where, "h.street_id <> '' AND h.platform_id = ''")
	}
	return where, args
}

func (s *sqlStore) Hazards(ctx context.Context, f HazardFilter) iter.Seq2[HazardRecord, error] {
	where, args := f.where()
	order := " ORDER BY h.found_on, h.hazard_key"
	if f.Order == HazardOrderDeadline {
		order = " ORDER BY h.deadline, h.hazard_key"
	}
	if f.Limit > 0 {
		order += " LIMIT ?"
		args = append(args, f.Limit)
		if f.Offset > 0 {
			order += " OFFSET ?"
			args = append(args, f.Offset)
		}
	} else if f.Offset > 0 {
		order += " LIMIT -1 OFFSET ?"
		if s.d.dollar {
			order = strings.Replace(order, "LIMIT -1 ", "", 1)
		}
		args = append(args, f.Offset)
	}
	return stream(ctx, s, `SELECT `+hazardCols+hazardFrom+whereClause(where)+order, args,
		func(rows *sql.Rows) (HazardRecord, error) { return scanHazard(rows) })
}

func (s *sqlStore) CountHazards(ctx context.Context, f HazardFilter) (int, error) {
	where, args := f.where()
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*)`+hazardFrom+whereClause(where)), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("ledger count hazards: %w", err)
	}
	return n, nil
}

const statusCols = `c.id, c.hazard_key, c.side, c.status, c.note, c.handler, c.changed_at, c.push_state, c.push_message,
    c.recorded_at, c.pushed_at, h.platform_id`

func scanStatusChange(sc scanner) (HazardStatusRecord, error) {
	var r HazardStatusRecord
	var status, state string
	var at, recorded, pushed int64
	if err := sc.Scan(&r.ID, &r.Key, &r.Side, &status, &r.Note, &r.Handler, &at, &state, &r.Message, &recorded,
		&pushed, &r.HazardID); err != nil {
		return r, err
	}
	r.Status, r.State = mapping.HazardStatus(status), PushState(state)
	if at != 0 {
		r.At = fromMillis(at).In(mapping.Beijing())
	}
	r.RecordedAt, r.PushedAt = fromMillis(recorded), fromMillis(pushed)
	return r, nil
}

func (s *sqlStore) statusList(ctx context.Context, query string, args ...any) ([]HazardStatusRecord, error) {
	var out []HazardStatusRecord
	for r, err := range stream(ctx, s, query, args, func(rows *sql.Rows) (HazardStatusRecord, error) { return scanStatusChange(rows) }) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *sqlStore) HazardHistory(ctx context.Context, id string) ([]HazardStatusRecord, error) {
	r, err := s.HazardByKey(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.statusList(ctx, `SELECT `+statusCols+` FROM hazard_status_changes c JOIN hazards h ON h.hazard_key = c.hazard_key
WHERE c.hazard_key = ? ORDER BY c.changed_at, c.id`, r.Key())
}

func (s *sqlStore) PendingHazardStatusChanges(ctx context.Context, limit int) ([]HazardStatusRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	return s.statusList(ctx, `SELECT `+statusCols+` FROM hazard_status_changes c JOIN hazards h ON h.hazard_key = c.hazard_key
WHERE c.push_state = 'pending' AND h.platform_id <> '' ORDER BY c.id LIMIT ?`, limit)
}

func (s *sqlStore) SettleHazardStatusChange(ctx context.Context, id int64, state PushState, message string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE hazard_status_changes SET push_state = ?, push_message = ?, pushed_at = ? WHERE id = ?`),
			string(state), message, millis(at), id)
		if err != nil {
			return fmt.Errorf("ledger settle hazard status: %w", err)
		}
		n, err := affected(res)
		if err == nil && n == 0 {
			err = fmt.Errorf("hazard status change %d: %w", id, ErrNotFound)
		}
		return err
	})
}

// --- street writes ---

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// writeMaybeDry runs fn in a write transaction, rolled back when dry.
func (s *sqlStore) writeMaybeDry(ctx context.Context, dry bool, fn func(tx *sql.Tx) error) error {
	if !dry {
		return s.write(ctx, fn)
	}
	err := s.writeOnce(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

func (s *sqlStore) RecordStreetHazards(ctx context.Context, batch []HazardInput, dry bool) ([]HazardOutcome, error) {
	var outs []HazardOutcome
	err := s.writeMaybeDry(ctx, dry, func(tx *sql.Tx) error {
		outs = make([]HazardOutcome, len(batch))
		for i := range batch {
			o, err := s.recordStreetHazard(ctx, tx, &batch[i])
			if err != nil {
				return err
			}
			outs[i] = o
		}
		return nil
	})
	return outs, err
}

func (s *sqlStore) recordStreetHazard(ctx context.Context, tx *sql.Tx, in *HazardInput) (HazardOutcome, error) {
	h := in.Hazard
	if h.StreetID == "" {
		return HazardOutcome{}, errors.New("ledger: a street hazard needs its StreetID (lybh)")
	}
	if h.Status == "" {
		h.Status = mapping.HazardPending
	}
	now := s.now()
	hash := hazardReporterHash(&h)
	cur, err := s.hazardByKey(ctx, tx, h.StreetID)
	if errors.Is(err, ErrNotFound) {
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO hazards (hazard_key, street_id, uscc, region_code, source, level, clause,
    description, location, found_on, found_by, deadline, responsible, measures, status, status_note, status_by,
    status_at, closed_on, remark, warnings, street_hash, created_at, modified_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			h.StreetID, h.StreetID, h.USCC, h.RegionCode, string(h.Source), string(h.Level), h.Clause, h.Description,
			h.Location, h.FoundOn.String(), h.FoundBy, h.Deadline.String(), h.Responsible, h.Measures, string(h.Status),
			h.StatusNote, h.StatusBy, millis(h.StatusAt), closedOn(h.Status, h.StatusAt, now), h.Remark,
			encodeProblems(in.Warnings), hash, millis(now), millis(now))
		if err != nil {
			return HazardOutcome{}, fmt.Errorf("ledger insert hazard: %w", err)
		}
		o := HazardOutcome{Outcome: OutcomeInserted}
		if h.Status != mapping.HazardPending {
			o.StatusChanged = true
			if err := s.insertStatusChange(ctx, tx, h.StreetID, SideStreet, PushPending, statusOf(&h), now); err != nil {
				return o, err
			}
		}
		return o, nil
	}
	if err != nil {
		return HazardOutcome{}, err
	}
	if cur.StreetID == "" {
		return HazardOutcome{Refused: true}, nil
	}
	o := HazardOutcome{Outcome: OutcomeUnchanged, From: cur.Status}
	switch cur.Status.MoveTo(h.Status) {
	case mapping.MoveBackward:
		o.Backward = true
		return o, nil
	case mapping.MoveForward:
		o.StatusChanged = true
	}
	if hash == cur.StreetHash && h.Remark == cur.Remark && encodeProblems(in.Warnings) == encodeProblems(cur.Warnings) &&
		!o.StatusChanged && h.RegionCode == cur.RegionCode {
		return o, nil
	}
	o.Outcome = OutcomeUpdated
	_, err = tx.ExecContext(ctx, s.q(`UPDATE hazards SET uscc = ?, region_code = ?, source = ?, level = ?, clause = ?,
    description = ?, location = ?, found_on = ?, found_by = ?, deadline = ?, responsible = ?, measures = ?, remark = ?,
    warnings = ?, street_hash = ?, modified_at = ? WHERE hazard_key = ?`),
		h.USCC, h.RegionCode, string(h.Source), string(h.Level), h.Clause, h.Description, h.Location, h.FoundOn.String(),
		h.FoundBy, h.Deadline.String(), h.Responsible, h.Measures, h.Remark, encodeProblems(in.Warnings), hash,
		millis(now), cur.Key())
	if err != nil {
		return o, fmt.Errorf("ledger update hazard: %w", err)
	}
	if o.StatusChanged {
		ch := statusOf(&h)
		if err := s.setStatus(ctx, tx, cur.Key(), ch, now); err != nil {
			return o, err
		}
		if err := s.insertStatusChange(ctx, tx, cur.Key(), SideStreet, PushPending, ch, now); err != nil {
			return o, err
		}
	}
	return o, nil
}

// statusOf is a hazard's latest status change as recorded on it.
func statusOf(h *mapping.Hazard) mapping.HazardStatusChange {
	return mapping.HazardStatusChange{HazardID: h.ID, Status: h.Status, Note: h.StatusNote, Handler: h.StatusBy, At: h.StatusAt}
}

func (s *sqlStore) setStatus(ctx context.Context, tx *sql.Tx, key string, ch mapping.HazardStatusChange, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE hazards SET status = ?, status_note = ?, status_by = ?, status_at = ?,
    closed_on = ?, modified_at = ? WHERE hazard_key = ?`),
		string(ch.Status), ch.Note, ch.Handler, millis(ch.At), closedOn(ch.Status, ch.At, now), millis(now), key)
	if err != nil {
		return fmt.Errorf("ledger hazard status: %w", err)
	}
	return nil
}

// insertStatusChange adds a change to the history unless the same change is there; it reports
// whether it added one.
func (s *sqlStore) insertStatusChange(ctx context.Context, tx *sql.Tx, key, side string, state PushState, ch mapping.HazardStatusChange, now time.Time) error {
	_, err := s.addStatusChange(ctx, tx, key, side, state, ch, now)
	return err
}

func (s *sqlStore) addStatusChange(ctx context.Context, tx *sql.Tx, key, side string, state PushState, ch mapping.HazardStatusChange, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO hazard_status_changes (hazard_key, side, status, note, handler, changed_at,
    content_hash, push_state, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (hazard_key, side, content_hash) DO NOTHING`),
		key, side, string(ch.Status), ch.Note, ch.Handler, millis(ch.At), statusChangeHash(&ch), string(state), millis(now))
	if err != nil {
		return false, fmt.Errorf("ledger hazard history: %w", err)
	}
	n, err := affected(res)
	return n == 1, err
}

func (s *sqlStore) RecordHazardStatus(ctx context.Context, id string, ch mapping.HazardStatusChange) (HazardStatusRecord, bool, error) {
	var rec HazardStatusRecord
	var created bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := s.hazardByKey(ctx, tx, id)
		if err != nil {
			return err
		}
		key := cur.Key()
		now := s.now()
		hash := statusChangeHash(&ch)
		var known int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM hazard_status_changes WHERE hazard_key = ? AND side = ? AND content_hash = ?`),
			key, SideStreet, hash).Scan(&known); err != nil {
			return fmt.Errorf("ledger hazard history: %w", err)
		}
		if known == 0 {
			if ps := mapping.ValidateStatusMove(cur.Status, ch.Status); ps.HasErrors() {
				return fmt.Errorf("%w: %s", ErrStatusMove, ps.Errors().Error())
			}
			if created, err = s.addStatusChange(ctx, tx, key, SideStreet, PushPending, ch, now); err != nil {
				return err
			}
			if err := s.setStatus(ctx, tx, key, ch, now); err != nil {
				return err
			}
		}
		rec, err = scanStatusChange(tx.QueryRowContext(ctx, s.q(`SELECT `+statusCols+` FROM hazard_status_changes c
JOIN hazards h ON h.hazard_key = c.hazard_key WHERE c.hazard_key = ? AND c.side = ? AND c.content_hash = ?`), key, SideStreet, hash))
		if err != nil {
			return fmt.Errorf("ledger hazard history: %w", err)
		}
		return nil
	})
	return rec, created, err
}

// --- platform writes ---

func (s *sqlStore) RecordPlatformHazards(ctx context.Context, batch []mapping.Hazard, seenAt time.Time) ([]HazardComparison, error) {
	var out []HazardComparison
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = make([]HazardComparison, len(batch))
		var ids []string
		for i := range batch {
			ids = append(ids, batch[i].Key())
			if batch[i].ID != "" {
				ids = append(ids, batch[i].ID)
			}
		}
		known, err := s.hazardLookup(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range batch {
			c, err := s.recordPlatformHazard(ctx, tx, known, &batch[i], seenAt)
			if err != nil {
				return err
			}
			out[i] = c
		}
		return nil
	})
	return out, err
}

// hazardLookup is hazardByKey for a batch, in its transaction: the batch's hazards are read with
// two queries a chunk (by key, by platform id) before the batch is recorded, instead of up to
// four round trips a hazard — a city's first pull of 22 600 hazards waited 11 s on PostgreSQL for
// them. A hazard the batch writes is read again from the transaction when asked for after.
type hazardLookup struct {
	s            *sqlStore
	tx           *sql.Tx
	byKey, byPID map[string]HazardRecord
	asked        map[string]bool // every id read ahead: absent from both maps means no such hazard
	written      map[string]bool // keys and platform ids the batch has written since
}

func (s *sqlStore) hazardLookup(ctx context.Context, tx *sql.Tx, ids []string) (*hazardLookup, error) {
	l := &hazardLookup{s: s, tx: tx, byKey: map[string]HazardRecord{}, byPID: map[string]HazardRecord{},
		asked: map[string]bool{}, written: map[string]bool{}}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	err := keyChunks(ids, func(chunk []string) error {
		err := s.hazardsByIDs(ctx, tx, chunk, func(r HazardRecord) {
			l.byKey[r.Key()] = r
			if r.ID != "" {
				l.byPID[r.ID] = r
			}
		})
		if err != nil {
			return err
		}
		for _, id := range chunk {
			l.asked[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger read hazards: %w", err)
	}
	return l, nil
}

// get is hazardByKey(id).
func (l *hazardLookup) get(ctx context.Context, id string) (HazardRecord, error) {
	if !l.asked[id] || l.written[id] {
		return l.s.hazardByKey(ctx, l.tx, id)
	}
	r, ok := l.byKey[id]
	if !ok && id != "" {
		r, ok = l.byPID[id]
	}
	switch {
	case !ok:
		return HazardRecord{}, fmt.Errorf("hazard %s: %w", id, ErrNotFound)
	case l.written[r.Key()] || l.written[r.ID]:
		return l.s.hazardByKey(ctx, l.tx, id)
	}
	return r, nil
}

// wrote marks what recording a hazard may have changed: its key and its platform id.
func (l *hazardLookup) wrote(ids ...string) {
	for _, id := range ids {
		if id != "" {
			l.written[id] = true
		}
	}
}

func (s *sqlStore) recordPlatformHazard(ctx context.Context, tx *sql.Tx, known *hazardLookup, p *mapping.Hazard, seenAt time.Time) (HazardComparison, error) {
	now := s.now()
	hash := hazardReporterHash(p)
	view := encodeReporter(p)
	status := p.Status
	if status == "" {
		status = mapping.HazardPending
	}
	key := p.Key()
	defer func() { known.wrote(key, p.ID) }() // key: the row written, found by whichever id
	cur, err := known.get(ctx, key)
	if errors.Is(err, ErrNotFound) && p.ID != "" && key != p.ID {
		cur, err = known.get(ctx, p.ID)
	}
	if errors.Is(err, ErrNotFound) && p.StreetID == "" && p.Source != mapping.SourceEnterprise {
		// A street hazard the platform holds without the street's id (a ledger row written
		// without 隐患编号, reported by hand on the portal): the ledger's row of the same
		// enterprise, day and description is that hazard, not a second one to create.
		var match string
		qerr := tx.QueryRowContext(ctx, s.q(`SELECT hazard_key FROM hazards WHERE platform_id = '' AND street_id <> ''
AND uscc = ? AND found_on = ? AND description = ? ORDER BY hazard_key LIMIT 1`), p.USCC, p.FoundOn.String(), p.Description).Scan(&match)
		switch {
		case qerr == nil:
			cur, err = s.hazardByKey(ctx, tx, match)
		case !errors.Is(qerr, sql.ErrNoRows):
			return HazardComparison{}, fmt.Errorf("ledger match platform hazard: %w", qerr)
		}
	}
	if errors.Is(err, ErrNotFound) {
		var street, accepted string
		var acceptedAt int64
		if p.StreetID != "" {
			// The street's own hazard the ledger does not hold (lost, or reported elsewhere):
			// the platform's version is the accepted one.
			street, accepted, acceptedAt = hash, hash, millis(seenAt)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO hazards (hazard_key, street_id, platform_id, uscc, enterprise_id,
    enterprise_name, region_code, source, level, clause, description, location, found_on, found_by, deadline,
    responsible, measures, status, status_note, status_by, status_at, closed_on, street_hash, accepted_hash,
    accepted_at, platform_reported, platform_hash, platform_status, platform_updated_at, created_at, modified_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			key, p.StreetID, p.ID, p.USCC, p.EnterpriseID, p.EnterpriseName, p.RegionCode, string(p.Source),
			string(p.Level), p.Clause, p.Description, p.Location, p.FoundOn.String(), p.FoundBy, p.Deadline.String(),
			p.Responsible, p.Measures, string(status), p.StatusNote, p.StatusBy, millis(p.StatusAt),
			closedOn(status, p.StatusAt, seenAt), street, accepted, acceptedAt, view, hash, string(status),
			millis(p.UpdatedAt), millis(now), millis(now))
		if err != nil {
			return HazardComparison{}, fmt.Errorf("ledger insert platform hazard: %w", err)
		}
		if status != mapping.HazardPending || !p.StatusAt.IsZero() {
			if err := s.insertStatusChange(ctx, tx, key, SidePlatform, "", statusOf(p), now); err != nil {
				return HazardComparison{}, err
			}
		}
		return HazardComparison{Outcome: OutcomeInserted}, nil
	}
	if err != nil {
		return HazardComparison{}, err
	}
	key = cur.Key()
	c := HazardComparison{Outcome: OutcomeUnchanged}
	changed := cur.ID != p.ID || cur.PlatformHash != hash || cur.PlatformStatus != status ||
		!cur.UpdatedAt.Equal(p.UpdatedAt) || cur.EnterpriseID != p.EnterpriseID
	if cur.StreetID == "" {
		// An enterprise's own report: the platform's record, whole.
		if changed || cur.StreetHash != "" {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE hazards SET uscc = ?, region_code = ?, source = ?, level = ?, clause = ?,
    description = ?, location = ?, found_on = ?, found_by = ?, deadline = ?, responsible = ?, measures = ?
    WHERE hazard_key = ?`), p.USCC, p.RegionCode, string(p.Source), string(p.Level), p.Clause, p.Description,
				p.Location, p.FoundOn.String(), p.FoundBy, p.Deadline.String(), p.Responsible, p.Measures, key)
			if err != nil {
				return c, fmt.Errorf("ledger update platform hazard: %w", err)
			}
		}
	} else {
		accepted := cur.AcceptedHash
		if accepted == "" && hash == cur.StreetHash {
			accepted = hash // both sides agree: that is the accepted version
		}
		st := hazardState(cur.StreetHash, accepted, hash)
		c.State = st
		if accepted != cur.AcceptedHash {
			changed = true
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE hazards SET accepted_hash = ?, accepted_at = ? WHERE hazard_key = ?`),
				accepted, millis(seenAt), key); err != nil {
				return c, fmt.Errorf("ledger update platform hazard: %w", err)
			}
		}
	}
	if changed {
		c.Outcome = OutcomeUpdated
		_, err = tx.ExecContext(ctx, s.q(`UPDATE hazards SET platform_id = ?, enterprise_id = ?, enterprise_name = ?,
    platform_reported = ?, platform_hash = ?, platform_status = ?, platform_updated_at = ?, modified_at = ?
    WHERE hazard_key = ?`), p.ID, p.EnterpriseID, p.EnterpriseName, view, hash, string(status), millis(p.UpdatedAt),
			millis(now), key)
		if err != nil {
			return c, fmt.Errorf("ledger update platform hazard: %w", err)
		}
	}
	if cur.Status.MoveTo(status) == mapping.MoveForward {
		c.StatusPulled = true
		if err := s.setStatus(ctx, tx, key, statusOf(p), seenAt); err != nil {
			return c, err
		}
	}
	if !changed {
		return c, nil // the platform's record as last seen: no new status change, nothing passed
	}
	if status != mapping.HazardPending || !p.StatusAt.IsZero() {
		if err := s.insertStatusChange(ctx, tx, key, SidePlatform, "", statusOf(p), now); err != nil {
			return c, err
		}
	}
	// A pending street change the platform has passed would only be refused (40903): settled here.
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, status FROM hazard_status_changes WHERE hazard_key = ? AND side = ? AND push_state = 'pending'`),
		key, SideStreet)
	if err != nil {
		return c, fmt.Errorf("ledger hazard history: %w", err)
	}
	var passed []int64
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return c, fmt.Errorf("ledger hazard history: %w", err)
		}
		// Passed: behind the platform's status, or 已销号 on a hazard the platform closed too
		// (nothing follows a closing; another note on it would be refused).
		if move := status.MoveTo(mapping.HazardStatus(st)); move == mapping.MoveBackward ||
			move == mapping.MoveSame && status == mapping.HazardClosed {
			passed = append(passed, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("ledger hazard history: %w", err)
	}
	for _, id := range passed {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE hazard_status_changes SET push_state = ?, push_message = ?, pushed_at = ? WHERE id = ?`),
			string(PushRejected), fmt.Sprintf(msgStatusPassed, status.Label()), millis(now), id); err != nil {
			return c, fmt.Errorf("ledger hazard history: %w", err)
		}
	}
	return c, nil
}

// msgStatusPassed is the reason a pending street status change is not pushed: the platform's
// status is already further.
const msgStatusPassed = "平台上该隐患已是“%s”，此状态变更不再推送（以更靠后的状态为准）"

func (s *sqlStore) MarkHazardCreated(ctx context.Context, key, yhid string, pushed mapping.Hazard, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		cur, err := s.hazardByKey(ctx, tx, key)
		if err != nil {
			return err
		}
		hash := hazardReporterHash(&pushed)
		status := pushed.Status
		if status == "" {
			status = mapping.HazardPending
		}
		pstatus := cur.PlatformStatus
		if pstatus.MoveTo(status) == mapping.MoveForward || pstatus == "" {
			pstatus = status
		}
		view, phash := encodeReporter(&pushed), hash
		if cur.PlatformHash != "" {
			view, phash = encodeReporter(cur.Platform), cur.PlatformHash
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE hazards SET platform_id = ?, accepted_hash = ?, accepted_at = ?,
    platform_reported = ?, platform_hash = ?, platform_status = ?, modified_at = ? WHERE hazard_key = ?`),
			yhid, hash, millis(at), view, phash, string(pstatus), millis(s.now()), cur.Key())
		if err != nil {
			return fmt.Errorf("ledger hazard created: %w", err)
		}
		// The create carried the status: the street changes up to it went with it.
		_, err = tx.ExecContext(ctx, s.q(`UPDATE hazard_status_changes SET push_state = ?, pushed_at = ?
WHERE hazard_key = ? AND side = ? AND push_state = 'pending' AND status <= ?`),
			string(PushAccepted), millis(at), cur.Key(), SideStreet, string(status))
		if err != nil {
			return fmt.Errorf("ledger hazard created: %w", err)
		}
		return nil
	})
}

// --- figures ---

func (s *sqlStore) HazardFigures(ctx context.Context, today mapping.Date) (ClearingFigures, error) {
	var out ClearingFigures
	months := make([]mapping.Date, 12) // the last day of each of the last 12 months, oldest first
	for i := range months {
		first := time.Date(today.Year, today.Month-time.Month(11-i)+1, 1, 0, 0, 0, 0, time.UTC)
		months[i] = mapping.DateOf(first.AddDate(0, 0, -1))
	}
	months[11] = today
	newFigures := func(c string) *CommunityFigures {
		f := &CommunityFigures{Community: c, Monthly: make([]MonthCount, 12)}
		for i, m := range months {
			f.Monthly[i].Month = m.String()[:7]
		}
		return f
	}
	total := newFigures("")
	byCommunity := map[string]*CommunityFigures{}
	var order []string
	for r, err := range s.Hazards(ctx, HazardFilter{Level: mapping.HazardMajor}) {
		if err != nil {
			return out, err
		}
		f := byCommunity[r.Community]
		if f == nil {
			f = newFigures(r.Community)
			byCommunity[r.Community] = f
			order = append(order, r.Community)
		}
		for _, x := range []*CommunityFigures{total, f} {
			switch {
			case r.Open() && r.FoundOn.Year < today.Year:
				x.Stock++
			case r.Open():
				x.Increment++
			case r.ClosedOn.Year == today.Year && r.ClosedOn.Month == today.Month:
				x.ClosedThisMonth++
			}
			if r.Overdue(today) {
				x.Overdue++
			}
			for i, end := range months {
				if !r.FoundOn.IsZero() && !end.Before(r.FoundOn) && (r.ClosedOn.IsZero() || end.Before(r.ClosedOn)) &&
					(r.Open() || !r.ClosedOn.IsZero()) {
					x.Monthly[i].Open++
				}
			}
		}
	}
	out.Total = *total
	out.Communities = make([]CommunityFigures, 0, len(order))
	for _, c := range sortedStrings(order) {
		out.Communities = append(out.Communities, *byCommunity[c])
	}
	return out, nil
}

func sortedStrings(xs []string) []string {
	out := append([]string(nil), xs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// --- inspections and drills ---

func inspectionHash(in *mapping.Inspection) string {
	x := hasher{b: make([]byte, 0, 128)}
	x.add("ledger.inspection/v1", "")
	for _, kv := range [][2]string{{"uscc", in.USCC}, {"name", in.EnterpriseName}, {"date", in.Date.String()},
		{"type", string(in.Type)}, {"ledBy", in.LedBy}, {"found", strconv.Itoa(in.HazardsFound)}} {
		x.add(kv[0], kv[1])
	}
	return x.sum()
}

var inspectionUpsert = upsertSpec{
	table:   "inspections",
	keyCols: []string{"id"},
	insert: `INSERT INTO inspections (id, uscc, enterprise_name, inspected_on, type, led_by, hazards_found,
    source_updated_at, content_hash, created_at, modified_at) VALUES`,
	row: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	conflict: `ON CONFLICT (id) DO UPDATE SET uscc = excluded.uscc, enterprise_name = excluded.enterprise_name,
    inspected_on = excluded.inspected_on, type = excluded.type, led_by = excluded.led_by,
    hazards_found = excluded.hazards_found, source_updated_at = excluded.source_updated_at,
    content_hash = excluded.content_hash, modified_at = excluded.modified_at`,
}

func (s *sqlStore) UpsertInspections(ctx context.Context, batch []mapping.Inspection) ([]Outcome, error) {
	now := millis(s.now())
	return s.upsertBatch(ctx, &inspectionUpsert, len(batch),
		func(i int) ([]any, string) { return []any{batch[i].ID}, inspectionHash(&batch[i]) },
		func(i int, hash string) []any {
			in := &batch[i]
			return []any{in.ID, in.USCC, in.EnterpriseName, in.Date.String(), string(in.Type), in.LedBy,
				in.HazardsFound, millis(in.UpdatedAt), hash, now, now}
		}, nil, false)
}

func (s *sqlStore) Inspections(ctx context.Context, f InspectionFilter) iter.Seq2[mapping.Inspection, error] {
	var where []string
	var args []any
	if f.USCC != "" {
		where, args = append(where, "uscc = ?"), append(args, f.USCC)
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, string(f.Type))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "inspected_on >= ?"), append(args, f.Since.String())
	}
	return stream(ctx, s, `SELECT id, uscc, enterprise_name, inspected_on, type, led_by, hazards_found, source_updated_at
FROM inspections`+whereClause(where)+` ORDER BY uscc, inspected_on, id`, args, func(rows *sql.Rows) (mapping.Inspection, error) {
		var in mapping.Inspection
		var date, typ string
		var updated int64
		if err := rows.Scan(&in.ID, &in.USCC, &in.EnterpriseName, &date, &typ, &in.LedBy, &in.HazardsFound, &updated); err != nil {
			return in, err
		}
		in.Type = mapping.InspectionType(typ)
		if updated != 0 {
			in.UpdatedAt = fromMillis(updated).In(mapping.Beijing())
		}
		var err error
		in.Date, err = parseDate(date)
		return in, err
	})
}

func drillHash(d *mapping.Drill) string {
	x := hasher{b: make([]byte, 0, 64)}
	x.add("ledger.drill/v1", "")
	x.add("participants", strconv.Itoa(d.Participants))
	x.add("remark", d.Remark)
	return x.sum()
}

var drillUpsert = upsertSpec{
	table:   "drills",
	keyCols: []string{"uscc", "drilled_on", "type"},
	insert:  `INSERT INTO drills (uscc, drilled_on, type, participants, remark, content_hash, created_at, modified_at) VALUES`,
	row:     `(?, ?, ?, ?, ?, ?, ?, ?)`,
	conflict: `ON CONFLICT (uscc, drilled_on, type) DO UPDATE SET participants = excluded.participants,
    remark = excluded.remark, content_hash = excluded.content_hash, modified_at = excluded.modified_at`,
}

func (s *sqlStore) UpsertDrills(ctx context.Context, batch []mapping.Drill, dry bool) ([]Outcome, error) {
	now := millis(s.now())
	return s.upsertBatch(ctx, &drillUpsert, len(batch),
		func(i int) ([]any, string) {
			d := &batch[i]
			return []any{d.USCC, d.Date.String(), string(d.Type)}, drillHash(d)
		},
		func(i int, hash string) []any {
			d := &batch[i]
			return []any{d.USCC, d.Date.String(), string(d.Type), d.Participants, d.Remark, hash, now, now}
		}, nil, dry)
}

func (s *sqlStore) Drills(ctx context.Context, f DrillFilter) iter.Seq2[mapping.Drill, error] {
	var where []string
	var args []any
	if f.USCC != "" {
		where, args = append(where, "uscc = ?"), append(args, f.USCC)
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, string(f.Type))
	}
	return stream(ctx, s, `SELECT uscc, drilled_on, type, participants, remark FROM drills`+whereClause(where)+
		` ORDER BY uscc, drilled_on, type`, args, func(rows *sql.Rows) (mapping.Drill, error) {
		var d mapping.Drill
		var date, typ string
		if err := rows.Scan(&d.USCC, &date, &typ, &d.Participants, &d.Remark); err != nil {
			return d, err
		}
		d.Type = mapping.DrillType(typ)
		var err error
		d.Date, err = parseDate(date)
		return d, err
	})
}
