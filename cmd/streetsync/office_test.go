package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/mapping/mask"
	"streetsync/scheduler/clock"
	"streetsync/scheduler/retry"
)

// Issue 17: a CLI that speaks the office's language, and the newcomer's path from demo to daemon.

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestMistypedCommandsAndFlagsExitTwoNamingTheClosest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "lsit"}, "你是不是要 `queue list`"},
		{[]string{"alerts", "lst"}, "你是不是要 `alerts list`"},
		{[]string{"alerts", "unsilenc", "x"}, "你是不是要 `alerts unsilence`"},
		{[]string{"queue", "lsit", "--dead"}, "你是不是要 `queue list`"},
		{[]string{"snyc", "all"}, "你是不是要 `sync`"},
		{[]string{"nonsense"}, "可用的有：alarms、alerts"},
		{[]string{"queue", "list", "--dea"}, "你是不是要 --dead"},
		{[]string{"queue", "list", "--bogus"}, "没有选项 --bogus"},
		{[]string{"queue", "drain", "--timeout", "abc"}, "应为时长"},
		{[]string{"queue", "drain", "--timeout"}, "后面要给出一个值"},
		{[]string{"sync"}, "需要 1 个参数"},
		{[]string{"sync", "enterprise"}, "你是不是要 enterprises"},
		{[]string{"version", "extra"}, "不接受参数"},
		{[]string{"version", "--format", "xml"}, "--format 只能是 text 或 json"},
		{[]string{"reconcile", "everything", "--config", "/nonexistent.yaml"}, "没有对账范围"},
		{[]string{"reconcile", "-o", "r.pdf", "--config", "/nonexistent.yaml"}, "-o：对账报告只能写成 .xlsx 或 .csv"},
		{[]string{"mock", "serve", "--workbook", "x.csv"}, "--workbook：工作簿要写成 .xlsx"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
		if out != "" {
			t.Errorf("%v: a mistake printed %q on stdout", tc.args, out)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: want one line on stderr, got %q", tc.args, errOut)
		}
	}
	// A group alone shows its subcommands: a request for help, exit 0.
	code, out, _ := runCLI(t, "queue")
	if code != exitOK || !strings.Contains(out, "子命令：") || !strings.Contains(out, "drain") {
		t.Errorf("queue alone: exit %d, %q", code, out)
	}
}

// Every command's description and every flag's text is Chinese; cobra's English words (Usage,
// Flags, "help for") are gone from every help page.
func TestHelpIsChineseForEveryCommand(t *testing.T) {
	root := newRootCmd(&app{})
	var paths [][]string
	visit(root, func(c *cobra.Command) {
		if !hasHan(c.Short) {
			t.Errorf("%s: short description %q is not Chinese", c.CommandPath(), c.Short)
		}
		if c.Long != "" && !hasHan(c.Long) {
			t.Errorf("%s: long description is not Chinese", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !hasHan(f.Usage) {
				t.Errorf("%s --%s: %q is not Chinese", c.CommandPath(), f.Name, f.Usage)
			}
		})
		paths = append(paths, strings.Fields(commandPath(c)))
	})
	for _, p := range paths {
		code, out, errOut := runCLI(t, append(p, "--help")...)
		if code != exitOK {
			t.Errorf("%v --help: exit %d %s", p, code, errOut)
		}
		for _, english := range []string{"Usage:", "Flags:", "Global Flags", "Available Commands", "help for", "[flags]", "(default"} {
			if strings.Contains(out, english) {
				t.Errorf("%v --help shows %q:\n%s", p, english, out)
			}
		}
		if !strings.Contains(out, "用法：") {
			t.Errorf("%v --help has no 用法：\n%s", p, out)
		}
	}
}

