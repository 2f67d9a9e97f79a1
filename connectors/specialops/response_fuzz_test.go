package specialops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

// The fuzz target of every answer the provincial system can give, decoded the way the client
// really decodes it: the whole client runs over a transport that answers one chosen endpoint
// with the fuzzed status, content type and body, and the token endpoint correctly otherwise.

const (
	fzSecret = "fz-client-secret-5b1e"
	fzToken  = "fz-access-token-0002"
	fzID     = "35058219800101123X"
)

// fzClock never waits.
type fzClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fzClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fzClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.t = c.t.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.t
	c.mu.Unlock()
	return ch
}

type fzTransport struct {
	target      string
	status      int
	contentType string
	body        []byte
	mu          sync.Mutex
	calls       int
	tokenless   []string
	issued      string // the token a fuzzed token answer carries, when it is one a client may send
}

func (tr *fzTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	tr.mu.Lock()
	tr.calls++
	if auth := req.Header.Get("Authorization"); !strings.HasSuffix(req.URL.Path, "/oauth/token") &&
		auth != "Bearer "+fzToken && (tr.issued == "" || auth != "Bearer "+tr.issued) {
		tr.tokenless = append(tr.tokenless, req.Method+" "+req.URL.Path+" with "+req.Header.Get("Authorization"))
	}
	tr.mu.Unlock()
	status, ct, body := http.StatusOK, "application/json", []byte(`{"access_token":"`+fzToken+`","token_type":"Bearer","expires_in":3600}`)
	switch {
	case strings.HasSuffix(req.URL.Path, tr.target):
		status, ct, body = tr.status, tr.contentType, tr.body
	}
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
}

var fzEndpoints = []string{"/oauth/token", "/api/v2/certificates:query", "/api/v2/certificates/changes", "/api/v2/employments"}

