package httpx

import "time"

// Observer is the metrics hook: the connectors call it for every HTTP attempt and every wait for
// the rate limiter. The wiring adapts it to Prometheus; implementations must be fast and safe for
// concurrent use.
type Observer interface {
	ObserveRequest(RequestInfo)
	ObserveLimiterWait(system string, waited time.Duration)
}

// RequestInfo describes one HTTP attempt.
type RequestInfo struct {
	System   string        // "quanzhou" or "specialops"
	Method   string        // HTTP method
	Endpoint string        // route template, e.g. "/enterprises"
	Status   int           // HTTP status; 0 when no answer arrived
	Code     string        // envelope code or error string; "" on success
	Duration time.Duration // from sending to the end of reading the answer
	// Err is the attempt's error as the client classified it (an *APIError; nil on success):
	// what the platforms' health records (internal/app).
	Err error
}

// NopObserver observes nothing.
type NopObserver struct{}

// ObserveRequest does nothing.
func (NopObserver) ObserveRequest(RequestInfo) {}

// ObserveLimiterWait does nothing.
func (NopObserver) ObserveLimiterWait(string, time.Duration) {}
