package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"streetsync/internal/console"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/reconcile"
	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/scheduler"
)

// Console builds the operator console and API over this App's parts. The caller mounts
// Handler() (Serve does it through DaemonOptions.Console) and closes the console before the App.
func (a *App) Console(ctx context.Context) (*console.Server, error) {
	st, err := a.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	q, err := a.Queue(ctx)
	if err != nil {
		return nil, err
	}
	alertStore, err := a.AlertStore(ctx)
	if err != nil {
		return nil, err
	}
	runner, err := a.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := a.Scheduler(ctx); err != nil {
		return nil, err
	}
	rec, err := a.Reconciler(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := a.Catalog()
	if err != nil {
		return nil, err
	}
	conn, err := a.Redis(ctx)
	if err != nil {
		return nil, err
	}
	lists := &rejectionLists{}
	a.onClose("import rejection lists", lists.close)
	deps := console.Deps{
		Jobs:       syncRunner{a},
		History:    runHistory{a},
		Reconciler: &consoleReconciler{r: rec, fixer: runner},
		Queue:      q,
		Alerts:     alertStore,
		Alarms:     alarmsWithPush{Store: st, runner: runner},
		Ledger:     st,
		Workbook:   consoleWorkbook{store: st, catalog: cat, communities: a.cfg.Region.Communities, lists: lists},
		Status:     a,
		Hazards:    consoleHazards{Store: st, a: a, runner: runner},
		Redis:      redisProbe{conn: conn, addrs: a.redisAddrs()},
	}
	return console.New(deps, console.Options{
		Token: a.cfg.Console.Token, Region: a.cfg.Region.Name, Location: a.cfg.Schedule.Location(),
		Catalog: cat, Now: a.clock.Now, Logger: a.log, TrustedProxies: a.cfg.Console.Proxies(),
		Metrics: a.privateMetrics(),
	})
}

// redisProbe tells the console's pages quickly whether Redis answers. A stopped or unreachable
// server is known from one TCP dial, naming its address: go-redis's own dial retries would use up
// the page's whole health timeout and say only "deadline exceeded". Then a PING.
type redisProbe struct {
	conn  console.Pinger // the Redis connection
	addrs []string       // none for the embedded Redis
}

func (p redisProbe) Ping(ctx context.Context) error {
	var first error
	for _, addr := range p.addrs {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return p.conn.Ping(ctx)
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("redis: %w", first)
	}
	return p.conn.Ping(ctx)
}

// redisAddrs are the addresses the configuration names for Redis (none when embedded).
func (a *App) redisAddrs() []string {
	if a.cfg.Redis.Embedded() {
		return nil
	}
	if len(a.cfg.Redis.Addrs) > 0 {
		return a.cfg.Redis.Addrs
	}
	return []string{a.cfg.Redis.Addr}
}

// syncRunner runs the console's sync requests through the scheduler (lock, run history).
type syncRunner struct{ a *App }

func (s syncRunner) Run(ctx context.Context, job string, full bool) ([]jobs.Summary, error) {
	return s.a.Sync(ctx, job, full)
}

// runHistory pages the run history the scheduler keeps in the ledger.
type runHistory struct{ a *App }

func (h runHistory) Runs(ctx context.Context, job string, offset, limit int) ([]scheduler.Run, int, error) {
	return h.a.RunPage(ctx, job, offset, limit)
}

// alarmsWithPush records the street's alarm feedback through the sync runner, which sends it to
// the platform at once (queued for retry when the platform is unreachable).
type alarmsWithPush struct {
	ledger.Store
	runner *jobs.Runner
}

func (a alarmsWithPush) RecordAlarmFeedback(ctx context.Context, fb mapping.AlarmFeedback) (ledger.FeedbackRecord, bool, error) {
	out, err := a.runner.RecordFeedback(ctx, fb)
	return out.Feedback, out.Created, err
}

// consoleWorkbook loads an uploaded workbook through a temporary file (the workbook package
// reads by path: xlsx needs random access) and writes the export the same way. The full list of
// an import's rejected rows and warnings goes to rejectionLists, for the console's download.
type consoleWorkbook struct {
	store       ledger.Store
	catalog     *mapping.Catalog
	communities []string
	lists       *rejectionLists
}

func (w consoleWorkbook) Import(ctx context.Context, name string, r io.Reader, dryRun bool) (*console.ImportResult, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".xlsx" && ext != ".csv" {
		return nil, &workbook.FileError{File: filepath.Base(name), Reason: "只能导入 .xlsx 或 .csv 文件"}
	}
	dir, err := os.MkdirTemp("", "streetsync-import-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// The base name survives: reports name the file the operator uploaded.
	path := filepath.Join(dir, filepath.Base(name))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return nil, fmt.Errorf("receive %s: %w", filepath.Base(name), err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	id, listPath, err := w.lists.reserve()
	if err != nil {
		return nil, err
	}
	rep, err := workbook.Import(ctx, w.store, path, workbook.Options{DryRun: dryRun, Catalog: w.catalog,
		Communities: w.communities, RejectedPath: listPath})
	if err != nil {
		w.lists.drop(listPath)
		return nil, err
	}
	out := &console.ImportResult{Enterprises: rep.Enterprises, Operators: rep.Operators, DryRun: dryRun,
		Rejected: make([]console.Rejection, len(rep.Rejected)), RejectedRows: rep.RejectedRows,
		RejectedOmitted: rep.RejectedOmitted, Warnings: rep.Warnings, WarningsOmitted: rep.WarningsOmitted}
	for i, x := range rep.Rejected {
		out.Rejected[i] = console.Rejection(x)
	}
	for _, c := range rep.RejectedCounts {
		out.RejectedCounts = append(out.RejectedCounts, console.RejectionCount(c))
	}
	for _, x := range rep.WarningList {
		out.WarningList = append(out.WarningList, console.Warning(x))
	}
	if rep.RejectedRows+rep.Warnings == 0 {
		w.lists.drop(listPath) // nothing to download
	} else {
		w.lists.keep(id)
		out.ListID = id
	}
	return out, nil
}

func (w consoleWorkbook) RejectionList(_ context.Context, id string, dst io.Writer) error {
	f, err := w.lists.open(id)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}

// rejectionLists keeps the full rejection lists of the console's latest imports on disk — a
// few, the oldest deleted as new ones come — so that the operator can download one after the
// page has shown its first thousand rows, and the daemon holds none of them in memory.
type rejectionLists struct {
	mu  sync.Mutex
	dir string   // made at the first import; removed at close
	ids []string // kept lists, oldest first
}

// keepRejectionLists is how many lists stay downloadable.
const keepRejectionLists = 8

// reserve names a new list: an unguessable id and the path it is written to.
func (l *rejectionLists) reserve() (string, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dir == "" {
		dir, err := os.MkdirTemp("", "streetsync-rejected-*")
		if err != nil {
			return "", "", err
		}
		l.dir = dir
	}
	id := rand.Text()
	return id, filepath.Join(l.dir, id+".xlsx"), nil
}

// keep makes a written list downloadable, deleting the oldest beyond keepRejectionLists.
func (l *rejectionLists) keep(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
	for len(l.ids) > keepRejectionLists {
		_ = os.Remove(filepath.Join(l.dir, l.ids[0]+".xlsx"))
		l.ids = l.ids[1:]
	}
}

// drop deletes a list that is not kept.
func (l *rejectionLists) drop(path string) { _ = os.Remove(path) }

func (l *rejectionLists) open(id string) (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.ids, id) {
		return nil, fmt.Errorf("rejection list: %w", ledger.ErrNotFound)
	}
	return os.Open(filepath.Join(l.dir, id+".xlsx"))
}

func (l *rejectionLists) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = nil
	if l.dir == "" {
		return nil
	}
	return os.RemoveAll(l.dir)
}

func (w consoleWorkbook) Export(ctx context.Context, dst io.Writer) error {
	dir, err := os.MkdirTemp("", "streetsync-export-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "企业台账.xlsx")
	if err := workbook.Export(ctx, w.store, path, workbook.Options{Catalog: w.catalog}); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}

// consoleReconciler runs the console's reconciliations: the whole street by scope, or one
// enterprise; an apply acts on what a fresh comparison saw.
type consoleReconciler struct {
	r     *reconcile.Reconciler
	fixer reconcile.Fixer
}

func (c *consoleReconciler) run(ctx context.Context, scope console.Scope) (*reconcile.Report, *reconcile.Snapshot, error) {
	if scope.USCC != "" {
		// One enterprise: its platform record against its ledger record.
		return c.r.Enterprise(ctx, scope.USCC)
	}
	sc, err := reconcile.ParseScope(scope.What)
	if err != nil {
		return nil, nil, err
	}
	return c.r.Run(ctx, sc)
}

func (c *consoleReconciler) Reconcile(ctx context.Context, scope console.Scope) (*reconcile.Report, error) {
	if scope.USCC == "" {
		// The street by scope: the report alone, nothing kept for an apply.
		sc, err := reconcile.ParseScope(scope.What)
		if err != nil {
			return nil, err
		}
		return c.r.Compare(ctx, sc)
	}
	rep, _, err := c.run(ctx, scope)
	return rep, err
}

func (c *consoleReconciler) Apply(ctx context.Context, scope console.Scope) (*reconcile.Applied, error) {
	rep, snap, err := c.run(ctx, scope)
	if err != nil {
		return nil, err
	}
	defer rep.Close() // the report before the fixes: never shown
	return c.r.Apply(ctx, snap, c.fixer)
}
