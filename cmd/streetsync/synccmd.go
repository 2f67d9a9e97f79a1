package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"streetsync/internal/jobs"
)

// jobNames are the sync jobs in Chinese, for people.
var jobNames = map[string]string{
	jobs.Enterprises:  "企业信息",
	jobs.Certificates: "特种作业操作证",
	jobs.Alarms:       "监测预警报警",
	jobs.Hazards:      "隐患",
	jobs.Inspections:  "企业检查记录",
	jobs.Employments:  "用工登记",
}

func newSyncCmd(a *app) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "sync JOB",
		Short: "立即运行一个同步任务：enterprises、certificates、alarms、employments 或 all",
		Long: "立即运行一个同步任务（与定时任务共用锁，记入运行历史；all 按 企业→证书→预警报警→用工登记 的顺序依次运行）。\n" +
			"每个任务的结果是 成功、部分完成（有条目转入重试队列或被隔离，命令仍以 0 退出）、平台不可用 或 失败（以 3 退出），并附原因和下一步该做什么；\n" +
			"drifted 是平台上被改动的街道字段，留待 reconcile --apply 由人决定，同步不会覆盖。\n" +
			"任务正在运行时（本机或另一台主机）拒绝运行并说明由谁、自何时运行、租约何时到期；本机上已退出的进程留下的锁会被立即接管。",
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			job := args[0]
			if job != jobs.All && jobNames[job] == "" {
				return usageErr("没有同步任务 %q：应为 %s 或 %s%s", job, strings.Join(jobs.Names, "、"), jobs.All,
					closestWord(job, append([]string{jobs.All}, jobs.Names...)))
			}
			w, err := a.wiringWithProgress()
			if err != nil {
				return err
			}
			sums, err := w.Sync(a.ctx, job, full)
			if perr := a.printSummaries(job, sums); perr != nil {
				return perr
			}
			if err != nil {
				return err // a refusal reads as who runs the job and when its lease ends
			}
			// The contract's exit status: 3 when a job found its platform unavailable or failed.
			var bad []string
			for _, s := range sums {
				if s.Outcome == jobs.OutcomePlatformUnavailable || s.Outcome == jobs.OutcomeFailed {
					msg := jobs.Title(s.Job) + "：" + outcomeNames[s.Outcome]
					if a.format == formatJSON {
						msg += "。" + s.Reason // the text output has shown it already
					}
					bad = append(bad, msg)
				}
			}
			if len(bad) > 0 {
				return &exitError{code: exitRuntime, err: errors.New(strings.Join(bad, "\n"))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "不看水位和哈希，重新读取并比较每一条记录（恢复备份、手工改库之后）")
	return cmd
}

// outcomeNames are the run outcomes in Chinese, for people.
var outcomeNames = map[string]string{
	jobs.OutcomeSuccess:             "成功",
	jobs.OutcomePartial:             "部分完成",
	jobs.OutcomePlatformUnavailable: "平台不可用",
	jobs.OutcomeFailed:              "失败",
}

// closestWord is "。你是不是要 X？" for the word of choices closest to s, when one is close.
func closestWord(s string, choices []string) string {
	best, bestD := "", 3
	for _, c := range choices {
		if d := editDistance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return "。你是不是要 " + best + "？"
}

func (a *app) printSummaries(job string, sums []jobs.Summary) error {
	if a.format == formatJSON {
		if job == jobs.All {
			if sums == nil {
				sums = []jobs.Summary{}
			}
			return a.printJSON(sums)
		}
		if len(sums) == 0 {
			return nil // the job did not run; the error says why
		}
		return a.printJSON(sums[0])
	}
	for _, s := range sums {
		fmt.Fprintf(a.stdout, "%s（%s）：%s。拉取 %d，推送 %d，无变化 %d，平台改动待核 %d，隔离 %d，转入重试 %d，用时 %.1f 秒\n",
			jobNames[s.Job], s.Job, outcomeNames[s.Outcome], s.Pulled, s.Pushed, s.Unchanged, s.Drifted, s.Quarantined, s.Queued,
			float64(s.DurationMs)/1000)
		if s.Reason != "" {
			fmt.Fprintf(a.stdout, "  原因：%s\n", s.Reason)
		}
	}
	return nil
}
