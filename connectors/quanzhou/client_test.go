package quanzhou

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"go.uber.org/zap"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

type mapRecord struct{ uscc string }

func wire(rs []mapRecord) []mapping.QZEnterprise {
	out := make([]mapping.QZEnterprise, len(rs))
	for i, r := range rs {
		out[i] = mapping.QZEnterprise{Tyshxydm: r.uscc, Qymc: "企业" + r.uscc[len(r.uscc)-4:], Xzqhdm: testRegion, Cyrs: "12"}
	}
	return out
}

// Every envelope code of the contract's table, and what the client does with it.
func TestEnvelopeCodes(t *testing.T) {
	tests := []struct {
		name       string
		answers    []httpmock.Responder
		wantErr    error // nil: the call succeeds in the end
		wantKind   httpx.Kind
		wantCalls  int
		wantTokens int
		wantWait   time.Duration // RetryAfter of the error
		wantSlept  time.Duration // -1: some backoff, not checked exactly
	}{
		{"40001 fails without retry", []httpmock.Responder{codeResponder(200, 40001, "缺少参数 xzqhdm")},
			ErrInvalid, httpx.KindPermanent, 1, 1, 0, 0},
		{"40101 re-authenticates once and repeats the call", []httpmock.Responder{codeResponder(200, 40101, "令牌无效"), fileResponder(t, "enterprise.json")},
			nil, 0, 2, 2, 0, 0},
		{"40101 again after re-authentication gives up", []httpmock.Responder{codeResponder(200, 40101, "令牌无效")},
			ErrTokenExpired, httpx.KindTransient, 2, 2, 0, 0},
		{"40102 bad signature stops", []httpmock.Responder{codeResponder(200, 40102, "签名错误")},
			ErrAuth, httpx.KindAuth, 1, 1, 0, 0},
		{"40103 clock skew stops", []httpmock.Responder{codeResponder(200, 40103, "时间戳超出范围")},
			ErrClockSkew, httpx.KindAuth, 1, 1, 0, 0},
		{"40104 repeats once with a fresh nonce", []httpmock.Responder{codeResponder(200, 40104, "nonce 重复"), fileResponder(t, "enterprise.json")},
			nil, 0, 2, 1, 0, 0},
		{"40104 twice fails", []httpmock.Responder{codeResponder(200, 40104, "nonce 重复")},
			ErrNonceReused, httpx.KindTransient, 2, 1, 0, 0},
		{"40301 region not allowed stops", []httpmock.Responder{codeResponder(200, 40301, "无权访问该区域")},
			ErrForbidden, httpx.KindAuth, 1, 1, 0, 0},
		{"40401 is not found", []httpmock.Responder{codeResponder(200, 40401, "企业不存在")},
			ErrNotFound, httpx.KindPermanent, 1, 1, 0, 0},
		{"40902 is a conflict for a person", []httpmock.Responder{codeResponder(200, 40902, "报警已处置")},
			ErrConflict, httpx.KindPermanent, 1, 1, 0, 0},
		{"42901 with a short Retry-After is waited for", []httpmock.Responder{codeResponder(429, 42901, "请求过于频繁", "Retry-After", "1"), fileResponder(t, "enterprise.json")},
			nil, 0, 2, 1, 0, time.Second},
		{"42901 with a long Retry-After returns at once", []httpmock.Responder{codeResponder(429, 42901, "请求过于频繁", "Retry-After", "60")},
			ErrRateLimited, httpx.KindTransient, 1, 1, time.Minute, 0},
		{"50000 is retried three times with backoff", []httpmock.Responder{codeResponder(200, 50000, "系统内部错误")},
			ErrUnavailable, httpx.KindTransient, 3, 1, 0, -1},
		{"50000 then success", []httpmock.Responder{codeResponder(200, 50000, "系统内部错误"), fileResponder(t, "enterprise.json")},
			nil, 0, 2, 1, 0, -1},
		{"50300 maintenance returns at once with its Retry-After", []httpmock.Responder{codeResponder(503, 50300, "系统维护中", "Retry-After", "1800")},
			ErrMaintenance, httpx.KindTransient, 1, 1, 1800 * time.Second, 0},
		{"an unknown 5xxxx code is transient", []httpmock.Responder{codeResponder(200, 50099, "未知错误")},
			ErrUnavailable, httpx.KindTransient, 3, 1, 0, -1},
		{"an unknown 4xxxx code is permanent", []httpmock.Responder{codeResponder(200, 40999, "未知错误")},
			ErrInvalid, httpx.KindPermanent, 1, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.on(http.MethodGet, "/enterprises/91350582MA2YB1XK3L", sequence(tt.answers...))
			e, err := f.c.GetEnterprise(context.Background(), "91350582MA2YB1XK3L")
			checkErr(t, err, tt.wantErr, tt.wantKind, tt.wantWait)
			if tt.wantErr == nil && e.Qyid != "QY35058200001234" {
				t.Errorf("record %+v", e)
			}
			if got := len(f.requests("/enterprises/91350582MA2YB1XK3L")); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			if got := len(f.requests("/auth/token")); got != tt.wantTokens {
				t.Errorf("%d token requests, want %d", got, tt.wantTokens)
			}
			switch slept := f.clk.Slept(); {
			case tt.wantSlept >= 0 && slept != tt.wantSlept:
				t.Errorf("slept %v, want %v", slept, tt.wantSlept)
			case tt.wantSlept < 0 && (slept <= 0 || slept > 3*time.Second):
				t.Errorf("slept %v, want a backoff within the 3 s budget", slept)
			}
			if tt.wantErr != nil {
				var ae *APIError
				errors.As(err, &ae)
				if ae.Endpoint != "/enterprises/{tyshxydm}" || ae.Method != "GET" || ae.RecordKey != "91350582MA2YB1XK3L" || ae.Message == "" || ae.RequestID == "" {
					t.Errorf("error lacks context: %#v", ae)
				}
			}
		})
	}
}

