package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/app"
	"streetsync/internal/console"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// Browser tests: Debian's headless Chromium driven by chromedp against the console of a real
// streetsync — internal/app's demo: both mock platforms over loopback, a SQLite ledger in a temp
// dir, the embedded Redis, the real sync jobs, scheduler history, reconciliation, workbook and
// alert checker — after a first day's import, full sync and alert check.
//
// One browser serves the whole test binary. Without /usr/bin/chromium (or CHROMIUM) the tests are
// skipped, except in CI, where they fail. CONSOLE_SCREENSHOTS=DIR saves a 1366×768 screenshot
// (and a full-page one) of every page visited.

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel []context.CancelFunc
	browserErr    error
)

func TestMain(m *testing.M) {
	if role := os.Getenv(benchChildEnv); role != "" { // BenchmarkConsoleAtScale's ledger and report, built apart
		os.Exit(prepareBenchLedger(role))
	}
	flag.Parse()
	// Chromium takes a while to start on this machine: start it while the other tests run.
	if run := flag.Lookup("test.run").Value.String(); chromiumPath() != "" && !testing.Short() {
		if re, err := regexp.Compile(run); err == nil && (run == "" || re.MatchString("TestBrowserConsole")) {
			go browserOnce.Do(startBrowser)
		}
	}
	code := m.Run()
	browserOnce.Do(func() {}) // waits for a start under way
	for i := len(browserCancel) - 1; i >= 0; i-- {
		browserCancel[i]()
	}
	os.Exit(code)
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	p, _ := exec.LookPath("chromium")
	return p
}

// startBrowser starts the shared Chromium with the flags the office machines' kiosk uses.
func startBrowser() {
	dir, err := os.MkdirTemp("", "console-chromium-")
	if err != nil {
		browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1366, 768),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	browserCancel = append(browserCancel, func() { os.RemoveAll(dir) }, cancelAlloc, cancelBrowser)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		browserErr = err
		return
	}
	browserCtx = ctx
}

// newTab returns a tab in a fresh browser context (its own cookies) of the shared browser;
// confirm() dialogs are accepted.
func newTab(t *testing.T) context.Context {
	t.Helper()
	if chromiumPath() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must have Chromium at /usr/bin/chromium (apt-get install chromium)")
		}
		t.Skip("no Chromium at /usr/bin/chromium: browser tests skipped (set CHROMIUM to its path)")
	}
	browserOnce.Do(startBrowser)
	if browserErr != nil {
		t.Fatalf("start chromium: %v", browserErr)
	}
	tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	dialogs := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	// A guard against a hung browser only; the walk takes a fraction of it.
	tab, cancelTimeout := context.WithTimeout(tab, 100*time.Second)
	t.Cleanup(cancelTimeout)
	return tab
}

// demoConsole is a real streetsync after its first day, with its console served over loopback.
type demoConsole struct {
	ctx    context.Context
	demo   *app.Demo
	ledger ledger.Store
	queue  *retry.Queue
	alerts *alerts.Store
	ts     *httptest.Server
	// ids are every ID number the ledger holds whole: no page or response may contain one.
	ids []string
	// dead are the items seeded into the dead letters; changed is the enterprise edited in the
	// ledger after the sync (a difference for reconciliation).
	dead    []string
	changed string
	srv     *console.Server
}

