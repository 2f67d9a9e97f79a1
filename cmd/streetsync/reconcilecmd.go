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
			"-o 把报告写成 .xlsx 或 .csv。",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			scope, err := reconcile.ParseScope(arg)
			if err != nil {
				return usageErr("%v", err)
			}
			if ext := strings.ToLower(filepath.Ext(outFile)); outFile != "" && ext != ".xlsx" && ext != ".csv" {
				return usageErr("-o: the report is written as .xlsx or .csv, got %q", outFile)
			}
			w, err := a.wiring(progressOption(a))
			if err != nil {
				return err
			}
			r, err := w.Reconciler(a.ctx)
			if err != nil {
				return err
			}
			rep, snap, err := r.Run(a.ctx, scope)
			if err != nil {
				return err
			}
			out := reconcileOutput{Report: rep}
			if apply {
				fixer, err := w.Jobs(a.ctx)
				if err != nil {
					return err
				}
				if out.Applied, err = r.Apply(a.ctx, snap, fixer); err != nil {
					return err
				}
				if out.Report, _, err = r.Run(a.ctx, scope); err != nil {
					return fmt.Errorf("修正已完成，再次对账失败：%w", err)
				}
			}
			if outFile != "" {
				if err := out.Report.WriteFile(outFile); err != nil {
					return err
				}
			}
			if a.format == formatJSON {
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else {
				if out.Applied != nil {
					a.printApplied(out.Applied)
				}
				if err := out.Report.WriteText(a.stdout); err != nil {
					return err
				}
				if outFile != "" {
					fmt.Fprintf(a.stdout, "\n报告已写入 %s\n", outFile)
				}
			}
			if exitCode && !out.Report.Empty() {
				return errFound
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "fix what can be fixed: push street-owned fields, pull platform-owned ones, make missing registrations")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when anything needs attention")
	cmd.Flags().StringVarP(&outFile, "output", "o", "", "also write the report to FILE.xlsx or FILE.csv")
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
