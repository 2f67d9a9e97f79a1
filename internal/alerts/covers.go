package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/ledger"
)

// Covered returns the firing alerts m covers now — at most limit of them, in listing order — and
// how many there are: what a silence holds back (the console's list of silences).
func (s *Store) Covered(ctx context.Context, m Matcher, limit int) ([]Record, int, error) {
	m.Key = strings.ToLower(strings.TrimSpace(m.Key))
	if m.Key != "" {
		row, err := s.st.AlertByKey(ctx, m.Key)
		if errors.Is(err, ledger.ErrNotFound) {
			return []Record{}, 0, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read alert %s: %w", m.Key, err)
		}
		switch {
		case row.Status != notify.StatusFiring || !m.matches(&row):
			return []Record{}, 0, nil
		case limit <= 0:
			return []Record{}, 1, nil
		}
		recs, err := s.records(ctx, []ledger.AlertRow{row})
		return recs, 1, err
	}
	q := ledger.AlertQuery{Community: m.Community, Rule: m.Rule, IDHash: m.IDHash, Status: notify.StatusFiring,
		Now: s.now(), Limit: max(limit, 1)}
	rows, total, err := s.st.AlertPage(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	if limit <= 0 {
		rows = nil
	}
	recs, err := s.records(ctx, rows)
	return recs, total, err
}
