package reliability

import (
	"strings"
	"testing"
	"time"

	"streetsync/internal/testutil"
	"streetsync/mocks/fault"
)

// TestRedisClusterMasterDiesMidRun (issue 18): `sync all` runs against a Redis Cluster of three
// masters with a replica each, and the master that holds the retry queue's slot is killed while
// the jobs run. Its replica takes over; whatever the killed run did or did not finish, a rerun
// and `queue drain` leave the ledger and the mocks in agreement — the invariants hold, and the
// end state is the one the same runs reach without a failover: nothing lost, nothing duplicated.
func TestRedisClusterMasterDiesMidRun(t *testing.T) {
	t.Parallel()
	base := runFailoverCycle(t, false)
	got := runFailoverCycle(t, true)
	if d := sameEndState(got, base); len(d) > 0 {
		t.Errorf("after the failover the end state differs from the run without:\n%s", strings.Join(d, "\n"))
	}
}

// runFailoverCycle imports the street's workbook, runs `sync all` under light faults — on a
// cluster of the test's own whose retry-queue master dies once the jobs have started, when
// failover is true, else on the shared test Redis — and finishes with a fault-free rerun and
// drain.
func runFailoverCycle(t *testing.T, failover bool) *state {
	t.Helper()
	opts := installOptions{Timeout: 2 * time.Second}
	var rc *testutil.RedisCluster
	if failover {
		rc = testutil.StartRedisCluster(t)
		opts.Redis = rc.Conn(t)
	}
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: faultSeed, Enterprises: faultEnterprises(), BadRecords: faultBadRecords, Unlimited: true})
	in := newInstallation(t, p, sec, opts)
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	p.SetFaults(crashFaults)

	pr := in.start("sync", "all")
	if failover {
		// As soon as the first job has started (the run is young: every job still has its
		// pushes and queueing ahead), kill the master that serves the queue's hash tag.
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(pr.stderr.String(), `"job started"`); time.Sleep(10 * time.Millisecond) {
			if pr.exited() || time.Now().After(deadline) {
				t.Fatalf("sync all started no job\nstderr (tail):\n%s", tail(pr.stderr.String(), 4000))
			}
		}
		master := rc.MasterOf(t, in.prefix+"{retry}:kinds")
		master.Stop()
		t.Logf("killed the master %s of the retry queue's slot during sync all (running: %s)", master.Addr, runningAt(pr.stderr.String()))
	}
	code := pr.wait(t, 3*time.Minute)
	if code != exitOK && code != exitRuntime {
		t.Fatalf("sync all: want exit 0 or 3, got %d\nstderr (tail):\n%s", code, tail(pr.stderr.String(), 4000))
	}
	if !failover && code != exitOK {
		t.Fatalf("sync all without a failover: exit %d\nstderr (tail):\n%s", code, tail(pr.stderr.String(), 4000))
	}
	t.Logf("sync all → exit %d", code)
	if failover {
		rc.WaitHealthy(t, time.Minute)
	}
	p.SetFaults(fault.Faults{})
	finish(t, in)
	s := capture(t, in)
	checkInvariants(t, in, s)
	return s
}
