package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"streetsync/internal/reconcile"
)

// reconcileOutput is `reconcile --format json`: the contract's report, and with --apply what was
// done (the report then shows what remains after the fixes).
type reconcileOutput struct {
	*reconcile.Report
	Applied *reconcile.Applied `json:"applied,omitempty"`
	Files   []string           `json:"files,omitempty"` // what -o wrote
}

func newReconcileCmd(a *app) *cobra.Command {
	var apply, exitCode bool
	var outFile string
	cmd := &cobra.Command{
		Use:   "reconcile [enterprises|operators|hazards|all]",
		Short: "人工对账：台账与平台的差异（仅在台账、仅在平台、字段不同）、未登记用工、无证人数、未知操作项目；--apply 按归属修正",
		Long: "比较台账与泉州市平台（企业）、花名册与用工登记和证书（人员）。--apply：街道字段以台账为准推送到平台（要保留平台上的修改，先改台账），\n" +
			"平台字段从平台拉取，补做缺少的用工登记；之后再对账一次，报告剩下的问题。--exit-code：还有问题时以 1 退出。\n" +
			"隐患（hazards）：仅在台账、仅在平台、字段不同；--apply 拉取平台一方，推送街道新上报的隐患和整改状态（平台不支持修改已上报隐患的内容，这类差异留待人工处理）。\n" +
			"-o 对账.xlsx：每张清单一个工作表（含无有效证书在岗人员：姓名、身份证号（脱敏）、企业、规则、预警自）；\n" +
			"-o 对账.csv：每张清单一个 CSV 文件（对账-enterprises-only-in-ledger.csv 等，各有一行表头），对账.csv 本身是清单目录。",
		Args: maxArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			scope, err := reconcile.ParseScope(arg)
			if err != nil {
				return usageErr("没有对账范围 %q：应为 enterprises、operators 或 all%s", arg,
					closestWord(arg, []string{"enterprises", "operators", "all"}))
			}
			if ext := strings.ToLower(filepath.Ext(outFile)); outFile != "" && ext != ".xlsx" && ext != ".csv" {
				return usageErr("-o：对账报告只能写成 .xlsx 或 .csv 文件，例如 -o 对账.xlsx（实为 %q）", outFile)
			}
			w, err := a.wiringWithProgress()
			if err != nil {
				return err
			}
			r, err := w.Reconciler(a.ctx)
			if err != nil {
				return err
			}
			var out reconcileOutput
			if apply {
				// Compare keeping the platform's records Apply acts on, apply, then compare
				// again to show what is left.
				before, snap, err := r.Run(a.ctx, scope)
				if err != nil {
					return err
				}
				defer before.Close()
				fixer, err := w.Jobs(a.ctx)
				if err != nil {
					return err
				}
				if out.Applied, err = r.Apply(a.ctx, snap, fixer); err != nil {
					return err
				}
				if out.Report, err = r.Compare(a.ctx, scope); err != nil {
					return fmt.Errorf("修正已完成，再次对账失败：%w", err)
				}
			} else if out.Report, err = r.Compare(a.ctx, scope); err != nil {
				return err
			}
			defer out.Report.Close()
			if outFile != "" {
				if out.Files, err = out.Report.WriteFile(outFile); err != nil {
					return err
				}
			}
			if a.format == formatJSON {
				if err := streamJSON(a.stdout, out); err != nil {
					return err
				}
			} else {
				if out.Applied != nil {
					a.printApplied(out.Applied)
				}
				if err := out.Report.WriteText(a.stdout); err != nil {
					return err
				}
				if len(out.Files) > 0 {
					fmt.Fprintf(a.stdout, "\n报告已写入 %s\n", strings.Join(out.Files, "、"))
				}
			}
			if exitCode && !out.Report.Empty() {
				return errFound
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "按归属修正：推送街道字段，拉取平台字段，补做缺少的用工登记，然后再对账一次")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "还有需要处理的问题时以 1 退出（给脚本用）")
	cmd.Flags().StringVarP(&outFile, "output", "o", "", "同时把报告写入`文件`：.xlsx（每张清单一个工作表）或 .csv（每张清单一个文件）")
	return cmd
}

func (a *app) printApplied(ap *reconcile.Applied) {
	w := a.stdout
	fmt.Fprintf(w, "已修正：推送街道字段 %d 家，拉取平台字段 %d 家，补做用工登记 %d 条。\n", ap.Pushed, ap.Pulled, ap.Registered)
	if ap.HazardsPulled+ap.HazardsPushed > 0 {
		fmt.Fprintf(w, "隐患：推送到平台 %d 条，从平台拉取 %d 条。\n", ap.HazardsPushed, ap.HazardsPulled)
	}
	for _, x := range ap.Failed {
		fmt.Fprintf(w, "  未能修正 %s：%s\n", x.Key, x.Reason)
	}
	for _, x := range ap.NeedsPerson {
		fmt.Fprintf(w, "  需人工处理：%s\n", x.Reason)
	}
	fmt.Fprintln(w, "\n修正后再次对账：")
}
