package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mapping"
	"streetsync/scheduler"
	"streetsync/scheduler/retry"
)

// The screens over the test world: degraded pages, the to-do panel's counts against the lists
// they link to, triage of alerts, silences, the retry queue and the jobs' status.

// screenPaths are every page of the console.
var screenPaths = []string{"/", "/jobs", "/queue", "/queue?view=live", "/reconcile", "/alerts", "/alerts/silences",
	"/alarms", "/ledger", "/ledger?tab=operators", "/ledger?tab=unregistered", "/ledger?tab=quarantine"}

// page GETs a console page with the session; it fails the test unless the page answers 200.
func (w *world) page(t *testing.T, s browserSession, path string) string {
	t.Helper()
	resp, b := w.form(t, path, s.cookie, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", path, resp.StatusCode)
	}
	return string(b)
}

// With Redis stopped every page answers 200 with the banner naming Redis, what still works and
// what to do; the panels that need Redis say so in place and the rest shows; the API answers
// 503 for the queue and 200 for the overview, naming what is missing. With Redis back the
// banner goes, without a restart of anything.
func TestPagesAnswerWithABannerWhileRedisIsDown(t *testing.T) {
	rs := testutil.StartRedisServer(t, false)
	// The world pings Redis through its client, whose dial retries outlast a short timeout: the
	// banner says Redis does not answer. (internal/app's probe dials first and names the address;
	// the browser test shows that.)
	w := newWorld(t, worldOptions{redis: rs, opts: Options{HealthTimeout: 200 * time.Millisecond}})
	s := w.consoleLogin(t)
	if body := w.page(t, s, "/queue"); strings.Contains(body, `id="banner-redis"`) {
		t.Fatalf("the banner shows while Redis is up")
	}
	rs.Stop()
	for _, path := range screenPaths {
		body := w.page(t, s, path)
		if !strings.Contains(body, `id="banner-redis"`) || !strings.Contains(body, "Redis 不可用：") ||
			!strings.Contains(body, "重试队列暂不可读") || !strings.Contains(body, "恢复后本提示自动消失") {
			t.Errorf("%s: no banner naming Redis and what to do", path)
		}
		w.assertNoFullIDs(t, path, []byte(body))
	}
	queue := w.page(t, s, "/queue")
	if !strings.Contains(queue, msgPanelRedisDown) {
		t.Errorf("the queue page does not say in place that it cannot read the queue")
	}
	front := w.page(t, s, "/")
	if !strings.Contains(front, `data-todo="dead"`) || !strings.Contains(front, msgPanelRedisDown) {
		t.Errorf("the to-do line of the dead letters does not say Redis is down")
	}
	if !strings.Contains(front, `data-todo="uncertified"`) || !strings.Contains(w.page(t, s, "/alerts"), `data-key=`) {
		t.Errorf("what lives in the ledger (alerts) is not shown while Redis is down")
	}
	resp, b := w.api(t, "GET", "/api/queue/stats", "")
	if resp.StatusCode != http.StatusServiceUnavailable || apiErrorOf(t, b) != msgServiceDown {
		t.Errorf("/api/queue/stats with Redis down: %d %s, want 503 %s", resp.StatusCode, b, msgServiceDown)
	}
	resp, b = w.api(t, "GET", "/api/overview", "")
	var o overview
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &o) != nil || o.Health["redis"] == "ok" || o.Unavailable["queue"] == "" ||
		o.Health["ledger"] != "ok" {
		t.Errorf("/api/overview with Redis down: %d %s, want 200 naming Redis and the queue", resp.StatusCode, b)
	}

	rs.Restart(t)
	// go-redis fails new connections fast with its last dial error until its own background dial
	// (once a second) succeeds: the banner goes at the first page after that, whatever page.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(w.page(t, s, "/queue"), `id="banner-redis"`) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // waiting for the client's reconnection, not for the clock
	}
	for _, path := range screenPaths {
		if body := w.page(t, s, path); strings.Contains(body, `id="banner-`) {
			t.Errorf("%s: the banner stays after Redis is back", path)
		}
	}
	if body := w.page(t, s, "/queue"); !strings.Contains(body, "没有死信") && !strings.Contains(body, `data-id=`) {
		t.Errorf("the queue page does not list the queue again after Redis is back")
	}
}

