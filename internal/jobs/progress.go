package jobs

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"streetsync/scheduler/clock"
)

// ProgressEvery is how often a progress line is written where no terminal redraws one: often
// enough that a cron log or the journal shows a long command is alive, seldom enough that it does
// not fill up.
const ProgressEvery = 10 * time.Second

// redrawEvery bounds how often the terminal line is drawn: a terminal is slower than the sync.
const redrawEvery = 200 * time.Millisecond

// Reporter is the progress of a long command (sync, queue drain, import, reconcile) on its
// stderr. On a terminal it keeps one status line up to date — records, pages, rate and, when
// the total is known, the time left — and leaves one summary line per phase. Anywhere else (a
// pipe, a file, a cron log, the journal) it writes one whole line every ProgressEvery while a
// phase runs, stamped with the time, and a closing line for a phase that wrote any: a short run
// writes nothing, so `--format json` output and quick commands stay clean.
//
// It satisfies Progress (the jobs), and the reconciliation's and the CLI's progress. Its lines
// are paced by a clock (tests: a fake one); Close stops the goroutine that writes them.
type Reporter struct {
	w        io.Writer
	terminal bool
	clock    clock.Clock
	loc      *time.Location

	mu                    sync.Mutex
	job, phase            string
	total, pages, records int
	start, drawn          time.Time
	active                bool
	wrote                 bool // off a terminal: this phase has written a line

	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// NewProgress returns the progress written to w; terminal says whether w is one (IsTerminal).
// c paces the lines and stamps them, in loc (schedule.timezone).
func NewProgress(w io.Writer, terminal bool, c clock.Clock, loc *time.Location) *Reporter {
	if loc == nil {
		loc = time.Local
	}
	r := &Reporter{w: w, terminal: terminal, clock: c, loc: loc, stop: make(chan struct{}), stopped: make(chan struct{})}
	if terminal {
		close(r.stopped)
		return r
	}
	go r.tick()
	return r
}

// IsTerminal reports whether w is a terminal (a file that is one).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Close stops writing; a phase still open is closed first.
func (r *Reporter) Close() {
	r.End()
	r.closeOnce.Do(func() {
		close(r.stop)
		<-r.stopped
	})
}

// tick writes a line every ProgressEvery while a phase runs, until Close.
func (r *Reporter) tick() {
	defer close(r.stopped)
	for {
		t := r.clock.TimerAt(r.clock.Now().Add(ProgressEvery))
		select {
		case <-r.stop:
			t.Stop()
			return
		case now := <-t.C():
			r.mu.Lock()
			if r.active {
				r.writeLine(now)
			}
			r.mu.Unlock()
		}
	}
}

// Begin starts a phase: job is a sync job's name or a command's label, total the records
// expected (0: unknown).
func (r *Reporter) Begin(job, phase string, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active {
		r.finish()
	}
	r.job, r.phase, r.total = job, phase, total
	r.pages, r.records, r.wrote = 0, 0, false
	r.start, r.active = r.clock.Now(), true
	if r.terminal {
		r.draw(r.start)
	}
}

// Advance counts pages (requests) and records done since the last call.
func (r *Reporter) Advance(pages, records int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pages += pages
	r.records += records
	r.redraw()
}

// Total sets the records expected, once known (0: unknown).
func (r *Reporter) Total(records int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total = records
}

// Done sets how many records are done (a command that samples its progress rather than counting
// it: the retry queue's drain).
func (r *Reporter) Done(records int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = records
	r.redraw()
}

// redraw draws the terminal's line, at most every redrawEvery; the caller holds r.mu.
func (r *Reporter) redraw() {
	if !r.active || !r.terminal {
		return
	}
	if now := r.clock.Now(); now.Sub(r.drawn) >= redrawEvery {
		r.draw(now)
	}
}

// End closes the phase.
func (r *Reporter) End() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active {
		r.finish()
	}
}

// finish closes the phase: the terminal line's last state on a line of its own, or off a
// terminal a closing line when the phase wrote any. The caller holds r.mu.
func (r *Reporter) finish() {
	r.active = false
	now := r.clock.Now()
	switch {
	case r.terminal:
		r.draw(now)
		_, _ = io.WriteString(r.w, "\n")
	case r.wrote:
		r.writeLine(now)
	}
}

// draw rewrites the terminal's status line; the caller holds r.mu.
func (r *Reporter) draw(now time.Time) {
	r.drawn = now
	_, _ = io.WriteString(r.w, "\r\x1b[K"+r.line(now))
}

// writeLine writes a whole line with its time; the caller holds r.mu.
func (r *Reporter) writeLine(now time.Time) {
	r.wrote = true
	_, _ = io.WriteString(r.w, now.In(r.loc).Format("2006-01-02 15:04:05 -07:00")+"  "+r.line(now)+"\n")
}

// line renders e.g. "企业信息 · 推送  12 300/45 000 条  123 页  850 条/秒  剩余约 38 秒".
func (r *Reporter) line(now time.Time) string {
	var b strings.Builder
	label := jobLabels[r.job]
	if label == "" {
		label = r.job
	}
	b.WriteString(label + " · " + r.phase + "  ")
	b.WriteString(group(r.records))
	if r.total > 0 {
		b.WriteString("/" + group(r.total))
	}
	b.WriteString(" 条")
	if r.pages > 0 {
		b.WriteString("  " + group(r.pages) + " 页")
	}
	elapsed := now.Sub(r.start)
	if elapsed >= time.Second && r.records > 0 {
		rate := float64(r.records) / elapsed.Seconds()
		b.WriteString(fmt.Sprintf("  %s 条/秒", group(int(rate+0.5))))
		if r.active && r.total > r.records {
			left := time.Duration(float64(r.total-r.records) / rate * float64(time.Second))
			b.WriteString("  剩余约 " + chineseDuration(left))
		}
	}
	if !r.active {
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
