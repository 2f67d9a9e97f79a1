package quanzhou

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

// The platform as the unit tests see it: mounted under a gateway prefix, so a client that signs
// or requests the wrong absolute path fails.
const (
	testBase   = "https://qz.example/gw/openapi/v1"
	testPrefix = "/gw/openapi/v1"
	testKey    = "test-app"
	testSecret = "s3cret-for-unit-tests"
	testRegion = "350582006"
)

// stepClock is a clock the tests move by hand; After fires at once and moves it (a retry wait
// costs no wall-clock time, and the tests can read how long the client waited).
type stepClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2024, 5, 21, 9, 30, 0, 0, mapping.Beijing())}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept += d
	now := c.t
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

func (c *stepClock) Slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}

// recordingObserver keeps what the client reported.
type recordingObserver struct {
	mu       sync.Mutex
	requests []httpx.RequestInfo
	waits    []time.Duration
}

func (o *recordingObserver) ObserveRequest(i httpx.RequestInfo) {
	o.mu.Lock()
	o.requests = append(o.requests, i)
	o.mu.Unlock()
}

func (o *recordingObserver) ObserveLimiterWait(_ string, d time.Duration) {
	o.mu.Lock()
	o.waits = append(o.waits, d)
	o.mu.Unlock()
}

// seenRequest is what the platform received, after the signature checked out.
type seenRequest struct {
	method, path, query, nonce, timestamp, token string
	body                                         []byte
}

type fixture struct {
	t    *testing.T
	mt   *httpmock.MockTransport
	clk  *stepClock
	c    *Client
	logs *observer.ObservedLogs
	obs  *recordingObserver

	mu   sync.Mutex
	seen []seenRequest
}

// newFixture returns a client against an httpmock platform whose token endpoint answers
// token.json; every responder registered with on() checks the signature first.
func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{t: t, mt: httpmock.NewMockTransport(), clk: newStepClock(), obs: &recordingObserver{}}
	core, logs := observer.New(zap.DebugLevel)
	f.logs = logs
	cfg := Config{BaseURL: testBase, AppKey: testKey, AppSecret: testSecret,
		RateLimit: 20, Burst: 20, Timeout: 5 * time.Second}
	all := append([]Option{WithTransport(f.mt), WithClock(f.clk), WithRateLimit(0, 0), WithObserver(f.obs)}, opts...)
	c, err := New(cfg, testRegion, zap.New(core), all...)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	f.on(http.MethodPost, "/auth/token", fileResponder(t, "token.json"))
	return f
}

// on registers a responder for a path below the base URL, behind a signature check.
func (f *fixture) on(method, path string, r httpmock.Responder) {
	f.mt.RegisterResponder(method, testBase+path, f.signed(r))
}

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9]{16,32}$`)

// signed verifies a request the way the contract describes it — independently of sign.go's
// helpers where it can — and records it.
func (f *fixture) signed(next httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		h := req.Header
		if h.Get("X-App-Key") != testKey {
			f.t.Errorf("X-App-Key = %q", h.Get("X-App-Key"))
		}
		if !nonceRE.MatchString(h.Get("X-Nonce")) {
			f.t.Errorf("X-Nonce %q is not 16–32 [A-Za-z0-9]", h.Get("X-Nonce"))
		}
		if _, err := strconv.ParseInt(h.Get("X-Timestamp"), 10, 64); err != nil {
			f.t.Errorf("X-Timestamp %q is not Unix milliseconds", h.Get("X-Timestamp"))
		}
		if !strings.HasPrefix(req.URL.Path, testPrefix+"/") {
			f.t.Errorf("path %q lacks the gateway prefix", req.URL.Path)
		}
		sum := sha256.Sum256(body)
		msg := strings.Join([]string{req.Method, req.URL.EscapedPath(), canonicalQuery(req.URL.Query()),
			h.Get("X-Timestamp"), h.Get("X-Nonce"), hex.EncodeToString(sum[:])}, "\n")
		if got, want := h.Get("X-Signature"), sign(testSecret, msg); got != want {
			f.t.Errorf("%s %s: signature %s, want %s over\n%s", req.Method, req.URL.Path, got, want, msg)
		}
		isToken := strings.HasSuffix(req.URL.Path, "/auth/token")
		if isToken == (h.Get("X-Access-Token") != "") {
			f.t.Errorf("%s: X-Access-Token %q (token request: %v)", req.URL.Path, h.Get("X-Access-Token"), isToken)
		}
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{method: req.Method, path: strings.TrimPrefix(req.URL.Path, testPrefix),
			query: req.URL.RawQuery, nonce: h.Get("X-Nonce"), timestamp: h.Get("X-Timestamp"), token: h.Get("X-Access-Token"), body: body})
		f.mu.Unlock()
		return next(req)
	}
}

// requests returns what reached path (below the base URL).
func (f *fixture) requests(path string) []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seenRequest
	for _, r := range f.seen {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fileResponder(t *testing.T, name string) httpmock.Responder {
	b := readFixture(t, name)
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewBytesResponse(http.StatusOK, b)
		r.Header.Set("Content-Type", "application/json;charset=UTF-8")
		return r, nil
	}
}

// codeResponder answers an envelope error; headers come in name, value pairs.
func codeResponder(status, code int, msg string, headers ...string) httpmock.Responder {
	body := fmt.Sprintf(`{"code": %d, "msg": %q, "data": null, "requestId": "req-%d"}`, code, msg, code)
	return rawResponder(status, "application/json;charset=UTF-8", body, headers...)
}

func rawResponder(status int, contentType, body string, headers ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", contentType)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		return r, nil
	}
}

// sequence answers with each responder in turn, then keeps answering with the last.
func sequence(rs ...httpmock.Responder) httpmock.Responder {
	var mu sync.Mutex
	n := 0
	return func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		r := rs[min(n, len(rs)-1)]
		n++
		mu.Unlock()
		return r(req)
	}
}
