package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/mocks/fault"
)

// hookRecorder is a webhook receiver that keeps every alert it is sent, as (rule, status, subject).
type hookRecorder struct {
	mu  sync.Mutex
	got []hookAlert
}

type hookAlert struct {
	Rule   string `json:"rule"`
	Status string `json:"status"`
	System *struct {
		Subject string `json:"subject"`
	} `json:"system"`
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []hookAlert `json:"alerts"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, msg.Alerts...)
	h.mu.Unlock()
}

func (h *hookRecorder) take() []hookAlert {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.got
	h.got = nil
	return out
}

// Issue 14: PLATFORM_DOWN is raised once a platform has failed for alerts.platformDownAfter, from
// the health the jobs recorded in the ledger, by the same system check the daemon runs between
// its jobs — and resolved when the platform answers again.
func TestPlatformDownIsRaisedAfterTheOutageLastsAndResolvedOnRecovery(t *testing.T) {
	ctx := context.Background()
	a, srv, _, clk := testApp(t, "sqlite")
	hook := &hookRecorder{}
	ts := httptest.NewServer(hook)
	t.Cleanup(ts.Close)
	a.Config().Alerts.Channels = []config.Channel{{Type: "webhook", Name: "安办", URL: config.Secret(ts.URL), Escalations: true}}

	if _, err := a.Sync(ctx, jobs.All, false); err != nil {
		t.Fatal(err)
	}
	srv.Quanzhou.SetFaults(fault.Faults{Maintenance: true, MaintenanceRetryAfter: 1})
	if sums, err := a.Sync(ctx, jobs.Enterprises, false); err != nil || sums[0].Outcome != jobs.OutcomePlatformUnavailable {
		t.Fatalf("sync during the outage = %+v, %v", sums, err)
	}
	down := func() (raised, resolved int) {
		for _, al := range hook.take() {
			if al.Rule == "PLATFORM_DOWN" && al.System != nil && al.System.Subject == "quanzhou" {
				if al.Status == "firing" {
					raised++
				} else {
					resolved++
				}
			}
		}
		return raised, resolved
	}

	clk.Advance(time.Hour)
	if _, err := a.CheckSystemAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if raised, _ := down(); raised != 0 {
		t.Fatalf("PLATFORM_DOWN raised after an hour of failures; the default waits %s", a.Config().Alerts.PlatformDownAfter.D())
	}
	clk.Advance(time.Hour + time.Minute)
	if _, err := a.CheckSystemAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if raised, _ := down(); raised != 1 {
		t.Fatalf("PLATFORM_DOWN delivered %d times after 2h01m of failures, want once", raised)
	}
	if _, err := a.CheckSystemAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if raised, _ := down(); raised != 0 {
		t.Fatalf("PLATFORM_DOWN delivered again %d times at the next round, want none before the repeat interval", raised)
	}

	srv.Quanzhou.SetFaults(fault.Faults{})
	if sums, err := a.Sync(ctx, jobs.Enterprises, false); err != nil || (sums[0].Outcome != jobs.OutcomeSuccess && sums[0].Outcome != jobs.OutcomePartial) {
		t.Fatalf("sync after the outage = %+v, %v", sums, err)
	}
	if _, err := a.CheckSystemAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if raised, resolved := down(); raised != 0 || resolved != 1 {
		t.Fatalf("after recovery: %d raised, %d resolved; want the one alert resolved", raised, resolved)
	}
}
