// Package sheets finds the street's two ledger sheets (企业台账, 特种作业人员) in a workbook or CSV
// file and reads their rows: the sheet by name or by its header row, the header row below any
// title rows, headers spread over two rows, merged cells filled, dates as Excel serials, CSV in
// UTF-8 (with or without BOM) or GBK/GB18030, row numbers as Excel shows them. It knows nothing of
// the ledger, so that it can be fuzzed and reused (reconcile reports, console uploads).
//
// Memory is bounded whatever the file, because the console takes uploads from anyone holding the
// token and the office imports files from anywhere: no cell is kept beyond MaxCellRunes (the rest
// is dropped and the cell marked, see Table.LongCells: its row is rejected, never loaded cut), no
// row beyond maxRowBytes of text or maxColumns columns, no archive inflating beyond maxInflated or
// at an abnormal ratio, no more than maxSheets sheets and maxMerges merged ranges per sheet.
//
// For that the .xlsx is read by hand here rather than through excelize: excelize reads the
// shared-strings table into memory whole and hands out each cell's text as one allocation (its
// XML decoder holds a text node whole), which a single 700 MiB cell turned into gigabytes. What is
// written by hand is only that reading: the package's parts and relationships (xlsx.go), a
// streaming tag scanner that keeps text to a bound (xmlscan.go), the shared-strings table kept in
// a temporary file beyond 16 MiB (sst.go), merged ranges (merges.go) and a CSV reader with the
// same bound (csv.go). Writing .xlsx (export, rejection lists) stays with excelize's StreamWriter.
package sheets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"streetsync/mapping"
)

// Bounds on what reading one file may hold.
const (
	// MaxCellRunes is the most of a cell's text that is kept: 4 × the longest field the ledger
	// takes (mapping.MaxCellRunes, a remark of 500 characters), so that every field's own length
	// check still sees a cell that is too long as too long, while a cell of hundreds of MiB costs
	// nothing.
	MaxCellRunes = 4 * mapping.MaxCellRunes
	maxCellBytes = MaxCellRunes * 4 // UTF-8
	// maxRowBytes bounds the text of one row (a ledger row holds about 300 bytes): further cells
	// are marked cut.
	maxRowBytes = 128 << 10
	// maxColumns is how many columns of a row are read (a ledger sheet has about 20; Excel allows
	// 16 384, which would let one row hold a quarter of a million cells).
	maxColumns      = 1024
	maxExcelColumns = 16384
	maxRows         = 1048576 // Excel's
	// maxSheets bounds the sheets of a workbook, maxLedgerSheets those read as ledger sheets
	// (each holds an open stream while the import runs).
	maxSheets       = 1000
	maxLedgerSheets = 32
)

// rowReader yields a sheet's rows in order with their row numbers (1-based, the sheet's own).
type rowReader interface {
	// next returns the next row and which of its cells were cut at the bound (nil: none; it may
	// be shorter than cells); ok is false at the end.
	next() (num int, cells []string, over []bool, ok bool, err error)
	close() error
}

// Table is one ledger sheet found in the file, its header resolved.
type Table struct {
	// Name is the sheet's name as the file has it (for a CSV, the detected sheet's name).
	Name  string
	Sheet mapping.Sheet
	// Headers holds, per column, the header as the sheet writes it ("" for none); a two-row
	// header is combined (主要负责人 + 电话).
	Headers []string
	file    string
	rows    rowReader
	// pending holds rows read while looking for the header, after it.
	pending []bufferedRow
	// over marks the cells of the row Next returned last that were cut at MaxCellRunes.
	over []bool
}

// File is an opened workbook or CSV file with its ledger sheets.
type File struct {
	Tables []*Table
	// Ignored lists the sheets that are neither ledger sheet (instructions, lists of codes).
	Ignored []string
	close   func()
}

// Close releases the file.
func (f *File) Close() { f.close() }

type bufferedRow struct {
	num   int
	cells []string
	over  []bool
}

// Next returns the next data row that is not blank, with its row number (the sheet's own,
// 1-based; the header is not row 1 when title rows precede it); ok is false at the end. A row
// the file does not let us read is a *FileError.
func (t *Table) Next() (num int, cells []string, ok bool, err error) {
	var over []bool
	for {
		if len(t.pending) > 0 {
			r := t.pending[0]
			t.pending = t.pending[1:]
			num, cells, over, ok = r.num, r.cells, r.over, true
		} else if num, cells, over, ok, err = t.rows.next(); err != nil {
			return num, nil, false, &FileError{File: t.file, Sheet: t.Name, Reason: fmt.Sprintf(reasonUnreadable, num, err)}
		} else if !ok {
			t.over = nil
			return 0, nil, false, nil
		}
		if !Blank(cells) || over != nil {
			t.over = over
			return num, cells, true, nil
		}
	}
}

