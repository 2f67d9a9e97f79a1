package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	"streetsync/mocks/quanzhou"
	"streetsync/mocks/specialops"
)

// Exit statuses of the operator contract.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
	exitRuntime = 3
)

// Secrets of an installation. They are long and random-looking on purpose: a leak cannot hide
// in ordinary text, and a grep for them cannot match by accident.
type secrets struct {
	AppKey, AppSecret      string
	ClientID, ClientSecret string
	ConsoleToken           string
	RedisPassword          string // "" for a server without a password
	WebhookToken           string // part of the webhook URL: robots' URLs carry their key
	webhookURL             string
	extraEnv               map[string]string
}

func newSecrets(t testing.TB) secrets {
	tag := randomTag(t)
	return secrets{
		AppKey: "rel-app-" + tag, AppSecret: "qzSecret-" + tag + "-Zx81",
		ClientID: "rel-client-" + tag, ClientSecret: "tzSecret-" + tag + "-Qw47",
		ConsoleToken: "consoleToken-" + tag + "-Lp09",
		WebhookToken: "hookKey-" + tag + "-Vb52",
	}
}

func randomTag(t testing.TB) string {
	var b [8]byte
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// values lists the secrets a scan must never find.
func (s secrets) values() map[string]string {
	m := map[string]string{
		"quanzhou.appSecret": s.AppSecret, "specialOps.clientSecret": s.ClientSecret,
		"console.token": s.ConsoleToken, "webhook url key": s.WebhookToken,
	}
	if s.RedisPassword != "" {
		m["redis.password"] = s.RedisPassword
	}
	return m
}

// platformSet is the two mock platforms in this process, behind one httptest server, so that
// their state survives the binary's restarts and can be inspected.
type platformSet struct {
	QZ      *quanzhou.Platform
	TZ      *specialops.Platform
	DS      *dataset.Dataset
	Server  *httptest.Server
	handler http.Handler
	// wrap, when set, sees every request first (hostile platforms); guarded by mu.
	mu   sync.Mutex
	wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)
	// started, finished and slow count requests: begun, answered (or given up), and those that
	// took over a second (hung until the client's timeout).
	started, finished, slow atomic.Int64
	// tokens are the access tokens the platforms issued (secrets a log must not show).
	tokensMu sync.Mutex
	tokens   []string
}

type platformOptions struct {
	Seed        int64
	Enterprises int
	BadRecords  int
	Unlimited   bool
	TLS         bool
}

