package console

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"streetsync/internal/alerts"
	"streetsync/internal/ledger"
	"streetsync/scheduler/retry"
)

// Browser tests: Debian's headless Chromium driven by chromedp against the test world's console.
// One browser serves the whole test binary; each test gets its own browser context (cookies).
// Without /usr/bin/chromium (or CHROMIUM) the tests are skipped, except in CI, where they fail.
// CONSOLE_SCREENSHOTS=DIR saves a 1366×768 screenshot of every page visited.

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel []context.CancelFunc
	browserErr    error
)

func TestMain(m *testing.M) {
	flag.Parse()
	// Chromium takes a while to start here: start it while the other tests run.
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

// startBrowser starts the shared Chromium.
func startBrowser() {
	path := chromiumPath()
	dir, err := os.MkdirTemp("", "console-chromium-")
	if err != nil {
		browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
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

// newTab returns a tab in a fresh browser context of the shared browser; confirm() dialogs
// are accepted.
func newTab(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
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
	tab, cancelTimeout := context.WithTimeout(tab, 100*time.Second)
	t.Cleanup(cancelTimeout)
	return tab
}

// shot saves a screenshot of the window (and one of the whole page) when CONSOLE_SCREENSHOTS
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

func login(t *testing.T, ctx context.Context, w *world) {
	t.Helper()
	do(t, ctx, "log in",
		chromedp.Navigate(w.ts.URL+"/"),
		visible("#token"),
		chromedp.SetValue(chromedp.CSS("#token"), testToken),
		chromedp.SetValue(chromedp.CSS("#operator"), "张三"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		visible("#job-table"),
	)
}

// TestBrowserConsole walks through the console the way an operator would. The steps share one
// browser context and one world: Chromium is slow to start here, and the whole walk must stay
// well under a minute.
func TestBrowserConsole(t *testing.T) {
	ctx := newTab(t)
	w := newWorld(t, worldOptions{})
	t.Run("a wrong token is refused", func(t *testing.T) {
		do(t, ctx, "wrong token",
			chromedp.Navigate(w.ts.URL+"/alerts"),
			visible("#token"),
			shot("login"),
			chromedp.SetValue(chromedp.CSS("#token"), "not-the-token"),
			chromedp.Click(chromedp.CSS("#login-submit")),
			visible("#login-error"),
		)
		if got := text(t, ctx, "#login-error"); got != msgBadToken {
			t.Errorf("login error: got %q, want %q", got, msgBadToken)
		}
	})
	login(t, ctx, w)
	for _, step := range []struct {
		name string
		run  func(*testing.T, context.Context, *world)
	}{
		{"the overview shows queue, alerts and charts", browserOverview},
		{"reconcile, download the xlsx, apply", browserReconcile},
		{"retry a dead item", browserRetryDead},
		{"filter alerts by community and rule", browserFilterAlerts},
		{"record alarm feedback", browserAlarmFeedback},
		{"a post without the CSRF token is refused", browserPostWithoutCSRF},
		{"pages fit a 1366-pixel screen and mask ID numbers", browserPagesFit},
		{"run a job now", browserRunJob},
	} {
		t.Run(step.name, func(t *testing.T) { step.run(t, ctx, w) })
	}
}

func browserOverview(t *testing.T, ctx context.Context, w *world) {
	do(t, ctx, "overview", chromedp.Navigate(w.ts.URL+"/"), visible("#chart-alerts svg"), shot("overview"))
	if got := text(t, ctx, "#dead-count"); got != "3" {
		t.Errorf("dead items on the overview: got %q, want 3", got)
	}
	bars := eval[int](t, ctx, `document.querySelectorAll("#chart-alerts svg rect").length`)
	alarmBars := eval[int](t, ctx, `document.querySelectorAll("#chart-alarms svg rect").length`)
	if bars == 0 || alarmBars == 0 {
		t.Errorf("charts: got %d alert bars and %d alarm bars, want some of each", bars, alarmBars)
	}
	w.assertNoFullIDs(t, "overview", []byte(eval[string](t, ctx, `document.documentElement.outerHTML`)))
}

func browserReconcile(t *testing.T, ctx context.Context, w *world) {
	do(t, ctx, "run reconciliation",
		chromedp.Navigate(w.ts.URL+"/reconcile"),
		visible("#run-reconcile"),
		chromedp.Click(chromedp.CSS("#run-reconcile")),
		visible("#report"),
		visible("#diff-table"),
		shot("reconcile"),
	)
	unregistered := text(t, ctx, "#unregistered")
	if !strings.Contains(unregistered, "********") {
		t.Errorf("unregistered table shows no masked ID number: %q", unregistered)
	}
	w.assertNoFullIDs(t, "reconcile page", []byte(eval[string](t, ctx, `document.documentElement.outerHTML`)))

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
	rows, _ := x.GetRows("企业差异")
	x.Close()
	if want := text(t, ctx, "#diff-table tbody td code"); len(rows) < 2 || rows[1][0] != want {
		t.Errorf("downloaded report rows: got %v, want the first difference %s", rows, want)
	}
	w.assertNoFullIDs(t, "downloaded report", b)

	do(t, ctx, "apply", chromedp.Click(chromedp.CSS("#apply")), visible("#applied"), shot("reconcile-applied"))
	if n := eval[int](t, ctx, `document.querySelectorAll("#diff-table").length`); n != 0 {
		t.Errorf("after apply the report still lists differences")
	}
}

func browserRetryDead(t *testing.T, ctx context.Context, w *world) {
	id := w.dead[0]
	do(t, ctx, "retry",
		chromedp.Navigate(w.ts.URL+"/queue"),
		visible("#queue-table"),
		shot("queue"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id=%q] button[formaction="/queue/retry"]`, id))),
		visible(".flash-ok"),
	)
	if got, want := text(t, ctx, ".flash-ok"), fmt.Sprintf(flashRetried, 1); got != want {
		t.Errorf("flash: got %q, want %q", got, want)
	}
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('tr[data-id=%q]').length`, id)); n != 0 {
		t.Errorf("the retried item is still listed among the dead")
	}
	dead, err := w.queue.List(w.ctx, retry.ListOptions{Dead: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 {
		t.Errorf("dead items after one retry: got %d, want 2", len(dead))
	}
}

func browserFilterAlerts(t *testing.T, ctx context.Context, w *world) {
	firing, err := w.alerts.List(w.ctx, alerts.Filter{Status: "firing"})
	if err != nil || len(firing) == 0 {
		t.Fatalf("the world has no firing alerts (%v)", err)
	}
	community, rule := firing[0].Community, firing[0].Rule
	want := 0
	for _, a := range firing {
		if a.Community == community && a.Rule == rule {
			want++
		}
	}
	do(t, ctx, "filter",
		chromedp.Navigate(w.ts.URL+"/alerts"),
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

func browserAlarmFeedback(t *testing.T, ctx context.Context, w *world) {
	do(t, ctx, "alarms", chromedp.Navigate(w.ts.URL+"/alarms?days=0"), visible("#alarms-table tr[data-alarm]"), shot("alarms"))
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
	if got := text(t, ctx, ".flash-ok"); got != flashFeedback {
		t.Errorf("flash: got %q, want %q", got, flashFeedback)
	}
	fbs, err := w.ledger.AlarmFeedback(w.ctx, alarmID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fbs) != 1 || fbs[0].Status != "2" || fbs[0].Handler != "张三" || fbs[0].State != ledger.PushPending {
		t.Errorf("recorded feedback: got %+v, want one 已处置 by 张三, pending", fbs)
	}
}

// browserPostWithoutCSRF posts a form without the CSRF token, as another site's page would.
func browserPostWithoutCSRF(t *testing.T, ctx context.Context, w *world) {
	id := w.dead[1]
	do(t, ctx, "post without csrf",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](fmt.Sprintf(`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/queue/drop";
				const i = document.createElement("input"); i.name = "id"; i.value = %q; f.appendChild(i); document.body.appendChild(f); f.submit(); })()`, id))(ctx, tg)
			return err
		}),
		visible("#error-message"),
	)
	if got := text(t, ctx, "#error-message"); got != msgCSRF {
		t.Errorf("refusal: got %q, want %q", got, msgCSRF)
	}
	dead, err := w.queue.List(w.ctx, retry.ListOptions{Dead: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(dead, func(it retry.ItemInfo) bool { return it.ID == id }) {
		t.Errorf("the item posted for dropping without a CSRF token is gone")
	}
}

func browserPagesFit(t *testing.T, ctx context.Context, w *world) {
	for _, p := range []struct{ path, wait, name string }{
		{"/", "#chart-alerts svg", "overview"},
		{"/jobs", "#run-history", "jobs"},
		{"/queue", "#queue-table", "queue"},
		{"/alerts", "#alerts-table", "alerts"},
		{"/alarms", "#alarms-table", "alarms"},
		{"/ledger", "#enterprise-table", "ledger"},
		{"/ledger?tab=operators", "#operator-table", "ledger-operators"},
	} {
		do(t, ctx, p.path, chromedp.Navigate(w.ts.URL+p.path), visible(p.wait), shot("page-"+p.name))
		// Nothing may overflow the 1366-pixel window sideways.
		if got := eval[int](t, ctx, `document.documentElement.scrollWidth`); got > 1366 {
			t.Errorf("%s is %d pixels wide, wider than the 1366-pixel screen", p.path, got)
		}
		w.assertNoFullIDs(t, p.path, []byte(eval[string](t, ctx, `document.documentElement.outerHTML`)))
	}
}

func browserRunJob(t *testing.T, ctx context.Context, w *world) {
	do(t, ctx, "run a job",
		chromedp.Navigate(w.ts.URL+"/jobs"),
		visible("#run-enterprises"),
		chromedp.Click(chromedp.CSS("#run-enterprises")),
		visible("#task-result"),
		shot("jobs-run"),
	)
}
