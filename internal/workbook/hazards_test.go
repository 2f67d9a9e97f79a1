package workbook_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

// The sheets 隐患台账 and 演练记录 (contracts/hazards.md): each optional, read with the common header
// variants, every bad row rejected with its sheet, row, column and a Chinese reason, the rest
// loaded; a hazard sheet is never mistaken for a broken enterprise sheet.

var hazardHeaders = []any{"隐患编号", "统一社会信用代码", "隐患描述", "隐患等级", "判定依据", "隐患部位", "发现日期", "发现人", "来源",
	"整改期限", "整改责任人", "整改措施", "整改状态", "备注"}

func hazardSheetRow(id string, n int, level, clause, found, deadline, source, status string) []any {
	return []any{id, uscc(n), "配电箱未接地", level, clause, "一号车间", found, "林芳", source, deadline, "陈志强", "立即整改", status, ""}
}

func TestImportHazardSheets(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	// Only the two hazard sheets, the second with header variants: enterprises come from the ledger.
	seedEnterprises(t, s, 3)
	path := writeXLSX(t, filepath.Join(dir, "隐患.xlsx"),
		sheet{name: "隐患台账", rows: [][]any{hazardHeaders,
			hazardSheetRow("LY-2026-0001", 1, "重大", "第三条第（二）项", "2026-02-10", "2026-02-17", "", "整改中"), // 2: ok, clause as text
			hazardSheetRow("", 2, "一般", "", "2026年2月11日", "2026/2/20", "专家会诊", "待整改"),                  // 3: ok, id generated
			hazardSheetRow("LY-2026-0003", 9, "一般", "", "2026-02-10", "2026-02-17", "", ""),            // 4: unknown enterprise
			hazardSheetRow("LY-2026-0004", 1, "重大", "", "2026-02-10", "2026-02-17", "", ""),            // 5: major without clause
			hazardSheetRow("LY-2026-0005", 1, "一般", "", "2026-02-10", "2026-02-01", "", ""),            // 6: deadline before finding
			hazardSheetRow("LY-2026-0006", 1, "一般", "", "2026-02-10", "2026-02-17", "企业自查", ""),        // 7: 企业自查
			hazardSheetRow("LY-2026-0007", 1, "重大", "3-2", "2026-02-10", "2026-02-17", "街道检查", "已整改"),  // 8: ok, clause as code
		}},
		sheet{name: "演练", rows: [][]any{{"信用代码", "演练时间", "演练形式", "参演人数", "说明"},
			{uscc(1), "2025-06-01", "疏散逃生演练", "80人", ""},
			{uscc(2), "2025-06-01", "跳舞", "", ""},
			{uscc(9), "2025-06-01", "综合", "", ""},
		}})
	rep, err := workbook.Import(ctx, s, path, opts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hazards == nil || rep.Hazards.Inserted != 3 || rep.Drills == nil || rep.Drills.Inserted != 1 {
		t.Fatalf("loaded: hazards %+v, drills %+v; rejected %+v", rep.Hazards, rep.Drills, rep.Rejected)
	}
	want := map[int]string{4: "台账中没有这家企业", 5: "判定依据", 6: "整改期限早于发现日期", 7: "企业自查"}
	got := map[int]string{}
	for _, r := range rep.Rejected {
		if r.Sheet == "隐患台账" {
			got[r.Row] += r.Column + "：" + r.Reason + "；"
		}
	}
	for row, w := range want {
		if !strings.Contains(got[row], w) {
			t.Errorf("隐患台账 row %d: %q, want a rejection saying %q", row, got[row], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rejected rows %v, want %v", got, want)
	}
	drillRejects := 0
	for _, r := range rep.Rejected {
		if r.Sheet == "演练" {
			drillRejects++
		}
	}
	if drillRejects != 2 {
		t.Errorf("演练: %d rejections, want 2 (type, unknown enterprise): %+v", drillRejects, rep.Rejected)
	}
	rec, err := s.HazardByKey(ctx, "LY-2026-0001")
	if err != nil || rec.Clause != "3-2" || rec.Status != mapping.HazardRectifying || rec.Source != mapping.SourceStreet {
		t.Fatalf("LY-2026-0001: %+v, %v", rec.Hazard, err)
	}
	if hist, _ := s.HazardHistory(ctx, "LY-2026-0001"); len(hist) != 1 || hist[0].State != ledger.PushPending || hist[0].Handler == "" {
		t.Errorf("the workbook's 整改中 is a pending street change with a handler: %+v", hist)
	}
	var generated string
	for h, err := range s.Hazards(ctx, ledger.HazardFilter{USCC: uscc(2)}) {
		if err != nil {
			t.Fatal(err)
		}
		generated = h.StreetID
	}
	if !mapping.ValidStreetID(generated) || !strings.HasPrefix(generated, "JD20260211-") {
		t.Errorf("generated 隐患编号 %q", generated)
	}
	quarantined := 0
	for e, err := range s.QuarantineEntries(ctx, ledger.QuarantineFilter{Kind: ledger.KindHazard}) {
		if err != nil {
			t.Fatal(err)
		}
		quarantined++
		_ = e
	}
	if quarantined != 4 {
		t.Errorf("%d hazard rows quarantined, want 4", quarantined)
	}

	// Again, with LY-2026-0007 put back to 整改中: the row is refused, nothing of it written; the
	// same file otherwise changes nothing and creates no second hazard for the generated id.
	back := writeXLSX(t, filepath.Join(dir, "back.xlsx"), sheet{name: "隐患台账", rows: [][]any{hazardHeaders,
		hazardSheetRow("LY-2026-0007", 1, "重大", "3-2", "2026-02-10", "2026-03-01", "", "整改中"),
		hazardSheetRow("", 2, "一般", "", "2026-02-11", "2026-02-20", "专家会诊", "待整改"),
	}})
	rep, err = workbook.Import(ctx, s, back, opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rejected) != 1 || rep.Rejected[0].Row != 2 || !strings.Contains(rep.Rejected[0].Reason, "不能") ||
		rep.Rejected[0].Column != "整改状态" || rep.Hazards.Unchanged != 1 {
		t.Fatalf("backward row: %+v, hazards %+v", rep.Rejected, rep.Hazards)
	}
	if rec, _ := s.HazardByKey(ctx, "LY-2026-0007"); rec.Deadline.String() != "2026-02-17" || rec.Status != mapping.HazardRectified {
		t.Errorf("a refused row was written: %+v", rec.Hazard)
	}
	if n, _ := s.CountHazards(ctx, ledger.HazardFilter{}); n != 3 {
		t.Errorf("%d hazards after the second import, want 3", n)
	}

	// Export writes both sheets, 隐患编号 included; the file imports again unchanged.
	out := filepath.Join(dir, "export.xlsx")
	if err := workbook.Export(ctx, s, out, opts()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("隐患台账")
	drills, _ := f.GetRows("演练记录")
	f.Close()
	if len(rows) != 4 || !slices.Contains(rows[0], "平台隐患ID") || len(drills) != 2 {
		t.Fatalf("export: %d hazard rows %v, %d drill rows", len(rows), rows[0], len(drills))
	}
	ids := map[string]bool{}
	for _, r := range rows[1:] {
		ids[r[0]] = true
	}
	if !ids[generated] || !ids["LY-2026-0001"] {
		t.Errorf("exported 隐患编号 %v, want %s among them", ids, generated)
	}
	rep, err = workbook.Import(ctx, s, out, opts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hazards.Unchanged != 3 || rep.Drills.Unchanged != 1 || len(rep.Rejected) != 0 {
		t.Errorf("re-import of the export: hazards %+v drills %+v rejected %+v", rep.Hazards, rep.Drills, rep.Rejected)
	}
}
