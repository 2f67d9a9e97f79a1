package console_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"streetsync/internal/alerts"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

// TestBrowserHazardScreenAndClearingPanel walks the 隐患 screen on a real daemon: filtered to the
// overdue hazards, a hazard's timeline, progress recorded and pushed, a hazard reported, the four
// lists downloaded; 概览's dynamic-clearing panel agreeing with the ledger's figures and its
// 12-month chart; and on 持证预警 a critical alert judged a major hazard (once on the platform).
// Screenshots at 1366×768 with CONSOLE_DOC_SCREENSHOTS.
func TestBrowserHazardScreenAndClearingPanel(t *testing.T) {
	ctx := newTab(t)
	dc := newDaemonConsole(t, daemonOptions{})
	bg := dc.ctx
	dc.login(t, ctx)

	// 概览: the panel's total row is the ledger's figures.
	fig, err := dc.ledger.HazardFigures(bg, mapping.DateOf(dc.app.Clock().Now().In(mapping.Beijing())))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "overview", chromedp.Navigate(dc.url+"/"), visible("#clearing-table"), chromedp.ScrollIntoView(chromedp.CSS("#clearing")))
	docShot(t, ctx, "overview-clearing")
	total := eval[[]string](t, ctx, `[...document.querySelectorAll('#clearing-table tr[data-community=total] td')].slice(1).map(td => td.textContent.trim())`)
	want := []string{fmt.Sprint(fig.Total.Stock), fmt.Sprint(fig.Total.Increment), fmt.Sprint(fig.Total.ClosedThisMonth), fmt.Sprint(fig.Total.Overdue)}
	if strings.Join(total, ",") != strings.Join(want, ",") {
		t.Errorf("the panel's total %v, the ledger's %v", total, want)
	}
	if fig.Total.Stock+fig.Total.Increment == 0 {
		t.Errorf("the generated street has no open major hazard: the panel shows nothing")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#chart-clearing svg rect.hz-open').length`); n == 0 {
		t.Errorf("the 12-month chart draws no bar")
	}
	for _, key := range []string{"majorHazards", "overdueHazards"} {
		if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('[data-todo=%q]').length`, key)); n != 1 {
			t.Errorf("待办 has %d %s lines, want 1", n, key)
		}
	}

	// 隐患, the overdue ones: each row overdue and still 待整改 or 整改中.
	do(t, ctx, "hazards overdue", chromedp.Navigate(dc.url+"/hazards?status=overdue"), visible("#hazards-table"))
	statuses := eval[[]string](t, ctx, `[...document.querySelectorAll('#hazards-table tr[data-hazard]')].map(r => r.dataset.status + (r.classList.contains('row-overdue') ? '!' : ''))`)
	if len(statuses) == 0 {
		t.Fatalf("no overdue hazard listed")
	}
	for _, s := range statuses {
		if s != "0!" && s != "1!" {
			t.Errorf("an overdue listing holds a row %q", s)
		}
	}
	n, err := dc.ledger.CountHazards(bg, ledger.HazardFilter{Status: ledger.HazardsOverdue, Today: mapping.DateOf(dc.app.Clock().Now().In(mapping.Beijing()))})
	if err != nil {
		t.Fatal(err)
	}
	if got := eval[int](t, ctx, `parseInt(document.querySelector("[data-total]").dataset.total, 10)`); got != n {
		t.Errorf("the page counts %d overdue, the ledger %d", got, n)
	}

	// The whole list, major first filter; a street hazard's progress recorded: pushed, in its timeline.
	do(t, ctx, "hazards", chromedp.Navigate(dc.url+"/hazards?status=open&level=重大"), visible("#hazards-table"))
	docShot(t, ctx, "hazards")
	id := eval[string](t, ctx, `(document.querySelector('#hazards-table tr[data-status="0"] code') || {textContent: ""}).textContent`)
	if id == "" {
		t.Fatalf("no open major hazard 待整改 to record progress on")
	}
	row := fmt.Sprintf(`#hazards-table tr[data-hazard=%q]`, id)
	do(t, ctx, "record progress",
		chromedp.Click(chromedp.CSS(row+" .actions summary")),
		visible(row+" textarea[name=note]"),
		chromedp.SetValue(chromedp.CSS(row+" select[name=status]"), "整改中"),
		chromedp.SendKeys(chromedp.CSS(row+" textarea[name=note]"), "企业已安排停产整改，更换防爆电气"),
		chromedp.Click(chromedp.CSS(row+" form button")),
		visible(".flash-ok"),
	)
	if msg := text(t, ctx, ".flash-ok"); !strings.Contains(msg, id) {
		t.Errorf("flash %q does not name the hazard", msg)
	}
	rec, err := dc.ledger.HazardByKey(bg, id)
	if err != nil || rec.Status != mapping.HazardRectifying {
		t.Fatalf("after 记录进度: %v, status %q", err, rec.Status)
	}
	hist, _ := dc.ledger.HazardHistory(bg, id)
	if len(hist) == 0 || hist[len(hist)-1].Handler != "张三" {
		t.Errorf("history %+v: want the logged-in operator as handler", hist)
	}
	do(t, ctx, "timeline", chromedp.Click(chromedp.CSS(row+" details.timeline summary")), visible(row+" .timeline-list li"))
	if tl := text(t, ctx, row+" .timeline-list"); !strings.Contains(tl, "整改中") || !strings.Contains(tl, "更换防爆电气") {
		t.Errorf("the timeline %q lacks the change", tl)
	}
	docShot(t, ctx, "hazards-timeline")

	// 销号, with who verified it: the hazard leaves the open list, the verifier is its handler.
	do(t, ctx, "close",
		chromedp.Navigate(dc.url+"/hazards?status=all"), visible(row),
		chromedp.Click(chromedp.CSS(row+" .actions summary")),
		visible(row+" textarea[name=note]"),
		chromedp.SetValue(chromedp.CSS(row+" select[name=status]"), "已销号"),
		chromedp.SendKeys(chromedp.CSS(row+" textarea[name=note]"), "安办现场验收合格"),
		chromedp.SendKeys(chromedp.CSS(row+" input[name=handler]"), "林芳"),
		chromedp.Click(chromedp.CSS(row+" form button")),
		visible(".flash-ok"),
	)
	rec, err = dc.ledger.HazardByKey(bg, id)
	if err != nil || rec.Status != mapping.HazardClosed {
		t.Fatalf("after 销号: %v, status %q", err, rec.Status)
	}
	if hist, _ := dc.ledger.HazardHistory(bg, id); len(hist) == 0 || hist[len(hist)-1].Handler != "林芳" {
		t.Errorf("history %+v: want the verifier 林芳 on the 销号", hist)
	}
	do(t, ctx, "open list", chromedp.Navigate(dc.url+"/hazards?status=open"), visible(".page-head"))
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('#hazards-table tr[data-hazard=%q]').length`, id)); n != 0 {
		t.Errorf("the closed hazard %s is still in the open list", id)
	}

	// One community's hazards: every row is that community's.
	do(t, ctx, "all hazards", chromedp.Navigate(dc.url+"/hazards?status=all"), visible("#hazards-table"))
	community := eval[string](t, ctx, `(document.querySelector('#hazards-table tr[data-community]:not([data-community=""])') || {dataset: {community: ""}}).dataset.community`)
	if community == "" {
		t.Fatal("no hazard row names its community")
	}
	do(t, ctx, "community filter", chromedp.Navigate(dc.url+"/hazards?status=all&community="+url.QueryEscape(community)), visible("#hazards-table"))
	listed := eval[[]string](t, ctx, `[...document.querySelectorAll('#hazards-table tr[data-hazard]')].map(r => r.dataset.community)`)
	if len(listed) == 0 {
		t.Errorf("the %s list is empty", community)
	}
	for _, c := range listed {
		if c != community {
			t.Errorf("the %s list holds a hazard of %q", community, c)
		}
	}

	// 上报隐患.
	ents, _, err := dc.ledger.EnterprisePage(bg, ledger.EnterpriseQuery{Limit: 1})
	if err != nil || len(ents) == 0 {
		t.Fatalf("no enterprise: %v", err)
	}
	do(t, ctx, "report",
		chromedp.Navigate(dc.url+"/hazards"), visible("#hazard-report summary"),
		chromedp.Click(chromedp.CSS("#hazard-report summary")), visible("#hazard-report textarea[name=desc]"),
		chromedp.SendKeys(chromedp.CSS("#hazard-report input[name=uscc]"), ents[0].USCC),
		chromedp.SendKeys(chromedp.CSS("#hazard-report textarea[name=desc]"), "粉尘除尘系统未设置泄爆装置"),
		chromedp.SetValue(chromedp.CSS("#hazard-report select[name=level]"), "重大"),
		chromedp.SendKeys(chromedp.CSS("#hazard-report input[name=clause]"), "3-1"),
		chromedp.SendKeys(chromedp.CSS("#hazard-report input[name=location]"), "二号车间"),
	)
	docShot(t, ctx, "hazards-report")
	do(t, ctx, "report submit", chromedp.Click(chromedp.CSS("#hazard-report form button")), visible(".flash"))
	if msg := text(t, ctx, ".flash"); !strings.Contains(msg, "已记录隐患") || !strings.Contains(msg, "泉州平台已接收") {
		t.Errorf("report: flash %q", msg)
	}
	// The four lists' download is the workbook `hazards lists` writes: its four sheets.
	b64 := value(t, ctx, "download", chromedp.Evaluate[string](`fetch("/hazards/lists.xlsx", {credentials: "same-origin"})
		.then(r => r.arrayBuffer()).then(b => { let s = ""; for (const c of new Uint8Array(b)) s += String.fromCharCode(c); return btoa(s); })`,
		chromedp.EvalAwaitPromise))
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the four lists' download is no workbook: %v", err)
	}
	if got := book.GetSheetList(); !slices.Equal(got, []string{workbook.ListEnterprises, workbook.ListHazards,
		workbook.ListRectifications, workbook.ListResponsibility}) {
		t.Errorf("the download's sheets %v", got)
	}
	book.Close()

	// 持证预警: a critical NO_CERTIFICATE alert judged a major hazard, once.
	st, _ := dc.app.AlertStore(bg)
	p, err := st.Page(bg, alerts.Filter{Status: "firing", Rule: "NO_CERTIFICATE", PageSize: 1})
	if err != nil || len(p.Alerts) == 0 {
		t.Fatalf("no NO_CERTIFICATE alert: %v", err)
	}
	key := p.Alerts[0].Key
	arow := fmt.Sprintf(`#alerts-table tr[data-key=%q]`, key)
	for i := 0; i < 2; i++ {
		do(t, ctx, "from-alert",
			chromedp.Navigate(dc.url+"/alerts?rule=NO_CERTIFICATE&status=firing"), visible(arow),
			chromedp.Click(chromedp.CSS(arow+" details:has(.from-alert-form) summary")),
			visible(arow+" .from-alert-form textarea"),
			chromedp.SendKeys(chromedp.CSS(arow+" .from-alert-form textarea[name=note]"), "现场核实该人员正在从事电工作业"),
		)
		if i == 0 {
			docShot(t, ctx, "alerts-from-alert")
		}
		do(t, ctx, "judge", chromedp.Click(chromedp.CSS(arow+" .from-alert-form button")), visible(".flash-ok"))
	}
	if msg := text(t, ctx, ".flash-ok"); !strings.Contains(msg, "此前已判定") {
		t.Errorf("the second judgement: flash %q", msg)
	}
	if n := dc.mocks.Quanzhou.HazardCreates("YJ-" + key); n != 1 {
		t.Errorf("the platform created the hazard %d times, want once", n)
	}
	for _, path := range []string{"/hazards", "/hazards?status=overdue", "/"} {
		do(t, ctx, path, chromedp.Navigate(dc.url+path), visible(".page-head"))
		if got := eval[int](t, ctx, `document.documentElement.scrollWidth`); got > 1366 {
			t.Errorf("%s is %d pixels wide, wider than the 1366-pixel screen", path, got)
		}
		dc.assertNoFullIDs(t, path, html(t, ctx))
	}
}
