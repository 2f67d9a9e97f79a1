package quanzhou

import (
	"net/http"

	"streetsync/connectors/httpx"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	httpClient *http.Client
	transport  http.RoundTripper
	clock      httpx.Clock
	rate       *rateOverride
	observer   httpx.Observer
	retry      httpx.RetryPolicy
	pageSize   int
	maxBody    int64
}

type rateOverride struct {
	perSecond float64
	burst     int
}

// WithHTTPClient sends requests through hc (its transport and timeout); the configured CA file
// and timeout are then not used.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithTransport sends requests through rt (an httpmock transport in unit tests); the configured
// CA file is then not used.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithClock injects the clock for timestamps, token expiry and retry waits.
func WithClock(c httpx.Clock) Option { return func(o *options) { o.clock = c } }

// WithRateLimit overrides the configured rate limit; perSecond ≤ 0 lifts it (benchmarks).
func WithRateLimit(perSecond float64, burst int) Option {
	return func(o *options) { o.rate = &rateOverride{perSecond, burst} }
}

// WithObserver reports every HTTP attempt and limiter wait to obs (metrics).
func WithObserver(obs httpx.Observer) Option { return func(o *options) { o.observer = obs } }

// WithRetryPolicy replaces the in-call retry policy (httpx.DefaultRetryPolicy).
func WithRetryPolicy(p httpx.RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithPageSize sets the listing page size, 1–500 (default 500, the contract's maximum).
func WithPageSize(n int) Option { return func(o *options) { o.pageSize = n } }

// WithMaxBody bounds the size of one answer (default httpx.MaxBody, 32 MiB).
func WithMaxBody(n int64) Option { return func(o *options) { o.maxBody = n } }
