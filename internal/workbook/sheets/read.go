// Package sheets finds the street's two ledger sheets (企业台账, 特种作业人员) in a workbook or CSV
// file and reads their rows: the sheet by name or by its header row, the header row below any
// title rows, headers spread over two rows, merged cells filled, dates as Excel serials, CSV in
// UTF-8 (with or without BOM) or GBK/GB18030, row numbers as Excel shows them. It knows nothing of
// the ledger, so that it can be fuzzed and reused (reconcile reports, console uploads).
package sheets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"streetsync/mapping"
)

// rowReader yields a sheet's rows in order with their row numbers (1-based, the sheet's own).
type rowReader interface {
	// next returns the next row; ok is false at the end.
	next() (num int, cells []string, ok bool, err error)
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
}

// Next returns the next data row that is not blank, with its row number (the sheet's own,
// 1-based; the header is not row 1 when title rows precede it); ok is false at the end. A row
// the file does not let us read is a *FileError.
func (t *Table) Next() (num int, cells []string, ok bool, err error) {
	for {
		if len(t.pending) > 0 {
			r := t.pending[0]
			t.pending = t.pending[1:]
			num, cells, ok = r.num, r.cells, true
		} else if num, cells, ok, err = t.rows.next(); err != nil {
			return num, nil, false, &FileError{File: t.file, Sheet: t.Name, Reason: fmt.Sprintf(reasonUnreadable, num, err)}
		} else if !ok {
			return 0, nil, false, nil
		}
		if !Blank(cells) {
			return num, cells, true, nil
		}
	}
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
	tables, ignored, closeAll, err := openXLSX(path)
	if err != nil {
		return nil, err
	}
	return &File{Tables: tables, Ignored: ignored, close: closeAll}, nil
}

func openXLSX(path string) ([]*Table, []string, func(), error) {
	file := filepath.Base(path)
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, nil, &FileError{File: file, Reason: reasonBrokenXLSX}
	}
	defer zr.Close()
	if ferr := checkInflation(file, &zr.Reader); ferr != nil {
		return nil, nil, nil, ferr
	}
	merges, err := scanMerges(&zr.Reader)
	if err != nil {
		return nil, nil, nil, &FileError{File: file, Reason: reasonBrokenXLSX}
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxInflated, UnzipXMLSizeLimit: inMemoryPart})
	if err != nil {
		return nil, nil, nil, &FileError{File: file, Reason: reasonBrokenXLSX}
	}
	var tables []*Table
	var ignored []string
	closeAll := func() {
		for _, t := range tables {
			t.rows.close()
		}
		f.Close()
	}
	for _, name := range f.GetSheetList() {
		rows, err := f.Rows(name)
		if err != nil {
			closeAll()
			return nil, nil, nil, &FileError{File: file, Sheet: name, Reason: reasonBrokenXLSX}
		}
		rr := &xlsxRows{rows: rows, merges: newMergeFiller(merges[name])}
		hint, named := sheetByName(name)
		t, ferr := findHeader(file, name, hint, named, rr)
		if ferr != nil {
			rr.close()
			closeAll()
			return nil, nil, nil, ferr
		}
		if t == nil {
			rr.close()
			ignored = append(ignored, name)
			continue
		}
		tables = append(tables, t)
	}
	if len(tables) == 0 {
		closeAll()
		return nil, nil, nil, &FileError{File: file, Reason: reasonNoKnownSheet}
	}
	return tables, ignored, closeAll, nil
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
		num, cells, ok, err := rr.next()
		if err != nil {
			return nil, &FileError{File: file, Sheet: name, Reason: fmt.Sprintf(reasonUnreadable, num, err)}
		}
		if !ok {
			break
		}
		top = append(top, bufferedRow{num, cells})
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
	if x, ok := rr.(*xlsxRows); ok {
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

// xlsxRows reads a worksheet through excelize's streaming reader with raw cell values (a date
// cell reads as its serial number, which mapping.ParseDate understands), merged ranges filled.
type xlsxRows struct {
	rows   *excelize.Rows
	num    int
	merges *mergeFiller
}

func (x *xlsxRows) next() (int, []string, bool, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return x.num + 1, nil, false, err
		}
		return 0, nil, false, nil
	}
	x.num++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return x.num, nil, false, err
	}
	// A row that only merged ranges reach (the community merged down past a blank row) is
	// blank: judge before filling.
	empty := Blank(cells)
	cells = x.merges.fill(x.num, cells)
	if empty {
		return x.num, nil, true, nil
	}
	return x.num, cells, true, nil
}

func (x *xlsxRows) close() error { return x.rows.Close() }

// csvRows reads CSV records; a record's number is its row number when Excel opens the file:
// encoding/csv skips blank lines, which Excel shows as rows, and a quoted cell may span lines,
// which Excel keeps in one row.
type csvRows struct {
	f       *os.File
	r       *csv.Reader
	num     int
	lastEnd int // the line the previous record ended on
}

func (c *csvRows) next() (int, []string, bool, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil, false, nil
	}
	if err != nil {
		return c.num + 1, nil, false, err
	}
	start, _ := c.r.FieldPos(0)
	last, _ := c.r.FieldPos(len(rec) - 1)
	c.num += 1 + max(0, start-c.lastEnd-1)
	c.lastEnd = last + strings.Count(rec[len(rec)-1], "\n")
	return c.num, rec, true, nil
}

func (c *csvRows) close() error { return c.f.Close() }

// openCSV opens a CSV file holding one of the two sheets; its header row says which.
func openCSV(path string) (*Table, error) {
	file := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := decodeCSV(f)
	if err != nil {
		f.Close()
		return nil, &FileError{File: file, Reason: reasonNotWorkbook}
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows may be ragged
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	rows := &csvRows{f: f, r: cr}
	t, ferr := findHeader(file, "", "", false, rows)
	if ferr != nil {
		f.Close()
		return nil, ferr
	}
	if t == nil {
		f.Close()
		return nil, &FileError{File: file, Reason: reasonCSVNoHeader}
	}
	return t, nil
}

// csvSniff is how much of a CSV file decides its encoding; the header row, in Chinese, is in it.
const csvSniff = 64 << 10

// decodeCSV returns the file's text as UTF-8: a UTF-8 BOM is dropped, valid UTF-8 is read as is,
// anything else is GB18030 (a superset of GBK, what Excel writes on Chinese Windows). A file read
// as UTF-8 that has a broken byte sequence further on (or cut at its very end) gets U+FFFD there,
// so that the broken cell is rejected with a readable value rather than passed on as bad text.
func decodeCSV(f io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(f, csvSniff)
	head, err := br.Peek(csvSniff)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	whole := errors.Is(err, io.EOF) // the peek holds the whole file: nothing was cut
	asUTF8 := unicode.UTF8.NewDecoder().Reader(br)
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
		return asUTF8, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, errors.New("binary content")
	}
	// A multi-byte character may be cut at the end of the peeked bytes.
	check := head
	for i := 0; !whole && i < utf8.UTFMax && len(check) > 0 && !utf8.Valid(check); i++ {
		check = check[:len(check)-1]
	}
	if utf8.Valid(check) {
		return asUTF8, nil
	}
	return simplifiedchinese.GB18030.NewDecoder().Reader(br), nil
}
