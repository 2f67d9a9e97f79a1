package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/workbook"
)

// importDoc is `import --format json` with the keys a large or warned import adds.
type importDoc struct {
	importReport
	RejectedOmitted int                       `json:"rejectedOmitted"`
	RejectedCounts  []workbook.RejectionCount `json:"rejectedCounts"`
	RejectedFile    string                    `json:"rejectedFile"`
	Warnings        []workbook.Warning        `json:"warnings"`
	WarningsOmitted int                       `json:"warningsOmitted"`
}

// More than a thousand bad rows: the report lists the first thousand, says how many it left
// out, counts them all by column and reason, and --rejected writes every one; without it, the
// text says how to get them.
func TestImportOfManyBadRowsIsBoundedAndWrittenInFull(t *testing.T) {
	e := newEnv(t, 5, "")
	uscc := e.mocks.Dataset.Ledger[0].USCC
	var b strings.Builder
	b.WriteString("统一社会信用代码,企业名称,法定代表人,主要负责人,主要负责人电话,经营地址,所属社区,行业类别,企业状态\n")
	const bad = 1500
	for i := 0; i < bad; i++ {
		fmt.Fprintf(&b, "%s,灵源%d鞋业,王,王,12345,林口路%d号,林口社区,轻工,在营\n", uscc, i, i)
	}
	csv := filepath.Join(e.dir, "企业.csv")
	writeFile(t, csv, b.String())
	out := filepath.Join(e.dir, "被拒绝的行.xlsx")
	var doc importDoc
	e.jsonCLI(t, exitOK, &doc, "import", csv, "--dry-run", "--rejected", out)
	if len(doc.Rejected) != workbook.MaxListed || doc.RejectedOmitted != bad-workbook.MaxListed || doc.RejectedFile != out {
		t.Errorf("listed %d, omitted %d, file %q; want %d, %d, %s", len(doc.Rejected), doc.RejectedOmitted, doc.RejectedFile,
			workbook.MaxListed, bad-workbook.MaxListed, out)
	}
	if len(doc.RejectedCounts) != 1 || doc.RejectedCounts[0].Rows != bad || doc.RejectedCounts[0].Column != "主要负责人电话" {
		t.Errorf("counts %+v, want %d bad phones", doc.RejectedCounts, bad)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("rejection list: %v %v", err, st)
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("被拒绝的行")
	x.Close()
	if len(rows) != bad+1 {
		t.Errorf("the rejection list holds %d rows, want a header and %d", len(rows), bad)
	}
	code, text, _ := e.cli(t, "import", csv, "--dry-run")
	if code != exitOK || !strings.Contains(text, fmt.Sprintf("另有 %d 行被拒绝，未逐行列出。", bad-workbook.MaxListed)) ||
		!strings.Contains(text, "--rejected 被拒绝的行.xlsx") || strings.Count(text, "\n") > workbook.MaxListed+20 {
		t.Errorf("text import: exit %d, %d lines:\n%s", code, strings.Count(text, "\n"), text[max(0, len(text)-600):])
	}
	for _, tc := range []struct{ rule, path, want string }{
		{"not .xlsx", filepath.Join(e.dir, "x.csv"), "只能写成 .xlsx"},
		{"no such directory", filepath.Join(e.dir, "nope", "x.xlsx"), "不存在"},
	} {
		code, _, errOut := e.cli(t, "import", csv, "--rejected", tc.path)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q; want 2 saying %s", tc.rule, code, errOut, tc.want)
		}
	}
}

// Warnings are printed and listed; a roster row whose enterprise is nowhere is rejected.
func TestImportPrintsWarningsAndRejectsRosterOfUnknownEnterprise(t *testing.T) {
	e := newEnv(t, 5, "")
	ent := e.mocks.Dataset.Ledger[0]
	csv := filepath.Join(e.dir, "企业.csv")
	writeFile(t, csv, "统一社会信用代码,企业名称,法定代表人,主要负责人,主要负责人电话,经营地址,所属社区,行业类别,企业状态\n"+
		ent.USCC+",灵源鞋业,王,王,13905951234,林口路1号,英墩社区,轻工,在营\n")
	var doc importDoc
	e.jsonCLI(t, exitOK, &doc, "import", csv)
	if len(doc.Warnings) != 1 || doc.Warnings[0].Column != "所属社区" || doc.Warnings[0].Row != 2 ||
		!strings.Contains(doc.Warnings[0].Message, "林口社区、张前社区") {
		t.Errorf("warnings %+v, want the unknown community with the known ones", doc.Warnings)
	}
	code, text, _ := e.cli(t, "import", csv)
	if code != exitOK || !strings.Contains(text, "提示：企业台账 第2行 “所属社区”列 值“英墩社区”") {
		t.Errorf("text import: exit %d:\n%s", code, text)
	}
	roster := filepath.Join(e.dir, "人员.csv")
	writeFile(t, roster, "姓名,身份证号,所在企业统一社会信用代码,操作项目,上岗日期\n"+
		"张三,350582199001011231,"+ent.USCC+",低压电工作业,2024-03-01\n"+
		"张三,350582199001011231,"+e.mocks.Dataset.Ledger[1].USCC+",低压电工作业,2024-03-01\n") // not imported
	var rep importDoc
	e.jsonCLI(t, exitOK, &rep, "import", roster)
	if rep.Operators.Inserted != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Row != 3 ||
		!strings.HasPrefix(rep.Rejected[0].Reason, "台账中没有这家企业") {
		t.Errorf("roster import %+v, want row 3 rejected for its unknown enterprise", rep)
	}
}
