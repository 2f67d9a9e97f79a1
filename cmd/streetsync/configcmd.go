package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"streetsync/connectors/quanzhou"
	wiring "streetsync/internal/app"
	"streetsync/internal/config"
	"streetsync/internal/rdb"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "配置文件：检查写得对不对，试连各项服务"}
	var probe bool
	check := &cobra.Command{
		Use:   "check",
		Short: "检查配置文件，逐项指出问题；没有问题时打印生效的配置（密钥显示为 ******）；--probe 试连 Redis、台账、两个平台和监听地址",
		Long: "检查配置文件，逐项指出问题（第几行、哪个配置项、怎么改），退出状态 2。没有问题时打印生效的配置，\n" +
			"密钥和地址中的用户名、密码显示为 ******；有效但不安全的设置（明文 HTTP 的平台地址、过宽的受信任代理网段）\n" +
			"在标准错误上以“警告”开头提示，退出状态仍为 0。\n" +
			"--probe：再逐项试连——Redis、台账数据库、泉州市平台和特种作业系统（取令牌并读取一页数据）、console.listen\n" +
			"能否监听——每项一行（✓ 或 ✗ 和该怎么办）；有一项不通时退出状态 1。",
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := config.Load(a.configPath)
			var ce *config.Error
			if errors.As(err, &ce) {
				if a.format == formatJSON {
					_ = a.printJSON(map[string]any{"valid": false, "file": ce.File, "problems": ce.Problems})
				}
				return &exitError{code: exitUsage, err: err}
			}
			if err != nil {
				return err
			}
			// Valid but unsafe settings are warned about, on stderr in text (stdout stays the
			// effective configuration, YAML), and the exit status stays 0.
			warnings := cfg.Warnings()
			shown := cfg.Display()
			var probes []probeResult
			if probe {
				if _, err := a.loadConfig(); err != nil {
					return err
				}
				probes = a.probe(cfg)
			}
			if a.format == formatJSON {
				if warnings == nil {
					warnings = []config.Problem{}
				}
				doc := map[string]any{"valid": true, "file": a.configPath, "warnings": warnings, "config": shown}
				if probe {
					doc["probes"] = probes
				}
				if err := a.printJSON(doc); err != nil {
					return err
				}
			} else {
				for _, w := range warnings {
					fmt.Fprintf(a.stderr, "警告：%s\n", w)
				}
				if probe {
					fmt.Fprintf(a.stdout, "配置有效：%s。试连：\n", a.configPath)
					for _, p := range probes {
						mark := "✓"
						if !p.OK {
							mark = "✗"
						}
						fmt.Fprintf(a.stdout, "%s %s %s：%s\n", mark, p.Name, p.Target, p.Message)
					}
				} else {
					out, err := yaml.Marshal(shown)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "# 配置有效：%s（以下为生效配置，密钥和地址中的用户名、密码显示为 %s）\n%s", a.configPath, config.Masked, out)
				}
			}
			for _, p := range probes {
				if !p.OK {
					return errFound
				}
			}
			return nil
		},
	}
	check.Flags().BoolVar(&probe, "probe", false, "再试连 Redis、台账、两个平台（取令牌、读一页）和 console.listen，每项一行")
	cmd.AddCommand(check)
	return cmd
}

