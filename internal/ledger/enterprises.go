package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"streetsync/mapping"
)

// enterpriseUpsert writes the street's columns. A row that says 待核实 (PendingReview: a workbook
// row exported that way) leaves the stored flag as it is — a new one is stored pending — and
// every other row confirms the enterprise. An empty region code keeps the stored one.
var enterpriseUpsert = upsertSpec{
	table:   "enterprises",
	keyCols: []string{enterpriseKey},
	flagCol: "pending_review",
	insert: `INSERT INTO enterprises (` + columnList(streetFields) + `, warnings, content_hash, street_hash,
    pending_review, created_at, modified_at) VALUES`,
	row: `(` + placeholders(len(streetFields)+6, 1) + `)`,
	conflict: `ON CONFLICT (` + enterpriseKey + `) DO UPDATE SET ` + streetUpdates() + `,
    warnings = excluded.warnings, content_hash = excluded.content_hash, street_hash = excluded.street_hash,
    pending_review = CASE WHEN excluded.pending_review = 1 THEN enterprises.pending_review ELSE 0 END,
    modified_at = excluded.modified_at`,
}

// streetUpdates sets every street column but the key from the incoming row.
func streetUpdates() string {
	var sets []string
	for _, f := range streetFields {
		switch f.Ledger {
		case enterpriseKey:
		case "region_code": // set from the config where the ledger holds none: empty keeps it
			sets = append(sets, "region_code = COALESCE(NULLIF(excluded.region_code, ''), enterprises.region_code)")
		default:
			sets = append(sets, f.Ledger+" = excluded."+f.Ledger)
		}
	}
	return strings.Join(sets, ",\n    ")
}

func (s *sqlStore) UpsertEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error) {
	return s.upsertEnterprises(ctx, batch, false)
}

func (s *sqlStore) CompareEnterprises(ctx context.Context, batch []EnterpriseInput) ([]Outcome, error) {
	return s.upsertEnterprises(ctx, batch, true)
}

func (s *sqlStore) upsertEnterprises(ctx context.Context, batch []EnterpriseInput, dry bool) ([]Outcome, error) {
	now := millis(s.now())
	street := make([]string, len(batch)) // computed once per record: the costliest part of a row
	return s.upsertBatch(ctx, &enterpriseUpsert, len(batch),
		func(i int) ([]any, string) {
			street[i] = streetHash(&batch[i].Enterprise)
			return []any{batch[i].USCC}, contentHashOf(street[i], batch[i].Remark)
		},
		func(i int, hash string) []any {
			e := &batch[i].Enterprise
			args := appendColumnValues(make([]any, 0, len(streetFields)+6), streetFields, e)
			return append(args, encodeProblems(batch[i].Warnings), hash, street[i], flag(e.PendingReview), now, now)
		},
		func(i int) bool { return batch[i].PendingReview }, dry)
}

// enterpriseCols are the columns scanEnterprise reads: the fields', then the bookkeeping.
var enterpriseCols = columnList(enterpriseFields) + `, warnings, street_hash, accepted_hash, accepted_at,
    platform_street, platform_hash, platform_view_at, created_at, modified_at`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEnterprise(sc scanner) (EnterpriseRecord, error) {
	var r EnterpriseRecord
	e := &r.Enterprise
	var fs fieldScan
	var warnings, platformStreet string
	var acceptedAt, viewAt, created, modified int64
	dest := append(fs.dests(e), &warnings, &r.StreetHash, &r.AcceptedHash, &acceptedAt, &platformStreet,
		&r.PlatformHash, &viewAt, &created, &modified)
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.AcceptedAt = fromMillis(acceptedAt)
	r.PlatformViewAt = fromMillis(viewAt)
	r.CreatedAt = fromMillis(created)
	r.ModifiedAt = fromMillis(modified)
	var errs [3]error
	errs[0] = fs.load(e)
	r.Warnings, errs[1] = decodeProblems(warnings)
	r.Platform, errs[2] = decodeStreetView(e.USCC, platformStreet)
	if err := errors.Join(errs[:]...); err != nil {
		return r, fmt.Errorf("enterprise %s: %w", e.USCC, err)
	}
	return r, nil
}

func (s *sqlStore) EnterpriseByUSCC(ctx context.Context, uscc string) (EnterpriseRecord, error) {
	r, err := scanEnterprise(s.r.QueryRowContext(ctx, s.q(`SELECT `+enterpriseCols+` FROM enterprises WHERE uscc = ?`), uscc))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("enterprise %s: %w", uscc, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("ledger read enterprise: %w", err)
	}
	return r, nil
}

