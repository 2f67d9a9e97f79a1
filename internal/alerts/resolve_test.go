package alerts

import (
	"context"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/ledger"
)

// firingReads is the ledger, counting how often a check reads a family's firing alerts.
type firingReads struct {
	ledger.Store
	reads atomic.Int64
}

func (f *firingReads) FiringAlerts(ctx context.Context, family string) iter.Seq2[ledger.AlertRef, error] {
	f.reads.Add(1)
	return f.Store.FiringAlerts(ctx, family)
}

// TestADayWithoutChangeReadsNoFiringAlerts: when every firing alert of a family was found again,
// the check learns it from a count and does not read them all to resolve none; the day one stops
// firing, it reads them and resolves that one.
func TestADayWithoutChangeReadsNoFiringAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		led := &firingReads{Store: h.led}
		h.led = led
		h.roster = expiredRoster(5)
		h.check()
		h.clock.Advance(24 * time.Hour)
		led.reads.Store(0)
		if res := h.check(); res.Firing != 5 {
			t.Fatalf("firing %d, want 5", res.Firing)
		}
		if n := led.reads.Load(); n != 0 {
			t.Errorf("a day without change read the firing alerts %d times", n)
		}

		id := testID(1002)
		h.roster.setCerts(id, cert(id, alertstest.ValidUntil("2030-01-01")))
		h.clock.Advance(24 * time.Hour)
		if res := h.check(); res.Firing != 4 {
			t.Fatalf("firing %d after one renewal, want 4", res.Firing)
		}
		if n := led.reads.Load(); n == 0 {
			t.Error("the firing alerts were not read the day one stopped firing")
		}
		page, err := h.store().Page(context.Background(), Filter{Status: "resolved"})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 1 || page.Alerts[0].Operator.IDNumber != "350582********"+id[14:] {
			t.Errorf("resolved %d alerts (%v), want the renewed one", page.Total, page.Alerts)
		}
	})
}
