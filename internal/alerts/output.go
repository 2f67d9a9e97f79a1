package alerts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
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
