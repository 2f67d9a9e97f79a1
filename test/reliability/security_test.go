package reliability

import (
	"archive/zip"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"streetsync/internal/testutil"
	"streetsync/mocks/fault"
)

// TestNoSecretOrIDNumberLeaks runs a full day the way the demo does — import, sync all,
// reconcile (with reports), alerts check through a webhook and the log channel, the queue
// commands, the daemon with its console API — at debug level, with every secret set through
// the environment and Redis behind a password, plus three failures whose errors could echo a
// secret. Then it searches every byte written — stdout, stderr, report files, webhook payloads,
// API answers — for the secrets, the platforms' access tokens and every full ID number of the
// generated roster and certificates. None may appear.
func TestNoSecretOrIDNumberLeaks(t *testing.T) {
	t.Parallel()
	srv := testutil.StartRedisServer(t, false)
	sec := newSecrets(t)
	sec.RedisPassword = "redisPw-" + randomTag(t) + "-Mn33"
	setRedisPassword(t, srv.Addr, sec.RedisPassword)
	hook := startWebhook(t)
	sec.webhookURL = hook.url(sec.WebhookToken)
	p := startPlatforms(t, sec, platformOptions{Seed: 31, Enterprises: 30, BadRecords: 4, Unlimited: true})
	in := newInstallation(t, p, sec, installOptions{RedisAddr: srv.Addr, LogLevel: "debug", Timeout: 2 * time.Second,
		Extra: webhookAlertsYAML + "    - type: log\n"})

	in.must(exitOK, time.Minute, "config", "check")
	in.json(exitOK, time.Minute, nil, "config", "check")
	in.must(exitOK, time.Minute, "import", in.workbook())
	in.json(exitOK, time.Minute, nil, "import", "--dry-run", in.workbook())
	// A little trouble on the platforms, so that errors, retries and re-authentication are
	// logged too.
	p.SetFaults(faultsForLogs)
	in.must(exitOK, 2*time.Minute, "sync", "all")
	p.SetFaults(noFaults)
	in.json(exitOK, 2*time.Minute, nil, "queue", "drain", "--timeout", "30s")
	in.json(exitOK, 2*time.Minute, nil, "sync", "all", "--full")
	in.must(exitOK, time.Minute, "queue", "list")
	in.json(exitOK, time.Minute, nil, "queue", "list", "--dead")
	in.must(exitProblem, time.Minute, "reconcile", "all", "--exit-code")
	in.json(exitOK, time.Minute, nil, "reconcile", "all")
	for _, name := range []string{"report.csv", "report.xlsx"} {
		path := filepath.Join(in.dir, name)
		in.must(exitOK, time.Minute, "reconcile", "all", "-o", path)
		in.transcript.addText("report file "+name, readReport(t, path))
	}
	// A CSV report is one file per list next to report.csv, the summary.
	lists, _ := filepath.Glob(filepath.Join(in.dir, "report-*.csv"))
	if len(lists) == 0 {
		t.Error("reconcile -o report.csv wrote no list next to it")
	}
	for _, path := range lists {
		in.transcript.addText("report file "+filepath.Base(path), readReport(t, path))
	}
	// First a webhook that fails (its URL, key included, must not appear in the error), then
	// the real one.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "robot key invalid", http.StatusInternalServerError)
	}))
	defer failing.Close()
	failKey := "failKey-" + randomTag(t)
	withFailing := *in
	withFailing.sec.webhookURL = failing.URL + "/hook/" + failKey + "?token=" + failKey
	withFailing.run(time.Minute, "--log-level", "debug", "alerts", "check")
	in.must(exitOK, time.Minute, "alerts", "check")
	in.json(exitOK, time.Minute, nil, "alerts", "check")
	in.must(exitOK, time.Minute, "alerts", "list")
	in.json(exitOK, time.Minute, nil, "alerts", "list")

	d := in.start("run")
	addr := d.consoleAddr(t, 30*time.Second)
	status, body := post(t, "http://"+addr+"/api/reconcile", sec.ConsoleToken, `{"scope":"all"}`)
	if status != http.StatusOK {
		t.Errorf("POST /api/reconcile with the token: status %d: %s", status, clip(body, 300))
	}
	in.transcript.addText("console POST /api/reconcile", body)
	for _, path := range []string{"/api/overview", "/api/jobs/runs", "/api/queue/stats", "/api/queue/items",
		"/api/reconcile/report", "/api/alerts", "/api/alarms", "/api/ledger/enterprises", "/api/ledger/operators",
		"/metrics", "/readyz", "/healthz"} {
		status, body := get(t, "http://"+addr+path, sec.ConsoleToken)
		if status != http.StatusOK {
			t.Errorf("GET %s with the token: status %d, want 200: %s", path, status, clip(body, 300))
		}
		in.transcript.addText("console GET "+path, body)
	}
	if code := d.signal(t, syscall.SIGTERM, time.Minute); code != exitOK {
		t.Errorf("run: exit %d after SIGTERM", code)
	}

	// Failures whose messages could carry what was sent: a wrong Redis password, a refused app
	// secret, a refused client secret.
	wrong := map[string]string{"failing webhook's URL key": failKey}
	for name, set := range map[string]func(*secrets, string){
		"wrong redis password": func(s *secrets, v string) { s.RedisPassword = v },
		"wrong app secret":     func(s *secrets, v string) { s.AppSecret = v },
		"wrong client secret":  func(s *secrets, v string) { s.ClientSecret = v },
	} {
		v := "wrong-" + randomTag(t)
		wrong[name] = v
		bad := *in
		set(&bad.sec, v)
		if r := bad.run(time.Minute, "--log-level", "debug", "sync", "all"); r.code == exitOK {
			t.Errorf("%s: sync all exit 0", name)
		}
	}
	hook.addTo(in.transcript)

	needles := in.sec.values()
	for name, v := range wrong {
		needles[name] = v
	}
	for i, tok := range p.issuedTokens() {
		needles[fmt.Sprintf("platform access token #%d", i+1)] = tok
	}
	if len(p.issuedTokens()) == 0 {
		t.Error("the platforms issued no access token: the scan would prove nothing about them")
	}
	entries := in.transcript.all()
	scanned := 0
	for _, e := range entries {
		scanned += len(e.text)
	}
	leaks := scanSecrets(entries, needles)
	leaks = append(leaks, scanIDNumbers(entries, rosterIDs(p))...)
	for _, l := range leaks {
		t.Error(l)
	}
	// The scan must have had something to find: masked ID numbers are all over alerts and
	// reports.
	masked := 0
	for _, e := range entries {
		masked += strings.Count(e.text, "********")
	}
	if masked == 0 {
		t.Error("no masked ID number anywhere: the commands printed nothing worth scanning")
	}
	t.Logf("scanned %d outputs (%d bytes, %d masked ID numbers) for %d secrets and %d ID numbers: %d leaks",
		len(entries), scanned, masked, len(needles), len(rosterIDs(p)), len(leaks))
}

