package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"streetsync/mapping"
)

var alarmUpsert = upsertSpec{
	table:   "alarms",
	keyCols: []string{"id"},
	insert: `INSERT INTO alarms (id, platform_id, uscc, enterprise_name, point_code, point_name, quantity, unit, value,
    threshold, type, level, raised_at, recovered_at, handling_status, handling_note, handler, handled_at,
    source_updated_at, content_hash, created_at, modified_at) VALUES`,
	row: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	conflict: `ON CONFLICT (id) DO UPDATE SET
    platform_id = excluded.platform_id, uscc = excluded.uscc, enterprise_name = excluded.enterprise_name,
    point_code = excluded.point_code, point_name = excluded.point_name, quantity = excluded.quantity,
    unit = excluded.unit, value = excluded.value, threshold = excluded.threshold, type = excluded.type,
    level = excluded.level, raised_at = excluded.raised_at, recovered_at = excluded.recovered_at,
    handling_status = excluded.handling_status, handling_note = excluded.handling_note,
    handler = excluded.handler, handled_at = excluded.handled_at, source_updated_at = excluded.source_updated_at,
    content_hash = excluded.content_hash, modified_at = excluded.modified_at`,
}

func (s *sqlStore) UpsertAlarms(ctx context.Context, batch []mapping.Alarm) ([]Outcome, error) {
	now := millis(s.now())
	return s.upsertBatch(ctx, &alarmUpsert, len(batch),
		func(i int) ([]any, string) { return []any{batch[i].ID}, alarmHash(&batch[i]) },
		func(i int, hash string) []any {
			a := &batch[i]
			return []any{a.ID, a.PlatformID, a.USCC, a.EnterpriseName, a.PointCode, a.PointName, a.Quantity, a.Unit,
				a.Value, a.Threshold, a.Type, int64(a.Level), millis(a.RaisedAt), millis(a.RecoveredAt),
				a.HandlingStatus, a.HandlingNote, a.Handler, millis(a.HandledAt), millis(a.UpdatedAt),
				hash, now, now}
		}, nil, false)
}

const alarmCols = `a.id, a.platform_id, a.uscc, a.enterprise_name, a.point_code, a.point_name, a.quantity, a.unit,
    a.value, a.threshold, a.type, a.level, a.raised_at, a.recovered_at, a.handling_status, a.handling_note,
    a.handler, a.handled_at, a.source_updated_at`

// scanAlarm reads alarmCols, then extra columns into extra.
func scanAlarm(sc scanner, extra ...any) (mapping.Alarm, error) {
	var a mapping.Alarm
	var level, raised, recovered, handled, updated int64
	if err := sc.Scan(append([]any{&a.ID, &a.PlatformID, &a.USCC, &a.EnterpriseName, &a.PointCode, &a.PointName, &a.Quantity,
		&a.Unit, &a.Value, &a.Threshold, &a.Type, &level, &raised, &recovered, &a.HandlingStatus, &a.HandlingNote,
		&a.Handler, &handled, &updated}, extra...)...); err != nil {
		return a, err
	}
	a.Level = int(level)
	a.RaisedAt, a.RecoveredAt = fromMillis(raised), fromMillis(recovered)
	a.HandledAt, a.UpdatedAt = fromMillis(handled), fromMillis(updated)
	return a, nil
}

