package fault

import (
	"context"
	"net/http"

	"github.com/jarcoal/httpmock"
)

// Answer is what a platform decided to send, with what the request counters need to know.
type Answer struct {
	Endpoint string // route label, e.g. "GET /enterprises"; "gateway" when the platform was not reached
	Status   int    // HTTP status; StatusDropped or StatusHung when there was none
	Code     int    // Quanzhou envelope code (0 for the provincial system)
	Error    string // provincial error string ("" for Quanzhou)
	Header   http.Header
	Body     []byte
}

// Pseudo statuses for answers that never came.
const (
	StatusDropped = 0
	StatusHung    = -1
)

// Gateway is the endpoint label of requests the platform never saw.
const Gateway = "gateway"

// Front runs one request through the gateway's faults, in this order: latency, hang, drop before,
// 502/504 page, garbage body; then the platform (handle); then drop after and truncation.
// draw decides a probability with the platform's own random source; done releases hung requests.
func Front(w http.ResponseWriter, r *http.Request, f Faults, draw func(float64) bool, done <-chan struct{},
	handle func(*http.Request) Answer) Answer {
	ctx := r.Context()
	if !Sleep(ctx, f.Latency) {
		return Answer{Endpoint: Gateway, Status: StatusHung}
	}
	if draw(f.Hang) {
		Hang(ctx, done)
		return Answer{Endpoint: Gateway, Status: StatusHung}
	}
	if draw(f.DropBefore) && Drop(w) {
		return Answer{Endpoint: Gateway, Status: StatusDropped}
	}
	if draw(f.GatewayError) {
		status := http.StatusBadGateway
		if draw(0.5) {
			status = http.StatusGatewayTimeout
		}
		GatewayPage(w, status)
		return Answer{Endpoint: Gateway, Status: status}
	}
	if draw(f.GarbageBody) {
		Garbage(w)
		return Answer{Endpoint: Gateway, Status: http.StatusOK, Code: -1}
	}
	a := handle(r)
	if draw(f.DropAfter) && Drop(w) {
		a.Status = StatusDropped
		return a
	}
	body := a.Body
	if draw(f.TruncatedBody) && len(body) > 1 {
		body = body[:len(body)/2]
	}
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(body)
	return a
}

// Responder turns a platform handler into an httpmock Responder: the request is served into a
// Recorder; a dropped connection becomes ErrDropped and a hung answer the request's context error.
func Responder(h http.Handler) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		rec := NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Dropped {
			return nil, ErrDropped
		}
		if err := req.Context().Err(); err != nil && !rec.wrote {
			return nil, err
		}
		if !rec.wrote {
			return nil, context.Canceled
		}
		return rec.Response(req), nil
	}
}