// FuzzClientAnswers feeds the client arbitrary answers on each endpoint. Whatever comes back:
// no panic; the call ends within its deadline; a failure is an *APIError with a kind (or the
// context's error); a 2xx answer that is not JSON is a transient failure, never a permanent one;
// no request goes out without the token the token endpoint issued; neither the client secret nor the full ID number asked
// about appears in an error unless the answer itself carried it; the change feed never yields
// more records than the answers held.
func FuzzClientAnswers(f *testing.F) {
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"items":[{"certNo":"T35058219800101123X","holderName":"林小红","idNumber":"35058219800101123X","itemCode":"0102","validUntil":"2027-03-14","status":"VALID","updatedAt":"2024-05-21T09:30:00+08:00"}],"notFound":[]}`))
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"items":null,"notFound":["35058219800101123X"]}`))
	f.Add(uint8(2), uint16(200), "application/json", []byte(`{"items":[{"certNo":"T1","itemCode":"0102","updatedAt":"2024-05-21T09:30:00+08:00"}],"nextCursor":"c-page2","hasMore":true}`))
	f.Add(uint8(2), uint16(200), "application/json", []byte(`{"items":[],"nextCursor":"","hasMore":true}`))
	f.Add(uint8(2), uint16(400), "application/json", []byte(`{"error":"cursor_expired","message":"游标已过期"}`))
	f.Add(uint8(3), uint16(201), "application/json", []byte(`{"certNo":"T35058219800101123X","itemCode":"0102","idNumber":"35058219800101123X","enterpriseUscc":"91350582MA2YQ0XB4K","startDate":"2024-05-01","endDate":null,"status":"ACTIVE"}`))
	f.Add(uint8(3), uint16(422), "application/json", []byte(`{"error":"validation_failed","message":"字段校验失败","fields":{"startDate":"日期格式应为 yyyy-MM-dd"}}`))
	f.Add(uint8(3), uint16(409), "application/json", []byte(`{"error":"holder_mismatch","message":"持证人与身份证号不符 35058219800101123X"}`))
	f.Add(uint8(0), uint16(401), "application/json", []byte(`{"error":"invalid_client","error_description":"bad secret"}`))
	f.Add(uint8(0), uint16(200), "application/json", []byte(`{"access_token":"","expires_in":0}`))
	f.Add(uint8(0), uint16(200), "application/json", []byte(`{"access_token":"0","token_type":"bearer"}`))
	f.Add(uint8(0), uint16(200), "application/json", []byte(`{"access_token":"tok en\r\nX: 1","expires_in":60}`))
	f.Add(uint8(2), uint16(200), "application/json", []byte(`{"items":[{"certNo":"T1","itemCode":"0102","updatedAt":"2024-05-21T09:30:00+08:00"}],"nextCursor":"same","hasMore":true}`))
	f.Add(uint8(1), uint16(429), "", []byte(``))
	f.Add(uint8(1), uint16(200), "application/json", []byte("\x1f\x8b\x08\x00<html><body>系统繁忙</body>"))
	f.Add(uint8(2), uint16(504), "text/html", []byte("<html><body><h1>504 Gateway Time-out</h1></body></html>"))
	f.Fuzz(func(t *testing.T, which uint8, status uint16, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		target := fzEndpoints[int(which)%len(fzEndpoints)]
		tr := &fzTransport{target: target, status: int(status), contentType: contentType, body: body}
		if target == "/oauth/token" {
			var ans struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(body, &ans) == nil && httpx.ValidTokenValue(ans.AccessToken) {
				tr.issued = ans.AccessToken
			}
		}
		clk := &fzClock{t: time.Date(2024, 5, 21, 9, 30, 0, 0, mapping.Beijing())}
		c, err := New(Config{BaseURL: "https://tzzy.example/share", ClientID: "fz-client",
			ClientSecret: fzSecret}, nil,
			WithTransport(tr), WithClock(clk), WithRateLimit(-1, 0), WithMaxBody(1<<20), WithFeedLimit(fzFeedLimit),
			WithRetryPolicy(httpx.RetryPolicy{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond,
				MaxWait: time.Second, Budget: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		var callErr error
		switch target {
		case "/oauth/token", "/api/v2/certificates:query":
			var items []mapping.TZCertificate
			var notFound []string
			items, notFound, callErr = c.QueryCertificates(ctx, []string{fzID})
			if len(items) > maxCertificatesPerHolder || len(notFound) > 1 {
				t.Fatalf("a query for one ID number returned %d certificates and %d not found", len(items), len(notFound))
			}
			checkLongList(t, status, body, callErr, "items", maxCertificatesPerHolder)
			checkLongList(t, status, body, callErr, "notFound", 1)
		case "/api/v2/certificates/changes":
			seq, pos := c.Changes(ctx, time.Date(2024, 5, 1, 0, 0, 0, 0, mapping.Beijing()), "")
			n := 0
			for _, err := range seq {
				if err != nil {
					callErr = err
					break
				}
				if n++; n > 2*len(body)+10 || n > fzFeedLimit*pos.Requests {
					t.Fatalf("the feed yielded %d records from %d answers of %d bytes, more than %d each", n, pos.Requests, len(body), fzFeedLimit)
				}
			}
			checkLongList(t, status, body, callErr, "items", fzFeedLimit)
		case "/api/v2/employments":
			end := "2025-01-01"
			_, _, callErr = c.PutEmployment(ctx, mapping.TZEmployment{CertNo: "T" + fzID, ItemCode: "0102", IDNumber: fzID,
				EnterpriseUSCC: "91350582MA2YQ0XB4K", StartDate: "2024-05-01", EndDate: &end})
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: the call did not end within 5 s (%d requests)", target, tr.calls)
		}
		if callErr != nil {
			checkFailure(t, callErr, status, body)
		}
		if len(tr.tokenless) > 0 {
			t.Fatalf("requests without the token: %v", tr.tokenless)
		}
	})
}

// fzFeedLimit is the change feed's page size in the fuzz target: small, so that answers longer
// than it are easy to reach.
const fzFeedLimit = 2

// checkLongList: a 2xx answer whose list named key is longer than max (what the request asked
// for, or could be answered with) fails as a malformed, transient answer.
func checkLongList(t *testing.T, status uint16, body []byte, err error, key string, max int) {
	t.Helper()
	var probe map[string]json.RawMessage
	var list []json.RawMessage
	if status < 200 || status >= 300 || json.Unmarshal(body, &probe) != nil || json.Unmarshal(probe[key], &list) != nil || len(list) <= max {
		return
	}
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnavailable) || httpx.Classify(err) != httpx.KindTransient {
		t.Fatalf("an answer listing %d %s, at most %d asked for: %v, want a transient malformed answer", len(list), key, max, err)
	}
}

func checkFailure(t *testing.T, err error, status uint16, body []byte) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("failure %v (%T) is not an *APIError", err, err)
	}
	if ae.Kind != httpx.KindTransient && ae.Kind != httpx.KindPermanent && ae.Kind != httpx.KindAuth {
		t.Fatalf("failure without a kind: %v", err)
	}
	if status >= 200 && status < 300 && ae.Status == int(status) && !json.Valid(body) && ae.Kind != httpx.KindTransient {
		t.Fatalf("a %d answer that is not JSON is a %s failure, want transient: %v", status, ae.Kind, err)
	}
	if strings.Contains(err.Error(), fzSecret) && !bytes.Contains(body, []byte(fzSecret)) {
		t.Fatalf("the error shows the client secret: %v", err)
	}
	if strings.Contains(strings.ToUpper(err.Error()), fzID) && !bytes.Contains(bytes.ToUpper(body), []byte(fzID)) {
		t.Fatalf("the error shows the full ID number asked about: %v", err)
	}
}