// probeResult is one line of `config check --probe`.
type probeResult struct {
	Name    string `json:"name"`
	Target  string `json:"target"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// probeTimeout bounds each probe: a platform that does not answer within it is reported so.
const probeTimeout = 20 * time.Second

// probe connects to everything the daemon needs, one at a time, as the daemon would.
func (a *app) probe(cfg *config.Config) []probeResult {
	w, err := a.wiring()
	if err != nil {
		return []probeResult{{Name: "配置", OK: false, Message: err.Error()}}
	}
	shown := cfg.Display()
	redisTarget := shown.Redis.Addr
	if len(shown.Redis.Addrs) > 0 {
		redisTarget = strings.Join(shown.Redis.Addrs, ", ")
	}
	if cfg.Redis.Embedded() {
		redisTarget = "（内置内存 Redis）"
	}
	return []probeResult{
		a.probeOne("Redis", redisTarget, func(ctx context.Context) (string, error) {
			conn, err := w.Redis(ctx)
			if err != nil {
				return "", err
			}
			if conn.Embedded() {
				return "内置内存 Redis 可用（只用于演示：退出后数据全部丢失；生产环境请设置 redis.addr）", nil
			}
			return "已连接", conn.Ping(ctx)
		}, "请确认 Redis 已启动（apt-get install redis-server），地址 redis.addr 和密码 redis.password 无误"),
		a.probeOne("台账", cfg.Ledger.Driver, func(ctx context.Context) (string, error) {
			st, err := w.Ledger(ctx)
			if err != nil {
				return "", err
			}
			return "已打开，表结构为最新", st.Ping(ctx)
		}, "请检查 ledger.driver 和 ledger.dsn（SQLite 文件所在目录要存在且可写；PostgreSQL 要能登录）"),
		a.probeOne("泉州市平台", shown.Quanzhou.BaseURL, func(ctx context.Context) (string, error) {
			return probeQuanzhou(ctx, w)
		}, "请检查 quanzhou.baseURL、appKey、appSecret 和 region.code，以及本机能否访问平台、本机时间是否准确"),
		a.probeOne("特种作业系统", shown.SpecialOps.BaseURL, func(ctx context.Context) (string, error) {
			return probeSpecialOps(ctx, w)
		}, "请检查 specialOps.baseURL、clientID 和 clientSecret，以及本机能否访问该系统"),
		probeListen(cfg.Console.Listen),
	}
}

func (a *app) probeOne(name, target string, fn func(context.Context) (string, error), fix string) probeResult {
	ctx, cancel := context.WithTimeout(a.ctx, probeTimeout)
	defer cancel()
	msg, err := fn(ctx)
	if err != nil {
		return probeResult{Name: name, Target: target, Message: logSafe(a, describeProbeError(err)) + "。" + fix}
	}
	return probeResult{Name: name, Target: target, OK: true, Message: msg}
}

// describeProbeError is an error as one line: a platform's Chinese summary, a Redis failure's
// cause, else the error itself.
func describeProbeError(err error) string {
	var s interface{ Summary() string }
	var ue *rdb.UnreachableError
	switch {
	case errors.As(err, &ue):
		return ue.Cause()
	case errors.As(err, &s):
		return s.Summary()
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s 内没有回应", probeTimeout)
	}
	return err.Error()
}

// logSafe redacts the configuration's secrets from s, as every log line is.
func logSafe(a *app, s string) string {
	if a.cfg != nil {
		return redact(s, a.cfg.Secrets())
	}
	return s
}

// probeQuanzhou takes a token and reads one page of the enterprise listing (of the records
// changed from now on: usually an empty page, which is enough to prove the path and the rights).
func probeQuanzhou(ctx context.Context, w *wiring.App) (string, error) {
	qz, err := w.Quanzhou()
	if err != nil {
		return "", err
	}
	seq, _ := qz.ListEnterprises(ctx, quanzhou.MarkAt(w.Clock().Now()))
	for _, err := range seq {
		if err != nil {
			return "", err
		}
		break
	}
	return "已取得令牌并读取了企业列表的一页", nil
}

// probeSpecialOps takes a token and reads one page of the certificate change feed.
func probeSpecialOps(ctx context.Context, w *wiring.App) (string, error) {
	tz, err := w.SpecialOps()
	if err != nil {
		return "", err
	}
	seq, _ := tz.Changes(ctx, w.Clock().Now(), "")
	for _, err := range seq {
		if err != nil {
			return "", err
		}
		break
	}
	return "已取得令牌并读取了证书变更的一页", nil
}

// probeListen checks that console.listen can be listened on now (the daemon not running).
func probeListen(addr string) probeResult {
	r := probeResult{Name: "控制台监听地址", Target: addr}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		r.Message = listenProblem(addr, err)
		return r
	}
	l.Close()
	r.OK, r.Message = true, "可以监听"
	return r
}

// listenProblem says why addr cannot be listened on, and what to change.
func listenProblem(addr string, err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf("地址 %s 已被占用（另一个 streetsync run，或别的程序）。请停掉占用它的程序，或在配置文件中把 console.listen 改为别的端口，如 127.0.0.1:8081", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("没有权限监听 %s（1024 以下的端口需要特权）。请在配置文件中把 console.listen 改为 1024 以上的端口，如 127.0.0.1:8080", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Sprintf("本机没有地址 %s。请在配置文件中把 console.listen 改为本机的地址，如 127.0.0.1:8080", addr)
	}
	return fmt.Sprintf("无法监听 %s（%v）。请检查配置 console.listen", addr, err)
}
