package workbook

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"streetsync/mapping"
)

// Export writes the whole ledger to path (.xlsx) in the workbook layout: sheet 企业台账 with the
// read-only platform columns filled, then sheet 特种作业人员, canonical Chinese headers, every
// cell text (numbers as typed would lose an ID number's digits) except 从业人数. ID numbers are
// written whole: the workbook is the ledger's own copy. The last column, 核实状态, says 待核实 for
// enterprises pulled from the platform and not yet confirmed, 已核实 for the others; import
// reads it back, so that a round trip confirms nothing.
//
// Rows are read from the ledger in key order, a batch at a time (each batch its own short read:
// no read transaction stays open for the whole export), into excelize's StreamWriter, and the
// file is zipped straight to disk, so memory stays bounded whatever the ledger's size. The file
// appears complete or not at all (written beside it, then renamed).
func Export(ctx context.Context, store Exporter, path string, opts Options) (err error) {
	file := filepath.Base(path)
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".xlsx" {
		return &FileError{File: file, Reason: reasonExportExt}
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), string(mapping.SheetEnterprises)); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.NewSheet(string(mapping.SheetOperators)); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := exportEnterprises(ctx, store, f, st); err != nil {
		return err
	}
	if err := exportOperators(ctx, store, f, st, opts.Catalog); err != nil {
		return err
	}
	if hl, ok := store.(HazardLedger); ok {
		if err := exportHazardSheets(ctx, hl, f); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*.xlsx")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// excelize assembles the whole file in a buffer before writing it (File.WriteTo): at city
	// scale the largest allocation of the export. Its zip writer is replaceable: pointed at the
	// file itself, the zip is written as it is made and the buffer stays empty.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(tmp) })
	if err = f.Write(io.Discard); err != nil {
		return fmt.Errorf("export: write %s: %w", file, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("export: write %s: %w", file, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// exportBatch is how many rows are read from the ledger at a time.
const exportBatch = 1000

type styles struct{ header, text int }

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	// Number format 49 is "@", text: what a person types later stays as typed.
	if s.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	s.header, err = f.NewStyle(&excelize.Style{
		NumFmt: 49,
		Font:   &excelize.Font{Bold: true},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
	})
	if err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	return s, nil
}

// sheetWriter writes one sheet row by row.
type sheetWriter struct {
	sw  *excelize.StreamWriter
	row int
	st  styles
}

func newSheetWriter(f *excelize.File, sheet string, headers []string, st styles) (*sheetWriter, error) {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	// Column settings come before the first row (a StreamWriter rule).
	if err := sw.SetColWidth(1, len(headers), 18); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := sw.SetColStyle(1, len(headers), st.text); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	w := &sheetWriter{sw: sw, st: st}
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	return w, w.write(cells)
}

func (w *sheetWriter) write(cells []any) error {
	w.row++
	axis, err := excelize.CoordinatesToCellName(1, w.row)
	if err != nil {
		return err
	}
	if err := w.sw.SetRow(axis, cells); err != nil {
		return fmt.Errorf("export: row %d: %w", w.row, err)
	}
	return nil
}

// cell is a text cell; "" stays empty.
func (w *sheetWriter) cell(v string) any {
	if v == "" {
		return nil
	}
	return excelize.Cell{StyleID: w.st.text, Value: v}
}

func exportEnterprises(ctx context.Context, store Exporter, f *excelize.File, st styles) error {
	headers := mapping.SheetEnterprises.Headers()
	w, err := newSheetWriter(f, string(mapping.SheetEnterprises), headers, st)
	if err != nil {
		return err
	}
	cells := make([]any, len(headers))
	employees := slices.Index(headers, headerEmployees)
	for after := ""; ; {
		batch, err := store.EnterpriseFieldsAfter(ctx, after, exportBatch)
		if err != nil {
			return fmt.Errorf("export enterprises: %w", err)
		}
		for k := range batch {
			m := mapping.EnterpriseToRow(&batch[k])
			for i, h := range headers {
				cells[i] = w.cell(m[h])
			}
			if n, err := strconv.Atoi(m[headerEmployees]); err == nil && employees >= 0 {
				cells[employees] = n // 从业人数 is the one numeric column
			}
			if err := w.write(cells); err != nil {
				return err
			}
		}
		if len(batch) < exportBatch {
			return w.sw.Flush()
		}
		after = batch[len(batch)-1].USCC
	}
}

func exportOperators(ctx context.Context, store Exporter, f *excelize.File, st styles, cat *mapping.Catalog) error {
	headers := mapping.SheetOperators.Headers()
	w, err := newSheetWriter(f, string(mapping.SheetOperators), headers, st)
	if err != nil {
		return err
	}
	cells := make([]any, len(headers))
	for after := (mapping.OperatorKey{}); ; {
		batch, err := store.OperatorsAfter(ctx, after, exportBatch)
		if err != nil {
			return fmt.Errorf("export operators: %w", err)
		}
		for k := range batch {
			m := mapping.OperatorToRow(&batch[k].Operator, cat)
			for i, h := range headers {
				cells[i] = w.cell(m[h])
			}
			if err := w.write(cells); err != nil {
				return err
			}
		}
		if len(batch) < exportBatch {
			return w.sw.Flush()
		}
		after = batch[len(batch)-1].Key()
	}
}