// LongCells returns the columns (0-based) of the row Next returned last whose text was longer
// than MaxCellRunes: only the first MaxCellRunes characters were kept, and the row must be
// rejected rather than loaded with the cell cut.
func (t *Table) LongCells() []int {
	var out []int
	for c, o := range t.over {
		if o {
			out = append(out, c)
		}
	}
	return out
}

// Row returns a data row as header → cell text, the form mapping's FromRow functions read. Of
// two columns under the same header, an empty one does not hide a filled one.
func (t *Table) Row(cells []string) map[string]string {
	row := make(map[string]string, len(t.Headers))
	for c, h := range t.Headers {
		if strings.TrimSpace(h) == "" || c >= len(cells) {
			continue
		}
		if _, dup := row[h]; dup && cells[c] == "" {
			continue
		}
		row[h] = cells[c]
	}
	return row
}

// HeaderOf returns the header the sheet uses for a canonical column (the canonical header when
// the sheet has none).
func (t *Table) HeaderOf(canonical string) string {
	for _, h := range t.Headers {
		if c, ok := t.Sheet.CanonicalHeader(h); ok && c == canonical {
			return h
		}
	}
	return canonical
}

// Blank reports whether a row holds nothing but white space.
func Blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(strings.ReplaceAll(c, "\u3000", " ")) != "" {
			return false
		}
	}
	return true
}

// headerScan is how many rows at the top of a sheet may precede the header row (titles, notes).
const headerScan = 10

// kind of file, decided by extension and content.
type fileKind int

const (
	kindXLSX fileKind = iota + 1
	kindCSV
)

// sniff decides how to read path: ZIP content is a workbook, OLE2 is the old .xls (refused), and
// anything else with a .csv/.txt extension is CSV.
func sniff(path string) (fileKind, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return kindXLSX, nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return 0, &FileError{File: filepath.Base(path), Reason: reasonOldXLS}
	case ext == ".xlsx" || ext == ".xlsm":
		return 0, &FileError{File: filepath.Base(path), Reason: reasonBrokenXLSX}
	case ext == ".csv" || ext == ".txt":
		return kindCSV, nil
	}
	return 0, &FileError{File: filepath.Base(path), Reason: reasonNotWorkbook}
}

// Open opens the file at path (.xlsx, or .csv holding one sheet) and finds its ledger sheets with
// their header rows. Any problem with the file as a whole — not a workbook, no ledger sheet, a
// ledger sheet without its key column or a required column — is a *FileError, found before a
// single data row is read.
func Open(path string) (*File, error) {
	kind, err := sniff(path)
	if err != nil {
		return nil, err
	}
	if kind == kindCSV {
		t, err := openCSV(path)
		if err != nil {
			return nil, err
		}
		return &File{Tables: []*Table{t}, close: func() { t.rows.close() }}, nil
	}
	return openXLSX(path)
}

// Bounds on what a workbook may inflate to. An .xlsx is a zip archive; a few hundred KiB can
// inflate to gigabytes (a "zip bomb"), and the XML reader holds a text node whole, so an upload
// could exhaust the daemon's memory. The rules are Apache POI's (ZipSecureFile): no part may
// inflate more than maxRatio times its compressed size once it is over ratioGrace, and the
// whole archive may not inflate beyond maxInflated. A real ledger of 100 000 enterprises and
// half a million roster rows inflates to about 400 MiB at ratios of 5–20. archive/zip holds
// every part to the size its directory declares, so the declared sizes can be trusted.
const (
	maxInflated  = 1 << 30 // bytes, the whole archive
	maxRatio     = 100
	ratioGrace   = 1 << 20  // bytes: small parts (styles, a few rows) may compress better
	inMemoryPart = 16 << 20 // excelize keeps parts up to this size in memory, larger ones in temp files
)

// checkInflation refuses an archive that would inflate beyond the bounds above.
func checkInflation(file string, zr *zip.Reader) *FileError {
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > ratioGrace && f.UncompressedSize64 > maxRatio*f.CompressedSize64 {
			return &FileError{File: file, Reason: fmt.Sprintf(reasonInflatedPart, f.Name,
				byteSize(f.CompressedSize64), byteSize(f.UncompressedSize64))}
		}
		if total > maxInflated {
			return &FileError{File: file, Reason: fmt.Sprintf(reasonInflatedTotal, byteSize(maxInflated))}
		}
	}
	return nil
}