// A Redis that does not answer is one Chinese line with the address and the fix, exit 3 — no
// raw go-redis lines.
func TestUnreachableRedisIsOneLine(t *testing.T) {
	e := newEnv(t, 5, "")
	e.redisAddr = closedAddr(t)
	e.writeConfig(t, "")
	code, out, errOut := e.cli(t, "queue", "stats")
	if code != exitRuntime || out != "" {
		t.Fatalf("queue stats: exit %d, stdout %q; want 3", code, out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "无法连接 Redis "+e.redisAddr) ||
		!strings.Contains(lines[0], "apt-get install redis-server") || !strings.Contains(lines[0], "redis.addr") {
		t.Errorf("stderr %q: want one line naming the address and the fix", errOut)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// run prints a banner with the console's URL and how to log in; --embedded-redis runs without
// a Redis, warning that its state is lost; a taken console.listen is said in Chinese with the key.
func TestRunBannerEmbeddedRedisAndTakenPort(t *testing.T) {
	e := newEnv(t, 5, "")
	e.redisAddr = closedAddr(t) // no Redis: only --embedded-redis can run
	e.writeConfig(t, "")
	if code, _, errOut := e.cli(t, "run"); code != exitRuntime || !strings.Contains(errOut, "--embedded-redis") {
		t.Errorf("run without a Redis: exit %d, %q; want 3 and the trial flag named", code, errOut)
	}

	s := startCLI(t, "--config", e.config, "run", "--embedded-redis", "--stop-grace", "5s")
	re := regexp.MustCompile(`控制台：(http://127\.0\.0\.1:\d+/)`)
	var url string
	waitFor(t, 30*time.Second, "run's banner", func() bool {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			url = m[1]
		}
		return url != ""
	})
	if out := s.out.String(); !strings.Contains(out, "console.token") || !strings.Contains(out, "--embedded-redis") {
		t.Errorf("banner %q: want how to log in and the embedded-Redis note", out)
	}
	if !strings.Contains(s.err.String(), "警告：--embedded-redis") {
		t.Errorf("stderr lacks the embedded-Redis warning:\n%s", tail(s.err.String(), 1000))
	}
	if code, body := httpGet(t, url+"readyz"); code != http.StatusOK {
		t.Errorf("/readyz with the embedded Redis: %d %s", code, body)
	}
	if code := s.stop(t, 30*time.Second); code != exitOK {
		t.Errorf("run --embedded-redis: exit %d after the stop", code)
	}

	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	addr := strings.TrimPrefix(busy.URL, "http://")
	writeFile(t, e.config, strings.Replace(readFile(t, e.config), `listen: "127.0.0.1:0"`, `listen: "`+addr+`"`, 1))
	code, _, errOut := e.cli(t, "run", "--embedded-redis")
	if code != exitRuntime || !strings.Contains(errOut, addr+" 已被占用") || !strings.Contains(errOut, "console.listen") {
		t.Errorf("console port taken: exit %d, %q; want 3 naming the address and console.listen", code, errOut)
	}
}

// mock serve --workbook and demo --workbook write the generated street's workbook; it imports.
func TestMockServeAndDemoWriteTheWorkbook(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "企业台账.xlsx")
	s := startCLI(t, "mock", "serve", "--listen", "127.0.0.1:0", "--enterprises", "8", "--workbook", path)
	waitFor(t, 30*time.Second, "mock serve to listen", func() bool { return strings.Contains(s.out.String(), "baseURL") })
	if !strings.Contains(s.out.String(), "街道台账工作簿已写入 "+path) {
		t.Errorf("mock serve does not say where the workbook is:\n%s", s.out.String())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("workbook %s: %v %v, want a 0600 file", path, fi, err)
	}
	s.stop(t, 10*time.Second)

	e := newEnv(t, 8, "")
	var rep struct {
		Enterprises struct{ Inserted int } `json:"enterprises"`
	}
	out := e.jsonCLI(t, exitOK, nil, "import", path)
	if err := jsonDecode(out, &rep); err != nil || rep.Enterprises.Inserted != 8 {
		t.Errorf("import of mock serve's workbook: %v %s", err, out)
	}

	kept := filepath.Join(dir, "演示台账.xlsx")
	if code, out, errOut := runCLI(t, "demo", "--once", "--enterprises", "5", "--workbook", kept); code != exitOK ||
		!strings.Contains(out, "街道台账工作簿已写入 "+kept) {
		t.Fatalf("demo --once --workbook: exit %d\n%s\n%s", code, tail(out, 500), tail(errOut, 500))
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("the demo's workbook is gone after the demo: %v", err)
	}
	if code, _, errOut := runCLI(t, "demo", "--once", "--workbook", filepath.Join(dir, "no-such-dir", "x.xlsx")); code != exitUsage ||
		!strings.Contains(errOut, "不存在") {
		t.Errorf("demo --workbook into a missing directory: exit %d, %q", code, errOut)
	}
	if code, _, errOut := e.cli(t, "import", filepath.Join(dir, "没有这个文件.xlsx")); code != exitUsage ||
		!strings.Contains(errOut, "找不到文件") || !strings.Contains(errOut, "mock serve --workbook") {
		t.Errorf("import of a missing file: exit %d, %q", code, errOut)
	}
}

func TestConfigCheckProbe(t *testing.T) {
	e := newEnv(t, 5, "")
	code, out, errOut := e.cli(t, "config", "check", "--probe")
	if code != exitOK || strings.Count(out, "✓") != 5 {
		t.Fatalf("probe of a working installation: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"✓ Redis", "✓ 台账", "✓ 泉州市平台", "✓ 特种作业系统", "✓ 控制台监听地址"} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}
	// Redis down and the listen address taken: one ✗ line each with what to do, exit 1.
	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	e.redisAddr = closedAddr(t)
	e.writeConfig(t, "")
	writeFile(t, e.config, strings.Replace(readFile(t, e.config), `listen: "127.0.0.1:0"`, `listen: "`+strings.TrimPrefix(busy.URL, "http://")+`"`, 1))
	code, out, _ = e.cli(t, "config", "check", "--probe")
	if code != exitFound || strings.Count(out, "✗") != 2 || !strings.Contains(out, "✗ Redis") ||
		!strings.Contains(out, "apt-get install redis-server") || !strings.Contains(out, "✗ 控制台监听地址") {
		t.Errorf("probe with Redis down and the port taken: exit %d\n%s", code, out)
	}
	var doc struct {
		Valid  bool `json:"valid"`
		Probes []struct {
			Name, Target, Message string
			OK                    bool
		} `json:"probes"`
	}
	out = e.jsonCLI(t, exitFound, nil, "config", "check", "--probe")
	if err := jsonDecode(out, &doc); err != nil || !doc.Valid || len(doc.Probes) != 5 || doc.Probes[0].OK || !doc.Probes[2].OK {
		t.Errorf("--format json: %v %+v", err, doc)
	}
}

func TestConfigCheckSaysNoTabs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, "region:\n\tcode: \"350582006\"\n")
	code, _, errOut := runCLI(t, "config", "check", "--config", path)
	if code != exitUsage || !strings.Contains(errOut, "第 2 行") || !strings.Contains(errOut, "不要用 Tab 缩进") {
		t.Errorf("a tab-indented config: exit %d, %q", code, errOut)
	}
}

// cliAt runs a command line with the app adjusted (a terminal at stdin, a fake clock).
func (e *env) cliAt(t *testing.T, stdin string, opts []runOption, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuffer
	code := runContext(context.Background(), append([]string{"--config", e.config}, args...), strings.NewReader(stdin), &out, &errb, opts...)
	return code, out.String(), errb.String()
}

func atATerminal(a *app) { a.stdinTerminal = true }

// The silences' lifecycle from the command line: a preview, a confirmation on a terminal (a
// script must say --yes), warnings only unless --include-critical, the list with who, why, until
// and how many each covers, and unsilence.
func TestSilencesLifecycle(t *testing.T) {
	e := prepared(t, 20, "operator: {name: 值班员}\n")
	var res checkResult
	e.jsonCLI(t, exitOK, &res, "alerts", "check")
	community := ""
	for _, a := range res.Firing {
		if a.Severity == "warning" && a.Community != "" {
			community = a.Community
			break
		}
	}
	if community == "" {
		t.Fatal("no warning fires in a community")
	}
	args := []string{"alerts", "silence", "--community", community, "--until", "7d", "--reason", "停产检修"}

	// No terminal, no --yes: the preview, then a refusal that changes nothing.
	code, out, errOut := e.cli(t, args...)
	if code != exitUsage || !strings.Contains(out, "将静默到") || !strings.Contains(out, "只静默提醒级预警") || !strings.Contains(errOut, "--yes") {
		t.Fatalf("silence without a terminal: exit %d\n%s\n%s", code, out, errOut)
	}
	var list []alerts.SilenceCover
	if e.jsonCLI(t, exitOK, &list, "alerts", "silences"); len(list) != 0 {
		t.Fatalf("a refused silence was stored: %+v", list)
	}
	// At a terminal, declined: nothing; confirmed: stored.
	if code, out, _ := e.cliAt(t, "n\n", []runOption{atATerminal}, args...); code != exitOK || !strings.Contains(out, "已取消") {
		t.Errorf("declined: exit %d\n%s", code, out)
	}
	code, out, errOut = e.cliAt(t, "y\n", []runOption{atATerminal}, args...)
	if code != exitOK || !strings.Contains(out, "确认静默？") || !strings.Contains(out, "已静默（编号 ") {
		t.Fatalf("confirmed: exit %d\n%s\n%s", code, out, errOut)
	}
	e.jsonCLI(t, exitOK, &list, "alerts", "silences")
	if len(list) != 1 || list[0].By != "值班员" || list[0].Reason != "停产检修" || list[0].Covers == 0 ||
		list[0].Matcher.Community != community || list[0].Matcher.Severity != "warning" {
		t.Fatalf("silences: %+v", list)
	}
	code, out, _ = e.cli(t, "alerts", "silences")
	for _, want := range []string{list[0].ID, community, "仅提醒级", "停产检修", "值班员", "条", "+08:00"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("alerts silences lacks %q:\n%s", want, out)
		}
	}
	// A critical rule needs --include-critical; with it and --yes a script silences it.
	if code, _, errOut := e.cli(t, "alerts", "silence", "--rule", "无证上岗", "--until", "1h", "--reason", "x", "--yes"); code != exitUsage ||
		!strings.Contains(errOut, "--include-critical") {
		t.Errorf("a critical rule without --include-critical: exit %d, %q", code, errOut)
	}
	var sl alerts.SilenceCover
	e.jsonCLI(t, exitOK, &sl, "alerts", "silence", "--rule", "无证上岗", "--until", "1h", "--reason", "核实中", "--include-critical", "--yes", "--by", "张三")
	if sl.Matcher.Rule != "NO_CERTIFICATE" || sl.Matcher.Severity != "" || sl.By != "张三" {
		t.Errorf("silence by Chinese rule name: %+v", sl)
	}
	// Unsilence: both end; a second time is a mistake.
	for _, id := range []string{list[0].ID, sl.ID} {
		if code, out, _ := e.cli(t, "alerts", "unsilence", id); code != exitOK || !strings.Contains(out, "已解除静默 "+id) {
			t.Errorf("unsilence %s: exit %d %q", id, code, out)
		}
	}
	if code, _, errOut := e.cli(t, "alerts", "unsilence", list[0].ID); code != exitUsage || !strings.Contains(errOut, "alerts silences") {
		t.Errorf("unsilence twice: exit %d, %q", code, errOut)
	}
	if e.jsonCLI(t, exitOK, &list, "alerts", "silences"); len(list) != 0 {
		t.Errorf("silences after unsilence: %+v", list)
	}
}