func newDemoConsole(t *testing.T) *demoConsole {
	t.Helper()
	ctx := context.Background()
	d, err := app.NewDemo(ctx, app.DemoOptions{Seed: 11, Enterprises: 40, Listen: "127.0.0.1:0"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	dc := &demoConsole{ctx: ctx, demo: d}
	if dc.ledger, err = d.App.Ledger(ctx); err != nil {
		t.Fatal(err)
	}
	if dc.queue, err = d.App.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	if dc.alerts, err = d.App.AlertStore(ctx); err != nil {
		t.Fatal(err)
	}
	var roster []ledger.OperatorRecord
	for op, err := range dc.ledger.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		roster = append(roster, op)
		dc.ids = append(dc.ids, op.IDNumber)
	}
	// A street-owned field edited in the ledger after the sync: reconciliation shows it, apply
	// pushes it.
	var ents []ledger.EnterpriseRecord
	for e, err := range dc.ledger.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, e)
	}
	edit := ents[0].Enterprise
	edit.Address += "（东侧厂房）"
	if _, err := dc.ledger.UpsertEnterprises(ctx, []ledger.EnterpriseInput{{Enterprise: edit}}); err != nil {
		t.Fatal(err)
	}
	dc.changed = edit.USCC
	// Three dead letters, one keyed by a roster entry (so by an ID number).
	for _, k := range [][2]string{
		{jobs.KindEmploymentSync, roster[0].Key().String()},
		{jobs.KindEnterprisePush, ents[1].USCC},
		{jobs.KindEnterprisePush, ents[2].USCC},
	} {
		if _, err := dc.queue.Enqueue(ctx, k[0], k[1], nil); err != nil {
			t.Fatal(err)
		}
		it, err := dc.queue.Claim(ctx, k[0], time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.queue.Fail(ctx, it, retry.Permanent(fmt.Errorf("平台拒绝（40001）：记录 %s 字段校验失败", k[1]))); err != nil {
			t.Fatal(err)
		}
		dc.dead = append(dc.dead, it.ID)
	}
	srv, err := d.App.Console(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dc.srv = srv
	dc.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(dc.ts.Close)
	return dc
}

func (dc *demoConsole) assertNoFullIDs(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, id := range dc.ids {
		if bytes.Contains(body, []byte(id)) {
			t.Errorf("%s: holds the whole ID number %s…", what, id[:6])
			return
		}
	}
}

// shot saves a screenshot of the window and one of the whole page when CONSOLE_SCREENSHOTS
// names a directory.
func shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		dir := os.Getenv("CONSOLE_SCREENSHOTS")
		if dir == "" {
			return nil
		}
		buf, err := chromedp.CaptureScreenshot()(ctx, t)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			return err
		}
		if buf, err = chromedp.FullScreenshot(100)(ctx, t); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+"-full.png"), buf, 0o644)
	})
}

