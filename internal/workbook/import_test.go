package workbook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

func TestImportLoadsGoodRowsAndRejectsEachBadCell(t *testing.T) {
	s := newStore(t)
	badCheck := []byte(uscc(3))
	badCheck[17] = map[bool]byte{true: '1', false: '0'}[badCheck[17] == '0']
	noName := enterpriseRow(4)
	noName[1] = ""
	badPhoneAndIndustry := enterpriseRow(5)
	badPhoneAndIndustry[4], badPhoneAndIndustry[8] = "12345", "化工"
	badID := operatorRow(2, 1)
	badIDText := idNumber(2)[:17] + map[bool]string{true: "1", false: "2"}[idNumber(2)[17] == '2'] // wrong check digit
	badID[1] = badIDText
	unknownItem := operatorRow(3, 1)
	unknownItem[5] = "潜水作业"
	withBadCheck := enterpriseRow(3)
	withBadCheck[0] = string(badCheck)

	path := writeXLSX(t, filepath.Join(t.TempDir(), "企业台账.xlsx"),
		sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), enterpriseRow(2), withBadCheck, noName, badPhoneAndIndustry)},
		sheet{name: "特种作业人员", rows: rows(operatorHeaders, operatorRow(1, 1), badID, unknownItem)},
	)
	rep := mustImport(t, s, path, opts())

	if rep.Enterprises != (ledger.Counts{Inserted: 2}) || rep.Operators != (ledger.Counts{Inserted: 1}) {
		t.Errorf("counts enterprises %+v operators %+v, want 2 and 1 inserted", rep.Enterprises, rep.Operators)
	}
	type where struct {
		sheet  string
		row    int
		column string
	}
	got := map[where]workbook.Rejection{}
	for _, r := range rep.Rejected {
		got[where{r.Sheet, r.Row, r.Column}] = r
	}
	want := []struct {
		w      where
		value  string
		reason string
	}{
		{where{"企业台账", 4, "统一社会信用代码"}, string(badCheck), "校验位错误"},
		{where{"企业台账", 5, "企业名称"}, "", "不能为空"},
		{where{"企业台账", 6, "主要负责人电话"}, "12345", ""},
		{where{"企业台账", 6, "行业类别"}, "化工", ""},
		{where{"特种作业人员", 3, "身份证号"}, badIDText[:6] + "********" + badIDText[14:], "校验位错误"},
		{where{"特种作业人员", 4, "操作项目"}, "潜水作业", ""},
	}
	for _, w := range want {
		r, ok := got[w.w]
		if !ok {
			t.Errorf("no rejection at %+v; got %+v", w.w, rep.Rejected)
			continue
		}
		if r.Value != w.value || (w.reason != "" && !strings.Contains(r.Reason, w.reason)) || r.Reason == "" {
			t.Errorf("%+v: value %q reason %q, want value %q reason containing %q", w.w, r.Value, r.Reason, w.value, w.reason)
		}
	}
	if len(rep.Rejected) != len(want) {
		t.Errorf("%d rejections, want %d: %+v", len(rep.Rejected), len(want), rep.Rejected)
	}
	if n := countEnterprises(t, s); n != 2 {
		t.Errorf("ledger holds %d enterprises, want the 2 good rows", n)
	}
	// Every rejected row went to the quarantine, the ID number kept whole there and marked.
	var q []ledger.QuarantineEntry
	for e, err := range s.QuarantineEntries(context.Background(), ledger.QuarantineFilter{Source: ledger.SourceWorkbook}) {
		if err != nil {
			t.Fatal(err)
		}
		q = append(q, e)
	}
	if len(q) != 5 {
		t.Fatalf("%d quarantine entries, want one per rejected row (5)", len(q))
	}
	for _, e := range q {
		if e.Kind == ledger.KindOperator && !e.HasIDNumber {
			t.Errorf("operator entry %q not marked as carrying an ID number", e.Key)
		}
		if e.Kind == ledger.KindOperator && strings.Contains(e.Key, badIDText[:14]) && !strings.Contains(e.Raw, badIDText) {
			t.Errorf("the quarantine keeps the row as given, ID number whole: %s", e.Raw)
		}
	}
}

