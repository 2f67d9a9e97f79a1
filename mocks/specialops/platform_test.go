package specialops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const prefix = "/tz/share"

type client struct {
	t     *testing.T
	srv   *httptest.Server
	clock *testClock
	token string
}

type result struct {
	status int
	header http.Header
	raw    []byte
	err    struct {
		Error   string            `json:"error"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	}
}

func (c *client) send(method, path string, body []byte, header http.Header) result {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+prefix+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Authorization") == "" && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		return result{status: -1, raw: []byte(err.Error())}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if resp.StatusCode >= 400 {
		_ = json.Unmarshal(raw, &r.err)
	}
	return r
}

func (c *client) login() {
	c.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}}
	r := c.send(http.MethodPost, "/oauth/token", []byte(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"-"}})
	var tok tokenAnswer
	if r.status != 200 || json.Unmarshal(r.raw, &tok) != nil || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 {
		c.t.Fatalf("login: got %d %s", r.status, r.raw)
	}
	c.token = tok.AccessToken
}

func newTestPlatform(t *testing.T, cfg Config) (*Platform, *client, *dataset.Dataset) {
	t.Helper()
	ds, err := dataset.Generate(dataset.Params{Seed: 11, Enterprises: 40})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: ds.Params.Reference.Time(9 * 3600)}
	cfg.BasePath = prefix
	cfg.Now = clock.Now
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.LoadDataset(ds)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", p)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		p.Close()
		srv.Close()
	})
	return p, &client{t: t, srv: srv, clock: clock}, ds
}

func TestOAuth(t *testing.T) {
	_, c, _ := newTestPlatform(t, Config{RatePerSecond: -1})
	formCT := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	basic := func(id, secret string) http.Header {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(id, secret)
		return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": req.Header["Authorization"]}
	}
	cases := []struct {
		name   string
		body   string
		header http.Header
		status int
		err    string
	}{
		{"form credentials", "grant_type=client_credentials&client_id=demo-client&client_secret=demo-client-secret", formCT, 200, ""},
		{"HTTP Basic credentials", "grant_type=client_credentials", basic(DemoClientID, DemoClientSecret), 200, ""},
		{"wrong secret", "grant_type=client_credentials&client_id=demo-client&client_secret=x", formCT, 401, errInvalidClient},
		{"wrong Basic secret", "grant_type=client_credentials", basic(DemoClientID, "x"), 401, errInvalidClient},
		{"unknown client", "grant_type=client_credentials&client_id=x&client_secret=y", formCT, 401, errInvalidClient},
		{"other grant type", "grant_type=password&client_id=demo-client&client_secret=demo-client-secret", formCT, 400, errUnsupportedGrant},
		{"missing grant type", "client_id=demo-client&client_secret=demo-client-secret", formCT, 400, errInvalidRequest},
		{"JSON body", `{"grant_type":"client_credentials"}`, http.Header{"Content-Type": {"application/json"}}, 400, errInvalidRequest},
		{"two authentication methods", "grant_type=client_credentials&client_secret=demo-client-secret", basic(DemoClientID, DemoClientSecret), 400, errInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header.Clone()
			if h.Get("Authorization") == "" {
				h.Set("Authorization", "-")
			}
			r := c.send(http.MethodPost, "/oauth/token", []byte(tc.body), h)
			if r.status != tc.status || r.err.Error != tc.err {
				t.Errorf("got %d %q, want %d %q", r.status, r.err.Error, tc.status, tc.err)
			}
			if tc.name == "wrong Basic secret" && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate %q, want Basic", r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{RatePerSecond: -1})
	body := []byte(`{"idNumbers":["` + ds.Certificates[0].IDNumber + `"]}`)
	check401 := func(t *testing.T, r result) {
		t.Helper()
		if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` || r.err.Error != errInvalidToken {
			t.Errorf("got %d %q %q, want 401 with WWW-Authenticate Bearer error=\"invalid_token\"", r.status, r.header.Get("WWW-Authenticate"), r.raw)
		}
	}
	check401(t, c.send(http.MethodPost, "/api/v2/certificates:query", body, nil))
	c.login()
	if r := c.send(http.MethodPost, "/api/v2/certificates:query", body, nil); r.status != 200 {
		t.Fatalf("with token: got %d %s", r.status, r.raw)
	}
	c.clock.Advance(3600 * time.Second)
	check401(t, c.send(http.MethodPost, "/api/v2/certificates:query", body, nil))
	c.login()
	p.RevokeTokens()
	check401(t, c.send(http.MethodPost, "/api/v2/certificates:query", body, nil))
	c.login()
	p.SetFaults(fault.Faults{RevokeTokenEvery: 2})
	if r := c.send(http.MethodPost, "/api/v2/certificates:query", body, nil); r.status != 200 {
		t.Errorf("1st with RevokeTokenEvery=2: got %d", r.status)
	}
	check401(t, c.send(http.MethodPost, "/api/v2/certificates:query", body, nil))
}

func TestRateLimitRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  RetryAfterMode
		forms []string // "s" seconds, "d" HTTP-date, for the first two 429s
	}{
		{"alternate (default) gives seconds then an HTTP-date", RetryAfterAlternate, []string{"s", "d"}},
		{"seconds", RetryAfterSeconds, []string{"s", "s"}},
		{"HTTP-date", RetryAfterHTTPDate, []string{"d", "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, ds := newTestPlatform(t, Config{RetryAfter: tc.mode})
			c.login() // one token of the 10
			body := []byte(`{"idNumbers":["` + ds.Certificates[0].IDNumber + `"]}`)
			passed := 1
			var limited []result
			for i := 0; i < 12; i++ {
				r := c.send(http.MethodPost, "/api/v2/certificates:query", body, nil)
				if r.status == 429 {
					limited = append(limited, r)
				} else if r.status == 200 {
					passed++
				}
			}
			if passed != 10 || len(limited) != 3 {
				t.Fatalf("passed %d, limited %d: want a burst of 10", passed, len(limited))
			}
			for i, form := range tc.forms {
				ra := limited[i].header.Get("Retry-After")
				secs, err := strconv.Atoi(ra)
				switch form {
				case "s":
					if err != nil || secs < 1 {
						t.Errorf("429 #%d Retry-After %q, want seconds", i+1, ra)
					}
				case "d":
					at, err := http.ParseTime(ra)
					if err != nil || at.Before(c.clock.Now()) {
						t.Errorf("429 #%d Retry-After %q, want an HTTP-date not before now", i+1, ra)
					}
				}
			}
			c.clock.Advance(time.Second)
			if r := c.send(http.MethodPost, "/api/v2/certificates:query", body, nil); r.status != 200 {
				t.Errorf("after 1 s: got %d, want 200 (10 per second)", r.status)
			}
		})
	}
}

func TestCertificateQuery(t *testing.T) {
	_, c, ds := newTestPlatform(t, Config{RatePerSecond: -1})
	c.login()
	var lower dataset.Certificate
	for _, cert := range ds.Certificates {
		if strings.HasSuffix(cert.IDNumber, "x") {
			lower = cert
			break
		}
	}
	if lower.CertNo == "" {
		t.Fatal("dataset has no certificate with a lower-case x")
	}
	query := func(ids ...string) (result, []Certificate, []string) {
		body, _ := json.Marshal(map[string]any{"idNumbers": ids})
		r := c.send(http.MethodPost, "/api/v2/certificates:query", body, nil)
		var out struct {
			Items    []Certificate `json:"items"`
			NotFound []string      `json:"notFound"`
		}
		_ = json.Unmarshal(r.raw, &out)
		return r, out.Items, out.NotFound
	}
	upper := strings.ToUpper(lower.IDNumber)
	r, items, nf := query(upper, "350582199001011234")
	if r.status != 200 || len(items) == 0 || items[0].IDNumber != lower.IDNumber || len(nf) != 1 || nf[0] != "350582199001011234" {
		t.Errorf("query %s: got %d %d items %v notFound, want the x holder's certificates and one notFound", upper, r.status, len(items), nf)
	}
	for _, it := range items {
		if !strings.EqualFold(it.IDNumber, upper) {
			t.Errorf("item of another holder %s", it.IDNumber)
		}
	}
	ids := make([]string, 51)
	for i := range ids {
		ids[i] = fmt.Sprintf("35058219900101%04d", i)
	}
	if r, _, _ := query(ids...); r.status != 400 {
		t.Errorf("51 ids: got %d, want 400", r.status)
	}
	if r, _, nf := query(ids[:50]...); r.status != 200 || len(nf) != 50 {
		t.Errorf("50 ids: got %d with %d notFound, want 200 and 50", r.status, len(nf))
	}
	if r, _, _ := query(); r.status != 400 {
		t.Errorf("0 ids: got %d, want 400", r.status)
	}
}

type feedPage struct {
	Items      []Certificate `json:"items"`
	NextCursor string        `json:"nextCursor"`
	HasMore    bool          `json:"hasMore"`
}

func (c *client) changes(q string) (result, feedPage) {
	c.t.Helper()
	r := c.send(http.MethodGet, "/api/v2/certificates/changes?"+q, nil, nil)
	var pg feedPage
	if r.status == 200 {
		if err := json.Unmarshal(r.raw, &pg); err != nil {
			c.t.Fatal(err)
		}
	}
	return r, pg
}

