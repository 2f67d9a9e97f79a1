package sheets

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// The .xlsx package: which parts hold the workbook, its sheets and its shared strings.

// pkg is an opened .xlsx package.
type pkg struct {
	zr     *zip.ReadCloser
	parts  map[string]*zip.File // by lower-cased name without a leading '/': OPC names ignore case
	sheets []sheetPart          // in the workbook's order
	sst    *zip.File            // nil when the workbook has no shared strings
}

// sheetPart is one sheet of the workbook; part is nil for a sheet that is not a worksheet
// (a chart sheet) or whose part is missing.
type sheetPart struct {
	name string
	part *zip.File
}

// maxSmallPart bounds the parts read whole with encoding/xml (the workbook and relationships):
// a real one is a few KiB.
const maxSmallPart = 16 << 20

const (
	relOfficeDocument = "/officeDocument"
	relWorksheet      = "/worksheet"
	relSharedStrings  = "/sharedStrings"
)

func (p *pkg) part(name string) *zip.File {
	return p.parts[strings.ToLower(strings.TrimPrefix(name, "/"))]
}

// readPackage finds the workbook part through the package relationships (xl/workbook.xml when
// they do not say), and its sheets and shared strings through the workbook's relationships.
func readPackage(zr *zip.ReadCloser) (*pkg, error) {
	p := &pkg{zr: zr, parts: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		p.parts[strings.ToLower(strings.TrimPrefix(f.Name, "/"))] = f
	}
	wbName := "xl/workbook.xml"
	if rels, err := p.rels("_rels/.rels", ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, relOfficeDocument) {
				wbName = r.target
				break
			}
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := p.readXML(wbName, &wb); err != nil {
		return nil, err
	}
	rels, err := p.rels(path.Join(path.Dir(wbName), "_rels", path.Base(wbName)+".rels"), path.Dir(wbName))
	if err != nil {
		return nil, err
	}
	byID := map[string]rel{}
	for _, r := range rels {
		byID[r.id] = r
		if strings.HasSuffix(r.typ, relSharedStrings) && p.sst == nil {
			p.sst = p.part(r.target)
		}
	}
	for _, s := range wb.Sheets {
		sp := sheetPart{name: s.Name}
		if r, ok := byID[s.RID]; ok && strings.HasSuffix(r.typ, relWorksheet) {
			sp.part = p.part(r.target)
		}
		p.sheets = append(p.sheets, sp)
	}
	return p, nil
}

type rel struct{ id, typ, target string }

// rels reads a relationships part; targets are resolved against dir.
func (p *pkg) rels(name, dir string) ([]rel, error) {
	var doc struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
			Mode   string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := p.readXML(name, &doc); err != nil {
		return nil, err
	}
	out := make([]rel, 0, len(doc.Rels))
	for _, r := range doc.Rels {
		if strings.EqualFold(r.Mode, "External") {
			continue
		}
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		out = append(out, rel{id: r.ID, typ: r.Type, target: t})
	}
	return out, nil
}

func (p *pkg) readXML(name string, v any) error {
	f := p.part(name)
	if f == nil {
		return errors.New("missing " + name)
	}
	if f.UncompressedSize64 > maxSmallPart {
		return fmt.Errorf("%s: %d bytes", name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, maxSmallPart)).Decode(v)
}

