package alerts

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

var (
	shanghai = alertstest.Shanghai
	d        = alertstest.D
	testID   = alertstest.ID
	cert     = alertstest.Cert
	t0       = time.Date(2026, 3, 2, 8, 0, 0, 0, shanghai)
)

const (
	usccA = alertstest.USCCA
	usccB = alertstest.USCCB
)

// backend is a ledger database the state tests run against, and how to get a fresh one.
type backend struct {
	name string
	cfg  func(t testing.TB) config.Ledger
}

var backends = []backend{
	{"sqlite", func(t testing.TB) config.Ledger {
		return config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))}
	}},
	{"postgres", func(t testing.TB) config.Ledger {
		// Skips, saying why, when no PostgreSQL is available (PG_DSN or local server binaries).
		return config.Ledger{Driver: "postgres", DSN: config.Secret(testutil.Postgres(t))}
	}},
}

// eachBackend runs fn once per ledger driver.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// openLedger opens the ledger of cfg (one more process's pools on it), closed when the test ends.
func openLedger(t testing.TB, cfg config.Ledger) ledger.Store {
	t.Helper()
	st, err := ledger.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s ledger: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func entry(id string) RosterEntry {
	return RosterEntry{RosterEntry: alertstest.Entry(id), Answered: true}
}

// fakeClock is the tests' clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// roster is an in-memory roster source: the tests' stand-in for the ledger's roster (the state is
// what is under test here; the roster query has tests of its own in package ledger).
type roster struct {
	mu      sync.Mutex
	entries []RosterEntry
	certs   map[string][]mapping.Certificate
}

func newRoster() *roster { return &roster{certs: map[string][]mapping.Certificate{}} }

func (l *roster) add(e RosterEntry, certs ...mapping.Certificate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	l.certs[e.Operator.IDNumber] = append(l.certs[e.Operator.IDNumber], certs...)
}

func (l *roster) setCerts(id string, certs ...mapping.Certificate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.certs[id] = certs
}

func (l *roster) edit(fn func(entries []RosterEntry) []RosterEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = fn(l.entries)
}

func (l *roster) EachOnDuty(ctx context.Context, day mapping.Date, fn func(*RosterEntry) error) error {
	l.mu.Lock()
	entries := slices.Clone(l.entries)
	certs := make(map[string][]mapping.Certificate, len(l.certs))
	for k, v := range l.certs {
		certs[k] = slices.Clone(v)
	}
	l.mu.Unlock()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.Certificates = certs[e.Operator.IDNumber]
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// runs is the run history: every job succeeded an hour ago (whatever the clock says) unless a
// test says otherwise.
type runs struct {
	mu    sync.Mutex
	clock Clock
	last  map[string]time.Time // a job's last success; the zero time: never
	err   error
}

func (r *runs) LastSuccess(_ context.Context, job string) (time.Time, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return time.Time{}, false, r.err
	}
	t, set := r.last[job]
	if !set {
		return r.clock.Now().Add(-time.Hour), true, nil
	}
	return t, !t.IsZero(), nil
}

func (r *runs) set(job string, t time.Time) {
	r.mu.Lock()
	r.last[job] = t
	r.mu.Unlock()
}

// fresh makes a job's data fresh again (an hour old, whatever the clock says).
func (r *runs) fresh(job string) {
	r.mu.Lock()
	delete(r.last, job)
	r.mu.Unlock()
}

// health is the platforms' health as a test sets it.
type health struct {
	mu  sync.Mutex
	hs  []Health
	err error
}

func (h *health) PlatformHealth(context.Context) ([]Health, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.hs), h.err
}

func (h *health) set(hs ...Health) {
	h.mu.Lock()
	h.hs = hs
	h.mu.Unlock()
}

// recorder is a channel that records what it is sent, and fails when told to.
type recorder struct {
	mu    sync.Mutex
	msgs  []*notify.Message
	fail  error
	retry bool
}

func (r *recorder) Notify(_ context.Context, m *notify.Message) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.retry, r.fail
	}
	r.msgs = append(r.msgs, m)
	return false, nil
}

func (r *recorder) take() []*notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

func (r *recorder) failWith(err error, retry bool) {
	r.mu.Lock()
	r.fail, r.retry = err, retry
	r.mu.Unlock()
}

// notices lists "<rule>/<notice>" of every alert in msgs.
func notices(msgs []*notify.Message) []string {
	var out []string
	for _, m := range msgs {
		for _, a := range m.Alerts {
			out = append(out, a.Rule+"/"+a.Notice)
		}
	}
	return out
}

