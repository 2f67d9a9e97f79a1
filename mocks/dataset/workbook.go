package dataset

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// EnterpriseHeaders and OperatorHeaders are the workbook's row-1 headers, exactly as
// contracts/operator-interface.md names them.
var (
	EnterpriseHeaders = []string{"统一社会信用代码", "企业名称", "法定代表人", "主要负责人", "主要负责人电话", "安全管理人员",
		"经营地址", "所属社区", "行业类别", "重点类型", "从业人数", "企业状态", "是否厂中厂", "备注"}
	OperatorHeaders = []string{"姓名", "身份证号", "联系电话", "所在企业统一社会信用代码", "作业类别", "操作项目", "上岗日期", "离岗日期", "备注"}
)

// workbookTime is the fixed creation and modification time written into the document
// properties, so that the same dataset gives the same bytes.
const workbookTime = "2024-01-01T00:00:00Z"

// WriteWorkbook writes the street's ledger workbook 企业台账.xlsx (sheets 企业台账 and
// 特种作业人员, and with WithHazardSheets 隐患台账 and 演练记录) the way the office keeps it by hand:
// Chinese labels, phones with spaces or dashes, dates in several spellings, item names, codes or
// short forms. The same dataset and options write the same bytes.
func (ds *Dataset) WriteWorkbook(w io.Writer, opts ...WorkbookOption) (err error) {
	var o workbookOptions
	for _, opt := range opts {
		opt(&o)
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetDocProps(&excelize.DocProperties{
		Created: workbookTime, Modified: workbookTime, Creator: "streetsync", LastModifiedBy: "streetsync",
		Title: "企业台账", Language: "zh-CN",
	}); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetEnterprises); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetOperators); err != nil {
		return err
	}
	// The spelling choices draw from their own stream, so they never disturb the data.
	rng := rand.New(rand.NewPCG(uint64(ds.Params.Seed), 0x776f726b626f6f6b))
	if err := writeSheet(f, SheetEnterprises, EnterpriseHeaders, len(ds.Ledger), func(i int) []any {
		return enterpriseRow(&ds.Ledger[i], rng)
	}); err != nil {
		return err
	}
	if err := writeSheet(f, SheetOperators, OperatorHeaders, len(ds.Roster), func(i int) []any {
		return operatorRow(&ds.Roster[i], rng)
	}); err != nil {
		return err
	}
	if o.hazardSheets {
		if err := ds.writeHazardSheets(f); err != nil {
			return err
		}
	}
	f.SetZipWriter(newSortedZip)
	_, err = f.WriteTo(w)
	return err
}

func writeSheet(f *excelize.File, sheet string, headers []string, n int, row func(int) []any) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head := make([]any, len(headers))
	for i, h := range headers {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row(i)); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func enterpriseRow(e *Enterprise, rng *rand.Rand) []any {
	name := e.Name
	if rng.IntN(10) < 3 {
		name = strings.NewReplacer("（", "(", "）", ")").Replace(name)
	}
	var employees any = e.Employees
	if rng.IntN(10) < 2 {
		employees = strconv.Itoa(e.Employees)
	}
	ffi := "否"
	if e.FactoryInFactory {
		ffi = "是"
	}
	return []any{e.USCC, name, e.LegalRep, e.Principal, phoneText(e.Phone, rng), e.SafetyManager, e.Address,
		e.Community, IndustryLabels[e.Industry], keyRiskText(e.KeyRisks, rng), employees, StatusLabels[e.Status], ffi, e.Remark}
}

func operatorRow(op *Operator, rng *rand.Rand) []any {
	return []any{op.Name, op.IDText, phoneText(op.Phone, rng), op.EnterpriseUSCC, op.CategoryText, op.ItemText,
		dateText(op.StartDate, rng), dateText(op.EndDate, rng), op.Remark}
}

// phoneText spells a digits-only phone the way people type it.
func phoneText(p string, rng *rand.Rand) string {
	r := rng.IntN(10)
	switch {
	case len(p) == 11 && p[0] == '1' && r < 2:
		return p[:3] + " " + p[3:7] + " " + p[7:]
	case len(p) == 11 && p[0] == '1' && r < 3:
		return p[:3] + "-" + p[3:7] + "-" + p[7:]
	case strings.HasPrefix(p, "0595") && r < 6:
		return "0595-" + p[4:]
	}
	return p
}

var keyRiskSeparators = []string{"、", ",", "，", ";", " "}

func keyRiskText(codes string, rng *rand.Rand) string {
	if codes == "" {
		return ""
	}
	parts := strings.Split(codes, ",")
	for i, c := range parts {
		parts[i] = KeyRiskLabels[c]
	}
	return strings.Join(parts, keyRiskSeparators[rng.IntN(len(keyRiskSeparators))])
}

func dateText(d Day, rng *rand.Rand) string {
	if d.IsZero() {
		return ""
	}
	y, m, dd := d.Civil()
	switch rng.IntN(10) {
	case 0, 1:
		return fmt.Sprintf("%d/%d/%d", y, int(m), dd)
	case 2:
		return fmt.Sprintf("%d年%d月%d日", y, int(m), dd)
	}
	return d.String()
}