func (s *sqlStore) AlarmByID(ctx context.Context, id string) (mapping.Alarm, error) {
	a, err := scanAlarm(s.r.QueryRowContext(ctx, s.q(`SELECT `+alarmCols+` FROM alarms a WHERE a.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("alarm %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("ledger read alarm: %w", err)
	}
	return a, nil
}

func (s *sqlStore) Alarms(ctx context.Context, f AlarmFilter) iter.Seq2[mapping.Alarm, error] {
	where, args := alarmWhere(f)
	order := " ORDER BY a.raised_at, a.id"
	if f.NewestFirst {
		order = " ORDER BY a.raised_at DESC, a.id DESC"
	}
	if f.Limit > 0 {
		order += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return stream(ctx, s, `SELECT `+alarmCols+` FROM alarms a`+whereClause(where)+order, args,
		func(rows *sql.Rows) (mapping.Alarm, error) { return scanAlarm(rows) })
}

// alarmWhere is the selection of f's fields but the order and the limit, for table alias a.
func alarmWhere(f AlarmFilter) ([]string, []any) {
	var where []string
	var args []any
	if !f.From.IsZero() {
		where, args = append(where, "a.raised_at >= ?"), append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "a.raised_at < ?"), append(args, millis(f.To))
	}
	if f.USCC != "" {
		where, args = append(where, "a.uscc = ?"), append(args, f.USCC)
	}
	if f.Community != "" {
		where, args = append(where, "a.uscc IN (SELECT uscc FROM enterprises WHERE community = ?)"), append(args, f.Community)
	}
	if f.ActiveOnly {
		where = append(where, "a.recovered_at = 0")
	}
	if f.Unhandled {
		where = append(where, "a.handling_status <> '2'")
	}
	return where, args
}

const feedbackCols = `id, alarm_id, status, note, handler, handled_at, push_state, push_message, recorded_at, pushed_at`

func scanFeedback(sc scanner) (FeedbackRecord, error) {
	var f FeedbackRecord
	var handled, recorded, pushed int64
	var state string
	if err := sc.Scan(&f.ID, &f.AlarmID, &f.Status, &f.Note, &f.Handler, &handled, &state, &f.Message, &recorded, &pushed); err != nil {
		return f, err
	}
	f.State = PushState(state)
	f.HandledAt, f.RecordedAt, f.PushedAt = fromMillis(handled), fromMillis(recorded), fromMillis(pushed)
	return f, nil
}

func (s *sqlStore) RecordAlarmFeedback(ctx context.Context, fb mapping.AlarmFeedback) (FeedbackRecord, bool, error) {
	var rec FeedbackRecord
	var created bool
	h := feedbackHash(&fb)
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO alarm_feedback (alarm_id, status, note, handler, handled_at,
    content_hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (alarm_id, content_hash) DO NOTHING`), fb.AlarmID, fb.Status, fb.Note, fb.Handler, millis(fb.HandledAt), h, millis(s.now()))
		if err != nil {
			return fmt.Errorf("ledger record feedback: %w", err)
		}
		n, err := affected(res)
		if err != nil {
			return err
		}
		created = n == 1
		rec, err = scanFeedback(tx.QueryRowContext(ctx, s.q(`SELECT `+feedbackCols+` FROM alarm_feedback
WHERE alarm_id = ? AND content_hash = ?`), fb.AlarmID, h))
		if err != nil {
			return fmt.Errorf("ledger record feedback: %w", err)
		}
		return nil
	})
	return rec, created, err
}

func (s *sqlStore) feedbackList(ctx context.Context, query string, args ...any) ([]FeedbackRecord, error) {
	var out []FeedbackRecord
	for f, err := range stream(ctx, s, query, args, func(rows *sql.Rows) (FeedbackRecord, error) { return scanFeedback(rows) }) {
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *sqlStore) PendingAlarmFeedback(ctx context.Context, limit int) ([]FeedbackRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	return s.feedbackList(ctx, `SELECT `+feedbackCols+` FROM alarm_feedback WHERE push_state = 'pending' ORDER BY id LIMIT ?`, limit)
}

func (s *sqlStore) AlarmFeedback(ctx context.Context, alarmID string) ([]FeedbackRecord, error) {
	return s.feedbackList(ctx, `SELECT `+feedbackCols+` FROM alarm_feedback WHERE alarm_id = ? ORDER BY id`, alarmID)
}

func (s *sqlStore) MarkFeedbackAccepted(ctx context.Context, id int64, at time.Time) error {
	return s.setFeedbackState(ctx, id, PushAccepted, "", at)
}

func (s *sqlStore) MarkFeedbackRejected(ctx context.Context, id int64, message string, at time.Time) error {
	return s.setFeedbackState(ctx, id, PushRejected, message, at)
}

func (s *sqlStore) setFeedbackState(ctx context.Context, id int64, state PushState, message string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE alarm_feedback SET push_state = ?, push_message = ?, pushed_at = ? WHERE id = ?`),
			string(state), message, millis(at), id)
		if err != nil {
			return fmt.Errorf("ledger feedback state: %w", err)
		}
		n, err := affected(res)
		if err == nil && n == 0 {
			err = fmt.Errorf("feedback %d: %w", id, ErrNotFound)
		}
		return err
	})
}
