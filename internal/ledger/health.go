package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"streetsync/mapping/mask"
)

// PlatformCalls is one process's observations of a platform's calls since its last report: the
// latest call that succeeded, and the failures after it (every failure of the batch when none
// succeeded). A call succeeded when the platform answered it — a refusal of the data included —
// and failed when no answer came or the platform could not serve it (5xx, 429, maintenance,
// refused credentials).
type PlatformCalls struct {
	Platform    string
	LastSuccess time.Time // zero: no call of the batch succeeded
	Failures    int       // failures after LastSuccess
	FailedSince time.Time // the first of them
	LastError   string    // Chinese, no secrets: what the last failure was
	LastErrorAt time.Time
}

// PlatformHealth is how a platform's calls have been going, across every process that reports.
type PlatformHealth struct {
	Platform    string    `json:"platform"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// FailingSince is the first failure of the current run of failures (zero: the last call
	// succeeded).
	FailingSince        time.Time   `json:"failingSince,omitzero"`
	ConsecutiveFailures int         `json:"consecutiveFailures"`
	LastError           string      `json:"lastError,omitempty"`
	LastErrorAt         time.Time   `json:"lastErrorAt,omitzero"`
	State               HealthState `json:"state"`
	StateText           string      `json:"stateText"`
}

// HealthState is a platform's state derived from its calls.
type HealthState string

const (
	// HealthOK: the last call succeeded.
	HealthOK HealthState = "ok"
	// HealthDegraded: calls are failing, but one succeeded shortly before the failures began.
	HealthDegraded HealthState = "degraded"
	// HealthUnavailable: nothing has succeeded since the failures began.
	HealthUnavailable HealthState = "unavailable"
	// HealthUnknown: no call to the platform observed yet (PlatformHealth lists only platforms
	// observed; a reader listing every platform fills in the others with it).
	HealthUnknown HealthState = "unknown"
)

// Text is the state as the office reads it.
func (h HealthState) Text() string {
	switch h {
	case HealthOK:
		return "正常"
	case HealthDegraded:
		return "降级"
	case HealthUnavailable:
		return "不可用"
	case HealthUnknown:
		return "未知"
	}
	return string(h)
}

// degradedWithin is how recent the last success must be, measured back from the latest failure,
// for failing calls to count as a degraded platform rather than an unavailable one: a burst of
// 429s or a few 50000s between successes is the first, a platform that answers nothing the
// second.
const degradedWithin = 15 * time.Minute

func healthState(h *PlatformHealth) HealthState {
	switch {
	case h.ConsecutiveFailures == 0:
		return HealthOK
	case !h.LastSuccess.IsZero() && h.LastErrorAt.Sub(h.LastSuccess) <= degradedWithin:
		return HealthDegraded
	}
	return HealthUnavailable
}

func (s *sqlStore) RecordPlatformCalls(ctx context.Context, batches []PlatformCalls) error {
	if len(batches) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		now := millis(s.now())
		for _, b := range batches {
			if b.Platform == "" {
				return errors.New("ledger platform calls: no platform")
			}
			if b.LastSuccess.IsZero() && b.Failures == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO platform_health (platform, updated_at) VALUES (?, ?)
ON CONFLICT (platform) DO NOTHING`), b.Platform, now); err != nil {
				return fmt.Errorf("ledger platform health: %w", err)
			}
			// A success in the batch ends the stored run of failures; the batch's own failures
			// after it start the next. Without one, the batch's failures lengthen the run.
			var err error
			lastErr := mask.IDsInText(b.LastError)
			if !b.LastSuccess.IsZero() {
				_, err = tx.ExecContext(ctx, s.q(`UPDATE platform_health SET
    last_success_at = CASE WHEN last_success_at > ? THEN last_success_at ELSE ? END,
    consecutive_failures = ?, failing_since = ?,
    last_error = CASE WHEN ? > 0 THEN ? ELSE last_error END,
    last_error_at = CASE WHEN ? > 0 THEN ? ELSE last_error_at END, updated_at = ?
WHERE platform = ?`),
					millis(b.LastSuccess), millis(b.LastSuccess), b.Failures, millis(b.FailedSince),
					b.Failures, lastErr, b.Failures, millis(b.LastErrorAt), now, b.Platform)
			} else {
				_, err = tx.ExecContext(ctx, s.q(`UPDATE platform_health SET
    consecutive_failures = consecutive_failures + ?,
    failing_since = CASE WHEN failing_since = 0 THEN ? ELSE failing_since END,
    last_error = ?, last_error_at = ?, updated_at = ?
WHERE platform = ?`),
					b.Failures, millis(b.FailedSince), lastErr, millis(b.LastErrorAt), now, b.Platform)
			}
			if err != nil {
				return fmt.Errorf("ledger platform health: %w", err)
			}
		}
		return nil
	})
}

func (s *sqlStore) PlatformHealth(ctx context.Context) ([]PlatformHealth, error) {
	out := []PlatformHealth{}
	q := `SELECT platform, last_success_at, failing_since, consecutive_failures, last_error, last_error_at
FROM platform_health ORDER BY platform`
	for h, err := range stream(ctx, s, q, nil, func(rows *sql.Rows) (PlatformHealth, error) {
		var h PlatformHealth
		var ok, since, errAt int64
		err := rows.Scan(&h.Platform, &ok, &since, &h.ConsecutiveFailures, &h.LastError, &errAt)
		h.LastSuccess, h.FailingSince, h.LastErrorAt = fromMillis(ok), fromMillis(since), fromMillis(errAt)
		return h, err
	}) {
		if err != nil {
			return nil, err
		}
		h.State = healthState(&h)
		h.StateText = h.State.Text()
		out = append(out, h)
	}
	return out, nil
}

// RedisMark is what the ledger knows of the daemons' marker in Redis.
type RedisMark struct {
	// Marker is the value the daemons expect under the marker key; "" before the first start.
	Marker string
	// LostAt is when a daemon last found the marker gone while the ledger expected one: Redis
	// had lost its data. Zero: never.
	LostAt time.Time
	LostBy string
}

func (s *sqlStore) RedisMark(ctx context.Context) (RedisMark, error) {
	var m RedisMark
	var lost int64
	err := s.r.QueryRowContext(ctx, `SELECT marker, lost_at, lost_by FROM redis_marks WHERE id = 1`).Scan(&m.Marker, &lost, &m.LostBy)
	if errors.Is(err, sql.ErrNoRows) {
		return RedisMark{}, nil
	}
	if err != nil {
		return m, fmt.Errorf("ledger redis mark: %w", err)
	}
	m.LostAt = fromMillis(lost)
	return m, nil
}

func (s *sqlStore) SetRedisMarker(ctx context.Context, marker string, lostAt time.Time, by string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO redis_marks (id) VALUES (1) ON CONFLICT (id) DO NOTHING`); err != nil {
			return fmt.Errorf("ledger redis mark: %w", err)
		}
		q, args := `UPDATE redis_marks SET marker = ? WHERE id = 1`, []any{marker}
		if !lostAt.IsZero() {
			q, args = `UPDATE redis_marks SET marker = ?, lost_at = ?, lost_by = ? WHERE id = 1`, []any{marker, millis(lostAt), by}
		}
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return fmt.Errorf("ledger redis mark: %w", err)
		}
		return nil
	})
}