func do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func value[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(value(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return value(t, ctx, expr, chromedp.Evaluate[T](expr))
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

func html(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	return []byte(eval[string](t, ctx, `document.documentElement.outerHTML`))
}

// TestBrowserConsole walks through the console the way an operator would. The steps share one
// browser context and one streetsync: Chromium is slow to start here, and the whole walk must
// stay well under a minute.
func TestBrowserConsole(t *testing.T) {
	ctx := newTab(t)
	dc := newDemoConsole(t)
	t.Run("a wrong token is refused", func(t *testing.T) {
		do(t, ctx, "wrong token",
			chromedp.Navigate(dc.ts.URL+"/alerts"),
			visible("#token"),
			shot("login"),
			chromedp.SetValue(chromedp.CSS("#token"), "not-the-token"),
			chromedp.Click(chromedp.CSS("#login-submit")),
			visible("#login-error"),
		)
		if got := text(t, ctx, "#login-error"); got != console.MsgBadToken {
			t.Errorf("login error: got %q, want %q", got, console.MsgBadToken)
		}
	})
	do(t, ctx, "log in",
		chromedp.SetValue(chromedp.CSS("#token"), dc.demo.Token),
		chromedp.SetValue(chromedp.CSS("#operator"), "张三"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		visible("#alerts-table"), // back where the login was asked for
	)
	for _, step := range []struct {
		name string
		run  func(*testing.T, context.Context, *demoConsole)
	}{
		{"the overview shows queue, alerts and charts", browserOverview},
		{"reconcile, download the xlsx, apply", browserReconcile},
		{"page a city's reconcile report list by list", browserReconcilePaged},
		{"retry a dead item", browserRetryDead},
		{"filter alerts by community and rule", browserFilterAlerts},
		{"record alarm feedback", browserAlarmFeedback},
		{"a post without the CSRF token is refused", browserPostWithoutCSRF},
		{"pages fit a 1366-pixel screen and mask ID numbers", browserPagesFit},
		{"run a job now", browserRunJob},
		{"an import's result is at the top, red when rows were rejected", browserImportResult},
	} {
		t.Run(step.name, func(t *testing.T) { step.run(t, ctx, dc) })
	}
}

func browserOverview(t *testing.T, ctx context.Context, dc *demoConsole) {
	do(t, ctx, "overview", chromedp.Navigate(dc.ts.URL+"/"), visible("#chart-alerts svg"), shot("overview"))
	if got := text(t, ctx, "#dead-count"); got != "3" {
		t.Errorf("dead items on the overview: got %q, want 3", got)
	}
	bars := eval[int](t, ctx, `document.querySelectorAll("#chart-alerts svg rect").length`)
	alarmBars := eval[int](t, ctx, `document.querySelectorAll("#chart-alarms svg rect").length`)
	runs := eval[int](t, ctx, `document.querySelectorAll("#job-table svg rect").length`)
	if bars == 0 || alarmBars == 0 || runs < len(jobs.Names) {
		t.Errorf("charts: got %d alert bars, %d alarm bars, %d run marks; want some of each", bars, alarmBars, runs)
	}
	dc.assertNoFullIDs(t, "overview", html(t, ctx))
}

func browserReconcile(t *testing.T, ctx context.Context, dc *demoConsole) {
	do(t, ctx, "run reconciliation",
		chromedp.Navigate(dc.ts.URL+"/reconcile"),
		visible("#run-reconcile"),
		chromedp.Click(chromedp.CSS("#run-reconcile")),
		visible("#report"),
		visible("#diff-table"),
		shot("reconcile"),
	)
	if got := text(t, ctx, "#diff-table tbody td code"); got != dc.changed {
		t.Errorf("first difference: got %s, want the edited enterprise %s", got, dc.changed)
	}
	dc.assertNoFullIDs(t, "reconcile page", html(t, ctx))

	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do(t, ctx, "download",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			enabled := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &enabled,
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
			})
			return err
		}),
		chromedp.Click(chromedp.CSS("#download-report")),
	)
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("the report download did not complete: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("downloaded report is not an xlsx workbook: %v", err)
	}
	var cells []string
	for _, sheet := range x.GetSheetList() {
		rows, _ := x.GetRows(sheet)
		for _, r := range rows {
			cells = append(cells, r...)
		}
	}
	x.Close()
	if !slices.Contains(cells, dc.changed) {
		t.Errorf("the downloaded report does not list the edited enterprise %s", dc.changed)
	}
	dc.assertNoFullIDs(t, "downloaded report", []byte(strings.Join(cells, "\n")))

	do(t, ctx, "apply", chromedp.Click(chromedp.CSS("#apply")), visible("#applied"), shot("reconcile-applied"))
	if n := eval[int](t, ctx, `document.querySelectorAll("#diff-table").length`); n != 0 {
		t.Errorf("after apply the report still lists differences")
	}
}

// A city's report: each list pages on its own, and the next page of one list comes back to that
// list's table with its next hundred rows, the other lists where they were.
func browserReconcilePaged(t *testing.T, ctx context.Context, dc *demoConsole) {
	console.SetLastReport(dc.srv, console.BigReport(250, 120), time.Now())
	do(t, ctx, "open the report", chromedp.Navigate(dc.ts.URL+"/reconcile"), visible("#next-unregistered"))
	if got := text(t, ctx, "#unregistered tbody tr td"); got != "人员00000" {
		t.Errorf("first row of the unregistered list: %q, want 人员00000", got)
	}
	do(t, ctx, "next page of the unregistered list",
		chromedp.Click(chromedp.CSS("#next-unregistered")),
		visible("#prev-unregistered"), // only on a later page of that list
		shot("reconcile-paged"))
	if rows := eval[int](t, ctx, `document.querySelectorAll("#unregistered tbody tr").length`); rows != 100 {
		t.Errorf("page 2 of the unregistered list shows %d rows, want 100", rows)
	}
	if got := text(t, ctx, "#only-ledger tbody tr td:nth-child(2)"); got != "企业00000" {
		t.Errorf("the other list moved: its first row is %q, want 企业00000", got)
	}
	if top := eval[float64](t, ctx, `document.getElementById("list-unregistered").getBoundingClientRect().top`); top < 0 || top > 200 {
		t.Errorf("after paging, the unregistered list's heading is at %.0f px from the top of the window: want it at the top", top)
	}
	if got := eval[string](t, ctx, `location.hash`); got != "#list-unregistered" {
		t.Errorf("location hash %q, want #list-unregistered", got)
	}
}

