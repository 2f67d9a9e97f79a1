package alerts

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/config"
	"streetsync/mapping"
)

// alertIndexCount counts the secondary indexes of the alert tables in the ledger of cfg (the keys
// and the partial indexes aside), read straight from the database's catalogue.
func alertIndexCount(t *testing.T, cfg config.Ledger) int {
	t.Helper()
	driver, query := "sqlite", `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'
    AND tbl_name IN ('alerts', 'alert_events') AND sql IS NOT NULL AND sql NOT LIKE '% WHERE %'`
	if cfg.Driver == "postgres" {
		driver, query = "pgx", `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema()
    AND tablename IN ('alerts', 'alert_events') AND indexdef NOT LIKE 'CREATE UNIQUE%' AND indexdef NOT LIKE '% WHERE %'`
	}
	db, err := sql.Open(driver, string(cfg.DSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// indexWatch is the roster source of a check, counting the alert indexes each time it has handed
// over the whole roster: the check writes the roster's alerts right after (and builds the indexes
// a first check deferred only once they are written). fail is its output's error, readErr the
// roster's once it has handed every entry over.
type indexWatch struct {
	RosterSource
	t       *testing.T
	cfg     config.Ledger
	during  []int
	fail    error
	readErr error
}

func (w *indexWatch) EachOnDuty(ctx context.Context, day mapping.Date, fn func(*RosterEntry) error) error {
	err := w.RosterSource.EachOnDuty(ctx, day, fn)
	w.during = append(w.during, alertIndexCount(w.t, w.cfg))
	if err == nil {
		err = w.readErr
	}
	return err
}

func (w *indexWatch) Firing(*Alert) error { return w.fail }

// check runs a check of h's roster with w watching it and as its output.
func (w *indexWatch) check(h *harness) (*Result, error) {
	w.t.Helper()
	c, err := NewChecker(h.store(), Sources{Roster: w, Runs: h.runs}, h.chans, h.cfg, WithEnqueuer(h.queue))
	if err != nil {
		w.t.Fatal(err)
	}
	return c.Check(context.Background(), false, w)
}

// A first check writes its alerts with the alert indexes deferred and builds them before it
// delivers; a later check keeps them throughout. A first check stopped part-way (here by its
// output failing) builds them too on its way out.
func TestAFirstCheckBuildsTheAlertIndexesAfterItsAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		all := alertIndexCount(t, h.cfgLed)
		if all != 7 {
			t.Fatalf("%d alert indexes, want 7", all)
		}
		for i := range 3 {
			id := testID(30 + i)
			h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		}
		h.runs.fresh("certificates")

		// Stopped before writing anything (the roster could not be read): every index built.
		w := &indexWatch{RosterSource: h.roster, t: t, cfg: h.cfgLed, readErr: errors.New("the ledger is locked")}
		if _, err := w.check(h); err == nil {
			t.Fatal("a check whose roster cannot be read succeeded")
		}
		if n := alertIndexCount(t, h.cfgLed); len(w.during) != 1 || w.during[0] != 0 || n != all {
			t.Errorf("a first check that stopped before writing: indexes %v while reading, %d after; want none, then %d", w.during, n, all)
		}

		// Stopped part-way, its alerts written: nothing delivered, every index built.
		w = &indexWatch{RosterSource: h.roster, t: t, cfg: h.cfgLed, fail: errors.New("the disk is full")}
		if _, err := w.check(h); err == nil {
			t.Fatal("a check whose output fails succeeded")
		}
		if len(w.during) != 1 || w.during[0] != 0 {
			t.Errorf("indexes when the first check wrote its alerts: %v, want none", w.during)
		}
		if n := alertIndexCount(t, h.cfgLed); n != all {
			t.Errorf("after a first check that stopped: %d indexes, want %d", n, all)
		}
		h.expectSent("all")

		// It stopped after writing the alerts: the next check is not a first one.
		w = &indexWatch{RosterSource: h.roster, t: t, cfg: h.cfgLed}
		res, err := w.check(h)
		if err != nil {
			t.Fatal(err)
		}
		if res.Firing != 3 || len(w.during) != 1 || w.during[0] != all {
			t.Errorf("a later check: %d firing, indexes when writing %v; want 3, all %d", res.Firing, w.during, all)
		}
		if n := alertIndexCount(t, h.cfgLed); n != all {
			t.Errorf("after the later check: %d indexes, want %d", n, all)
		}
		h.expectSent("all", "CERT_EXPIRED/new", "CERT_EXPIRED/new", "CERT_EXPIRED/new")
	})
}

// A first check that completes delivers what it found with every index in place.
func TestAFirstCheckDeliversWithTheIndexesBuilt(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		id := testID(40)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		h.runs.fresh("certificates")
		w := &indexWatch{RosterSource: h.roster, t: t, cfg: h.cfgLed}
		if _, err := w.check(h); err != nil {
			t.Fatal(err)
		}
		if len(w.during) != 1 || w.during[0] != 0 {
			t.Errorf("indexes when the first check wrote its alert: %v, want none", w.during)
		}
		if n := alertIndexCount(t, h.cfgLed); n != 7 {
			t.Errorf("after the first check: %d indexes, want 7", n)
		}
		h.expectSent("all", "CERT_EXPIRED/new")
		if p := h.page(Filter{Search: id}); p.Total != 1 {
			t.Errorf("the person's alerts after the first check: %d, want 1", p.Total)
		}
	})
}
