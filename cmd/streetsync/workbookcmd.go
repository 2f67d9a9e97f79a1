package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

// workbookErr gives a problem with the file itself (unreadable, not a ledger workbook, wrong
// extension) exit status 2: the operator named the wrong file.
func workbookErr(err error) error {
	var fe *workbook.FileError
	if errors.As(err, &fe) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}

// ledgerAndCatalog opens what a workbook command reads and writes: the ledger and the catalog
// that names its operation items, with the street's communities (region.communities).
func (a *app) ledgerAndCatalog() (ledger.Store, *mapping.Catalog, []string, error) {
	w, err := a.wiring()
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := w.Ledger(a.ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	cat, err := w.Catalog()
	return st, cat, w.Config().Region.Communities, err
}

func newImportCmd(a *app) *cobra.Command {
	var dryRun, exitCode bool
	var rejected string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "把台账工作簿（.xlsx 或 .csv）导入台账，列出导入的条数、被拒绝的行和提示（--dry-run：只检查不写入）",
		Long: "把台账工作簿（.xlsx 或 .csv）导入台账。每张工作表在一个事务中导入：中途出错或被中断，该表保持导入前的样子。\n" +
			"有错误的行被拒绝并逐行列出（最多列出前 1000 行，其余按列和原因统计；--rejected 文件.xlsx 可导出完整清单），其余行照常导入。",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if rejected != "" {
				if !strings.EqualFold(filepath.Ext(rejected), ".xlsx") {
					return &exitError{code: exitUsage, err: errors.New(msgRejectedExt)}
				}
				// Checked before the import, so that a typo does not cost a long import's report.
				if st, err := os.Stat(filepath.Dir(rejected)); err != nil || !st.IsDir() {
					return &exitError{code: exitUsage, err: fmt.Errorf(msgRejectedDir, filepath.Dir(rejected))}
				}
			}
			st, cat, communities, err := a.ledgerAndCatalog()
			if err != nil {
				return err
			}
			rep, err := workbook.Import(a.ctx, st, args[0], workbook.Options{DryRun: dryRun, Catalog: cat,
				Communities: communities, RejectedPath: rejected, Clauses: a.clauses()})
			if err != nil {
				return workbookErr(err)
			}
			if a.format == formatJSON {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				if err := rep.WriteText(a.stdout); err != nil {
					return err
				}
				if rep.RejectedOmitted > 0 && rejected == "" {
					fmt.Fprintln(a.stdout, msgRejectedHint)
				}
			}
			if exitCode && len(rep.Rejected) > 0 {
				return errFound
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and report only: write nothing")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when any row was rejected")
	cmd.Flags().StringVar(&rejected, "rejected", "", "把全部被拒绝的行和提示写入这个 .xlsx 文件（报告只逐行列出前 1000 行）")
	return cmd
}

// What the import command says beyond the report.
const (
	msgRejectedExt  = "--rejected：被拒绝的行清单只能写成 .xlsx 文件，例如 --rejected 被拒绝的行.xlsx"
	msgRejectedDir  = "--rejected：目录 %s 不存在，请先建好目录或换一个位置"
	msgRejectedHint = "要查看全部被拒绝的行，请加上 --rejected 被拒绝的行.xlsx 重新导入（或先加 --dry-run 只检查不写入）。"
)

func newExportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE.xlsx",
		Short: "把台账导出为同样格式的工作簿（企业台账、特种作业人员两张表；身份证号完整保留，注意保管）",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			st, cat, _, err := a.ledgerAndCatalog()
			if err != nil {
				return err
			}
			if err := workbook.Export(a.ctx, st, args[0], workbook.Options{Catalog: cat}); err != nil {
				return workbookErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(map[string]string{"file": args[0]})
			}
			fmt.Fprintf(a.stdout, "已导出台账：%s\n", args[0])
			return nil
		},
	}
}
