package quanzhou

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"streetsync/mocks/fault"
)

func ptr(s string) *string { return &s }

func TestSignatureContractExample(t *testing.T) {
	// quanzhou-platform.md, "Authentication and signing", the worked example.
	const want = "dcccbc02a6d4f62315cee6919afecbd2015561163a8085b91916b48d3d5141b8"
	s := stringToSign("GET", "/gw/openapi/v1/enterprises", "pageSize=2&pageNo=1", "1716262800000", "AbCd1234EfGh5678", nil)
	wantString := "GET\n/gw/openapi/v1/enterprises\npageNo=1&pageSize=2\n1716262800000\nAbCd1234EfGh5678\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if s != wantString {
		t.Errorf("stringToSign = %q, want %q", s, wantString)
	}
	if got := sign("demo-secret", s); got != want {
		t.Errorf("platform signature = %s, want %s", got, want)
	}
	if got := clientSign("demo-secret", "GET", "/gw/openapi/v1/enterprises", "pageSize=2&pageNo=1", "1716262800000", "AbCd1234EfGh5678", nil); got != want {
		t.Errorf("test client signature = %s, want %s", got, want)
	}
}

// TestContractExampleRequest sends the contract's example request byte for byte to a platform
// mounted at /gw/openapi/v1 whose clock reads the example's timestamp.
func TestContractExampleRequest(t *testing.T) {
	clock := &testClock{t: time.UnixMilli(1716262800000)}
	p, err := New(Config{BasePath: "/gw/openapi/v1", Now: clock.Now, Region: "350582006"})
	if err != nil {
		t.Fatal(err)
	}
	p.PutEnterprise(Enterprise{Tyshxydm: "91350100M000100Y43", Qymc: "测试", Xzqhdm: "350582006"})
	tokReq, _ := http.NewRequest(http.MethodPost, "http://qz.example/gw/openapi/v1/auth/token",
		strings.NewReader(`{"appKey":"demo-app","appSecret":"demo-secret"}`))
	body := []byte(`{"appKey":"demo-app","appSecret":"demo-secret"}`)
	tokReq.Header.Set("X-App-Key", "demo-app")
	tokReq.Header.Set("X-Timestamp", "1716262800000")
	tokReq.Header.Set("X-Nonce", "TokenNonce000001")
	tokReq.Header.Set("X-Signature", clientSign("demo-secret", "POST", "/gw/openapi/v1/auth/token", "", "1716262800000", "TokenNonce000001", body))
	resp, err := p.Responder()(tokReq)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Code int `json:"code"`
		Data struct {
			AccessToken string `json:"accessToken"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Code != 0 {
		t.Fatalf("token: got code %d (%v), want 0", e.Code, err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://qz.example/gw/openapi/v1/enterprises?pageSize=2&pageNo=1", nil)
	req.Header.Set("X-App-Key", "demo-app")
	req.Header.Set("X-Timestamp", "1716262800000")
	req.Header.Set("X-Nonce", "AbCd1234EfGh5678")
	req.Header.Set("X-Signature", "dcccbc02a6d4f62315cee6919afecbd2015561163a8085b91916b48d3d5141b8")
	req.Header.Set("X-Access-Token", e.Data.AccessToken)
	resp, err = p.Responder()(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&got)
	// The example has no xzqhdm, so the signature passes and the endpoint names the parameter.
	if got.Code != codeBadParam || !strings.Contains(got.Msg, "xzqhdm") {
		t.Errorf("example request: got code %d %q, want 40001 naming xzqhdm (signature accepted)", got.Code, got.Msg)
	}
}

func TestCheckOrder(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	c.login()
	listQuery := "xzqhdm=350582006&pageSize=2&pageNo=1"
	now := func() string { return strconv.FormatInt(c.clock.Now().UnixMilli(), 10) }
	stale := func() string { return strconv.FormatInt(c.clock.Now().Add(-301*time.Second).UnixMilli(), 10) }
	cases := []struct {
		name string
		k    call
		want int
	}{
		{"correctly signed request succeeds", call{path: "/enterprises", query: listQuery}, codeOK},
		{"missing header is 40001", call{path: "/enterprises", query: listQuery, appKey: " "}, codeBadParam},
		{"short nonce is 40001", call{path: "/enterprises", query: listQuery, nonce: "short"}, codeBadParam},
		{"timestamp 301 s old is 40103", call{path: "/enterprises", query: listQuery, ts: stale()}, codeTimestamp},
		{"timestamp 299 s ahead is accepted", call{path: "/enterprises", query: listQuery,
			ts: strconv.FormatInt(c.clock.Now().Add(299*time.Second).UnixMilli(), 10)}, codeOK},
		{"signature over the path without the gateway prefix is 40102", call{path: "/enterprises", query: listQuery,
			signPath: "/gw/openapi/v1/enterprises"}, codeSignature},
		{"wrong secret is 40102", call{path: "/enterprises", query: listQuery, secret: "not-the-secret"}, codeSignature},
		{"unknown app key is 40102", call{path: "/enterprises", query: listQuery, appKey: "other-app"}, codeSignature},
		{"stale timestamp is checked before the signature", call{path: "/enterprises", query: listQuery, ts: stale(), secret: "x"}, codeTimestamp},
		{"missing token is 40101", call{path: "/enterprises", query: listQuery, token: ptr("")}, codeToken},
		{"unknown token is 40101", call{path: "/enterprises", query: listQuery, token: ptr("nope")}, codeToken},
		{"signature is checked before the token", call{path: "/enterprises", query: listQuery, token: ptr(""), secret: "x"}, codeSignature},
		{"other region is 40301", call{path: "/enterprises", query: "xzqhdm=350582001"}, codeRegion},
		{"unknown enterprise is 40401", call{path: "/enterprises/91350100M000100Y43"}, codeNotFound},
		{"pageSize 0 is 40001", call{path: "/enterprises", query: "xzqhdm=350582006&pageSize=0"}, codeBadParam},
		{"pageSize 501 is 40001", call{path: "/enterprises", query: "xzqhdm=350582006&pageSize=501"}, codeBadParam},
		{"pageSize 500 is accepted", call{path: "/enterprises", query: "xzqhdm=350582006&pageSize=500"}, codeOK},
		{"bad gxsjStart is 40001", call{path: "/enterprises", query: "xzqhdm=350582006&gxsjStart=2024-05-21T09:30:00"}, codeBadParam},
	}
	_ = now
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.k)
			if r.status != http.StatusOK || r.env.Code != tc.want {
				t.Fatalf("got HTTP %d code %d (%s), want HTTP 200 code %d", r.status, r.env.Code, r.env.Msg, tc.want)
			}
			if tc.want != codeOK && string(r.env.Data) != "null" {
				t.Errorf("error envelope data = %s, want null", r.env.Data)
			}
			if r.env.RequestID == "" {
				t.Error("envelope has no requestId")
			}
		})
	}
	_ = p
}

func TestNonceReplay(t *testing.T) {
	_, c, _ := newTestPlatform(t, Config{})
	c.login()
	q := "xzqhdm=350582006"
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000001"}); r.env.Code != codeOK {
		t.Fatalf("first use: got %d, want 0", r.env.Code)
	}
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000001"}); r.env.Code != codeNonce {
		t.Fatalf("reuse: got %d, want 40104", r.env.Code)
	}
	// A request refused at the token stage has already used its nonce (contract: check order).
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000002", token: ptr("bad")}); r.env.Code != codeToken {
		t.Fatalf("bad token: got %d, want 40101", r.env.Code)
	}
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000002"}); r.env.Code != codeNonce {
		t.Fatalf("nonce of a 40101 request: got %d, want 40104", r.env.Code)
	}
	// A request refused for its signature has not recorded its nonce.
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000003", secret: "x"}); r.env.Code != codeSignature {
		t.Fatalf("bad signature: got %d, want 40102", r.env.Code)
	}
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000003"}); r.env.Code != codeOK {
		t.Fatalf("nonce after a 40102: got %d, want 0", r.env.Code)
	}
	c.clock.Advance(9*time.Minute + 59*time.Second)
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000001"}); r.env.Code != codeNonce {
		t.Fatalf("reuse after 9m59s: got %d, want 40104", r.env.Code)
	}
	c.clock.Advance(time.Second)
	if r := c.do(call{path: "/enterprises", query: q, nonce: "Replay0000000001"}); r.env.Code != codeOK {
		t.Fatalf("reuse after 10 min: got %d, want 0", r.env.Code)
	}
}

func TestTokenLifecycle(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	q := "xzqhdm=350582006"
	t.Run("token body must match the signing app", func(t *testing.T) {
		r := c.do(call{method: http.MethodPost, path: "/auth/token", body: []byte(`{"appKey":"demo-app","appSecret":"wrong"}`)})
		if r.env.Code != codeSignature {
			t.Errorf("wrong appSecret in body: got %d, want 40102", r.env.Code)
		}
		r = c.do(call{method: http.MethodPost, path: "/auth/token", body: []byte(`{"appKey":"demo-app"}`)})
		if r.env.Code != codeBadParam {
			t.Errorf("missing appSecret: got %d, want 40001", r.env.Code)
		}
	})
	c.login()
	t.Run("expired after expiresIn", func(t *testing.T) {
		c.clock.Advance(7199 * time.Second)
		if r := c.do(call{path: "/enterprises", query: q}); r.env.Code != codeOK {
			t.Fatalf("at 7199 s: got %d, want 0", r.env.Code)
		}
		c.clock.Advance(time.Second)
		if r := c.do(call{path: "/enterprises", query: q}); r.env.Code != codeToken {
			t.Fatalf("at 7200 s: got %d, want 40101", r.env.Code)
		}
	})
	t.Run("revoked early", func(t *testing.T) {
		c.login()
		p.RevokeTokens()
		if r := c.do(call{path: "/enterprises", query: q}); r.env.Code != codeToken || r.status != http.StatusOK {
			t.Fatalf("revoked: got HTTP %d code %d, want 200 / 40101", r.status, r.env.Code)
		}
		c.login()
		if r := c.do(call{path: "/enterprises", query: q}); r.env.Code != codeOK {
			t.Fatalf("after re-login: got %d, want 0", r.env.Code)
		}
	})
	t.Run("revoked every 3 requests by the fault knob", func(t *testing.T) {
		p.UpdateFaults(func(f *fault.Faults) { f.RevokeTokenEvery = 3 })
		defer p.UpdateFaults(func(f *fault.Faults) { f.RevokeTokenEvery = 0 })
		c.login()
		var codes []int
		for i := 0; i < 6; i++ {
			r := c.do(call{path: "/enterprises", query: q})
			codes = append(codes, r.env.Code)
			if r.env.Code == codeToken {
				c.login()
			}
		}
		n := 0
		for _, code := range codes {
			if code == codeToken {
				n++
			}
		}
		if n < 1 {
			t.Errorf("codes %v: want some 40101 with RevokeTokenEvery=3", codes)
		}
	})
}

func TestRateLimit(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	q := "xzqhdm=350582006&pageSize=1"
	c.login() // 1 request of the burst
	ok := 1
	var limited result
	for i := 0; i < 60; i++ {
		r := c.do(call{path: "/enterprises", query: q})
		if r.status == http.StatusTooManyRequests {
			limited = r
			break
		}
		ok++
	}
	if ok != 40 {
		t.Errorf("burst: %d requests passed, want 40", ok)
	}
	if limited.env.Code != codeRateLimited || limited.header.Get("Retry-After") != "1" {
		t.Errorf("limited: got code %d Retry-After %q, want 42901 and 1", limited.env.Code, limited.header.Get("Retry-After"))
	}
	c.clock.Advance(time.Second)
	passed := 0
	for i := 0; i < 25; i++ {
		if r := c.do(call{path: "/enterprises", query: q}); r.status == http.StatusOK {
			passed++
		}
	}
	if passed != 20 {
		t.Errorf("after 1 s: %d passed, want 20 (20 per second)", passed)
	}
	t.Run("forced burst answers the next N with 429", func(t *testing.T) {
		c.clock.Advance(10 * time.Second)
		p.UpdateFaults(func(f *fault.Faults) { f.RateLimitBurst = 3 })
		var got []int
		for i := 0; i < 4; i++ {
			got = append(got, c.do(call{path: "/enterprises", query: q}).status)
		}
		if got[0] != 429 || got[1] != 429 || got[2] != 429 || got[3] != 200 {
			t.Errorf("statuses %v, want 429 429 429 200", got)
		}
	})
}

func TestMaintenance(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{Faults: fault.Faults{Maintenance: true}})
	r := c.do(call{method: http.MethodPost, path: "/auth/token", body: []byte(`{}`)})
	if r.status != http.StatusServiceUnavailable || r.env.Code != codeMaintenance || r.header.Get("Retry-After") != "1800" {
		t.Errorf("got HTTP %d code %d Retry-After %q, want 503 / 50300 / 1800", r.status, r.env.Code, r.header.Get("Retry-After"))
	}
	p.UpdateFaults(func(f *fault.Faults) { f.MaintenanceRetryAfter = 60 })
	if r := c.do(call{path: "/enterprises"}); r.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q, want 60", r.header.Get("Retry-After"))
	}
}

func TestGetEnterpriseAndOlderNumbers(t *testing.T) {
	_, c, ds := newTestPlatform(t, Config{})
	c.login()
	var asText, asNumber string
	for _, e := range ds.Platform {
		if e.EmployeesAsText && asText == "" {
			asText = e.USCC
		}
		if !e.EmployeesAsText && asNumber == "" {
			asNumber = e.USCC
		}
	}
	if asText == "" {
		t.Fatal("dataset has no older record with cyrs as text")
	}
	for uscc, wantQuoted := range map[string]bool{asText: true, asNumber: false} {
		r := c.do(call{path: "/enterprises/" + uscc})
		if r.env.Code != 0 {
			t.Fatalf("GET %s: got %d", uscc, r.env.Code)
		}
		quoted := strings.Contains(string(r.env.Data), `"cyrs":"`)
		if quoted != wantQuoted {
			t.Errorf("%s: cyrs quoted = %v, want %v (%s)", uscc, quoted, wantQuoted, r.env.Data)
		}
	}
}

func TestUnknownPathIsGatewayPage(t *testing.T) {
	_, c, _ := newTestPlatform(t, Config{})
	r := c.do(call{path: "/nothing"})
	if r.status != http.StatusNotFound || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("got %d %s, want a 404 HTML page", r.status, r.header.Get("Content-Type"))
	}
}
