package console

import (
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browserSession is a logged-in console session as a browser holds it.
type browserSession struct {
	cookie *http.Cookie
	csrf   string
}

// consoleLogin logs in through the form and reads the CSRF token from a page.
func (w *world) consoleLogin(t *testing.T) browserSession {
	t.Helper()
	resp, _ := w.form(t, "/login", nil, url.Values{"token": {testToken}, "operator": {"测试员"}, "next": {"/queue"}}, "Origin", w.ts.URL)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
		t.Fatalf("login: status %d to %q, want 303 to /queue", resp.StatusCode, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == sessionCookie {
			c = k
		}
	}
	if c == nil {
		t.Fatal("login set no session cookie")
	}
	_, page := w.form(t, "/queue", c, nil)
	i := bytes.Index(page, []byte(`name="csrf" value="`))
	if i < 0 {
		t.Fatalf("no CSRF token in the page")
	}
	rest := page[i+len(`name="csrf" value="`):]
	return browserSession{cookie: c, csrf: string(rest[:bytes.IndexByte(rest, '"')])}
}

// form sends a console request: GET without values, else a urlencoded POST.
func (w *world) form(t *testing.T, path string, c *http.Cookie, v url.Values, header ...string) (*http.Response, []byte) {
	t.Helper()
	if c != nil {
		header = append(header, "Cookie", c.Name+"="+c.Value)
	}
	if v == nil {
		return w.request(t, "GET", path, "", nil, header...)
	}
	header = append(header, "Content-Type", "application/x-www-form-urlencoded")
	return w.request(t, "POST", path, "", strings.NewReader(v.Encode()), header...)
}

func TestConsolePagesNeedALogin(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for _, path := range []string{"/", "/jobs", "/queue?view=live", "/reconcile", "/alerts", "/alarms", "/ledger", "/ledger/export.xlsx", "/reconcile/report.xlsx"} {
		resp, _ := w.form(t, path, nil, nil)
		if want := "/login?next=" + url.QueryEscape(path); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	for _, path := range []string{"/jobs/run", "/queue/retry", "/queue/drop", "/reconcile/run", "/reconcile/apply", "/alerts/ack", "/alerts/silence", "/alarms/feedback", "/ledger/confirm", "/ledger/import", "/logout"} {
		resp, _ := w.form(t, path, &http.Cookie{Name: sessionCookie, Value: "forged"}, url.Values{"csrf": {"x"}, "job": {"all"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("POST %s with a forged session: %d to %q, want 303 to the login", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if len(w.jobs.calls) != 0 {
		t.Errorf("posts without a session ran jobs: %v", w.jobs.calls)
	}
}

func TestConsoleLoginSetsAStrictSessionCookie(t *testing.T) {
	w := newWorld(t, worldOptions{})
	resp, b := w.form(t, "/login", nil, url.Values{"token": {"wrong"}}, "Origin", w.ts.URL)
	if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(b, []byte(msgBadToken)) || len(resp.Cookies()) != 0 {
		t.Errorf("wrong token: status %d, cookies %v, want 401 with %s and no cookie", resp.StatusCode, resp.Cookies(), msgBadToken)
	}
	s := w.consoleLogin(t)
	c := s.cookie
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != int((12*time.Hour).Seconds()) || c.Secure {
		t.Errorf("session cookie %+v, want HttpOnly, SameSite=Strict, Path=/, Max-Age 12h, not Secure over plain HTTP", c)
	}
	if len(c.Value) < 20 || strings.Contains(c.Value, testToken) {
		t.Errorf("session id %q: want a long random value unrelated to the token", c.Value)
	}
	resp, b = w.form(t, "/", c, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("测试员")) {
		t.Errorf("overview with the session: %d, want 200 naming the operator", resp.StatusCode)
	}
	for header, want := range map[string]string{
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
		"Referrer-Policy": "same-origin",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q: want self-only scripts, no unsafe-inline, no framing", csp)
	}

	// Twelve hours later the session is over.
	w.clock.Advance(12 * time.Hour)
	resp, _ = w.form(t, "/alerts", c, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?expired=1") {
		t.Errorf("after 12h: %d to %q, want 303 to the login with expired=1", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestConsoleLogoutEndsTheSession(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	resp, _ := w.form(t, "/logout", s.cookie, url.Values{"csrf": {s.csrf}}, "Origin", w.ts.URL)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?out=1" {
		t.Errorf("logout: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := w.form(t, "/", s.cookie, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the old session after logout: status %d, want 303 to the login", resp.StatusCode)
	}
}

func TestConsoleRefusesCrossSiteAndTokenlessPosts(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	drop := func(csrf string, header ...string) int {
		resp, b := w.form(t, "/queue/drop", s.cookie, url.Values{"csrf": {csrf}, "id": {w.dead[0]}}, header...)
		if resp.StatusCode == http.StatusForbidden && !bytes.Contains(b, []byte(msgCSRF)) {
			t.Errorf("403 without the Chinese explanation")
		}
		return resp.StatusCode
	}
	cases := []struct {
		name   string
		csrf   string
		header []string
		want   int
	}{
		{"no token", "", []string{"Origin", w.ts.URL}, http.StatusForbidden},
		{"wrong token", s.csrf + "x", []string{"Origin", w.ts.URL}, http.StatusForbidden},
		{"another session's token", w.consoleLogin(t).csrf, []string{"Origin", w.ts.URL}, http.StatusForbidden},
		{"other origin", s.csrf, []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"opaque origin", s.csrf, []string{"Origin", "null"}, http.StatusForbidden},
		{"other referer", s.csrf, []string{"Referer", "http://evil.example/page"}, http.StatusForbidden},
		{"right token, same origin", s.csrf, []string{"Origin", w.ts.URL}, http.StatusSeeOther},
	}
	for _, c := range cases {
		if got := drop(c.csrf, c.header...); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	dead, _ := w.queue.Stats(w.ctx)
	if dead.Dead != 2 {
		t.Errorf("dead items: %d, want 2 (only the last post dropped one)", dead.Dead)
	}
}

// A client address that keeps guessing is answered 429; the right token still gets in from it
// (an address is often shared: one guesser must not lock the office out).
func TestConsoleLimitsLoginAttempts(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for i := 0; i < failureBurst; i++ {
		if resp, _ := w.form(t, "/login", nil, url.Values{"token": {"guess"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, b := w.form(t, "/login", nil, url.Values{"token": {"guess again"}})
	if resp.StatusCode != http.StatusTooManyRequests || !bytes.Contains(b, []byte(msgTooManyLogins)) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a wrong token after %d failures: status %d, want 429 with %s and Retry-After", failureBurst, resp.StatusCode, msgTooManyLogins)
	}
	resp, _ = w.form(t, "/login", nil, url.Values{"token": {testToken}, "next": {"/alerts"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alerts" || len(resp.Cookies()) == 0 {
		t.Errorf("the right token after %d failures: status %d to %q, want 303 to /alerts with a session", failureBurst, resp.StatusCode, resp.Header.Get("Location"))
	}
	// The API shares the budget, and lets the right token through just the same.
	if resp, _ := w.api(t, "GET", "/api/overview", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("the API with the right token from the guessing address: status %d, want 200", resp.StatusCode)
	}
	resp, _ = w.request(t, "GET", "/api/overview", "wrong-token-0000000", nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the API with a wrong token from the guessing address: status %d, want 429", resp.StatusCode)
	}
	// Successes cost nothing: after the budget refills by one, one failure is allowed again.
	w.clock.Advance(failureRefill)
	if resp, _ := w.form(t, "/login", nil, url.Values{"token": {"guess"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after %v: a wrong token: status %d, want 401", failureRefill, resp.StatusCode)
	}
	if resp, _ := w.form(t, "/login", nil, url.Values{"token": {"guess"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after %v and one more failure: status %d, want 429", failureRefill, resp.StatusCode)
	}
}

// The table of failing addresses holds a fixed number of them: guessing from ever new addresses
// forgets the least recently failing ones instead of growing it.
func TestFailureTableIsABoundedLRU(t *testing.T) {
	now := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	l := newFailureLimiterSize(3, func() time.Time { return now })
	for i := 0; i < failureBurst; i++ {
		l.fail("198.51.100.1")
	}
	for i := 0; i < 1000; i++ {
		l.fail(fmt.Sprintf("203.0.113.%d", i%250))
		if i%2 == 0 {
			l.fail("198.51.100.1") // keeps failing, so stays among the most recent
		}
		if n := l.tracked(); n > 3 {
			t.Fatalf("after %d addresses the table holds %d, want at most 3", i+1, n)
		}
	}
	if !l.blocked("198.51.100.1") {
		t.Errorf("the address that kept failing was forgotten")
	}
	if l.blocked("203.0.113.1") {
		t.Errorf("an address with one failure is blocked")
	}
	// The full-size table, filled from many addresses, stays at its size.
	big := newFailureLimiter(func() time.Time { return now })
	for i := 0; i < maxClients+5000; i++ {
		big.fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if n := big.tracked(); n != maxClients {
		t.Errorf("after %d addresses the table holds %d, want %d", maxClients+5000, n, maxClients)
	}
}

func TestConsoleFormLimitsAndUploadCSRF(t *testing.T) {
	w := newWorld(t, worldOptions{opts: Options{MaxUploadBytes: 512 << 10}})
	s := w.consoleLogin(t)
	resp, b := w.form(t, "/alerts/ack", s.cookie, url.Values{"csrf": {s.csrf}, "note": {strings.Repeat("长", defaultMaxJSON)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte("请求内容过大（上限 1 MiB）")) {
		t.Errorf("oversized form: status %d, want 413 with the limit", resp.StatusCode)
	}
	// The upload's CSRF token is checked before the file is read.
	body, ctype := multipartFile(t, "台账.xlsx", []byte("not read"), "csrf", "wrong")
	resp, b = w.request(t, "POST", "/ledger/import", "", bytes.NewReader(body), "Content-Type", ctype, "Cookie", sessionCookie+"="+s.cookie.Value)
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(b, []byte(msgCSRF)) {
		t.Errorf("upload with a wrong CSRF token: status %d, want 403", resp.StatusCode)
	}
	body, ctype = multipartFile(t, "台账.xlsx", bytes.Repeat([]byte("x"), 512<<10+1), "csrf", s.csrf)
	resp, b = w.request(t, "POST", "/ledger/import", "", bytes.NewReader(body), "Content-Type", ctype, "Cookie", sessionCookie+"="+s.cookie.Value)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte("上传文件过大（上限 512 KiB）")) {
		t.Errorf("oversized upload: status %d, want 413 with the limit", resp.StatusCode)
	}
	// A good upload lands and its result is shown once on the ledger page.
	_, exported := w.api(t, "GET", "/api/workbook/export", "")
	body, ctype = multipartFile(t, "台账.xlsx", exported, "csrf", s.csrf, "dryRun", "1")
	resp, _ = w.request(t, "POST", "/ledger/import", "", bytes.NewReader(body), "Content-Type", ctype, "Cookie", sessionCookie+"="+s.cookie.Value)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: status %d, want 303", resp.StatusCode)
	}
	_, page := w.form(t, "/ledger", s.cookie, nil)
	if !bytes.Contains(page, []byte(`id="import-result"`)) || !bytes.Contains(page, []byte("预检结果（未写入）")) {
		t.Errorf("the ledger page does not show the dry run's result")
	}
	if _, page = w.form(t, "/ledger", s.cookie, nil); bytes.Contains(page, []byte(`id="import-result"`)) {
		t.Errorf("the import result is shown again on the next visit")
	}
}

func TestConsoleActionsRedirectBackWithAMessage(t *testing.T) {
	w := newWorld(t, worldOptions{})
	s := w.consoleLogin(t)
	post := func(path string, v url.Values) (string, string) {
		v.Set("csrf", s.csrf)
		resp, _ := w.form(t, path, s.cookie, v, "Origin", w.ts.URL)
		loc := resp.Header.Get("Location")
		_, page := w.form(t, loc, s.cookie, nil)
		return loc, string(page)
	}
	cases := []struct {
		name, path string
		values     url.Values
		wantLoc    string
		wantText   string
	}{
		{"run a job", "/jobs/run", url.Values{"job": {"alarms"}, "return": {"/jobs"}}, "/jobs", "同步任务「监测报警同步」已完成"},
		{"unknown job", "/jobs/run", url.Values{"job": {"x"}, "return": {"/jobs"}}, "/jobs", "未知的同步任务"},
		{"reconcile", "/reconcile/run", url.Values{"scope": {"all"}, "return": {"/reconcile"}}, "/reconcile", "对账已完成"},
		{"ack without a note", "/alerts/ack", url.Values{"key": {"0123456789abcdef"}, "return": {"/alerts?rule=CERT_EXPIRED"}}, "/alerts?rule=CERT_EXPIRED", msgNoNote},
		{"a return to another site is ignored", "/queue/retry", url.Values{"id": {w.dead[0]}, "return": {"//evil.example/x"}}, "/", "已重新排队 1 条"},
		{"feedback with a bad status", "/alarms/feedback", url.Values{"alarm": {w.ds.Alarms[0].ID}, "status": {"9"}, "note": {"x"}, "return": {"/alarms"}}, "/alarms", msgBadStatus},
	}
	for _, c := range cases {
		loc, page := post(c.path, c.values)
		if loc != c.wantLoc {
			t.Errorf("%s: redirected to %q, want %q", c.name, loc, c.wantLoc)
		}
		if !strings.Contains(page, c.wantText) {
			t.Errorf("%s: the page after it does not say %q", c.name, c.wantText)
		}
	}
}

// Behind a trusted proxy each client has its own budget of failed logins: one guessing client
// does not lock the office out.
func TestConsoleLimitsLoginAttemptsPerClientBehindATrustedProxy(t *testing.T) {
	w := newWorld(t, worldOptions{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}})
	for i := 0; i < failureBurst; i++ {
		w.form(t, "/login", nil, url.Values{"token": {"guess"}}, "X-Forwarded-For", "203.0.113.66")
	}
	if resp, _ := w.form(t, "/login", nil, url.Values{"token": {"guess"}}, "X-Forwarded-For", "203.0.113.66"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the guessing client: status %d, want 429", resp.StatusCode)
	}
	resp, _ := w.form(t, "/login", nil, url.Values{"token": {testToken}, "operator": {"安办"}}, "X-Forwarded-For", "203.0.113.7", "Origin", w.ts.URL)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another client behind the same proxy: status %d, want 303", resp.StatusCode)
	}
}

// The login's next parameter leads only to a path on this site: the example (a tab
// between two slashes, which browsers drop) and its friends lead to the overview.
func TestConsoleLoginRedirectsOnlyOnTheSite(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for _, next := range []string{"/\t/evil.example/", "//evil.example", "/\\evil.example", "https:evil.example",
		"/%2F%2Fevil.example", "/%09/evil.example", "\\\\evil.example", "/\r\n/evil.example"} {
		resp, _ := w.form(t, "/login", nil, url.Values{"token": {testToken}, "next": {next}}, "Origin", w.ts.URL)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("POST /login with next=%q: %d to %q, want 303 to /", next, resp.StatusCode, loc)
		}
	}
	s := w.consoleLogin(t)
	for _, query := range []string{"%2F%09%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example", "https%3Aevil.example",
		"%2F%252F%252Fevil.example", "%2F%0A%2Fevil.example"} {
		resp, _ := w.form(t, "/login?next="+query, s.cookie, nil)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("GET /login?next=%s while logged in: %d to %q, want 303 to /", query, resp.StatusCode, loc)
		}
	}
	if resp, _ := w.form(t, "/login?next=%2Falerts%3Frule%3DCERT_EXPIRED", s.cookie, nil); resp.Header.Get("Location") != "/alerts?rule=CERT_EXPIRED" {
		t.Errorf("a path on the site: redirected to %q, want /alerts?rule=CERT_EXPIRED", resp.Header.Get("Location"))
	}
}