func browserRetryDead(t *testing.T, ctx context.Context, dc *demoConsole) {
	id := dc.dead[0]
	do(t, ctx, "retry",
		chromedp.Navigate(dc.ts.URL+"/queue"),
		visible("#queue-table"),
		shot("queue"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id=%q] button[formaction="/queue/retry"]`, id))),
		visible(".flash-ok"),
	)
	if got, want := text(t, ctx, ".flash-ok"), fmt.Sprintf(console.FlashRetried, 1); got != want {
		t.Errorf("flash: got %q, want %q", got, want)
	}
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('tr[data-id=%q]').length`, id)); n != 0 {
		t.Errorf("the retried item is still listed among the dead")
	}
	dead, err := dc.queue.List(dc.ctx, retry.ListOptions{Dead: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 {
		t.Errorf("dead items after one retry: got %d, want 2", len(dead))
	}
}

func browserFilterAlerts(t *testing.T, ctx context.Context, dc *demoConsole) {
	page, err := dc.alerts.Page(dc.ctx, alerts.Filter{Status: "firing", PageSize: 1000})
	if err != nil || len(page.Alerts) == 0 {
		t.Fatalf("no firing alerts (%v)", err)
	}
	firing := page.Alerts
	community, rule := firing[0].Community, firing[0].Rule
	want := 0
	for _, a := range firing {
		if a.Community == community && a.Rule == rule {
			want++
		}
	}
	do(t, ctx, "filter",
		chromedp.Navigate(dc.ts.URL+"/alerts"),
		visible("#alerts-table"),
		chromedp.SetValue(chromedp.CSS("#f-community"), community),
		chromedp.SetValue(chromedp.CSS("#f-rule"), rule),
		chromedp.Click(chromedp.CSS("#apply-filter")),
		chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#f-rule option[value=%q][selected]`, rule))),
		shot("alerts"),
	)
	got := eval[[]string](t, ctx, `[...document.querySelectorAll("#alerts-table tbody tr[data-key]")].map(r => r.dataset.community + "|" + r.dataset.rule)`)
	if len(got) != want {
		t.Errorf("filtered rows: got %d, want %d", len(got), want)
	}
	for _, g := range got {
		if g != community+"|"+rule {
			t.Errorf("filtered row %q, want only %s|%s", g, community, rule)
		}
	}
}

func browserAlarmFeedback(t *testing.T, ctx context.Context, dc *demoConsole) {
	do(t, ctx, "alarms", chromedp.Navigate(dc.ts.URL+"/alarms?show=unhandled&days=0"), visible("#alarms-table tr[data-alarm]"), shot("alarms"))
	alarmID := eval[string](t, ctx, `document.querySelector("#alarms-table tr[data-alarm]").dataset.alarm`)
	row := fmt.Sprintf(`tr[data-alarm=%q]`, alarmID)
	do(t, ctx, "feedback",
		chromedp.Click(chromedp.CSS(row+" summary")),
		visible(row+" textarea[name=note]"),
		chromedp.SetValue(chromedp.CSS(row+" select[name=status]"), "2"),
		chromedp.SendKeys(chromedp.CSS(row+" textarea[name=note]"), "已到现场检查，压差恢复正常"),
		shot("alarm-feedback-form"),
		chromedp.Click(chromedp.CSS(row+" form button")),
		visible(".flash-ok"),
	)
	if got := text(t, ctx, ".flash-ok"); got != console.FlashFeedback {
		t.Errorf("flash: got %q, want %q", got, console.FlashFeedback)
	}
	fbs, err := dc.ledger.AlarmFeedback(dc.ctx, alarmID)
	if err != nil {
		t.Fatal(err)
	}
	// The wiring pushes feedback to the (mock) platform at once.
	if len(fbs) != 1 || fbs[0].Status != "2" || fbs[0].Handler != "张三" || fbs[0].State != ledger.PushAccepted {
		t.Errorf("recorded feedback: got %+v, want one 已处置 by 张三, accepted by the platform", fbs)
	}
}

// browserPostWithoutCSRF posts a form without the CSRF token, as another site's page would.
func browserPostWithoutCSRF(t *testing.T, ctx context.Context, dc *demoConsole) {
	id := dc.dead[1]
	do(t, ctx, "post without csrf",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](fmt.Sprintf(`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/queue/drop";
				const i = document.createElement("input"); i.name = "id"; i.value = %q; f.appendChild(i); document.body.appendChild(f); f.submit(); })()`, id))(ctx, tg)
			return err
		}),
		visible("#error-message"),
	)
	if got := text(t, ctx, "#error-message"); got != console.MsgCSRF {
		t.Errorf("refusal: got %q, want %q", got, console.MsgCSRF)
	}
	dead, err := dc.queue.List(dc.ctx, retry.ListOptions{Dead: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(dead, func(it retry.ItemInfo) bool { return it.ID == id }) {
		t.Errorf("the item posted for dropping without a CSRF token is gone")
	}
}

func browserPagesFit(t *testing.T, ctx context.Context, dc *demoConsole) {
	for _, p := range []struct{ path, wait, name string }{
		{"/", "#chart-alerts svg", "overview"},
		{"/jobs", "#run-history", "jobs"},
		{"/queue?view=live", "#queue-table", "queue-live"},
		{"/alerts", "#alerts-table", "alerts"},
		{"/alarms", "#alarms-table", "alarms"},
		{"/reconcile", "#report", "reconcile"},
		{"/ledger", "#enterprise-table", "ledger"},
		{"/ledger?tab=operators", "#operator-table", "ledger-operators"},
	} {
		do(t, ctx, p.path, chromedp.Navigate(dc.ts.URL+p.path), visible(p.wait), shot("page-"+p.name))
		// Nothing may overflow the 1366-pixel window sideways.
		if got := eval[int](t, ctx, `document.documentElement.scrollWidth`); got > 1366 {
			t.Errorf("%s is %d pixels wide, wider than the 1366-pixel screen", p.path, got)
		}
		dc.assertNoFullIDs(t, p.path, html(t, ctx))
	}
}

func browserRunJob(t *testing.T, ctx context.Context, dc *demoConsole) {
	do(t, ctx, "run a job",
		chromedp.Navigate(dc.ts.URL+"/jobs"),
		visible("#run-enterprises"),
		chromedp.Click(chromedp.CSS("#run-enterprises")),
		visible("#task-result"),
		shot("jobs-run"),
	)
	if got := eval[string](t, ctx, `document.querySelector("#run-history tbody tr td").textContent`); got != "企业信息同步" {
		t.Errorf("the newest run in the history: %q, want the manual 企业信息同步", got)
	}
}

// browserImportResult uploads (as a dry run) a community's CSV with 1 050 rows whose phone is
// wrong and one good row naming a community the street does not have. The result is at the top
// of the ledger page, red, with the counts, the first 1 000 rejected rows, the counts by column
// and reason of all of them, the warning, and a download of the full list.
func browserImportResult(t *testing.T, ctx context.Context, dc *demoConsole) {
	var ents []ledger.EnterpriseRecord
	for e, err := range dc.ledger.Enterprises(dc.ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, e)
	}
	const bad = 1050
	var b strings.Builder
	b.WriteString("统一社会信用代码,企业名称,法定代表人,主要负责人,主要负责人电话,经营地址,所属社区,行业类别,企业状态\r\n")
	for i := 0; i < bad; i++ {
		fmt.Fprintf(&b, "%s,%s,王建国,王建国,0595-12,灵源街道林口路%d号,林口社区,轻工,在营\r\n", ents[i%len(ents)].USCC, ents[i%len(ents)].Name, i)
	}
	fmt.Fprintf(&b, "%s,%s,王建国,王建国,13905951234,灵源街道英墩路8号,英墩社区,轻工,在营\r\n", ents[0].USCC, ents[0].Name)
	path := filepath.Join(t.TempDir(), "企业台账-社区报送.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "upload",
		chromedp.Navigate(dc.ts.URL+"/ledger"),
		visible("#import-form"),
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}),
		chromedp.Click(chromedp.CSS(`#import-form input[name=dryRun]`)),
		chromedp.Click(chromedp.CSS("#import-submit")),
		visible("#import-result"),
		shot("ledger-import-result"),
	)
	type box struct{ Top, ListTop float64 }
	pos := eval[box](t, ctx, `({Top: document.querySelector("#import-result").getBoundingClientRect().top,
		ListTop: document.querySelector("#enterprise-table").getBoundingClientRect().top})`)
	if pos.Top > 150 || pos.Top >= pos.ListTop {
		t.Errorf("the result is at %.0f px, the ledger table at %.0f px: want the result first, at the top", pos.Top, pos.ListTop)
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector("#import-result")).borderTopColor`); got != "rgb(217, 45, 32)" {
		t.Errorf("the result's border is %s, want the critical red", got)
	}
	if got := text(t, ctx, "#import-rejected-count"); got != fmt.Sprintf("被拒绝 %d 行", bad) {
		t.Errorf("rejected count %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#rejected tbody tr").length`); n != 1000 {
		t.Errorf("%d rejected rows listed, want the first 1000", n)
	}
	if got := text(t, ctx, "#rejected-counts tbody tr"); !strings.Contains(got, "主要负责人电话") || !strings.Contains(got, fmt.Sprint(bad)) {
		t.Errorf("counts by column and reason: %q", got)
	}
	if got := text(t, ctx, "#import-warnings tbody tr"); !strings.Contains(got, "英墩社区") || !strings.Contains(got, "林口社区") {
		t.Errorf("warning row %q, want the unknown community and the known ones", got)
	}
	type download struct {
		Status int
		Type   string
		Body   string
	}
	dl := value(t, ctx, "download the full list", chromedp.Evaluate[download](`(async () => {
		const r = await fetch(document.querySelector("#import-rejected-download").href);
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ""; for (const x of b) s += String.fromCharCode(x);
		return {Status: r.status, Type: r.headers.get("content-type"), Body: btoa(s)};
	})()`, chromedp.EvalAwaitPromise))
	body, err := base64.StdEncoding.DecodeString(dl.Body)
	if err != nil || dl.Status != http.StatusOK {
		t.Fatalf("download: %d %s %v", dl.Status, dl.Type, err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the full list is not an xlsx workbook: %v", err)
	}
	rejected, _ := x.GetRows("被拒绝的行")
	warnings, _ := x.GetRows("提示")
	x.Close()
	if len(rejected) != bad+1 || len(warnings) != 2 {
		t.Errorf("the full list holds %d rejections and %d warnings (with headers), want %d and 2", len(rejected), len(warnings), bad+1)
	}
	dc.assertNoFullIDs(t, "import result", html(t, ctx))
}