func TestImportReportJSONIsTheContractsShape(t *testing.T) {
	s := newStore(t)
	bad := enterpriseRow(2)
	bad[11] = "营业中"
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), bad)})
	rep := mustImport(t, s, path, opts())
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"enterprises":{"inserted":1,"updated":0,"unchanged":0},"operators":{"inserted":0,"updated":0,"unchanged":0},` +
		`"rejected":[{"sheet":"企业台账","row":3,"column":"企业状态","value":"营业中","reason":"无法识别，可填：在营、停产、关闭、注销"}]}`
	if string(b) != want {
		t.Errorf("json\n%s\nwant\n%s", b, want)
	}
	rep = mustImport(t, s, writeXLSX(t, filepath.Join(t.TempDir(), "b.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1))}), opts())
	b, _ = json.Marshal(rep)
	if !strings.HasSuffix(string(b), `"rejected":[]}`) {
		t.Errorf("no rejections must be an empty list: %s", b)
	}
}

// A workbook as it comes back from a community: a merged title row, headers with variants,
// trailing spaces, hints and a two-level 主要负责人 header, columns in another order, blank rows,
// full-width digits, dates as Excel serials and as Chinese text, the community merged down.
func TestImportMessyRealWorldWorkbook(t *testing.T) {
	s := newStore(t)
	fw := func(s string) string { // full-width digits and letters
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
				r += 0xFEE0
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	ent := [][]any{
		{"灵源街道工贸企业安全生产台账（2026年3月）"},
		{"所属社区 ", "企业名称", "信用代码", "法人", "主要负责人", nil, "地址", "行业", "重点类型", "从业人数（人）", "经营状态", "*备注"},
		{nil, nil, nil, nil, "姓名", "联系电话"},
		{"林口社区", "灵源一号鞋业有限公司 ", fw(uscc(1)), "王 建国", "王建国", fw("139 0595 1234"), "林口路1号", "轻工", "粉尘涉爆,有限空间", "120", "在营", ""},
		nil,
		{nil, "灵源二号机械有限公司", uscc(2) + "  ", "陈明", "陈明", "0595-88881234", "林口路2号", "机械行业", "", 35.0, "停产", "季节性停产"},
		{nil, "灵源三号纺织有限公司", uscc(3), "林芳", "林芳", "88881235", "林口路3号", "纺织", "有限空间 喷涂", nil, "在营", ""},
		{"  ", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{"英墩社区", "灵源四号建材有限公司", uscc(4), "黄强", "黄强", "13905950004", "英墩路4号", "建材", "", 8, "在营", ""},
	}
	ops := [][]any{
		{"特种作业人员花名册"},
		{"身份证号码", "人员姓名", "所在企业统一社会信用代码", "准操项目", "上岗时间", "离岗时间", "手机"},
		{idNumber(1) + " ", "张 三", uscc(1), "低压电工", time.Date(2024, 5, 21, 0, 0, 0, 0, time.UTC), nil, "13800000001"},
		{strings.ToLower(idNumber(11)), "李四", uscc(2), "0201", "2023年1月5日", "2026年12月31日", ""},
		{fw(idNumber(12)), "王五", uscc(3), "电焊", 45000, nil, ""},
	}
	path := writeXLSX(t, filepath.Join(t.TempDir(), "灵源台账.xlsx"),
		sheet{name: "企业台账", rows: ent, merges: [][2]string{{"A1", "L1"}, {"A2", "A3"}, {"B2", "B3"}, {"C2", "C3"}, {"E2", "F2"}, {"A4", "A7"}}},
		sheet{name: "填表说明", rows: [][]any{{"请按模板填写"}}},
		sheet{name: "特种作业人员 ", rows: ops, merges: [][2]string{{"A1", "G1"}}},
	)
	rep := mustImport(t, s, path, opts())
	if len(rep.Rejected) != 0 {
		t.Fatalf("rejected %+v", rep.Rejected)
	}
	if rep.Enterprises != (ledger.Counts{Inserted: 4}) || rep.Operators != (ledger.Counts{Inserted: 3}) {
		t.Fatalf("counts %+v %+v, want 4 and 3 inserted", rep.Enterprises, rep.Operators)
	}
	if len(rep.Ignored) != 1 || rep.Ignored[0] != "填表说明" {
		t.Errorf("ignored %v, want the instructions sheet", rep.Ignored)
	}
	ctx := context.Background()
	e1, err := s.EnterpriseByUSCC(ctx, uscc(1))
	if err != nil {
		t.Fatal(err)
	}
	if e1.Name != "灵源一号鞋业有限公司" || e1.PrincipalPhone != "13905951234" || e1.LegalRep != "王建国" ||
		e1.Community != "林口社区" || e1.Employees != 120 || len(e1.KeyRisks) != 2 {
		t.Errorf("enterprise 1 %+v", e1.Enterprise)
	}
	e3, err := s.EnterpriseByUSCC(ctx, uscc(3))
	if err != nil {
		t.Fatal(err)
	}
	if e3.Community != "林口社区" || e3.PrincipalPhone != "059588881235" {
		t.Errorf("enterprise 3: community %q (merged down) phone %q (area code added)", e3.Community, e3.PrincipalPhone)
	}
	e2, _ := s.EnterpriseByUSCC(ctx, uscc(2))
	if e2.Employees != 35 || e2.Status != "2" || e2.Remark != "季节性停产" || e2.Industry != "JX" {
		t.Errorf("enterprise 2 %+v", e2.Enterprise)
	}
	want := map[string]struct {
		item       string
		start, end mapping.Date
	}{
		idNumber(1):                   {"0102", mapping.Date{Year: 2024, Month: 5, Day: 21}, mapping.Date{}},
		strings.ToUpper(idNumber(11)): {"0201", mapping.Date{Year: 2023, Month: 1, Day: 5}, mapping.Date{Year: 2026, Month: 12, Day: 31}},
		idNumber(12):                  {"0201", mapping.Date{Year: 2023, Month: 3, Day: 15}, mapping.Date{}}, // serial 45000
	}
	for o, err := range s.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[o.IDNumber]
		if !ok || o.ItemCode != w.item || o.StartDate != w.start || o.EndDate != w.end {
			t.Errorf("operator %s: item %s start %v end %v, want %+v", o.Name, o.ItemCode, o.StartDate, o.EndDate, w)
		}
	}
}

func TestImportDuplicateKeysRejectTheLaterRow(t *testing.T) {
	s := newStore(t)
	again := enterpriseRow(1)
	again[1] = "另一个名字有限公司"
	badFirst := enterpriseRow(2)
	badFirst[4] = "123"
	opAgain := operatorRow(1, 1)
	opAgain[0] = "张三"
	path := writeXLSX(t, filepath.Join(t.TempDir(), "dup.xlsx"),
		sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), badFirst, again, enterpriseRow(2))},
		sheet{name: "特种作业人员", rows: rows(operatorHeaders, operatorRow(1, 1), operatorRow(1, 2), opAgain)},
	)
	rep := mustImport(t, s, path, opts())
	var reasons []string
	for _, r := range rep.Rejected {
		reasons = append(reasons, fmt.Sprintf("%s!%d %s=%s %s", r.Sheet, r.Row, r.Column, r.Value, r.Reason))
	}
	masked := idNumber(1)[:6] + "********" + idNumber(1)[14:]
	wantReasons := []string{
		"企业台账!3 主要负责人电话=123 ",
		"企业台账!4 统一社会信用代码=" + uscc(1) + " 与第2行重复",
		"特种作业人员!4 身份证号=" + masked + " 与第2行重复",
	}
	if len(reasons) != 3 || !strings.HasPrefix(reasons[0], wantReasons[0]) || reasons[1] != wantReasons[1] || reasons[2] != wantReasons[2] {
		t.Errorf("rejections\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(wantReasons, "\n"))
	}
	// A row rejected for another reason does not claim its key: row 5 loads.
	if rep.Enterprises.Inserted != 2 || rep.Operators.Inserted != 2 {
		t.Errorf("counts %+v %+v, want 2 and 2 inserted", rep.Enterprises, rep.Operators)
	}
	e, err := s.EnterpriseByUSCC(context.Background(), uscc(1))
	if err != nil || e.Name != enterpriseRow(1)[1] {
		t.Errorf("the first occurrence must load: %q, %v", e.Name, err)
	}
}

func TestImportOfAPendingReviewEnterpriseConfirmsIt(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	pulled, ps := mapping.EnterpriseFromRow(headerMap(enterpriseHeaders, enterpriseRow(1)), nil)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	pulled.PlatformID = "QY1"
	if _, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{pulled}, time.Now()); err != nil {
		t.Fatal(err)
	}
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1))})
	rep := mustImport(t, s, path, opts())
	if rep.Enterprises != (ledger.Counts{Updated: 1}) {
		t.Errorf("counts %+v, want 1 updated (the 待核实 flag cleared)", rep.Enterprises)
	}
	e, err := s.EnterpriseByUSCC(ctx, uscc(1))
	if err != nil || e.PendingReview || e.PlatformID != "QY1" {
		t.Errorf("after import: pending %v platform id %q err %v", e.PendingReview, e.PlatformID, err)
	}
}

func headerMap(headers []any, row []any) map[string]string {
	m := map[string]string{}
	for i, h := range headers {
		m[h.(string)] = fmt.Sprint(row[i])
	}
	return m
}

func TestImportDryRunWritesNothing(t *testing.T) {
	s := newStore(t)
	bad := enterpriseRow(3)
	bad[0] = "123"
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"),
		sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), enterpriseRow(2), bad)},
		sheet{name: "特种作业人员", rows: rows(operatorHeaders, operatorRow(1, 1))})
	o := opts()
	o.DryRun = true
	rep := mustImport(t, s, path, o)
	if rep.Enterprises.Inserted != 2 || rep.Operators.Inserted != 1 || len(rep.Rejected) != 1 || !rep.DryRun {
		t.Errorf("dry run report %+v", rep)
	}
	if countEnterprises(t, s) != 0 || countOperators(t, s) != 0 {
		t.Errorf("dry run wrote records")
	}
	for _, err := range s.QuarantineEntries(context.Background(), ledger.QuarantineFilter{IncludeResolved: true}) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("dry run wrote to the quarantine")
	}
}

func TestRejectedRowFixedLaterResolvesItsQuarantineEntry(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	bad := enterpriseRow(1)
	bad[4] = "123"
	dir := t.TempDir()
	mustImport(t, s, writeXLSX(t, filepath.Join(dir, "1.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, bad)}), opts())
	mustImport(t, s, writeXLSX(t, filepath.Join(dir, "2.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1))}), opts())
	var open, all int
	for e, err := range s.QuarantineEntries(ctx, ledger.QuarantineFilter{IncludeResolved: true}) {
		if err != nil {
			t.Fatal(err)
		}
		all++
		if e.ResolvedAt.IsZero() {
			open++
		}
	}
	if all != 1 || open != 0 {
		t.Errorf("quarantine: %d entries, %d open; want 1 resolved", all, open)
	}
}

// Problems with the file as a whole are one clear error, and nothing is written.
func TestImportWholeFileProblemsChangeNothing(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noKey := [][]any{{"企业名称", "法定代表人"}, {"某公司", "某人"}}
	missingRequired := rows([]any{"统一社会信用代码", "企业名称", "所属社区"}, []any{uscc(1), "某公司", "林口社区"})
	tests := []struct {
		name string
		path string
		want string
	}{
		{"not a workbook", write("a.xlsx", []byte("this is not a zip file at all")), "无法读取工作簿"},
		{"old xls", write("b.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}), ".xls"},
		{"unknown file type", write("c.pdf", []byte("%PDF-1.4")), "不是有效的 Excel 工作簿"},
		{"zip that is no workbook", write("d.xlsx", zipOf(t, "hello.txt", "hi")), "无法读取工作簿"},
		{"no known sheet", writeXLSX(t, filepath.Join(dir, "e.xlsx"), sheet{name: "Sheet1", rows: [][]any{{"名单"}, {"张三"}}}), "没有可识别的工作表"},
		{"ledger sheet without its key column", writeXLSX(t, filepath.Join(dir, "f.xlsx"),
			sheet{name: "企业台账", rows: noKey}, sheet{name: "特种作业人员", rows: rows(operatorHeaders, operatorRow(1, 1))}), "找不到含“统一社会信用代码”列的表头行"},
		{"required column missing", writeXLSX(t, filepath.Join(dir, "g.xlsx"), sheet{name: "企业台账", rows: missingRequired}), "缺少必填列：法定代表人、主要负责人、主要负责人电话、经营地址、行业类别、企业状态"},
		{"csv without a known header", write("h.csv", []byte("甲,乙\n1,2\n")), "无法识别表头"},
		{"empty csv", write("i.csv", nil), "无法识别表头"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := workbook.Import(context.Background(), s, tc.path, opts())
			var fe *workbook.FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a FileError containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), filepath.Base(tc.path)) {
				t.Errorf("error %q should name the file", err)
			}
			if countEnterprises(t, s) != 0 || countOperators(t, s) != 0 {
				t.Errorf("a whole-file problem wrote records")
			}
		})
	}
}

func TestImportFiveThousandRowSheetAndAgainUnchanged(t *testing.T) {
	s := newStore(t)
	body := make([][]any, 5000)
	for i := range body {
		body[i] = enterpriseRow(i + 1)
	}
	path := writeXLSX(t, filepath.Join(t.TempDir(), "big.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, body...)})
	rep := mustImport(t, s, path, opts())
	if rep.Enterprises != (ledger.Counts{Inserted: 5000}) || len(rep.Rejected) != 0 {
		t.Fatalf("first import %+v, %d rejected", rep.Enterprises, len(rep.Rejected))
	}
	rep = mustImport(t, s, path, opts())
	if rep.Enterprises != (ledger.Counts{Unchanged: 5000}) {
		t.Errorf("second import %+v, want 5000 unchanged", rep.Enterprises)
	}
}

// Excel turns an ID number typed without a leading ' into 3.50582198001011E+17: the reason
// says so, instead of a misleading check-digit complaint.
func TestIDNumberStoredAsANumberByExcelIsExplained(t *testing.T) {
	s := newStore(t)
	r := operatorRow(1, 1)
	r[1] = "3.50582198001011E+17"
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"), sheet{name: "特种作业人员", rows: rows(operatorHeaders, r)})
	rep := mustImport(t, s, path, opts())
	if len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, "存成了数字") || strings.Contains(rep.Rejected[0].Value, "0101") {
		t.Errorf("rejections %+v, want one explaining Excel's number conversion, value masked", rep.Rejected)
	}
}
