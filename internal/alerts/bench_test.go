package alerts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
	"streetsync/internal/redisconn"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

const benchEntries = 500_000

// benchLedger is a read-only in-memory roster: no copying, so that the benchmark measures the
// evaluation, not the fixture.
type benchLedger struct {
	roster []RosterEntry
	certs  map[string][]mapping.Certificate
}

func (l *benchLedger) EachOnDuty(ctx context.Context, _ mapping.Date, fn func(*RosterEntry) error) error {
	for i := range l.roster {
		if err := fn(&l.roster[i]); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (l *benchLedger) CertificatesByID(_ context.Context, ids []string) (map[string][]mapping.Certificate, error) {
	out := make(map[string][]mapping.Certificate, len(ids))
	for _, id := range ids {
		if cs, ok := l.certs[id]; ok {
			out[id] = cs
		}
	}
	return out, nil
}

var benchCommunities = []string{"林格社区", "灵源社区", "英墩社区", "许坑社区", "石厦社区", "内坑社区", "大埔社区", "柯厝社区", "塘头社区", "蔡厝社区"}

// newBenchLedger makes n roster entries with about one in five raising an alert: 3% without a
// certificate, 2% with another item, 5% expired, 2% review overdue, 1% revoked, 5% expiring
// soon, 3% with another name; one in seven people holds a second certificate.
func newBenchLedger(n int) *benchLedger {
	l := &benchLedger{roster: make([]RosterEntry, n), certs: make(map[string][]mapping.Certificate, n)}
	for i := 0; i < n; i++ {
		id := testID(i)
		e := entry(id)
		e.Operator.EnterpriseUSCC = fmt.Sprintf("91350582MA%08dX", i%20000)
		e.EnterpriseName = fmt.Sprintf("晋江市灵源第%d鞋业有限公司", i%20000)
		e.Community = benchCommunities[i%len(benchCommunities)]
		l.roster[i] = e
		var cs []mapping.Certificate
		switch k := i % 100; {
		case k < 3:
		case k < 5:
			cs = append(cs, cert(id, item("0201", "熔化焊接与热切割作业")))
		case k < 10:
			cs = append(cs, cert(id, validUntil("2026-01-01")))
		case k < 12:
			cs = append(cs, cert(id, reviewDue("2026-01-01")))
		case k < 13:
			cs = append(cs, cert(id, status(mapping.CertRevoked)))
		case k < 18:
			cs = append(cs, cert(id, validUntil("2026-04-01")))
		case k < 21:
			cs = append(cs, cert(id, holder("张叁")))
		default:
			cs = append(cs, cert(id))
		}
		if i%7 == 0 {
			cs = append(cs, cert(id, item("0301", "登高架设作业")))
		}
		if cs != nil {
			l.certs[id] = cs
		}
	}
	return l
}

// BenchmarkEvaluateAlerts evaluates the rules over 500 000 roster entries the way a check does
// (streamed, certificates looked up a thousand IDs at a time, alerts built with their messages),
// without the Redis state. Goal: ≤ 5 s per evaluation.
func BenchmarkEvaluateAlerts(b *testing.B) {
	l := newBenchLedger(benchEntries)
	clock := &fakeClock{t: t0}
	c := &Checker{
		store: &Store{loc: shanghai, clock: clock, log: zap.NewNop()},
		src:   Sources{Roster: l, Certificates: l},
		rules: RuleConfig{ExpiringWithinDays: 60},
		log:   zap.NewNop(),
	}
	ctx := context.Background()
	now := clock.Now()
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var ev *evaluation
	for b.Loop() {
		var err error
		if ev, err = c.evaluate(ctx, mapping.DateOf(now), now); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if ev.evaluated != benchEntries {
		b.Fatalf("evaluated %d", ev.evaluated)
	}
	b.ReportMetric(float64(ev.count), "alerts")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/evaluation")
	// CPU seconds (all threads, GC included): on a shared machine wall time says more about the
	// neighbours than about the code.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/evaluation")
}

// redisCPU is the Redis server's CPU time so far (INFO cpu).
func redisCPU(b *testing.B, conn *redisconn.Conn) time.Duration {
	info, err := conn.Client.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type nopChannel struct{ alerts int }

func (n *nopChannel) Notify(_ context.Context, m *notify.Message) (bool, error) {
	n.alerts += len(m.Alerts)
	return false, nil
}

// BenchmarkCheckAlerts is a whole check over 500 000 roster entries with the state in a real
// Redis (pipelined scripts): the first run (every alert new, all delivered) is reported as
// first-run-s, the timed loop is the steady state of daily checks (every alert still firing,
// nothing due). Run with -benchtime=3x.
func BenchmarkCheckAlerts(b *testing.B) {
	conn, kind := testutil.Redis(b)
	testutil.RequireRealRedis(b, kind)
	l := newBenchLedger(benchEntries)
	clock := &fakeClock{t: t0}
	store, err := NewStore(conn, shanghai, WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	ch := &nopChannel{}
	c, err := NewChecker(store, Sources{Roster: l, Certificates: l}, []Channel{{Name: "webhook", Type: "webhook", Notifier: ch}},
		config.Alerts{ExpiringWithinDays: 60, RepeatInterval: config.Duration(168 * time.Hour), EscalateAfter: config.Duration(10000 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start, cpuStart := time.Now(), cpuTime()
	res, err := c.Check(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	first, firstCPU := time.Since(start), cpuTime()-cpuStart
	if res.Delivered.Firing != len(res.Firing) || ch.alerts != len(res.Firing) {
		b.Fatalf("first run delivered %d of %d", res.Delivered.Firing, len(res.Firing))
	}
	cpu0, rcpu0 := cpuTime(), redisCPU(b, conn)
	b.ResetTimer()
	for b.Loop() {
		clock.Advance(time.Hour)
		if res, err = c.Check(ctx, false); err != nil {
			b.Fatal(err)
		}
		if res.Delivered.Firing != 0 {
			b.Fatalf("steady state delivered %d", res.Delivered.Firing)
		}
	}
	b.StopTimer()
	b.ReportMetric(first.Seconds(), "first-run-s")
	b.ReportMetric(firstCPU.Seconds(), "first-run-cpu-s")
	b.ReportMetric(float64(len(res.Firing)), "alerts")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/check")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/check")
	b.ReportMetric((redisCPU(b, conn)-rcpu0).Seconds()/float64(b.N), "redis-cpu-s/check")
}
