package reliability

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/testutil"
	"streetsync/mocks/fault"
)

// importReport is `import --format json`.
type importReport struct {
	Enterprises struct{ Inserted, Updated, Unchanged int } `json:"enterprises"`
	Operators   struct{ Inserted, Updated, Unchanged int } `json:"operators"`
	Rejected    []struct {
		Sheet  string `json:"sheet"`
		Row    int    `json:"row"`
		Column string `json:"column"`
		Value  string `json:"value"`
		Reason string `json:"reason"`
	} `json:"rejected"`
}

// The fault matrix's dataset: small enough for two dozen full runs in CI, large enough that
// every job has work and every probability fires. The long variant uses a street five times
// larger (more pages, more batches, more retry items at once).
const (
	faultSeed       = 11
	faultBadRecords = 8 // two of each kind: bad USCC check, bad ID check, missing required cells
)

func faultEnterprises() int {
	if long() {
		return 200
	}
	return 40
}

// faultScenario is one row of the matrix: the faults on during the fault phase.
type faultScenario struct {
	name   string
	faults fault.Faults
	// thenMaintenance: a last fault-phase sync runs with the platforms in maintenance as well.
	thenMaintenance bool
	// redisRestart: the installation's Redis keeps nothing on disk and restarts after the first
	// fault-phase sync, losing every queued item, watermark and lock (issue 15).
	redisRestart bool
}

// knobScenarios turns each knob on alone, at a level where some requests still get through,
// then all of them at once. Maintenance fails every request, so it is its own row and the last
// phase of the all-at-once row. The slowest rows come first, so that the rows running side by
// side finish together.
func knobScenarios() []faultScenario {
	all := fault.Faults{
		InternalError: 0.1, GatewayError: 0.1, DropBefore: 0.05, DropAfter: 0.1, Latency: 20 * time.Millisecond,
		RateLimitBurst: 10, RevokeTokenEvery: 7, ItemConflict: 0.1, ItemStoreFailure: 0.1, MutateWhilePaging: 0.3,
		CursorExpired: 0.3, GarbageBody: 0.1, TruncatedBody: 0.1, Hang: 0.02, MaintenanceRetryAfter: 1,
	}
	return []faultScenario{
		{name: "AllAtOnce", faults: all, thenMaintenance: true},
		{name: "Maintenance", faults: fault.Faults{Maintenance: true, MaintenanceRetryAfter: 1}},
		{name: "RateLimitBurst", faults: fault.Faults{RateLimitBurst: 12}},
		{name: "GarbageBody", faults: fault.Faults{GarbageBody: 0.3}},
		{name: "GatewayError", faults: fault.Faults{GatewayError: 0.3}},
		{name: "Hang", faults: fault.Faults{Hang: 0.05}},
		{name: "InternalError", faults: fault.Faults{InternalError: 0.3}},
		{name: "TruncatedBody", faults: fault.Faults{TruncatedBody: 0.3}},
		{name: "DropBefore", faults: fault.Faults{DropBefore: 0.3}},
		{name: "DropAfter", faults: fault.Faults{DropAfter: 0.3}},
		{name: "Latency", faults: fault.Faults{Latency: 60 * time.Millisecond}},
		{name: "RevokeTokenEvery", faults: fault.Faults{RevokeTokenEvery: 3}},
		{name: "ItemConflict", faults: fault.Faults{ItemConflict: 0.4}},
		{name: "ItemStoreFailure", faults: fault.Faults{ItemStoreFailure: 0.4}},
		{name: "MutateWhilePaging", faults: fault.Faults{MutateWhilePaging: 1}},
		{name: "CursorExpired", faults: fault.Faults{CursorExpired: 1}},
		{name: "RedisRestartWithoutAOF", faults: fault.Faults{InternalError: 0.15, ItemStoreFailure: 0.3, ItemConflict: 0.1},
			redisRestart: true},
	}
}

// feedbackTime is a fixed past handling time, the same for every run of one test process, so
// that the platform's record of the feedback compares equal across runs.
var feedbackTime = time.Now().In(time.FixedZone("CST", 8*3600)).Add(-24*time.Hour).Format("2006-01-02") + " 09:30"

// TestFaultMatrix runs the whole cycle — import, sync under faults, feedback on two alarms, a
// drain under faults, another sync; then faults off, drain, sync, drain — once without faults
// and once per row of the matrix, checks the invariants after each, and requires every faulty
// run to end exactly where the fault-free run ended.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	base, _ := runFaultCycle(t, faultScenario{name: "none"})
	scenarios := knobScenarios()
	if testing.Short() {
		scenarios = scenarios[:1] // all at once
	}
	// Most of a run is waiting (backoff, Retry-After, hung answers), so the rows run four at a
	// time whatever -parallel says; t.Run may be called from several goroutines.
	results := make([]string, len(scenarios))
	sem := make(chan struct{}, 5)
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(sc.name, func(t *testing.T) {
				start := time.Now()
				got, ev := runFaultCycle(t, sc)
				if d := sameEndState(got, base); len(d) > 0 {
					t.Errorf("the run under %s ends elsewhere than the fault-free run:\n%s", sc.name, strings.Join(d, "\n"))
				}
				results[i] = fmt.Sprintf("%-22s %s %6.1fs  %4d requests, %4d failed", sc.name, passFail(t),
					time.Since(start).Seconds(), ev.total, ev.failed)
			})
		}()
	}
	wg.Wait()
	t.Logf("fault matrix (%d enterprises, %d roster rows, %d bad rows; fault-free run: %d requests):\n%s", faultEnterprises(),
		len(base.LedgerOperators), faultBadRecords, baseRequests, strings.Join(results, "\n"))
}

func passFail(t *testing.T) string {
	if t.Failed() {
		return "FAIL"
	}
	return "ok  "
}

