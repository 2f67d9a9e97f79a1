package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	wiring "streetsync/internal/app"
	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/logging"
	"streetsync/internal/rdb"
	"streetsync/mapping/mask"
	"streetsync/scheduler/clock"
)

// Exit statuses of the operator contract.
const (
	exitOK       = 0
	exitFound    = 1 // the command ran and found a problem it was asked to report (--exit-code)
	exitUsage    = 2 // usage or configuration error
	exitRuntime  = 3 // runtime failure
	formatText   = "text"
	formatJSON   = "json"
	envConfigKey = "STREETSYNC_CONFIG"
)

// exitError carries an exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// found is returned by commands with --exit-code that found something to report; the output has
// already been printed.
var errFound = &exitError{code: exitFound, err: errors.New("发现需要处理的问题")}

// app holds the global flags and what commands build from them.
type app struct {
	configPath string
	format     string
	logFormat  string
	logLevel   string

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	cfg  *config.Config
	log  *zap.Logger
	ctx  context.Context
	deps *wiring.App // built on first use by wiring(); closed when the command ends

	// clock paces the progress lines (tests: a fake one).
	clock clock.Clock
	// stdinTerminal says whether a person sits at stdin: `alerts silence` asks them to confirm.
	stdinTerminal bool
	reporter      *jobs.Reporter // built on first use by progress(); closed when the command ends
}

// runOption adjusts a command line's app (tests).
type runOption func(*app)

// run is main's body: SIGINT or SIGTERM cancels the command's context (a long command stops
// cleanly); a second signal kills the process the default way.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs, stop := notifySignals()
	defer stop()
	go func() {
		select {
		case <-sigs:
			stop()
			cancel()
		case <-ctx.Done():
		}
	}()
	return runContext(ctx, args, stdin, stdout, stderr)
}

// runContext runs one command line until it ends or ctx is cancelled; tests call it directly.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, opts ...runOption) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, clock: clock.Real()}
	if f, ok := stdin.(*os.File); ok {
		a.stdinTerminal = term.IsTerminal(int(f.Fd()))
	}
	for _, o := range opts {
		o(a)
	}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	a.ctx = ctx
	err := root.ExecuteContext(ctx)
	if a.reporter != nil {
		a.reporter.Close()
	}
	if a.deps != nil {
		if cerr := a.deps.Close(); cerr != nil {
			a.logger().Warn("closing", zap.Error(cerr))
		}
	}
	if a.log != nil {
		_ = a.log.Sync()
	}
	if err == nil {
		return exitOK
	}
	code := exitRuntime
	var ee *exitError
	var unreachable *rdb.UnreachableError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case config.IsConfigError(err):
		code = exitUsage
	case errors.As(err, &unreachable):
		// One line a person acts on, instead of the client library's retries.
		err = fmt.Errorf(msgRedisUnreachable, unreachable.Error())
	case isCobraUsage(err):
		code = exitUsage
	}
	if code != exitFound {
		a.reportError(err)
	}
	return code
}

// reportError prints err on stderr; secrets are redacted like every log line.
func (a *app) reportError(err error) {
	msg := err.Error()
	if a.cfg != nil {
		msg = redact(msg, a.cfg.Secrets())
	}
	fmt.Fprintln(a.stderr, "streetsync: "+mask.IDsInText(msg))
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "streetsync",
		Short: "灵源街道安全生产数据同步：街道台账 ⇄ 泉州市安全生产标准化智慧管理平台 / 特种作业人员系统",
		Long: "灵源街道安全生产数据同步：街道台账 ⇄ 泉州市安全生产标准化智慧管理平台 / 特种作业人员系统。\n" +
			"第一次使用：streetsync demo（无需配置）；每条命令的说明：streetsync 命令 --help；完整说明见 docs/operator-guide.md。\n" +
			"退出状态：0 成功，1 发现问题（--exit-code），2 用法或配置错误，3 运行失败。",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.format != formatText && a.format != formatJSON {
				return usageErr("--format 只能是 text 或 json，实为 %q", a.format)
			}
			return nil
		},
	}
	def := os.Getenv(envConfigKey)
	if def == "" {
		def = "config.yaml"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", def, "配置`文件`（也可用环境变量 "+envConfigKey+" 指定）")
	pf.StringVar(&a.format, "format", formatText, "输出`格式`：text（给人看）或 json（标准输出只有一个 JSON 文档）")
	pf.StringVar(&a.logFormat, "log-format", "", "标准错误上的日志`格式`：auto、console 或 json（默认按配置 log.format）")
	pf.StringVar(&a.logLevel, "log-level", "", "日志`级别`：debug、info、warn、error（默认按配置 log.level）")

	root.AddCommand(newVersionCmd(a), newConfigCmd(a), newMockCmd(a), newQueueCmd(a), newSyncCmd(a),
		newAlertsCmd(a), newImportCmd(a), newExportCmd(a), newAlarmsCmd(a), newReconcileCmd(a), newHazardsCmd(a),
		newRunCmd(a), newDemoCmd(a))
	speakChinese(root)
	return root
}

