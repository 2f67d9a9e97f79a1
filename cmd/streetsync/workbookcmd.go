package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

// workbookErr gives a problem with the file itself (unreadable, not a ledger workbook, wrong
// extension) exit status 2: the operator named the wrong file.
func workbookErr(err error) error {
	var fe *workbook.FileError
	var pe *fs.PathError
	switch {
	case errors.As(err, &fe):
		return &exitError{code: exitUsage, err: err}
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe):
		return &exitError{code: exitUsage, err: fmt.Errorf(msgNoSuchFile, pe.Path)}
	case errors.Is(err, fs.ErrPermission) && errors.As(err, &pe):
		return &exitError{code: exitUsage, err: fmt.Errorf(msgNoPermission, pe.Path)}
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission):
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
			"有错误的行被拒绝并逐行列出（最多列出前 1000 行，其余按列和原因统计；--rejected 文件.xlsx 可导出完整清单），其余行照常导入。\n" +
			"工作簿的列见 docs/operator-guide.md。导入较久时，每 10 秒在标准错误上报告一次进度。",
		Args: exactArgs(1),
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
			rep, err := workbook.Import(a.ctx, importProgress{st, a.progress()}, args[0], workbook.Options{DryRun: dryRun, Catalog: cat,
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
				if importedNothing(&rep) {
					fmt.Fprintln(a.stdout, msgImportedEmpty)
				}
			}
			if exitCode && len(rep.Rejected) > 0 {
				return errFound
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "只检查并报告，不写入台账")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "有被拒绝的行时以 1 退出（给脚本用）")
	cmd.Flags().StringVar(&rejected, "rejected", "", "把全部被拒绝的行和提示写入这个 .xlsx `文件`（报告只逐行列出前 1000 行）")
	return cmd
}

// importProgress shows an import's progress: the rows each sheet writes, compares (--dry-run) or
// rejects, a phase per sheet. It is the ledger otherwise (the hazard sheets load through the
// store's own hazard methods).
type importProgress struct {
	ledger.Store
	progress *jobs.Reporter
}

func (ip importProgress) ImportSheet(ctx context.Context, dry bool, load func(tx ledger.SheetTx) error) error {
	return ip.Store.ImportSheet(ctx, dry, func(tx ledger.SheetTx) error {
		c := &countingSheet{SheetTx: tx, progress: ip.progress}
		defer ip.progress.End()
		return load(c)
	})
}

// countingSheet is a sheet's transaction that counts the rows through it.
type countingSheet struct {
	ledger.SheetTx
	progress *jobs.Reporter
	kind     ledger.Kind
}

// The import's name and phases on the progress line.
var importPhases = map[ledger.Kind]string{ledger.KindEnterprise: "企业台账", ledger.KindOperator: "特种作业人员"}

func (c *countingSheet) rows(kind ledger.Kind, n int) {
	if kind != c.kind {
		c.kind = kind
		c.progress.Begin("导入", importPhases[kind], 0)
	}
	c.progress.Advance(0, n)
}

func (c *countingSheet) UpsertEnterprises(ctx context.Context, batch []ledger.EnterpriseInput) ([]ledger.Outcome, error) {
	out, err := c.SheetTx.UpsertEnterprises(ctx, batch)
	c.rows(ledger.KindEnterprise, len(batch))
	return out, err
}

func (c *countingSheet) UpsertOperators(ctx context.Context, batch []ledger.OperatorInput) ([]ledger.Outcome, error) {
	out, err := c.SheetTx.UpsertOperators(ctx, batch)
	c.rows(ledger.KindOperator, len(batch))
	return out, err
}

func (c *countingSheet) AddToQuarantine(ctx context.Context, entries []ledger.QuarantineEntry) error {
	err := c.SheetTx.AddToQuarantine(ctx, entries)
	if len(entries) > 0 {
		c.rows(entries[0].Kind, len(entries))
	}
	return err
}

// What the import command says beyond the report.
const (
	msgNoSuchFile    = "找不到文件 %s：请检查路径和文件名。还没有台账工作簿时，可以用 streetsync mock serve --workbook 企业台账.xlsx（或 demo --workbook）生成一份，或用 export 导出现有台账"
	msgExportedEmpty = "注意：台账是空的，导出的工作簿只有表头。要试用，先导入一份台账工作簿（streetsync mock serve --workbook 企业台账.xlsx 可生成一份）"
	msgImportedEmpty = "注意：工作簿里没有数据行（只有表头），台账没有变化。请确认选对了文件；还没有台账工作簿时，可以用 streetsync mock serve --workbook 企业台账.xlsx 生成一份试用"
	msgNoPermission  = "没有权限读写文件 %s：请检查文件的权限，或换一个位置"
	msgRejectedExt   = "--rejected：被拒绝的行清单只能写成 .xlsx 文件，例如 --rejected 被拒绝的行.xlsx"
	msgRejectedDir   = "--rejected：目录 %s 不存在，请先建好目录或换一个位置"
	msgRejectedHint  = "要查看全部被拒绝的行，请加上 --rejected 被拒绝的行.xlsx 重新导入（或先加 --dry-run 只检查不写入）。"
)

func newExportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE.xlsx",
		Short: "把台账导出为同样格式的工作簿（企业台账、特种作业人员两张表；身份证号完整保留，注意保管）",
		Args:  exactArgs(1),
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
			if empty, err := ledgerEmpty(a, st); err == nil && empty {
				fmt.Fprintln(a.stdout, msgExportedEmpty)
			}
			return nil
		},
	}
}

// importedNothing reports whether a workbook held no data row at all (a header-only workbook, such
// as the export of an empty ledger).
func importedNothing(rep *workbook.Report) bool {
	var rows int
	for _, c := range []*ledger.Counts{&rep.Enterprises, &rep.Operators, rep.Hazards, rep.Drills} {
		if c != nil {
			rows += c.Inserted + c.Updated + c.Unchanged
		}
	}
	return rows == 0 && rep.RejectedRows == 0 && len(rep.Rejected) == 0
}

// ledgerEmpty reports whether the ledger holds no enterprise.
func ledgerEmpty(a *app, st ledger.Store) (bool, error) {
	for _, err := range st.Enterprises(a.ctx, ledger.EnterpriseFilter{}) {
		return false, err
	}
	return true, nil
}