func TestClockSkewIsLogged(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/enterprises/X1", codeResponder(200, 40103, "时间戳超出范围"))
	_, err := f.c.GetEnterprise(context.Background(), "X1")
	if !errors.Is(err, ErrClockSkew) {
		t.Fatalf("err = %v", err)
	}
	if n := f.logs.FilterMessageSnippet("clock skew").Len(); n != 1 {
		t.Errorf("%d clock-skew log lines, want 1", n)
	}
}

// What gateways and broken networks answer instead of the platform.
func TestGatewayAndTransportFailures(t *testing.T) {
	html502 := string(readFixture(t, "gateway_502.html"))
	page := string(readFixture(t, "enterprise.json"))
	tests := []struct {
		name      string
		answer    httpmock.Responder
		opts      []Option
		wantErr   error
		wantKind  httpx.Kind
		wantCalls int
		wantMsg   string
		wantWait  time.Duration
	}{
		{"502 HTML page is transient", rawResponder(502, "text/html", html502), nil, ErrUnavailable, httpx.KindTransient, 3, "HTML page", 0},
		{"504 HTML page is transient", rawResponder(504, "text/html", strings.ReplaceAll(html502, "502 Bad", "504 Gateway")), nil, ErrUnavailable, httpx.KindTransient, 3, "HTML page", 0},
		{"503 HTML page keeps its Retry-After", rawResponder(503, "text/html", html502, "Retry-After", "1800"), nil, ErrUnavailable, httpx.KindTransient, 1, "HTML page", 1800 * time.Second},
		{"200 HTML page is transient", rawResponder(200, "text/html", html502), nil, ErrUnavailable, httpx.KindTransient, 3, "HTML page", 0},
		{"429 without a body still backs off", rawResponder(429, "text/plain", "", "Retry-After", "120"), nil, ErrRateLimited, httpx.KindTransient, 1, "", 2 * time.Minute},
		{"truncated JSON is transient", rawResponder(200, "application/json", page[:len(page)/2]), nil, ErrMalformed, httpx.KindTransient, 3, "truncated answer", 0},
		{"garbage is transient", rawResponder(200, "application/json", "\x1f\x8b\x08\x00<html><body>系统繁忙</body>"), nil, ErrMalformed, httpx.KindTransient, 3, "", 0},
		{"empty 200 is transient", rawResponder(200, "application/json", ""), nil, ErrMalformed, httpx.KindTransient, 3, "truncated answer", 0},
		{"oversized answer fails cleanly", rawResponder(200, "application/json", page), []Option{WithMaxBody(256)}, ErrMalformed, httpx.KindTransient, 3, "larger than 256 bytes", 0},
		{"dropped connection is transient", httpmock.ConnectionFailure, nil, ErrUnavailable, httpx.KindTransient, 3, "", 0},
		{"401 from a gateway re-authenticates once", rawResponder(401, "text/html", "<html>401</html>"), nil, ErrTokenExpired, httpx.KindTransient, 2, "", 0},
		{"403 from a gateway stops", rawResponder(403, "text/html", "<html>403</html>"), nil, ErrForbidden, httpx.KindAuth, 1, "", 0},
		{"404 from a gateway means a wrong base URL", rawResponder(404, "text/html", "<html>404</html>"), nil, ErrEndpoint, httpx.KindAuth, 1, "", 0},
		{"other 4xx is permanent", rawResponder(413, "text/html", "<html>413</html>"), nil, ErrInvalid, httpx.KindPermanent, 1, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts...)
			f.on(http.MethodGet, "/enterprises/X1", tt.answer)
			_, err := f.c.GetEnterprise(context.Background(), "X1")
			checkErr(t, err, tt.wantErr, tt.wantKind, tt.wantWait)
			if got := len(f.requests("/enterprises/X1")); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			var ae *APIError
			if errors.As(err, &ae) && tt.wantMsg != "" && !strings.Contains(ae.Message, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", ae.Message, tt.wantMsg)
			}
		})
	}
}

