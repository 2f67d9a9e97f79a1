package quanzhou

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/mocks/fault"
)

func TestFaults(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	c.login()
	q := "xzqhdm=350582006&pageSize=1"
	set := func(f fault.Faults) { p.SetFaults(f) }
	t.Run("internal error is 50000 with HTTP 200", func(t *testing.T) {
		set(fault.Faults{InternalError: 1})
		r := c.do(call{path: "/enterprises", query: q})
		if r.status != 200 || r.env.Code != codeInternal || string(r.env.Data) != "null" {
			t.Errorf("got %d %s, want 200 with 50000", r.status, r.raw)
		}
	})
	t.Run("gateway answers 502 or 504 with HTML", func(t *testing.T) {
		set(fault.Faults{GatewayError: 1})
		seen := map[int]bool{}
		for i := 0; i < 20; i++ {
			r := c.do(call{path: "/enterprises", query: q})
			if !strings.HasPrefix(string(r.raw), "<html>") || json.Valid(r.raw) {
				t.Fatalf("body %q, want an HTML page", r.raw)
			}
			seen[r.status] = true
		}
		if !seen[502] || !seen[504] || len(seen) != 2 {
			t.Errorf("statuses %v, want 502 and 504", seen)
		}
	})
	t.Run("garbage body is not JSON", func(t *testing.T) {
		set(fault.Faults{GarbageBody: 1})
		r := c.do(call{path: "/enterprises", query: q})
		if r.status != 200 || json.Valid(r.raw) {
			t.Errorf("got %d %q, want 200 with a non-JSON body", r.status, r.raw)
		}
	})
	t.Run("truncated body is cut JSON after processing", func(t *testing.T) {
		set(fault.Faults{TruncatedBody: 1})
		uscc := validUSCC("MA9E0001")
		r := c.do(call{method: http.MethodPost, path: "/enterprises/batchSave", body: mustJSON(map[string]any{"list": []any{newRecord(uscc)}})})
		if r.status != 200 || json.Valid(r.raw) || !strings.HasPrefix(string(r.raw), `{"code":0`) {
			t.Errorf("got %d %q, want 200 with truncated JSON", r.status, r.raw)
		}
		if _, ok := p.Enterprise(uscc); !ok {
			t.Error("the request was not processed")
		}
	})
	t.Run("dropped before processing", func(t *testing.T) {
		set(fault.Faults{DropBefore: 1})
		uscc := validUSCC("MA9E0002")
		r := c.do(call{method: http.MethodPost, path: "/enterprises/batchSave", body: mustJSON(map[string]any{"list": []any{newRecord(uscc)}})})
		if r.status != -1 {
			t.Errorf("got %d %s, want a transport error", r.status, r.raw)
		}
		if _, ok := p.Enterprise(uscc); ok {
			t.Error("dropped-before request was processed")
		}
	})
	t.Run("dropped after processing", func(t *testing.T) {
		set(fault.Faults{DropAfter: 1})
		uscc := validUSCC("MA9E0003")
		r := c.do(call{method: http.MethodPost, path: "/enterprises/batchSave", body: mustJSON(map[string]any{"list": []any{newRecord(uscc)}})})
		if r.status != -1 {
			t.Errorf("got %d %s, want a transport error", r.status, r.raw)
		}
		if _, ok := p.Enterprise(uscc); !ok {
			t.Error("dropped-after request was not processed")
		}
	})
	t.Run("latency delays the answer", func(t *testing.T) {
		set(fault.Faults{Latency: 50 * time.Millisecond})
		start := time.Now()
		c.do(call{path: "/enterprises", query: q})
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("answered after %v, want ≥ 50ms", d)
		}
	})
	t.Run("hang never answers until the client gives up", func(t *testing.T) {
		set(fault.Faults{Hang: 1})
		c.http = &http.Client{Timeout: 100 * time.Millisecond}
		defer func() { c.http = nil }()
		r := c.do(call{path: "/enterprises", query: q})
		if r.status != -1 || !strings.Contains(string(r.raw), "Timeout") {
			t.Errorf("got %d %s, want a client timeout", r.status, r.raw)
		}
	})
	set(fault.Faults{})
	dropped := 0
	for k, v := range p.Requests() {
		if k.Status == fault.StatusDropped {
			dropped += v
		}
	}
	if dropped != 2 {
		t.Errorf("requests counted as dropped: %d, want 2", dropped)
	}
}

func TestResponderSharesThePlatform(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)}
	p, err := New(Config{BasePath: "/gw/openapi/v1", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tr := httpmock.NewMockTransport()
	tr.RegisterNoResponder(p.Responder())
	hc := &http.Client{Transport: tr}
	send := func(ctx context.Context) (*http.Response, error) {
		body := `{"appKey":"demo-app","appSecret":"demo-secret"}`
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://qz.example/gw/openapi/v1/auth/token", strings.NewReader(body))
		ts := strconv.FormatInt(clock.Now().UnixMilli(), 10)
		nonce := "Responder" + time.Now().Format("150405.000000")[7:] + "abc"
		nonce = strings.ReplaceAll(nonce, ".", "")
		req.Header.Set("X-App-Key", "demo-app")
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Nonce", nonce)
		req.Header.Set("X-Signature", clientSign("demo-secret", "POST", "/gw/openapi/v1/auth/token", "", ts, nonce, []byte(body)))
		return hc.Do(req)
	}
	resp, err := send(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Code int }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if e.Code != 0 {
		t.Errorf("token via httpmock: code %d, want 0", e.Code)
	}
	p.SetFaults(fault.Faults{DropAfter: 1})
	if _, err := send(context.Background()); !errors.Is(err, fault.ErrDropped) {
		t.Errorf("dropped via httpmock: err %v, want ErrDropped", err)
	}
	p.SetFaults(fault.Faults{Hang: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := send(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung via httpmock: err %v, want deadline exceeded", err)
	}
}