type queued struct{ kind, key string }

type fakeQueue struct {
	mu    sync.Mutex
	items []queued
}

func (q *fakeQueue) Enqueue(_ context.Context, kind, key string, _ error) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, queued{kind, key})
	return fmt.Sprint(len(q.items)), nil
}

// collected is an Output that keeps every firing alert of a check.
type collected struct{ alerts []Alert }

func (c *collected) Firing(a *Alert) error {
	c.alerts = append(c.alerts, *a)
	return nil
}

// harness is one ledger, one clock, a roster, the run history and a few recording channels; every
// check runs on a fresh Store and Checker, as a restarted or second instance would.
type harness struct {
	t      *testing.T
	cfgLed config.Ledger
	led    ledger.Store
	clock  *fakeClock
	roster *roster
	runs   *runs
	alarms AlarmSource
	health HealthSource
	// hazards is nil unless a test of the hazard rules sets it.
	hazards HazardSource
	rec     map[string]*recorder
	chans   []Channel
	cfg     config.Alerts
	queue   *fakeQueue
}

func newHarness(t *testing.T, b backend) *harness {
	t.Helper()
	cfg := b.cfg(t)
	clk := &fakeClock{t: t0}
	h := &harness{
		t: t, cfgLed: cfg, led: openLedger(t, cfg), clock: clk, roster: newRoster(),
		runs: &runs{clock: clk, last: map[string]time.Time{}}, rec: map[string]*recorder{},
		cfg: config.Alerts{
			ExpiringWithinDays: 60, RepeatInterval: config.Duration(168 * time.Hour),
			EscalateAfter: config.Duration(72 * time.Hour), AlarmUnhandled: config.Duration(2 * time.Hour),
			MaxDataAge: config.Duration(26 * time.Hour), PlatformDownAfter: config.Duration(2 * time.Hour),
		},
		queue: &fakeQueue{},
	}
	h.channel("all", nil, false)
	return h
}

func (h *harness) channel(name string, communities []string, escalations bool) *recorder {
	r := &recorder{}
	h.rec[name] = r
	h.chans = append(h.chans, Channel{Name: name, Type: "test", Communities: communities, Escalations: escalations, Notifier: r})
	return r
}

func (h *harness) store() *Store {
	h.t.Helper()
	s, err := NewStore(h.led, shanghai, WithClock(h.clock))
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) checker(opts ...Option) *Checker {
	h.t.Helper()
	c, err := NewChecker(h.store(), Sources{Roster: h.roster, Runs: h.runs, Alarms: h.alarms, Health: h.health, Hazards: h.hazards}, h.chans, h.cfg,
		append([]Option{WithEnqueuer(h.queue)}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// checked is a check's result and the firing alerts it handed to its Output.
type checked struct {
	*Result
	alerts []Alert
}

func (h *harness) run(dryRun bool) checked {
	h.t.Helper()
	var out collected
	res, err := h.checker().Check(context.Background(), dryRun, &out)
	if err != nil {
		h.t.Fatalf("Check: %v", err)
	}
	if res.Firing != len(out.alerts) {
		h.t.Fatalf("the result counts %d firing, the output got %d", res.Firing, len(out.alerts))
	}
	return checked{res, out.alerts}
}

func (h *harness) check() checked { h.t.Helper(); return h.run(false) }

// expectSent checks what channel name received since the last call, as rule/notice pairs.
func (h *harness) expectSent(name string, want ...string) []*notify.Message {
	h.t.Helper()
	msgs := h.rec[name].take()
	got := notices(msgs)
	if !slices.Equal(got, want) {
		h.t.Errorf("channel %s got %v, want %v", name, got, want)
	}
	return msgs
}

// state reads an alert's stored state.
func (h *harness) state(key string) (ledger.AlertRow, bool) {
	h.t.Helper()
	rows, err := h.led.AlertStates(context.Background(), []string{key})
	if err != nil {
		h.t.Fatal(err)
	}
	r, ok := rows[key]
	return r, ok
}

// page lists alerts through the Store.
func (h *harness) page(f Filter) *Page {
	h.t.Helper()
	p, err := h.store().Page(context.Background(), f)
	if err != nil {
		h.t.Fatalf("Page(%+v): %v", f, err)
	}
	return p
}

// keyOf is the key of a certificate alert of the default entry's enterprise and item.
func keyOf(rule, id string) string { return rules.KeyOf(rule, id, usccA, "0102") }
