package specialops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

const holderID = "350582199001011231"

func employment() mapping.TZEmployment {
	return mapping.TZEmployment{CertNo: "T" + holderID, ItemCode: "0102", IDNumber: holderID,
		EnterpriseUSCC: "91350582MA2YB1XK3L", EnterpriseName: "晋江市灵源鞋材有限公司", StartDate: "2024-05-21"}
}

// Every status of the contract's table, on the endpoint where it means something.
func TestStatusTable(t *testing.T) {
	html := string(readFixture(t, "gateway_502.html"))
	tests := []struct {
		name      string
		answers   []httpmock.Responder
		wantErr   error
		wantKind  httpx.Kind
		wantCalls int
		wantToken int
		wantWait  time.Duration
		wantCode  string
	}{
		{"200 updated", []httpmock.Responder{fileResponder(t, 200, "employment.json")}, nil, 0, 1, 1, 0, ""},
		{"400 malformed request fails", []httpmock.Responder{fileResponder(t, 400, "invalid_request.json")}, ErrInvalid, httpx.KindPermanent, 1, 1, 0, "invalid_request"},
		{"401 gets a new token once and repeats", []httpmock.Responder{fileResponder(t, 401, "invalid_token.json", "WWW-Authenticate", `Bearer error="invalid_token"`), fileResponder(t, 200, "employment.json")},
			nil, 0, 2, 2, 0, ""},
		{"401 twice gives up", []httpmock.Responder{fileResponder(t, 401, "invalid_token.json", "WWW-Authenticate", `Bearer error="invalid_token"`)},
			ErrTokenExpired, httpx.KindTransient, 2, 2, 0, "invalid_token"},
		{"403 stops", []httpmock.Responder{rawResponder(403, "application/json", `{"error":"access_denied","message":"客户端无权访问"}`)}, ErrForbidden, httpx.KindAuth, 1, 1, 0, "access_denied"},
		{"404 certificate_not_found", []httpmock.Responder{fileResponder(t, 404, "certificate_not_found.json")}, ErrCertificateNotFound, httpx.KindPermanent, 1, 1, 0, "certificate_not_found"},
		{"404 page without the system's body is a wrong base URL", []httpmock.Responder{rawResponder(404, "text/html", "<html>404</html>")}, ErrEndpoint, httpx.KindAuth, 1, 1, 0, ""},
		{"409 holder_mismatch", []httpmock.Responder{fileResponder(t, 409, "holder_mismatch.json")}, ErrHolderMismatch, httpx.KindPermanent, 1, 1, 0, "holder_mismatch"},
		{"409 certificate_not_valid", []httpmock.Responder{fileResponder(t, 409, "certificate_not_valid.json")}, ErrCertificateNotValid, httpx.KindPermanent, 1, 1, 0, "certificate_not_valid"},
		{"422 field errors are permanent", []httpmock.Responder{fileResponder(t, 422, "validation.json")}, ErrValidation, httpx.KindPermanent, 1, 1, 0, "validation_failed"},
		{"429 with seconds is waited for", []httpmock.Responder{rawResponder(429, "application/json", `{"error":"rate_limited"}`, "Retry-After", "1"), fileResponder(t, 200, "employment.json")},
			nil, 0, 2, 1, 0, ""},
		{"429 with a near HTTP-date is waited for", []httpmock.Responder{rawResponder(429, "application/json", `{"error":"rate_limited"}`, "Retry-After", "Tue, 21 May 2024 01:30:02 GMT"), fileResponder(t, 200, "employment.json")},
			nil, 0, 2, 1, 0, ""},
		{"429 with a far HTTP-date returns at once", []httpmock.Responder{rawResponder(429, "application/json", `{"error":"rate_limited"}`, "Retry-After", "Tue, 21 May 2024 02:00:00 GMT")},
			ErrRateLimited, httpx.KindTransient, 1, 1, 30 * time.Minute, "rate_limited"},
		{"500 is retried", []httpmock.Responder{rawResponder(500, "application/json", `{"error":"server_error"}`)}, ErrUnavailable, httpx.KindTransient, 3, 1, 0, "server_error"},
		{"502 HTML page is retried", []httpmock.Responder{rawResponder(502, "text/html", html)}, ErrUnavailable, httpx.KindTransient, 3, 1, 0, ""},
		{"503 with a long Retry-After returns at once", []httpmock.Responder{rawResponder(503, "text/html", html, "Retry-After", "1800")}, ErrUnavailable, httpx.KindTransient, 1, 1, 1800 * time.Second, ""},
		{"504 then success", []httpmock.Responder{rawResponder(504, "text/html", html), fileResponder(t, 201, "employment.json")}, nil, 0, 2, 1, 0, ""},
		{"dropped connection is retried", []httpmock.Responder{httpmock.ConnectionFailure}, ErrUnavailable, httpx.KindTransient, 3, 1, 0, ""},
		{"truncated JSON is retried", []httpmock.Responder{rawResponder(200, "application/json", `{"certNo": "T3505`)}, ErrMalformed, httpx.KindTransient, 3, 1, 0, ""},
		{"HTML page with 200 is retried", []httpmock.Responder{rawResponder(200, "text/html", html)}, ErrUnavailable, httpx.KindTransient, 3, 1, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.on(http.MethodPut, "/api/v2/employments", sequence(tt.answers...))
			stored, _, err := f.c.PutEmployment(context.Background(), employment())
			checkErr(t, err, tt.wantErr, tt.wantKind, tt.wantWait)
			if tt.wantErr == nil && stored.Status != "ACTIVE" {
				t.Errorf("stored %+v", stored)
			}
			if got := len(f.requests("/api/v2/employments")); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			if got := len(f.requests("/oauth/token")); got != tt.wantToken {
				t.Errorf("%d token requests, want %d", got, tt.wantToken)
			}
			var ae *APIError
			if errors.As(err, &ae) {
				if ae.Code != tt.wantCode {
					t.Errorf("code %q, want %q", ae.Code, tt.wantCode)
				}
				if strings.Contains(err.Error(), holderID) || ae.RecordKey != "T350582********1231/0102/91350582MA2YB1XK3L" {
					t.Errorf("record key %q / error %q: the ID number must be masked", ae.RecordKey, err)
				}
			}
		})
	}
}