// With the ledger gone every page still answers 200, with a banner naming the ledger; the retry
// queue, in Redis, still shows.
func TestPagesAnswerWithABannerWhileTheLedgerIsDown(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	if err := w.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range screenPaths {
		body := w.page(t, s, path)
		if !strings.Contains(body, `id="banner-ledger"`) || !strings.Contains(body, "台账数据库不可用：数据库连接已关闭") ||
			!strings.Contains(body, "ledger.dsn") {
			t.Errorf("%s: no banner naming the ledger and what to do", path)
		}
		if strings.Contains(body, `id="banner-redis"`) {
			t.Errorf("%s: Redis is named down while it answers", path)
		}
	}
	queue := w.page(t, s, "/queue")
	for _, id := range w.dead {
		if !strings.Contains(queue, `data-id="`+id+`"`) {
			t.Errorf("the dead item %s is not listed while only the ledger is down", id)
		}
	}
	if !strings.Contains(w.page(t, s, "/ledger"), msgPanelLedgerDown) {
		t.Errorf("the ledger page does not say in place that the ledger is down")
	}
}

var totalRE = regexp.MustCompile(`data-total="(\d+)"`)

// Every to-do line's count is the total of the list it links to.
func TestTodoCountsAreTheTotalsOfTheListsTheyLinkTo(t *testing.T) {
	w := newWorld(t, worldOptions{})
	ctx := context.Background()
	// Something on every line: a drifted enterprise, one not on the platform, a quarantined
	// record, a refused feedback; the world has alerts, dead letters and a platform-only one.
	var es []mapping.Enterprise
	recs, _, err := w.ledger.EnterprisePage(ctx, ledger.EnterpriseQuery{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		es = append(es, r.Enterprise)
	}
	if _, err := w.ledger.MarkEnterprisesAccepted(ctx, []ledger.Acceptance{{Pushed: es[0], At: testNow}, {Pushed: es[1], At: testNow}}); err != nil {
		t.Fatal(err)
	}
	drift := es[1]
	drift.Address += "（门户修改）"
	if _, err := w.ledger.RecordPlatformEnterprises(ctx, []mapping.Enterprise{drift}, testNow); err != nil {
		t.Fatal(err)
	}
	if err := w.ledger.AddToQuarantine(ctx, []ledger.QuarantineEntry{{Source: ledger.SourceQuanzhou, Kind: ledger.KindEnterprise,
		Key: es[2].USCC, Reasons: mapping.Problems{{Label: "统一社会信用代码", Reason: "校验位错误"}}}}); err != nil {
		t.Fatal(err)
	}
	fb, _, err := w.ledger.RecordAlarmFeedback(ctx, mapping.AlarmFeedback{AlarmID: w.ds.Alarms[0].ID, Status: "2", Note: "已处置", Handler: "李四", HandledAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ledger.MarkFeedbackRejected(ctx, fb.ID, "处置说明过短", testNow); err != nil {
		t.Fatal(err)
	}

	s := w.consoleLogin(t)
	resp, b := w.api(t, "GET", "/api/overview", "")
	var o overview
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &o) != nil {
		t.Fatalf("overview: %d %s", resp.StatusCode, b)
	}
	if len(o.Todo) != 10 {
		t.Fatalf("%d to-do lines, want 10", len(o.Todo))
	}
	nonzero := 0
	for _, l := range o.Todo {
		if l.Unavailable != "" {
			t.Errorf("%s: unavailable: %s", l.Key, l.Unavailable)
			continue
		}
		body := w.page(t, s, l.Link)
		m := totalRE.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: the list at %s shows no total", l.Key, l.Link)
			continue
		}
		if got, _ := strconv.Atoi(m[1]); got != l.Count {
			t.Errorf("%s: 概览 says %d, the list at %s holds %d", l.Key, l.Count, l.Link, got)
		}
		if l.Count > 0 {
			nonzero++
			if l.Next == "" || l.Title == "" {
				t.Errorf("%s: a count without a title or a next step", l.Key)
			}
		}
	}
	if nonzero < 8 {
		t.Errorf("only %d lines have something to do; the test wants most of them exercised: %+v", nonzero, o.Todo)
	}
	// Certificate and alarm alerts are counted apart: the uncertified line is the certificate
	// family's critical count, nothing else.
	var uncertified, alarmAlerts int
	for _, l := range o.Todo {
		switch l.Key {
		case "uncertified":
			uncertified = l.Count
			if len(l.People) == 0 || !strings.Contains(l.People[0].IDNumber, "********") {
				t.Errorf("the uncertified line names nobody, or an ID number whole: %+v", l.People)
			}
		case "alarmAlerts":
			alarmAlerts = l.Count
		}
	}
	if fc := o.Families["certificate"]; uncertified != fc.Critical || alarmAlerts != o.Families["alarm"].Firing {
		t.Errorf("uncertified %d, alarm alerts %d; the families count %d critical certificate and %d alarm alerts",
			uncertified, alarmAlerts, fc.Critical, o.Families["alarm"].Firing)
	}
	w.assertNoFullIDs(t, "overview", b)
}

// 持证预警: every filter narrows, the search finds a person by name, masked or whole ID number and
// certificate number, the page says how many and how many pages, and the row carries the rule's
// what-to-do text.
func TestAlertsFilterSearchAndSayWhatToDo(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	all, err := w.alerts.Page(w.ctx, alerts.Filter{Status: "firing", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var person alerts.Record
	for _, a := range all.Alerts {
		if a.Operator != nil && a.Certificate != nil && a.Severity == "critical" {
			person = a
			break
		}
	}
	if person.Key == "" {
		t.Fatal("no critical alert with a person and a certificate in the world")
	}
	var whole string
	for _, id := range w.ids {
		if id[:6] == person.Operator.IDNumber[:6] && id[14:] == person.Operator.IDNumber[14:] {
			whole = id
		}
	}
	rows := func(path string) (keys []string, total int) {
		t.Helper()
		body := w.page(t, s, path)
		for _, m := range regexp.MustCompile(`<tr data-key="([0-9a-f]{16})"`).FindAllStringSubmatch(body, -1) {
			keys = append(keys, m[1])
		}
		m := regexp.MustCompile(`id="alert-total" data-total="(\d+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no total", path)
		}
		total, _ = strconv.Atoi(m[1])
		return keys, total
	}
	want := func(f alerts.Filter) int {
		f.PageSize = 1
		p, err := w.alerts.Page(w.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	for _, c := range []struct {
		name, query string
		f           alerts.Filter
	}{
		{"severity", "severity=critical", alerts.Filter{Status: "firing", Severity: "critical"}},
		{"family", "family=alarm", alerts.Filter{Status: "firing", Family: "alarm"}},
		{"enterprise", "enterprise=" + person.Enterprise.USCC, alerts.Filter{Status: "firing", Enterprise: person.Enterprise.USCC}},
		{"community and rule", "community=" + url.QueryEscape(person.Community) + "&rule=" + person.Rule, alerts.Filter{Status: "firing", Community: person.Community, Rule: person.Rule}},
		{"all statuses", "status=", alerts.Filter{}},
	} {
		keys, total := rows("/alerts?" + c.query)
		if w := want(c.f); total != w || len(keys) != min(w, alertsPageSize) {
			t.Errorf("%s: %d rows of %d, want %d", c.name, len(keys), total, w)
		}
	}
	for _, q := range []string{person.Operator.Name, person.Operator.IDNumber, whole, person.Certificate.CertNo, "T" + whole} {
		keys, _ := rows("/alerts?q=" + url.QueryEscape(q))
		if !contains(keys, person.Key) {
			t.Errorf("search %q does not find the alert of %s", q[:min(len(q), 8)], person.Operator.Name)
		}
	}
	body := w.page(t, s, "/alerts?enterprise="+person.Enterprise.USCC)
	if !strings.Contains(body, `<div class="alert-message">`+template.HTMLEscapeString(person.Message)) {
		t.Errorf("the row does not show the rule's what-to-do text %q", person.Message)
	}
	w.assertNoFullIDs(t, "alerts searched by a whole ID", []byte(w.page(t, s, "/alerts?q="+whole)))
	// Paged: the first page holds alertsPageSize rows and says how many pages there are.
	keys, total := rows("/alerts?status=")
	if total > alertsPageSize && (len(keys) != alertsPageSize || !strings.Contains(w.page(t, s, "/alerts?status="),
		fmt.Sprintf("第 1 / %d 页", (total+alertsPageSize-1)/alertsPageSize))) {
		t.Errorf("page one of %d alerts: %d rows, want %d and the page count", total, len(keys), alertsPageSize)
	}
}

// 静默: the silences in force, with who, why, until when and how many alerts each covers; 解除 ends
// one, from the page or the API.
func TestSilencesAreListedWithWhatTheyCoverAndCanBeEnded(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	p, err := w.alerts.Page(w.ctx, alerts.Filter{Status: "firing", PageSize: 1000})
	if err != nil || len(p.Alerts) == 0 {
		t.Fatalf("no alerts (%v)", err)
	}
	one := p.Alerts[0] // the most severe and oldest: a certificate alert
	community := p.Alerts[len(p.Alerts)-1].Community
	inCommunity := 0
	for _, a := range p.Alerts {
		if a.Community == community {
			inCommunity++
		}
	}
	post := func(path string, v url.Values) {
		t.Helper()
		v.Set("csrf", s.csrf)
		if resp, _ := w.form(t, path, s.cookie, v, "Origin", w.ts.URL); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	post("/alerts/silence", url.Values{"target": {one.Key}, "until": {"2026-02-01"}, "reason": {"企业停产检修"}})
	if resp, b := w.api(t, "POST", "/api/alerts/silence", fmt.Sprintf(`{"community":%q,"until":"2026-03-01","reason":"社区集中整改","by":"王五"}`, community)); resp.StatusCode != http.StatusOK {
		t.Fatalf("silence a community: %d %s", resp.StatusCode, b)
	}
	resp, b := w.api(t, "GET", "/api/alerts/silences", "")
	var sls []silenceView
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &sls) != nil || len(sls) != 2 {
		t.Fatalf("silences: %d %s", resp.StatusCode, b)
	}
	byReason := map[string]silenceView{}
	for _, sl := range sls {
		byReason[sl.Reason] = sl
	}
	if sl := byReason["企业停产检修"]; sl.Covers != 1 || sl.By != "测试员" || !strings.Contains(sl.Scope, one.RuleName) {
		t.Errorf("the silence of one alert: %+v, want it covering 1, set by 测试员, naming the rule", sl)
	}
	if sl := byReason["社区集中整改"]; sl.Covers != inCommunity || sl.By != "王五" || sl.Scope != community {
		t.Errorf("the silence of %s: %+v, want it covering %d, set by 王五", community, sl, inCommunity)
	}
	page := w.page(t, s, "/alerts/silences")
	for _, sl := range sls {
		if !strings.Contains(page, `data-silence="`+sl.ID+`"`) {
			t.Errorf("the page does not list silence %s", sl.ID)
		}
	}
	if !strings.Contains(page, fmt.Sprintf(`<span class="covers">%d</span>`, inCommunity)) {
		t.Errorf("the page does not say how many alerts the community's silence covers")
	}
	post("/alerts/unsilence", url.Values{"id": {byReason["企业停产检修"].ID}, "return": {"/alerts/silences"}})
	if page := w.page(t, s, "/alerts/silences"); !strings.Contains(page, flashUnsilenced) || strings.Contains(page, byReason["企业停产检修"].ID) {
		t.Errorf("after 解除 the page does not say so, or still lists the silence")
	}
	if resp, _ := w.api(t, "POST", "/api/alerts/silences/"+byReason["社区集中整改"].ID+"/end", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("end a silence through the API: %d", resp.StatusCode)
	}
	if left, _ := w.alerts.Silences(w.ctx); len(left) != 0 {
		t.Errorf("silences left after ending both: %+v", left)
	}
	if resp, b := w.api(t, "POST", "/api/alerts/silences/nosuchsilence/end", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("ending an unknown silence: %d %s, want 400", resp.StatusCode, b)
	}
}

// 重试队列: Chinese job names and error classes, the record's name, 立即重试 of a waiting item,
// a search by USCC and by ID number, and pages.
func TestQueueNamesRecordsRetriesWaitingItemsAndSearches(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	ctx := w.ctx
	ent := w.ds.Ledger[5]
	ops, _, err := w.ledger.OperatorPage(ctx, ledger.OperatorQuery{Offset: 3, Limit: 1})
	if err != nil || len(ops) != 1 {
		t.Fatalf("roster: %v", err)
	}
	op := ops[0]
	opKey := op.Key()
	waiting, err := w.queue.Enqueue(ctx, jobs.KindEnterprisePush, ent.USCC, retry.Transient(fmt.Errorf("泉州平台返回 503"), 0))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := w.queue.Enqueue(ctx, jobs.KindEmploymentPut, opKey.String(), retry.Transient(fmt.Errorf("特种作业系统超时"), 0))
	if err != nil {
		t.Fatal(err)
	}
	live := w.page(t, s, "/queue?view=live")
	for _, want := range []string{jobKindName(jobs.KindEnterprisePush), jobKindName(jobs.KindEmploymentPut), ent.Name,
		op.Name + " · ", errorClassName("transient"), `data-id="` + waiting + `"`} {
		if !strings.Contains(live, want) {
			t.Errorf("the waiting items do not show %q", want)
		}
	}
	w.assertNoFullIDs(t, "queue", []byte(live))
	if it, _ := w.queue.Get(ctx, waiting); it.State != retry.StateScheduled {
		t.Fatalf("the item is %s before 立即重试, want scheduled", it.State)
	}
	resp, _ := w.form(t, "/queue/retry", s.cookie, url.Values{"csrf": {s.csrf}, "id": {waiting}, "return": {"/queue?view=live"}}, "Origin", w.ts.URL)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("立即重试: %d", resp.StatusCode)
	}
	if it, _ := w.queue.Get(ctx, waiting); it.State != retry.StateDue {
		t.Errorf("the waiting item is %s after 立即重试, want due", it.State)
	}
	for _, c := range []struct{ q, want string }{{ent.USCC, waiting}, {op.IDNumber, reg}, {waiting, waiting}} {
		body := w.page(t, s, "/queue?q="+url.QueryEscape(c.q))
		if !strings.Contains(body, `data-id="`+c.want+`"`) {
			t.Errorf("search %s…: the item %s is not found", c.q[:6], c.want)
		}
		w.assertNoFullIDs(t, "queue search", []byte(body))
	}
	// The API pages too, and says how many there are.
	resp, b := w.api(t, "GET", "/api/queue/items?limit=2", "")
	var items []retry.ItemInfo
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &items) != nil || len(items) != 2 || resp.Header.Get("X-Total-Count") != "4" {
		t.Errorf("/api/queue/items?limit=2: %d, %d items, total %q; want 2 of 4", resp.StatusCode, len(items), resp.Header.Get("X-Total-Count"))
	}
	resp, b = w.api(t, "GET", "/api/queue/items?limit=2&page=2", "")
	var second []retry.ItemInfo
	if json.Unmarshal(b, &second) != nil || len(second) != 2 || second[0].ID == items[0].ID || second[0].ID == items[1].ID {
		t.Errorf("page 2: %s", b)
	}
}

// STAND-IN: the jobs' status (real: the scheduler's, through internal/app).
type fixedStatus struct {
	jobs      []scheduler.JobStatus
	platforms []ledger.PlatformHealth
	loss      *scheduler.RedisLoss
}

func (f fixedStatus) JobStatus(context.Context) ([]scheduler.JobStatus, error) { return f.jobs, nil }
func (f fixedStatus) RedisLoss(context.Context) (*scheduler.RedisLoss, error)  { return f.loss, nil }
func (f fixedStatus) PlatformHealth(context.Context) ([]ledger.PlatformHealth, error) {
	return f.platforms, nil
}

// 同步任务: each run's outcome in its colour with its reason, each job's latest tick (未运行, 延迟)
// with its next run, each platform's health, and a loss of Redis data still outstanding.
func TestJobsPageShowsOutcomesTicksHealthAndRedisLoss(t *testing.T) {
	next := testNow.Add(16 * time.Hour)
	st := fixedStatus{
		jobs: []scheduler.JobStatus{
			{Job: jobs.Enterprises, Enabled: true, Tick: testNow.Add(-8 * time.Hour), TickState: scheduler.TickMissed, TickText: scheduler.TickMissed.Text(), Next: next},
			{Job: jobs.Certificates, Enabled: true, Tick: testNow.Add(-7 * time.Hour), TickState: scheduler.TickLate, TickText: scheduler.TickLate.Text(), Next: next},
		},
		platforms: []ledger.PlatformHealth{
			{Platform: "quanzhou", LastSuccess: testNow.Add(-3 * time.Hour), ConsecutiveFailures: 7, FailingSince: testNow.Add(-2 * time.Hour),
				LastError: "泉州平台维护中（50300）", State: ledger.HealthUnavailable, StateText: ledger.HealthUnavailable.Text()},
			{Platform: "specialops", LastSuccess: testNow.Add(-time.Minute), State: ledger.HealthOK, StateText: ledger.HealthOK.Text()},
		},
		loss: &scheduler.RedisLoss{LostAt: testNow.Add(-time.Hour), NoticedBy: "anban-1", Waiting: []string{jobs.Enterprises}},
	}
	w := newWorld(t, worldOptions{status: st})
	reasons := map[scheduler.Outcome]string{
		scheduler.OutcomePartial:             "3 条暂时未成功，已转入重试队列，将自动重试",
		scheduler.OutcomePlatformUnavailable: "泉州平台不可用：本次运行的 12 次调用无一成功",
		scheduler.OutcomeFailed:              "运行出错：台账数据库只读。请查看日志",
	}
	for o, reason := range reasons {
		w.history.add(scheduler.Run{Job: jobs.Enterprises, Trigger: scheduler.TriggerSchedule, Start: testNow.Add(-time.Minute),
			End: testNow, Outcome: o, Reason: reason})
	}
	s := w.consoleLogin(t)
	body := w.page(t, s, "/jobs")
	for o, reason := range reasons {
		badge := fmt.Sprintf(`<span class="badge badge-%s outcome">%s</span>`, outcomeClass(string(o)), outcomeName(string(o)))
		if !strings.Contains(body, badge) || !strings.Contains(body, reason) {
			t.Errorf("outcome %s: want the badge %s and the reason %q", o, badge, reason)
		}
	}
	for _, want := range []string{
		`<span class="badge badge-ok outcome">成功</span>`,
		`<span class="badge badge-critical tick">未运行</span>`, `<span class="badge badge-warning tick">延迟</span>`,
		"下次：" + next.In(mapping.Beijing()).Format("01-02 15:04"),
		`<span class="badge badge-critical">不可用</span>`, `<span class="badge badge-ok">正常</span>`, "泉州平台维护中（50300）",
		`id="redis-loss"`, "anban-1", "企业信息同步",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the jobs page lacks %q", want)
		}
	}
	if front := w.page(t, s, "/"); !strings.Contains(front, `id="redis-loss"`) || !strings.Contains(front, `badge-critical">不可用`) {
		t.Errorf("概览 does not show the Redis loss or the platform down")
	}
	// The run history is paged: 14 days of every job and 3 more runs.
	total := 14*len(jobs.Names) + len(reasons)
	pages := (total + runsPageSize - 1) / runsPageSize
	if !strings.Contains(body, fmt.Sprintf(`data-total="%d"`, total)) || !strings.Contains(body, fmt.Sprintf("第 1 / %d 页", pages)) {
		t.Errorf("the run history does not say %d runs on %d pages", total, pages)
	}
}
