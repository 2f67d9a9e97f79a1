package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/mapping"
)

// Watermarks. Each is written only after the ledger has committed everything it covers, and in
// a retry handler only while the handler still holds its item (the fence): a watermark that runs
// ahead of the ledger would lose records, one that lags only makes the next run read again.
//
//	enterprises         the enterprise listing's mark: {"gxsj": "yyyy-MM-dd HH:mm:ss", "last": "…", "count": n}
//	alarms, hazards,    the same for the alarm, hazard and inspection listings
//	inspections
//	certificates.feed   the change feed's position: {"cursor": "…", "since": RFC 3339}
//	employments.checked when the employment job last decided every entry whose decision may have
//	                    changed: {"at": RFC 3339, "day": "yyyy-MM-dd", "fullDay": "yyyy-MM-dd"}
//
// A listing's mark is its high-water gxsj, as the platform wrote it, and — when that second was
// over as the walk read it — the id of the last record of it (quanzhou.Mark). The listings'
// gxsjStart is inclusive: a second still running is read again next time, so nothing of it can be
// lost, and what is read twice is recorded as unchanged (the mark then counts that second's
// records, so that the next walk asks first for the page they end on); after a second that was
// over the next walk lists from the second after it. Marks stored before the id existed are the
// bare gxsj, and are read as such.

// watermark reads a listing's mark; full (or none stored) lists from the beginning.
func (r *Runner) watermark(ctx context.Context, name string, full bool) (quanzhou.Mark, error) {
	if full {
		return quanzhou.Mark{}, nil
	}
	v, err := r.cursors.Get(ctx, name)
	if err != nil {
		return quanzhou.Mark{}, fmt.Errorf("read watermark %s: %w", name, err)
	}
	return parseWatermark(v), nil
}

// parseWatermark reads a stored mark (JSON, or an older installation's bare gxsj); anything
// unreadable lists from the beginning (safe: only slower).
func parseWatermark(v string) quanzhou.Mark {
	var m quanzhou.Mark
	if strings.HasPrefix(v, "{") {
		if json.Unmarshal([]byte(v), &m) != nil {
			return quanzhou.Mark{}
		}
	} else {
		m.Gxsj = v
	}
	if _, err := mapping.ParseBeijingTime(m.Gxsj); err != nil {
		return quanzhou.Mark{}
	}
	return m
}

// advanceMark stores a listing's mark (an empty one keeps the stored mark).
func (r *Runner) advanceMark(ctx context.Context, fc fence, name string, m quanzhou.Mark) error {
	if m.Gxsj == "" {
		return nil
	}
	return r.advanceJSON(ctx, fc, name, m)
}

// advance stores a watermark ("" keeps the stored one).
func (r *Runner) advance(ctx context.Context, fc fence, name, value string) error {
	if value == "" {
		return nil
	}
	if err := fc.check(ctx); err != nil {
		return err
	}
	if err := r.cursors.Set(ctx, name, value); err != nil {
		return fmt.Errorf("store watermark %s: %w", name, err)
	}
	return nil
}

const cursorFeed = "certificates.feed"

// feedState is where the certificate change feed stands.
type feedState struct {
	Cursor string    `json:"cursor,omitempty"`
	Since  time.Time `json:"since"`
}

// started reports whether the feed was ever started (a new installation's is not).
func (f feedState) started() bool { return f.Cursor != "" || !f.Since.IsZero() }

func (r *Runner) feedState(ctx context.Context) (feedState, error) {
	var f feedState
	v, err := r.cursors.Get(ctx, cursorFeed)
	if err != nil {
		return f, fmt.Errorf("read watermark %s: %w", cursorFeed, err)
	}
	if v == "" {
		return f, nil
	}
	if err := json.Unmarshal([]byte(v), &f); err != nil {
		return feedState{}, fmt.Errorf("watermark %s %q: %w", cursorFeed, v, err)
	}
	return f, nil
}

func (r *Runner) setFeedState(ctx context.Context, fc fence, f feedState) error {
	return r.advanceJSON(ctx, fc, cursorFeed, f)
}

// advanceJSON stores a watermark that is a JSON document.
func (r *Runner) advanceJSON(ctx context.Context, fc fence, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return r.advance(ctx, fc, name, string(b))
}

const cursorEmployments = "employments.checked"

// employmentMark is where the employment job stands: the start of its last complete run (less
// a margin for writers' clocks), that run's day, and the day of its last full pass.
type employmentMark struct {
	At      time.Time    `json:"at"`
	Day     mapping.Date `json:"day"`
	FullDay mapping.Date `json:"fullDay"`
}

// employmentMark reads the job's mark; none stored, or one unreadable, is the zero mark (a full
// pass: safe, only slower).
func (r *Runner) employmentMark(ctx context.Context) (employmentMark, error) {
	var m employmentMark
	v, err := r.cursors.Get(ctx, cursorEmployments)
	if err != nil {
		return m, fmt.Errorf("read watermark %s: %w", cursorEmployments, err)
	}
	if v == "" || json.Unmarshal([]byte(v), &m) != nil || m.Day.IsZero() {
		return employmentMark{}, nil
	}
	return m, nil
}

func (r *Runner) setEmploymentMark(ctx context.Context, fc fence, m employmentMark) error {
	return r.advanceJSON(ctx, fc, cursorEmployments, m)
}
