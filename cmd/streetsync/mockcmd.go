package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	wiring "streetsync/internal/app"
	"streetsync/mocks"
	"streetsync/mocks/fault"
)

// defaultMockSeed seeds `mock serve` and `demo` when no --seed is given.
const defaultMockSeed = 1

func newMockCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "mock", Short: "模拟平台（泉州市平台与特种作业系统），用于演示和测试"}
	var (
		listen       string
		seed         int64
		enterprises  int
		unlimited    bool
		workbookPath string
		f            fault.Faults
	)
	serve := &cobra.Command{
		Use:   "serve",
		Short: "启动两个模拟平台，打印它们的地址和演示凭据，直到 Ctrl-C；--workbook 写出生成的街道台账工作簿",
		Long: "启动两个模拟平台（泉州市平台含隐患、检查记录接口；特种作业系统），用生成的灵源街道数据填充，打印地址和演示凭据，直到 Ctrl-C。\n" +
			"--workbook 企业台账.xlsx：把同一份生成数据的街道台账工作簿写到这个文件，用来试 import、sync 和守护进程（企业和人员与模拟平台上的是同一条街道）。\n" +
			"各种 --*-rate 等选项让平台按比例出错，用来演练故障。",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for name, p := range map[string]float64{
				"--fail-rate": f.InternalError, "--gateway-rate": f.GatewayError, "--drop-rate": f.DropBefore,
				"--drop-after-rate": f.DropAfter, "--mutate-rate": f.MutateWhilePaging, "--conflict-rate": f.ItemConflict,
				"--store-failure-rate": f.ItemStoreFailure, "--cursor-expired-rate": f.CursorExpired,
				"--garbage-rate": f.GarbageBody, "--truncate-rate": f.TruncatedBody, "--hang-rate": f.Hang,
			} {
				if p < 0 || p > 1 {
					return usageErr("%s 应在 0 到 1 之间，实为 %g", name, p)
				}
			}
			if enterprises < 0 || f.RevokeTokenEvery < 0 || f.RateLimitBurst < 0 || f.Latency < 0 {
				return usageErr("--enterprises、--revoke-every、--rate-limit-burst 和 --latency 不能是负数")
			}
			if err := checkWorkbookPath(workbookPath); err != nil {
				return err
			}
			log := a.logger().Named("mock")
			liftMemoryLimit(os.LookupEnv) // the generated street or city is held whole
			srv, err := mocks.NewServer(mocks.Options{Seed: seed, Enterprises: enterprises, Faults: f, Unlimited: unlimited})
			if err != nil {
				return err
			}
			if workbookPath != "" {
				if err := wiring.WriteWorkbook(srv.Dataset, workbookPath); err != nil {
					return err
				}
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("模拟平台：%s（或换一个 --listen）", listenProblem(listen, err))
			}
			err = srv.Start(cmd.Context(), l, func(ep mocks.Endpoints) {
				if a.format == formatJSON {
					// The contract: exactly one line.
					b, _ := json.Marshal(ep)
					fmt.Fprintf(a.stdout, "%s\n", b)
					return
				}
				printMockEndpoints(a, ep, seed, enterprises)
				a.printWorkbookWritten(workbookPath)
				log.Info("mock platforms listening", zap.String("quanzhou", ep.QuanzhouBaseURL), zap.String("specialOps", ep.SpecialOpsBaseURL))
			})
			if err != nil {
				return fmt.Errorf("模拟平台停止：%w", err)
			}
			return nil
		},
	}
	fl := serve.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:9090", "监听`地址`（端口 0：自动选一个空闲端口）")
	fl.Int64Var(&seed, "seed", defaultMockSeed, "生成数据的`种子`（种子相同，数据相同）")
	fl.IntVar(&enterprises, "enterprises", 0, "生成多少家企业（0：200 家）")
	fl.StringVar(&workbookPath, "workbook", "", "把生成的街道台账工作簿写到这个 .xlsx `文件`（供 import 使用）")
	fl.BoolVar(&unlimited, "unlimited", false, "关闭两个平台的限流")
	fl.Float64Var(&f.InternalError, "fail-rate", 0, "平台内部出错的请求`比例`（泉州 50000，省系统 500）")
	fl.Float64Var(&f.GatewayError, "gateway-rate", 0, "网关以 502/504 HTML 页面回答的请求`比例`")
	fl.Float64Var(&f.DropBefore, "drop-rate", 0, "平台收到请求前就断开的连接`比例`")
	fl.Float64Var(&f.DropAfter, "drop-after-rate", 0, "平台处理完请求后才断开的连接`比例`")
	fl.DurationVar(&f.Latency, "latency", 0, "每个回答增加的延迟")
	fl.IntVar(&f.RevokeTokenEvery, "revoke-every", 0, "每第 N 个带令牌的请求吊销令牌（0：从不）")
	fl.Float64Var(&f.MutateWhilePaging, "mutate-rate", 0, "翻页期间门户上改动一条记录的页`比例`（泉州）")
	fl.BoolVar(&f.Maintenance, "maintenance", false, "所有请求都以“系统维护”回答")
	fl.IntVar(&f.MaintenanceRetryAfter, "maintenance-retry-after", 0, "维护期间 Retry-After 的秒数（0：1800）")
	fl.IntVar(&f.RateLimitBurst, "rate-limit-burst", 0, "接下来 N 个请求回答 429（限流）")
	fl.Float64Var(&f.ItemConflict, "conflict-rate", 0, "batchSave 中以 40901 失败的条目`比例`（泉州）")
	fl.Float64Var(&f.ItemStoreFailure, "store-failure-rate", 0, "batchSave 中以 50001 失败的条目`比例`（泉州）")
	fl.Float64Var(&f.CursorExpired, "cursor-expired-rate", 0, "变更订阅中回答 cursor_expired 的请求`比例`（省系统）")
	fl.Float64Var(&f.GarbageBody, "garbage-rate", 0, "回答内容不是 JSON 的`比例`")
	fl.Float64Var(&f.TruncatedBody, "truncate-rate", 0, "处理后回答被截断的`比例`")
	fl.Float64Var(&f.Hang, "hang-rate", 0, "永远不回答的请求`比例`")
	cmd.AddCommand(serve)
	return cmd
}