// What the command line says beyond a command's own output.
const (
	msgRedisUnreachable = "%s。请启动 Redis（Debian/Ubuntu：apt-get install redis-server），或在配置文件中改正 redis.addr；只是试用时可以给 run 加上 --embedded-redis（内置内存 Redis，退出后数据全部丢失）"
)

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// loadConfig loads the configuration and builds the logger (once per process).
func (a *app) loadConfig() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, err := config.Load(a.configPath)
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	return cfg, a.buildLogger(cfg.Log, cfg.Secrets())
}

func (a *app) buildLogger(l config.Log, secrets []string) error {
	level, format := l.Level, l.Format
	if a.logLevel != "" {
		level = a.logLevel
	}
	if a.logFormat != "" {
		format = a.logFormat
	}
	log, err := logging.New(logging.Options{Level: level, Format: format, Secrets: secrets, Out: a.stderr})
	if err != nil {
		return usageErr("日志设置不对（--log-level %q，--log-format %q）：级别应为 debug、info、warn 或 error，格式应为 auto、console 或 json", level, format)
	}
	a.log = log
	return nil
}

// wiring loads the configuration and returns the dependencies built from it (each part on first
// use); runContext closes them when the command ends.
func (a *app) wiring(opts ...wiring.Option) (*wiring.App, error) {
	if a.deps != nil {
		return a.deps, nil
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	a.deps = wiring.New(cfg, a.log, opts...)
	return a.deps, nil
}

// wiringWithProgress is wiring for a long command: the sync jobs report their progress on
// stderr (progress).
func (a *app) wiringWithProgress() (*wiring.App, error) {
	if _, err := a.loadConfig(); err != nil {
		return nil, err
	}
	return a.wiring(wiring.WithProgress(a.progress()))
}

// progress is the command's progress on stderr: a line redrawn on a terminal, a line every 10 s
// anywhere else (a cron log shows that a long command is alive). runContext closes it.
func (a *app) progress() *jobs.Reporter {
	if a.reporter == nil {
		a.reporter = jobs.NewProgress(a.stderr, jobs.IsTerminal(a.stderr), a.clock, a.location())
	}
	return a.reporter
}

// location is schedule.timezone: every time the CLI prints is in it, with its offset.
func (a *app) location() *time.Location {
	if a.cfg != nil {
		return a.cfg.Schedule.Location()
	}
	return config.Default().Schedule.Location()
}

// timeLayout is how the CLI prints a time for a person: the minute and the offset, so that a
// time read on another machine or in a log is never ambiguous.
const timeLayout = "2006-01-02 15:04 -07:00"

// when prints t for a person in schedule.timezone ("-" for the zero time).
func (a *app) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(a.location()).Format(timeLayout)
}

// buildLoggerLevel builds the logger without a configuration, at level unless --log-level says
// otherwise (the demo).
func (a *app) buildLoggerLevel(level string) error {
	l := config.Default().Log
	l.Level = level
	return a.buildLogger(l, nil)
}

// logger returns the app's logger, building a default one when no config was loaded.
func (a *app) logger() *zap.Logger {
	if a.log == nil {
		if err := a.buildLogger(config.Default().Log, nil); err != nil {
			a.log = zap.NewNop()
		}
	}
	return a.log
}

// printJSON writes v as the one JSON document on stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, config.Masked)
		}
	}
	return s
}
