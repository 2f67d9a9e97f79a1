package jobs_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	mockqz "streetsync/mocks/quanzhou"
	mocktz "streetsync/mocks/specialops"
	"streetsync/scheduler/retry"
)

// Benchmarks of the whole sync, against the mocks over loopback, real Redis and SQLite.
//
// STREETSYNC_BENCH_N is the number of generated enterprises (default 2000; the roster is about
// five entries per enterprise). The figures are for 100 000 enterprises and about
// 500 000 roster entries, with the rate limits lifted:
//
//	go test -c -o /tmp/jobs.test ./internal/jobs
//	cd internal/jobs && STREETSYNC_BENCH_N=100000 /usr/bin/time -v /tmp/jobs.test \
//	    -test.run '^$' -test.bench 'BenchmarkFullSync$' -test.benchtime 1x -test.timeout 60m
//	cd internal/jobs && STREETSYNC_BENCH_N=100000 /tmp/jobs.test \
//	    -test.run '^$' -test.bench 'BenchmarkIncrementalSync$' -test.benchtime 1x -test.timeout 60m
//	cd internal/jobs && /tmp/jobs.test -test.run '^$' -test.bench 'BenchmarkRateLimits$' -test.benchtime 1x
//
// The mock platforms (600 MB at that size) run in a child process, and so does the loading of
// the ledger from the generated workbook data: the benchmark process holds only what a sync
// holds. The children are never waited for, so that /usr/bin/time's "Maximum resident set
// size" is the sync process's own; the peak-RSS-MB metric (VmHWM) says the same from inside.

// benchChild names the role of a re-executed test binary.
const benchChild = "STREETSYNC_BENCH_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(benchChild) {
	case "mock":
		os.Exit(serveMockChild())
	case "ledger":
		os.Exit(prepareLedgerChild())
	}
	os.Exit(m.Run())
}

func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("STREETSYNC_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 2000
}

const benchSeed = 1

// benchConcurrency is Deps.Concurrency (STREETSYNC_BENCH_CONCURRENCY; default the Runner's).
func benchConcurrency() int {
	n, _ := strconv.Atoi(os.Getenv("STREETSYNC_BENCH_CONCURRENCY"))
	return n
}

// benchWorld is a world whose mock platforms and ledger loading live in child processes.
type benchWorld struct {
	mockPID     int
	clk         *offsetClock
	ep          mocks.Endpoints
	controlBase string // the mock child's control URL
	store       ledger.Store
	runner      *jobs.Runner
}