// TestAPIOverTheRealStreetsyncMasksIDNumbers calls every listing of the API on a real
// streetsync (after a reconciliation) and finds no whole ID number in any answer.
func TestAPIOverTheRealStreetsyncMasksIDNumbers(t *testing.T) {
	dc := newDemoConsole(t)
	get := func(method, path, body string) []byte {
		req, _ := http.NewRequest(method, dc.ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+dc.demo.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: status %d (%s)", method, path, resp.StatusCode, b)
		}
		return b
	}
	rep := get("POST", "/api/reconcile", `{"scope":"all"}`)
	if !bytes.Contains(rep, []byte(`"onlyOnPlatform":[{`)) || !bytes.Contains(rep, []byte(`"unknownItems":[{`)) {
		t.Errorf("the reconciliation lists nothing: %s", rep)
	}
	dc.assertNoFullIDs(t, "reconcile", rep)
	for _, path := range []string{
		"/api/overview", "/api/queue/items?dead=true", "/api/reconcile/report", "/api/alerts?status=",
		"/api/alarms?days=0", "/api/ledger/operators?size=1000", "/api/ledger/enterprises?size=1000", "/api/jobs/runs",
	} {
		dc.assertNoFullIDs(t, path, get("GET", path, ""))
	}
	// A file that is no workbook is refused with the workbook package's reason (400).
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "台账.xlsx")
	fw.Write([]byte("this is not a workbook"))
	mw.Close()
	req, _ := http.NewRequest("POST", dc.ts.URL+"/api/workbook/import", &body)
	req.Header.Set("Authorization", "Bearer "+dc.demo.Token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("台账.xlsx：")) {
		t.Errorf("import of a broken file: %d %s, want 400 naming the file and the reason", resp.StatusCode, b)
	}

	// The export is the ledger's own copy: whole ID numbers, as the operator contract says.
	x, err := excelize.OpenReader(bytes.NewReader(get("GET", "/api/workbook/export", "")))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows(string(mapping.SheetOperators))
	found := false
	for _, r := range rows {
		found = found || slices.Contains(r, dc.ids[0])
	}
	if !found {
		t.Errorf("the exported roster lacks a whole ID number")
	}
}

