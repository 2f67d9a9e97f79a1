package quanzhou

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/mocks/dataset"
)

// The client side of signing, written here from the contract on purpose: it shares no code with
// the platform (check.go) nor with the connectors.

func clientSign(secret, method, path, rawQuery, ts, nonce string, body []byte) string {
	var pairs []string
	if rawQuery != "" {
		vals, _ := url.ParseQuery(rawQuery)
		for k, vs := range vals {
			for _, v := range vs {
				pairs = append(pairs, url.QueryEscape(k)+"="+url.QueryEscape(v))
			}
		}
		sort.Strings(pairs) // name=value strings sort by name, then value (names here have no '=')
	}
	sum := sha256.Sum256(body)
	msg := method + "\n" + path + "\n" + strings.Join(pairs, "&") + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// testClock is an injectable clock tests move by hand.
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

const prefix = "/qz/gw/openapi/v1"

type env struct {
	Code      int             `json:"code"`
	Msg       string          `json:"msg"`
	Data      json.RawMessage `json:"data"`
	RequestID string          `json:"requestId"`
}

type result struct {
	status int
	header http.Header
	env    env
	raw    []byte
}

// call describes one request; zero fields take the well-behaved default.
type call struct {
	method, path, query string
	body                []byte
	signPath            string // path to sign, when it should differ from the one sent
	ts                  string
	nonce               string
	token               *string
	secret              string
	appKey              string
}

type client struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *testClock
	token  string
	nonces int
	http   *http.Client
	raw    bool // leave the body undecoded (benchmarks decode it themselves)
}

func (c *client) nonce() string {
	c.nonces++
	return fmt.Sprintf("Nonce%011dAbc", c.nonces)
}

func (c *client) do(k call) result {
	c.t.Helper()
	if k.method == "" {
		k.method = http.MethodGet
	}
	full := prefix + k.path
	if k.signPath == "" {
		k.signPath = full
	}
	if k.ts == "" {
		k.ts = strconv.FormatInt(c.clock.Now().UnixMilli(), 10)
	}
	if k.nonce == "" {
		k.nonce = c.nonce()
	}
	if k.secret == "" {
		k.secret = DemoAppSecret
	}
	if k.appKey == "" {
		k.appKey = DemoAppKey
	}
	u := c.srv.URL + full
	if k.query != "" {
		u += "?" + k.query
	}
	req, err := http.NewRequest(k.method, u, bytes.NewReader(k.body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-App-Key", k.appKey)
	req.Header.Set("X-Timestamp", k.ts)
	req.Header.Set("X-Nonce", k.nonce)
	req.Header.Set("X-Signature", clientSign(k.secret, k.method, k.signPath, k.query, k.ts, k.nonce, k.body))
	tok := c.token
	if k.token != nil {
		tok = *k.token
	}
	if tok != "" && k.path != "/auth/token" {
		req.Header.Set("X-Access-Token", tok)
	}
	if len(k.body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.http
	if hc == nil {
		hc = c.srv.Client()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return result{status: -1, raw: []byte(err.Error())}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if !c.raw {
		_ = json.Unmarshal(raw, &r.env)
	}
	return r
}

func (c *client) login() {
	c.t.Helper()
	r := c.do(call{method: http.MethodPost, path: "/auth/token", body: []byte(`{"appKey":"demo-app","appSecret":"demo-secret"}`)})
	var d struct {
		AccessToken string `json:"accessToken"`
		ExpiresIn   int    `json:"expiresIn"`
	}
	if r.env.Code != 0 || json.Unmarshal(r.env.Data, &d) != nil || d.AccessToken == "" || d.ExpiresIn != 7200 {
		c.t.Fatalf("login: got %d %s, want code 0 with a token valid 7200 s", r.status, r.raw)
	}
	c.token = d.AccessToken
}

// newTestPlatform mounts a platform under prefix on an httptest server, seeded with a small
// generated dataset, its clock at the dataset's reference day 09:00.
func newTestPlatform(t *testing.T, cfg Config) (*Platform, *client, *dataset.Dataset) {
	t.Helper()
	ds, err := dataset.Generate(dataset.Params{Seed: 7, Enterprises: 40})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: ds.Params.Reference.Time(9 * 3600)}
	cfg.BasePath = prefix
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
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

type page struct {
	Total    int               `json:"total"`
	PageNo   int               `json:"pageNo"`
	PageSize int               `json:"pageSize"`
	List     []json.RawMessage `json:"list"`
}

func decodePage(t *testing.T, r result) page {
	t.Helper()
	var pg page
	if r.env.Code != 0 || json.Unmarshal(r.env.Data, &pg) != nil {
		t.Fatalf("listing: got %d %s, want a page", r.status, r.raw)
	}
	return pg
}

func recField(t *testing.T, rec json.RawMessage, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec, &m); err != nil {
		t.Fatal(err)
	}
	switch v := m[name].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return "<absent>"
	default:
		return fmt.Sprint(v)
	}
}