// A platform answering megabytes of garbage, or an endless answer, must fail without reading it all.
func TestEndlessAnswerIsCut(t *testing.T) {
	f := newFixture(t, WithMaxBody(1<<20), WithRetryPolicy(httpx.RetryPolicy{Attempts: 1}))
	var served atomic.Int64
	f.on(http.MethodGet, "/enterprises/X1", func(*http.Request) (*http.Response, error) {
		body := io.MultiReader(strings.NewReader(`{"code":0,"msg":"成功","data":{"list":[`), &endless{n: &served})
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(body)}, nil
	})
	_, err := f.c.GetEnterprise(context.Background(), "X1")
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, httpx.ErrBodyTooLarge) {
		t.Fatalf("err = %v, want a too-large malformed answer", err)
	}
	if n := served.Load(); n > 2<<20 {
		t.Errorf("read %d bytes of an endless answer with a 1 MiB limit", n)
	}
}

// endless is an answer that never ends: {},{},{},…
type endless struct{ n *atomic.Int64 }

func (e *endless) Read(p []byte) (int, error) {
	at := e.n.Load()
	for i := range p {
		p[i] = "{},"[(at+int64(i))%3]
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

func TestTokenSharedByConcurrentCallers(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	var tokens atomic.Int32
	f.on(http.MethodPost, "/auth/token", func(req *http.Request) (*http.Response, error) {
		n := tokens.Add(1)
		<-release
		return httpmock.NewStringResponse(200, `{"code":0,"msg":"成功","data":{"accessToken":"tok-`+string(rune('0'+n))+`","expiresIn":7200}}`), nil
	})
	// The first token is refused once by every caller; the second is good.
	var refused sync.Map
	f.on(http.MethodGet, "/enterprises/X1", func(req *http.Request) (*http.Response, error) {
		tok := req.Header.Get("X-Access-Token")
		if tok == "tok-1" {
			refused.Store(req.Header.Get("X-Nonce"), true)
			return codeResponder(200, 40101, "令牌已失效")(req)
		}
		return fileResponder(t, "enterprise.json")(req)
	})
	const callers = 32
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.c.GetEnterprise(context.Background(), "X1")
			errs <- err
		}()
	}
	time.Sleep(20 * time.Millisecond) // the callers pile up behind the first token request
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := tokens.Load(); n != 2 {
		t.Errorf("%d token requests for %d concurrent callers and one revocation, want 2", n, callers)
	}

	// Near expiry the token is renewed once, before any call is refused.
	f.clk.Advance(7200*time.Second - 30*time.Second)
	if _, err := f.c.GetEnterprise(context.Background(), "X1"); err != nil {
		t.Fatal(err)
	}
	if n := tokens.Load(); n != 3 {
		t.Errorf("%d token requests after expiry, want 3", n)
	}
}

func TestTokenRequestFailures(t *testing.T) {
	tests := []struct {
		name     string
		answer   httpmock.Responder
		wantErr  error
		wantKind httpx.Kind
		want     int // token requests
	}{
		{"wrong secret stops the job", codeResponder(200, 40102, "签名错误"), ErrAuth, httpx.KindAuth, 1},
		{"a failing token endpoint is retried within its own call only", codeResponder(200, 50000, "系统内部错误"), ErrUnavailable, httpx.KindTransient, 3},
		{"a gateway's 401 on the token request is the credentials", rawResponder(401, "text/html", "<html>401</html>"), ErrAuth, httpx.KindAuth, 1},
		{"an answer without a token is malformed", rawResponder(200, "application/json", `{"code":0,"msg":"成功","data":{}}`), ErrMalformed, httpx.KindTransient, 1},
		{"a token that cannot go in a header is malformed", rawResponder(200, "application/json", `{"code":0,"msg":"成功","data":{"accessToken":"tok\r\nX-Evil: 1","expiresIn":7200}}`), ErrMalformed, httpx.KindTransient, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.on(http.MethodPost, "/auth/token", tt.answer)
			f.on(http.MethodGet, "/enterprises/X1", fileResponder(t, "enterprise.json"))
			_, err := f.c.GetEnterprise(context.Background(), "X1")
			checkErr(t, err, tt.wantErr, tt.wantKind, 0)
			if got := len(f.requests("/auth/token")); got != tt.want {
				t.Errorf("%d token requests, want %d", got, tt.want)
			}
			if got := len(f.requests("/enterprises/X1")); got != 0 {
				t.Errorf("%d calls went out without a token", got)
			}
		})
	}
}

