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
	var (
		grace         time.Duration
		embeddedRedis bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "守护进程：定时同步、重试、预警检查，控制台和 API，/metrics、/healthz、/readyz；收到 SIGTERM 后平稳停止",
		Long: "守护进程：按 schedule 定时同步和检查预警，处理重试队列，在 console.listen 上提供控制台和 API、/metrics、/healthz、/readyz。\n" +
			"启动后打印控制台地址和登录方法；收到 SIGTERM（或 Ctrl-C）后不再开始新任务，正在运行的任务有 --stop-grace 的时间收尾。\n" +
			"--embedded-redis 只用于试用：使用内置的内存 Redis，重试队列、水位和锁在进程退出时全部丢失。",
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if grace <= 0 {
				return usageErr("--stop-grace 必须大于 0")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if embeddedRedis {
				cfg.Redis.Addr, cfg.Redis.Addrs, cfg.Redis.MasterName = "", nil, ""
				fmt.Fprintln(a.stderr, msgEmbeddedRedis)
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", cfg.Console.Listen)
			if err != nil {
				return fmt.Errorf("%s", listenProblem(cfg.Console.Listen, err))
			}
			return serveWithConsole(a, w, wiring.DaemonOptions{StopGrace: grace, Listener: l}, func(addr net.Addr) {
				a.printRunBanner(consoleURL(addr), embeddedRedis)
			})
		},
	}
	cmd.Flags().DurationVar(&grace, "stop-grace", 30*time.Second, "收到 SIGTERM 后，正在运行的任务和重试条目还可以运行多久")
	cmd.Flags().BoolVar(&embeddedRedis, "embedded-redis", false, "试用：用内置的内存 Redis 代替 redis.addr（退出后数据全部丢失，不得用于生产）")
	return cmd
}

// What run says to a person.
const (
	msgEmbeddedRedis = "警告：--embedded-redis 使用内置的内存 Redis：重试队列、同步水位和锁在进程退出时全部丢失。只用于试用，不要用于生产；生产环境请安装 Redis（apt-get install redis-server）并设置 redis.addr。"
)

// consoleURL is the console's address as a browser on this machine reaches it.
func consoleURL(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("http://127.0.0.1:%d/", tcp.Port)
	}
	return "http://" + addr.String() + "/"
}

// printRunBanner says where the console is and how to log in, as the demo does; the token is a
// secret and is never printed.
func (a *app) printRunBanner(url string, embeddedRedis bool) {
	if a.format == formatJSON {
		_ = a.printJSON(map[string]any{"console": map[string]string{"url": url}, "embeddedRedis": embeddedRedis})
		return
	}
	fmt.Fprintf(a.stdout, "streetsync 守护进程已启动（配置 %s）。\n控制台：%s\n登录：在登录页输入配置项 console.token 的值（通常来自环境变量 CONSOLE_TOKEN）。\n"+
		"健康检查：%shealthz、%sreadyz；指标：%smetrics（需要同一令牌）。\n按 Ctrl-C 或发送 SIGTERM 平稳停止。\n",
		a.configPath, url, url, url, url)
	if embeddedRedis {
		fmt.Fprintln(a.stdout, "注意：正在使用内置的内存 Redis（--embedded-redis），退出后重试队列等数据全部丢失。")
	}
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
		once         bool
		seed         int64
		enterprises  int
		listen       string
		workbookPath string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "一条命令的演示：内置 Redis、临时台账、两个模拟平台；导入台账、全量同步、对账、预警检查，打印摘要，然后运行控制台直到 Ctrl-C（--once：打印摘要后退出）",
		Long: "一条命令的演示，不需要配置和任何服务：内置 Redis、临时目录中的新台账、两个模拟平台（生成的灵源街道数据）；\n" +
			"导入街道台账工作簿、全量同步、对账、预警检查，打印摘要，然后运行控制台直到 Ctrl-C；退出时删除全部数据。\n" +
			"--workbook 文件.xlsx 把演示用的街道台账工作簿另存一份（退出后保留），可用来试 import 和守护进程。",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if enterprises < 0 {
				return usageErr("--enterprises 不能是负数")
			}
			if err := checkWorkbookPath(workbookPath); err != nil {
				return err
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
			d, err := wiring.NewDemo(a.ctx, wiring.DemoOptions{Seed: seed, Enterprises: enterprises, Listen: listen, Workbook: workbookPath}, log)
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
				a.printWorkbookWritten(workbookPath)
				return nil
			}
			if a.format == formatText {
				printDemoSummary(a, sum)
				a.printWorkbookWritten(workbookPath)
			}
			l, err := net.Listen("tcp", listen)
			if err != nil && !cmd.Flags().Changed("listen") {
				// The default port is taken (another demo?): any free one will do.
				l, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				return fmt.Errorf("演示控制台：%s（或换一个 --listen）", listenProblem(listen, err))
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
	fl.BoolVar(&once, "once", false, "打印摘要后退出，不运行控制台")
	fl.Int64Var(&seed, "seed", defaultMockSeed, "生成数据的`种子`（种子相同，数据相同）")
	fl.IntVar(&enterprises, "enterprises", 0, "生成多少家企业（0：200 家）")
	fl.StringVar(&listen, "listen", "127.0.0.1:8080", "演示控制台监听的`地址`（默认端口被占用时自动换一个）")
	fl.StringVar(&workbookPath, "workbook", "", "把演示用的街道台账工作簿另存为这个 .xlsx `文件`（退出后保留）")
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
	fmt.Fprintf(w, "\n预警检查（持证、报警、隐患、带队检查、演练）：在岗 %d 人次，正在预警 %d 条；本次发送新预警 %d 条、解除 %d 条（演示接收端收到 %d 条消息）。\n",
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
		fmt.Fprintf(w, "  %-24s %-10s %d\n", rule, alerts.RuleName(rule), s.Alerts.ByRule[rule])
	}
	fmt.Fprintf(w, "\n重试队列：待处理 %d，已排期 %d，死信 %d。\n", s.Queue.Pending, s.Queue.Scheduled, s.Queue.Dead)
}