// checkWorkbookPath refuses a --workbook that cannot be written as asked, before anything starts.
func checkWorkbookPath(path string) error {
	if path == "" {
		return nil
	}
	if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return usageErr("--workbook：工作簿要写成 .xlsx 文件，例如 --workbook 企业台账.xlsx（实为 %q）", path)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return usageErr("--workbook：目录 %s 不存在，请先建好目录或换一个位置", filepath.Dir(path))
	}
	return nil
}

// printWorkbookWritten says where the street's workbook went and what to do with it.
func (a *app) printWorkbookWritten(path string) {
	if path == "" || a.format != formatText {
		return
	}
	fmt.Fprintf(a.stdout, "\n街道台账工作簿已写入 %s（企业和人员与模拟平台上的是同一条街道）。\n导入：streetsync import %s\n", path, path)
}

func printMockEndpoints(a *app, ep mocks.Endpoints, seed int64, enterprises int) {
	if enterprises == 0 {
		enterprises = 200
	}
	w := a.stdout
	fmt.Fprintf(w, "模拟平台已启动（数据种子 %d，企业 %d 家），按 Ctrl-C 停止。\n\n", seed, enterprises)
	fmt.Fprintf(w, "泉州市安全生产标准化智慧管理平台（模拟）\n  baseURL:   %s\n  appKey:    %s\n  appSecret: %s\n\n",
		ep.QuanzhouBaseURL, ep.AppKey, ep.AppSecret)
	fmt.Fprintf(w, "特种作业人员综合管理服务（模拟）\n  baseURL:      %s\n  clientID:     %s\n  clientSecret: %s\n\n",
		ep.SpecialOpsBaseURL, ep.ClientID, ep.ClientSecret)
	fmt.Fprintf(w, "在配置文件中使用：\n  quanzhou:\n    baseURL: %s\n  specialOps:\n    baseURL: %s\n", ep.QuanzhouBaseURL, ep.SpecialOpsBaseURL)
	fmt.Fprintf(w, "并设置环境变量：\n  export QZ_APP_KEY=%s QZ_APP_SECRET=%s TZ_CLIENT_ID=%s TZ_CLIENT_SECRET=%s\n",
		ep.AppKey, ep.AppSecret, ep.ClientID, ep.ClientSecret)
}