func TestOversizedAnswerFailsCleanly(t *testing.T) {
	f := newFixture(t, WithMaxBody(512))
	f.on(http.MethodPost, "/api/v2/certificates:query", fileResponder(t, 200, "certificates_query.json"))
	_, _, err := f.c.QueryCertificates(context.Background(), []string{holderID})
	checkErr(t, err, ErrMalformed, httpx.KindTransient, 0)
	if !errors.Is(err, httpx.ErrBodyTooLarge) || len(f.requests("/api/v2/certificates:query")) != 3 {
		t.Errorf("err = %v after %d calls", err, len(f.requests("/api/v2/certificates:query")))
	}
}

func TestValidationFieldsReachTheCaller(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPut, "/api/v2/employments", fileResponder(t, 422, "validation.json"))
	_, _, err := f.c.PutEmployment(context.Background(), employment())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Fields["startDate"] != "日期格式应为 yyyy-MM-dd" || len(ae.Fields) != 2 {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, ErrInvalid) || !strings.Contains(ae.Summary(), "startDate：日期格式应为 yyyy-MM-dd") {
		t.Errorf("summary %q", ae.Summary())
	}
}

func TestPutEmploymentReportsCreation(t *testing.T) {
	for _, tt := range []struct {
		status  int
		created bool
	}{{201, true}, {200, false}} {
		f := newFixture(t)
		f.on(http.MethodPut, "/api/v2/employments", fileResponder(t, tt.status, "employment.json"))
		stored, created, err := f.c.PutEmployment(context.Background(), employment())
		if err != nil || created != tt.created || stored.EndDate != nil || stored.UpdatedAt == "" {
			t.Errorf("%d: stored %+v created %v err %v", tt.status, stored, created, err)
		}
		body := string(f.requests("/api/v2/employments")[0].body)
		if !strings.Contains(body, `"endDate":null`) || !strings.Contains(body, `"enterpriseUscc":"91350582MA2YB1XK3L"`) {
			t.Errorf("body %s", body)
		}
	}
}

