package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/alerts"
	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/rdb"
	"streetsync/internal/reconcile"
	"streetsync/internal/testutil"
	"streetsync/mapping"
	"streetsync/mocks/dataset"
	"streetsync/scheduler"
	"streetsync/scheduler/clock"
	"streetsync/scheduler/retry"
)

// The test world of the API and session tests: a console over real components — a SQLite ledger
// in t.TempDir loaded from the generated 灵源街道 workbook, the real retry queue and alert store
// on a real Redis (testutil.Redis), the real alert checker run over the ledger — with small
// stand-ins (marked STAND-IN below) for the job runner, the run history, reconciliation and the
// workbook: they give these tests fixed, known answers (a report holding whole ID numbers, a
// runner that can be held) on a fixed clock. The console pings the world's Redis and ledger. The browser tests and
// TestAPIOverTheRealStreetsyncMasksIDNumbers (browser_test.go) run the console over the real
// packages instead, wired by internal/app.

const testToken = "test-console-token-0123456789"

// testNow is the world's clock: the dataset's reference day, mid-morning in Beijing.
var testNow = time.Date(2026, 1, 15, 9, 30, 0, 0, mapping.Beijing())

type world struct {
	t       testing.TB
	ctx     context.Context
	clock   *clock.Fake
	ds      *dataset.Dataset
	ledger  ledger.Store
	queue   *retry.Queue
	alerts  *alerts.Store
	history *fakeHistory
	recon   *fakeReconciler
	jobs    *fakeJobs
	srv     *Server
	ts      *httptest.Server
	// ids are every ID number the ledger holds whole: no console response may contain one.
	ids []string
	// dead are the IDs of the dead items seeded into the retry queue.
	dead []string
}

type worldOptions struct {
	enterprises int
	opts        Options
	// redis, when set, is the world's own redis-server (tests that stop it); else the shared one.
	redis *testutil.RedisServer
	// status, when set, is the jobs' status the console shows (STAND-IN for the scheduler's).
	status Status
}

