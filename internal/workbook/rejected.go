package workbook

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"
)

// rejectionBook writes every rejected cell (sheet 被拒绝的行) and every warning (sheet 提示) of an
// import to an .xlsx as the import meets them, however many: excelize's StreamWriter keeps at most
// a chunk of each sheet in memory and the rest in a temporary file. Values are as the report
// shows them (ID numbers masked); every cell is a string cell, so that a value beginning with =
// stays text when the office opens the file.
type rejectionBook struct {
	f          *excelize.File
	rejected   *sheetWriter
	warnings   *sheetWriter
	err        error // the first write error, reported by save
	rejectedNo int
	warningNo  int
}

func newRejectionBook() (*rejectionBook, error) {
	f := excelize.NewFile()
	b := &rejectionBook{f: f}
	fail := func(err error) (*rejectionBook, error) {
		f.Close()
		return nil, fmt.Errorf("rejection list: %w", err)
	}
	if err := f.SetSheetName(f.GetSheetName(0), sheetRejected); err != nil {
		return fail(err)
	}
	if _, err := f.NewSheet(sheetWarnings); err != nil {
		return fail(err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fail(err)
	}
	if b.rejected, err = newSheetWriter(f, sheetRejected, rejectedHeaders, st); err != nil {
		return fail(err)
	}
	if b.warnings, err = newSheetWriter(f, sheetWarnings, warningHeaders, st); err != nil {
		return fail(err)
	}
	return b, nil
}

func (b *rejectionBook) reject(r Rejection) {
	b.rejectedNo++
	b.write(b.rejected, r.Sheet, r.Row, r.Column, r.Value, r.Reason)
}

func (b *rejectionBook) warn(w Warning) {
	b.warningNo++
	b.write(b.warnings, w.Sheet, w.Row, w.Column, w.Value, w.Message)
}

func (b *rejectionBook) write(w *sheetWriter, sheet string, row int, column, value, text string) {
	if b.err != nil {
		return
	}
	b.err = w.write([]any{w.cell(sheet), row, w.cell(column), w.cell(value), w.cell(text)})
}

// save writes the book to path (created 0600, complete or not at all).
func (b *rejectionBook) save(path string) (err error) {
	if b.err != nil {
		return fmt.Errorf("rejection list: %w", b.err)
	}
	if err := errors.Join(b.rejected.sw.Flush(), b.warnings.sw.Flush()); err != nil {
		return fmt.Errorf("rejection list: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rejected-*.xlsx")
	if err != nil {
		return fmt.Errorf("rejection list: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = b.f.Write(tmp); err != nil {
		return fmt.Errorf("rejection list: write %s: %w", filepath.Base(path), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("rejection list: write %s: %w", filepath.Base(path), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rejection list: %w", err)
	}
	return nil
}

func (b *rejectionBook) close() { b.f.Close() }
