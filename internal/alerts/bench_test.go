package alerts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

// Benchmarks of a whole check at the city's scale, with the state in a real ledger.
//
// STREETSYNC_BENCH_N is the number of enterprises (default 2000); the roster has 5.25 entries per
// enterprise, as the generated street does (100 000 enterprises: 525 000 entries), about 30 % of
// them raising an alert. The roster is generated as it is read, so that the memory measured is the
// check's own, not a fixture's. STREETSYNC_BENCH_DRIVER=postgres puts the state in PostgreSQL
// (PG_DSN) instead of SQLite. The figures:
//
//	go test -c -o /tmp/alerts.test ./internal/alerts
//	STREETSYNC_BENCH_N=100000 /usr/bin/time -v /tmp/alerts.test -test.run '^$' \
//	    -test.bench 'BenchmarkAlertsCheck100k$' -test.benchtime 3x -test.timeout 60m

func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("STREETSYNC_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// benchRoster generates entries on demand: entry i of enterprise i/5.25, about 30 % alerting:
// 3 % without a certificate, 2 % with another item, 5 % expired, 2 % review overdue, 1 % revoked,
// 10 % expiring soon, 4 % review due soon, 3 % with another name; one in seven people holds a
// second certificate.
type benchRoster struct {
	n int // roster entries
}

var benchCommunities = []string{"林格社区", "灵源社区", "英墩社区", "许坑社区", "石厦社区", "内坑社区", "大埔社区", "柯厝社区", "塘头社区", "蔡厝社区"}

func (l *benchRoster) EachOnDuty(ctx context.Context, _ mapping.Date, fn func(*RosterEntry) error) error {
	var e RosterEntry
	certs := make([]mapping.Certificate, 0, 2)
	for i := 0; i < l.n; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		id := testID(i)
		ent := i * 100 / 525
		e.RosterEntry = alertstest.Entry(id)
		e.Operator.EnterpriseUSCC = fmt.Sprintf("91350582MA%08dX", ent)
		e.EnterpriseName = "晋江市灵源第" + strconv.Itoa(ent) + "鞋业有限公司"
		e.Community = benchCommunities[ent%len(benchCommunities)]
		e.Answered = true
		certs = certs[:0]
		switch k := i % 100; {
		case k < 3:
		case k < 5:
			certs = append(certs, cert(id, alertstest.Item("0201", "熔化焊接与热切割作业")))
		case k < 10:
			certs = append(certs, cert(id, alertstest.ValidUntil("2026-01-01")))
		case k < 12:
			certs = append(certs, cert(id, alertstest.ReviewDue("2026-01-01")))
		case k < 13:
			certs = append(certs, cert(id, alertstest.Status(mapping.CertRevoked)))
		case k < 23:
			certs = append(certs, cert(id, alertstest.ValidUntil("2026-04-01")))
		case k < 27:
			certs = append(certs, cert(id, alertstest.ReviewDue("2026-04-01")))
		case k < 30:
			certs = append(certs, cert(id, alertstest.Holder("张叁")))
		default:
			certs = append(certs, cert(id))
		}
		if i%7 == 0 {
			certs = append(certs, cert(id, alertstest.Item("0301", "登高架设作业")))
		}
		e.Certificates = certs
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

type nopChannel struct {
	mu     sync.Mutex
	alerts int
}

func (n *nopChannel) Notify(_ context.Context, m *notify.Message) (bool, error) {
	n.mu.Lock()
	n.alerts += len(m.Alerts)
	n.mu.Unlock()
	return false, nil
}

// peakHeap samples the live heap while it runs and reports its peak.
type peakHeap struct {
	stop chan struct{}
	done chan uint64
}

func watchHeap() *peakHeap {
	p := &peakHeap{stop: make(chan struct{}), done: make(chan uint64)}
	runtime.GC()
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-p.stop:
				p.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) MiB() float64 {
	close(p.stop)
	return float64(<-p.done) / (1 << 20)
}

// vmHWM is this process's peak resident set (MiB; 0 when unknown).
func vmHWM() float64 {
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

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAlertsCheck100k is a whole check over the generated roster with the state in a real
// ledger: the first run (every alert new, all delivered: what the scale tool measures) is
// reported as first-run-s with its CPU time, peak heap and the bytes it read and wrote through
// the ledger's files (deterministic, unlike the times on a shared machine); the timed loop is the
// steady state of daily checks (every alert still firing, nothing due). The checks are labelled
// for a CPU profile: go tool pprof -tagfocus check=first (or daily). Goal at N = 100 000: a
// check ≤ 15 s and ≤ 256 MiB (the binary's peak RSS; the scale tool measures it).
func BenchmarkAlertsCheck100k(b *testing.B) {
	n := benchN()
	cfg := config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(b.TempDir(), "ledger.db"))}
	if os.Getenv("STREETSYNC_BENCH_DRIVER") == "postgres" {
		cfg = config.Ledger{Driver: "postgres", DSN: config.Secret(testutil.Postgres(b))}
	}
	led := openLedger(b, cfg)
	clock := &fakeClock{t: t0}
	store, err := NewStore(led, shanghai, WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	ch := &nopChannel{}
	roster := &benchRoster{n: n * 525 / 100}
	c, err := NewChecker(store, Sources{Roster: roster, Runs: &runs{clock: clock, last: map[string]time.Time{}}},
		[]Channel{{Name: "webhook", Type: "webhook", Notifier: ch}},
		config.Alerts{ExpiringWithinDays: 60, RepeatInterval: config.Duration(168 * time.Hour), EscalateAfter: config.Duration(10000 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var res *Result
	check := func(label string) {
		pprof.Do(ctx, pprof.Labels("check", label), func(ctx context.Context) { res, err = c.Check(ctx, false, nil) })
		if err != nil {
			b.Fatal(err)
		}
	}
	heap := watchHeap()
	start, cpuStart, ioStart := time.Now(), cpuTime(), fileIO()
	check("first")
	first, firstCPU, firstHeap, firstIO := time.Since(start), cpuTime()-cpuStart, heap.MiB(), fileIO().minus(ioStart)
	if res.Delivered.Firing != res.Firing || ch.alerts != res.Firing || res.Evaluated != roster.n {
		b.Fatalf("first run evaluated %d of %d, delivered %d of %d", res.Evaluated, roster.n, res.Delivered.Firing, res.Firing)
	}
	heap = watchHeap()
	cpu0, io0 := cpuTime(), fileIO()
	b.ResetTimer()
	for b.Loop() {
		clock.Advance(time.Hour)
		check("daily")
		if res.Delivered.Firing != 0 {
			b.Fatalf("steady state delivered %d", res.Delivered.Firing)
		}
	}
	b.StopTimer()
	daily := fileIO().minus(io0)
	b.ReportMetric(float64(roster.n), "entries")
	b.ReportMetric(float64(res.Firing), "alerts")
	b.ReportMetric(first.Seconds(), "first-run-s")
	b.ReportMetric(firstCPU.Seconds(), "first-run-cpu-s")
	b.ReportMetric(firstHeap, "first-run-peak-heap-MiB")
	b.ReportMetric(firstIO.readMiB(), "first-run-read-MiB")
	b.ReportMetric(firstIO.writeMiB(), "first-run-write-MiB")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/check")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/check")
	b.ReportMetric(daily.readMiB()/float64(b.N), "read-MiB/check")
	b.ReportMetric(heap.MiB(), "peak-heap-MiB")
	b.ReportMetric(vmHWM(), "peak-RSS-MiB")
}

// ioCounts are the bytes this process read and wrote through system calls (rchar, wchar of
// /proc/self/io): with SQLite, the pages it read from and wrote to the ledger's files and log.
type ioCounts struct{ read, written int64 }

func fileIO() ioCounts {
	var c ioCounts
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return c
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "rchar":
			c.read = n
		case "wchar":
			c.written = n
		}
	}
	return c
}

func (c ioCounts) minus(d ioCounts) ioCounts { return ioCounts{c.read - d.read, c.written - d.written} }
func (c ioCounts) readMiB() float64          { return float64(c.read) / (1 << 20) }
func (c ioCounts) writeMiB() float64         { return float64(c.written) / (1 << 20) }
