package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	wiring "streetsync/internal/app"
	"streetsync/internal/config"
	"streetsync/internal/logging"
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
var errFound = &exitError{code: exitFound, err: errors.New("problems found")}

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
}

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
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	a.ctx = ctx
	err := root.ExecuteContext(ctx)
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
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case config.IsConfigError(err):
		code = exitUsage
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
	fmt.Fprintln(a.stderr, "streetsync: "+logging.MaskIDsInText(msg))
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "streetsync",
		Short:         "灵源街道安全生产数据同步：街道台账 ⇄ 泉州市安全生产标准化智慧管理平台 / 特种作业人员系统",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.format != formatText && a.format != formatJSON {
				return usageErr("--format must be text or json, got %q", a.format)
			}
			return nil
		},
	}
	def := os.Getenv(envConfigKey)
	if def == "" {
		def = "config.yaml"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", def, "configuration file (env "+envConfigKey+")")
	pf.StringVar(&a.format, "format", formatText, "output format: text or json (json: one document on stdout)")
	pf.StringVar(&a.logFormat, "log-format", "", "log format on stderr: auto, console or json (default: log.format)")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn, error (default: log.level)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })

	root.AddCommand(newVersionCmd(a), newConfigCmd(a), newMockCmd(a), newQueueCmd(a), newSyncCmd(a),
		newAlertsCmd(a), newImportCmd(a), newExportCmd(a), newAlarmsCmd(a), newReconcileCmd(a), newHazardsCmd(a),
		newRunCmd(a), newDemoCmd(a))
	return root
}

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
		return usageErr("%v", err)
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