func TestRegisterEmploymentFromCanonical(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPut, "/api/v2/employments", fileResponder(t, 201, "employment.json"))
	e := mapping.Employment{CertNo: "T" + holderID, ItemCode: "0102", IDNumber: holderID, EnterpriseUSCC: "91350582MA2YB1XK3L",
		StartDate: mapping.MustDate("2024-05-21")}
	got, ps, created, err := f.c.RegisterEmployment(context.Background(), e)
	if err != nil || !created || ps.HasErrors() || got.Status != "ACTIVE" || got.StartDate != e.StartDate {
		t.Errorf("got %+v %v %v %v", got, ps, created, err)
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/api/v2/certificates:query", fileResponder(t, 200, "certificates_query.json"))
	if _, _, err := f.c.QueryCertificates(context.Background(), []string{holderID}); err != nil {
		t.Fatal(err)
	}
	tok := f.requests("/oauth/token")
	if len(tok) != 1 || !strings.HasPrefix(tok[0].contentType, "application/x-www-form-urlencoded") {
		t.Fatalf("token requests %+v", tok)
	}
	form, _ := url.ParseQuery(string(tok[0].body))
	if form.Get("grant_type") != "client_credentials" || form.Get("client_id") != testID || form.Get("client_secret") != testSecret {
		t.Errorf("form %v", form)
	}
	if got := f.requests("/api/v2/certificates:query")[0].auth; got != "Bearer tz-tok-5b1e" {
		t.Errorf("Authorization %q", got)
	}
}

func TestWrongClientCredentialsStop(t *testing.T) {
	for _, status := range []int{400, 401} {
		f := newFixture(t)
		f.on(http.MethodPost, "/oauth/token", fileResponder(t, status, "invalid_client.json"))
		f.on(http.MethodPost, "/api/v2/certificates:query", fileResponder(t, 200, "certificates_query.json"))
		_, _, err := f.c.QueryCertificates(context.Background(), []string{holderID})
		checkErr(t, err, ErrAuth, httpx.KindAuth, 0)
		if n := len(f.requests("/oauth/token")); n != 1 {
			t.Errorf("%d: %d token requests, want 1", status, n)
		}
		if n := len(f.requests("/api/v2/certificates:query")); n != 0 {
			t.Errorf("%d: %d calls without a token", status, n)
		}
		if f.logs.FilterMessageSnippet("refused the credentials").Len() != 1 {
			t.Errorf("%d: credential refusal not logged", status)
		}
	}
}

// A token answer whose token could not go in a header (or is no bearer token) is malformed: a
// transient failure, and nothing is sent with it.
func TestUnusableTokenAnswersAreMalformed(t *testing.T) {
	for _, body := range []string{
		`{"access_token":"","token_type":"Bearer","expires_in":3600}`,
		`{"access_token":"tok\r\nX-Evil: 1","token_type":"Bearer","expires_in":3600}`,
		`{"access_token":"tok en","token_type":"Bearer","expires_in":3600}`,
		`{"access_token":"tz-tok","token_type":"mac","expires_in":3600}`,
	} {
		f := newFixture(t)
		f.on(http.MethodPost, "/oauth/token", httpmock.NewStringResponder(200, body).HeaderSet(http.Header{"Content-Type": {"application/json"}}))
		f.on(http.MethodPost, "/api/v2/certificates:query", fileResponder(t, 200, "certificates_query.json"))
		_, _, err := f.c.QueryCertificates(context.Background(), []string{holderID})
		checkErr(t, err, ErrMalformed, httpx.KindTransient, 0)
		if n := len(f.requests("/api/v2/certificates:query")); n != 0 {
			t.Errorf("%s: %d calls with an unusable token", body, n)
		}
	}
}

func TestTokenSharedByConcurrentCallers(t *testing.T) {
	f := newFixture(t)
	var tokens atomic.Int32
	release := make(chan struct{})
	f.on(http.MethodPost, "/oauth/token", func(*http.Request) (*http.Response, error) {
		n := tokens.Add(1)
		<-release
		return httpmock.NewStringResponse(200, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)), nil
	})
	f.on(http.MethodPost, "/api/v2/certificates:query", func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") == "Bearer tok-1" {
			return fileResponder(t, 401, "invalid_token.json", "WWW-Authenticate", `Bearer error="invalid_token"`)(req)
		}
		return fileResponder(t, 200, "certificates_query.json")(req)
	})
	const callers = 24
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := f.c.QueryCertificates(context.Background(), []string{holderID}); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // the callers pile up behind the first token request
	close(release)
	wg.Wait()
	if n := tokens.Load(); n != 2 {
		t.Errorf("%d token requests for %d callers and one revocation, want 2", n, callers)
	}
}