func newWorld(t testing.TB, wo worldOptions) *world {
	t.Helper()
	if wo.enterprises == 0 {
		wo.enterprises = 40
	}
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, clock: clock.NewFake(testNow)}
	ds, err := dataset.Generate(dataset.Params{Seed: 11, Enterprises: wo.enterprises, BadRecords: 2, NoisePeople: -1})
	if err != nil {
		t.Fatal(err)
	}
	w.ds = ds
	store, err := ledger.Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))},
		ledger.WithClock(w.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w.ledger = store
	wb := &fakeWorkbook{ledger: store, catalog: mapping.DefaultCatalog(), today: mapping.DateOf(testNow)}
	var buf bytes.Buffer
	if err := ds.WriteWorkbook(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := wb.Import(ctx, "企业台账.xlsx", &buf, false); err != nil {
		t.Fatal(err)
	}
	w.seedPlatformCopies()
	for op, err := range store.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		w.ids = append(w.ids, op.IDNumber)
	}

	var conn *rdb.Conn
	if wo.redis != nil {
		conn = wo.redis.Conn(t)
	} else {
		conn, _ = testutil.Redis(t)
	}
	w.queue, err = retry.New(conn, retry.DefaultPolicy(), retry.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	w.seedQueue()
	w.alerts, err = alerts.NewStore(store, mapping.Beijing(), alerts.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	checker, err := alerts.NewChecker(w.alerts, alerts.Sources{
		Roster: rosterSource{store}, Runs: freshRuns{w.clock}, Alarms: alarmSource{store},
	}, nil, config.Alerts{ExpiringWithinDays: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checker.Check(ctx, false, nil); err != nil {
		t.Fatal(err)
	}

	w.history = newFakeHistory(w.clock.Now)
	w.jobs = &fakeJobs{history: w.history, now: w.clock.Now}
	w.recon = &fakeReconciler{ds: ds, ledger: store}
	opts := wo.opts
	opts.Token = testToken
	opts.Region = "灵源街道"
	opts.Now = w.clock.Now
	opts.FormWait = 5 * time.Second
	w.srv, err = New(Deps{
		Jobs: w.jobs, History: w.history, Reconciler: w.recon, Queue: w.queue, Alerts: w.alerts,
		Alarms: store, Ledger: store, Workbook: wb, Redis: conn, Status: wo.status,
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.srv.Close() })
	w.ts = httptest.NewServer(w.srv.Handler())
	t.Cleanup(w.ts.Close)
	return w
}

// seedPlatformCopies stores what the platforms hold: certificates and alarms, converted from the
// generator's shapes to the canonical model (the sync jobs' job in production).
func (w *world) seedPlatformCopies() {
	day := func(d dataset.Day) mapping.Date {
		if d.IsZero() {
			return mapping.Date{}
		}
		return mapping.MustDate(d.String())
	}
	var certs []mapping.Certificate
	for _, c := range w.ds.Certificates {
		mc := mapping.Certificate{
			CertNo: c.CertNo, HolderName: c.HolderName, IDNumber: strings.ToUpper(c.IDNumber), Gender: c.Gender,
			CategoryCode: c.CategoryCode, CategoryName: c.CategoryName, ItemCode: c.ItemCode, ItemName: c.ItemName,
			FirstIssueDate: day(c.FirstIssueDate), ValidFrom: day(c.ValidFrom), ValidUntil: day(c.ValidUntil),
			ReviewDueDate: day(c.ReviewDueDate), LastReviewDate: day(c.LastReviewDate),
			Status: mapping.CertStatus(c.Status), Issuer: c.Issuer, UpdatedAt: c.UpdatedAt,
		}
		certs = append(certs, mc)
	}
	if _, err := w.ledger.UpsertCertificates(w.ctx, certs); err != nil {
		w.t.Fatal(err)
	}
	var alarms []mapping.Alarm
	for _, a := range w.ds.Alarms {
		alarms = append(alarms, mapping.Alarm{
			ID: a.ID, PlatformID: a.PlatformID, USCC: a.USCC, EnterpriseName: a.EnterpriseName, PointCode: a.PointCode,
			PointName: a.PointName, Quantity: a.Quantity, Unit: a.Unit, Value: a.Value, Threshold: a.Threshold,
			Type: a.Type, Level: a.Level, RaisedAt: a.RaisedAt, RecoveredAt: a.RecoveredAt,
			HandlingStatus: a.HandlingStatus, HandlingNote: a.HandlingNote, Handler: a.Handler, HandledAt: a.HandledAt,
			UpdatedAt: a.UpdatedAt,
		})
	}
	if _, err := w.ledger.UpsertAlarms(w.ctx, alarms); err != nil {
		w.t.Fatal(err)
	}
}

// seedQueue puts three dead items (one keyed by a roster entry, so by an ID number) and two
// waiting ones into the retry queue, through the queue's own API.
func (w *world) seedQueue() {
	op := w.ds.Roster[0]
	roster := mapping.OperatorKey{IDNumber: op.IDNumber, EnterpriseUSCC: op.EnterpriseUSCC, ItemCode: op.ItemCode}
	keys := [][2]string{
		{"specialops.employment.register", roster.String()},
		{"quanzhou.enterprise.push", w.ds.Ledger[0].USCC},
		{"quanzhou.enterprise.push", w.ds.Ledger[1].USCC},
	}
	for _, k := range keys {
		if _, err := w.queue.Enqueue(w.ctx, k[0], k[1], nil); err != nil {
			w.t.Fatal(err)
		}
		it, err := w.queue.Claim(w.ctx, k[0], time.Minute)
		if err != nil {
			w.t.Fatal(err)
		}
		cause := fmt.Errorf("平台拒绝（40001）：记录 %s 字段校验失败", k[1])
		if _, err := w.queue.Fail(w.ctx, it, retry.Permanent(cause)); err != nil {
			w.t.Fatal(err)
		}
		w.dead = append(w.dead, it.ID)
	}
	for _, e := range w.ds.Ledger[2:4] {
		if _, err := w.queue.Enqueue(w.ctx, "quanzhou.enterprise.push", e.USCC, retry.Transient(errors.New("平台暂时不可用（503）"), 0)); err != nil {
			w.t.Fatal(err)
		}
	}
}

// ---- adapters of the real alert checker over the real ledger (the wiring's job in production) ----

type rosterSource struct{ l ledger.Store }

// EachOnDuty reads the ledger's roster as the wiring does. Every entry counts as answered by the
// special-operations system: the world's certificates stand for a complete sync.
func (s rosterSource) EachOnDuty(ctx context.Context, day mapping.Date, fn func(*alerts.RosterEntry) error) error {
	cat := mapping.DefaultCatalog()
	for e, err := range s.l.AlertRoster(ctx, day) {
		if err != nil {
			return err
		}
		item, _ := cat.Item(e.Operator.ItemCode)
		entry := alerts.RosterEntry{Certificates: e.Certificates, Answered: true}
		entry.Operator, entry.EnterpriseName, entry.Community, entry.ItemName = e.Operator, e.EnterpriseName, e.Community, item.Name
		if err := fn(&entry); err != nil {
			return err
		}
	}
	return nil
}

// freshRuns says every job succeeded an hour ago: the world's data is fresh.
type freshRuns struct{ c *clock.Fake }

func (r freshRuns) LastSuccess(context.Context, string) (time.Time, bool, error) {
	return r.c.Now().Add(-time.Hour), true, nil
}

type alarmSource struct{ l ledger.Store }

func (s alarmSource) UnhandledAlarms(ctx context.Context, before time.Time) ([]alerts.AlarmEntry, error) {
	comm := map[string]string{}
	for e, err := range s.l.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			return nil, err
		}
		comm[e.USCC] = e.Community
	}
	var out []alerts.AlarmEntry
	for a, err := range s.l.Alarms(ctx, ledger.AlarmFilter{Unhandled: true, To: before}) {
		if err != nil {
			return nil, err
		}
		out = append(out, alerts.AlarmEntry{Alarm: a, Community: comm[a.USCC]})
	}
	return out, nil
}

// ---- STAND-IN: run history (real: the scheduler's, kept in the ledger, through internal/app). ----

type fakeHistory struct {
	mu   sync.Mutex
	runs []scheduler.Run // oldest first
	now  func() time.Time
}

func newFakeHistory(now func() time.Time) *fakeHistory {
	h := &fakeHistory{now: now}
	// Two weeks of nightly runs, a failure and a skip among them.
	for d := 13; d >= 0; d-- {
		for i, j := range jobs.Names {
			start := now().Add(-time.Duration(d)*24*time.Hour - 7*time.Hour + time.Duration(i)*30*time.Minute)
			r := scheduler.Run{Job: j, Trigger: scheduler.TriggerSchedule, Start: start, End: start.Add(time.Duration(20+7*i+d%5*9) * time.Second),
				Outcome: scheduler.OutcomeSuccess, Counts: jobs.Summary{Pulled: 120 + d, Pushed: 3 + d%4, Unchanged: 180}.Counts()}
			if j == jobs.Certificates && d == 4 {
				r.Outcome, r.Reason = scheduler.OutcomeFailed, "特种作业系统不可用（503），已转入重试队列"
			}
			if j == jobs.Alarms && d == 9 {
				r.Outcome, r.Counts = scheduler.OutcomeSkipped, nil
			}
			h.runs = append(h.runs, r)
		}
	}
	return h
}

func (h *fakeHistory) Runs(_ context.Context, job string, offset, limit int) ([]scheduler.Run, int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var all []scheduler.Run
	for i := len(h.runs) - 1; i >= 0; i-- {
		if job == "" || h.runs[i].Job == job {
			all = append(all, h.runs[i])
		}
	}
	if offset >= len(all) {
		return nil, len(all), nil
	}
	return all[offset:min(len(all), offset+limit)], len(all), nil
}

func (h *fakeHistory) add(r scheduler.Run) {
	h.mu.Lock()
	h.runs = append(h.runs, r)
	h.mu.Unlock()
}

// ---- STAND-IN: job runner (real: jobs.Runner through internal/app); records manual runs. ----

type fakeJobs struct {
	history *fakeHistory
	now     func() time.Time
	mu      sync.Mutex
	calls   []string
	block   chan struct{} // when set, runs wait for it (tests of running tasks)
}

func (f *fakeJobs) Run(ctx context.Context, job string, full bool) ([]jobs.Summary, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprint(job, "|", full))
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	names := []string{job}
	if job == jobAll {
		names = jobs.Names
	}
	var out []jobs.Summary
	for i, j := range names {
		s := jobs.Summary{Job: j, Pulled: 10 + i, Pushed: 2, Unchanged: 40, DurationMs: 1200}
		out = append(out, s)
		start := f.now()
		f.history.add(scheduler.Run{Job: j, Trigger: scheduler.TriggerManual, Start: start, End: start.Add(1200 * time.Millisecond),
			Outcome: scheduler.OutcomeSuccess, Counts: s.Counts()})
	}
	return out, nil
}

// ---- STAND-IN: reconciler (real: internal/reconcile through internal/app). It reports the gaps
// the generator built between ledger and platform, and one unregistered roster entry with its
// whole ID number, which the console must mask. ----

type fakeReconciler struct {
	ds      *dataset.Dataset
	ledger  ledger.Store
	mu      sync.Mutex
	applied bool
}

func (f *fakeReconciler) Reconcile(ctx context.Context, sc Scope) (*reconcile.Report, error) {
	f.mu.Lock()
	applied := f.applied
	f.mu.Unlock()
	r := &reconcile.Report{}
	if sc.What != ScopeOperators {
		e := &reconcile.EnterpriseReport{OnlyInLedger: []reconcile.LedgerOnly{}, OnlyOnPlatform: []reconcile.PlatformOnly{}, Different: []reconcile.Difference{}}
		platform := map[string]dataset.Enterprise{}
		for _, p := range f.ds.Platform {
			platform[p.USCC] = p
		}
		in := func(uscc string) bool { return sc.USCC == "" || sc.USCC == uscc }
		for _, u := range f.ds.Gaps.OnlyInLedger {
			if rec, err := f.ledger.EnterpriseByUSCC(ctx, u); err == nil && in(u) && !applied {
				e.OnlyInLedger = append(e.OnlyInLedger, reconcile.LedgerOnly{USCC: u, Name: rec.Name, Community: rec.Community})
			}
		}
		for _, u := range f.ds.Gaps.OnlyOnPlatform {
			if in(u) {
				p := platform[u]
				e.OnlyOnPlatform = append(e.OnlyOnPlatform, reconcile.PlatformOnly{USCC: u, Name: p.Name, Qyid: p.PlatformID})
			}
		}
		for _, u := range f.ds.Gaps.Different {
			rec, err := f.ledger.EnterpriseByUSCC(ctx, u)
			if err != nil || !in(u) || applied {
				continue
			}
			p := platform[u]
			d := reconcile.Difference{USCC: u, Name: rec.Name}
			for _, fd := range []reconcile.FieldDiff{{Field: "name", Ledger: rec.Name, Platform: p.Name, Owner: "street"},
				{Field: "legalRep", Ledger: rec.LegalRep, Platform: p.LegalRep, Owner: "street"},
				{Field: "principal", Ledger: rec.Principal, Platform: p.Principal, Owner: "street"},
				{Field: "principalPhone", Ledger: rec.PrincipalPhone, Platform: p.Phone, Owner: "street"},
				{Field: "address", Ledger: rec.Address, Platform: p.Address, Owner: "street"}} {
				if fd.Ledger != fd.Platform {
					d.Fields = append(d.Fields, fd)
				}
			}
			if len(d.Fields) > 0 {
				e.Different = append(e.Different, d)
			}
		}
		r.Enterprises = e
	}
	if sc.What != ScopeEnterprises {
		o := &reconcile.OperatorReport{Unregistered: []reconcile.Unregistered{}, UnknownItems: []reconcile.UnknownItem{}, Uncertified: 3}
		op := f.ds.Roster[0]
		if !applied {
			o.Unregistered = append(o.Unregistered, reconcile.Unregistered{IDNumber: op.IDNumber, CertNo: "T" + op.IDNumber, Enterprise: op.EnterpriseUSCC})
		}
		r.Operators = o
	}
	return r, nil
}

func (f *fakeReconciler) Apply(ctx context.Context, sc Scope) (*reconcile.Applied, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = true
	return &reconcile.Applied{Pushed: len(f.ds.Gaps.Different), Registered: 1, NeedsPerson: []reconcile.Attention{}, Failed: []reconcile.Attention{}}, nil
}

// ---- STAND-IN: workbook (real: internal/workbook through internal/app); loads and writes the
// ledger workbook with excelize and package mapping (.xlsx only). ----

type fakeWorkbook struct {
	ledger  ledger.Store
	catalog *mapping.Catalog
	today   mapping.Date
}

func (f *fakeWorkbook) Import(ctx context.Context, name string, r io.Reader, dryRun bool) (*ImportResult, error) {
	if !strings.EqualFold(filepath.Ext(name), ".xlsx") {
		return nil, &InputError{Reason: "测试替身只读 .xlsx"}
	}
	x, err := excelize.OpenReader(r)
	if err != nil {
		return nil, &InputError{Reason: "无法读取工作簿：" + err.Error()}
	}
	defer x.Close()
	res := &ImportResult{Rejected: []Rejection{}}
	rows := func(sheet mapping.Sheet, each func(row map[string]string, n int)) error {
		all, err := x.GetRows(string(sheet))
		if err != nil || len(all) == 0 {
			return nil
		}
		for i, cells := range all[1:] {
			row := map[string]string{}
			for c, h := range all[0] {
				if c < len(cells) {
					row[h] = cells[c]
				}
			}
			each(row, i+2)
		}
		return nil
	}
	reject := func(sheet mapping.Sheet, n int, ps mapping.Problems) {
		for _, p := range ps.Errors() {
			res.Rejected = append(res.Rejected, Rejection{Sheet: string(sheet), Row: n, Column: p.Label, Value: p.Value, Reason: p.Reason})
		}
	}
	var ents []ledger.EnterpriseInput
	var ops []ledger.OperatorInput
	_ = rows(mapping.SheetEnterprises, func(row map[string]string, n int) {
		e, ps := mapping.EnterpriseFromRow(row, f.catalog)
		if ps.HasErrors() {
			reject(mapping.SheetEnterprises, n, ps)
			return
		}
		ents = append(ents, ledger.EnterpriseInput{Enterprise: e, Warnings: ps.Warnings()})
	})
	_ = rows(mapping.SheetOperators, func(row map[string]string, n int) {
		o, ps := mapping.OperatorFromRow(row, f.catalog, mapping.WithToday(f.today))
		if ps.HasErrors() {
			reject(mapping.SheetOperators, n, ps)
			return
		}
		ops = append(ops, ledger.OperatorInput{Operator: o, Warnings: ps.Warnings()})
	})
	upE, upO := f.ledger.UpsertEnterprises, f.ledger.UpsertOperators
	if dryRun {
		upE, upO = f.ledger.CompareEnterprises, f.ledger.CompareOperators
	}
	outs, err := upE(ctx, ents)
	if err != nil {
		return nil, err
	}
	res.Enterprises = ledger.Tally(outs)
	if outs, err = upO(ctx, ops); err != nil {
		return nil, err
	}
	res.Operators = ledger.Tally(outs)
	return res, nil
}

// RejectionList knows no list: the stand-in keeps none (the real one is internal/app's).
func (f *fakeWorkbook) RejectionList(context.Context, string, io.Writer) error {
	return fmt.Errorf("rejection list: %w", ledger.ErrNotFound)
}

func (f *fakeWorkbook) Export(ctx context.Context, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	write := func(sheet mapping.Sheet, rows func(yield func(map[string]string) bool) error) error {
		headers := sheet.Headers()
		n := 1
		put := func(vals []any) {
			cell, _ := excelize.CoordinatesToCellName(1, n)
			_ = x.SetSheetRow(string(sheet), cell, &vals)
			n++
		}
		hv := make([]any, len(headers))
		for i, h := range headers {
			hv[i] = h
		}
		put(hv)
		return rows(func(row map[string]string) bool {
			vals := make([]any, len(headers))
			for i, h := range headers {
				vals[i] = row[h]
			}
			put(vals)
			return true
		})
	}
	if err := x.SetSheetName("Sheet1", string(mapping.SheetEnterprises)); err != nil {
		return err
	}
	if _, err := x.NewSheet(string(mapping.SheetOperators)); err != nil {
		return err
	}
	if err := write(mapping.SheetEnterprises, func(yield func(map[string]string) bool) error {
		for e, err := range f.ledger.Enterprises(ctx, ledger.EnterpriseFilter{}) {
			if err != nil {
				return err
			}
			yield(mapping.EnterpriseToRow(&e.Enterprise))
		}
		return nil
	}); err != nil {
		return err
	}
	if err := write(mapping.SheetOperators, func(yield func(map[string]string) bool) error {
		for o, err := range f.ledger.Operators(ctx, ledger.OperatorFilter{}) {
			if err != nil {
				return err
			}
			yield(mapping.OperatorToRow(&o.Operator, f.catalog))
		}
		return nil
	}); err != nil {
		return err
	}
	return x.Write(w)
}

// ---- test helpers ----

// assertNoFullIDs fails when body contains any whole ID number of the ledger.
func (w *world) assertNoFullIDs(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, id := range w.ids {
		if bytes.Contains(body, []byte(id)) {
			t.Errorf("%s: the response holds the whole ID number %s…", what, id[:6])
			return
		}
	}
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