// An ID number as the output prints it (masked) names its person among the firing alerts:
// ack takes it when the person has one alert, lists the keys when more; silence --id takes it.
// ack records --by or operator.name, never the login name.
func TestMaskedIDsAckAndSilence(t *testing.T) {
	e := prepared(t, 30, "")
	var res checkResult
	e.jsonCLI(t, exitOK, &res, "alerts", "check")
	byPerson := map[string][]alerts.Alert{}
	for _, a := range res.Firing {
		if a.Operator != nil {
			byPerson[a.Operator.IDNumber] = append(byPerson[a.Operator.IDNumber], a)
		}
	}
	var one, several string
	for id, as := range byPerson {
		switch {
		case len(as) == 1 && one == "":
			one = id
		case len(as) > 1 && several == "":
			several = id
		}
	}
	if one == "" || several == "" {
		t.Fatalf("the generated street has no person with one alert (%q) or with several (%q)", one, several)
	}
	if !strings.Contains(one, "********") {
		t.Fatalf("%q is not masked", one)
	}

	if code, _, errOut := e.cli(t, "alerts", "ack", one, "--note", "已督促"); code != exitUsage || !strings.Contains(errOut, "--by") {
		t.Errorf("ack without --by or operator.name: exit %d, %q", code, errOut)
	}
	var ack map[string]any
	e.jsonCLI(t, exitOK, &ack, "alerts", "ack", one, "--note", "已电话督促", "--by", "王网格员")
	if ack["key"] != byPerson[one][0].Key || ack["by"] != "王网格员" {
		t.Errorf("ack by masked ID: %v, want %s by 王网格员", ack, byPerson[one][0].Key)
	}
	code, _, errOut := e.cli(t, "alerts", "ack", several, "--note", "x", "--by", "王网格员")
	if code != exitUsage {
		t.Errorf("ack of a person with several alerts: exit %d, want 2", code)
	}
	for _, a := range byPerson[several] {
		if !strings.Contains(errOut, a.Key) {
			t.Errorf("the candidates do not list %s:\n%s", a.Key, errOut)
		}
	}
	if mask.IDsInText(errOut) != errOut {
		t.Errorf("a whole ID number on stderr:\n%s", errOut)
	}
	// operator.name stands in for --by.
	e.writeConfig(t, "operator: {name: 安办值班员}\n")
	var sl alerts.SilenceCover
	e.jsonCLI(t, exitOK, &sl, "alerts", "silence", "--id", several, "--until", "2d", "--reason", "核实中", "--include-critical", "--yes")
	if sl.Matcher.IDHash == "" || sl.By != "安办值班员" || sl.Covers != len(byPerson[several]) {
		t.Errorf("silence --id masked: %+v, want the person's %d alerts by 安办值班员", sl, len(byPerson[several]))
	}
	code, out, _ := e.cli(t, "alerts", "silences")
	if code != exitOK || !strings.Contains(out, several) {
		t.Errorf("the silence of a person names them by masked ID:\n%s", out)
	}
}

