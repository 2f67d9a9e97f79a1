package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/app"
	"streetsync/internal/config"
	"streetsync/internal/console"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/reconcile"
	"streetsync/internal/testutil"
	"streetsync/internal/workbook"
	"streetsync/mocks"
	"streetsync/scheduler/retry"
)

// BenchmarkConsoleAtScale drives every page and every GET endpoint of the API of a real
// streetsync's console — built by internal/app over a SQLite ledger of STREETSYNC_BENCH_N
// enterprises (default 2 000; the figure is 100 000, about 525 000 roster entries) after
// an import, a full sync and an alert check, a real Redis holding 1 000 waiting and 100 dead
// retry items, and the report of a `reconcile all` of that ledger as the console's last (made by
// the child against the platforms as generated: tens of thousands of rows at 100 000, held in
// memory as the console holds it) — and reports each one's p50 and p95 server time (measured around the handler),
// and the process's peak resident memory while it serves. Deep pages and searches are driven
// too: a page's cost must not grow with its number or with the street.
//
// The ledger is built once per size by a child process (so that the memory measured is the
// console's, not the import's) and kept in the temp dir for the next run:
//
//	go test -c -o /tmp/console.test ./internal/console
//	STREETSYNC_BENCH_N=100000 /tmp/console.test -test.run '^$' -test.bench BenchmarkConsoleAtScale \
//	    -test.benchtime 20x -test.timeout 60m -test.v
//
// STREETSYNC_BENCH_EXPORT=1 also times one download of the ledger workbook (it grows with the
// ledger by nature: it is the ledger) and reports the peak memory after it.
func BenchmarkConsoleAtScale(b *testing.B) {
	n := benchN()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("streetsync-console-bench-%d", n))
	if _, err := os.Stat(filepath.Join(dir, "ready")); err != nil {
		b.Logf("building the %d-enterprise ledger in %s (once)…", n, dir)
		start := time.Now()
		runBenchChild(b, "prepare", n, dir)
		b.Logf("built in %s", time.Since(start).Round(time.Second))
	}
	if _, err := os.Stat(filepath.Join(dir, benchReport)); err != nil { // a ledger built before the report was
		b.Logf("reconciling the %d-enterprise ledger (once)…", n)
		runBenchChild(b, "report", n, dir)
	}
	ctx := context.Background()
	conn, _ := testutil.Redis(b)
	cfg := config.Default()
	cfg.Redis.Addr, cfg.Redis.Prefix = testutil.RedisAddrs(conn)[0], conn.Prefix
	cfg.Ledger = config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(dir, "ledger.db"))}
	cfg.Quanzhou.BaseURL, cfg.SpecialOps.BaseURL = "http://127.0.0.1:1/qz", "http://127.0.0.1:1/tz" // never called
	cfg.Quanzhou.AppKey, cfg.Quanzhou.AppSecret = "bench", "bench-secret"
	cfg.SpecialOps.ClientID, cfg.SpecialOps.ClientSecret = "bench", "bench-secret"
	cfg.Console.Token = "bench-console-token-0123456789"
	a := app.New(&cfg, zap.NewNop())
	b.Cleanup(func() { a.Close() })
	srv, err := a.Console(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	st, err := a.Ledger(ctx)
	if err != nil {
		b.Fatal(err)
	}
	seedBenchQueue(b, a, st)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep := loadBenchReport(b, dir)
	console.SetLastReport(srv, rep, time.Now())
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("the report held by the console: %.0f MiB of heap", float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))

	timer := &serverTimes{}
	timer.reset()
	ts := httptest.NewServer(timer.wrap(srv.Handler()))
	b.Cleanup(ts.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookie := benchLogin(b, client, ts.URL, cfg.Console.Token.Reveal())
	paths := append(benchPaths(b, st), reportPaths(rep)...)

	get := func(path string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+cfg.Console.Token.Reveal())
		} else {
			req.AddCookie(cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatalf("GET %s: %v", path, err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: status %d", path, resp.StatusCode)
		}
		timer.size(path, n)
	}
	for _, p := range paths { // warm: the first view reads what later ones find cached
		get(p)
	}
	timer.reset()
	for b.Loop() {
		for _, p := range paths {
			get(p)
		}
	}
	worst := timer.report(b, paths)
	b.ReportMetric(worst.Seconds()*1000, "worst-p95-ms")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	b.ReportMetric(float64(n), "enterprises")

	if os.Getenv("STREETSYNC_BENCH_EXPORT") != "" {
		start := time.Now()
		get("/api/workbook/export")
		b.Logf("GET /api/workbook/export: %s, %d bytes; peak RSS after it %.0f MiB", time.Since(start).Round(time.Millisecond),
			timer.sizes["/api/workbook/export"], peakRSSMiB())
	}
}

