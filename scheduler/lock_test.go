package scheduler

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// holdLock writes a lock record as another process would have: its token, host, pid, start and
// boot id, with a lease of ttl.
func holdLock(t *testing.T, h *harness, job, host string, pid int, since time.Time, boot string, ttl time.Duration) {
	t.Helper()
	ctx := context.Background()
	key := h.keys.Lock(job)
	err := h.raw.HSet(ctx, key, "token", "their-token", "host", host, "pid", pid, "since", since.UnixMilli(),
		"instance", host+":other", "boot", boot).Err()
	if err == nil {
		err = h.raw.PExpire(ctx, key, ttl).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// thisHost and thisBoot are this host as a lock names it: its host name and the kernel's boot id.
var thisHost, thisBoot = func() (string, string) {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return host, strings.TrimSpace(string(b))
}()

// deadPID is the process id of a process that has ended (and been reaped).
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func logged(t *testing.T) (Option, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	return WithLogger(zap.New(core)), logs
}

// Issue 15: after `sync enterprises` is killed, the next one on the same host runs at once.
func TestALockLeftByAProcessGoneFromThisHostIsTakenOverAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		rule string
		pid  func(t *testing.T) int
		boot func(h *harness) string
	}{
		{"its process ended", deadPID, func(h *harness) string { return thisBoot }},
		{"the host rebooted since (its pid runs again, as another process)", func(*testing.T) int { return os.Getppid() },
			func(*harness) string { return "an-earlier-boot" }},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			opt, logs := logged(t)
			h := newHarness(t, redisConn(t), base, "i", opt)
			var calls int
			if err := h.s.Add("enterprises", "-", JobFunc(func(context.Context, RunOptions) (Result, error) {
				calls++
				return Result{}, nil
			})); err != nil {
				t.Fatal(err)
			}
			holdLock(t, h, "enterprises", thisHost, tc.pid(t), time.Now().Add(-time.Minute), tc.boot(h), time.Minute)
			run, err := h.s.RunNow(ctx, "enterprises", RunOptions{})
			if err != nil || run.Outcome != OutcomeSuccess || calls != 1 {
				t.Fatalf("RunNow = %+v, %v (%d calls); want it to run at once", run, err, calls)
			}
			if logs.FilterMessage("took over the job lock of a process that is gone").Len() != 1 {
				t.Errorf("the takeover was not logged: %v", logs.All())
			}
			if n, _ := h.raw.Exists(ctx, h.keys.Lock("enterprises")).Result(); n != 0 {
				t.Error("the lock is still held after the run")
			}
		})
	}
}

// Issue 15: a holder on another host is waited for — a manual run is refused with who holds the
// lock, since when and when its lease ends; a tick is skipped, naming the holder — until its
// lease ends.
func TestALockHeldOnAnotherHostIsWaitedForAndNamed(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, redisConn(t), base, "i")
	var calls int
	if err := h.s.Add("enterprises", "0 30 1 * * *", JobFunc(func(context.Context, RunOptions) (Result, error) {
		calls++
		return Result{}, nil
	})); err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 3, 2, 8, 30, 2, 0, shanghai)
	holdLock(t, h, "enterprises", "host-a", 4711, since, thisBoot, 23*time.Second)

	run, err := h.s.RunNow(ctx, "enterprises", RunOptions{})
	var le *LockedError
	if !errors.Is(err, ErrJobRunning) || !errors.As(err, &le) || run.Outcome != OutcomeSkipped || calls != 0 {
		t.Fatalf("RunNow = %+v, %v; want a refusal naming the holder", run, err)
	}
	if got, want := le.Message("企业信息同步", shanghai), "企业信息同步正由 host-a（进程 4711，08:30:02 起）运行，租约 23 秒后到期"; got != want {
		t.Errorf("refusal:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(err.Error(), "host-a (pid 4711") {
		t.Errorf("error %q does not name the holder", err)
	}
	if want := "上一次运行尚未结束（host-a，进程 4711，08:30:02 起），本次跳过"; run.Reason != want {
		t.Errorf("skipped run's reason %q, want %q", run.Reason, want)
	}

	// The 01:30 tick finds it held too: skipped, never run beside it.
	h.s.fire(h.s.entries["enterprises"], time.Date(2026, 3, 2, 1, 30, 0, 0, shanghai), TriggerSchedule)
	if r := h.recorded(); len(r) != 2 || r[1].Outcome != OutcomeSkipped || !strings.Contains(r[1].Reason, "host-a") || calls != 0 {
		t.Fatalf("tick while held elsewhere: %+v (%d calls), want skipped naming host-a", r, calls)
	}

	// The lease ends (its holder stopped renewing): the next run goes ahead.
	if err := h.raw.Del(ctx, h.keys.Lock("enterprises")).Err(); err != nil {
		t.Fatal(err)
	}
	if run, err := h.s.RunNow(ctx, "enterprises", RunOptions{}); err != nil || run.Outcome != OutcomeSuccess || calls != 1 {
		t.Fatalf("RunNow after the lease = %+v, %v; want a run", run, err)
	}
}

// A live process of this host is waited for like any holder; once it is killed its lock is
// taken over at once, without waiting for the lease.
func TestALiveHolderOnThisHostIsWaitedForUntilItDies(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, redisConn(t), base, "i")
	if err := h.s.Add("alarms", "-", noop()); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	holdLock(t, h, "alarms", thisHost, holder.Process.Pid, time.Now().Add(time.Second), thisBoot, time.Minute)
	if _, err := h.s.RunNow(ctx, "alarms", RunOptions{}); !errors.Is(err, ErrJobRunning) {
		t.Fatalf("RunNow while the holder lives = %v, want ErrJobRunning", err)
	}
	_ = holder.Process.Kill()
	_ = holder.Wait()
	if run, err := h.s.RunNow(ctx, "alarms", RunOptions{}); err != nil || run.Outcome != OutcomeSuccess {
		t.Fatalf("RunNow after the holder was killed = %+v, %v; want a run at once", run, err)
	}
}
