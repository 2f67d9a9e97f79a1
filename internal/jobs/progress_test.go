package jobs_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/scheduler/clock"
)

var progressT0 = time.Date(2026, 12, 7, 0, 31, 0, 0, time.UTC) // 08:31 in Shanghai

// On a pipe (a cron log), a long phase writes one whole line every 10 s — done / total, rate,
// time left, the time in schedule.timezone — and a closing line; the clock is a fake one, so the
// test waits for no 10 s.
func TestProgressOnAPipeWritesALineEveryTenSeconds(t *testing.T) {
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	lines := bufio.NewScanner(rd)
	if jobs.IsTerminal(wr) {
		t.Fatal("a pipe is no terminal")
	}
	fc := clock.NewFake(progressT0)
	p := jobs.NewProgress(wr, false, fc, shanghai(t))
	defer p.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.Begin(jobs.Employments, "登记", 45000)
	p.Advance(50, 12000)
	waitTimer(ctx, t, fc)
	fc.Advance(jobs.ProgressEvery)
	line := next(t, lines)
	for _, want := range []string{"2026-12-07 08:31:10 +08:00", "用工登记 · 登记", "12 000/45 000 条", "50 页", "1 200 条/秒", "剩余约 28 秒"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	p.Advance(10, 12000)
	waitTimer(ctx, t, fc)
	fc.Advance(jobs.ProgressEvery)
	if line := next(t, lines); !strings.Contains(line, "24 000/45 000 条") || !strings.Contains(line, "08:31:20") {
		t.Errorf("second line %q", line)
	}
	fc.Advance(time.Second)
	p.End()
	if line := next(t, lines); !strings.Contains(line, "用时 21 秒") || strings.Contains(line, "剩余") {
		t.Errorf("closing line %q, want the time taken", line)
	}
	// A phase that ends within 10 s writes nothing; Done sets the count outright.
	p.Begin("重试队列", "处理", 10)
	p.Done(7)
	p.End()
	p.Begin("对账", "读取平台企业", 0)
	p.Done(300)
	waitTimer(ctx, t, fc)
	fc.Advance(jobs.ProgressEvery)
	if line := next(t, lines); !strings.Contains(line, "对账 · 读取平台企业  300 条") {
		t.Errorf("line after a silent phase: %q", line)
	}
	p.Close()
	wr.Close()
	if lines.Scan() && !strings.Contains(lines.Text(), "用时") {
		t.Errorf("after Close: %q, want at most the closing line", lines.Text())
	}
}

// On a terminal the line is redrawn in place and each phase leaves one line with its time.
func TestProgressOnATerminalRedrawsOneLine(t *testing.T) {
	var buf bytes.Buffer
	fc := clock.NewFake(progressT0)
	p := jobs.NewProgress(&buf, true, fc, shanghai(t))
	p.Begin(jobs.Employments, "登记", 45000)
	fc.Advance(10 * time.Second)
	p.Advance(123, 12300)
	line := buf.String()[strings.LastIndex(buf.String(), "\r"):]
	for _, want := range []string{"用工登记 · 登记", "12 300/45 000 条", "123 页", "1 230 条/秒", "剩余约 27 秒"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	p.Close()
	if !strings.HasSuffix(buf.String(), "\n") || !strings.Contains(buf.String(), "用时 10 秒") {
		t.Errorf("end of phase %q: want the elapsed time and a new line", buf.String())
	}
	if fc.Timers() != 0 {
		t.Errorf("a terminal's progress arms %d timers, want none", fc.Timers())
	}
}

func waitTimer(ctx context.Context, t *testing.T, fc *clock.Fake) {
	t.Helper()
	if err := fc.BlockUntil(ctx, 1); err != nil {
		t.Fatal("the progress armed no timer:", err)
	}
}

func next(t *testing.T, s *bufio.Scanner) string {
	t.Helper()
	if !s.Scan() {
		t.Fatalf("no line: %v", s.Err())
	}
	return s.Text()
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