var (
	faultsForLogs = fault.Faults{InternalError: 0.1, GatewayError: 0.05, RevokeTokenEvery: 5, ItemStoreFailure: 0.1, GarbageBody: 0.05}
	noFaults      = fault.Faults{}
)

func setRedisPassword(t *testing.T, addr, pw string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.ConfigSet(context.Background(), "requirepass", pw).Err(); err != nil {
		t.Fatalf("set the Redis password: %v", err)
	}
}

// get fetches a URL with a bearer token ("" for none).
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	return resp.StatusCode, string(body)
}

// post sends a JSON body with a bearer token.
func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	return resp.StatusCode, string(b)
}

// readReport returns a report file's text: a CSV as it is, an xlsx as the text of its parts.
func readReport(t *testing.T, path string) string {
	t.Helper()
	if !strings.HasSuffix(path, ".xlsx") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var b strings.Builder
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(&b, rc)
		rc.Close()
	}
	return b.String()
}

// rosterIDs is every ID number of the generated data: the roster's (also as written in the
// workbook, and the deliberately bad ones) and the certificates' holders.
func rosterIDs(p *platformSet) map[string]bool {
	ids := map[string]bool{}
	for _, op := range p.DS.Roster {
		ids[strings.ToUpper(op.IDNumber)] = true
		ids[strings.ToUpper(op.IDText)] = true
	}
	for _, c := range p.DS.Certificates {
		ids[strings.ToUpper(c.IDNumber)] = true
	}
	delete(ids, "")
	return ids
}

