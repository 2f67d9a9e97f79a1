package rdb

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// deadPID is the process id of a process that has ended (and been reaped).
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestWhichHoldersAreKnownToBeGone(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	alive := map[int]time.Time{100: start.Add(-time.Hour), 300: start.Add(time.Hour)} // pid → process start
	id := identity{host: "h1", pid: 42, boot: "b1", start: start, alive: func(pid int, before time.Time) bool {
		s, ok := alive[pid]
		return ok && !s.After(before)
	}}
	for _, tc := range []struct {
		rule   string
		holder Holder
		gone   bool
	}{
		{"a live process of this host", Holder{Host: "h1", PID: 100, Since: start, boot: "b1", token: "t"}, false},
		{"a process of this host that ended", Holder{Host: "h1", PID: 200, Since: start, boot: "b1", token: "t"}, true},
		{"its pid now a later process", Holder{Host: "h1", PID: 300, Since: start, boot: "b1", token: "t"}, true},
		{"another run of this very process", Holder{Host: "h1", PID: 42, Since: start.Add(time.Minute), boot: "b1", token: "t"}, false},
		{"an earlier process with this pid (a restarted container)", Holder{Host: "h1", PID: 42, Since: start.Add(-time.Hour), boot: "b1", token: "t"}, true},
		{"before the host rebooted", Holder{Host: "h1", PID: 100, Since: start, boot: "b0", token: "t"}, true},
		{"another host", Holder{Host: "h2", PID: 200, Since: start, boot: "b1", token: "t"}, false},
		{"a lock of unknown shape", Holder{}, false},
	} {
		if got := id.outlived(tc.holder); got != tc.gone {
			t.Errorf("%s: gone = %v, want %v", tc.rule, got, tc.gone)
		}
	}
}

func TestThisProcessIsAliveAndAnEndedOneIsNot(t *testing.T) {
	now := time.Now().Add(time.Minute)
	if !processAlive(os.Getpid(), now) {
		t.Error("this process is not alive")
	}
	if processAlive(deadPID(t), now) {
		t.Error("an ended process is alive")
	}
	if processAlive(os.Getpid(), processStart(os.Getpid()).Add(-time.Hour)) {
		t.Error("this process counted as started before it did")
	}
}