func startBenchWorld(b *testing.B, n int, limited bool) *benchWorld {
	b.Helper()
	w := &benchWorld{clk: newOffsetClock()}
	env := []string{fmt.Sprintf("STREETSYNC_BENCH_N=%d", n), fmt.Sprintf("STREETSYNC_BENCH_OFFSET=%d", w.clk.off.Load()),
		fmt.Sprintf("STREETSYNC_BENCH_LIMITED=%v", limited)}

	// The mock platforms, in their own process.
	line, proc := startChild(b, "mock", env)
	w.mockPID = proc.Pid
	b.Cleanup(func() { _ = proc.Kill() })
	var hello struct {
		Endpoints mocks.Endpoints `json:"endpoints"`
		Control   string          `json:"control"`
		Region    string          `json:"region"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil {
		b.Fatalf("mock child said %q: %v", line, err)
	}
	w.ep, w.controlBase = hello.Endpoints, hello.Control
	w.ep.Region = hello.Region

	// The ledger, loaded by another process from the same generated data.
	path := filepath.Join(b.TempDir(), "ledger.db")
	if line, _ := startChild(b, "ledger", append(env, "STREETSYNC_BENCH_LEDGER="+path)); line != "loaded" {
		b.Fatalf("ledger child said %q", line)
	}
	s, err := ledger.Open(context.Background(), config.Ledger{Driver: "sqlite", DSN: config.Secret(path)}, ledger.WithClock(w.clk.Now))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	w.store = s

	conn, _ := testutil.Redis(b)
	log := zap.NewNop()
	q, err := retry.New(conn, testPolicy(), retry.WithClock(w.clk))
	if err != nil {
		b.Fatal(err)
	}
	qz, tz := newClients(b, w.ep, w.clk, log, worldOptions{limited: limited})
	w.runner, err = jobs.New(jobs.Deps{Store: s, Quanzhou: qz, SpecialOps: tz, Queue: q, Cursors: rdb.NewCursors(conn),
		Region: w.ep.Region, Location: mapping.Beijing(), Clock: w.clk, Logger: log, Concurrency: benchConcurrency()})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// startChild re-executes the test binary in a role and returns the first line it prints. The
// child is not waited for (see the package comment of the benchmarks).
func startChild(b *testing.B, role string, env []string) (string, *os.Process) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(append(os.Environ(), benchChild+"="+role), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		b.Fatalf("%s child: %v", role, err)
	}
	return strings.TrimSpace(line), cmd.Process
}

func childEnv() (n int, offset time.Duration, limited bool) {
	n, _ = strconv.Atoi(os.Getenv("STREETSYNC_BENCH_N"))
	off, _ := strconv.ParseInt(os.Getenv("STREETSYNC_BENCH_OFFSET"), 10, 64)
	return n, time.Duration(off), os.Getenv("STREETSYNC_BENCH_LIMITED") == "true"
}

// serveMockChild serves both platforms, seeded like the ledger child's data, on the shared
// clock, plus a control endpoint: POST /bench/advance?by=24h moves the clock on, POST
// /bench/change?percent=1 changes records as a day on the platforms would.
func serveMockChild() int {
	n, offset, limited := childEnv()
	var off atomic.Int64
	off.Store(int64(offset))
	now := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	srv, err := mocks.NewServer(mocks.Options{Seed: benchSeed, Enterprises: n, Now: now, Unlimited: !limited, DiscardPushes: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	root := "http://" + l.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	mux.HandleFunc("POST /bench/advance", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		off.Add(int64(d))
	})
	mux.HandleFunc("POST /bench/change", func(w http.ResponseWriter, r *http.Request) {
		pct, _ := strconv.ParseFloat(r.URL.Query().Get("percent"), 64)
		changePlatforms(srv, pct)
	})
	hello, _ := json.Marshal(map[string]any{"endpoints": srv.Endpoints(root), "control": root + "/bench", "region": dataset.Region})
	fmt.Println(string(hello))
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n') }()
	_ = http.Serve(l, mux)
	return 0
}

// changePlatforms changes percent of the platforms' records: platform-owned fields of
// enterprises (a new standardization grade), certificates (renewed), alarms (recovered).
func changePlatforms(srv *mocks.Server, percent float64) {
	every := int(100 / percent)
	for i, e := range srv.Quanzhou.Enterprises() {
		if i%every == 0 {
			srv.Quanzhou.EditEnterprise(e.Tyshxydm, func(x *mockqz.Enterprise) {
				x.Bzhdj = "3"
				x.Bzhyxq = "2028-12-31"
			})
		}
	}
	for i, c := range srv.SpecialOps.Certificates() {
		if i%every == 0 {
			_, _ = srv.SpecialOps.UpdateCertificate(c.CertNo, c.ItemCode, func(x *mocktz.Certificate) { x.Issuer += "（换证）" })
		}
	}
	for i, a := range srv.Quanzhou.Alarms() {
		if i%every == 0 && a.Hfsj == "" {
			a.Hfsj = a.Bjsj
			_ = srv.Quanzhou.PutAlarm(a)
		}
	}
}

// prepareLedgerChild loads the generated street data into a fresh SQLite ledger.
func prepareLedgerChild() int {
	n, offset, _ := childEnv()
	now := func() time.Time { return time.Now().Add(offset) }
	ds, err := dataset.Generate(dataset.Params{Seed: benchSeed, Enterprises: n, Reference: dataset.DayOf(now())})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	s, err := ledger.Open(ctx, config.Ledger{Driver: "sqlite", DSN: config.Secret(os.Getenv("STREETSYNC_BENCH_LEDGER"))},
		ledger.WithClock(now))
	if err == nil {
		err = errors.Join(fillLedger(ctx, s, ds), s.Close())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("loaded")
	return 0
}

func (w *benchWorld) control(b *testing.B, what string) {
	b.Helper()
	resp, err := http.Post(w.controlBase+what, "text/plain", nil)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("control %s: %s", what, resp.Status)
	}
}

// BenchmarkFullSync is the first sync of a street: every enterprise compared and the gaps
// pushed, every roster person's certificates queried, every on-duty entry registered.
func BenchmarkFullSync(b *testing.B) {
	n := benchSize()
	for b.Loop() {
		b.StopTimer()
		w := startBenchWorld(b, n, false)
		cpu := cpuTime()
		mockCPU := processCPU(w.mockPID)
		b.StartTimer()
		sums, err := w.runner.Run(context.Background(), jobs.All, false)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		reportSync(b, "", sums, cpuTime()-cpu)
		b.ReportMetric((processCPU(w.mockPID) - mockCPU).Seconds(), "mock-cpu-s")
		b.StartTimer()
	}
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}

// processCPU is another process's user+system CPU time (/proc/PID/stat, in clock ticks of
// 1/100 s).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkIncrementalSync is a day's run after 1 % of the records changed on every side: ledger
// enterprises and roster entries edited by the street, platform-owned fields, certificates and
// alarms by the platforms. The first sync and the first night's run (nothing changed) run
// untimed before it; their times are reported as full-s and first-night-%-of-full.
func BenchmarkIncrementalSync(b *testing.B) {
	n := benchSize()
	for b.Loop() {
		b.StopTimer()
		w := startBenchWorld(b, n, false)
		start, fullCPU := time.Now(), cpuTime()
		if _, err := w.runner.Run(context.Background(), jobs.All, false); err != nil {
			b.Fatal(err)
		}
		full, fullCPU := time.Since(start), cpuTime()-fullCPU
		// The first night after the first sync: nothing changed, but everything the first sync
		// wrote is recent. Reported, not timed: the goal is the steady state.
		w.clk.Advance(24 * time.Hour)
		w.control(b, "/advance?by=24h")
		start = time.Now()
		if _, err := w.runner.Run(context.Background(), jobs.All, false); err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		// The day's changes, then the next morning's run: the changes are hours old by then.
		w.control(b, "/change?percent=1")
		changeLedger(b, w.store, w.clk, 1)
		w.clk.Advance(24 * time.Hour)
		w.control(b, "/advance?by=24h")
		cpu, mockCPU := cpuTime(), processCPU(w.mockPID)
		stopProfile := profileTo(b, os.Getenv("STREETSYNC_BENCH_CPUPROFILE"))
		start = time.Now()
		b.StartTimer()
		sums, err := w.runner.Run(context.Background(), jobs.All, false)
		b.StopTimer()
		incr := time.Since(start)
		stopProfile()
		if err != nil {
			b.Fatal(err)
		}
		incrCPU := cpuTime() - cpu
		reportSync(b, "", sums, incrCPU)
		b.ReportMetric((processCPU(w.mockPID) - mockCPU).Seconds(), "mock-cpu-s")
		b.ReportMetric(full.Seconds(), "full-s")
		b.ReportMetric(100*incr.Seconds()/full.Seconds(), "incr-%-of-full")
		b.ReportMetric(100*first.Seconds()/full.Seconds(), "first-night-%-of-full")
		b.ReportMetric(100*incrCPU.Seconds()/fullCPU.Seconds(), "incr-cpu-%-of-full")
		b.StartTimer()
	}
}

// profileTo writes a CPU profile of what follows to path ("" : none) until the returned func.
func profileTo(b *testing.B, path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// changeLedger edits percent of the ledger's enterprises (an address) and roster entries (left
// yesterday), as the street office would in a day.
func changeLedger(b *testing.B, s ledger.Store, clk *offsetClock, percent float64) {
	b.Helper()
	ctx := context.Background()
	every := int(100 / percent)
	var ents []ledger.EnterpriseInput
	i := 0
	for e, err := range s.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			b.Fatal(err)
		}
		if i++; i%every == 0 && !e.PendingReview {
			e.Address += "（新址）"
			ents = append(ents, ledger.EnterpriseInput{Enterprise: e.Enterprise, Warnings: e.Warnings})
		}
	}
	if _, err := s.UpsertEnterprises(ctx, ents); err != nil {
		b.Fatal(err)
	}
	yesterday := mapping.DateOf(clk.Now().In(mapping.Beijing())).AddDays(-1)
	var ops []ledger.OperatorInput
	i = 0
	for o, err := range s.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			b.Fatal(err)
		}
		if i++; i%every == 0 && o.EndDate.IsZero() && o.StartDate.Before(yesterday) {
			o.EndDate = yesterday
			ops = append(ops, ledger.OperatorInput{Operator: o.Operator, Warnings: o.Warnings})
		}
	}
	for from := 0; from < len(ops); from += 1000 {
		if _, err := s.UpsertOperators(ctx, ops[from:min(from+1000, len(ops))]); err != nil {
			b.Fatal(err)
		}
	}
}

func reportSync(b *testing.B, prefix string, sums []jobs.Summary, cpu time.Duration) {
	b.Helper()
	for _, s := range sums {
		b.Logf("%+v", s)
		b.ReportMetric(float64(s.DurationMs)/1000, prefix+s.Job+"-s")
	}
	b.ReportMetric(cpu.Seconds(), prefix+"cpu-s")
}

// cpuTime is the process's user+system CPU time (the machine is shared: CPU seconds say more
// about the sync's cost than wall seconds).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set size (VmHWM), in MB.
func peakRSS() float64 {
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

// BenchmarkRateLimits runs jobs against the platforms' real rate limits (Quanzhou 20/s with
// bursts of 40, special operations 10/s with bursts of 10) with the clients' configured ones
// (20/s burst 20, 10/s burst 5), and reports how much of each limit the jobs used — requests
// beyond the client's burst ÷ (seconds × limit): 1 is every slot used — and how many 429s they
// met (none is the goal: the clients pace themselves). The Quanzhou side is an enterprise sync
// read in pages of 2 records (many requests from a small street); the special-operations side
// is the certificate and employment jobs of a small street.
func BenchmarkRateLimits(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		qw := newWorld(b, worldOptions{enterprises: 80, limited: true, pageSize: 2, logger: zap.NewNop()})
		tw := newWorld(b, worldOptions{enterprises: 30, limited: true, logger: zap.NewNop()})
		qr, tr := qw.runner(), tw.runner()
		if _, err := tr.Run(context.Background(), jobs.Enterprises, false); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		utilization(b, "quanzhou", 20, 20, func() (int, int) {
			return countQZ(qw.srv.Quanzhou.Requests()), count429QZ(qw.srv.Quanzhou.Requests())
		}, func() error {
			_, err := qr.Run(context.Background(), jobs.Enterprises, true)
			return err
		})
		utilization(b, "specialops", 10, 5, func() (int, int) {
			return countTZ(tw.srv.SpecialOps.Requests()), count429TZ(tw.srv.SpecialOps.Requests())
		}, func() error {
			if _, err := tr.Run(context.Background(), jobs.Certificates, false); err != nil {
				return err
			}
			_, err := tr.Run(context.Background(), jobs.Employments, false)
			return err
		})
	}
}

func utilization(b *testing.B, platform string, rate float64, burst int, counts func() (int, int), run func() error) {
	b.Helper()
	reqs0, limited0 := counts()
	start := time.Now()
	if err := run(); err != nil {
		b.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	reqs, limited := counts()
	reqs, limited = reqs-reqs0, limited-limited0
	b.Logf("%s: %d requests in %.1fs, %d answered 429", platform, reqs, secs, limited)
	b.ReportMetric(float64(reqs-burst)/(secs*rate), platform+"-utilization")
	b.ReportMetric(float64(limited), platform+"-429s")
}

func countQZ(m map[mockqz.RequestKey]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func count429QZ(m map[mockqz.RequestKey]int) int {
	n := 0
	for k, v := range m {
		if k.Status == http.StatusTooManyRequests {
			n += v
		}
	}
	return n
}

func countTZ(m map[mocktz.RequestKey]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func count429TZ(m map[mocktz.RequestKey]int) int {
	n := 0
	for k, v := range m {
		if k.Status == http.StatusTooManyRequests {
			n += v
		}
	}
	return n
}