// scanSecrets reports every entry containing one of the needles.
func scanSecrets(entries []transcriptEntry, needles map[string]string) []string {
	var leaks []string
	for _, e := range entries {
		for name, v := range needles {
			if v == "" {
				continue
			}
			if i := strings.Index(e.text, v); i >= 0 {
				leaks = append(leaks, fmt.Sprintf("%s shows the %s: …%s…", e.source, name, context50(e.text, i, len(v))))
			}
		}
	}
	return leaks
}

// scanIDNumbers reports every full ID number of ids in the entries: every 18-character window
// of every run of digits and x/X is looked up, so an ID inside a certificate number
// (T350582…) or next to other digits is found too.
func scanIDNumbers(entries []transcriptEntry, ids map[string]bool) []string {
	var leaks []string
	for _, e := range entries {
		s := e.text
		found := 0
		for i := 0; i < len(s); {
			if !idChar(s[i]) {
				i++
				continue
			}
			j := i
			for j < len(s) && idChar(s[j]) {
				j++
			}
			for k := i; k+18 <= j; k++ {
				if w := strings.ToUpper(s[k : k+18]); ids[w] {
					if found < 3 {
						leaks = append(leaks, fmt.Sprintf("%s shows the full ID number %s: …%s…", e.source, maskID(w),
							strings.ReplaceAll(context50(s, k, 18), s[k:k+18], maskID(w))))
					}
					found++
				}
			}
			i = j
		}
		if found > 3 {
			leaks = append(leaks, fmt.Sprintf("%s: %d more full ID numbers", e.source, found-3))
		}
	}
	return leaks
}

func idChar(c byte) bool { return c >= '0' && c <= '9' || c == 'x' || c == 'X' }

func context50(s string, i, n int) string {
	from, to := max(0, i-50), min(len(s), i+n+50)
	return strings.ReplaceAll(s[from:to], "\n", "⏎")
}

// TestConsoleRefusesMissingAndWrongTokens checks the daemon's API and pages against requests
// without the token, with a wrong one, and with the token where it does not belong; and that a
// refused request changed nothing.
func TestConsoleRefusesMissingAndWrongTokens(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: 5, Enterprises: 10, Unlimited: true})
	// Every schedule off: whatever reaches the platforms was asked for through the console.
	in := newInstallation(t, p, sec, installOptions{Extra: scheduleYAML(map[string]string{
		"enterprises": "-", "certificates": "-", "alarms": "-", "employments": "-", "alerts": "-"})})
	in.json(exitOK, time.Minute, nil, "import", in.workbook())
	d := in.start("run")
	base := "http://" + d.consoleAddr(t, 30*time.Second)
	before := p.started.Load()

	cases := []struct {
		rule, method, path, auth string
	}{
		{"no token", "GET", "/api/overview", ""},
		{"no token on a write", "POST", "/api/jobs/run?job=enterprises", ""},
		{"wrong token", "GET", "/api/ledger/operators", "Bearer " + sec.ConsoleToken + "x"},
		{"wrong token on a write", "POST", "/api/queue/retry", "Bearer not-the-token-0123456789"},
		{"token as basic auth", "GET", "/api/alerts", "Basic " + sec.ConsoleToken},
		{"token in the query", "GET", "/api/overview?token=" + sec.ConsoleToken, ""},
		{"empty bearer", "GET", "/api/overview", "Bearer "},
		{"token prefix only", "GET", "/api/overview", "Bearer " + sec.ConsoleToken[:len(sec.ConsoleToken)-1]},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(`{"job":"enterprises"}`))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %s %s: status %d, want 401: %s", tc.rule, tc.method, tc.path, resp.StatusCode, clip(string(body), 200))
		}
		if strings.Contains(string(body), sec.ConsoleToken) {
			t.Errorf("%s: the answer echoes the token", tc.rule)
		}
	}
	// Pages without a session go to the login page; a wrong token does not log in.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/", "/ledger", "/alerts", "/queue", "/ledger/export.xlsx"} {
		resp, err := noRedirect.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("GET %s without a session: 200, want a refusal or a redirect to the login page", path)
		}
	}
	resp, err := noRedirect.PostForm(base+"/login", map[string][]string{"token": {"wrong-token-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "streetsync_session" && c.Value != "" && c.MaxAge >= 0 {
			t.Errorf("a wrong token at /login got a session cookie")
		}
	}
	// Nothing a refused request asked for happened: no job ran against the platforms.
	time.Sleep(500 * time.Millisecond)
	if n := p.started.Load() - before; n > 0 {
		t.Errorf("refused requests caused %d platform requests", n)
	}
	// And the right token works (fewer than ten failures so far: the client is not throttled).
	if status, body := get(t, base+"/api/overview", sec.ConsoleToken); status != http.StatusOK {
		t.Errorf("GET /api/overview with the token: %d %s", status, clip(body, 300))
	}
	if code := d.signal(t, syscall.SIGTERM, time.Minute); code != exitOK {
		t.Errorf("run: exit %d after SIGTERM", code)
	}
}