// The API's import answer lists the first 1 000 rejected rows, counts the rest, lists the
// warnings and links the full list, which the token downloads; the 9th newer list pushes the
// oldest out, and an unknown list is 404.
func TestAPIImportResultLinksTheFullList(t *testing.T) {
	dc := newDemoConsole(t)
	var ent ledger.EnterpriseRecord
	for e, err := range dc.ledger.Enterprises(dc.ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		ent = e
		break
	}
	upload := func(rows int) console.ImportResult {
		var b strings.Builder
		b.WriteString("统一社会信用代码,企业名称,法定代表人,主要负责人,主要负责人电话,经营地址,所属社区,行业类别,企业状态\n")
		for i := 0; i < rows; i++ {
			fmt.Fprintf(&b, "%s,%s,王建国,王建国,12,林口路%d号,英墩社区,轻工,在营\n", ent.USCC, ent.Name, i)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "企业.csv")
		fw.Write([]byte(b.String()))
		mw.Close()
		req, _ := http.NewRequest("POST", dc.ts.URL+"/api/workbook/import?dryRun=true", &body)
		req.Header.Set("Authorization", "Bearer "+dc.demo.Token)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res console.ImportResult
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("import: %d %v", resp.StatusCode, err)
		}
		return res
	}
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest("GET", dc.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+dc.demo.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	first := upload(1200)
	if len(first.Rejected) != 1000 || first.RejectedOmitted != 200 || len(first.RejectedCounts) == 0 ||
		first.RejectedCounts[0].Rows != 1200 || !strings.HasPrefix(first.RejectedList, "/api/workbook/rejected/") {
		t.Fatalf("answer: %d listed, %d omitted, counts %+v, list %q", len(first.Rejected), first.RejectedOmitted, first.RejectedCounts, first.RejectedList)
	}
	status, b := get(first.RejectedList)
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if status != http.StatusOK || err != nil {
		t.Fatalf("download: %d %v", status, err)
	}
	rows, _ := x.GetRows("被拒绝的行")
	x.Close()
	if len(rows) != 1201 {
		t.Errorf("the full list holds %d rows, want a header and 1200", len(rows))
	}
	for range 8 {
		upload(1)
	}
	if status, _ := get(first.RejectedList); status != http.StatusNotFound {
		t.Errorf("the oldest of 9 lists: %d, want 404 (8 are kept)", status)
	}
	if status, _ := get("/api/workbook/rejected/NOSUCHLIST"); status != http.StatusNotFound {
		t.Errorf("an unknown list: %d, want 404", status)
	}
}

// TestServeForScreenshots serves a real streetsync's console until interrupted, for looking at
// it in a browser: CONSOLE_SERVE=1 go test -run TestServeForScreenshots -v ./internal/console/
func TestServeForScreenshots(t *testing.T) {
	if os.Getenv("CONSOLE_SERVE") == "" {
		t.Skip("set CONSOLE_SERVE=1 to serve a demo streetsync's console")
	}
	dc := newDemoConsole(t)
	t.Logf("console at %s (token %s)", dc.ts.URL, dc.demo.Token)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
