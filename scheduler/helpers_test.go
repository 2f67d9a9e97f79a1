package scheduler

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
)

// secondConn is another client on the same Redis and prefix: another instance's view.
func secondConn(t *testing.T, c *rdb.Conn) *rdb.Conn {
	t.Helper()
	return testutil.SecondConn(t, c)
}

// memHistory is the run history in memory, shared by the instances of one test the way the
// ledger is shared by real ones. (The ledger's own tables are tested in internal/ledger, and the
// scheduler over the real ledger in internal/app.)
type memHistory struct {
	mu     sync.Mutex
	runs   []Run // oldest first
	marker string
	lostAt time.Time
	lostBy string
}

var (
	historiesMu sync.Mutex
	histories   = map[string]*memHistory{}
)

// historyOf returns the history shared by every instance on conn's prefix.
func historyOf(conn *rdb.Conn) *memHistory {
	historiesMu.Lock()
	defer historiesMu.Unlock()
	h := histories[conn.Prefix]
	if h == nil {
		h = &memHistory{}
		histories[conn.Prefix] = h
	}
	return h
}

func (m *memHistory) RecordRun(_ context.Context, run Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	run.Detail = nil
	m.runs = append(m.runs, run)
	return nil
}

func (m *memHistory) Runs(_ context.Context, job string, q RunQuery) ([]Run, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Run
	for _, r := range slices.Backward(m.runs) {
		if (job == "" || r.Job == job) && (q.Slot.IsZero() || r.Slot.Equal(q.Slot)) {
			out = append(out, r)
		}
	}
	total := len(out)
	out = out[min(q.Offset, len(out)):]
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, total, nil
}

func (m *memHistory) LastSuccess(_ context.Context, job string) (Run, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range slices.Backward(m.runs) {
		if r.Job == job && r.Outcome.Succeeded() {
			return r, true, nil
		}
	}
	return Run{}, false, nil
}

func (m *memHistory) RedisMarker(context.Context) (string, time.Time, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marker, m.lostAt, m.lostBy, nil
}

func (m *memHistory) SetRedisMarker(_ context.Context, marker string, lostAt time.Time, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.marker = marker
	if !lostAt.IsZero() {
		m.lostAt, m.lostBy = lostAt, by
	}
	return nil
}