func TestAlertsListTakesRuleNamesAndChecksCommunities(t *testing.T) {
	e := prepared(t, 20, "")
	var res checkResult
	e.jsonCLI(t, exitOK, &res, "alerts", "check")
	first := res.Firing[0]
	var byCode, byName alerts.Page
	e.jsonCLI(t, exitOK, &byCode, "alerts", "list", "--rule", first.Rule)
	e.jsonCLI(t, exitOK, &byName, "alerts", "list", "--rule", first.RuleName)
	if byCode.Total == 0 || byCode.Total != byName.Total {
		t.Errorf("--rule %s: %d, --rule %s: %d", first.Rule, byCode.Total, first.RuleName, byName.Total)
	}
	short := strings.TrimSuffix(first.Community, "社区")
	var page alerts.Page
	e.jsonCLI(t, exitOK, &page, "alerts", "list", "--community", short)
	if page.Total == 0 || page.Alerts[0].Community != first.Community {
		t.Errorf("--community %s: %d alerts", short, page.Total)
	}
	code, _, errOut := e.cli(t, "alerts", "list", "--community", "火星社区")
	if code != exitUsage || !strings.Contains(errOut, "没有名为 \"火星社区\" 的社区") || !strings.Contains(errOut, first.Community) {
		t.Errorf("an unknown community: exit %d, %q", code, errOut)
	}
	code, _, errOut = e.cli(t, "alerts", "list", "--rule", "过期")
	if code != exitUsage || !strings.Contains(errOut, "CERT_EXPIRED 证书过期") {
		t.Errorf("an unknown rule: exit %d, %q", code, errOut)
	}
}

