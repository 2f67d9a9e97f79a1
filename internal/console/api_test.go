package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/scheduler/retry"
)

// request sends an API request; token "" sends none.
func (w *world) request(t *testing.T, method, path, token string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, w.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (w *world) api(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return w.request(t, method, path, testToken, r, "Content-Type", "application/json")
}

func apiErrorOf(t *testing.T, b []byte) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
		t.Fatalf("want a JSON error body, got %q", b)
	}
	return e.Error
}

// apiRoutes lists every API route with a valid body.
var apiRoutes = []struct{ method, path, body string }{
	{"GET", "/api/overview", ""},
	{"GET", "/api/jobs/runs", ""},
	{"POST", "/api/jobs/run", `{"job":"enterprises"}`},
	{"GET", "/api/queue/stats", ""},
	{"GET", "/api/queue/items?dead=true", ""},
	{"POST", "/api/queue/retry", `{"ids":["x"]}`},
	{"POST", "/api/queue/drop", `{"ids":["x"]}`},
	{"POST", "/api/reconcile", `{"scope":"all"}`},
	{"POST", "/api/reconcile/apply", `{"scope":"all"}`},
	{"GET", "/api/reconcile/report", ""},
	{"GET", "/api/reconcile/report.xlsx", ""},
	{"GET", "/api/alerts", ""},
	{"GET", "/api/alerts/0123456789abcdef", ""},
	{"POST", "/api/alerts/0123456789abcdef/ack", `{"note":"x"}`},
	{"POST", "/api/alerts/silence", `{"target":"0123456789abcdef","until":"2026-02-01","reason":"x"}`},
	{"GET", "/api/alarms", ""},
	{"POST", "/api/alarms/A1/feedback", `{"status":"2","note":"x","handler":"y"}`},
	{"GET", "/api/ledger/enterprises", ""},
	{"GET", "/api/ledger/operators", ""},
	{"POST", "/api/ledger/enterprises/91350582MA2Y5XXXXX/confirm", ""},
	{"POST", "/api/workbook/import", ""},
	{"GET", "/api/workbook/export", ""},
	{"GET", "/api/no/such/route", ""},
}

func TestAPIRefusesRequestsWithoutTheToken(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for _, r := range apiRoutes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			for _, c := range []struct{ name, header, want string }{
				{"no token", "", msgNoToken},
				{"wrong token", "Bearer wrong-token", msgBadToken},
				{"basic scheme", "Basic " + testToken, msgNoToken},
			} {
				// Each case from its own address budget: the wrong tokens here must not add up to
				// the guessing limit, which has its own test.
				w.srv.failures = newFailureLimiter(w.clock.Now)
				resp, b := w.request(t, r.method, r.path, "", strings.NewReader(r.body), "Authorization", c.header)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", c.name, resp.StatusCode)
					continue
				}
				if got := apiErrorOf(t, b); got != c.want {
					t.Errorf("%s: error %q, want %q", c.name, got, c.want)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: no WWW-Authenticate header", c.name)
				}
				if got := resp.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s: Cache-Control %q, want no-store", c.name, got)
				}
			}
		})
	}
	if len(w.jobs.calls) != 0 {
		t.Errorf("refused requests ran jobs: %v", w.jobs.calls)
	}
}

