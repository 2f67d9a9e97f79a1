package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mocks/fault"
)

// deadURL is a base URL nothing listens on (the mock stopped).
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/gw/openapi/v1"
}

// lastRun is the newest run of job in the env's ledger history.
func (e *env) lastRun(t *testing.T, job string) ledger.JobRun {
	t.Helper()
	st, err := ledger.Open(context.Background(), config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(e.dir, "ledger.db"))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, _, err := st.JobRuns(context.Background(), ledger.JobRunFilter{Job: job, Limit: 1})
	if err != nil || len(runs) != 1 {
		t.Fatalf("run history of %s: %v, %v", job, runs, err)
	}
	return runs[0]
}

// Issue 14: an outage is not a success. `sync JOB` exits 3 with outcome platform_unavailable and
// a Chinese reason, the run history says so, and `sync all` exits 3 when any job did; a run that
// only queued or quarantined some records exits 0 as partial.
func TestSyncSaysWhenThePlatformIsUnavailable(t *testing.T) {
	e := newEnv(t, 20, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	var all []jobs.Summary
	e.jsonCLI(t, exitOK, &all, "sync", "all")
	for _, s := range all {
		if s.Outcome != jobs.OutcomeSuccess && s.Outcome != jobs.OutcomePartial {
			t.Errorf("first sync of %s: %+v, want success or partial", s.Job, s)
		}
	}

	// The Quanzhou mock stopped.
	qz := e.ep.QuanzhouBaseURL
	e.ep.QuanzhouBaseURL = deadURL(t)
	e.writeConfig(t, "")
	var one jobs.Summary
	code, out, errOut := e.cli(t, "--format", "json", "sync", "enterprises")
	if code != exitRuntime {
		t.Fatalf("sync enterprises with the platform stopped: exit %d, want 3\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	decodeJSON(t, out, &one)
	if one.Outcome != jobs.OutcomePlatformUnavailable || !strings.Contains(one.Reason, "泉州平台不可用") || one.Queued == 0 {
		t.Errorf("summary %+v, want platform_unavailable with a Chinese reason and the job queued", one)
	}
	if !strings.Contains(errOut, "企业信息同步：平台不可用") {
		t.Errorf("stderr %q does not say the platform was unavailable", errOut)
	}
	if r := e.lastRun(t, "enterprises"); r.Outcome != "platform_unavailable" || r.Reason != one.Reason || r.Trigger != "manual" {
		t.Errorf("run history: %+v, want the platform_unavailable run with its reason", r)
	}
	code, out, _ = e.cli(t, "sync", "enterprises")
	if code != exitRuntime || !strings.Contains(out, "企业信息（enterprises）：平台不可用。") || !strings.Contains(out, "原因：泉州平台不可用") {
		t.Errorf("text sync with the platform stopped: exit %d, stdout %q", code, out)
	}
	code, out, _ = e.cli(t, "--format", "json", "sync", "all")
	decodeJSON(t, out, &all)
	if code != exitRuntime || len(all) != len(jobs.Names) || all[0].Outcome != jobs.OutcomePlatformUnavailable ||
		all[2].Outcome != jobs.OutcomePlatformUnavailable || all[1].Outcome == jobs.OutcomePlatformUnavailable {
		t.Errorf("sync all with Quanzhou stopped: exit %d, %+v; want 3, enterprises and alarms unavailable, certificates not", code, all)
	}

	// The special-operations system failing every request (mock serve --fail-rate 1).
	e.ep.QuanzhouBaseURL = qz
	e.writeConfig(t, "")
	e.mocks.SpecialOps.SetFaults(fault.Faults{InternalError: 1})
	code, out, _ = e.cli(t, "--format", "json", "sync", "certificates")
	decodeJSON(t, out, &one)
	if code != exitRuntime || one.Outcome != jobs.OutcomePlatformUnavailable || !strings.Contains(one.Reason, "特种作业系统不可用") {
		t.Errorf("sync certificates while every call fails: exit %d, %+v", code, one)
	}
	e.mocks.SpecialOps.SetFaults(fault.Faults{})

	// Back: the queue drains, the runs succeed.
	e.jsonCLI(t, exitOK, nil, "queue", "drain", "--timeout", "30s")
	e.jsonCLI(t, exitOK, &one, "sync", "enterprises")
	if one.Outcome == jobs.OutcomePlatformUnavailable || one.Outcome == jobs.OutcomeFailed {
		t.Errorf("sync enterprises once the platform is back: %+v", one)
	}
}

func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("stdout is not the JSON document: %v\n%s", err, out)
	}
}

// lockKey is the job's running lock in the env's Redis.
func (e *env) lockKey(job string) string { return e.redis.Prefix + "sched:{" + job + "}:lock" }

func (e *env) holdLock(t *testing.T, job, host string, pid int, since time.Time, boot string, ttl time.Duration) {
	t.Helper()
	ctx := context.Background()
	if err := testutil.RedisClient(t, e.redis).HSet(ctx, e.lockKey(job), "token", "their-token", "host", host, "pid", pid,
		"since", since.UnixMilli(), "instance", host+":"+"other", "boot", boot).Err(); err != nil {
		t.Fatal(err)
	}
	if err := testutil.RedisClient(t, e.redis).PExpire(ctx, e.lockKey(job), ttl).Err(); err != nil {
		t.Fatal(err)
	}
}

// Issue 15: the refusal names the holder, since when and when the lease ends; a lock left by a
// process gone from this host is taken over at once.
func TestSyncNamesTheHolderOrTakesOverFromADeadOne(t *testing.T) {
	e := newEnv(t, 5, "")
	shanghai := config.Default().Schedule.Location()
	now := time.Now().In(shanghai)
	since := time.Date(now.Year(), now.Month(), now.Day(), 8, 30, 2, 0, shanghai)
	e.holdLock(t, "enterprises", "host-a", 4711, since, "another-boot", 23*time.Second)
	code, _, errOut := e.cli(t, "sync", "enterprises")
	if code != exitRuntime || !regexp.MustCompile(`企业信息同步正由 host-a（进程 4711，08:30:02 起）运行，租约 2[23] 秒后到期`).MatchString(errOut) {
		t.Errorf("sync while host-a holds the job: exit %d, stderr %q", code, errOut)
	}

	// This host's process that held it was killed.
	host, _ := os.Hostname()
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	e.holdLock(t, "enterprises", host, dead.Process.Pid, time.Now().Add(-time.Minute), strings.TrimSpace(string(boot)), time.Minute)
	code, out, errOut := e.cli(t, "--format", "json", "sync", "enterprises")
	if code != exitOK || !strings.Contains(errOut, "took over the job lock of a process that is gone") {
		t.Errorf("sync after the holder was killed: exit %d, want 0 and the takeover logged\nstdout: %s\nstderr: %s", code, out, tail(errOut, 2000))
	}
}
