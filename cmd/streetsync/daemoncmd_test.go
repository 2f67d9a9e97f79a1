package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"streetsync/internal/alerts/rules"
	wiring "streetsync/internal/app"
	"streetsync/internal/jobs"
)

// webhookReceiver counts the alert messages a webhook channel delivers.
func webhookReceiver(t *testing.T) (url string, messages *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/hook", &n
}

var listeningRE = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

func TestRunServesHealthReadinessMetricsAndStopsCleanly(t *testing.T) {
	hook, delivered := webhookReceiver(t)
	// The Quanzhou client is held to a low rate so that its limiter makes the jobs wait: the
	// rate-limit series must show it.
	// The alert check runs every two seconds; the catch-up at start runs it only after the sync
	// jobs (dependency order), and a tick due meanwhile waits for them.
	e := newEnv(t, 20, "alerts: {channels: [{type: webhook, name: 测试, url: \""+hook+"\"}]}\n"+
		"schedule: {alerts: \"*/2 * * * * *\"}\n")
	writeFile(t, e.config, strings.Replace(readFile(t, e.config), "appSecret: \""+e.ep.AppSecret+"\", rateLimit: 200, burst: 50",
		"appSecret: \""+e.ep.AppSecret+"\", rateLimit: 4, burst: 1", 1))
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	s := startCLI(t, "--config", e.config, "run", "--stop-grace", "5s")
	var base string
	waitFor(t, 30*time.Second, "the daemon to listen", func() bool {
		m := listeningRE.FindStringSubmatch(s.err.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	})
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string, header ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	code, body := get("/readyz")
	var ready map[string]string
	if err := json.Unmarshal([]byte(body), &ready); code != http.StatusOK || err != nil || ready["redis"] != "ok" || ready["ledger"] != "ok" {
		t.Errorf("/readyz: got %d %s, want 200 with redis and ledger ok", code, body)
	}
	if code, _ := get("/api/overview"); code != http.StatusUnauthorized && code != http.StatusNotFound {
		t.Errorf("console API without a token: got HTTP %d, want 401", code)
	}

	// /metrics names channels and communities: without console.metricsPublic it needs the token.
	if code, _ := get("/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: got HTTP %d, want 401", code)
	}

	// The daemon catches up every job's missed tick at start (none ever ran): wait until every
	// job's run is in /metrics — a successful data run (the dataset's bad records are
	// quarantined: partial) — and an alert check has judged the certificates.
	var metrics string
	alertsOK := regexp.MustCompile(`streetsync_job_runs_total\{job="` + wiring.JobAlerts + `",outcome="(success|partial)"\} [1-9]`)
	waitFor(t, 60*time.Second, "the catch-up runs in /metrics", func() bool {
		_, metrics = get("/metrics", "Authorization", "Bearer test-console-token-0123")
		for _, job := range jobs.Names {
			if !strings.Contains(metrics, `streetsync_job_runs_total{job="`+job+`",outcome="success"} 1`) &&
				!strings.Contains(metrics, `streetsync_job_runs_total{job="`+job+`",outcome="partial"} 1`) {
				return false
			}
		}
		return alertsOK.MatchString(metrics) && strings.Contains(metrics, `streetsync_alerts_firing{rule="NO_CERTIFICATE",severity="critical"}`)
	})
	for _, series := range []string{
		`streetsync_job_duration_seconds_count{job="certificates"} 1`,
		`streetsync_job_last_success_timestamp_seconds{job="alarms"}`,
		`streetsync_records_total{job="enterprises",outcome="pulled"}`,
		`streetsync_records_total{job="certificates",outcome="pulled"}`,
		`streetsync_records_total{job="enterprises",outcome="pushed"}`,
		`streetsync_queue_items{state="pending"}`,
		`streetsync_queue_items{state="dead"} 0`,
		`streetsync_platform_requests_total{endpoint=`,
		`streetsync_rate_limit_wait_seconds_total{platform=`,
		`streetsync_alerts_firing{rule="NO_CERTIFICATE",severity="critical"}`,
		`streetsync_alert_deliveries_total{channel="测试",status="firing"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if v := metricValue(t, metrics, `streetsync_records_total{job="enterprises",outcome="pulled"}`); v < 1 {
		t.Errorf("enterprises pulled: got %v, want > 0", v)
	}
	if v := metricValue(t, metrics, `streetsync_platform_requests_total{endpoint="/oauth/token",platform="specialops",status="200"}`); v < 1 {
		t.Errorf("special-operations token requests: got %v, want ≥ 1", v)
	}
	if delivered.Load() == 0 {
		t.Errorf("the scheduled alert check delivered nothing to the webhook")
	}

	if code := s.stop(t, 20*time.Second); code != exitOK {
		t.Fatalf("exit %d after the stop, want 0; stderr:\n%s", code, tail(s.err.String(), 2000))
	}
	if !strings.Contains(s.err.String(), "stopped cleanly") {
		t.Errorf("no clean-stop log line")
	}
	client.CloseIdleConnections()
}

func metricValue(t *testing.T, metrics, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(metrics, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Errorf("/metrics lacks %s", series)
	return 0
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestRunErrors(t *testing.T) {
	e := newEnv(t, 5, "")
	if code, _, _ := e.cli(t, "run", "extra"); code != exitUsage {
		t.Errorf("run with an argument: exit %d, want 2", code)
	}
	if code, _, _ := e.cli(t, "run", "--stop-grace", "0s"); code != exitUsage {
		t.Errorf("run --stop-grace 0s: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "run", "--config", "../../internal/config/testdata/three_mistakes.yaml"); code != exitUsage {
		t.Errorf("run with a bad config: exit %d, want 2", code)
	}
	// The console's port is taken: a runtime failure.
	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	e.writeConfig(t, "")
	cfg := strings.Replace(readFile(t, e.config), `listen: "127.0.0.1:0"`, `listen: "`+strings.TrimPrefix(busy.URL, "http://")+`"`, 1)
	writeFile(t, e.config, cfg)
	if code, _, errOut := e.cli(t, "run"); code != exitRuntime {
		t.Errorf("console port taken: exit %d, want 3; stderr: %s", code, tail(errOut, 500))
	}
}

func TestDemoOnceCoversEveryRule(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "--once", "--format", "json")
	if code != exitOK {
		t.Fatalf("demo --once: exit %d\nstderr: %s", code, tail(errOut, 3000))
	}
	var sum wiring.DemoSummary
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil || dec.More() {
		t.Fatalf("stdout is not one demo summary: %v\n%s", err, out)
	}
	if sum.Enterprises != 200 || sum.Import.Enterprises.Inserted != 200 || sum.Import.Operators.Inserted != sum.Operators {
		t.Errorf("import: got %+v for %d enterprises and %d roster entries", sum.Import, sum.Enterprises, sum.Operators)
	}
	last := len(sum.Sync) - 1
	if len(sum.Sync) != len(jobs.Names) || sum.Sync[0].Pulled == 0 || sum.Sync[1].Pulled == 0 || sum.Sync[last].Job != jobs.Employments ||
		sum.Sync[last].Pushed == 0 {
		t.Errorf("sync: got %+v, want every job, pulling enterprises and certificates and pushing registrations", sum.Sync)
	}
	for _, s := range sum.Sync {
		if s.Outcome != jobs.OutcomeSuccess {
			t.Errorf("sync %s: %s (%s)", s.Job, s.Outcome, s.Reason)
		}
	}
	if sum.Import.Hazards == nil || sum.Import.Hazards.Inserted == 0 || sum.Import.Drills == nil || sum.Import.Drills.Inserted == 0 {
		t.Errorf("import: hazards %+v, drills %+v; want the demo's hazard sheets loaded", sum.Import.Hazards, sum.Import.Drills)
	}
	for _, r := range rules.All() {
		// A healthy demo (fresh data, platforms up) raises every rule but the system ones.
		if fires := sum.Alerts.ByRule[r.Code] > 0; fires != (r.Family != rules.System) {
			t.Errorf("%s fires %v in the demo: %v", r.Code, fires, sum.Alerts.ByRule)
		}
	}
	if sum.Alerts.Delivered.Firing != sum.Alerts.Firing || sum.Webhook.Messages == 0 || sum.Webhook.Alerts < sum.Alerts.Firing {
		t.Errorf("delivery: got delivered %+v, webhook %+v for %d firing", sum.Alerts.Delivered, sum.Webhook, sum.Alerts.Firing)
	}
	if sum.Reconcile.OnlyOnPlatform == 0 || sum.Reconcile.Uncertified == 0 {
		t.Errorf("reconcile: got %+v, want platform-only enterprises and uncertified operators", sum.Reconcile)
	}
	if strings.Contains(out, `"idNumber"`) {
		t.Errorf("the summary carries ID numbers")
	}
}

func TestDemoServesTheConsoleUntilStopped(t *testing.T) {
	s := startCLI(t, "demo", "--enterprises", "10", "--listen", "127.0.0.1:0")
	var url, token string
	re := regexp.MustCompile(`控制台：(\S+)\n登录令牌（仅显示这一次）：(\S+)`)
	waitFor(t, 60*time.Second, "the console address and token", func() bool {
		m := re.FindStringSubmatch(s.out.String())
		if m != nil {
			url, token = m[1], m[2]
		}
		return m != nil
	})
	if len(token) < 16 {
		t.Errorf("token %q is too short", token)
	}
	for _, c := range []struct {
		path, token string
		want        int
	}{{"healthz", "", 200}, {"readyz", "", 200}, {"metrics", "", 401}, {"metrics", token, 200}} {
		req, err := http.NewRequest(http.MethodGet, url+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s (token %t): %d, want %d", c.path, c.token != "", resp.StatusCode, c.want)
		}
	}
	if code := s.stop(t, 20*time.Second); code != exitOK {
		t.Fatalf("demo: exit %d after the stop; stderr: %s", code, tail(s.err.String(), 2000))
	}
}
