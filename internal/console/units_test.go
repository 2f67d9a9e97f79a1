package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/reconcile"
	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/scheduler"
	"streetsync/scheduler/retry"
)

func TestNiceCeilRoundsUpToOneTwoFive(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 1}, {1, 1}, {2, 2}, {3, 5}, {7, 10}, {10, 10}, {11, 20}, {13, 20}, {48, 50}, {51, 100}, {999, 1000}} {
		if got := niceCeil(c.in); got != c.want {
			t.Errorf("niceCeil(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestChartsEscapeTextAndScaleBars(t *testing.T) {
	html, legend := alertsChart([]communityAlerts{
		{Community: `<script>洪溪</script>`, Critical: 10, ByRule: map[string]int{"NO_CERTIFICATE": 10}},
		{Community: "灵水社区", Warning: 5, ByRule: map[string]int{"EXPIRING_SOON": 5}},
	})
	s := string(html)
	if strings.Contains(s, "<script>") || !strings.Contains(s, "&lt;script&gt;洪溪&lt;/script&gt;") {
		t.Errorf("community name not escaped: %s", s)
	}
	// 10 of an axis of 10 fill the plot (560-96-44 = 420 px); 5 fill half.
	if !strings.Contains(s, `width="420"`) || !strings.Contains(s, `width="210"`) {
		t.Errorf("bars not to scale: %s", s)
	}
	if len(legend) != 2 || legend[0].Label != alerts.RuleName("NO_CERTIFICATE") || legend[0].Colour != "#b91c1c" {
		t.Errorf("legend %v, want the two rules used, in the contract's order", legend)
	}
	if html, _ := alertsChart(nil); !strings.Contains(string(html), "当前没有预警") {
		t.Errorf("empty alert chart says nothing: %s", html)
	}
	days := make([]alarmDay, 30)
	if !strings.Contains(string(alarmsChart(days)), "近 30 天没有监测报警") {
		t.Errorf("empty alarm chart says nothing")
	}
	days[29].ByLevel = [4]int{1, 0, 0, 2}
	if s := string(alarmsChart(days)); strings.Count(s, "<rect") != 2 || !strings.Contains(s, `class="lv1"`) || !strings.Contains(s, `class="lv4"`) {
		t.Errorf("alarm chart: want one red and one blue segment: %s", s)
	}
	start := time.Date(2026, 1, 15, 2, 0, 0, 0, mapping.Beijing())
	strip := string(runStrip([]Run{
		{StartedAt: start, FinishedAt: start.Add(10 * time.Second), Outcome: OutcomeFailed},
		{StartedAt: start.Add(-24 * time.Hour), FinishedAt: start.Add(-24*time.Hour + 40*time.Second), Outcome: OutcomeOK},
	}, mapping.Beijing()))
	if i, j := strings.Index(strip, "run-ok"), strings.Index(strip, "run-critical"); i < 0 || j < 0 || i > j {
		t.Errorf("run strip: want the older success left of the newer failure: %s", strip)
	}
	if !strings.Contains(strip, `height="26"`) || !strings.Contains(strip, `height="6.5"`) {
		t.Errorf("run strip: want bar heights by duration (40s full, 10s a quarter): %s", strip)
	}
}

func TestSafeReturnKeepsRedirectsOnTheSite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/alerts?rule=CERT_EXPIRED", "/alerts?rule=CERT_EXPIRED"},
		{"/ledger?q=%E6%9E%97%E6%A0%BC&tab=operators", "/ledger?q=%E6%9E%97%E6%A0%BC&tab=operators"},
		{"/", "/"},
		{"", "/d"}, {"alerts", "/d"}, {"//evil.example", "/d"}, {"/\\evil.example", "/d"},
		{"https://evil.example/", "/d"}, {"/x\r\nSet-Cookie: a=b", "/d"},
		// The example, as the query parameter decodes it: browsers drop the tab.
		{"/\t/evil.example/", "/d"},
		{"/\n/evil.example", "/d"}, {"/\x00/evil.example", "/d"}, {"/\u0085/evil.example", "/d"},
		{"//evil", "/d"}, {"/\\evil", "/d"}, {"\\\\evil", "/d"}, {"/x\\..\\..\\evil", "/d"},
		{"https:evil", "/d"}, {"https:/evil", "/d"}, {"javascript:alert(1)", "/d"}, {" /alerts", "/d"},
		{"///evil.example", "/d"}, {"/%2Fevil.example", "/d"}, {"/%2F%2Fevil.example", "/d"},
		{"/%09/evil.example", "/d"}, {"/%5Cevil.example", "/d"}, {"/%5C%5Cevil.example", "/d"},
		{"/%0D%0ALocation:%20//evil", "/d"}, {"/%zz", "/d"}, {"/\xff", "/d"},
	} {
		if got := safeReturn(c.in, "/d"); got != c.want {
			t.Errorf("safeReturn(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSameOriginComparesOriginThenReferer(t *testing.T) {
	for _, c := range []struct {
		name            string
		origin, referer string
		want            bool
	}{
		{"same origin", "http://127.0.0.1:8080", "", true},
		{"other host", "http://evil.example", "", false},
		{"other port", "http://127.0.0.1:9090", "", false},
		{"opaque origin", "null", "", false},
		{"same referer", "", "http://127.0.0.1:8080/queue", true},
		{"other referer", "", "http://evil.example/queue", false},
		{"neither: left to the token", "", "", true},
	} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8080/queue/drop", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.referer != "" {
			r.Header.Set("Referer", c.referer)
		}
		if got := (&Server{}).sameOrigin(r); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMaskBodyMasksValidIDNumbersOnly(t *testing.T) {
	in := `{"id":"11010519491231002X","uscc":"91350582MA2Y5B3X4K","n":"12345678901234567890"}`
	want := `{"id":"110105********002X","uscc":"91350582MA2Y5B3X4K","n":"12345678901234567890"}`
	if got := string(maskBody([]byte(in))); got != want {
		t.Errorf("maskBody:\n got %s\nwant %s", got, want)
	}
}

type platformDown struct{}

func (platformDown) Error() string   { return "quanzhou: 502 bad gateway" }
func (platformDown) Temporary() bool { return true }

func TestClassifyGivesEachErrorItsStatusAndChineseMessage(t *testing.T) {
	srv, err := New(stubDeps(nil), Options{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := httptest.NewRequest("GET", "/api/x", nil)
	for _, c := range []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"input", inputErr(msgNoIDs), 400, msgNoIDs},
		{"alert input", &alerts.InputError{Reason: "请给出预警的 KEY"}, 400, "请给出预警的 KEY"},
		{"workbook file", fmt.Errorf("import: %w", &workbook.FileError{File: "台账.xlsx", Reason: "无法读取工作簿"}), 400, "台账.xlsx：无法读取工作簿"},
		{"feedback", &jobs.InvalidFeedbackError{}, 400, (&jobs.InvalidFeedbackError{}).Error()},
		{"busy", &busyError{"对账"}, 409, "对账正在进行中，请等待完成后再试"},
		{"alert not firing", alerts.ErrNotFiring, 409, alerts.ErrNotFiring.Error()},
		{"ledger not found", fmt.Errorf("enterprise X: %w", ledger.ErrNotFound), 404, "没有找到：enterprise X: not in the ledger"},
		{"platform down", fmt.Errorf("push: %w", platformDown{}), 503, msgPlatformDown},
		{"anything else", io.ErrUnexpectedEOF, 500, msgInternal},
		{"an ID number in an input error", inputErr("身份证号 11010519491231002X 有误"), 400, "身份证号 110105********002X 有误"},
	} {
		status, msg := srv.classify(r, c.err)
		if status != c.status || msg != c.msg {
			t.Errorf("%s: got %d %q, want %d %q", c.name, status, msg, c.status, c.msg)
		}
	}
}

func TestSizeText(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{1 << 20, "1 MiB"}, {20 << 20, "20 MiB"}, {512 << 10, "512 KiB"}, {1000, "1000 字节"}} {
		if got := sizeText(c.n); got != c.want {
			t.Errorf("sizeText(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestNewRefusesMissingDependenciesAndToken(t *testing.T) {
	if _, err := New(Deps{}, Options{Token: "t"}); err == nil || !strings.Contains(err.Error(), "Alarms, Alerts, History, Jobs, Ledger, Queue, Reconciler, Workbook") {
		t.Errorf("no deps: %v, want every missing one named", err)
	}
	if _, err := New(stubDeps(nil), Options{Token: "  "}); err == nil || !strings.Contains(err.Error(), "console.token is empty") {
		t.Errorf("blank token: %v", err)
	}
}

// TestCloseStopsRunningTasks: a sync the console started is cancelled by Close, which returns
// only when it has.
func TestCloseStopsRunningTasks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	runner := &blockingRunner{started: make(chan struct{})}
	srv, err := New(stubDeps(runner), Options{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("POST", ts.URL+"/api/jobs/run", strings.NewReader(`{"job":"all"}`))
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-runner.started
	srv.Close()
	if got := <-done; got != http.StatusServiceUnavailable {
		t.Errorf("the interrupted run answered %d, want 503", got)
	}
	if runner.ctxErr != context.Canceled {
		t.Errorf("the run saw %v, want context.Canceled", runner.ctxErr)
	}
	ts.Close()
	http.DefaultClient.CloseIdleConnections()
}

type blockingRunner struct {
	started chan struct{}
	ctxErr  error
}

func (b *blockingRunner) Run(ctx context.Context, job string, full bool) ([]jobs.Summary, error) {
	close(b.started)
	<-ctx.Done()
	b.ctxErr = ctx.Err()
	return nil, ctx.Err()
}

// stubDeps are dependencies that hold nothing, for tests of the server's own machinery.
func stubDeps(runner JobRunner) Deps {
	if runner == nil {
		runner = &blockingRunner{started: make(chan struct{})}
	}
	var s stub
	return Deps{Jobs: runner, History: s, Reconciler: s, Queue: stubQueue{}, Alerts: stubAlerts{}, Alarms: s, Ledger: s, Workbook: s}
}

type (
	stub       struct{}
	stubQueue  struct{}
	stubAlerts struct{}
)

func (stub) Runs(context.Context, string, int, int) ([]scheduler.Run, int, error) { return nil, 0, nil }
func (stub) Reconcile(context.Context, Scope) (*reconcile.Report, error) {
	return &reconcile.Report{}, nil
}
func (stub) Apply(context.Context, Scope) (*reconcile.Applied, error) {
	return &reconcile.Applied{}, nil
}
func (stubQueue) Stats(context.Context) (retry.Stats, error)                { return retry.Stats{}, nil }
func (stubQueue) KindStats(context.Context) (map[string]retry.Stats, error) { return nil, nil }
func (stubQueue) Get(context.Context, string) (retry.ItemInfo, error) {
	return retry.ItemInfo{}, retry.ErrNotFound
}
func (stubQueue) RetryNow(context.Context, ...string) (int, error)                  { return 0, nil }
func (stubQueue) RetryAllDead(context.Context, string) (int, error)                 { return 0, nil }
func (stubQueue) Drop(context.Context, ...string) (int, error)                      { return 0, nil }
func (stubQueue) List(context.Context, retry.ListOptions) ([]retry.ItemInfo, error) { return nil, nil }
func (stubAlerts) History(context.Context, string) (*alerts.Record, []alerts.Event, error) {
	return nil, nil, alerts.ErrNotFound
}
func (stubAlerts) Ack(context.Context, string, string, string) error { return nil }
func (stubAlerts) Silence(context.Context, alerts.Matcher, time.Time, string, string) (alerts.Silence, error) {
	return alerts.Silence{}, nil
}
func (stubAlerts) Page(context.Context, alerts.Filter) (*alerts.Page, error) {
	return &alerts.Page{}, nil
}
func (stubAlerts) Counts(context.Context) ([]alerts.Count, error)     { return nil, nil }
func (stubAlerts) Silences(context.Context) ([]alerts.Silence, error) { return nil, nil }
func (stubAlerts) Covered(context.Context, alerts.Matcher, int) ([]alerts.Record, int, error) {
	return nil, 0, nil
}
func (stubAlerts) Unsilence(context.Context, string) error { return nil }
func (stub) AlarmPage(context.Context, ledger.AlarmQuery) ([]ledger.AlarmListing, int, error) {
	return nil, 0, nil
}
func (stub) AlarmsPerDay(context.Context, time.Time, time.Time, *time.Location) ([]ledger.AlarmDay, error) {
	return nil, nil
}
func (stub) AlarmByID(context.Context, string) (mapping.Alarm, error) {
	return mapping.Alarm{}, ledger.ErrNotFound
}
func (stub) RecordAlarmFeedback(context.Context, mapping.AlarmFeedback) (ledger.FeedbackRecord, bool, error) {
	return ledger.FeedbackRecord{}, true, nil
}
func (stub) Ping(context.Context) error { return nil }
func (stub) Overview(context.Context, mapping.Date) (ledger.Overview, error) {
	return ledger.Overview{}, nil
}
func (stub) EnterprisePage(context.Context, ledger.EnterpriseQuery) ([]ledger.EnterpriseRecord, int, error) {
	return nil, 0, nil
}
func (stub) EnterpriseByUSCC(context.Context, string) (ledger.EnterpriseRecord, error) {
	return ledger.EnterpriseRecord{}, ledger.ErrNotFound
}
func (stub) OperatorPage(context.Context, ledger.OperatorQuery) ([]ledger.OperatorListing, int, error) {
	return nil, 0, nil
}
func (stub) UnregisteredPage(context.Context, mapping.Date, int, int) ([]ledger.OperatorListing, int, error) {
	return nil, 0, nil
}
func (stub) QuarantinePage(context.Context, ledger.QuarantineQuery) ([]ledger.QuarantineEntry, int, error) {
	return nil, 0, nil
}
func (stub) Communities(context.Context) ([]string, error)   { return nil, nil }
func (stub) ConfirmEnterprise(context.Context, string) error { return nil }
func (stub) Import(context.Context, string, io.Reader, bool) (*ImportResult, error) {
	return &ImportResult{}, nil
}
func (stub) Export(context.Context, io.Writer) error { return nil }
func (stub) RejectionList(context.Context, string, io.Writer) error {
	return fmt.Errorf("rejection list: %w", ledger.ErrNotFound)
}

// Behind a trusted proxy the client, scheme and host are the ones the proxy names; anyone else's
// X-Forwarded-* claims are ignored.
func TestTrustedProxiesNameTheClient(t *testing.T) {
	s := &Server{opt: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}}
	for _, c := range []struct {
		name, remote, xff string
		want              string
	}{
		{"direct client", "192.0.2.1:5000", "", "192.0.2.1"},
		{"untrusted sender's claim ignored", "192.0.2.1:5000", "203.0.113.9", "192.0.2.1"},
		{"trusted proxy names the client", "127.0.0.1:5000", "203.0.113.9", "203.0.113.9"},
		{"two trusted proxies", "127.0.0.1:5000", "203.0.113.9, 10.0.0.7", "203.0.113.9"},
		{"the client's own claim left of it ignored", "127.0.0.1:5000", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		{"no header: the proxy itself", "127.0.0.1:5000", "", "127.0.0.1"},
		{"garbage: the proxy itself", "127.0.0.1:5000", "unknown", "127.0.0.1"},
		{"IPv4-mapped client", "127.0.0.1:5000", "::ffff:203.0.113.9", "203.0.113.9"},
	} {
		r := httptest.NewRequest("POST", "http://anban.local/login", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientAddr(r); got != c.want {
			t.Errorf("%s: client %q, want %q", c.name, got, c.want)
		}
	}

	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/queue/drop", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "anban.example.gov.cn")
	r.Header.Set("Origin", "https://anban.example.gov.cn")
	r.RemoteAddr = "192.0.2.1:5000"
	if s.secureRequest(r) || s.sameOrigin(r) {
		t.Error("an untrusted sender's X-Forwarded-Proto/-Host were believed")
	}
	r.RemoteAddr = "127.0.0.1:5000"
	if !s.secureRequest(r) || !s.sameOrigin(r) || s.requestHost(r) != "anban.example.gov.cn" {
		t.Error("a trusted proxy's X-Forwarded-Proto/-Host were not believed")
	}
}

// Every job and every kind of retry-queue item has a Chinese name on the screens: a job added to
// package jobs shows as its English code until it is named here.
func TestEveryJobAndQueueKindHasAChineseName(t *testing.T) {
	for _, job := range jobs.Names {
		if n := jobName(job); n == job || !strings.HasSuffix(n, "同步") {
			t.Errorf("job %s shows as %q", job, n)
		}
	}
	for _, kind := range append(new(jobs.Runner).Kinds(), alerts.RetryKind) {
		if n := jobKindName(kind); n == kind {
			t.Errorf("queue kind %s has no Chinese name", kind)
		}
	}
}
