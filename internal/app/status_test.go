package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/mocks"
	"streetsync/mocks/fault"
	"streetsync/scheduler"
	"streetsync/scheduler/clock"
)

const testToken = "app-test-console-token-0123"

// testApp is an App over a real Redis (its own prefix), a real ledger of driver, both mock
// platforms over loopback, on a fake clock that starts now.
func testApp(t *testing.T, driver string) (*App, *mocks.Server, *rdb.Conn, *clock.Fake) {
	t.Helper()
	conn, kind := testutil.Redis(t)
	testutil.RequireRealRedis(t, kind)
	srv, err := mocks.NewServer(mocks.Options{Seed: 3, Enterprises: 10})
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := srv.StartTest()
	t.Cleanup(func() { srv.Close(); ts.Close() })
	cfg := config.Default()
	cfg.Redis.Prefix = conn.Prefix
	if addrs := testutil.RedisAddrs(conn); kind == testutil.RedisClusterEnv {
		cfg.Redis.Addrs = addrs
	} else {
		cfg.Redis.Addr = addrs[0]
	}
	cfg.Ledger = config.Ledger{Driver: driver, DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))}
	if driver == "postgres" {
		cfg.Ledger.DSN = config.Secret(testutil.Postgres(t))
	}
	cfg.Quanzhou.BaseURL, cfg.Quanzhou.AppKey, cfg.Quanzhou.AppSecret = ep.QuanzhouBaseURL, ep.AppKey, config.Secret(ep.AppSecret)
	cfg.SpecialOps.BaseURL, cfg.SpecialOps.ClientID, cfg.SpecialOps.ClientSecret = ep.SpecialOpsBaseURL, ep.ClientID, config.Secret(ep.ClientSecret)
	cfg.Quanzhou.RateLimit, cfg.SpecialOps.RateLimit = 500, 500
	cfg.Console.Token = testToken
	clk := clock.NewFake(time.Now())
	a := New(&cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), WithClock(clk))
	t.Cleanup(func() { a.Close() })
	return a, srv, conn, clk
}

func getJSON(t *testing.T, h http.Handler, path string, v any) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: %d %s: %v", path, rec.Code, rec.Body.String(), err)
		}
	}
	return rec.Code
}

// The run history, the jobs' status, the platforms' health and a loss of Redis data, all kept in
// the ledger and read through the App as the console and /readyz read them — on both ledgers.
func TestStatusHealthAndRedisLossLiveInTheLedger(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			a, srv, conn, clk := testApp(t, driver)
			if _, err := a.Sync(ctx, jobs.All, false); err != nil {
				t.Fatal(err)
			}
			if _, err := a.RunNow(ctx, JobAlerts, scheduler.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			cons, err := a.Console(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer cons.Close()
			api := cons.Handler()

			var st []scheduler.JobStatus
			if code := getJSON(t, api, "/api/jobs/status", &st); code != http.StatusOK || len(st) != len(jobs.Names)+1 {
				t.Fatalf("GET /api/jobs/status: %d, %d jobs", code, len(st))
			}
			for i, job := range append(jobs.Names, JobAlerts) {
				s := st[i]
				if s.Job != job || s.LastRun == nil || !s.LastRun.Outcome.Succeeded() || s.LastSuccess == nil || s.Next.IsZero() || s.TickText == "" {
					t.Errorf("status %d: %+v, want %s with its last run, last success, next tick and tick state", i, s, job)
				}
			}

			// An hour later the Quanzhou platform is down: the run says so, and so does its health.
			clk.Advance(time.Hour)
			srv.Quanzhou.SetFaults(fault.Faults{Maintenance: true, MaintenanceRetryAfter: 1})
			sums, err := a.Sync(ctx, jobs.Enterprises, false)
			if err != nil || len(sums) != 1 || sums[0].Outcome != jobs.OutcomePlatformUnavailable {
				t.Fatalf("sync during the outage = %+v, %v", sums, err)
			}
			health, err := a.PlatformHealth(ctx)
			if err != nil || len(health) != 2 {
				t.Fatal(health, err)
			}
			q, sp := health[0], health[1]
			if q.Platform != "quanzhou" || q.State != ledger.HealthUnavailable || q.StateText != "不可用" || q.ConsecutiveFailures == 0 ||
				!q.FailingSince.Equal(clk.Now().Truncate(time.Millisecond)) || q.LastSuccess.IsZero() || !strings.Contains(q.LastError, "维护") {
				t.Errorf("quanzhou health %+v, want unavailable since now, with the maintenance message", q)
			}
			if sp.Platform != "specialops" || sp.State != ledger.HealthOK {
				t.Errorf("specialops health %+v, want ok", sp)
			}
			var runs []struct {
				Job, Outcome, Reason string
			}
			getJSON(t, api, "/api/jobs/runs?job=enterprises&limit=1", &runs)
			if len(runs) != 1 || runs[0].Outcome != "platform_unavailable" || !strings.Contains(runs[0].Reason, "泉州平台不可用") {
				t.Errorf("GET /api/jobs/runs: %+v, want the platform_unavailable run with its reason", runs)
			}
			srv.Quanzhou.SetFaults(fault.Faults{})

			// Redis loses every key: noticed, shown in /readyz and the overview until every job ran.
			s, err := a.Scheduler(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if lost, err := s.CheckRedis(ctx); lost || err != nil {
				t.Fatalf("first marker check: %v, %v", lost, err)
			}
			testutil.DeleteKeys(t, conn)
			if lost, err := s.CheckRedis(ctx); !lost || err != nil {
				t.Fatalf("marker check after the loss: %v, %v; want the loss noticed", lost, err)
			}
			h, err := a.Handler(ctx, api)
			if err != nil {
				t.Fatal(err)
			}
			var ready map[string]string
			if code := getJSON(t, h, "/readyz", &ready); code != http.StatusOK || !strings.Contains(ready["redisData"], "Redis 数据已于") ||
				!strings.Contains(ready["redisData"], "enterprises、certificates、alarms、hazards、inspections、employments、alerts") {
				t.Errorf("/readyz after the loss: %d %v", code, ready)
			}
			var ov struct {
				RedisLoss *scheduler.RedisLoss    `json:"redisLoss"`
				Platforms []ledger.PlatformHealth `json:"platforms"`
				JobStatus []scheduler.JobStatus   `json:"jobStatus"`
			}
			if getJSON(t, h, "/api/overview", &ov); ov.RedisLoss == nil || len(ov.RedisLoss.Waiting) != len(jobs.Names)+1 || len(ov.Platforms) != 2 || len(ov.JobStatus) != len(jobs.Names)+1 {
				t.Errorf("overview after the loss: %+v", ov)
			}
			clk.Advance(time.Minute)
			if _, err := a.Sync(ctx, jobs.All, false); err != nil {
				t.Fatal(err)
			}
			if _, err := a.RunNow(ctx, JobAlerts, scheduler.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			if getJSON(t, h, "/readyz", &ready); ready["redisData"] != "ok" {
				t.Errorf("/readyz once every job ran: %v, want redisData ok", ready)
			}
			if getJSON(t, h, "/api/overview", &ov); ov.RedisLoss != nil {
				t.Errorf("overview once every job ran: redisLoss %+v, want none", ov.RedisLoss)
			}
		})
	}
}