func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("STREETSYNC_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// runBenchChild runs this test binary as the bench's child in role (prepare, report).
func runBenchChild(b *testing.B, role string, n int, dir string) {
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+role, "STREETSYNC_BENCH_N="+strconv.Itoa(n), "STREETSYNC_BENCH_DIR="+dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		b.Fatalf("the bench's child (%s): %v", role, err)
	}
}

// benchChildEnv names the child's role (TestMain): "prepare" builds the ledger and its report,
// "report" only the report.
const benchChildEnv = "CONSOLE_BENCH_CHILD"

// benchReport is the file, next to the ledger, of a `reconcile all` of it (the contract's JSON).
const benchReport = "reconcile.json"

// prepareBenchLedger is the child: the mock platforms with n generated enterprises, then what a
// first day does — import the street's workbook, a full sync of every job, an alert check —
// into dir/ledger.db, and dir/ready when done; then a `reconcile all` against the platforms as
// generated (the report the console shows), into dir/reconcile.json. Role "report" makes only
// the report, for a ledger built before it was.
func prepareBenchLedger(role string) int {
	n, _ := strconv.Atoi(os.Getenv("STREETSYNC_BENCH_N"))
	dir := os.Getenv("STREETSYNC_BENCH_DIR")
	if err := prepare(n, dir, role == "report"); err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		return 1
	}
	return 0
}

func prepare(n int, dir string, reportOnly bool) error {
	ctx := context.Background()
	if !reportOnly {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	srv, err := mocks.NewServer(mocks.Options{Seed: 1, Enterprises: n, Unlimited: true, DiscardPushes: true})
	if err != nil {
		return err
	}
	ts, ep := srv.StartTest()
	defer ts.Close()
	wb := filepath.Join(dir, "企业台账.xlsx")
	f, err := os.Create(wb)
	if err != nil {
		return err
	}
	if err := srv.Dataset.WriteWorkbook(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Redis.Addr = "" // the sync's retry items do not outlive the child
	cfg.Ledger = config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(dir, "ledger.db"))}
	cfg.Quanzhou.BaseURL, cfg.Quanzhou.AppKey, cfg.Quanzhou.AppSecret = ep.QuanzhouBaseURL, ep.AppKey, config.Secret(ep.AppSecret)
	cfg.SpecialOps.BaseURL, cfg.SpecialOps.ClientID, cfg.SpecialOps.ClientSecret = ep.SpecialOpsBaseURL, ep.ClientID, config.Secret(ep.ClientSecret)
	cfg.Quanzhou.RateLimit, cfg.Quanzhou.Burst = 100000, 1000
	cfg.SpecialOps.RateLimit, cfg.SpecialOps.Burst = 100000, 1000
	cfg.Alerts.Channels = nil
	cfg.Console.Token = "bench-console-token-0123456789"
	a := app.New(&cfg, zap.NewNop())
	defer a.Close()
	st, err := a.Ledger(ctx)
	if err != nil {
		return err
	}
	cat, err := a.Catalog()
	if err != nil {
		return err
	}
	type step struct {
		name string
		run  func() error
	}
	steps := []step{
		{"import", func() error {
			_, err := workbook.Import(ctx, st, wb, workbook.Options{Catalog: cat, Communities: cfg.Region.Communities})
			return err
		}},
		{"sync all", func() error { _, err := a.Sync(ctx, jobs.All, true); return err }},
		{"alerts check", func() error { _, err := a.CheckAlerts(ctx, false, nil); return err }},
		{"write ready", func() error { return os.WriteFile(filepath.Join(dir, "ready"), []byte("ok\n"), 0o644) }},
	}
	report := step{"reconcile all", func() error {
		rc, err := a.Reconciler(ctx)
		if err != nil {
			return err
		}
		rep, _, err := rc.Run(ctx, reconcile.ScopeAll)
		if err != nil {
			return err
		}
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, benchReport), b, 0o644)
	}}
	if reportOnly {
		steps = nil
	}
	for _, s := range append(steps, report) {
		start := time.Now()
		if err := s.run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(os.Stderr, "prepare: %s in %s\n", s.name, time.Since(start).Round(time.Second))
	}
	_ = os.Remove(wb)
	return a.Close()
}

