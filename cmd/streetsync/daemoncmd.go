package main

import (
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"streetsync/internal/alerts"
	wiring "streetsync/internal/app"
)

func newRunCmd(a *app) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "守护进程：定时同步、重试、预警检查，控制台和 API，/metrics、/healthz、/readyz；收到 SIGTERM 后平稳停止",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if grace <= 0 {
				return usageErr("--stop-grace must be positive")
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			return serveWithConsole(a, w, wiring.DaemonOptions{StopGrace: grace}, nil)
		},
	}
	cmd.Flags().DurationVar(&grace, "stop-grace", 30*time.Second, "after SIGTERM, how long running jobs and retry items may finish")
	return cmd
}

// serveWithConsole builds the console over w, serves the daemon until the command's context
// ends, then closes the console (its tasks) before the App is closed.
func serveWithConsole(a *app, w *wiring.App, opts wiring.DaemonOptions, ready func(net.Addr)) error {
	cons, err := w.Console(a.ctx)
	if err != nil {
		if opts.Listener != nil {
			opts.Listener.Close()
		}
		return err
	}
	defer cons.Close()
	opts.Console = cons.Handler()
	opts.Ready = ready
	return w.Serve(a.ctx, opts)
}

func newDemoCmd(a *app) *cobra.Command {
	var (
		once        bool
		seed        int64
		enterprises int
		listen      string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "一条命令的演示：内置 Redis、临时台账、两个模拟平台；导入台账、全量同步、对账、预警检查，打印摘要，然后运行控制台直到 Ctrl-C（--once：打印摘要后退出）",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if enterprises < 0 {
				return usageErr("--enterprises must not be negative")
			}
			log := a.logger()
			if a.logLevel == "" {
				// The demo's story is its summary; routine info lines would bury it.
				if err := a.buildLoggerLevel("warn"); err == nil {
					log = a.log
				}
			}
			if a.format == formatText {
				fmt.Fprintln(a.stdout, "正在准备演示：内置 Redis、临时台账、两个模拟平台，导入台账，全量同步，对账，预警检查……")
			}
			d, err := wiring.NewDemo(a.ctx, wiring.DemoOptions{Seed: seed, Enterprises: enterprises, Listen: listen}, log)
			if err != nil {
				return err
			}
			defer d.Close()
			sum, err := d.Prepare(a.ctx)
			if err != nil {
				return err
			}
			if once {
				if a.format == formatJSON {
					return a.printJSON(sum)
				}
				printDemoSummary(a, sum)
				return nil
			}
			if a.format == formatText {
				printDemoSummary(a, sum)
			}
			l, err := net.Listen("tcp", listen)
			if err != nil && !cmd.Flags().Changed("listen") {
				// The default port is taken (another demo?): any free one will do.
				l, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				return fmt.Errorf("demo console: listen on %s: %w", listen, err)
			}
			return serveWithConsole(a, d.App, wiring.DaemonOptions{StopGrace: 10 * time.Second, Listener: l}, func(addr net.Addr) {
				url := "http://" + addr.String() + "/"
				if a.format == formatJSON {
					_ = a.printJSON(struct {
						*wiring.DemoSummary
						Console map[string]string `json:"console"`
					}{sum, map[string]string{"url": url, "token": d.Token}})
					return
				}
				fmt.Fprintf(a.stdout, "\n控制台：%s\n登录令牌（仅显示这一次）：%s\nAPI：curl -H 'Authorization: Bearer %s' %sapi/...\n指标：curl -H 'Authorization: Bearer %s' %smetrics\n按 Ctrl-C 结束演示（所有数据随之删除）。\n",
					url, d.Token, d.Token, url, d.Token, url)
				log.Info("demo console listening", zap.String("url", url))
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&once, "once", false, "exit after the summary")
	fl.Int64Var(&seed, "seed", defaultMockSeed, "seed of the generated data")
	fl.IntVar(&enterprises, "enterprises", 0, "number of generated enterprises (0: 200)")
	fl.StringVar(&listen, "listen", "127.0.0.1:8080", "where the demo console listens")
	return cmd
}

func printDemoSummary(a *app, s *wiring.DemoSummary) {
	w := a.stdout
	fmt.Fprintf(w, "\n演示数据：种子 %d，台账企业 %d 家，特种作业人员花名册 %d 条。\n", s.Seed, s.Enterprises, s.Operators)
	fmt.Fprintf(w, "\n导入台账：企业 新增 %d、更新 %d、未变 %d；人员 新增 %d、更新 %d、未变 %d；拒绝 %d 处。\n",
		s.Import.Enterprises.Inserted, s.Import.Enterprises.Updated, s.Import.Enterprises.Unchanged,
		s.Import.Operators.Inserted, s.Import.Operators.Updated, s.Import.Operators.Unchanged, len(s.Import.Rejected))
	fmt.Fprintln(w, "\n全量同步：")
	a.printSummaries("all", s.Sync)
	r := s.Reconcile
	fmt.Fprintf(w, "\n对账：仅在台账 %d 家，仅在平台 %d 家，字段不同 %d 家；未登记用工 %d 条，无有效证书在岗 %d 人次，未知操作项目 %d 张。\n",
		r.OnlyInLedger, r.OnlyOnPlatform, r.Different, r.Unregistered, r.Uncertified, r.UnknownItems)
	fmt.Fprintf(w, "\n持证预警：在岗 %d 人次，正在预警 %d 条；本次发送新预警 %d 条、解除 %d 条（演示接收端收到 %d 条消息）。\n",
		s.Alerts.Evaluated, s.Alerts.Firing, s.Alerts.Delivered.Firing, s.Alerts.Delivered.Resolved, s.Webhook.Messages)
	rules := make([]string, 0, len(s.Alerts.ByRule))
	for rule := range s.Alerts.ByRule {
		rules = append(rules, rule)
	}
	order := map[string]int{}
	for i, r := range alerts.Rules {
		order[r] = i
	}
	sort.Slice(rules, func(i, j int) bool { return order[rules[i]] < order[rules[j]] })
	for _, rule := range rules {
		fmt.Fprintf(w, "  %-16s %-8s %d\n", rule, alerts.RuleName(rule), s.Alerts.ByRule[rule])
	}
	fmt.Fprintf(w, "\n重试队列：待处理 %d，已排期 %d，死信 %d。\n", s.Queue.Pending, s.Queue.Scheduled, s.Queue.Dead)
}
