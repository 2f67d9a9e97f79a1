package reconcile

import (
	"fmt"
	"io"
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

// table is one kind of difference as rows under Chinese headers. file names its CSV (FILE-<file>.csv).
type table struct {
	name    string
	file    string
	headers []string
	rows    [][]string
}

func (r *Report) tables() []table {
	var ts []table
	if e := r.Enterprises; e != nil {
		t := table{name: sheetOnlyLedger, file: "enterprises-only-in-ledger", headers: []string{"统一社会信用代码", "企业名称", "所属社区"}}
		for _, x := range e.OnlyInLedger {
			t.rows = append(t.rows, []string{x.USCC, x.Name, x.Community})
		}
		ts = append(ts, t)
		t = table{name: sheetOnlyPlatform, file: "enterprises-only-on-platform", headers: []string{"统一社会信用代码", "企业名称", "平台企业ID", "所属社区", "台账状态"}}
		for _, x := range e.OnlyOnPlatform {
			state := "未入台账"
			if x.InLedger {
				state = "待核实"
			}
			t.rows = append(t.rows, []string{x.USCC, x.Name, x.Qyid, x.Community, state})
		}
		ts = append(ts, t)
		t = table{name: sheetDifferent, file: "enterprises-different", headers: []string{"统一社会信用代码", "企业名称", "字段", "台账值", "平台值", "以哪方为准"}}
		for _, d := range e.Different {
			for _, f := range d.Fields {
				t.rows = append(t.rows, []string{d.USCC, d.Name, f.Label, f.Ledger, f.Platform, ownerLabel[f.Owner]})
			}
		}
		ts = append(ts, t)
	}
	if o := r.Operators; o != nil {
		t := table{name: sheetUnregistered, file: "operators-unregistered", headers: []string{"身份证号", "姓名", "证号", "所在企业统一社会信用代码", "企业名称", "操作项目代码"}}
		for _, u := range o.Unregistered {
			t.rows = append(t.rows, []string{u.IDNumber, u.Name, u.CertNo, u.Enterprise, u.EnterpriseName, u.ItemCode})
		}
		ts = append(ts, t)
		t = table{name: sheetUncertified, file: "operators-uncertified", headers: []string{"姓名", "身份证号", "所在企业统一社会信用代码", "企业名称", "操作项目代码", "预警规则", "预警自"}}
		for _, u := range o.UncertifiedPeople {
			since := "尚未经预警检查"
			if u.Since != nil {
				since = u.Since.Format(sinceLayout)
			}
			t.rows = append(t.rows, []string{u.Name, u.IDNumber, u.Enterprise, u.EnterpriseName, u.ItemCode, u.RuleName + "（" + u.Rule + "）", since})
		}
		ts = append(ts, t)
		t = table{name: sheetUnknownItems, file: "operators-unknown-items", headers: []string{"证号", "操作项目代码", "操作项目名称"}}
		for _, u := range o.UnknownItems {
			t.rows = append(t.rows, []string{u.CertNo, u.ItemCode, u.ItemName})
		}
		ts = append(ts, t)
	}
	if len(r.Quarantined) > 0 {
		t := table{name: sheetRejected, file: "platform-rejected", headers: []string{"统一社会信用代码", "原因"}}
		for _, q := range r.Quarantined {
			t.rows = append(t.rows, []string{q.USCC, q.Reason})
		}
		ts = append(ts, t)
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

// WriteText prints the report for a person, in Chinese.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString("对账结果\n")
	for _, row := range r.summaryRows() {
		fmt.Fprintf(&b, "  %s：%s\n", row[0], row[1])
	}
	for _, t := range r.tables() {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n【%s】%d 条\n  %s\n", t.name, len(t.rows), strings.Join(t.headers, " | "))
		for _, row := range t.rows {
			b.WriteString("  " + strings.Join(row, " | ") + "\n")
		}
	}
	if r.Empty() {
		b.WriteString("\n台账与平台一致，无需处理。\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
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
	summary := table{headers: []string{"清单", "行数", "文件"}}
	files := []string{path}
	for _, t := range tables {
		name := CSVFile(path, t.file)
		summary.rows = append(summary.rows, []string{t.name, strconv.Itoa(len(t.rows)), filepath.Base(name)})
		if err := writeOne(name, func(w io.Writer) error { return writeCSV(w, t) }); err != nil {
			return files, err
		}
		files = append(files, name)
	}
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
	for _, row := range t.rows {
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

func (r *Report) workbook() (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheetSummary); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	write := func(sheet string, headers []string, rows [][]string) error {
		if err := f.SetSheetRow(sheet, "A1", &headers); err != nil {
			return err
		}
		end, _ := excelize.CoordinatesToCellName(len(headers), 1)
		if err := f.SetCellStyle(sheet, "A1", end, bold); err != nil {
			return err
		}
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = v // string cells: codes and IDs stay text, and "=…" is never a formula
			}
			if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(headers))
		return f.SetColWidth(sheet, "A", last, 22)
	}
	if err := write(sheetSummary, []string{"项目", "数量"}, r.summaryRows()); err != nil {
		return nil, err
	}
	for _, t := range r.tables() {
		if _, err := f.NewSheet(t.name); err != nil {
			return nil, err
		}
		if err := write(t.name, t.headers, t.rows); err != nil {
			return nil, err
		}
	}
	return f, nil
}