// loadBenchReport reads the report the child made.
func loadBenchReport(b *testing.B, dir string) *reconcile.Report {
	raw, err := os.ReadFile(filepath.Join(dir, benchReport))
	if err != nil {
		b.Fatal(err)
	}
	var rep reconcile.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		b.Fatal(err)
	}
	return &rep
}

// reportPaths are the report's page and API, with a deep page of its longest list.
func reportPaths(rep *reconcile.Report) []string {
	name, longest := console.LongestReportList(rep)
	deep := strconv.Itoa(max(1, longest/100/2))
	return []string{"/reconcile?list=" + name + "&page=" + deep, // "/reconcile" is among benchPaths
		"/api/reconcile/report", "/api/reconcile/report?list=" + name + "&page=" + deep}
}

// seedBenchQueue puts 1 000 waiting and 100 dead items into the retry queue, keyed by the
// ledger's enterprises.
func seedBenchQueue(b *testing.B, a *app.App, st ledger.Store) {
	ctx := context.Background()
	q, err := a.Queue(ctx)
	if err != nil {
		b.Fatal(err)
	}
	recs, _, err := st.EnterprisePage(ctx, ledger.EnterpriseQuery{Limit: 1100})
	if err != nil {
		b.Fatal(err)
	}
	var reqs []retry.Request
	for _, r := range recs {
		reqs = append(reqs, retry.Request{Kind: jobs.KindEnterprisePush, Key: r.USCC, Cause: retry.Transient(fmt.Errorf("泉州平台返回 503"), 0)})
	}
	if _, err := q.EnqueueBatch(ctx, reqs); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < min(100, len(recs)); i++ {
		if _, err := q.Enqueue(ctx, jobs.KindEnterpriseReadBack, recs[i].USCC, nil); err != nil {
			b.Fatal(err)
		}
		it, err := q.Claim(ctx, jobs.KindEnterpriseReadBack, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := q.Fail(ctx, it, retry.Permanent(fmt.Errorf("平台拒绝（40001）"))); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLogin(b *testing.B, client *http.Client, base, token string) *http.Cookie {
	resp, err := client.PostForm(base+"/login", url.Values{"token": {token}, "operator": {"压测"}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "streetsync_session" {
			return c
		}
	}
	b.Fatalf("login: status %d, no session", resp.StatusCode)
	return nil
}

// benchPaths are the pages and API reads, with deep pages and searches at the street's size.
func benchPaths(b *testing.B, st ledger.Store) []string {
	ctx := context.Background()
	_, ents, err := st.EnterprisePage(ctx, ledger.EnterpriseQuery{})
	if err != nil {
		b.Fatal(err)
	}
	_, ops, err := st.OperatorPage(ctx, ledger.OperatorQuery{})
	if err != nil {
		b.Fatal(err)
	}
	one, _, err := st.OperatorPage(ctx, ledger.OperatorQuery{Offset: ops / 2, Limit: 1})
	if err != nil || len(one) == 0 {
		b.Fatalf("a roster entry: %v", err)
	}
	rows, _, err := st.AlertPage(ctx, ledger.AlertQuery{Status: "firing", Limit: 1})
	if err != nil || len(rows) == 0 {
		b.Fatalf("an alert: %v", err)
	}
	deepEnt, deepOp := max(1, ents/50/2), max(1, ops/50/2)
	return []string{
		"/", "/jobs", "/jobs?page=2", "/queue", "/queue?view=live", "/queue?view=live&page=10",
		"/queue?q=" + one[0].EnterpriseUSCC, "/reconcile",
		"/alerts", "/alerts?status=", "/alerts?status=&page=" + strconv.Itoa(deepOp/4), "/alerts?severity=critical&family=certificate",
		"/alerts?q=" + url.QueryEscape(one[0].Name), "/alerts?q=" + one[0].IDNumber, "/alerts/silences",
		"/alarms", "/alarms?days=0&page=5", "/alarms?show=refused",
		"/ledger", "/ledger?page=" + strconv.Itoa(deepEnt), "/ledger?q=" + url.QueryEscape("鞋业"), "/ledger?state=notOnPlatform",
		"/ledger?tab=operators", "/ledger?tab=operators&page=" + strconv.Itoa(deepOp), "/ledger?tab=operators&q=" + one[0].IDNumber,
		"/ledger?tab=operators&q=" + url.QueryEscape(one[0].Name), "/ledger?tab=unregistered", "/ledger?tab=quarantine",
		"/api/overview", "/api/jobs/runs", "/api/jobs/status", "/api/queue/stats", "/api/queue/items", "/api/queue/items?dead=true",
		"/api/alerts", "/api/alerts?status=&page=" + strconv.Itoa(deepOp/8), "/api/alerts/" + rows[0].Key, "/api/alerts/silences",
		"/api/alarms", "/api/ledger/enterprises", "/api/ledger/enterprises?page=" + strconv.Itoa(deepEnt),
		"/api/ledger/operators", "/api/ledger/operators?page=" + strconv.Itoa(deepOp), "/api/ledger/unregistered",
		"/api/ledger/quarantine", "/hazards", "/hazards?status=all", "/hazards?status=overdue", "/api/hazards",
		"/api/hazards/figures",
	}
}

// serverTimes records how long the handler took per request, by path, and the process's CPU
// time meanwhile (requests come one at a time: on a machine shared with other work the CPU time
// is the steadier figure; it includes a background tally when one runs).
type serverTimes struct {
	mu    sync.Mutex
	by    map[string][]time.Duration
	cpu   map[string][]time.Duration
	sizes map[string]int64
}

func (s *serverTimes) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, cpu := time.Now(), processCPU()
		h.ServeHTTP(w, r)
		d, c := time.Since(start), processCPU()-cpu
		s.mu.Lock()
		s.by[r.URL.RequestURI()] = append(s.by[r.URL.RequestURI()], d)
		s.cpu[r.URL.RequestURI()] = append(s.cpu[r.URL.RequestURI()], c)
		s.mu.Unlock()
	})
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (s *serverTimes) size(path string, n int64) {
	s.mu.Lock()
	if s.sizes == nil {
		s.sizes = map[string]int64{}
	}
	s.sizes[path] = n
	s.mu.Unlock()
}

func (s *serverTimes) reset() {
	s.mu.Lock()
	s.by, s.cpu = map[string][]time.Duration{}, map[string][]time.Duration{}
	s.mu.Unlock()
}

// percentiles are p50 and p95 of ds.
func percentiles(ds []time.Duration) (time.Duration, time.Duration) {
	ds = slices.Clone(ds)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], ds[min(len(ds)-1, (len(ds)*95+99)/100-1)]
}

// report logs p50 and p95 of each path and returns the worst p95.
func (s *serverTimes) report(b *testing.B, paths []string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var worst time.Duration
	var lines []string
	for _, p := range paths {
		if len(s.by[p]) == 0 {
			continue
		}
		p50, p95 := percentiles(s.by[p])
		c50, c95 := percentiles(s.cpu[p])
		worst = max(worst, p95)
		label, _ := url.PathUnescape(p)
		if len([]rune(label)) > 60 {
			label = string([]rune(label)[:60]) + "…"
		}
		lines = append(lines, fmt.Sprintf("%-62s p50 %7.1f  p95 %7.1f ms | CPU p50 %7.1f  p95 %7.1f ms | %7d B",
			label, ms(p50), ms(p95), ms(c50), ms(c95), s.sizes[p]))
	}
	b.Logf("server time per request (%d requests each):\n%s", len(s.by[paths[0]]), strings.Join(lines, "\n"))
	return worst
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// peakRSSMiB is the process's peak resident set size (VmHWM).
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