// openXLSX opens a workbook and finds its ledger sheets.
func openXLSX(filePath string) (*File, error) {
	file := filepath.Base(filePath)
	broken := &FileError{File: file, Reason: reasonBrokenXLSX}
	zr, err := zip.OpenReader(filePath)
	if err != nil {
		return nil, broken
	}
	if ferr := checkInflation(file, &zr.Reader); ferr != nil {
		zr.Close()
		return nil, ferr
	}
	p, err := readPackage(zr)
	if err != nil {
		zr.Close()
		return nil, broken
	}
	if len(p.sheets) > maxSheets {
		zr.Close()
		return nil, &FileError{File: file, Reason: fmt.Sprintf(reasonTooManySheets, len(p.sheets), maxSheets)}
	}
	sst, err := loadSharedStrings(p.sst)
	if err != nil {
		zr.Close()
		return nil, broken
	}
	out := &File{}
	out.close = func() {
		for _, t := range out.Tables {
			t.rows.close()
		}
		sst.Close()
		zr.Close()
	}
	fail := func(err error) (*File, error) {
		out.close()
		return nil, err
	}
	for _, sp := range p.sheets {
		if sp.part == nil {
			out.Ignored = append(out.Ignored, sp.name)
			continue
		}
		ranges, err := scanMerges(sp.part)
		if errors.Is(err, errTooManyMerges) {
			return fail(&FileError{File: file, Sheet: sp.name, Reason: fmt.Sprintf(reasonTooManyMerges, maxMerges)})
		}
		if err != nil {
			return fail(&FileError{File: file, Sheet: sp.name, Reason: reasonBrokenXLSX})
		}
		rc, err := sp.part.Open()
		if err != nil {
			return fail(&FileError{File: file, Sheet: sp.name, Reason: reasonBrokenXLSX})
		}
		rr := &worksheetRows{rc: rc, sc: newXMLScanner(rc), sst: sst, merges: newMergeFiller(ranges)}
		hint, named := sheetByName(sp.name)
		t, ferr := findHeader(file, sp.name, hint, named, rr)
		if ferr != nil {
			rr.close()
			return fail(ferr)
		}
		if t == nil {
			rr.close()
			out.Ignored = append(out.Ignored, sp.name)
			continue
		}
		if len(out.Tables) == maxLedgerSheets {
			rr.close()
			return fail(&FileError{File: file, Reason: fmt.Sprintf(reasonTooManyLedgerSheets, maxLedgerSheets)})
		}
		out.Tables = append(out.Tables, t)
	}
	if len(out.Tables) == 0 {
		return fail(&FileError{File: file, Reason: reasonNoKnownSheet})
	}
	return out, nil
}

// worksheetRows reads a worksheet's rows as they stream out of the archive, with raw cell values
// as excelize gives them with RawCellValue (a date cell reads as its serial number, which
// mapping.ParseDate understands; a boolean as 1 or 0; a formula as its last value), merged
// ranges filled. Rows the sheet skips come out blank, so that row numbers are Excel's.
type worksheetRows struct {
	rc     io.ReadCloser
	sc     *xmlScanner
	sst    *sharedStrings
	merges *mergeFiller
	num    int       // the number of the last row returned
	ahead  *sheetRow // a row read past a gap in the numbering
	parsed int       // the number of the last row element read
	done   bool      // the end of sheetData was read
	text   cellText  // the cell being read
	cells  []string  // scratch: the row being read
	over   []bool    // scratch: which of its cells were cut
	budget int       // bytes of text the row may still hold
}

type sheetRow struct {
	num   int
	cells []string
	over  []bool
}

func (w *worksheetRows) next() (int, []string, []bool, bool, error) {
	if w.ahead == nil && !w.done {
		r, err := w.readRow()
		if err != nil {
			w.done = true
			return w.num + 1, nil, nil, false, err
		}
		if r == nil {
			w.done = true
		} else if r.num <= w.num {
			w.done = true
			return w.num + 1, nil, nil, false, fmt.Errorf("row %d after row %d", r.num, w.num)
		} else {
			w.ahead = r
		}
	}
	if w.ahead == nil {
		return 0, nil, nil, false, nil
	}
	w.num++
	if w.num < w.ahead.num {
		return w.num, nil, nil, true, nil
	}
	r := w.ahead
	w.ahead = nil
	// A row that only merged ranges reach (the community merged down past a blank row) is
	// blank: judge before filling.
	if Blank(r.cells) && r.over == nil {
		w.merges.fill(r.num, r.cells, r.over)
		return r.num, nil, nil, true, nil
	}
	cells, over := w.merges.fill(r.num, r.cells, r.over)
	return r.num, cells, over, true, nil
}

func (w *worksheetRows) close() error { return w.rc.Close() }

