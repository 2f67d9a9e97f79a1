package mocks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"streetsync/mocks/dataset"
)

func TestEndpointsJSONShape(t *testing.T) {
	e := Endpoints{QuanzhouBaseURL: "http://h/qz/gw/openapi/v1", AppKey: "demo-app", AppSecret: "demo-secret",
		SpecialOpsBaseURL: "http://h/tz/share", ClientID: "demo-client", ClientSecret: "demo-client-secret", Region: "350582006"}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"quanzhou":{"baseURL":"http://h/qz/gw/openapi/v1","appKey":"demo-app","appSecret":"demo-secret"},` +
		`"specialOps":{"baseURL":"http://h/tz/share","clientID":"demo-client","clientSecret":"demo-client-secret"}}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var back Endpoints
	if err := json.Unmarshal(b, &back); err != nil || back.SpecialOpsBaseURL != e.SpecialOpsBaseURL || back.AppSecret != e.AppSecret {
		t.Errorf("round trip: got %+v (%v)", back, err)
	}
}

func TestServeMountsBothPlatforms(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Endpoints, 1)
	done := make(chan error, 1)
	now := func() time.Time { return time.Date(2026, 1, 15, 9, 0, 0, 0, dataset.Beijing) }
	go func() {
		done <- Serve(ctx, "127.0.0.1:0", Options{Seed: 3, Enterprises: 20, Now: now}, func(e Endpoints) { ready <- e })
	}()
	var ep Endpoints
	select {
	case ep = <-ready:
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	// Quanzhou: an unsigned request is refused with an envelope naming the missing header.
	resp, err := hc.Get(ep.QuanzhouBaseURL + "/enterprises?xzqhdm=350582006")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"code":40001`) {
		t.Errorf("Quanzhou: got %d %s, want 40001", resp.StatusCode, body)
	}
	// Special-ops: the demo credentials get a token.
	resp, err = hc.PostForm(ep.SpecialOpsBaseURL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {ep.ClientID}, "client_secret": {ep.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "access_token") {
		t.Errorf("special-ops: got %d %s, want a token", resp.StatusCode, body)
	}
	hc.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestNewServerSeedsFromTheDataset(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 1, 15, 9, 0, 0, 0, dataset.Beijing) }
	s, err := NewServer(Options{Seed: 5, Enterprises: 30, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(s.Quanzhou.Enterprises()), len(s.Dataset.Platform); got != want {
		t.Errorf("Quanzhou holds %d enterprises, want %d", got, want)
	}
	if got, want := len(s.SpecialOps.Certificates()), len(s.Dataset.Certificates); got != want {
		t.Errorf("special-ops holds %d certificates, want %d", got, want)
	}
	if s.Dataset.Params.Reference != dataset.Date(2026, 1, 15) {
		t.Errorf("reference day %s, want the clock's 2026-01-15", s.Dataset.Params.Reference)
	}
}