func TestQueryCertificatesInChunksOf50(t *testing.T) {
	f := newFixture(t)
	var sizes []int
	var mu sync.Mutex
	f.on(http.MethodPost, "/api/v2/certificates:query", func(req *http.Request) (*http.Response, error) {
		var in struct{ IDNumbers []string }
		if err := decodeJSON(req, &in); err != nil {
			t.Error(err)
		}
		mu.Lock()
		sizes = append(sizes, len(in.IDNumbers))
		mu.Unlock()
		if len(in.IDNumbers) > 50 {
			return fileResponder(t, 400, "invalid_request.json")(req)
		}
		return fileResponder(t, 200, "certificates_query.json")(req)
	})
	ids := make([]string, 120)
	for i := range ids {
		ids[i] = fmt.Sprintf("3505821990010%05d", i)
	}
	items, notFound, err := f.c.QueryCertificates(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[50 50 20]" || len(items) != 6 || len(notFound) != 3 {
		t.Errorf("chunks %v, %d items, %d not found", sizes, len(items), len(notFound))
	}
	if items[1].LastReviewDate != nil || items[0].LastReviewDate == nil || *items[0].LastReviewDate != "2024-02-20" {
		t.Errorf("lastReviewDate null handling: %+v", items[:2])
	}
}

func TestQueryCertificatesErrorMasksIDs(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/api/v2/certificates:query", sequence(fileResponder(t, 200, "certificates_query.json"), fileResponder(t, 400, "invalid_request.json")))
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = fmt.Sprintf("35058219900101%04d", i)
	}
	items, _, err := f.c.QueryCertificates(context.Background(), ids)
	checkErr(t, err, ErrInvalid, httpx.KindPermanent, 0)
	if len(items) != 2 {
		t.Errorf("%d items of the good chunk kept", len(items))
	}
	var ae *APIError
	errors.As(err, &ae)
	if ae.RecordKey != "350582********0050 … (10)" || strings.Contains(err.Error(), ids[50]) {
		t.Errorf("record key %q, error %q", ae.RecordKey, err)
	}
}

func TestCertificatesCanonical(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/api/v2/certificates:query", fileResponder(t, 200, "certificates_query.json"))
	got, notFound, err := f.c.Certificates(context.Background(), []string{holderID, "350582198505051232"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(notFound) != 1 || got[0].Certificate.Key() != (mapping.CertificateKey{CertNo: "T" + holderID, ItemCode: "0102"}) {
		t.Fatalf("got %+v", got)
	}
	if !got[1].Certificate.LastReviewDate.IsZero() || got[0].Certificate.UpdatedAt.IsZero() || got[0].Problems.HasErrors() {
		t.Errorf("conversion: %+v %v", got[1].Certificate, got[0].Problems)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPut, "/api/v2/employments", sequence(fileResponder(t, 401, "invalid_token.json"), rawResponder(500, "text/plain", "boom"),
		fileResponder(t, 409, "holder_mismatch.json")))
	_, _, err := f.c.PutEmployment(context.Background(), employment())
	if !errors.Is(err, ErrHolderMismatch) {
		t.Fatalf("err = %v", err)
	}
	texts := []string{err.Error()}
	for _, e := range f.logs.All() {
		texts = append(texts, e.Message)
		for k, v := range e.ContextMap() {
			texts = append(texts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, testSecret) || strings.Contains(s, "tz-tok-5b1e") || strings.Contains(s, holderID) {
			t.Errorf("secret, token or ID number in %q", s)
		}
	}
}

func TestNewValidatesInput(t *testing.T) {
	good := Config{BaseURL: testBase, ClientID: "c", ClientSecret: "s"}
	tests := []struct {
		name   string
		change func(*Config)
		opts   []Option
		want   string
	}{
		{"no base URL", func(c *Config) { c.BaseURL = "" }, nil, "baseURL"},
		{"ftp base URL", func(c *Config) { c.BaseURL = "ftp://tzzy.example/share" }, nil, "baseURL"},
		{"no client id", func(c *Config) { c.ClientID = "" }, nil, "clientID"},
		{"no client secret", func(c *Config) { c.ClientSecret = "" }, nil, "clientSecret"},
		{"negative burst", func(c *Config) { c.Burst = -1 }, nil, "burst"},
		{"feed page over 500", func(*Config) {}, []Option{WithFeedLimit(501)}, "feed page size"},
		{"missing CA file", func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }, nil, "CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			if _, err := New(cfg, zap.NewNop(), tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	if _, err := New(good, nil); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}

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
