package reconcile

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/outfile"
)

// The office's words for the report: sheet names and column headers, together for review.
const (
	sheetSummary      = "概要"
	sheetOnlyLedger   = "仅在台账"
	sheetOnlyPlatform = "仅在平台"
	sheetDifferent    = "字段差异"
	sheetUnregistered = "未登记用工"
	sheetUncertified  = "无有效证书在岗"
	sheetUnknownItems = "未知操作项目"
	sheetRejected     = "平台数据无法比对"
)

// sinceLayout is how the report writes since when an alert fires: to the minute, with the offset
// of schedule.timezone, as the CLI prints every time.
const sinceLayout = "2006-01-02 15:04 -07:00"

var ownerLabel = map[string]string{"street": "街道", "platform": "平台"}

// table is one list of the report as rows under Chinese headers; file names its CSV
// (FILE-<file>.csv). A city's lists run to tens of thousands of rows, so a table makes its rows
// as they are written; n says how many there are, ahead.
type table struct {
	name    string
	file    string
	headers []string
	n       int
	rows    iter.Seq2[[]string, error]
}

// listTable is a table of one row per item.
func listTable[T any](name, file string, headers []string, items []T, row func(T) []string) table {
	return table{name: name, file: file, headers: headers, n: len(items), rows: func(yield func([]string, error) bool) {
		for _, x := range items {
			if !yield(row(x), nil) {
				return
			}
		}
	}}
}

// diffTable is a table of one row per differing field of each item.
func diffTable[T any](name, file string, headers []string, items []T, fields func(T) []FieldDiff, row func(T, FieldDiff) []string) table {
	t := table{name: name, file: file, headers: headers, rows: func(yield func([]string, error) bool) {
		for _, x := range items {
			for _, f := range fields(x) {
				if !yield(row(x, f), nil) {
					return
				}
			}
		}
	}}
	for _, x := range items {
		t.n += len(fields(x))
	}
	return t
}

func (r *Report) tables() []table {
	var ts []table
	if e := r.Enterprises; e != nil {
		ts = append(ts,
			listTable(sheetOnlyLedger, "enterprises-only-in-ledger", []string{"统一社会信用代码", "企业名称", "所属社区"}, e.OnlyInLedger,
				func(x LedgerOnly) []string { return []string{x.USCC, x.Name, x.Community} }),
			listTable(sheetOnlyPlatform, "enterprises-only-on-platform", []string{"统一社会信用代码", "企业名称", "平台企业ID", "所属社区", "台账状态"}, e.OnlyOnPlatform,
				func(x PlatformOnly) []string {
					state := "未入台账"
					if x.InLedger {
						state = "待核实"
					}
					return []string{x.USCC, x.Name, x.Qyid, x.Community, state}
				}),
			diffTable(sheetDifferent, "enterprises-different", []string{"统一社会信用代码", "企业名称", "字段", "台账值", "平台值", "以哪方为准"}, e.Different,
				func(d Difference) []FieldDiff { return d.Fields },
				func(d Difference, f FieldDiff) []string {
					return []string{d.USCC, d.Name, f.Label, f.Ledger, f.Platform, ownerLabel[f.Owner]}
				}))
	}
	if o := r.Operators; o != nil {
		ts = append(ts,
			listTable(sheetUnregistered, "operators-unregistered", []string{"身份证号", "姓名", "证号", "所在企业统一社会信用代码", "企业名称", "操作项目代码"}, o.Unregistered,
				func(u Unregistered) []string {
					return []string{u.IDNumber, u.Name, u.CertNo, u.Enterprise, u.EnterpriseName, u.ItemCode}
				}),
			table{name: sheetUncertified, file: "operators-uncertified", headers: []string{"姓名", "身份证号", "所在企业统一社会信用代码", "企业名称", "操作项目代码", "预警规则", "预警自"},
				n: o.UncertifiedPeople.Len(), rows: func(yield func([]string, error) bool) {
					for u, err := range o.UncertifiedPeople.All() {
						if err != nil {
							yield(nil, err)
							return
						}
						since := "尚未经预警检查"
						if u.Since != nil {
							since = u.Since.Format(sinceLayout)
						}
						if !yield([]string{u.Name, u.IDNumber, u.Enterprise, u.EnterpriseName, u.ItemCode, u.RuleName + "（" + u.Rule + "）", since}, nil) {
							return
						}
					}
				}},
			listTable(sheetUnknownItems, "operators-unknown-items", []string{"证号", "操作项目代码", "操作项目名称"}, o.UnknownItems,
				func(u UnknownItem) []string { return []string{u.CertNo, u.ItemCode, u.ItemName} }))
	}
	if len(r.Quarantined) > 0 {
		ts = append(ts, listTable(sheetRejected, "platform-rejected", []string{"统一社会信用代码", "原因"}, r.Quarantined,
			func(q Rejected) []string { return []string{q.USCC, q.Reason} }))
	}
	if h := r.Hazards; h != nil {
		ts = append(ts, h.tables()...)
	}
	return ts
}