func (s *sqlStore) Enterprises(ctx context.Context, f EnterpriseFilter) iter.Seq2[EnterpriseRecord, error] {
	var where []string
	var args []any
	if f.ChangedSinceAccepted {
		where = append(where, "street_hash <> accepted_hash")
	}
	if f.PendingReview {
		where = append(where, "pending_review = 1")
	}
	if f.Community != "" {
		where = append(where, "community = ?")
		args = append(args, f.Community)
	}
	return stream(ctx, s, `SELECT `+enterpriseCols+` FROM enterprises`+whereClause(where)+` ORDER BY uscc`, args,
		func(rows *sql.Rows) (EnterpriseRecord, error) { return scanEnterprise(rows) })
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (s *sqlStore) ConfirmEnterprise(ctx context.Context, uscc string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE enterprises SET pending_review = 0, modified_at = ? WHERE uscc = ?`), millis(s.now()), uscc)
		if err != nil {
			return fmt.Errorf("ledger confirm enterprise: %w", err)
		}
		if n, err := affected(res); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("enterprise %s: %w", uscc, ErrNotFound)
			}
			return err
		}
		return nil
	})
}

// platformState is what the platform-side methods read before writing.
type platformState struct {
	streetHash, acceptedHash, platformHash string
	platformID, grade, gradeUntil          string
	riskMonitored, platformUpdatedAt       int64
}

func (s *sqlStore) platformStates(ctx context.Context, q querier, usccs []string) (map[string]platformState, error) {
	out := make(map[string]platformState, len(usccs))
	for start := 0; start < len(usccs); start += lookupChunk {
		chunk := usccs[start:min(start+lookupChunk, len(usccs))]
		args := make([]any, len(chunk))
		for i, u := range chunk {
			args[i] = u
		}
		err := func() error {
			rows, err := q.QueryContext(ctx, s.q(`SELECT uscc, street_hash, accepted_hash, platform_hash, platform_id, grade,
    grade_valid_until, risk_monitored, platform_updated_at FROM enterprises WHERE uscc IN (`+placeholders(len(chunk), 1)+`)`), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var u string
				var st platformState
				if err := rows.Scan(&u, &st.streetHash, &st.acceptedHash, &st.platformHash, &st.platformID, &st.grade,
					&st.gradeUntil, &st.riskMonitored, &st.platformUpdatedAt); err != nil {
					return err
				}
				out[u] = st
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("ledger read enterprises: %w", err)
		}
	}
	return out, nil
}

// platformOwned returns the platform-owned columns of e as stored, keeping the stored platform id
// when e carries none.
func platformOwned(e *mapping.Enterprise, st platformState) platformState {
	p := st
	if e.PlatformID != "" {
		p.platformID = e.PlatformID
	}
	p.grade = string(e.Grade)
	p.gradeUntil = e.GradeValidUntil.String()
	p.riskMonitored = flag(e.RiskMonitored)
	p.platformUpdatedAt = millis(e.UpdatedAt)
	return p
}

func (p platformState) sameOwned(q platformState) bool {
	return p.platformID == q.platformID && p.grade == q.grade && p.gradeUntil == q.gradeUntil &&
		p.riskMonitored == q.riskMonitored && p.platformUpdatedAt == q.platformUpdatedAt
}

func usccsOf(batch []mapping.Enterprise) []string {
	out := make([]string, len(batch))
	for i := range batch {
		out[i] = batch[i].USCC
	}
	return out
}

// adoptEnterprise adds an enterprise only the platform knows, flagged 待核实 (the remark and
// warnings are the street's and start empty).
var adoptEnterprise = `INSERT INTO enterprises (` + columnList(streetFields) + `, warnings, content_hash,
    street_hash, pending_review, platform_id, grade, grade_valid_until, risk_monitored, platform_updated_at,
    accepted_hash, accepted_at, platform_street, platform_hash, platform_view_at, created_at, modified_at)
VALUES (` + placeholders(len(streetFields), 1) + `, '', ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (uscc) DO NOTHING`

func (s *sqlStore) RecordPlatformEnterprises(ctx context.Context, batch []mapping.Enterprise, seenAt time.Time) ([]Comparison, error) {
	out := make([]Comparison, len(batch))
	if len(batch) == 0 {
		return out, nil
	}
	seen := millis(seenAt)
	err := s.write(ctx, func(tx *sql.Tx) error {
		states, err := s.platformStates(ctx, tx, usccsOf(batch))
		if err != nil {
			return err
		}
		now := millis(s.now())
		ups := s.platformUpdates(now)
		for i := range batch {
			e := &batch[i]
			ph := streetHash(e)
			st, known := states[e.USCC]
			if !known {
				// A platform-only enterprise: pulled in flagged 待核实, what the platform holds
				// being by definition what it accepted.
				owned := platformOwned(e, platformState{})
				adopted := *e
				adopted.Remark = "" // the street's own
				args := appendColumnValues(make([]any, 0, len(streetFields)+16), streetFields, &adopted)
				args = append(args, adoptedContentHash(e),
					ph, owned.platformID, owned.grade, owned.gradeUntil, owned.riskMonitored, owned.platformUpdatedAt,
					ph, seen, encodeStreetView(e), ph, seen, now, now)
				_, err := tx.ExecContext(ctx, s.q(adoptEnterprise), args...)
				if err != nil {
					return fmt.Errorf("ledger adopt enterprise %s: %w", e.USCC, err)
				}
				out[i] = Comparison{Outcome: OutcomeInserted, State: StateInSync}
				states[e.USCC] = platformState{streetHash: ph, acceptedHash: ph, platformHash: ph,
					platformID: owned.platformID, grade: owned.grade, gradeUntil: owned.gradeUntil,
					riskMonitored: owned.riskMonitored, platformUpdatedAt: owned.platformUpdatedAt}
				continue
			}
			next := platformOwned(e, st)
			next.platformHash = ph
			acceptedAt := int64(-1) // keep
			if st.streetHash == ph && st.acceptedHash != ph {
				// Both sides came to the same values (the portal was edited to match the ledger,
				// or an earlier push was accepted but its answer lost): that is the accepted
				// version now.
				next.acceptedHash = ph
				acceptedAt = seen
			}
			out[i].State = syncState(next.streetHash, next.acceptedHash, next.platformHash)
			if next == st {
				out[i].Outcome = OutcomeUnchanged
				continue
			}
			out[i].Outcome = OutcomeUpdated
			viewAt := int64(-1)
			view := ""
			if st.platformHash != ph {
				viewAt, view = seen, encodeStreetView(e)
			}
			if err := ups.add(ctx, tx, platformUpdate{e.USCC, next, view, viewAt, acceptedAt}); err != nil {
				return err
			}
			states[e.USCC] = next
		}
		return ups.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// platformUpdate is one enterprise's platform-side columns to write: view "" and the times -1
// keep the stored values.
type platformUpdate struct {
	uscc               string
	p                  platformState
	view               string
	viewAt, acceptedAt int64
}

// platformUpdates gathers a transaction's platformUpdates and writes them: on SQLite one
// statement each, on PostgreSQL arrayBatch to a statement (one UPDATE … FROM unnest), where a
// round trip each cost a city's first sync 97 000 of them. An enterprise updated twice writes
// what came before it first.
type platformUpdates struct {
	s    *sqlStore
	now  int64
	list []platformUpdate
	seen map[string]bool
}

func (s *sqlStore) platformUpdates(now int64) *platformUpdates {
	return &platformUpdates{s: s, now: now, seen: map[string]bool{}}
}

func (u *platformUpdates) add(ctx context.Context, tx *sql.Tx, up platformUpdate) error {
	if u.s.d.name == "sqlite" {
		return u.s.updatePlatformView(ctx, tx, up.uscc, up.p, up.view, up.viewAt, up.acceptedAt, u.now)
	}
	if u.seen[up.uscc] || len(u.list) == arrayBatch {
		if err := u.flush(ctx, tx); err != nil {
			return err
		}
	}
	u.seen[up.uscc] = true
	u.list = append(u.list, up)
	return nil
}

// flush writes what add gathered (PostgreSQL).
func (u *platformUpdates) flush(ctx context.Context, tx *sql.Tx) error {
	if len(u.list) == 0 {
		return nil
	}
	var text [7][]string // uscc, platform_id, grade, grade_valid_until, platform_hash, accepted_hash, view
	var ints [4][]int64  // risk_monitored, platform_updated_at, view_at, accepted_at
	for _, up := range u.list {
		for i, v := range [7]string{up.uscc, up.p.platformID, up.p.grade, up.p.gradeUntil, up.p.platformHash, up.p.acceptedHash, up.view} {
			text[i] = append(text[i], v)
		}
		for i, v := range [4]int64{up.p.riskMonitored, up.p.platformUpdatedAt, up.viewAt, up.acceptedAt} {
			ints[i] = append(ints[i], v)
		}
	}
	_, err := tx.ExecContext(ctx, u.s.q(`UPDATE enterprises AS e SET platform_id = v.platform_id, grade = v.grade,
    grade_valid_until = v.grade_until, risk_monitored = v.risk_monitored, platform_updated_at = v.platform_updated_at,
    platform_hash = v.platform_hash, accepted_hash = v.accepted_hash, modified_at = ?,
    platform_street = CASE WHEN v.view <> '' THEN v.view ELSE e.platform_street END,
    platform_view_at = CASE WHEN v.view <> '' THEN v.view_at ELSE e.platform_view_at END,
    accepted_at = CASE WHEN v.accepted_at >= 0 THEN v.accepted_at ELSE e.accepted_at END
FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::int8[])
    AS v(uscc, platform_id, grade, grade_until, platform_hash, accepted_hash, view, risk_monitored, platform_updated_at, view_at, accepted_at)
WHERE e.uscc = v.uscc`), u.now, text[0], text[1], text[2], text[3], text[4], text[5], text[6], ints[0], ints[1], ints[2], ints[3])
	if err != nil {
		return fmt.Errorf("ledger update %d enterprises: %w", len(u.list), err)
	}
	u.list = u.list[:0]
	clear(u.seen)
	return nil
}

// updatePlatformView writes the platform-side columns; view "" and the times -1 keep the stored
// values.
func (s *sqlStore) updatePlatformView(ctx context.Context, tx *sql.Tx, uscc string, p platformState, view string, viewAt, acceptedAt, now int64) error {
	q := `UPDATE enterprises SET platform_id = ?, grade = ?, grade_valid_until = ?, risk_monitored = ?,
    platform_updated_at = ?, platform_hash = ?, accepted_hash = ?, modified_at = ?`
	args := []any{p.platformID, p.grade, p.gradeUntil, p.riskMonitored, p.platformUpdatedAt, p.platformHash, p.acceptedHash, now}
	if view != "" {
		q += `, platform_street = ?, platform_view_at = ?`
		args = append(args, view, viewAt)
	}
	if acceptedAt >= 0 {
		q += `, accepted_at = ?`
		args = append(args, acceptedAt)
	}
	q += ` WHERE uscc = ?`
	args = append(args, uscc)
	if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
		return fmt.Errorf("ledger update enterprise %s: %w", uscc, err)
	}
	return nil
}

func (s *sqlStore) SetPlatformFields(ctx context.Context, batch []mapping.Enterprise) ([]Outcome, error) {
	out := make([]Outcome, len(batch))
	if len(batch) == 0 {
		return out, nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		states, err := s.platformStates(ctx, tx, usccsOf(batch))
		if err != nil {
			return err
		}
		ups := s.platformUpdates(millis(s.now()))
		for i := range batch {
			e := &batch[i]
			st, known := states[e.USCC]
			if !known {
				out[i] = OutcomeNotFound
				continue
			}
			next := platformOwned(e, st)
			if next.sameOwned(st) {
				out[i] = OutcomeUnchanged
				continue
			}
			out[i] = OutcomeUpdated
			if err := ups.add(ctx, tx, platformUpdate{e.USCC, next, "", -1, -1}); err != nil {
				return err
			}
			states[e.USCC] = next
		}
		return ups.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) MarkEnterprisesAccepted(ctx context.Context, batch []Acceptance) ([]Outcome, error) {
	out := make([]Outcome, len(batch))
	if len(batch) == 0 {
		return out, nil
	}
	usccs := make([]string, len(batch))
	for i := range batch {
		usccs[i] = batch[i].Pushed.USCC
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		states, err := s.platformStates(ctx, tx, usccs)
		if err != nil {
			return err
		}
		ups := s.platformUpdates(millis(s.now()))
		for i := range batch {
			a := &batch[i]
			st, known := states[a.Pushed.USCC]
			if !known {
				out[i] = OutcomeNotFound
				continue
			}
			h := streetHash(&a.Pushed)
			next := st
			if a.PlatformID != "" {
				next.platformID = a.PlatformID
			}
			next.acceptedHash, next.platformHash = h, h
			if next == st {
				out[i] = OutcomeUnchanged
				continue
			}
			out[i] = OutcomeUpdated
			view, viewAt := "", int64(-1)
			if st.platformHash != h {
				view, viewAt = encodeStreetView(&a.Pushed), millis(a.At)
			}
			if err := ups.add(ctx, tx, platformUpdate{a.Pushed.USCC, next, view, viewAt, millis(a.At)}); err != nil {
				return err
			}
			states[a.Pushed.USCC] = next
		}
		return ups.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// adoptedContentHash is the content hash of an enterprise adopted from the platform: its remark
// (the street's own) is empty.
func adoptedContentHash(e *mapping.Enterprise) string {
	c := *e
	c.Remark = ""
	return enterpriseContentHash(&c)
}
