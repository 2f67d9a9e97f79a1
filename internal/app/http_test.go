package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"streetsync/connectors/httpx"
	"streetsync/internal/config"
	"streetsync/internal/metrics"
)

type fakePinger struct{ err error }

func (p fakePinger) Ping(context.Context) error { return p.err }

func TestHTTPSurface(t *testing.T) {
	m := metrics.New()
	console := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "console") })
	lost := map[string]notice{"redisData": func(context.Context) (string, error) { return "Redis 数据已于 … 丢失", nil }}
	for _, tc := range []struct {
		rule     string
		deps     map[string]pinger
		notices  map[string]notice
		path     string
		wantCode int
		wantBody string
	}{
		{"healthz says the process is alive", nil, nil, "/healthz", 200, `"ok"`},
		{"readyz is ready when every dependency answers", map[string]pinger{"redis": fakePinger{}, "ledger": fakePinger{}}, nil, "/readyz", 200, `"ledger":"ok"`},
		{"readyz is not ready when one does not", map[string]pinger{"redis": fakePinger{errors.New("dial tcp: refused")}, "ledger": fakePinger{}}, nil, "/readyz", 503, `"redis":"dial tcp: refused"`},
		{"readyz tells of a loss of Redis data and stays ready", map[string]pinger{"redis": fakePinger{}}, lost, "/readyz", 200, `"redisData":"Redis 数据已于 … 丢失"`},
		{"metrics serves the registry", nil, nil, "/metrics", 200, "go_goroutines"},
		{"everything else is the console's", nil, nil, "/", 200, "console"},
	} {
		rec := httptest.NewRecorder()
		newMux(tc.deps, tc.notices, m.Handler(), console).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
			t.Errorf("%s: got %d %q, want %d with %q", tc.rule, rec.Code, rec.Body.String(), tc.wantCode, tc.wantBody)
		}
	}
}

func TestRequestStatusLabels(t *testing.T) {
	m := metrics.New()
	o := httpObserver{m: m}
	o.ObserveRequest(httpx.RequestInfo{System: "quanzhou", Endpoint: "/enterprises", Status: 200})
	o.ObserveRequest(httpx.RequestInfo{System: "quanzhou", Endpoint: "/enterprises", Status: 200, Code: "40101"})
	o.ObserveRequest(httpx.RequestInfo{System: "quanzhou", Endpoint: "/enterprises", Status: 502, Code: "bad gateway: <html>…"})
	o.ObserveRequest(httpx.RequestInfo{System: "specialops", Endpoint: "/oauth/token", Code: "connection refused"})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`status="200"} 1`, `status="200/40101"} 1`, `status="502"} 1`, `platform="specialops",status="error"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Without console.metricsPublic the daemon's own mux has no /metrics: the request goes to the
// console, which asks for the token.
func TestMetricsArePrivateByDefault(t *testing.T) {
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "console: "+r.URL.Path, http.StatusUnauthorized)
	})
	rec := httptest.NewRecorder()
	newMux(nil, nil, nil, console).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "console: /metrics") {
		t.Errorf("/metrics without metricsPublic: got %d %q, want the console's 401", rec.Code, rec.Body.String())
	}
	for public, want := range map[bool]bool{false: false, true: true} {
		cfg := config.Default()
		cfg.Console.MetricsPublic = public
		a := &App{cfg: &cfg, metrics: metrics.New()}
		if got := a.privateMetrics() == nil; got != want {
			t.Errorf("metricsPublic %t: the console guards /metrics: %t, want %t", public, !got, !want)
		}
	}
}