// Secrets never reach an error text or a log line; only the HMAC and the token request see them.
func TestSecretsNeverLeak(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/enterprises/X1", sequence(codeResponder(200, 40101, "令牌无效"), codeResponder(200, 50000, "内部错误"),
		codeResponder(200, 40102, "签名错误")))
	_, err := f.c.GetEnterprise(context.Background(), "X1")
	if err == nil {
		t.Fatal("want an error")
	}
	texts := []string{err.Error()}
	var ae *APIError
	if errors.As(err, &ae) {
		texts = append(texts, ae.Summary())
	}
	for _, e := range f.logs.All() {
		texts = append(texts, e.Message)
		for k, v := range e.ContextMap() {
			texts = append(texts, k+"="+toString(v))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, testSecret) || strings.Contains(s, "tok-7f3a9c") {
			t.Errorf("secret or token in %q", s)
		}
	}
	if len(texts) < 3 {
		t.Errorf("expected debug log lines for the repeats, got %d texts", len(texts))
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}

func TestObserverSeesEveryAttempt(t *testing.T) {
	f := newFixture(t, WithRateLimit(20, 1))
	f.on(http.MethodGet, "/enterprises/X1", sequence(codeResponder(200, 50000, "内部错误"), fileResponder(t, "enterprise.json")))
	for range 3 {
		if _, err := f.c.GetEnterprise(context.Background(), "X1"); err != nil {
			t.Fatal(err)
		}
	}
	f.obs.mu.Lock()
	defer f.obs.mu.Unlock()
	var codes []string
	for _, r := range f.obs.requests {
		if r.System != "quanzhou" || r.Status != 200 || r.Duration < 0 {
			t.Errorf("request info %+v", r)
		}
		codes = append(codes, r.Endpoint+" "+r.Code)
	}
	want := []string{"/auth/token ", "/enterprises/{tyshxydm} 50000", "/enterprises/{tyshxydm} ", "/enterprises/{tyshxydm} ", "/enterprises/{tyshxydm} "}
	if strings.Join(codes, "|") != strings.Join(want, "|") {
		t.Errorf("observed %q\nwant     %q", codes, want)
	}
	f.obs.mu.Unlock()
	// Two waits back to back at 20/s with bursts of 1: the second one waits ~50 ms.
	for range 2 {
		if err := f.c.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	f.obs.mu.Lock()
	if len(f.obs.waits) == 0 {
		t.Error("no limiter wait observed")
	}
	total, _ := f.c.Limiter().Waited()
	if total <= 0 {
		t.Error("limiter wait counter did not move")
	}
}

func TestNewValidatesInput(t *testing.T) {
	good := Config{BaseURL: testBase, AppKey: "k", AppSecret: "s", RateLimit: 20, Burst: 20}
	tests := []struct {
		name   string
		change func(*Config, *string)
		opts   []Option
		want   string
	}{
		{"no base URL", func(c *Config, _ *string) { c.BaseURL = "" }, nil, "baseURL"},
		{"base URL without scheme", func(c *Config, _ *string) { c.BaseURL = "qz.example/gw" }, nil, "baseURL"},
		{"base URL with a query", func(c *Config, _ *string) { c.BaseURL = testBase + "?x=1" }, nil, "query"},
		{"no app key", func(c *Config, _ *string) { c.AppKey = "" }, nil, "appKey"},
		{"no secret", func(c *Config, _ *string) { c.AppSecret = "" }, nil, "appSecret"},
		{"region not 9 digits", func(_ *Config, r *string) { *r = "35058200" }, nil, "region"},
		{"negative rate", func(c *Config, _ *string) { c.RateLimit = -1 }, nil, "rateLimit"},
		{"page size over 500", func(*Config, *string) {}, []Option{WithPageSize(501)}, "page size"},
		{"missing CA file", func(c *Config, _ *string) { c.CAFile = "/nonexistent/ca.pem" }, nil, "CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, region := good, testRegion
			tt.change(&cfg, &region)
			_, err := New(cfg, region, zap.NewNop(), tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Error("secret in the error")
			}
		})
	}
	if _, err := New(good, testRegion, nil); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}

// checkErr asserts an error's sentinel, kind and Retry-After, and the two methods the retry
// queue uses.
func checkErr(t *testing.T, err, want error, kind httpx.Kind, wait time.Duration) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err %T is not an *APIError", err)
	}
	if ae.Kind != kind {
		t.Errorf("kind %v, want %v", ae.Kind, kind)
	}
	var temp interface{ Temporary() bool }
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &temp) || temp.Temporary() != (kind == httpx.KindTransient) {
		t.Errorf("Temporary() wrong for %v", err)
	}
	if !errors.As(err, &ra) || ra.RetryAfter() != wait {
		t.Errorf("RetryAfter() = %v, want %v", ra.RetryAfter(), wait)
	}
}
