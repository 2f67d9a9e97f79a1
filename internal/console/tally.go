package console

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/ledger"
)

// The counts that cost a pass over the roster or the alerts — the front page's tiles
// (ledger.Overview: who is on duty, the alarms, the feedback), the firing alerts by community and
// rule and thirty days of alarms (its charts), and the on-duty operators with a valid certificate and no employment
// registration — are tallied in the background, at most once per tallyTTL while pages ask for
// them, and shown with the time they were taken: a page never waits for a scan of a city's
// half-million roster entries (at 100 000 enterprises a tally costs about ten CPU-seconds). The first page after a start waits for the first tally;
// an action of the console that changes them (an import, a confirmation, applying a
// reconciliation, a sync) makes the next page wait for a fresh one.

const (
	tallyTTL = 5 * time.Minute
	// tallyRows are the unregistered entries kept with a tally: the list's first pages are
	// served from it, deeper ones read the ledger.
	tallyRows = 500
)

// tally is one pass of the expensive counts.
type tally struct {
	At                time.Time
	Ledger            ledger.Overview
	Alerts            []alerts.Count           // the firing alerts by family, severity, community and rule
	AlarmDays         []alarmDay               // the last alarmWindow days' alarms by level
	Unregistered      []ledger.OperatorListing // the first tallyRows, in listing order
	UnregisteredTotal int
}

type tallier struct {
	s *Server

	mu      sync.Mutex
	last    *tally
	fresh   bool // false: the next get waits for a new tally
	running bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newTallier(s *Server) *tallier {
	ctx, cancel := context.WithCancel(context.Background())
	return &tallier{s: s, ctx: ctx, cancel: cancel}
}

// get returns the latest tally, starting a new one in the background when it is older than
// tallyTTL; it waits only when there is none yet or the last was invalidated.
func (t *tallier) get(ctx context.Context) (*tally, error) {
	t.mu.Lock()
	last, fresh := t.last, t.fresh
	if last != nil && fresh {
		if age := t.s.now().Sub(last.At); (age >= tallyTTL || age < 0) && !t.running && t.ctx.Err() == nil {
			t.running = true
			t.wg.Add(1)
			go t.refresh()
		}
		t.mu.Unlock()
		return last, nil
	}
	t.mu.Unlock()
	tl, err := t.count(ctx)
	if err != nil {
		return nil, err
	}
	t.store(tl)
	return tl, nil
}

func (t *tallier) refresh() {
	defer t.wg.Done()
	tl, err := t.count(t.ctx)
	t.mu.Lock()
	t.running = false
	t.mu.Unlock()
	if err != nil {
		if t.ctx.Err() == nil {
			t.s.log.Warn("console: tallying the front page's counts failed; the last tally is shown", zap.Error(err))
		}
		return
	}
	t.store(tl)
}

func (t *tallier) store(tl *tally) {
	t.mu.Lock()
	if t.last == nil || !tl.At.Before(t.last.At) {
		t.last, t.fresh = tl, true
	}
	t.mu.Unlock()
}

// count makes a tally.
func (t *tallier) count(ctx context.Context) (*tally, error) {
	s := t.s
	tl := &tally{At: s.now()}
	var err error
	if tl.Ledger, err = s.deps.Ledger.Overview(ctx, s.today()); err != nil {
		return nil, err
	}
	if tl.Alerts, err = s.deps.Alerts.Counts(ctx); err != nil {
		return nil, err
	}
	if tl.AlarmDays, err = s.alarmDays(ctx); err != nil {
		return nil, err
	}
	if tl.Unregistered, tl.UnregisteredTotal, err = s.deps.Ledger.UnregisteredPage(ctx, s.today(), 0, tallyRows); err != nil {
		return nil, err
	}
	return tl, nil
}

// invalidate makes the next get wait for a fresh tally (after something changed the counts).
func (t *tallier) invalidate() {
	t.mu.Lock()
	t.fresh = false
	t.mu.Unlock()
}

// close stops a tally under way and waits for it.
func (t *tallier) close() {
	t.cancel()
	t.wg.Wait()
}
