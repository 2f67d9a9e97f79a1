package specialops

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/mocks/fault"
)

func TestFaults(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{RatePerSecond: -1})
	c.login()
	body := []byte(`{"idNumbers":["` + ds.Certificates[0].IDNumber + `"]}`)
	query := func() result { return c.send(http.MethodPost, "/api/v2/certificates:query", body, nil) }
	t.Run("maintenance is 503 with Retry-After", func(t *testing.T) {
		p.SetFaults(fault.Faults{Maintenance: true, MaintenanceRetryAfter: 1800})
		r := query()
		if r.status != 503 || r.header.Get("Retry-After") != "1800" {
			t.Errorf("got %d Retry-After %q, want 503 and 1800", r.status, r.header.Get("Retry-After"))
		}
	})
	t.Run("internal error is 500", func(t *testing.T) {
		p.SetFaults(fault.Faults{InternalError: 1})
		if r := query(); r.status != 500 {
			t.Errorf("got %d, want 500", r.status)
		}
	})
	t.Run("gateway pages are HTML", func(t *testing.T) {
		p.SetFaults(fault.Faults{GatewayError: 1})
		r := query()
		if (r.status != 502 && r.status != 504) || !strings.Contains(string(r.raw), "<html>") {
			t.Errorf("got %d %q, want 502/504 HTML", r.status, r.raw)
		}
	})
	t.Run("forced 429 burst", func(t *testing.T) {
		p.SetFaults(fault.Faults{RateLimitBurst: 2})
		got := []int{query().status, query().status, query().status}
		if got[0] != 429 || got[1] != 429 || got[2] != 200 {
			t.Errorf("statuses %v, want 429 429 200", got)
		}
	})
	p.SetFaults(fault.Faults{})
}

func TestResponder(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)}
	p, err := New(Config{BasePath: "/share", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tr := httpmock.NewMockTransport()
	tr.RegisterNoResponder(p.Responder())
	hc := &http.Client{Transport: tr}
	send := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://tzzy.example/share/oauth/token",
			strings.NewReader("grant_type=client_credentials"))
		req.SetBasicAuth(DemoClientID, DemoClientSecret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return hc.Do(req)
	}
	if resp, err := send(context.Background()); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token via httpmock: %v %v", resp, err)
	}
	p.SetFaults(fault.Faults{DropBefore: 1})
	if _, err := send(context.Background()); !errors.Is(err, fault.ErrDropped) {
		t.Errorf("dropped: err %v, want ErrDropped", err)
	}
	p.SetFaults(fault.Faults{})
	if resp, err := hc.Get("https://tzzy.example/other/path"); err != nil || resp.StatusCode != 404 {
		t.Errorf("outside the base path: %v %v, want 404", resp, err)
	}
}
