package alerts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
)

// JSONWriter writes `alerts check --format json` as the check goes: the contract's document
//
//	{"firing": [alert, …], "evaluated": n, "unknown": n, "delivered": {"firing": n, "resolved": n},
//	 "skipped": [{"rules": "certificate", "reason": "…"}]}
//
// with the firing alerts written one by one as the check records them (Firing, an Output), and
// the counts once it is done (Close). "skipped" is there only when a family was skipped. Only one
// alert is held at a time, however many fire.
type JSONWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
	err error
}

// NewJSONWriter starts the document on w.
func NewJSONWriter(w io.Writer) *JSONWriter {
	j := &JSONWriter{w: bufio.NewWriterSize(w, 64<<10)}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	j.enc.SetIndent("    ", "  ")
	_, j.err = j.w.WriteString("{\n  \"firing\": [")
	return j
}

// Firing writes one firing alert.
func (j *JSONWriter) Firing(a *Alert) error {
	if j.err != nil {
		return j.err
	}
	j.buf.Reset()
	if j.err = j.enc.Encode(a); j.err != nil {
		return j.err
	}
	sep := ",\n    "
	if j.n == 0 {
		sep = "\n    "
	}
	j.n++
	j.w.WriteString(sep)
	_, j.err = j.w.Write(bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")))
	return j.err
}

// Close ends the document with the check's counts (res nil: the check failed; the document ends
// with what was written and zero counts, so that it still parses) and flushes it.
func (j *JSONWriter) Close(res *Result) error {
	if j.err != nil {
		return j.err
	}
	if res == nil {
		res = &Result{}
	}
	tail := struct {
		Evaluated int       `json:"evaluated"`
		Unknown   int       `json:"unknown"`
		Delivered Delivered `json:"delivered"`
		Skipped   []Skip    `json:"skipped,omitempty"`
	}{res.Evaluated, res.Unknown, res.Delivered, res.Skipped}
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if j.err = enc.Encode(tail); j.err != nil {
		return j.err
	}
	// The counts' object without its braces, after the list.
	body := bytes.TrimSpace(j.buf.Bytes())
	body = bytes.TrimSpace(body[1 : len(body)-1])
	if j.n > 0 {
		j.w.WriteString("\n  ")
	}
	j.w.WriteString("],\n  ")
	j.w.Write(body)
	j.w.WriteString("\n}\n")
	j.err = j.w.Flush()
	return j.err
}

// outputFeed hands a check's firing alerts to its Output on a goroutine of its own, a recorded
// batch at a time and in order: writing a city's alerts (the JSON of `alerts check`, seconds of
// encoding) overlaps recording the next batch. At most one batch waits. The Output's first error
// stops the check at the next batch, and wait reports it before anything is resolved or
// delivered. The nil feed (no Output) takes everything and does nothing.
type outputFeed struct {
	batches chan []Alert
	done    chan struct{}
	err     error       // the Output's first error: the goroutine's until failed or done says so
	failed  atomic.Bool // err is set
	closed  bool
}

func feedOutput(out Output) *outputFeed {
	if out == nil {
		return nil
	}
	f := &outputFeed{batches: make(chan []Alert, 1), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for batch := range f.batches {
			for i := 0; i < len(batch) && f.err == nil; i++ {
				if err := out.Firing(&batch[i]); err != nil {
					f.err = fmt.Errorf("alerts: write the result: %w", err)
					f.failed.Store(true)
				}
			}
		}
	}()
	return f
}

// send hands one batch over; an error when the Output has failed.
func (f *outputFeed) send(batch []Alert) error {
	if f == nil || len(batch) == 0 {
		return nil
	}
	if f.failed.Load() {
		return f.err
	}
	f.batches <- batch
	return nil
}

// wait lets the Output finish what it was handed and returns its first error. It may be called
// more than once; nothing may be sent after it.
func (f *outputFeed) wait() error {
	if f == nil {
		return nil
	}
	if !f.closed {
		f.closed = true
		close(f.batches)
	}
	<-f.done
	return f.err
}