// Past the budget of failures a wrong token is answered 429; the right one is still let in
// (the bug this replaced: it was refused with the rest).
func TestAPIRefusesTokenGuessingPastTheBudget(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for i := 0; i < failureBurst; i++ {
		if resp, _ := w.request(t, "GET", "/api/queue/stats", "guess", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, b := w.request(t, "GET", "/api/queue/stats", "guess again", nil)
	if resp.StatusCode != http.StatusTooManyRequests || apiErrorOf(t, b) != msgTooManyLogins {
		t.Fatalf("after %d wrong tokens another: status %d %s, want 429", failureBurst, resp.StatusCode, b)
	}
	if resp, b := w.request(t, "GET", "/api/queue/stats", "", nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d wrong tokens none at all: status %d %s, want 429", failureBurst, resp.StatusCode, b)
	}
	for i := 0; i < 3; i++ { // the right token gets in, and costs nothing
		if resp, _ := w.request(t, "GET", "/api/queue/stats", testToken, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("right token %d after %d wrong ones: status %d, want 200", i, failureBurst, resp.StatusCode)
		}
	}
	w.clock.Advance(failureRefill)
	if resp, _ := w.request(t, "GET", "/api/queue/stats", "guess", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after %v: a wrong token: status %d, want 401", failureRefill, resp.StatusCode)
	}
}

func TestAPIRejectsMalformedJSON(t *testing.T) {
	w := newWorld(t, worldOptions{})
	cases := []struct{ name, body, want string }{
		{"empty body", "", msgJSONEmpty},
		{"syntax error", `{"job": }`, "请求内容不是有效的 JSON：第 9 个字节附近有语法错误"},
		{"cut short", `{"job": "enterprises"`, "请求内容不是有效的 JSON：内容不完整"},
		{"wrong type", `{"job": 7}`, "请求内容不是有效的 JSON：字段 job 的类型应为 string"},
		{"unknown field", `{"job": "enterprises", "force": true}`, `请求中有未知字段 "force"`},
		{"two values", `{} {}`, msgJSONTrailing},
	}
	for _, path := range []string{"/api/jobs/run", "/api/queue/retry", "/api/reconcile", "/api/alerts/silence", "/api/alarms/A1/feedback"} {
		for _, c := range cases {
			if path != "/api/jobs/run" && (c.name == "wrong type" || c.name == "unknown field") {
				continue // the field names differ; the decoder is the same
			}
			t.Run(path+" "+c.name, func(t *testing.T) {
				resp, b := w.api(t, "POST", path, c.body)
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 400 (%s)", resp.StatusCode, b)
				}
				if got := apiErrorOf(t, b); got != c.want {
					t.Errorf("error %q, want %q", got, c.want)
				}
			})
		}
	}
	if len(w.jobs.calls) != 0 {
		t.Errorf("malformed requests ran jobs: %v", w.jobs.calls)
	}
}

func TestAPIRefusesOversizedBodies(t *testing.T) {
	w := newWorld(t, worldOptions{})
	big := `{"ids": ["` + strings.Repeat("a", defaultMaxJSON) + `"]}`
	t.Run("json with a length", func(t *testing.T) {
		resp, b := w.api(t, "POST", "/api/queue/drop", big)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || apiErrorOf(t, b) != "请求内容过大（上限 1 MiB）" {
			t.Errorf("status %d %s, want 413 with the limit", resp.StatusCode, b)
		}
	})
	t.Run("json streamed without a length", func(t *testing.T) {
		resp, b := w.request(t, "POST", "/api/queue/drop", testToken, io.MultiReader(strings.NewReader(big)))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || apiErrorOf(t, b) != "请求内容过大（上限 1 MiB）" {
			t.Errorf("status %d %s, want 413 with the limit", resp.StatusCode, b)
		}
	})
	t.Run("workbook upload with a length", func(t *testing.T) {
		// Only the headers are sent: a declared length over the limit is refused before any
		// of the body is read.
		conn, err := net.Dial("tcp", w.ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/workbook/import HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n", w.ts.Listener.Addr(), testToken, defaultMaxUpload+(64<<10)+1)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || apiErrorOf(t, b) != "上传文件过大（上限 20 MiB）" {
			t.Errorf("status %d %s, want 413 with the limit", resp.StatusCode, b)
		}
	})
	t.Run("workbook upload streamed without a length", func(t *testing.T) {
		small := newWorld(t, worldOptions{opts: Options{MaxUploadBytes: 256 << 10}})
		body, ctype := multipartFile(t, "企业台账.xlsx", bytes.Repeat([]byte("x"), 256<<10+1))
		resp, b := small.request(t, "POST", "/api/workbook/import", testToken, io.MultiReader(bytes.NewReader(body)), "Content-Type", ctype)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || apiErrorOf(t, b) != "上传文件过大（上限 256 KiB）" {
			t.Errorf("status %d %s, want 413 with the limit", resp.StatusCode, b)
		}
	})
}

func multipartFile(t *testing.T, name string, data []byte, fields ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func TestAPIMasksIDNumbersEverywhere(t *testing.T) {
	w := newWorld(t, worldOptions{})
	if resp, b := w.api(t, "POST", "/api/reconcile", `{"scope":"all"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("reconcile: %d %s", resp.StatusCode, b)
	}
	firing, err := w.alerts.Page(w.ctx, alerts.Filter{Status: "firing", PageSize: 1000})
	if err != nil || len(firing.Alerts) == 0 {
		t.Fatalf("no firing alerts (%v)", err)
	}
	var withPerson string
	for _, a := range firing.Alerts {
		if a.Operator != nil {
			withPerson = a.Key
			break
		}
	}
	for _, path := range []string{
		"/api/overview", "/api/queue/items?dead=true", "/api/queue/items", "/api/reconcile/report",
		"/api/alerts?status=", "/api/alerts/" + withPerson, "/api/alarms", "/api/ledger/operators?size=1000",
		"/api/ledger/operators?q=" + w.ids[0], "/api/ledger/enterprises?size=1000", "/api/jobs/runs",
	} {
		resp, b := w.api(t, "GET", path, "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d (%s)", path, resp.StatusCode, b)
			continue
		}
		w.assertNoFullIDs(t, path, b)
	}
	_, b := w.api(t, "GET", "/api/ledger/operators?q="+w.ids[0], "")
	var page listPage[operatorRow]
	if err := json.Unmarshal(b, &page); err != nil || len(page.Items) == 0 {
		t.Fatalf("search by ID number found nobody: %s", b)
	}
	if got, want := page.Items[0].IDNumber, w.ids[0][:6]+"********"+w.ids[0][14:]; got != want {
		t.Errorf("masked ID number: got %s, want %s", got, want)
	}
	_, b = w.api(t, "GET", "/api/queue/items?dead=true", "")
	if !bytes.Contains(b, []byte(w.ds.Roster[0].IDNumber[:6]+"********")) {
		t.Errorf("the dead roster item's key is not shown masked: %s", b)
	}
	// The workbook export is the ledger's own copy: whole ID numbers, as the contract says.
	resp, b := w.api(t, "GET", "/api/workbook/export", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != xlsxType {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows("特种作业人员")
	found := false
	for _, r := range rows {
		found = found || contains(r, w.ids[0])
	}
	if !found {
		t.Errorf("the exported roster lacks the whole ID number of its first entry")
	}
}

func TestAPIRunsJobsAndLists(t *testing.T) {
	w := newWorld(t, worldOptions{})
	resp, b := w.api(t, "POST", "/api/jobs/run", `{"job":"certificates","full":true}`)
	var one jobs.Summary
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &one) != nil || one.Job != jobs.Certificates || one.Pulled != 10 {
		t.Fatalf("run one job: %d %s", resp.StatusCode, b)
	}
	resp, b = w.api(t, "POST", "/api/jobs/run", `{"job":"all"}`)
	var all []jobs.Summary
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &all) != nil || len(all) != len(jobs.Names) {
		t.Fatalf("run all: %d %s", resp.StatusCode, b)
	}
	if got, want := strings.Join(w.jobs.calls, ","), "certificates|true,all|false"; got != want {
		t.Errorf("runner calls: got %s, want %s", got, want)
	}
	resp, b = w.api(t, "POST", "/api/jobs/run", `{"job":"everything"}`)
	if resp.StatusCode != http.StatusBadRequest || apiErrorOf(t, b) != fmt.Sprintf(msgUnknownJob, "everything") {
		t.Errorf("unknown job: %d %s", resp.StatusCode, b)
	}
	resp, b = w.api(t, "GET", "/api/jobs/runs?job=certificates&limit=2", "")
	var runs []Run
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &runs) != nil || len(runs) != 2 || runs[0].Trigger != "manual" {
		t.Errorf("runs: %d %s", resp.StatusCode, b)
	}
	resp, b = w.api(t, "GET", "/api/queue/stats", "")
	if resp.StatusCode != http.StatusOK || string(b) != `{"pending":0,"scheduled":2,"dead":3}`+"\n" {
		t.Errorf("queue stats: %d %s", resp.StatusCode, b)
	}
}

func TestAPIQueueRetryAndDrop(t *testing.T) {
	w := newWorld(t, worldOptions{})
	cases := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"retry one dead item", "/api/queue/retry", fmt.Sprintf(`{"ids":[%q]}`, w.dead[0]), 200, `{"count":1}`},
		{"retry an unknown item", "/api/queue/retry", `{"ids":["nosuchitem00"]}`, 404, ""},
		{"retry nothing", "/api/queue/retry", `{"ids":[]}`, 400, ""},
		{"drop one, one unknown", "/api/queue/drop", fmt.Sprintf(`{"ids":[%q,"nosuchitem00"]}`, w.dead[1]), 200, ""},
		{"retry all dead", "/api/queue/retry", `{"allDead":true}`, 200, `{"count":1}`},
	}
	for _, c := range cases {
		resp, b := w.api(t, "POST", c.path, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.status, b)
		}
		if c.want != "" && strings.TrimSpace(string(b)) != c.want {
			t.Errorf("%s: body %s, want %s", c.name, b, c.want)
		}
	}
	st, err := w.queue.Stats(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dead != 0 || st.Pending+st.Scheduled != 4 {
		t.Errorf("queue after the calls: %+v, want no dead and 4 waiting", st)
	}
	items, _ := w.queue.List(w.ctx, retry.ListOptions{})
	for _, it := range items {
		if it.ID == w.dead[1] {
			t.Errorf("the dropped item is still queued")
		}
	}
}

func TestAPIReconcileApplyAndDownload(t *testing.T) {
	w := newWorld(t, worldOptions{})
	if resp, b := w.api(t, "GET", "/api/reconcile/report", ""); resp.StatusCode != http.StatusNotFound || apiErrorOf(t, b) != msgNoReport {
		t.Errorf("report before any run: %d %s", resp.StatusCode, b)
	}
	resp, b := w.api(t, "POST", "/api/reconcile", `{"scope":"enterprises"}`)
	var raw map[string]map[string]json.RawMessage
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &raw) != nil {
		t.Fatalf("reconcile: %d %s", resp.StatusCode, b)
	}
	if _, ok := raw["operators"]; ok || len(raw["enterprises"]) != 3 {
		t.Errorf("enterprise scope: got sections %v, want enterprises with onlyInLedger, onlyOnPlatform, different", raw)
	}
	for _, c := range []struct{ body, want string }{
		{`{"scope":"people"}`, fmt.Sprintf(msgUnknownScope, "people")},
		{`{"scope":"all","uscc":"123"}`, fmt.Sprintf(msgBadUSCC, "123")},
	} {
		if resp, b := w.api(t, "POST", "/api/reconcile", c.body); resp.StatusCode != http.StatusBadRequest || apiErrorOf(t, b) != c.want {
			t.Errorf("%s: %d %s, want 400 %s", c.body, resp.StatusCode, b, c.want)
		}
	}
	resp, b = w.api(t, "GET", "/api/reconcile/report.xlsx", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != xlsxType ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("report download: %d %v", resp.StatusCode, resp.Header)
	}
	resp, b = w.api(t, "POST", "/api/reconcile/apply", `{"scope":"all"}`)
	var st reportState
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &st) != nil || st.Applied == nil || len(st.Report.Enterprises.Different) != 0 {
		t.Errorf("apply: %d %s", resp.StatusCode, b)
	}
}

func TestAPIAlertsAckSilenceAndFeedback(t *testing.T) {
	w := newWorld(t, worldOptions{})
	resp, b := w.api(t, "GET", "/api/alerts?rule=CERT_EXPIRED", "")
	var page alerts.Page
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &page) != nil || len(page.Alerts) == 0 || page.Total != len(page.Alerts) {
		t.Fatalf("alerts: %d %s", resp.StatusCode, b)
	}
	recs := page.Alerts
	for _, r := range recs {
		if r.Rule != "CERT_EXPIRED" {
			t.Errorf("filter by rule returned %s", r.Rule)
		}
	}
	key := recs[0].Key
	cases := []struct {
		name, method, path, body, header string
		status                           int
	}{
		{"ack", "POST", "/api/alerts/" + key + "/ack", `{"note":"已电话督促"}`, "", 200},
		{"ack without a note", "POST", "/api/alerts/" + key + "/ack", `{"note":" "}`, "", 400},
		{"ack an unknown alert", "POST", "/api/alerts/0000000000000000/ack", `{"note":"x"}`, "", 404},
		{"history", "GET", "/api/alerts/" + key, "", "", 200},
		{"unknown rule", "GET", "/api/alerts?rule=NO_SUCH_RULE", "", "", 400},
		{"silence", "POST", "/api/alerts/silence", fmt.Sprintf(`{"target":%q,"until":"2026-02-01","reason":"企业已停产"}`, key), "", 200},
		{"silence until a bad time", "POST", "/api/alerts/silence", `{"community":"洪溪社区","until":"明天","reason":"x"}`, "", 400},
		{"silence in the past", "POST", "/api/alerts/silence", `{"community":"洪溪社区","until":"2020-01-01","reason":"x"}`, "", 400},
		{"feedback", "POST", "/api/alarms/" + w.ds.Alarms[0].ID + "/feedback", `{"status":"1","note":"已安排检查","handler":"李四"}`, "", 201},
		{"the same feedback again", "POST", "/api/alarms/" + w.ds.Alarms[0].ID + "/feedback", `{"status":"1","note":"已安排检查","handler":"李四"}`, "", 200},
		{"feedback with a bad status", "POST", "/api/alarms/" + w.ds.Alarms[0].ID + "/feedback", `{"status":"3","note":"x","handler":"y"}`, "", 400},
		{"feedback without a note", "POST", "/api/alarms/" + w.ds.Alarms[0].ID + "/feedback", `{"status":"2","note":"","handler":"y"}`, "", 400},
		{"feedback on an unknown alarm", "POST", "/api/alarms/NOPE/feedback", `{"status":"2","note":"x","handler":"y"}`, "", 400},
	}
	for _, c := range cases {
		resp, b := w.api(t, c.method, c.path, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.status, b)
		}
	}
	_, events, err := w.alerts.History(w.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var acked bool
	for _, e := range events {
		acked = acked || (e.Type == alerts.EventAcknowledged && e.By == "API" && e.Note == "已电话督促")
	}
	if !acked {
		t.Errorf("the acknowledgement is not in the alert's history: %+v", events)
	}
	fbs, _ := w.ledger.AlarmFeedback(w.ctx, w.ds.Alarms[0].ID)
	if len(fbs) != 1 || fbs[0].Handler != "李四" || fbs[0].State != ledger.PushPending {
		t.Errorf("feedback recorded: %+v, want one pending by 李四", fbs)
	}
}

func TestAPIWorkbookRoundTripAndLedger(t *testing.T) {
	w := newWorld(t, worldOptions{})
	resp, exported := w.api(t, "GET", "/api/workbook/export", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	body, ctype := multipartFile(t, "台账.xlsx", exported)
	resp, b := w.request(t, "POST", "/api/workbook/import?dryRun=true", testToken, bytes.NewReader(body), "Content-Type", ctype)
	var res ImportResult
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil || !res.DryRun || res.Enterprises.Unchanged == 0 ||
		res.Enterprises.Inserted+res.Enterprises.Updated != 0 {
		t.Errorf("dry-run import of the export: %d %s, want everything unchanged", resp.StatusCode, b)
	}
	body, ctype = multipartFile(t, "台账.pdf", []byte("%PDF"))
	resp, b = w.request(t, "POST", "/api/workbook/import", testToken, bytes.NewReader(body), "Content-Type", ctype)
	if resp.StatusCode != http.StatusBadRequest || apiErrorOf(t, b) != msgBadFileType {
		t.Errorf("import of a pdf: %d %s", resp.StatusCode, b)
	}
	resp, b = w.request(t, "POST", "/api/workbook/import", testToken, strings.NewReader("{}"), "Content-Type", "application/json")
	if resp.StatusCode != http.StatusBadRequest || apiErrorOf(t, b) != msgNoFile {
		t.Errorf("import without a file: %d %s", resp.StatusCode, b)
	}

	// A rejected row names sheet, row and column, and masks the ID number it quotes.
	x := excelize.NewFile()
	x.SetSheetName("Sheet1", "特种作业人员")
	bad := w.ids[0][:17] + "0"
	if bad == w.ids[0] {
		bad = w.ids[0][:17] + "1"
	}
	x.SetSheetRow("特种作业人员", "A1", &[]any{"姓名", "身份证号", "所在企业统一社会信用代码", "操作项目", "上岗日期"})
	x.SetSheetRow("特种作业人员", "A2", &[]any{"王五", bad, w.ds.Ledger[0].USCC, "低压电工作业", "2024-03-01"})
	var xb bytes.Buffer
	x.Write(&xb)
	body, ctype = multipartFile(t, "人员.xlsx", xb.Bytes())
	resp, b = w.request(t, "POST", "/api/workbook/import", testToken, bytes.NewReader(body), "Content-Type", ctype)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil || len(res.Rejected) == 0 {
		t.Fatalf("import of a bad row: %d %s", resp.StatusCode, b)
	}
	if rj := res.Rejected[0]; rj.Sheet != "特种作业人员" || rj.Row != 2 || rj.Value != bad[:6]+"********"+bad[14:] {
		t.Errorf("rejection: %+v, want row 2 of 特种作业人员 with the ID number masked", rj)
	}
	if bytes.Contains(b, []byte(bad)) {
		t.Errorf("the rejected ID number is shown whole")
	}

	resp, b = w.api(t, "GET", "/api/ledger/enterprises?size=5&page=2", "")
	var ents listPage[enterpriseRow]
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &ents) != nil || len(ents.Items) != 5 || !ents.More || ents.Page != 2 {
		t.Errorf("enterprise page 2: %d %s", resp.StatusCode, b)
	}
	name := w.ds.Ledger[3].Name
	_, b = w.api(t, "GET", "/api/ledger/enterprises?q="+name, "")
	if json.Unmarshal(b, &ents) != nil || len(ents.Items) != 1 || ents.Items[0].Name != name {
		t.Errorf("search by name %s: %s", name, b)
	}
	if resp, b := w.api(t, "POST", "/api/ledger/enterprises/91350582MA00000000/confirm", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("confirm an unknown enterprise: %d %s", resp.StatusCode, b)
	}
}

func TestAPIRunJoinsTheRunningTaskOrRefusesAnother(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.jobs.block = make(chan struct{})
	first := make(chan int, 1)
	go func() {
		resp, _ := w.api(t, "POST", "/api/jobs/run", `{"job":"alarms"}`)
		first <- resp.StatusCode
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(w.srv.tasks.runningTasks()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // waiting for the other goroutine, not for the clock
	}
	resp, b := w.api(t, "POST", "/api/jobs/run", `{"job":"enterprises"}`)
	if resp.StatusCode != http.StatusConflict || apiErrorOf(t, b) != fmt.Sprintf(msgTaskBusy, fmt.Sprintf(labelSync, jobName("alarms"))) {
		t.Errorf("a second, different run: %d %s", resp.StatusCode, b)
	}
	close(w.jobs.block)
	if got := <-first; got != http.StatusOK {
		t.Errorf("the first run: status %d", got)
	}
	if got := len(w.jobs.calls); got != 1 {
		t.Errorf("runner called %d times, want 1", got)
	}
}

// /metrics names alert channels and communities: the console serves it to holders of the token
// only (the daemon serves it to anyone only with console.metricsPublic, and then not through
// the console).
func TestConsoleMetricsNeedTheToken(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `streetsync_alert_deliveries_total{channel="林格社区群",status="firing"} 1`+"\n")
	})
	w := newWorld(t, worldOptions{opts: Options{Metrics: metrics}})
	resp, b := w.request(t, "GET", "/metrics", "", nil)
	if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(b, []byte("林格社区群")) {
		t.Errorf("/metrics without a token: %d %q, want 401 without the series", resp.StatusCode, b)
	}
	resp, b = w.request(t, "GET", "/metrics", "wrong-token-0000000", nil)
	if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(b, []byte("林格社区群")) {
		t.Errorf("/metrics with a wrong token: %d %q, want 401 without the series", resp.StatusCode, b)
	}
	resp, b = w.request(t, "GET", "/metrics", testToken, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("林格社区群")) {
		t.Errorf("/metrics with the token: %d %q, want 200 with the series", resp.StatusCode, b)
	}
	// Without a metrics handler the console has no /metrics.
	plain := newWorld(t, worldOptions{})
	if resp, _ := plain.request(t, "GET", "/metrics", testToken, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics of a console without metrics: %d, want 404", resp.StatusCode)
	}
}

// /static/ serves the files the pages link to and lists no directory.
func TestConsoleStaticListsNoDirectory(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for path, want := range map[string]int{
		"/static/":                            http.StatusNotFound,
		"/static/console.css":                 http.StatusOK,
		"/static/console.js":                  http.StatusOK,
		"/static/console.css/":                http.StatusNotFound,
		"/static/nothing.css":                 http.StatusNotFound,
		"/static/%2e%2e/templates/":           http.StatusNotFound,
		"/static/..%2ftemplates%2flogin.html": http.StatusNotFound,
	} {
		resp, b := w.request(t, "GET", path, "", nil)
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if bytes.Contains(b, []byte("<pre>")) || bytes.Contains(b, []byte(`href="console.css"`)) {
			t.Errorf("GET %s lists a directory: %s", path, b)
		}
	}
}

// An API call that waits for a sync outlasts the server's write deadline (sized for uploads and
// exports, not for a whole sync) and still gets its answer.
func TestAPIRunOutlastsTheWriteDeadline(t *testing.T) {
	w := newWorld(t, worldOptions{})
	const deadline = 100 * time.Millisecond
	ts := httptest.NewUnstartedServer(w.srv.Handler())
	ts.Config.WriteTimeout = deadline
	ts.Start()
	defer ts.Close()
	block := make(chan struct{})
	w.jobs.mu.Lock()
	w.jobs.block = block
	w.jobs.mu.Unlock()
	// The run is released well after the write deadline has passed.
	release := time.AfterFunc(5*deadline, func() { close(block) })
	defer release.Stop()
	req, _ := http.NewRequest("POST", ts.URL+"/api/jobs/run", strings.NewReader(`{"job":"alarms"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("POST /api/jobs/run past the write deadline: %v", err)
	}
	defer resp.Body.Close()
	var sum jobs.Summary
	if err := json.NewDecoder(resp.Body).Decode(&sum); resp.StatusCode != http.StatusOK || err != nil || sum.Job != "alarms" {
		t.Errorf("POST /api/jobs/run past the write deadline: %d %+v (%v), want 200 with the run's summary", resp.StatusCode, sum, err)
	}
}
