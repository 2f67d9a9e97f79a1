package quanzhou

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

// The fuzz target of every answer the platform can give, decoded the way the client really
// decodes it: the whole client runs over a transport that answers one chosen endpoint with the
// fuzzed status, content type and body, and every other endpoint (the token) correctly.

const (
	fzSecret = "fz-app-secret-7f3a9c"
	fzToken  = "fz-access-token-0001"
)

// fzClock never waits: a retry wait or token expiry costs no time.
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

// fzTransport answers the target endpoint with the fuzzed answer and the token request with a
// good token; it notes any request that went out without a token.
type fzTransport struct {
	target      string // path suffix of the fuzzed endpoint
	status      int
	contentType string
	body        []byte
	mu          sync.Mutex
	calls       int
	tokenless   []string
	issued      string // the token a fuzzed token answer carries, when it is one a client may send
}

// requests is how many requests the client has sent.
func (tr *fzTransport) requests() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.calls
}

func (tr *fzTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	tr.mu.Lock()
	tr.calls++
	if tok := req.Header.Get("X-Access-Token"); !strings.HasSuffix(req.URL.Path, "/auth/token") &&
		tok != fzToken && (tr.issued == "" || tok != tr.issued) {
		tr.tokenless = append(tr.tokenless, req.Method+" "+req.URL.Path)
	}
	tr.mu.Unlock()
	status, ct, body := http.StatusOK, "application/json;charset=UTF-8", []byte(`{"code":0,"msg":"成功","data":{"accessToken":"`+fzToken+`","expiresIn":7200},"requestId":"t1"}`)
	if strings.HasSuffix(req.URL.Path, tr.target) {
		status, ct, body = tr.status, tr.contentType, tr.body
	}
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
}

// fzEndpoints are the calls the target exercises, by the fuzzed selector.
var fzEndpoints = []string{"/auth/token", "/enterprises", "/enterprises/91350582MA2YQ0XB4K", "/enterprises/batchSave",
	"/risk/alarms", "/risk/alarms/BJ1/feedback"}

