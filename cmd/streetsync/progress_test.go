package main

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/mocks/fault"
	"streetsync/scheduler/clock"
)

// pipeProgress runs the command with its stderr on a pipe (a cron log) and its progress clock
// advanced by jobs.ProgressEvery every few milliseconds while it runs; it returns the exit
// status and the stderr lines that contain match.
func pipeProgress(t *testing.T, e *env, match string, args ...string) (int, []string) {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	collected := make(chan []string, 1)
	go func() {
		var got []string
		s := bufio.NewScanner(rd)
		for s.Scan() {
			if strings.Contains(s.Text(), match) {
				got = append(got, s.Text())
			}
		}
		collected <- got
	}()
	fc := clock.NewFake(time.Date(2026, 12, 7, 0, 31, 0, 0, time.UTC))
	done := make(chan int, 1)
	go func() {
		var out syncBuffer
		done <- runContext(context.Background(), append([]string{"--config", e.config}, args...),
			strings.NewReader(""), &out, wr, func(a *app) { a.clock = fc })
	}()
	var code int
	for running := true; running; {
		select {
		case code = <-done:
			running = false
		case <-time.After(15 * time.Millisecond):
			fc.Advance(jobs.ProgressEvery)
		}
	}
	wr.Close()
	return code, <-collected
}

// `sync` off a terminal writes a whole line every 10 s while a phase runs — the time in
// schedule.timezone, records done of the total, the rate and the time left — and a closing line
// with the time it took.
func TestSyncReportsProgressOnAPipe(t *testing.T) {
	e := newEnv(t, 60, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	// A slow special-operations system: the certificate queries (50 ID numbers each) take seconds.
	e.mocks.SpecialOps.SetFaults(fault.Faults{Latency: 150 * time.Millisecond})
	code, lines := pipeProgress(t, e, "特种作业操作证", "sync", "certificates")
	if code != exitOK {
		t.Fatalf("sync certificates: exit %d", code)
	}
	running := regexp.MustCompile(`^2026-12-07 \d\d:\d\d:\d\d \+08:00  特种作业操作证 · \S+  [\d ]+/[\d ]+ 条.*条/秒  剩余约 `)
	var sawRunning, sawClosing bool
	for _, l := range lines {
		sawRunning = sawRunning || running.MatchString(l)
		sawClosing = sawClosing || strings.Contains(l, "用时")
	}
	if !sawRunning || !sawClosing {
		t.Errorf("progress lines on a pipe:\n%s\nwant a line with done/total, rate and time left, and a closing line", strings.Join(lines, "\n"))
	}
}

// `import` off a terminal: a line every 10 s per sheet while it loads (the rows written so far and
// the rate; a workbook's size is not known before it is read), and a closing line per sheet.
func TestImportReportsProgressOnAPipe(t *testing.T) {
	e := newEnv(t, 300, "")
	code, lines := pipeProgress(t, e, "导入 · ", "import", workbookOf(t, e))
	if code != exitOK {
		t.Fatalf("import: exit %d", code)
	}
	running := regexp.MustCompile(`^2026-12-07 \d\d:\d\d:\d\d \+08:00  导入 · (企业台账|特种作业人员)  [\d ]+ 条`)
	var sawRunning, sawClosing bool
	for _, l := range lines {
		sawRunning = sawRunning || running.MatchString(l)
		sawClosing = sawClosing || strings.Contains(l, "用时")
	}
	if !sawRunning || !sawClosing {
		t.Errorf("progress lines on a pipe:\n%s\nwant a line per 10 s with the rows loaded, and a closing line", strings.Join(lines, "\n"))
	}
}
