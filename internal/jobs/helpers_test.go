package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"streetsync/connectors/httpx"
	"streetsync/connectors/quanzhou"
	"streetsync/connectors/specialops"
	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	"streetsync/scheduler/clock"
	"streetsync/scheduler/retry"
)

// The world of an end-to-end test: both mock platforms over loopback, a real ledger (SQLite or
// PostgreSQL), a real Redis for the retry queue and the watermarks, the real clients — all on
// one clock that runs at wall speed from the dataset's reference morning, so that certificate
// validity and "today" are the generator's.

var refTime = time.Date(2026, 1, 15, 9, 0, 0, 0, mapping.Beijing())

// offsetClock is the wall clock shifted to refTime (and moved on by Advance): httpx.Clock,
// clock.Clock and jobs.Clock. A benchmark's mock process keeps the same offset.
type offsetClock struct{ off atomic.Int64 }

func newOffsetClock() *offsetClock {
	c := &offsetClock{}
	c.off.Store(int64(time.Until(refTime)))
	return c
}

func (c *offsetClock) Now() time.Time                         { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Advance(d time.Duration)                { c.off.Add(int64(d)) }
func (c *offsetClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (c *offsetClock) TimerAt(t time.Time) clock.Timer {
	return wallTimer{time.NewTimer(t.Sub(c.Now()))}
}

type wallTimer struct{ t *time.Timer }

func (w wallTimer) C() <-chan time.Time { return w.t.C }
func (w wallTimer) Stop() bool          { return w.t.Stop() }

type worldOptions struct {
	driver      string // "sqlite" (default) or "postgres"
	enterprises int    // generated ledger enterprises (default 60)
	seed        int64
	// adjust changes the generated dataset before the platforms are seeded and the ledger loaded.
	adjust func(ds *dataset.Dataset)
	// wrap wraps the clients' transport (crash injection).
	wrap func(http.RoundTripper) http.RoundTripper
	// limited keeps the platforms' and the clients' real rate limits.
	limited bool
	// pageSize sets the listing page size (default 500).
	pageSize int
	logger   *zap.Logger
}

type world struct {
	t       testing.TB
	clk     *offsetClock
	srv     *mocks.Server
	ep      mocks.Endpoints
	ds      *dataset.Dataset
	store   ledger.Store
	conn    *rdb.Conn
	queue   *retry.Queue
	cursors *rdb.Cursors
	qz      *quanzhou.Client
	tz      *specialops.Client
	log     *zap.Logger
	// progress, when set, is given to the runners (benchmarks time the phases with it).
	progress jobs.Progress
}

// fastRetry keeps the in-call retry short; anything the platform asks to wait longer for goes to
// the retry queue.
var fastRetry = httpx.RetryPolicy{Attempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond,
	MaxWait: 100 * time.Millisecond, Budget: 300 * time.Millisecond}

// testPolicy is the queue's policy with short delays: a drain finishes in seconds.
func testPolicy() retry.Policy {
	p := retry.DefaultPolicy()
	p.BaseDelay, p.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	p.MaxAttempts, p.Deadline = 40, time.Hour
	p.Lease, p.Workers = 10*time.Second, 2
	p.Jitter = 0
	return p
}

func newWorld(t testing.TB, o worldOptions) *world {
	t.Helper()
	if o.driver == "" {
		o.driver = "sqlite"
	}
	if o.enterprises == 0 {
		o.enterprises = 60
	}
	if o.seed == 0 {
		o.seed = 7
	}
	log := o.logger
	if log == nil {
		log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	w := &world{t: t, clk: newOffsetClock(), log: log}
	ds, err := dataset.Generate(dataset.Params{Seed: o.seed, Enterprises: o.enterprises, Reference: dataset.DayOf(refTime)})
	if err != nil {
		t.Fatal(err)
	}
	if o.adjust != nil {
		o.adjust(ds)
	}
	w.ds = ds
	w.srv, err = mocks.NewServer(mocks.Options{Seed: o.seed, Dataset: ds, Now: w.clk.Now, Unlimited: !o.limited})
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := w.srv.StartTest()
	t.Cleanup(func() { w.srv.Close(); ts.Close() })
	w.ep = ep
	w.store = openLedger(t, o.driver, w.clk.Now)
	loadLedger(t, w.store, ds)

	w.conn, _ = testutil.Redis(t)
	w.queue, err = retry.New(w.conn, testPolicy(), retry.WithClock(w.clk), retry.WithLogger(log),
		retry.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	w.cursors = rdb.NewCursors(w.conn)

	w.qz, w.tz = newClients(t, ep, w.clk, log, o)
	return w
}

// newClients builds both platform clients on ep, as the wiring would.
func newClients(t testing.TB, ep mocks.Endpoints, clk *offsetClock, log *zap.Logger, o worldOptions) (*quanzhou.Client, *specialops.Client) {
	t.Helper()
	var rt http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	rt.(*http.Transport).MaxIdleConnsPerHost = 16
	if o.wrap != nil {
		rt = o.wrap(rt)
	}
	hc := &http.Client{Transport: rt, Timeout: 30 * time.Second}
	qzOpts := []quanzhou.Option{quanzhou.WithClock(clk), quanzhou.WithHTTPClient(hc), quanzhou.WithRetryPolicy(fastRetry)}
	tzOpts := []specialops.Option{specialops.WithClock(clk), specialops.WithHTTPClient(hc), specialops.WithRetryPolicy(fastRetry)}
	if !o.limited {
		qzOpts = append(qzOpts, quanzhou.WithRateLimit(-1, 1))
		tzOpts = append(tzOpts, specialops.WithRateLimit(-1, 1))
	}
	if o.pageSize > 0 {
		qzOpts = append(qzOpts, quanzhou.WithPageSize(o.pageSize))
	}
	qcfg := quanzhou.Config{RateLimit: 20, Burst: 20, Timeout: 30 * time.Second} // the configuration's defaults
	qcfg.BaseURL, qcfg.AppKey, qcfg.AppSecret = ep.QuanzhouBaseURL, ep.AppKey, ep.AppSecret
	qz, err := quanzhou.New(qcfg, ep.Region, log.Named("quanzhou"), qzOpts...)
	if err != nil {
		t.Fatal(err)
	}
	tcfg := specialops.Config{RateLimit: 10, Burst: 5, Timeout: 30 * time.Second}
	tcfg.BaseURL, tcfg.ClientID, tcfg.ClientSecret = ep.SpecialOpsBaseURL, ep.ClientID, ep.ClientSecret
	tz, err := specialops.New(tcfg, log.Named("specialops"), tzOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return qz, tz
}

func openLedger(t testing.TB, driver string, now func() time.Time) ledger.Store {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "ledger.db")
	if driver == "postgres" {
		dsn = testutil.Postgres(t)
	}
	s, err := ledger.Open(context.Background(), config.Ledger{Driver: driver, DSN: config.Secret(dsn)}, ledger.WithClock(now))
	if err != nil {
		t.Fatalf("open %s ledger: %v", driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runner builds a fresh Runner on the world (a new process, as far as the jobs can tell).
func (w *world) runner() *jobs.Runner { return w.runnerWith(nil) }

// runnerWith is runner with the deps adjusted first (a setting of the configuration).
func (w *world) runnerWith(adjust func(d *jobs.Deps)) *jobs.Runner {
	w.t.Helper()
	d := jobs.Deps{Store: w.store, Quanzhou: w.qz, SpecialOps: w.tz, Queue: w.queue, Cursors: w.cursors,
		Region: w.ep.Region, Location: mapping.Beijing(), Clock: w.clk, Logger: w.log, Progress: w.progress}
	if adjust != nil {
		adjust(&d)
	}
	r, err := jobs.New(d)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// sync runs a job and fails the test on an error.
func (w *world) sync(r *jobs.Runner, job string, full bool) map[string]jobs.Summary {
	w.t.Helper()
	sums, err := r.Run(context.Background(), job, full)
	if err != nil {
		w.t.Fatalf("sync %s: %v", job, err)
	}
	out := map[string]jobs.Summary{}
	for _, s := range sums {
		out[s.Job] = s
	}
	return out
}

// drain works the retry queue until it is empty and returns its stats.
func (w *world) drain(r *jobs.Runner, timeout time.Duration) retry.Stats {
	w.t.Helper()
	st, err := w.queue.Drain(context.Background(), timeout, r.Workers()...)
	if err != nil {
		w.t.Fatalf("drain: %v", err)
	}
	return st
}

// loadLedger puts the generator's street data into the ledger through mapping's normalization
// and validation, as an import of the workbook would.
func loadLedger(t testing.TB, store ledger.Store, ds *dataset.Dataset) {
	t.Helper()
	if err := fillLedger(context.Background(), store, ds); err != nil {
		t.Fatal(err)
	}
}

func fillLedger(ctx context.Context, store ledger.Store, ds *dataset.Dataset) error {
	ents := make([]ledger.EnterpriseInput, 0, 1000)
	flushEnts := func() error {
		_, err := store.UpsertEnterprises(ctx, ents)
		ents = ents[:0]
		return err
	}
	for i := range ds.Ledger {
		m, ps := mapping.EnterpriseFromQZ(datasetWire(&ds.Ledger[i]))
		if ps.HasErrors() {
			return fmt.Errorf("generated ledger enterprise %s does not validate: %v", ds.Ledger[i].USCC, ps)
		}
		m.PlatformID, m.Grade, m.GradeValidUntil, m.RiskMonitored, m.UpdatedAt = "", "", mapping.Date{}, false, time.Time{}
		m.Remark = ds.Ledger[i].Remark
		ents = append(ents, ledger.EnterpriseInput{Enterprise: m, Warnings: ps.Warnings()})
		if len(ents) == 1000 {
			if err := flushEnts(); err != nil {
				return err
			}
		}
	}
	if err := flushEnts(); err != nil {
		return err
	}
	cat := mapping.DefaultCatalog()
	ops := make([]ledger.OperatorInput, 0, 1000)
	flush := func() error {
		_, err := store.UpsertOperators(ctx, ops)
		ops = ops[:0]
		return err
	}
	for i := range ds.Roster {
		ops = append(ops, ledger.OperatorInput{Operator: rosterEntry(&ds.Roster[i], cat)})
		if len(ops) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func datasetWire(e *dataset.Enterprise) mapping.QZEnterprise {
	return mapping.QZEnterprise{Qyid: e.PlatformID, Tyshxydm: e.USCC, Qymc: e.Name, Fddbr: e.LegalRep, Zyfzr: e.Principal,
		Zyfzrlxdh: e.Phone, Aqglry: e.SafetyManager, Jydz: e.Address, Xzqhdm: e.Region, Sqmc: e.Community,
		Hylb: e.Industry, Zdlx: e.KeyRisks, Cyrs: mapping.FlexNumber(strconv.Itoa(e.Employees)), Qyzt: e.Status,
		Sfczc: flag(e.FactoryInFactory)}
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func civil(d dataset.Day) mapping.Date {
	if d.IsZero() {
		return mapping.Date{}
	}
	y, m, dd := d.Civil()
	return mapping.Date{Year: y, Month: m, Day: dd}
}

func rosterEntry(o *dataset.Operator, cat *mapping.Catalog) mapping.Operator {
	m := mapping.Operator{Name: o.Name, IDNumber: o.IDNumber, Phone: o.Phone, EnterpriseUSCC: o.EnterpriseUSCC,
		ItemCode: o.ItemCode, StartDate: civil(o.StartDate), EndDate: civil(o.EndDate), Remark: o.Remark}
	if it, ok := cat.Item(o.ItemCode); ok {
		m.CategoryCode = it.Category
	}
	mapping.NormalizeOperator(&m, cat)
	return m
}

// writes counts the requests that change something on the platforms.
func (w *world) writes() map[string]int {
	return map[string]int{
		"batchSave": w.srv.Quanzhou.RequestCount("POST /enterprises/batchSave"),
		"feedback":  w.srv.Quanzhou.RequestCount("POST /risk/alarms/{bjid}/feedback"),
		"employ":    w.srv.SpecialOps.RequestCount("PUT /api/v2/employments"),
	}
}

// streetFields are the street-owned fields as the platform stores them (canonical strings).
func streetFields(q mapping.QZEnterprise) string {
	return strings.Join([]string{q.Tyshxydm, q.Qymc, q.Fddbr, q.Zyfzr, q.Zyfzrlxdh, q.Aqglry, q.Jydz, q.Xzqhdm, q.Sqmc,
		q.Hylb, q.Zdlx, string(q.Cyrs), q.Qyzt, q.Sfczc}, "|")
}

func enterpriseRecords(t testing.TB, s ledger.Store) map[string]ledger.EnterpriseRecord {
	t.Helper()
	out := map[string]ledger.EnterpriseRecord{}
	for e, err := range s.Enterprises(context.Background(), ledger.EnterpriseFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		out[e.USCC] = e
	}
	return out
}