// FuzzClientAnswers feeds the client arbitrary answers on each endpoint. Whatever comes back:
// the client never panics and returns within its deadline; a failure is an *APIError with a
// kind (or the context's error); a 200 answer that is not JSON is a transient failure, never a
// permanent one (quarantining a good record over a mangled answer would lose it); no request
// goes out without a token; the app secret never appears in an error; a successful batchSave
// has one result per record sent, each with its own record's code; a listing never yields more
// records than the pageSize asked (500) per answer, and a page longer than that is a malformed,
// transient answer.
func FuzzClientAnswers(f *testing.F) {
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"code":0,"msg":"成功","data":{"total":1,"pageNo":1,"pageSize":500,"list":[{"qyid":"QY1","tyshxydm":"91350582MA2YQ0XB4K","qymc":"灵源鞋业","cyrs":"12","gxsj":"2024-05-21 09:30:00"}]},"requestId":"r"}`))
	f.Add(uint8(0), uint16(200), "application/json", []byte(`{"code":40102,"msg":"签名错误","data":null}`))
	f.Add(uint8(0), uint16(200), "application/json", []byte(`{"code":0,"data":{"accessToken":"","expiresIn":-1}}`))
	f.Add(uint8(2), uint16(200), "application/json", []byte(`{"code":40401,"msg":"企业不存在","data":null}`))
	f.Add(uint8(3), uint16(200), "application/json", []byte(`{"code":0,"data":{"successCount":1,"failCount":2,"results":[{"index":0,"tyshxydm":"91350582MA2YQ0XB4K","result":"CREATED","qyid":"QY9"},{"index":1,"result":"FAILED","errCode":40011,"errMsg":"统一社会信用代码校验失败"},{"index":2,"result":"FAILED","errCode":40901}]}}`))
	f.Add(uint8(3), uint16(200), "application/json", []byte(`{"code":0,"data":{"results":[{"index":0,"result":"CREATED"},{"index":0,"result":"CREATED"}]}}`))
	f.Add(uint8(4), uint16(200), "application/json", []byte(`{"code":0,"data":{"total":1,"list":[{"bjid":"BJ1","bjjb":1,"bjz":12.5,"gxsj":"2024-05-21 09:30:00"}]}}`))
	f.Add(uint8(5), uint16(200), "application/json", []byte(`{"code":0,"data":{"duplicate":true}}`))
	f.Add(uint8(5), uint16(200), "application/json", []byte(`{"code":40902,"msg":"报警已闭环","data":null}`))
	f.Add(uint8(1), uint16(502), "text/html", []byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	f.Add(uint8(1), uint16(200), "application/json;charset=UTF-8", []byte("\x1f\x8b\x08\x00<html><body>系统繁忙</body>"))
	f.Add(uint8(2), uint16(503), "application/json", []byte(`{"code":50300,"msg":"系统维护中","data":null}`))
	f.Add(uint8(3), uint16(429), "", []byte(``))
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"code":0,"data":{"total":1,"list":[{"qyid":"QY1","gxsj":"2024-05-21 09:30:00"}`))
	f.Fuzz(func(t *testing.T, which uint8, status uint16, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		target := fzEndpoints[int(which)%len(fzEndpoints)]
		tr := &fzTransport{target: target, status: int(status), contentType: contentType, body: body}
		if target == "/auth/token" {
			var ans struct {
				Code int `json:"code"`
				Data struct {
					AccessToken string `json:"accessToken"`
				} `json:"data"`
			}
			if json.Unmarshal(body, &ans) == nil && httpx.ValidTokenValue(ans.Data.AccessToken) {
				tr.issued = ans.Data.AccessToken
			}
		}
		clk := &fzClock{t: time.Date(2024, 5, 21, 9, 30, 0, 0, mapping.Beijing())}
		c, err := New(Config{BaseURL: "https://qz.example/gw/openapi/v1", AppKey: "fz-app",
			AppSecret: fzSecret, RateLimit: 0}, "350582006", nil,
			WithTransport(tr), WithClock(clk), WithRateLimit(-1, 0), WithMaxBody(1<<20),
			WithRetryPolicy(httpx.RetryPolicy{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond,
				MaxWait: time.Second, Budget: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		var callErr error
		switch target {
		case "/auth/token", "/enterprises/91350582MA2YQ0XB4K":
			_, callErr = c.GetEnterprise(ctx, "91350582MA2YQ0XB4K")
		case "/enterprises":
			seq, _ := c.ListEnterprises(ctx, Mark{})
			n := 0
			for _, err := range seq {
				if err != nil {
					callErr = err
					break
				}
				if n++; n > 5000 || n > maxPageSize*tr.requests() {
					t.Fatalf("%d answers of %d bytes yielded %d records, more than %d each", tr.requests(), len(body), n, maxPageSize)
				}
			}
			checkLongPage(t, status, contentType, body, callErr)
		case "/enterprises/batchSave":
			records := []mapping.QZEnterprise{{Tyshxydm: "91350582MA2YQ0XB4K"}, {Tyshxydm: "91350582MA2YQ0XC2X"}, {Tyshxydm: "91350582MA2YQ0XD0T"}}
			var results []SaveResult
			results, callErr = c.BatchSave(ctx, records)
			if len(results) != len(records) {
				t.Fatalf("batchSave of %d records returned %d results", len(records), len(results))
			}
			if callErr == nil {
				for i, r := range results {
					if r.USCC != records[i].Tyshxydm {
						t.Fatalf("result %d is for %q, sent %q", i, r.USCC, records[i].Tyshxydm)
					}
					if r.Err == nil && r.Result != ResultCreated && r.Result != ResultUpdated && r.Result != ResultUnchanged {
						t.Fatalf("result %d: no error but result %q", i, r.Result)
					}
					if r.Err != nil {
						checkFailure(t, r.Err, status, body)
					}
				}
			}
		case "/risk/alarms":
			seq, _ := c.ListAlarms(ctx, Mark{})
			n := 0
			for _, err := range seq {
				if err != nil {
					callErr = err
					break
				}
				if n++; n > 5000 || n > maxPageSize*tr.requests() {
					t.Fatalf("%d answers of %d bytes yielded %d alarms, more than %d each", tr.requests(), len(body), n, maxPageSize)
				}
			}
			checkLongPage(t, status, contentType, body, callErr)
		case "/risk/alarms/BJ1/feedback":
			_, callErr = c.SendFeedback(ctx, "BJ1", mapping.QZFeedback{Czzt: "1", Czsm: "已处置", Czr: "安办", Czsj: "2024-05-21 09:30:00"})
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: the call did not end within 5 s on a %d-byte answer (%d requests)", target, len(body), tr.calls)
		}
		if callErr != nil {
			checkFailure(t, callErr, status, body)
		}
		if len(tr.tokenless) > 0 {
			t.Fatalf("requests without a token: %v", tr.tokenless)
		}
	})
}

// checkLongPage: a 200 answer listing more records than the pageSize asked fails the listing as
// a malformed (or, from an HTML content type, unavailable) answer: transient either way.
func checkLongPage(t *testing.T, status uint16, contentType string, body []byte, err error) {
	t.Helper()
	var probe struct {
		Data struct {
			List []json.RawMessage `json:"list"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &probe) != nil || len(probe.Data.List) <= maxPageSize {
		return
	}
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnavailable) || httpx.Classify(err) != httpx.KindTransient {
		t.Fatalf("a page of %d records, asked for %d (content type %q): %v, want a transient malformed answer", len(probe.Data.List), maxPageSize, contentType, err)
	}
}

// checkFailure: an *APIError with a kind; transient when a 200 answer was not JSON; no secret.
func checkFailure(t *testing.T, err error, status uint16, body []byte) {
	t.Helper()
	var ae *APIError
	var ie *ItemError
	switch {
	case errors.As(err, &ie):
		return
	case !errors.As(err, &ae):
		t.Fatalf("failure %v (%T) is not an *APIError", err, err)
	}
	if ae.Kind != httpx.KindTransient && ae.Kind != httpx.KindPermanent && ae.Kind != httpx.KindAuth {
		t.Fatalf("failure without a kind: %v", err)
	}
	if status == http.StatusOK && !json.Valid(body) && ae.Status == http.StatusOK && ae.Code == "" && ae.Kind != httpx.KindTransient {
		t.Fatalf("a 200 answer that is not JSON is a %s failure, want transient: %v", ae.Kind, err)
	}
	if strings.Contains(err.Error(), fzSecret) && !bytes.Contains(body, []byte(fzSecret)) {
		t.Fatalf("the error shows the app secret: %v", err)
	}
}
