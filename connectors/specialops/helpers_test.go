package specialops

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"streetsync/mapping"
)

// The system as the unit tests see it: mounted under a path prefix, so wrong absolute paths fail.
const (
	testBase   = "https://tzzy.example/share"
	testPrefix = "/share"
	testID     = "street-client"
	testSecret = "cl1ent-s3cret-for-tests"
)

// stepClock is a clock the tests move by hand; After fires at once and moves it.
type stepClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
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

type seenRequest struct {
	method, path, query, auth, contentType string
	body                                   []byte
}

type fixture struct {
	t    *testing.T
	mt   *httpmock.MockTransport
	clk  *stepClock
	c    *Client
	logs *observer.ObservedLogs

	mu   sync.Mutex
	seen []seenRequest
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{t: t, mt: httpmock.NewMockTransport(),
		clk: &stepClock{t: time.Date(2024, 5, 21, 9, 30, 0, 0, mapping.Beijing())}}
	core, logs := observer.New(zap.DebugLevel)
	f.logs = logs
	cfg := Config{BaseURL: testBase, ClientID: testID, ClientSecret: testSecret,
		RateLimit: 10, Burst: 5, Timeout: 5 * time.Second}
	c, err := New(cfg, zap.New(core), append([]Option{WithTransport(f.mt), WithClock(f.clk), WithRateLimit(0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	f.on(http.MethodPost, "/oauth/token", fileResponder(t, 200, "token.json"))
	return f
}

func (f *fixture) on(method, path string, r httpmock.Responder) {
	f.mt.RegisterResponder(method, testBase+path, f.record(r))
}

// record keeps what reached the system and checks the bearer token on API calls.
func (f *fixture) record(next httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		path := strings.TrimPrefix(req.URL.Path, testPrefix)
		if !strings.HasPrefix(req.URL.Path, testPrefix+"/") {
			f.t.Errorf("path %q lacks the base path", req.URL.Path)
		}
		auth := req.Header.Get("Authorization")
		if path != "/oauth/token" && !strings.HasPrefix(auth, "Bearer ") {
			f.t.Errorf("%s without a bearer token: %q", path, auth)
		}
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{method: req.Method, path: path, query: req.URL.RawQuery, auth: auth,
			contentType: req.Header.Get("Content-Type"), body: body})
		f.mu.Unlock()
		return next(req)
	}
}

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

func (f *fixture) queries(path string) []url.Values {
	var out []url.Values
	for _, r := range f.requests(path) {
		q, _ := url.ParseQuery(r.query)
		out = append(out, q)
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

// fileResponder answers a fixture with a status; headers come in name, value pairs.
func fileResponder(t *testing.T, status int, name string, headers ...string) httpmock.Responder {
	ct := "application/json"
	if strings.HasSuffix(name, ".html") {
		ct = "text/html"
	}
	return rawResponder(status, ct, string(readFixture(t, name)), headers...)
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
