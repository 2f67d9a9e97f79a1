package jobs

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// NewTerminalProgress returns a Progress that keeps one status line up to date on f — pages,
// records, rate and, when the total is known, the time left — and leaves one summary line per
// phase. When f is not a terminal (a pipe, a file, the daemon's journal) it draws nothing, so
// that `sync --format json` output and logs stay clean. The CLI passes os.Stderr.
func NewTerminalProgress(f *os.File) Progress {
	if f == nil || !term.IsTerminal(int(f.Fd())) {
		return nopProgress{}
	}
	return newLineProgress(f, time.Now)
}

// redrawEvery bounds how often the line is drawn: a terminal is slower than the sync.
const redrawEvery = 200 * time.Millisecond

type lineProgress struct {
	w   io.Writer
	now func() time.Time

	mu                    sync.Mutex
	job, phase            string
	total, pages, records int
	start, drawn          time.Time
	active                bool
}

func newLineProgress(w io.Writer, now func() time.Time) *lineProgress {
	return &lineProgress{w: w, now: now}
}

func (p *lineProgress) Begin(job, phase string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active {
		p.finish()
	}
	p.job, p.phase, p.total = job, phase, total
	p.pages, p.records = 0, 0
	p.start, p.active = p.now(), true
	p.draw(p.start)
}

func (p *lineProgress) Advance(pages, records int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active {
		return
	}
	p.pages += pages
	p.records += records
	if now := p.now(); now.Sub(p.drawn) >= redrawEvery {
		p.draw(now)
	}
}

func (p *lineProgress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active {
		p.finish()
	}
}

// finish draws the phase's last state and moves to a new line; the caller holds p.mu.
func (p *lineProgress) finish() {
	p.active = false
	p.draw(p.now())
	_, _ = io.WriteString(p.w, "\n")
}

// draw rewrites the status line; the caller holds p.mu.
func (p *lineProgress) draw(now time.Time) {
	p.drawn = now
	_, _ = io.WriteString(p.w, "\r\x1b[K"+p.line(now))
}

// line renders e.g. "企业信息 · 推送  12 300/45 000 条  123 页  850 条/秒  剩余约 38 秒".
func (p *lineProgress) line(now time.Time) string {
	var b strings.Builder
	label := jobLabels[p.job]
	if label == "" {
		label = p.job
	}
	b.WriteString(label + " · " + p.phase + "  ")
	b.WriteString(group(p.records))
	if p.total > 0 {
		b.WriteString("/" + group(p.total))
	}
	b.WriteString(" 条")
	if p.pages > 0 {
		b.WriteString("  " + group(p.pages) + " 页")
	}
	elapsed := now.Sub(p.start)
	if elapsed >= time.Second && p.records > 0 {
		rate := float64(p.records) / elapsed.Seconds()
		b.WriteString(fmt.Sprintf("  %s 条/秒", group(int(rate+0.5))))
		if p.active && p.total > p.records {
			left := time.Duration(float64(p.total-p.records) / rate * float64(time.Second))
			b.WriteString("  剩余约 " + chineseDuration(left))
		}
	}
	if !p.active {
		b.WriteString("  用时 " + chineseDuration(elapsed))
	}
	return b.String()
}

// group writes n with a space every three digits (12 300), as Chinese office documents do.
func group(n int) string {
	s := fmt.Sprint(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// chineseDuration renders 38 秒, 2 分 05 秒, 1 小时 02 分.
func chineseDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d 秒", s)
	case s < 3600:
		return fmt.Sprintf("%d 分 %02d 秒", s/60, s%60)
	}
	return fmt.Sprintf("%d 小时 %02d 分", s/3600, s%3600/60)
}