func (r *Report) summaryRows() [][]string {
	var rows [][]string
	if e := r.Enterprises; e != nil {
		rows = append(rows,
			[]string{"仅在台账的企业（未上平台）", strconv.Itoa(len(e.OnlyInLedger))},
			[]string{"仅在平台的企业", strconv.Itoa(len(e.OnlyOnPlatform))},
			[]string{"字段不一致的企业", strconv.Itoa(len(e.Different))})
	}
	if o := r.Operators; o != nil {
		rows = append(rows,
			[]string{"未登记用工的在岗人员", strconv.Itoa(len(o.Unregistered))},
			[]string{"无有效证书的在岗人员", strconv.Itoa(o.Uncertified)},
			[]string{"操作项目不在目录中的证书", strconv.Itoa(len(o.UnknownItems))})
	}
	if h := r.Hazards; h != nil {
		rows = append(rows, h.summaryRows()...)
	}
	if len(r.Quarantined) > 0 {
		rows = append(rows, []string{"平台数据校验未通过、无法比对的企业", strconv.Itoa(len(r.Quarantined))})
	}
	return rows
}

// WriteText prints the report for a person, in Chinese, a row at a time.
func (r *Report) WriteText(w io.Writer) error {
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString("对账结果\n")
	for _, row := range r.summaryRows() {
		fmt.Fprintf(b, "  %s：%s\n", row[0], row[1])
	}
	for _, t := range r.tables() {
		if t.n == 0 {
			continue
		}
		fmt.Fprintf(b, "\n【%s】%d 条\n  %s\n", t.name, t.n, strings.Join(t.headers, " | "))
		for row, err := range t.rows {
			if err != nil {
				b.Flush()
				return err
			}
			b.WriteString("  " + strings.Join(row, " | ") + "\n")
		}
	}
	if r.Empty() {
		b.WriteString("\n台账与平台一致，无需处理。\n")
	}
	return b.Flush()
}

// WriteFile writes the report as .xlsx (a summary sheet, then one sheet per list) or as CSV,
// chosen by the file's extension. CSV holds one table a file, so that each opens in a
// spreadsheet with one header row: FILE.csv is the summary (清单、行数、文件), and each list is
// written next to it as FILE-<list>.csv (对账-enterprises-only-in-ledger.csv …; the lists are
// the JSON document's). Every file is created 0600 (package outfile): they name enterprises and
// people. It returns the files written.
func (r *Report) WriteFile(path string) ([]string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		return []string{path}, writeOne(path, r.WriteXLSX)
	case ".csv":
		return r.writeCSVFiles(path)
	}
	return nil, fmt.Errorf("对账报告只能写成 .xlsx 或 .csv 文件：%s", path)
}

func writeOne(path string, write func(io.Writer) error) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// CSVFile is the name of a list's CSV next to the summary at path: 对账.csv → 对账-<list>.csv.
func CSVFile(path, list string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + list + ext
}

func (r *Report) writeCSVFiles(path string) ([]string, error) {
	tables := r.tables()
	var index [][]string
	files := []string{path}
	for _, t := range tables {
		name := CSVFile(path, t.file)
		index = append(index, []string{t.name, strconv.Itoa(t.n), filepath.Base(name)})
		if err := writeOne(name, func(w io.Writer) error { return writeCSV(w, t) }); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	summary := listTable("", "", []string{"清单", "行数", "文件"}, index, func(row []string) []string { return row })
	return files, writeOne(path, func(w io.Writer) error { return writeCSV(w, summary) })
}

// writeCSV writes one table under its header. A UTF-8 byte order mark comes first so that Excel
// on Chinese Windows reads it right. Values come from the platforms and the workbook, so every
// cell goes through outfile's formula neutralization.
func writeCSV(w io.Writer, t table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := outfile.NewCSV(w)
	if err := cw.Write(t.headers); err != nil {
		return err
	}
	for row, err := range t.rows {
		if err != nil {
			return err
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// WriteXLSX writes the workbook to w (the console's download).
func (r *Report) WriteXLSX(w io.Writer) error {
	f, err := r.workbook()
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Write(w)
}

// workbook writes each sheet through excelize's stream writer, which keeps at most a chunk of a
// sheet in memory and the rest in a temporary file of its own until the workbook is written.
func (r *Report) workbook() (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheetSummary); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	write := func(t table) error {
		sw, err := f.NewStreamWriter(t.name)
		if err != nil {
			return err
		}
		if err := sw.SetColWidth(1, len(t.headers), 22); err != nil {
			return err
		}
		vals := make([]any, len(t.headers))
		for j, v := range t.headers {
			vals[j] = v
		}
		if err := sw.SetRow("A1", vals, excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		i := 2
		for row, err := range t.rows {
			if err != nil {
				return err
			}
			for j, v := range row {
				vals[j] = v // string cells: codes and IDs stay text, and "=…" is never a formula
			}
			cell, _ := excelize.CoordinatesToCellName(1, i)
			if err := sw.SetRow(cell, vals[:len(row)]); err != nil {
				return err
			}
			i++
		}
		return sw.Flush()
	}
	if err := write(listTable(sheetSummary, "", []string{"项目", "数量"}, r.summaryRows(), func(row []string) []string { return row })); err != nil {
		f.Close()
		return nil, err
	}
	for _, t := range r.tables() {
		if _, err := f.NewSheet(t.name); err != nil {
			f.Close()
			return nil, err
		}
		if err := write(t); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
