package reliability

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"streetsync/internal/testutil"
	"streetsync/mocks/fault"
)

// crashFaults are on while commands are killed: a little latency stretches `sync all` over a
// second or two so that kills land inside the work, and a few platform errors keep the retry
// queue busy.
var crashFaults = fault.Faults{Latency: 3 * time.Millisecond, InternalError: 0.05, ItemStoreFailure: 0.05}

// crashLog is what a killed run did, for the report.
type crashLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *crashLog) add(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, fmt.Sprintf(format, args...))
}

// TestSIGKILLDuringSync kills `sync all` (and `queue drain`) with SIGKILL at random points, for
// several seeds, restarts, and requires the invariants and the fault-free end state.
func TestSIGKILLDuringSync(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, 2, 3}
	if long() {
		seeds = []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	}
	if testing.Short() {
		seeds = seeds[:1]
	}
	base, windows := runCrashCycle(t, 0, nil, nil)
	var log crashLog
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for _, seed := range seeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
				got, _ := runCrashCycle(t, seed, &log, windows)
				if d := sameEndState(got, base); len(d) > 0 {
					t.Errorf("after the kills of seed %d the end state differs from the run without kills:\n%s", seed,
						strings.Join(d, "\n"))
				}
			})
		}()
	}
	wg.Wait()
	t.Logf("kills (seed: command, delay, what was running):\n%s", strings.Join(log.lines, "\n"))
}

// runCrashCycle: import, three `sync all` and one `queue drain` killed at random points, an
// edited workbook, two more killed syncs; then faults off, drain, sync, drain. seed 0 kills
// nothing (the reference run) and returns the longest time each command took, the windows
// within which the other seeds' kills fall (a killed run leaves its work to the next, so every
// `sync all` of a killed run may be as long as the reference's first).
func runCrashCycle(t *testing.T, seed uint64, log *crashLog, windows map[string]time.Duration) (*state, map[string]time.Duration) {
	t.Helper()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: faultSeed, Enterprises: faultEnterprises(), BadRecords: faultBadRecords, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{Timeout: 2 * time.Second})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	p.SetFaults(crashFaults)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	took := map[string]time.Duration{}
	step := func(args ...string) {
		name := args[0] + " " + args[1]
		if seed == 0 {
			r := in.run(3*time.Minute, args...)
			if r.code != exitOK {
				t.Fatalf("reference run: want exit 0\n%s", r)
			}
			took[name] = max(took[name], r.took)
			return
		}
		window := max(windows[name], 2*time.Second)
		if name == "queue drain" {
			window = max(windows[name], 500*time.Millisecond)
		}
		killAtRandom(t, in, rng, window, seed, log, args...)
	}
	for range 3 {
		step("sync", "all")
	}
	step("queue", "drain", "--timeout", "20s")
	edited, _ := in.editedWorkbook()
	in.json(exitOK, time.Minute, nil, "import", edited)
	for range 2 {
		step("sync", "all")
	}
	p.SetFaults(fault.Faults{})
	finish(t, in)
	s := capture(t, in)
	checkInvariants(t, in, s)
	return s, took
}

// finish is what an operator does once things are quiet again: drain, sync, drain.
func finish(t *testing.T, in *installation) {
	t.Helper()
	in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "90s")
	in.json(exitOK, 2*time.Minute, nil, "sync", "all")
	in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "90s")
}

// killAtRandom starts a command and SIGKILLs it after a random delay within window — for a sync,
// the time it took in the reference run, at least 2 s (a drain: at least 0.5 s) — unless it finished
// first. The next command starts at once: a job lock the dead process left on this host is taken
// over, not waited out.
func killAtRandom(t *testing.T, in *installation, rng *rand.Rand, window time.Duration, seed uint64, log *crashLog, args ...string) {
	t.Helper()
	delay := time.Duration(rng.Int64N(int64(window)))
	pr := in.start(args...)
	select {
	case <-pr.done:
		log.add("seed %2d: %-28s finished before its kill at %s (exit %d)", seed, strings.Join(args, " "),
			delay.Round(time.Millisecond), pr.cmd.ProcessState.ExitCode())
		return
	case <-time.After(delay):
	}
	_ = pr.cmd.Process.Signal(syscall.SIGKILL)
	<-pr.done
	log.add("seed %2d: %-28s killed after %-7s during %s", seed, strings.Join(args, " "), delay.Round(time.Millisecond),
		runningAt(pr.stderr.String()))
}

// runningAt names the last job a log shows started and not finished ("-" when none).
func runningAt(stderr string) string {
	running := "-"
	for _, line := range strings.Split(stderr, "\n") {
		var rec struct {
			Logger string `json:"logger"`
			Msg    string `json:"msg"`
			Job    string `json:"job"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Logger != "scheduler" {
			continue
		}
		switch rec.Msg {
		case "job started":
			running = rec.Job
		case "job finished", "job failed":
			running = "between jobs"
		}
	}
	return running
}

// TestRedisRestartMidRun restarts Redis (AOF on, always fsync) in the middle of `sync all` and
// in the middle of `queue drain`, and requires the invariants and the fault-free end state.
func TestRedisRestartMidRun(t *testing.T) {
	t.Parallel()
	base := runRedisRestartCycle(t, false)
	got := runRedisRestartCycle(t, true)
	if d := sameEndState(got, base); len(d) > 0 {
		t.Errorf("after the Redis restarts the end state differs from the run without:\n%s", strings.Join(d, "\n"))
	}
}

func runRedisRestartCycle(t *testing.T, restart bool) *state {
	t.Helper()
	srv := testutil.StartRedisServer(t, true)
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: faultSeed, Enterprises: faultEnterprises(), BadRecords: faultBadRecords, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{RedisAddr: srv.Addr, Timeout: 2 * time.Second})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	p.SetFaults(crashFaults)
	rng := rand.New(rand.NewPCG(42, 0x7265646973))
	restarts := 0
	// midRun restarts Redis after a random delay within window of the command's start.
	midRun := func(window time.Duration, args ...string) {
		pr := in.start(args...)
		if restart {
			select {
			case <-pr.done:
				t.Logf("%s finished before the Redis restart", strings.Join(args, " "))
			case <-time.After(window/4 + time.Duration(rng.Int64N(int64(window*3/4)))):
				srv.Restart(t)
				restarts++
				t.Logf("redis restarted during %s (running: %s)", strings.Join(args, " "), runningAt(pr.stderr.String()))
			}
		}
		code := pr.wait(t, 3*time.Minute)
		if code != exitOK && code != exitRuntime {
			t.Fatalf("%s: want exit 0 or 3, got %d\nstderr:\n%s", strings.Join(args, " "), code, tail(pr.stderr.String(), 4000))
		}
		if !restart && code != exitOK {
			t.Fatalf("%s without a restart: exit %d\nstderr:\n%s", strings.Join(args, " "), code, tail(pr.stderr.String(), 4000))
		}
		t.Logf("%s → exit %d", strings.Join(args, " "), code)
	}
	midRun(time.Second, "sync", "all")
	midRun(400*time.Millisecond, "queue", "drain", "--timeout", "20s")
	edited, _ := in.editedWorkbook()
	in.json(exitOK, time.Minute, nil, "import", edited)
	midRun(time.Second, "sync", "all")
	if restart && restarts == 0 {
		t.Error("every command finished before its Redis restart: nothing was tested")
	}
	p.SetFaults(fault.Faults{})
	finish(t, in)
	s := capture(t, in)
	checkInvariants(t, in, s)
	return s
}
