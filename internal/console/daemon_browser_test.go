package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/app"
	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/reconcile"
	"streetsync/internal/testutil"
	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/fault"
	"streetsync/mocks/quanzhou"
	"streetsync/scheduler/retry"
)

// daemonConsole is a real streetsync daemon (`streetsync run`, App.Serve) over a redis-server of
// its own, both mock platforms and a SQLite ledger, after a first day's import, full sync and
// alert check; its configuration is a YAML file that the streetsync binary reads as well, so that
// the CLI's answers can be compared with the console's.
type daemonConsole struct {
	ctx    context.Context
	app    *app.App
	redis  *testutil.RedisServer
	mocks  *mocks.Server
	ledger ledger.Store
	queue  *retry.Queue
	url    string
	token  string
	config string   // the YAML file
	env    []string // its secrets, as the CLI's environment
	ids    []string // every whole ID number of the ledger
}

// daemonOptions shape a daemonConsole: scheduled runs the jobs on their default cron specs, else
// the schedule is switched off (so that nothing runs behind a test's back); dead dead letters are
// queued before the daemon's workers start.
type daemonOptions struct {
	scheduled bool
	dead      int
	// before runs after the first day, before the daemon starts.
	before func(dc *daemonConsole)
}

func newDaemonConsole(t *testing.T, o daemonOptions) *daemonConsole {
	t.Helper()
	ctx := context.Background()
	rs := testutil.StartRedisServer(t, true) // with AOF: a restart keeps what was queued
	srv, err := mocks.NewServer(mocks.Options{Seed: 11, Enterprises: 40})
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := srv.StartTest()
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	dc := &daemonConsole{ctx: ctx, redis: rs, mocks: srv, token: "daemon-console-token-0123456789", config: filepath.Join(dir, "config.yaml")}
	schedule := "schedule:\n  enterprises: \"-\"\n  certificates: \"-\"\n  alarms: \"-\"\n  employments: \"-\"\n  alerts: \"-\"\n"
	if o.scheduled {
		schedule = ""
	}
	dc.env = []string{"QZ_APP_SECRET=" + ep.AppSecret, "TZ_CLIENT_SECRET=" + ep.ClientSecret, "CONSOLE_TOKEN=" + dc.token,
		"REDIS_PASSWORD=", "STREETSYNC_CONFIG="}
	yaml := fmt.Sprintf(`region:
  code: "350582006"
  name: 灵源街道
redis:
  addr: %q
  password: ${REDIS_PASSWORD}
  prefix: "streetsync:"
ledger:
  driver: sqlite
  dsn: %q
quanzhou:
  baseURL: %q
  appKey: %q
  appSecret: ${QZ_APP_SECRET}
  rateLimit: 1000
  burst: 200
  timeout: 5s
specialOps:
  baseURL: %q
  clientID: %q
  clientSecret: ${TZ_CLIENT_SECRET}
  rateLimit: 1000
  burst: 200
  timeout: 5s
%sretry:
  baseDelay: 1h
alerts:
  channels: []
console:
  listen: 127.0.0.1:0
  token: ${CONSOLE_TOKEN}
`, rs.Addr, filepath.Join(dir, "ledger.db"), ep.QuanzhouBaseURL, ep.AppKey, ep.SpecialOpsBaseURL, ep.ClientID, schedule)
	if err := os.WriteFile(dc.config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range dc.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	cfg, err := config.Parse(dc.config, []byte(yaml), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(cfg, zap.NewNop())
	dc.app = a
	if dc.ledger, err = a.Ledger(ctx); err != nil {
		t.Fatal(err)
	}
	if dc.queue, err = a.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	// The first day: the street's workbook, a full sync, an alert check.
	wb := filepath.Join(dir, "企业台账.xlsx")
	f, err := os.Create(wb)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Dataset.WriteWorkbook(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cat, _ := a.Catalog()
	if _, err := workbook.Import(ctx, dc.ledger, wb, workbook.Options{Catalog: cat, Communities: cfg.Region.Communities}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sync(ctx, jobs.All, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CheckAlerts(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	for op, err := range dc.ledger.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		dc.ids = append(dc.ids, op.IDNumber)
	}

	dc.seedDead(t, o.dead)
	if o.before != nil {
		o.before(dc)
	}

	// The daemon, serving the console.
	c, err := a.Console(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dc.url = "http://" + l.Addr().String()
	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- a.Serve(runCtx, app.DaemonOptions{Console: c.Handler(), Listener: l, StopGrace: 2 * time.Second})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-served:
		case <-time.After(30 * time.Second):
			t.Error("the daemon did not stop within 30s")
		}
		c.Close()
		a.Close()
	})
	return dc
}

// seedDead puts n dead letters into the retry queue, keyed by the ledger's enterprises (before
// the daemon's workers would claim them).
func (dc *daemonConsole) seedDead(t *testing.T, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	recs, _, err := dc.ledger.EnterprisePage(dc.ctx, ledger.EnterpriseQuery{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, err := dc.queue.Enqueue(dc.ctx, jobs.KindEnterpriseReadBack, r.USCC, nil); err != nil {
			t.Fatal(err)
		}
		it, err := dc.queue.Claim(dc.ctx, jobs.KindEnterpriseReadBack, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.queue.Fail(dc.ctx, it, retry.Permanent(fmt.Errorf("平台拒绝（40001）：记录 %s 字段校验失败", r.USCC))); err != nil {
			t.Fatal(err)
		}
	}
}

func (dc *daemonConsole) login(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "log in",
		chromedp.Navigate(dc.url+"/login"),
		visible("#token"),
		chromedp.SetValue(chromedp.CSS("#token"), dc.token),
		chromedp.SetValue(chromedp.CSS("#operator"), "张三"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		visible("#todo"),
	)
}

func (dc *daemonConsole) assertNoFullIDs(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, id := range dc.ids {
		if bytes.Contains(body, []byte(id)) {
			t.Errorf("%s: holds the whole ID number %s…", what, id[:6])
			return
		}
	}
}

// status is the HTTP status of a page fetched by the browser with its session.
func status(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	return value(t, ctx, "fetch "+path, chromedp.Evaluate[int](fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.status)`, path),
		chromedp.EvalAwaitPromise))
}

var consolePages = []string{"/", "/jobs", "/queue", "/queue?view=live", "/reconcile", "/alerts", "/alerts/silences", "/alarms",
	"/ledger", "/ledger?tab=operators", "/ledger?tab=unregistered", "/ledger?tab=quarantine", "/hazards"}

// TestBrowserConsoleWhileRedisIsDown stops the redis-server under the running daemon: every page
// answers 200 with the red banner naming Redis, its address, what still works and what to do;
// /readyz says what is wrong. Redis started again, the banner goes without a restart.
func TestBrowserConsoleWhileRedisIsDown(t *testing.T) {
	ctx := newTab(t)
	dc := newDaemonConsole(t, daemonOptions{dead: 2})
	dc.login(t, ctx)
	if n := eval[int](t, ctx, `document.querySelectorAll(".banner-down").length`); n != 0 {
		t.Fatalf("a banner shows while everything answers")
	}
	dc.redis.Stop()
	for _, p := range consolePages {
		do(t, ctx, p, chromedp.Navigate(dc.url+p), visible("#banner-redis"))
		if p == "/" {
			docShot(t, ctx, "redis-down-overview")
		}
		banner := text(t, ctx, "#banner-redis")
		if !strings.HasPrefix(banner, "Redis 不可用：无法连接 "+dc.redis.Addr+"（连接被拒绝") || !strings.Contains(banner, "重试队列暂不可读") ||
			!strings.Contains(banner, "redis.addr") {
			t.Errorf("%s: banner %q, want Redis named with its address, what is unreadable and what to check", p, banner)
		}
		if got := status(t, ctx, p); got != http.StatusOK {
			t.Errorf("%s: status %d with Redis down, want 200", p, got)
		}
		dc.assertNoFullIDs(t, p, html(t, ctx))
	}
	do(t, ctx, "queue", chromedp.Navigate(dc.url+"/queue"), visible(".panel-down"))
	resp, err := http.Get(dc.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready map[string]string
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || ready["redis"] == "ok" || ready["ledger"] != "ok" {
		t.Errorf("/readyz with Redis down: %d %v, want 503 naming Redis", resp.StatusCode, ready)
	}

	dc.redis.Restart(t)
	// go-redis dials again on its own, once a second: the banner goes at the first page after it.
	deadline := time.Now().Add(15 * time.Second)
	for {
		do(t, ctx, "overview", chromedp.Navigate(dc.url+"/"), visible("#todo"))
		if eval[int](t, ctx, `document.querySelectorAll("#banner-redis").length`) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, p := range consolePages {
		do(t, ctx, p, chromedp.Navigate(dc.url+p), visible(".page-head"))
		if n := eval[int](t, ctx, `document.querySelectorAll(".banner-down").length`); n != 0 {
			t.Errorf("%s: the banner stays with Redis back", p)
		}
	}
	do(t, ctx, "queue", chromedp.Navigate(dc.url+"/queue"), visible("#queue-table"))
	if n := eval[int](t, ctx, `document.querySelectorAll("#queue-table tr[data-id]").length`); n != 2 {
		t.Errorf("the queue lists %d dead letters with Redis back, want 2", n)
	}
}

// TestBrowserTodoMatchesItsListsAndTheCLI puts something on every to-do line of a real
// streetsync, then checks each count on 概览 against the total of the list it links to and the
// number the streetsync binary prints for the same question.
func TestBrowserTodoMatchesItsListsAndTheCLI(t *testing.T) {
	ctx := newTab(t)
	dc := newDaemonConsole(t, daemonOptions{dead: 3})
	bg := dc.ctx
	// Drift: the portal edits an enterprise's address; the next pull sees it.
	recs, _, err := dc.ledger.EnterprisePage(bg, ledger.EnterpriseQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	dc.mocks.Quanzhou.EditEnterprise(recs[0].USCC, func(e *quanzhou.Enterprise) { e.Jydz += "（门户修改）" })
	if _, err := dc.app.Sync(bg, jobs.Enterprises, false); err != nil {
		t.Fatal(err)
	}
	// Not on the platform: an enterprise added to the ledger after the sync.
	added := recs[1].Enterprise
	added.USCC, added.Name = "91350582MA8NEW0017", "晋江市灵源新办鞋材有限公司"
	added.USCC = validUSCC(t, added.USCC)
	if _, err := dc.ledger.UpsertEnterprises(bg, []ledger.EnterpriseInput{{Enterprise: added}}); err != nil {
		t.Fatal(err)
	}
	// Unregistered: a certified person also put on another enterprise's roster.
	var certified ledger.OperatorListing
	ops, _, err := dc.ledger.OperatorPage(bg, ledger.OperatorQuery{Limit: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if _, err := dc.ledger.EmploymentByKey(bg, o.Key()); err == nil && o.EnterpriseUSCC != recs[2].USCC {
			certified = o // registered: so certified
			break
		}
	}
	moved := certified.Operator
	moved.EnterpriseUSCC = recs[2].USCC
	if _, err := dc.ledger.UpsertOperators(bg, []ledger.OperatorInput{{Operator: moved}}); err != nil {
		t.Fatal(err)
	}
	// Quarantined, and a refused feedback.
	if err := dc.ledger.AddToQuarantine(bg, []ledger.QuarantineEntry{{Source: ledger.SourceQuanzhou, Kind: ledger.KindEnterprise,
		Key: recs[3].USCC, Reasons: mapping.Problems{{Label: "主要负责人电话", Reason: "号码位数不对"}}}}); err != nil {
		t.Fatal(err)
	}
	alarms, _, err := dc.ledger.AlarmPage(bg, ledger.AlarmQuery{Limit: 1})
	if err != nil || len(alarms) == 0 {
		t.Fatalf("no alarm: %v", err)
	}
	fb, _, err := dc.ledger.RecordAlarmFeedback(bg, mapping.AlarmFeedback{AlarmID: alarms[0].ID, Status: "2", Note: "已处置", Handler: "李四", HandledAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := dc.ledger.MarkFeedbackRejected(bg, fb.ID, "处置说明过短", time.Now()); err != nil {
		t.Fatal(err)
	}

	dc.login(t, ctx)
	type line struct {
		Key, Link string
		Count     int
	}
	lines := eval[[]line](t, ctx, `[...document.querySelectorAll("[data-todo]")].map(e => ({
		Key: e.dataset.todo, Link: e.querySelector(".todo-link") ? e.querySelector(".todo-link").getAttribute("href") : e.getAttribute("href"),
		Count: parseInt(e.querySelector(".todo-count").textContent, 10)}))`)
	if len(lines) != 12 {
		t.Fatalf("%d to-do lines, want 12: %+v", len(lines), lines)
	}
	counts := map[string]int{}
	for _, l := range lines {
		counts[l.Key] = l.Count
		do(t, ctx, l.Link, chromedp.Navigate(dc.url+l.Link), visible("[data-total]"))
		if got := eval[int](t, ctx, `parseInt(document.querySelector("[data-total]").dataset.total, 10)`); got != l.Count {
			t.Errorf("%s: 概览 says %d, the list at %s holds %d", l.Key, l.Count, l.Link, got)
		}
		dc.assertNoFullIDs(t, l.Link, html(t, ctx))
	}
	for _, key := range []string{"uncertified", "alarmAlerts", "majorHazards", "overdueHazards", "dead", "notOnPlatform", "pendingReview",
		"drifted", "unregistered", "quarantined", "feedbackRefused"} {
		if counts[key] == 0 {
			t.Errorf("the %s line is 0: the test meant to give it something", key)
		}
	}

	// The CLI's answers to the same questions.
	var rep reconcile.Report
	dc.cli(t, &rep, "reconcile", "all")
	var stats retry.Stats
	dc.cli(t, &stats, "queue", "stats")
	alertsTotal := func(args ...string) int {
		var p struct {
			Total int `json:"total"`
		}
		dc.cli(t, &p, append([]string{"alerts", "list"}, args...)...)
		return p.Total
	}
	hazardsTotal := func(args ...string) int {
		var l struct {
			Hazards []json.RawMessage `json:"hazards"`
		}
		dc.cli(t, &l, append([]string{"hazards", "list"}, args...)...)
		return len(l.Hazards)
	}
	for _, c := range []struct {
		key string
		cli int
	}{
		{"majorHazards", hazardsTotal("--level", "重大", "--status", "open")},
		{"overdueHazards", hazardsTotal("--status", "overdue")},
		{"uncertified", alertsTotal("--family", "certificate", "--severity", "critical", "--status", "firing")},
		{"uncertified", rep.Operators.Uncertified},
		{"alarmAlerts", alertsTotal("--family", "alarm", "--status", "firing")},
		{"systemAlerts", alertsTotal("--family", "system", "--status", "firing")},
		{"dead", stats.Dead},
		{"notOnPlatform", len(rep.Enterprises.OnlyInLedger)},
		{"pendingReview", len(rep.Enterprises.OnlyOnPlatform)},
		{"drifted", len(rep.Enterprises.Different)},
		{"unregistered", len(rep.Operators.Unregistered)},
	} {
		if counts[c.key] != c.cli {
			t.Errorf("%s: 概览 says %d, the CLI %d", c.key, counts[c.key], c.cli)
		}
	}
}

// cli runs the streetsync binary with the daemon's configuration and decodes its JSON.
func (dc *daemonConsole) cli(t *testing.T, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(streetsyncBinary(t), append([]string{"--config", dc.config, "--format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), dc.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: something to report
		t.Fatalf("streetsync %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("streetsync %s: %v: %s", strings.Join(args, " "), err, out.String())
	}
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// streetsyncBinary builds cmd/streetsync once per test binary.
func streetsyncBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "console-cli-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "streetsync")
		cmd := exec.Command("go", "build", "-o", binaryPath, "streetsync/cmd/streetsync")
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// docShot saves the 1366×768 window as docs/screenshots/NAME.png when CONSOLE_DOC_SCREENSHOTS
// names that folder (the README's screenshots are made so).
func docShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CONSOLE_DOC_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf := value(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// validUSCC gives s (18 characters, the last one to be replaced) its GB 32100 check character.
func validUSCC(t *testing.T, s string) string {
	t.Helper()
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(chars, s[i])
		if v < 0 {
			t.Fatalf("%q is not a USCC", s)
		}
		sum += v * weights[i]
	}
	return s[:17] + string(chars[(31-sum%31)%31])
}

// TestBrowserOutcomesAndScreenshots gives a real streetsync one run of each outcome — success on
// the first day, partial when the platform fails one pushed record, platform unavailable during
// its maintenance, failed when it answers garbage — a silence or two, and walks 概览, 同步任务,
// 持证预警 (a search in use) and 静默 at 1366×768: each outcome's badge in its colour with its
// reason, the platform's health. With CONSOLE_DOC_SCREENSHOTS=docs/screenshots (from the module
// root: ../../docs/screenshots) the README's screenshots are written.
func TestBrowserOutcomesAndScreenshots(t *testing.T) {
	ctx := newTab(t)
	dc := newDaemonConsole(t, daemonOptions{scheduled: true, dead: 2, before: func(dc *daemonConsole) {
		bg, qz := dc.ctx, dc.mocks.Quanzhou
		recs, _, err := dc.ledger.EnterprisePage(bg, ledger.EnterpriseQuery{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		edited := recs[0].Enterprise
		edited.Address += "（东侧厂房）"
		if _, err := dc.ledger.UpsertEnterprises(bg, []ledger.EnterpriseInput{{Enterprise: edited}}); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			faults fault.Faults
			job    string
			within time.Duration
		}{
			{fault.Faults{ItemStoreFailure: 1}, jobs.Enterprises, time.Minute},                         // the edited record fails: partial
			{fault.Faults{Maintenance: true, MaintenanceRetryAfter: 1}, jobs.Enterprises, time.Minute}, // nothing answers
			{fault.Faults{Hang: 1}, jobs.Alarms, time.Second},                                          // stopped while it hangs: failed
		} {
			qz.SetFaults(step.faults)
			runCtx, cancel := context.WithTimeout(bg, step.within)
			_, _ = dc.app.Sync(runCtx, step.job, false) // the outcome is in the run history
			cancel()
		}
		qz.SetFaults(fault.Faults{})
		st, err := dc.app.AlertStore(bg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.Page(bg, alerts.Filter{Status: "firing", Family: "certificate", PageSize: 1})
		if err != nil || len(p.Alerts) == 0 {
			t.Fatalf("no alert to silence: %v", err)
		}
		if _, err := st.Silence(bg, alerts.Matcher{Key: p.Alerts[0].Key}, time.Now().Add(7*24*time.Hour), "企业停产检修，人员已离岗待办手续", "李四"); err != nil {
			t.Fatal(err)
		}
		w, err := st.Page(bg, alerts.Filter{Status: "firing", Family: "certificate", Severity: "warning", PageSize: 1})
		if err != nil || len(w.Alerts) == 0 {
			t.Fatalf("no warning to silence: %v", err)
		}
		if _, err := st.Silence(bg, alerts.Matcher{Community: w.Alerts[0].Community, Rule: w.Alerts[0].Rule}, time.Now().Add(30*24*time.Hour),
			"社区已集中通知，企业正在安排复审", "王五"); err != nil {
			t.Fatal(err)
		}
	}})
	runs, _, err := dc.app.RunPage(dc.ctx, "", 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, r := range runs {
		if _, ok := seen[string(r.Outcome)]; !ok {
			seen[string(r.Outcome)] = r.Reason
		}
	}
	for _, o := range []string{"success", "partial", "platform_unavailable", "failed"} {
		if _, ok := seen[o]; !ok {
			t.Errorf("no run ended %s; the runs: %v", o, seen)
		}
	}

	dc.login(t, ctx)
	docShot(t, ctx, "overview")
	do(t, ctx, "jobs", chromedp.Navigate(dc.url+"/jobs"), visible("#run-history"))
	docShot(t, ctx, "jobs")
	type badge struct{ Outcome, Text, Background, Reason string }
	badges := eval[[]badge](t, ctx, `[...document.querySelectorAll("#run-history tr[data-outcome]")].map(r => ({
		Outcome: r.dataset.outcome, Text: r.querySelector(".outcome").textContent,
		Background: getComputedStyle(r.querySelector(".outcome")).backgroundColor,
		Reason: (r.querySelector(".reason, .error-text") || {textContent: ""}).textContent}))`)
	want := map[string][2]string{
		"success": {"成功", "rgb(220, 252, 231)"}, "partial": {"部分完成", "rgb(254, 243, 199)"},
		"platform_unavailable": {"平台不可用", "rgb(253, 232, 231)"}, "failed": {"失败", "rgb(253, 232, 231)"},
	}
	found := map[string]bool{}
	for _, b := range badges {
		w, ok := want[b.Outcome]
		if !ok || found[b.Outcome] {
			continue
		}
		found[b.Outcome] = true
		if b.Text != w[0] || b.Background != w[1] {
			t.Errorf("%s: badge %q in %s, want %q in %s", b.Outcome, b.Text, b.Background, w[0], w[1])
		}
		if b.Outcome != "success" && strings.TrimSpace(b.Reason) == "" {
			t.Errorf("%s: no reason shown", b.Outcome)
		}
	}
	if len(found) != 4 {
		t.Errorf("the history shows outcomes %v, want all four", found)
	}
	health := text(t, ctx, "#platform-health")
	if !strings.Contains(health, "泉州市安全生产标准化智慧管理平台") || !strings.Contains(health, "最近成功调用") {
		t.Errorf("no health line for the Quanzhou platform: %q", health)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#job-table .tick, #job-table .muted").length`); n == 0 {
		t.Errorf("the jobs' schedule is not shown")
	}

	// 持证预警 with a search in use.
	st, _ := dc.app.AlertStore(dc.ctx)
	p, err := st.Page(dc.ctx, alerts.Filter{Status: "firing", Family: "certificate", Severity: "critical", PageSize: 5})
	if err != nil || len(p.Alerts) < 2 {
		t.Fatalf("alerts: %v", err)
	}
	name := p.Alerts[1].Operator.Name
	do(t, ctx, "search",
		chromedp.Navigate(dc.url+"/alerts"), visible("#f-q"),
		chromedp.SendKeys(chromedp.CSS("#f-q"), name),
		chromedp.Click(chromedp.CSS("#apply-filter")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#f-q[value=%q]`, name))),
	)
	docShot(t, ctx, "alerts-search")
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll("#alerts-table tr[data-key] td:nth-child(4)")].map(td => td.textContent)`)
	if len(rows) == 0 {
		t.Errorf("searching %s finds nothing", name)
	}
	for _, r := range rows {
		if !strings.Contains(r, name) {
			t.Errorf("searching %s lists %q", name, r)
		}
	}
	if msg := text(t, ctx, "#alerts-table tr[data-key] .alert-message"); !strings.Contains(msg, "请") {
		t.Errorf("the row's what-to-do text %q says nothing to do", msg)
	}
	dc.assertNoFullIDs(t, "alerts", html(t, ctx))

	do(t, ctx, "silences", chromedp.Navigate(dc.url+"/alerts/silences"), visible("#silences-table"))
	docShot(t, ctx, "silences")
	if n := eval[int](t, ctx, `document.querySelectorAll("#silences-table tr[data-silence]").length`); n != 2 {
		t.Errorf("%d silences listed, want 2", n)
	}
	do(t, ctx, "unsilence", chromedp.Click(chromedp.CSS("#silences-table tr[data-silence] button")), visible(".flash-ok"))
	if n := eval[int](t, ctx, `document.querySelectorAll("#silences-table tr[data-silence]").length`); n != 1 {
		t.Errorf("%d silences after 解除, want 1", n)
	}
	for _, p := range consolePages {
		do(t, ctx, p, chromedp.Navigate(dc.url+p), visible(".page-head"))
		if got := eval[int](t, ctx, `document.documentElement.scrollWidth`); got > 1366 {
			t.Errorf("%s is %d pixels wide, wider than the 1366-pixel screen", p, got)
		}
		dc.assertNoFullIDs(t, p, html(t, ctx))
	}
}