// runFaultCycle runs one scenario on a fresh installation and returns its checked end state.
func runFaultCycle(t *testing.T, sc faultScenario) (*state, evidence) {
	t.Helper()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: faultSeed, Enterprises: faultEnterprises(), BadRecords: faultBadRecords, Unlimited: true})
	opts := installOptions{Timeout: 2 * time.Second}
	var redisSrv *testutil.RedisServer
	if sc.redisRestart {
		redisSrv = testutil.StartRedisServer(t, false)
		opts.RedisAddr = redisSrv.Addr
	}
	in := newInstallation(t, p, sec, opts)

	var imp importReport
	in.json(exitOK, time.Minute, &imp, "import", in.workbook())
	checkRejectedRows(t, in, imp)
	// The alarms the street gives feedback on must be in the ledger before the faults start.
	in.json(exitOK, time.Minute, nil, "sync", "alarms")
	bjids := openAlarms(in, 2)

	p.SetFaults(sc.faults)
	faultPhase := func(args ...string) {
		r := in.run(3*time.Minute, append([]string{"--format", "json"}, args...)...)
		if r.code != exitOK && r.code != exitRuntime {
			t.Fatalf("under %s: want exit 0 or 3\n%s", sc.name, r)
		}
	}
	faultPhase("sync", "all")
	for i, bjid := range bjids {
		faultPhase("alarms", "feedback", bjid, "--status", fmt.Sprint(1+i%2), "--note", "已安排专人排查处置",
			"--handler", "安办值班员", "--at", feedbackTime)
	}
	if sc.redisRestart {
		var before, after queueStats
		in.json(exitOK, time.Minute, &before, "queue", "stats")
		if before.Pending+before.Scheduled == 0 {
			t.Errorf("under %s nothing was queued before the Redis restart: nothing to lose", sc.name)
		}
		redisSrv.Restart(t)
		in.json(exitOK, time.Minute, &after, "queue", "stats")
		if after != (queueStats{}) {
			t.Fatalf("Redis restarted without persistence still holds %+v", after)
		}
		t.Logf("Redis restarted without persistence: %+v queued items lost", before)
	}
	faultPhase("queue", "drain", "--timeout", "2s")
	// The street edits its workbook while the platforms misbehave: updates are pushed under
	// faults too, not only the first creates.
	edited, _ := in.editedWorkbook()
	in.json(exitOK, time.Minute, nil, "import", edited)
	if sc.thenMaintenance {
		f := sc.faults
		f.Maintenance = true
		p.SetFaults(f)
	}
	faultPhase("sync", "all")

	p.SetFaults(fault.Faults{})
	var ev evidence
	ev.total, ev.failed = p.answers()
	if sc.name == "none" {
		baseRequests = ev.total
	}
	if sc.name != "none" && sc.faults.Latency == 0 && sc.faults.MutateWhilePaging == 0 && sc.faults.TruncatedBody == 0 && ev.failed == 0 {
		t.Errorf("under %s no request failed: the fault never fired", sc.name)
	}
	in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "60s")
	// Right after the drain, before any further sync: what the queue pushed is in the ledger
	// whole — a record it created has its platform-owned fields — so reconcile finds nothing an
	// operator would chase (issue 15).
	var rep reconcileReport
	in.json(exitOK, time.Minute, &rep, "reconcile", "enterprises")
	if n := len(rep.Enterprises.Different) + len(rep.Enterprises.OnlyInLedger); n > 0 {
		t.Errorf("under %s reconcile right after the drain finds %d enterprises: only in the ledger %+v, different %+v",
			sc.name, n, rep.Enterprises.OnlyInLedger, rep.Enterprises.Different)
	}
	in.json(exitOK, 2*time.Minute, nil, "sync", "all")
	in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "60s")
	s := capture(t, in)
	checkInvariants(t, in, s)
	for _, bjid := range bjids {
		if s.Feedback[bjid] == "" {
			t.Errorf("feedback on alarm %s never reached the platform", bjid)
		} else if n := len(p.QZ.Feedback(bjid)); n != 1 {
			t.Errorf("alarm %s: the platform accepted %d feedbacks, want 1", bjid, n)
		}
	}
	return s, ev
}

// evidence is how much the fault phase suffered: requests seen and requests without a good
// answer (proof that the fault fired).
type evidence struct{ total, failed int }

// baseRequests is the fault-free run's request count, for the table.
var baseRequests int

// checkRejectedRows: import rejects exactly the dataset's bad rows, each at its row number.
func checkRejectedRows(t testing.TB, in *installation, imp importReport) {
	t.Helper()
	got := map[string]bool{}
	for _, r := range imp.Rejected {
		if r.Reason == "" {
			t.Errorf("rejection without a reason: %+v", r)
		}
		got[fmt.Sprintf("%s!%d", r.Sheet, r.Row)] = true
	}
	want := map[string]bool{}
	for _, b := range in.p.DS.Bad {
		want[fmt.Sprintf("%s!%d", b.Sheet, b.Row)] = true
	}
	if d := diffMaps("rejected row", got, want, 10); len(d) > 0 {
		t.Errorf("import rejected other rows than the bad ones:\n%s", strings.Join(d, "\n"))
	}
}

// openAlarms returns n alarms the platform takes feedback on (not closed), in a stable order.
func openAlarms(in *installation, n int) []string {
	in.t.Helper()
	var ids []string
	for _, a := range in.p.QZ.Alarms() {
		if a.Czzt == "0" {
			ids = append(ids, a.Bjid)
		}
	}
	sort.Strings(ids)
	if len(ids) < n {
		in.t.Fatalf("the dataset has %d unhandled alarms, want at least %d", len(ids), n)
	}
	return ids[:n]
}