// TestTLSVerifiedByDefault: against platforms behind a self-signed certificate, sync fails
// (nothing is read or written) until the certificate is configured as quanzhou.caFile /
// specialOps.caFile; then it works.
func TestTLSVerifiedByDefault(t *testing.T) {
	t.Parallel()
	sec := newSecrets(t)
	p := startPlatforms(t, sec, platformOptions{Seed: 5, Enterprises: 10, Unlimited: true, TLS: true})

	plain := newInstallation(t, p, sec, installOptions{})
	plain.json(exitOK, time.Minute, nil, "import", plain.workbook())
	r := plain.run(time.Minute, "--format", "json", "sync", "enterprises")
	if r.code != exitRuntime {
		t.Errorf("sync against a self-signed platform without caFile: want exit 3\n%s", r)
	}
	if !strings.Contains(strings.ToLower(r.stderr), "certificate") && !strings.Contains(r.stderr, "证书") {
		t.Errorf("the failure does not say it is the certificate:\n%s", tail(r.stderr, 2000))
	}
	if n := p.QZ.RequestCount("GET /enterprises") + p.QZ.RequestCount("POST /auth/token"); n > 0 {
		t.Errorf("the platform answered %d requests over an unverified connection", n)
	}

	ca := filepath.Join(t.TempDir(), "platform-ca.pem")
	f, err := os.Create(ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: p.Server.Certificate().Raw}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	trusted := newInstallation(t, p, sec, installOptions{CAFile: ca})
	trusted.json(exitOK, time.Minute, nil, "import", trusted.workbook())
	var sum syncSummary
	trusted.json(exitOK, time.Minute, &sum, "sync", "enterprises")
	if sum.Pulled == 0 {
		t.Errorf("with the CA configured, sync enterprises pulled nothing: %+v", sum)
	}
}

// TestScansFindPlantedLeaks holds the scanners to their job: a planted secret, a full ID number
// inside a certificate number, a lower-case x and an ID in a longer digit run are all found; a
// masked ID number and an unrelated 18-digit number are not.
func TestScansFindPlantedLeaks(t *testing.T) {
	ids := map[string]bool{"35058219800101123X": true, "350582199912310018": true}
	entries := []transcriptEntry{
		{"clean", `{"idNumber":"350582********123X","uscc":"913505821234567890"}`},
		{"certificate number", `certNo=T35058219800101123X`},
		{"lower-case x", `"id":"35058219800101123x"`},
		{"digit run", `ref 99350582199912310018 end`},
		{"secret", `dial redis: auth "s3cret-value" refused`},
	}
	leaks := append(scanIDNumbers(entries, ids), scanSecrets(entries, map[string]string{"redis.password": "s3cret-value"})...)
	found := map[string]bool{}
	for _, l := range leaks {
		found[strings.SplitN(l, " shows", 2)[0]] = true
	}
	for _, want := range []string{"certificate number", "lower-case x", "digit run", "secret"} {
		if !found[want] {
			t.Errorf("planted leak in %q not found; got %q", want, leaks)
		}
	}
	if found["clean"] {
		t.Errorf("the clean entry was reported: %q", leaks)
	}
}
