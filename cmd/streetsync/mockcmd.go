package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"streetsync/mocks"
	"streetsync/mocks/fault"
)

// defaultMockSeed seeds `mock serve` and `demo` when no --seed is given.
const defaultMockSeed = 1

func newMockCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "mock", Short: "模拟平台（泉州市平台与特种作业系统），用于演示和测试"}
	var (
		listen      string
		seed        int64
		enterprises int
		unlimited   bool
		f           fault.Faults
	)
	serve := &cobra.Command{
		Use:   "serve",
		Short: "启动两个模拟平台，打印它们的地址和演示凭据，直到 Ctrl-C",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for name, p := range map[string]float64{
				"--fail-rate": f.InternalError, "--gateway-rate": f.GatewayError, "--drop-rate": f.DropBefore,
				"--drop-after-rate": f.DropAfter, "--mutate-rate": f.MutateWhilePaging, "--conflict-rate": f.ItemConflict,
				"--store-failure-rate": f.ItemStoreFailure, "--cursor-expired-rate": f.CursorExpired,
				"--garbage-rate": f.GarbageBody, "--truncate-rate": f.TruncatedBody, "--hang-rate": f.Hang,
			} {
				if p < 0 || p > 1 {
					return usageErr("%s must be between 0 and 1, got %g", name, p)
				}
			}
			if enterprises < 0 || f.RevokeTokenEvery < 0 || f.RateLimitBurst < 0 || f.Latency < 0 {
				return usageErr("--enterprises, --revoke-every, --rate-limit-burst and --latency must not be negative")
			}
			log := a.logger().Named("mock")
			opts := mocks.Options{Seed: seed, Enterprises: enterprises, Faults: f, Unlimited: unlimited}
			err := mocks.Serve(cmd.Context(), listen, opts, func(ep mocks.Endpoints) {
				if a.format == formatJSON {
					// The contract: exactly one line.
					b, _ := json.Marshal(ep)
					fmt.Fprintf(a.stdout, "%s\n", b)
					return
				}
				printMockEndpoints(a, ep, seed, enterprises)
				log.Info("mock platforms listening", zap.String("quanzhou", ep.QuanzhouBaseURL), zap.String("specialOps", ep.SpecialOpsBaseURL))
			})
			if err != nil {
				return fmt.Errorf("mock serve: %w", err)
			}
			return nil
		},
	}
	fl := serve.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:9090", "address to listen on (port 0 picks a free one)")
	fl.Int64Var(&seed, "seed", defaultMockSeed, "seed of the generated data (same seed, same data)")
	fl.IntVar(&enterprises, "enterprises", 0, "number of generated enterprises (0: 200)")
	fl.BoolVar(&unlimited, "unlimited", false, "switch both platforms' rate limits off")
	fl.Float64Var(&f.InternalError, "fail-rate", 0, "share of requests the platform fails (Quanzhou 50000, provincial 500)")
	fl.Float64Var(&f.GatewayError, "gateway-rate", 0, "share of requests the gateway answers 502/504 with an HTML page")
	fl.Float64Var(&f.DropBefore, "drop-rate", 0, "share of connections dropped before the platform sees the request")
	fl.Float64Var(&f.DropAfter, "drop-after-rate", 0, "share of connections dropped after the platform processed the request")
	fl.DurationVar(&f.Latency, "latency", 0, "latency added to every answer")
	fl.IntVar(&f.RevokeTokenEvery, "revoke-every", 0, "revoke the token on every Nth authenticated request (0: never)")
	fl.Float64Var(&f.MutateWhilePaging, "mutate-rate", 0, "share of listing pages during which a record is edited on the portal (Quanzhou)")
	fl.BoolVar(&f.Maintenance, "maintenance", false, "answer every request with the maintenance status")
	fl.IntVar(&f.MaintenanceRetryAfter, "maintenance-retry-after", 0, "Retry-After seconds during maintenance (0: 1800)")
	fl.IntVar(&f.RateLimitBurst, "rate-limit-burst", 0, "answer the next N requests 429")
	fl.Float64Var(&f.ItemConflict, "conflict-rate", 0, "share of batchSave items failing with 40901 (Quanzhou)")
	fl.Float64Var(&f.ItemStoreFailure, "store-failure-rate", 0, "share of batchSave items failing with 50001 (Quanzhou)")
	fl.Float64Var(&f.CursorExpired, "cursor-expired-rate", 0, "share of change-feed requests answered cursor_expired (provincial)")
	fl.Float64Var(&f.GarbageBody, "garbage-rate", 0, "share of answers with a body that is not JSON")
	fl.Float64Var(&f.TruncatedBody, "truncate-rate", 0, "share of answers cut short after processing")
	fl.Float64Var(&f.Hang, "hang-rate", 0, "share of requests that never get an answer")
	cmd.AddCommand(serve)
	return cmd
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