// byteSize is n in the unit a person reads at a glance.
func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}

// sheetByName recognizes the two ledger sheets by their names (white space and width folded).
func sheetByName(name string) (mapping.Sheet, bool) {
	k := strings.ReplaceAll(mapping.FoldWidth(mapping.CleanText(name)), " ", "")
	switch {
	case strings.Contains(k, string(mapping.SheetEnterprises)):
		return mapping.SheetEnterprises, true
	case strings.Contains(k, string(mapping.SheetOperators)):
		return mapping.SheetOperators, true
	case strings.Contains(k, string(mapping.SheetHazards)):
		return mapping.SheetHazards, true
	case strings.Contains(k, string(mapping.SheetDrills)):
		return mapping.SheetDrills, true
	}
	return "", false
}

// KeyHeader is the canonical header of a sheet's key column: 统一社会信用代码 or 身份证号.
func KeyHeader(s mapping.Sheet) string {
	if s == mapping.SheetOperators {
		return keyHeaderOperator
	}
	return keyHeaderEnterprise
}

// hasKeyColumn reports whether a header row names the sheet's key column.
func hasKeyColumn(s mapping.Sheet, row []string) bool {
	for _, h := range row {
		if c, ok := s.CanonicalHeader(h); ok && c == KeyHeader(s) {
			return true
		}
	}
	return false
}

// findHeader reads the top of a sheet and locates its header row: the first row (of the first
// headerScan) naming the key column of the named sheet, or — for a sheet with another name —
// of the sheet DetectSheet recognizes. A header spread over two rows (merged parent cells with
// sub-headers below, 主要负责人 over 姓名 and 电话) is combined. It returns nil, nil for a sheet that
// is not a ledger sheet, and a *FileError for a named ledger sheet without a usable header.
func findHeader(file, name string, hint mapping.Sheet, named bool, rr rowReader) (*Table, error) {
	var top []bufferedRow
	for len(top) < headerScan {
		num, cells, over, ok, err := rr.next()
		if err != nil {
			return nil, &FileError{File: file, Sheet: name, Reason: fmt.Sprintf(reasonUnreadable, num, err)}
		}
		if !ok {
			break
		}
		top = append(top, bufferedRow{num, cells, over})
	}
	for i, r := range top {
		sheet := hint
		if !named {
			s, ok := mapping.DetectSheet(r.cells)
			if !ok {
				continue
			}
			sheet = s
		}
		if !hasKeyColumn(sheet, r.cells) {
			continue
		}
		headers := append([]string(nil), r.cells...)
		rest := top[i+1:]
		if len(rest) > 0 && rest[0].num == r.num+1 {
			if combined, ok := twoLevelHeader(sheet, headers, rest[0].cells, r.num, rr); ok {
				headers, rest = combined, rest[1:]
			}
		}
		displayName := name
		if displayName == "" {
			displayName = string(sheet)
		}
		if missing := sheet.MissingHeaders(headers); len(missing) > 0 {
			return nil, &FileError{File: file, Sheet: displayName, Reason: fmt.Sprintf(reasonMissingColumn, strings.Join(missing, "、"))}
		}
		return &Table{Name: displayName, Sheet: sheet, Headers: headers, file: file, rows: rr, pending: rest}, nil
	}
	if named {
		return nil, &FileError{File: file, Sheet: name, Reason: fmt.Sprintf(reasonNoHeaderRow, KeyHeader(hint))}
	}
	return nil, nil
}

// twoLevelHeader combines a header row with the row below when that row holds sub-headers: some
// column's header resolves only with the sub-header (主要负责人 + 电话), or is merged down over both
// rows. Each column takes the first of parent+child, child, parent that names a known column.
func twoLevelHeader(s mapping.Sheet, parent, child []string, headerRow int, rr rowReader) ([]string, bool) {
	vertical := false
	if x, ok := rr.(*worksheetRows); ok {
		vertical = x.merges.spansDown(headerRow)
	}
	n := max(len(parent), len(child))
	out := make([]string, n)
	improved := false
	for c := range n {
		var p, ch string
		if c < len(parent) {
			p = parent[c]
		}
		if c < len(child) {
			ch = child[c]
		}
		out[c] = p
		if strings.TrimSpace(ch) == "" || ch == p {
			continue
		}
		_, parentKnown := s.CanonicalHeader(p)
		for _, cand := range []string{p + ch, ch} {
			if _, ok := s.CanonicalHeader(cand); ok {
				out[c] = cand
				if !parentKnown || cand != p {
					improved = true
				}
				break
			}
		}
	}
	return out, improved || vertical
}