// Every time the CLI prints is in schedule.timezone with its offset.
func TestTimesInTheScheduleTimezone(t *testing.T) {
	e := newEnv(t, 5, "schedule: {timezone: Asia/Kathmandu}\n") // +05:45: no machine's local zone by accident
	seedQueue(t, e)
	offset := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d \+05:45`)
	code, out, _ := e.cli(t, "queue", "list")
	if code != exitOK || !offset.MatchString(out) {
		t.Errorf("queue list: exit %d, no time at +05:45:\n%s", code, out)
	}
	var items []queueItem
	e.jsonCLI(t, exitOK, &items, "queue", "list")
	if len(items) == 0 || items[0].NextAttempt == nil || !strings.HasSuffix(items[0].NextAttempt.Format(time.RFC3339), "+05:45") {
		t.Errorf("queue list --format json: %+v, want times at +05:45", items)
	}
}

// Long commands report progress on stderr also when it is a pipe: a line every 10 s of the
// injected clock, so the test waits for no 10 s.
func TestQueueDrainReportsProgressOnAPipe(t *testing.T) {
	e := newEnv(t, 5, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	q, err := retry.New(e.redis, retry.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	// Items waiting for their next attempt (the default policy's backoff, far beyond the drain's
	// timeout): the drain waits for them the whole time.
	for _, ent := range e.mocks.Dataset.Ledger[:3] {
		if _, err := q.Enqueue(context.Background(), jobs.KindEnterprisePush, ent.USCC, errors.New("平台繁忙")); err != nil {
			t.Fatal(err)
		}
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(rd)
		for s.Scan() {
			if strings.Contains(s.Text(), "重试队列") {
				lines <- s.Text()
			}
		}
		close(lines)
	}()
	fc := clock.NewFake(time.Date(2026, 12, 7, 0, 31, 0, 0, time.UTC))
	done := make(chan int, 1)
	go func() {
		var out syncBuffer
		done <- runContext(context.Background(), []string{"--config", e.config, "queue", "drain", "--timeout", "5s"},
			strings.NewReader(""), &out, wr, func(a *app) { a.clock = fc })
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := fc.BlockUntil(ctx, 2); err != nil { // the line's ticker and the drain's sampler
		t.Fatal("the drain armed no progress timers:", err)
	}
	fc.Advance(jobs.ProgressEvery)
	select {
	case line := <-lines:
		if !strings.Contains(line, "2026-12-07 08:31:10 +08:00") || !strings.Contains(line, "重试队列 · 处理  0/3 条") {
			t.Errorf("progress line %q", line)
		}
	case <-ctx.Done():
		t.Fatal("no progress line on the pipe")
	}
	if code := <-done; code != exitOK {
		t.Errorf("drain: exit %d", code)
	}
	wr.Close()
	if line, ok := <-lines; !ok || !strings.Contains(line, "用时") {
		t.Errorf("closing line %q", line)
	}
}

func TestReconcileWritesOneCSVPerList(t *testing.T) {
	e := prepared(t, 10, "")
	path := filepath.Join(e.dir, "对账.csv")
	var doc struct {
		Files []string `json:"files"`
	}
	out := e.jsonCLI(t, exitOK, nil, "reconcile", "-o", path)
	// The index, six lists of enterprises and operators, three of hazards.
	if err := jsonDecode(out, &doc); err != nil || len(doc.Files) != 10 || doc.Files[0] != path {
		t.Fatalf("reconcile -o %s: files %v (%v)", path, doc.Files, err)
	}
	for _, f := range doc.Files {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	if onlyLedger := readFile(t, filepath.Join(e.dir, "对账-hazards-only-in-ledger.csv")); !strings.HasPrefix(onlyLedger, "\ufeff隐患编号,平台隐患ID,") {
		t.Errorf("hazards-only-in-ledger.csv:\n%s", tail(onlyLedger, 500))
	}
	uncertified := readFile(t, filepath.Join(e.dir, "对账-operators-uncertified.csv"))
	if !strings.HasPrefix(uncertified, "\ufeff姓名,身份证号,") || !strings.Contains(uncertified, "********") {
		t.Errorf("operators-uncertified.csv:\n%s", tail(uncertified, 500))
	}
}

func jsonDecode(s string, v any) error { return json.Unmarshal([]byte(s), v) }
