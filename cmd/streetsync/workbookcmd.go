package main

import (
	"errors"
	"fmt"
	"io/fs"

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
// that names its operation items.
func (a *app) ledgerAndCatalog() (ledger.Store, *mapping.Catalog, error) {
	w, err := a.wiring()
	if err != nil {
		return nil, nil, err
	}
	st, err := w.Ledger(a.ctx)
	if err != nil {
		return nil, nil, err
	}
	cat, err := w.Catalog()
	return st, cat, err
}

func newImportCmd(a *app) *cobra.Command {
	var dryRun, exitCode bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "把台账工作簿（.xlsx 或 .csv）导入台账，列出导入的条数和每一个被拒绝的行（--dry-run：只检查不写入）",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			st, cat, err := a.ledgerAndCatalog()
			if err != nil {
				return err
			}
			rep, err := workbook.Import(a.ctx, st, args[0], workbook.Options{DryRun: dryRun, Catalog: cat})
			if err != nil {
				return workbookErr(err)
			}
			if a.format == formatJSON {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else if err := rep.WriteText(a.stdout); err != nil {
				return err
			}
			if exitCode && len(rep.Rejected) > 0 {
				return errFound
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and report only: write nothing")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when any row was rejected")
	return cmd
}

func newExportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE.xlsx",
		Short: "把台账导出为同样格式的工作簿（企业台账、特种作业人员两张表；身份证号完整保留，注意保管）",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			st, cat, err := a.ledgerAndCatalog()
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