func TestChangeFeed(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{RatePerSecond: -1})
	c.login()
	for _, tc := range []struct{ name, q, err string }{
		{"since required on the first call", "limit=10", errInvalidRequest},
		{"since must be RFC 3339", "since=2024-05-21+09:30:00", errInvalidRequest},
		{"limit 0", "since=2020-01-01T00:00:00%2B08:00&limit=0", errInvalidRequest},
		{"limit 501", "since=2020-01-01T00:00:00%2B08:00&limit=501", errInvalidRequest},
		{"malformed cursor", "cursor=%21%21", errInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, _ := c.changes(tc.q); r.status != 400 || r.err.Error != tc.err {
				t.Errorf("got %d %q, want 400 %q", r.status, r.err.Error, tc.err)
			}
		})
	}
	t.Run("since is inclusive and the order is (updatedAt, certNo, itemCode)", func(t *testing.T) {
		all := p.Certificates()
		mid := all[len(all)/2]
		_, pg := c.changes("limit=500&since=" + url.QueryEscape(mid.UpdatedAt))
		if len(pg.Items) == 0 || pg.Items[0].UpdatedAt != mid.UpdatedAt {
			t.Fatalf("first item %v, want updatedAt %s", pg.Items[0], mid.UpdatedAt)
		}
		for i := 1; i < len(pg.Items); i++ {
			a, b := pg.Items[i-1], pg.Items[i]
			ta, _ := time.Parse(time.RFC3339, a.UpdatedAt)
			tb, _ := time.Parse(time.RFC3339, b.UpdatedAt)
			if ta.After(tb) || ta.Equal(tb) && (a.CertNo > b.CertNo || a.CertNo == b.CertNo && a.ItemCode >= b.ItemCode) {
				t.Fatalf("out of order at %d: %s/%s/%s then %s/%s/%s", i, a.UpdatedAt, a.CertNo, a.ItemCode, b.UpdatedAt, b.CertNo, b.ItemCode)
			}
		}
	})
	t.Run("a cursor older than 24 h is cursor_expired", func(t *testing.T) {
		_, pg := c.changes("limit=5&since=2000-01-01T00:00:00%2B08:00")
		c.clock.Advance(24 * time.Hour)
		c.login()
		if r, _ := c.changes("cursor=" + pg.NextCursor); r.status != 200 {
			t.Errorf("at 24 h: got %d, want 200", r.status)
		}
		c.clock.Advance(time.Second)
		if r, _ := c.changes("cursor=" + pg.NextCursor); r.status != 400 || r.err.Error != errCursorExpired {
			t.Errorf("after 24 h: got %d %q, want 400 cursor_expired", r.status, r.err.Error)
		}
	})
	t.Run("the fault knob forces cursor_expired", func(t *testing.T) {
		_, pg := c.changes("limit=5&since=2000-01-01T00:00:00%2B08:00")
		p.SetFaults(fault.Faults{CursorExpired: 1})
		defer p.SetFaults(fault.Faults{})
		if r, _ := c.changes("cursor=" + pg.NextCursor); r.err.Error != errCursorExpired {
			t.Errorf("got %d %q, want cursor_expired", r.status, r.err.Error)
		}
	})
	_ = ds
}

// TestChangeFeedNeverSkips changes certificates while a client pages — records behind the cursor,
// ahead of it, at the cursor's own second, with the clock frozen — and checks that every
// certificate is delivered and every change is delivered after it happened.
func TestChangeFeedNeverSkips(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{RatePerSecond: -1})
	c.login()
	all := p.Certificates()
	seen := map[string]int{}
	var lastVersion map[string]string = map[string]string{}
	changed := map[string]bool{}
	_, pg := c.changes("limit=7&since=2000-01-01T00:00:00%2B08:00")
	for pageNo := 0; ; pageNo++ {
		for _, it := range pg.Items {
			k := it.CertNo + "|" + it.ItemCode
			seen[k]++
			lastVersion[k] = it.Issuer
		}
		if !pg.HasMore {
			break
		}
		// Concurrent changes: one record already delivered (behind the cursor), one not yet.
		// The clock does not move: changes share a second with each other.
		behind := all[(pageNo*7)%len(all)]
		ahead := all[min(len(all)-1, (pageNo+3)*7)]
		for _, x := range []Certificate{behind, ahead} {
			k := x.CertNo + "|" + x.ItemCode
			changed[k] = true
			if _, err := p.UpdateCertificate(x.CertNo, x.ItemCode, func(cc *Certificate) { cc.Issuer = "变更" + strconv.Itoa(pageNo) }); err != nil {
				t.Fatal(err)
			}
		}
		var r result
		r, pg = c.changes("limit=7&cursor=" + url.QueryEscape(pg.NextCursor))
		if r.status != 200 {
			t.Fatalf("page %d: got %d %s", pageNo, r.status, r.raw)
		}
	}
	for _, x := range all {
		k := x.CertNo + "|" + x.ItemCode
		if seen[k] == 0 {
			t.Errorf("certificate %s never delivered", k)
		}
	}
	final := map[string]string{}
	for _, x := range p.Certificates() {
		final[x.CertNo+"|"+x.ItemCode] = x.Issuer
	}
	for k := range changed {
		if lastVersion[k] != final[k] {
			t.Errorf("certificate %s: last delivered version %q, want the final %q", k, lastVersion[k], final[k])
		}
	}
}
