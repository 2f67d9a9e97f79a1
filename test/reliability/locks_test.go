package reliability

import (
	"context"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"streetsync/mocks/fault"
)

// Issue 15: `sync enterprises` SIGKILLed in the middle of its push — as by the OOM killer or a
// power cut — and started again at once on the same host runs (its lock was left by a process
// that is gone: taken over, not waited out), and the installation converges.
func TestSIGKILLMidPushThenSyncAgainAtOnce(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: faultSeed, Enterprises: faultEnterprises(), BadRecords: faultBadRecords, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{Timeout: 2 * time.Second})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	// Slow answers, so that the kill lands while a batch is being pushed.
	p.SetFaults(fault.Faults{Latency: 300 * time.Millisecond})
	pr := in.start("sync", "enterprises")
	deadline := time.Now().Add(time.Minute)
	for p.QZ.RequestCount("POST /enterprises/batchSave") == 0 {
		if pr.exited() || time.Now().After(deadline) {
			t.Fatalf("sync enterprises pushed nothing before it ended\nstderr:\n%s", tail(pr.stderr.String(), 3000))
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = pr.cmd.Process.Signal(syscall.SIGKILL)
	<-pr.done
	if !strings.Contains(pr.stderr.String(), `"job started"`) || strings.Contains(pr.stderr.String(), `"job finished"`) {
		t.Fatalf("the kill did not land inside the run\nstderr:\n%s", tail(pr.stderr.String(), 3000))
	}

	r := in.run(3*time.Minute, "--format", "json", "sync", "enterprises")
	if r.code != exitOK {
		t.Fatalf("sync enterprises right after the kill: want exit 0 (no refusal)\n%s", r)
	}
	if !strings.Contains(r.stderr, "took over the job lock of a process that is gone") {
		t.Errorf("the takeover of the dead process's lock was not logged\n%s", r)
	}
	p.SetFaults(fault.Faults{})
	finish(t, in)
	s := capture(t, in)
	checkInvariants(t, in, s)
}

// Issue 15: a holder on another host is waited for: while its lease lasts, `sync` is refused
// with who holds the job, since when and when the lease ends; once the lease ends (the holder
// stopped renewing it: it died), the next `sync` runs.
func TestAHolderOnAnotherHostIsWaitedFor(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: faultSeed, Enterprises: 10, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{Timeout: 2 * time.Second})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())

	ctx := context.Background()
	c := in.redis()
	lock := in.prefix + "sched:{enterprises}:lock"
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Now().In(shanghai)
	since := time.Date(now.Year(), now.Month(), now.Day(), 8, 30, 2, 0, shanghai)
	lease := 4 * time.Second
	if err := c.HSet(ctx, lock, "token", "host-a-token", "host", "host-a", "pid", 4711, "since", since.UnixMilli(),
		"instance", "host-a:4711", "boot", "host-a-boot").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.PExpire(ctx, lock, lease).Err(); err != nil {
		t.Fatal(err)
	}

	r := in.run(time.Minute, "sync", "enterprises")
	refusal := regexp.MustCompile(`企业信息同步正由 host-a（进程 4711，08:30:02 起）运行，租约 [1-4] 秒后到期`)
	if r.code != exitRuntime || !refusal.MatchString(r.stderr) {
		t.Fatalf("sync while host-a holds the job: want exit 3 and the refusal naming host-a\n%s", r)
	}
	// The lease runs out in Redis's own time.
	for deadline := time.Now().Add(lease + 5*time.Second); ; time.Sleep(50 * time.Millisecond) {
		if n, err := c.Exists(ctx, lock).Result(); err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease did not end")
		}
	}
	in.must(exitOK, time.Minute, "sync", "enterprises")
}
