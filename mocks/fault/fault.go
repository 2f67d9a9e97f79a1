// Package fault is the mock platforms' fault injection: the knobs (Faults) and the mechanics
// shared by both platforms — the gateway's HTML error pages, dropped connections, added latency,
// garbage and truncated bodies, answers that never finish.
//
// Every knob acts on its own; the zero Faults injects nothing. Each platform holds its Faults
// under its lock and can be changed at any time (Platform.SetFaults / UpdateFaults).
package fault

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Faults are the knobs. Probabilities are in [0, 1] and are drawn from the platform's own seeded
// random source.
type Faults struct {
	// InternalError: the platform fails the request (Quanzhou: code 50000; provincial: 500).
	InternalError float64
	// GatewayError: the gateway in front answers 502 or 504 with an HTML page.
	GatewayError float64
	// DropBefore: the connection is closed before the platform sees the request.
	DropBefore float64
	// DropAfter: the platform processes the request, then the connection is closed without an
	// answer (the push happened; the client cannot know).
	DropAfter float64
	// Latency is added before every answer.
	Latency time.Duration
	// RateLimitBurst: the next N requests are answered 429 (counts down).
	RateLimitBurst int
	// Maintenance: every request is answered with the maintenance status (Quanzhou 50300 with
	// HTTP 503; provincial 503), with Retry-After MaintenanceRetryAfter seconds (default 1800).
	Maintenance           bool
	MaintenanceRetryAfter int
	// RevokeTokenEvery: every Nth authenticated request finds its token revoked (0: never).
	RevokeTokenEvery int
	// ItemConflict and ItemStoreFailure: a batchSave item fails with 40901 or 50001 (Quanzhou).
	ItemConflict     float64
	ItemStoreFailure float64
	// MutateWhilePaging: on each listing page request, a random record of the listed set is
	// touched (gxsj = now) and moves to the end, as a concurrent portal edit would (Quanzhou).
	MutateWhilePaging float64
	// CursorExpired: a request carrying a cursor is answered 400 cursor_expired (provincial).
	CursorExpired float64
	// GarbageBody: the answer is 200 with a body that is not JSON.
	GarbageBody float64
	// TruncatedBody: the platform processes the request and the JSON answer is cut short.
	TruncatedBody float64
	// Hang: the answer never comes; the handler waits until the client gives up or the platform
	// is closed.
	Hang float64
}

// RetryAfter returns the maintenance Retry-After in seconds.
func (f *Faults) RetryAfter() int {
	if f.MaintenanceRetryAfter > 0 {
		return f.MaintenanceRetryAfter
	}
	return 1800
}

// ErrDropped is what a Responder returns when the injected fault dropped the connection.
var ErrDropped = errors.New("mock: connection dropped")

// GatewayPage writes the gateway's HTML error page (not JSON: clients must not try to decode it).
func GatewayPage(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
}

// Garbage writes a 200 answer whose body is not JSON (a captive page or a mangled proxy answer).
func Garbage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("\x1f\x8b\x08\x00<html><body>系统繁忙</body>"))
}

// Drop closes the connection under the request without an answer. It reports false when the
// ResponseWriter cannot be hijacked (an HTTP/2 server), in which case nothing happened.
func Drop(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, as a crashing gateway gives
	}
	_ = conn.Close()
	return true
}

// Sleep waits d or until ctx ends; it reports whether the full time passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Hang blocks until the client gives up (ctx) or the platform closes (done).
func Hang(ctx context.Context, done <-chan struct{}) {
	select {
	case <-ctx.Done():
	case <-done:
	}
}

// Recorder is an httptest-style ResponseWriter that also "supports" hijacking, so that the
// platforms' Responders (for httpmock) can turn a dropped connection into an error.
type Recorder struct {
	Code    int
	header  http.Header
	Body    []byte
	Dropped bool
	wrote   bool
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{header: http.Header{}, Code: http.StatusOK} }

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter.
func (r *Recorder) WriteHeader(code int) {
	if !r.wrote {
		r.Code, r.wrote = code, true
	}
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.Body = append(r.Body, b...)
	return len(b), nil
}

// Hijack marks the answer as dropped and hands out a closed pipe.
func (r *Recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.Dropped = true
	a, b := net.Pipe()
	_ = b.Close()
	return a, bufio.NewReadWriter(bufio.NewReader(a), bufio.NewWriter(a)), nil
}

// Response renders the recorded answer as a client would receive it.
func (r *Recorder) Response(req *http.Request) *http.Response {
	resp := &http.Response{
		Status:        strconv.Itoa(r.Code) + " " + http.StatusText(r.Code),
		StatusCode:    r.Code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        r.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(r.Body)),
		ContentLength: int64(len(r.Body)),
		Request:       req,
	}
	return resp
}