// readRow reads the next row element; nil at the end of the sheet's data.
func (w *worksheetRows) readRow() (*sheetRow, error) {
	sc := w.sc
	for {
		err := sc.next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if sc.end {
			if sc.is("sheetData") {
				return nil, nil
			}
			continue
		}
		if sc.is("row") {
			break
		}
	}
	num := w.parsed + 1
	if v, ok := sc.attr("r"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("row number %q", v)
		}
		num = n
	}
	if num > maxRows {
		return nil, fmt.Errorf("row number %d beyond Excel's %d", num, maxRows)
	}
	w.parsed = num
	w.cells, w.over, w.budget = w.cells[:0], w.over[:0], maxRowBytes
	if sc.selfClosing {
		return &sheetRow{num: num}, nil
	}
	col := 0
	for {
		if err := sc.next(); err != nil {
			return nil, err
		}
		switch {
		case sc.end && sc.is("row"):
			r := &sheetRow{num: num, cells: append([]string(nil), w.cells...)}
			for _, o := range w.over {
				if o {
					r.over = append([]bool(nil), w.over...)
					break
				}
			}
			return r, nil
		case sc.end:
		case sc.is("c"):
			var err error
			if col, err = w.readCell(col); err != nil {
				return nil, err
			}
		default:
			if err := sc.skipElement(); err != nil {
				return nil, err
			}
		}
	}
}

// readCell reads one c element whose start tag was just read; prev is the previous cell's
// column. It returns this cell's column.
func (w *worksheetRows) readCell(prev int) (int, error) {
	sc := w.sc
	col := prev + 1
	if ref, ok := sc.attr("r"); ok {
		c, _, ok := cellRef(ref)
		if !ok {
			return 0, fmt.Errorf("cell reference %q", ref)
		}
		col = c
	}
	typ, _ := sc.attr("t")
	if sc.selfClosing {
		return col, nil
	}
	keep := col <= maxColumns
	w.text.reset(MaxCellRunes, min(maxCellBytes, max(w.budget, 0)))
	var value string
	var over, inline bool
	phonetic := 0 // inside rPh (furigana): not the cell's text
	for {
		if err := sc.next(); err != nil {
			return 0, err
		}
		name := string(sc.local)
		switch {
		case !sc.end && name == "v" && !inline:
			if keep && !sc.selfClosing {
				sc.sink = &w.text
			}
		case sc.end && name == "v" && !inline:
			sc.sink = nil
		case !sc.end && name == "is":
			inline = true
			if sc.selfClosing {
				inline = false
			}
		case sc.end && name == "is":
			inline = false
		case inline && name == "rPh" && !sc.end && !sc.selfClosing:
			phonetic++
		case inline && name == "rPh" && sc.end:
			phonetic = max(0, phonetic-1)
		case inline && name == "t" && !sc.end && !sc.selfClosing:
			if keep && phonetic == 0 {
				sc.sink = &w.text
			}
		case inline && name == "t" && sc.end:
			sc.sink = nil
		case sc.end && name == "c":
			sc.sink = nil
			if !keep {
				return col, nil
			}
			value, over = w.text.String(), w.text.over
			var err error
			if value, over, err = w.cellValue(typ, value, over); err != nil {
				return 0, err
			}
			w.budget -= len(value)
			if w.budget < 0 {
				value, over = "", true
			}
			w.put(col, value, over)
			return col, nil
		case !sc.end && !inline && name != "v":
			// f (the formula: its value is in v), extLst …
			if err := sc.skipElement(); err != nil {
				return 0, err
			}
		}
	}
}

// cellValue turns a cell's text into its raw value by the cell's type, as excelize does.
func (w *worksheetRows) cellValue(typ, text string, over bool) (string, bool, error) {
	switch typ {
	case "s":
		if over {
			return "", false, fmt.Errorf("shared string index of %d characters", len(text))
		}
		if strings.TrimSpace(text) == "" {
			return "", false, nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil {
			return "", false, fmt.Errorf("shared string index %q", text)
		}
		return w.sst.get(i)
	case "inlineStr":
		if strings.Contains(text, "_x") {
			text = unescapeOOXML(text)
		}
	}
	return text, over, nil
}

func (w *worksheetRows) put(col int, value string, over bool) {
	if value == "" && !over {
		return
	}
	for len(w.cells) < col {
		w.cells = append(w.cells, "")
		w.over = append(w.over, false)
	}
	w.cells[col-1], w.over[col-1] = value, over
}

// cellRef reads an A1-style reference ("C5", "$C$5"): column and row, 1-based.
func cellRef(ref string) (col, row int, ok bool) {
	ref = strings.ReplaceAll(strings.TrimSpace(ref), "$", "")
	i := 0
	for i < len(ref) {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
		if col > maxExcelColumns {
			return 0, 0, false
		}
		i++
	}
	if i == 0 || i == len(ref) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	if err != nil || row < 1 || row > maxRows {
		return 0, 0, false
	}
	return col, row, true
}