func startPlatforms(t testing.TB, sec secrets, o platformOptions) *platformSet {
	t.Helper()
	now := time.Now
	ds, err := dataset.Generate(dataset.Params{Seed: o.Seed, Enterprises: o.Enterprises, BadRecords: o.BadRecords,
		Reference: dataset.DayOf(now())})
	if err != nil {
		t.Fatal(err)
	}
	rate := 0.0
	if o.Unlimited {
		rate = -1
	}
	qz, err := quanzhou.New(quanzhou.Config{BasePath: mocks.QuanzhouPath, Now: now, Seed: o.Seed, RatePerSecond: rate,
		Apps: []quanzhou.App{{Key: sec.AppKey, Secret: sec.AppSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	tz, err := specialops.New(specialops.Config{BasePath: mocks.SpecialOpsPath, Now: now, Seed: o.Seed, RatePerSecond: rate,
		Clients: []specialops.Client{{ID: sec.ClientID, Secret: sec.ClientSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	qz.LoadDataset(ds)
	tz.LoadDataset(ds)
	mux := http.NewServeMux()
	mux.Handle(mocks.QuanzhouPath+"/", qz)
	mux.Handle(mocks.SpecialOpsPath+"/", tz)
	p := &platformSet{QZ: qz, TZ: tz, DS: ds, handler: mux}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.started.Add(1)
		begin := time.Now()
		defer func() {
			p.finished.Add(1)
			if time.Since(begin) > time.Second {
				p.slow.Add(1)
			}
		}()
		p.mu.Lock()
		wrap := p.wrap
		p.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/auth/token") || strings.HasSuffix(r.URL.Path, "/oauth/token") {
			tw := &teeWriter{ResponseWriter: w}
			defer func() { p.noteToken(tw.body.Bytes()) }()
			w = tw
		}
		if wrap != nil {
			wrap(w, r, mux)
			return
		}
		mux.ServeHTTP(w, r)
	})
	p.Server = httptest.NewUnstartedServer(h)
	// Refused handshakes are what the TLS test expects; they need not reach the test's output.
	p.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	if o.TLS {
		p.Server.StartTLS()
	} else {
		p.Server.Start()
	}
	t.Cleanup(func() {
		qz.Close()
		tz.Close()
		p.Server.CloseClientConnections()
		p.Server.Close()
	})
	return p
}

// SetFaults sets both platforms' faults.
func (p *platformSet) SetFaults(f fault.Faults) {
	p.QZ.SetFaults(f)
	p.TZ.SetFaults(f)
}

// Wrap puts a handler in front of both platforms (nil removes it).
func (p *platformSet) Wrap(wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wrap = wrap
}

func (p *platformSet) quanzhouURL() string   { return p.Server.URL + mocks.QuanzhouPath }
func (p *platformSet) specialOpsURL() string { return p.Server.URL + mocks.SpecialOpsPath }

// installation is one streetsync installation: a config file, the secrets in its environment,
// a Redis prefix, a ledger, and the platforms it talks to. Every byte its commands write is kept
// in transcript for the secret scans.
type installation struct {
	t          testing.TB
	dir        string
	config     string
	sec        secrets
	p          *platformSet
	redisConn  *rdb.Conn // the test's Redis (nil: a server of the test's own at redisAddr)
	redisAddr  string
	prefix     string
	driver     string
	dsn        string
	yamlExtra  string
	transcript *transcript
}

type installOptions struct {
	// RedisAddr is a single redis-server of the test's own; with it and Redis both unset, the
	// installation uses the shared test Redis (testutil.Redis: a server, or a cluster when
	// REDIS_CLUSTER is set) under a fresh prefix.
	RedisAddr string
	// Redis is a Redis of the test's own (testutil.StartRedisCluster's), under its prefix.
	Redis  *rdb.Conn
	Driver string // sqlite (default) or postgres
	DSN    string // postgres DSN; sqlite: a file in the temp dir
	// Extra is YAML appended to the config (top-level sections the default leaves out:
	// schedule, alerts).
	Extra string
	// QZ / TZ override the platform settings (YAML mapping lines, indented by two spaces).
	Retry string
	// Log level (default info).
	LogLevel string
	// CAFile is both clients' extra CA certificate.
	CAFile string
	// Timeout is both clients' per-request timeout (default 5s).
	Timeout time.Duration
}

func newInstallation(t testing.TB, p *platformSet, sec secrets, o installOptions) *installation {
	t.Helper()
	in := &installation{t: t, dir: t.TempDir(), sec: sec, p: p, driver: o.Driver, dsn: o.DSN, yamlExtra: o.Extra,
		transcript: &transcript{}}
	if in.driver == "" {
		in.driver = "sqlite"
	}
	if in.driver == "sqlite" && in.dsn == "" {
		in.dsn = filepath.Join(in.dir, "ledger.db")
	}
	redisAt := ""
	if o.RedisAddr != "" {
		in.redisAddr = o.RedisAddr
		in.prefix = "rel:" + randomTag(t)[:8] + ":"
		redisAt = fmt.Sprintf("  addr: %q\n", o.RedisAddr)
	} else {
		in.redisConn = o.Redis
		if in.redisConn == nil {
			conn, kind := testutil.Redis(t)
			testutil.RequireRealRedis(t, kind)
			in.redisConn = conn
		}
		in.prefix = in.redisConn.Prefix
		addrs := testutil.RedisAddrs(in.redisConn)
		if testutil.IsCluster(in.redisConn) {
			quoted := make([]string, len(addrs))
			for i, a := range addrs {
				quoted[i] = fmt.Sprintf("%q", a)
			}
			redisAt = fmt.Sprintf("  addrs: [%s]\n", strings.Join(quoted, ", "))
		} else {
			in.redisAddr = addrs[0]
			redisAt = fmt.Sprintf("  addr: %q\n", addrs[0])
		}
	}
	retry := o.Retry
	if retry == "" {
		retry = "  baseDelay: 100ms\n  maxDelay: 1s\n  lease: 5s\n  workers: 4\n"
	}
	level := o.LogLevel
	if level == "" {
		level = "info"
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ca := ""
	if o.CAFile != "" {
		ca = fmt.Sprintf("  caFile: %q\n", o.CAFile)
	}
	cfg := fmt.Sprintf(`region:
  code: "350582006"
  name: 灵源街道
redis:
%s  password: ${REDIS_PASSWORD}
  prefix: %q
ledger:
  driver: %s
  dsn: ${LEDGER_DSN}
quanzhou:
  baseURL: %q
  appKey: ${QZ_APP_KEY}
  appSecret: ${QZ_APP_SECRET}
  rateLimit: 1000
  burst: 200
  timeout: %s
%sspecialOps:
  baseURL: %q
  clientID: ${TZ_CLIENT_ID}
  clientSecret: ${TZ_CLIENT_SECRET}
  rateLimit: 1000
  burst: 200
  timeout: %s
%sretry:
%sconsole:
  listen: 127.0.0.1:0
  token: ${CONSOLE_TOKEN}
log:
  level: %s
  format: json
%s`, redisAt, in.prefix, in.driver, p.quanzhouURL(), timeout, ca, p.specialOpsURL(), timeout, ca, retry, level, o.Extra)
	in.config = filepath.Join(in.dir, "config.yaml")
	if err := os.WriteFile(in.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

// redis is a raw client on the installation's Redis, to seed and inspect keys as another host
// would (closed at the end of the test).
func (in *installation) redis() redis.UniversalClient {
	in.t.Helper()
	if in.redisConn != nil {
		return testutil.RedisClient(in.t, in.redisConn)
	}
	c := redis.NewClient(&redis.Options{Addr: in.redisAddr, Password: in.sec.RedisPassword})
	in.t.Cleanup(func() { c.Close() })
	return c
}

// environ is the commands' environment: the secrets as the config references them.
func (in *installation) environ() []string {
	env := os.Environ()
	env = append(env,
		"REDIS_PASSWORD="+in.sec.RedisPassword,
		"LEDGER_DSN="+in.dsn,
		"QZ_APP_KEY="+in.sec.AppKey, "QZ_APP_SECRET="+in.sec.AppSecret,
		"TZ_CLIENT_ID="+in.sec.ClientID, "TZ_CLIENT_SECRET="+in.sec.ClientSecret,
		"CONSOLE_TOKEN="+in.sec.ConsoleToken,
		"ALERT_WEBHOOK_URL="+in.sec.webhookURL,
		"STREETSYNC_CONFIG=", // only --config decides
	)
	for k, v := range in.sec.extraEnv {
		env = append(env, k+"="+v)
	}
	return env
}

// result is one finished command.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
	took   time.Duration
	maxRSS int64 // bytes: the child's peak resident set (VmHWM), sampled every 20 ms
}

func (r result) String() string {
	return fmt.Sprintf("streetsync %s: exit %d after %s\nstdout:\n%s\nstderr (tail):\n%s", strings.Join(r.args, " "),
		r.code, r.took.Round(time.Millisecond), clip(r.stdout, 4000), tail(r.stderr, 6000))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// command prepares the binary with the installation's config and environment.
func (in *installation) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--config", in.config}, args...)
	cmd := exec.CommandContext(ctx, binary, full...)
	cmd.Env = in.environ()
	cmd.Dir = in.dir
	// The binary dies with the test process, whatever way it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs a command to its end (at most limit) and returns what it did.
func (in *installation) run(limit time.Duration, args ...string) result {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := in.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	var peak int64
	if err == nil {
		stop := watchPeakRSS(cmd.Process.Pid, &peak)
		err = cmd.Wait()
		stop()
	}
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start), maxRSS: peak}
	in.transcript.add(strings.Join(args, " "), r.stdout, r.stderr)
	defer func() {
		in.t.Logf("streetsync %s → exit %d in %s", strings.Join(args, " "), r.code, r.took.Round(time.Millisecond))
	}()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		in.t.Fatalf("streetsync %s did not finish within %s\n%s", strings.Join(args, " "), limit, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		in.t.Fatalf("streetsync %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// must runs a command that must exit with want.
func (in *installation) must(want int, limit time.Duration, args ...string) result {
	in.t.Helper()
	r := in.run(limit, args...)
	if r.code != want {
		in.t.Fatalf("want exit %d\n%s", want, r)
	}
	return r
}

// json runs a command with --format json that must exit with want, and decodes its stdout.
func (in *installation) json(want int, limit time.Duration, v any, args ...string) result {
	in.t.Helper()
	r := in.must(want, limit, append([]string{"--format", "json"}, args...)...)
	if v != nil {
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			in.t.Fatalf("stdout is not one JSON document (%v)\n%s", err, r)
		}
	}
	return r
}

// process is a command running in the background.
type process struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
	err    error
	in     *installation
	name   string
}

// start starts a command in the background; it is killed when the test ends.
func (in *installation) start(args ...string) *process {
	in.t.Helper()
	cmd := in.command(context.Background(), args...)
	p := &process{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{}), in: in,
		name: strings.Join(args, " ")}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	in.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		in.transcript.add(p.name, p.stdout.String(), p.stderr.String())
	})
	return p
}

// signal sends sig and waits up to within for the exit; it returns the exit status (-1 when
// killed by a signal).
func (p *process) signal(t testing.TB, sig os.Signal, within time.Duration) int {
	t.Helper()
	_ = p.cmd.Process.Signal(sig)
	return p.wait(t, within)
}

func (p *process) wait(t testing.TB, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not exit within %s\nstderr (tail):\n%s", p.name, within, tail(p.stderr.String(), 4000))
	}
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// consoleAddr waits for the daemon's "listening" log line and returns its address.
func (p *process) consoleAddr(t testing.TB, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				return rec.Addr
			}
		}
		if p.exited() {
			t.Fatalf("%s exited before listening\nstderr:\n%s", p.name, tail(p.stderr.String(), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not listening within %s\nstderr:\n%s", p.name, within, tail(p.stderr.String(), 4000))
	return ""
}

// lockedBuffer is a bytes.Buffer a process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// transcript keeps everything the installation's commands wrote, and what its webhook received.
type transcript struct {
	mu      sync.Mutex
	entries []transcriptEntry
}

type transcriptEntry struct {
	source string // "stdout of sync all", "stderr of run", "webhook POST /hook/…"
	text   string
}

func (tr *transcript) add(name, stdout, stderr string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.entries = append(tr.entries, transcriptEntry{"stdout of `" + name + "`", stdout},
		transcriptEntry{"stderr of `" + name + "`", stderr})
}

func (tr *transcript) addText(source, text string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.entries = append(tr.entries, transcriptEntry{source, text})
}

func (tr *transcript) all() []transcriptEntry {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]transcriptEntry(nil), tr.entries...)
}

// runHistory reads every job's run history from the installation's ledger, newest first.
func (in *installation) runHistory() []ledger.JobRun {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := ledger.Open(ctx, config.Ledger{Driver: in.driver, DSN: config.Secret(in.dsn)})
	if err != nil {
		in.t.Fatalf("open the ledger: %v", err)
	}
	defer store.Close()
	runs, _, err := store.JobRuns(ctx, ledger.JobRunFilter{})
	if err != nil {
		in.t.Fatal(err)
	}
	return runs
}

// workbook writes the platforms' generated street workbook (with its deliberately bad rows).
func (in *installation) workbook() string {
	in.t.Helper()
	return in.writeWorkbook("企业台账.xlsx", in.p.DS)
}

// editedWorkbook writes the street's workbook as an office clerk would change it some days
// later: every fifth enterprise has a new principal's phone, every seventh roster entry on duty a
// planned 离岗日期. It returns the file and the USCCs whose records changed.
func (in *installation) editedWorkbook() (string, []string) {
	in.t.Helper()
	ds := *in.p.DS
	ds.Ledger = append([]dataset.Enterprise(nil), in.p.DS.Ledger...)
	ds.Roster = append([]dataset.Operator(nil), in.p.DS.Roster...)
	bad := map[string]map[int]bool{dataset.SheetEnterprises: {}, dataset.SheetOperators: {}}
	for _, b := range ds.Bad {
		bad[b.Sheet][b.Index] = true
	}
	var changed []string
	for i := range ds.Ledger {
		if i%5 == 0 && !bad[dataset.SheetEnterprises][i] {
			ds.Ledger[i].Phone = fmt.Sprintf("139%08d", 59500000+i)
			changed = append(changed, ds.Ledger[i].USCC)
		}
	}
	end := ds.Params.Reference.AddDays(30)
	for i := range ds.Roster {
		if i%7 == 0 && !bad[dataset.SheetOperators][i] && ds.Roster[i].EndDate.IsZero() && !ds.Roster[i].StartDate.IsZero() {
			ds.Roster[i].EndDate = end
		}
	}
	return in.writeWorkbook("企业台账-修改.xlsx", &ds), changed
}

func (in *installation) writeWorkbook(name string, ds *dataset.Dataset) string {
	in.t.Helper()
	path := filepath.Join(in.dir, name)
	f, err := os.Create(path)
	if err != nil {
		in.t.Fatal(err)
	}
	if err := ds.WriteWorkbook(f); err != nil {
		in.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		in.t.Fatal(err)
	}
	return path
}

// answers counts the requests both platforms saw and those that got no good answer (an error
// status or envelope code, a dropped connection, garbage, a batchSave item refused, a hung
// answer).
func (p *platformSet) answers() (total, failed int) {
	total = int(p.started.Load())
	failed = int(p.slow.Load() + p.started.Load() - p.finished.Load())
	usccs := map[string]bool{}
	for _, e := range p.QZ.Enterprises() {
		usccs[e.Tyshxydm] = true
	}
	for _, e := range p.DS.Ledger {
		usccs[e.USCC] = true
	}
	for uscc := range usccs {
		for _, push := range p.QZ.Pushes(uscc) {
			if push.Result == "FAILED" {
				failed++
			}
		}
	}
	for k, n := range p.QZ.Requests() {
		if k.Status != http.StatusOK || k.Code != 0 {
			failed += n
		}
	}
	for k, n := range p.TZ.Requests() {
		if k.Status < 200 || k.Status > 299 || k.Error != "" {
			failed += n
		}
	}
	return total, failed
}

// teeWriter keeps a copy of what a handler writes (token answers are small).
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if t.body.Len() < 64<<10 {
		t.body.Write(b)
	}
	return t.ResponseWriter.Write(b)
}

// Hijack lets the drop faults close the connection under a teed answer.
func (t *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(t.ResponseWriter).Hijack()
}

func (p *platformSet) noteToken(body []byte) {
	var qz struct {
		Data struct {
			AccessToken string `json:"accessToken"`
		} `json:"data"`
	}
	var tz struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(body, &qz)
	_ = json.Unmarshal(body, &tz)
	p.tokensMu.Lock()
	defer p.tokensMu.Unlock()
	for _, tok := range []string{qz.Data.AccessToken, tz.AccessToken} {
		if tok != "" {
			p.tokens = append(p.tokens, tok)
		}
	}
}

// issuedTokens returns the access tokens the platforms issued so far.
func (p *platformSet) issuedTokens() []string {
	p.tokensMu.Lock()
	defer p.tokensMu.Unlock()
	return append([]string(nil), p.tokens...)
}

// watchPeakRSS samples a process's VmHWM every 20 ms into *peak until stop is called. (The
// child's rusage cannot tell: Go starts children with vfork, and Linux then counts the parent's
// peak into the child's ru_maxrss.)
func watchPeakRSS(pid int, peak *int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readVmHWM(pid); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// readVmHWM is a process's peak resident set in bytes (0 when it cannot be read).
func readVmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
