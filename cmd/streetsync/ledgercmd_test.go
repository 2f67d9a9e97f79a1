package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
)

// importReport is the contract's `import --format json`, decoded strictly.
type importReport struct {
	Enterprises ledger.Counts        `json:"enterprises"`
	Operators   ledger.Counts        `json:"operators"`
	Hazards     *ledger.Counts       `json:"hazards"`
	Drills      *ledger.Counts       `json:"drills"`
	Rejected    []workbook.Rejection `json:"rejected"`
}

func TestImportDryRunThenLoadThenUnchanged(t *testing.T) {
	e := newEnv(t, 20, "")
	wb := workbookOf(t, e)
	var rep importReport
	e.jsonCLI(t, exitOK, &rep, "import", wb, "--dry-run")
	if rep.Enterprises.Inserted != 20 || rep.Operators.Inserted == 0 || rep.Rejected == nil || len(rep.Rejected) != 0 {
		t.Fatalf("import --dry-run: got %+v, want 20 enterprises and the roster to insert, rejected []", rep)
	}
	e.jsonCLI(t, exitOK, &rep, "import", wb)
	if rep.Enterprises.Inserted != 20 {
		t.Fatalf("import: got %+v, want 20 inserted (the dry run wrote nothing)", rep)
	}
	roster := rep.Operators.Inserted
	e.jsonCLI(t, exitOK, &rep, "import", wb)
	if rep.Enterprises.Unchanged != 20 || rep.Operators.Unchanged != roster {
		t.Fatalf("import again: got %+v, want everything unchanged", rep)
	}
	code, out, _ := e.cli(t, "import", wb)
	if code != exitOK || !strings.Contains(out, "企业台账") {
		t.Errorf("text import: exit %d, %q", code, out)
	}
}

func TestImportRejectsRowsAndMasksIDNumbers(t *testing.T) {
	e := newEnv(t, 5, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	uscc := e.mocks.Dataset.Ledger[0].USCC
	csv := filepath.Join(e.dir, "人员.csv")
	writeFile(t, csv, "姓名,身份证号,所在企业统一社会信用代码,操作项目,上岗日期\n"+
		"张三,350582199001011231,"+uscc+",低压电工作业,2024-03-01\n"+
		"李四,350582199001011234,"+uscc+",低压电工作业,2024-03-01\n")
	var rep importReport
	out := e.jsonCLI(t, exitOK, &rep, "import", csv)
	if rep.Operators.Inserted != 1 || len(rep.Rejected) != 1 {
		t.Fatalf("got %+v, want one row loaded and one rejected", rep)
	}
	r := rep.Rejected[0]
	if r.Sheet != "特种作业人员" || r.Row != 3 || r.Column != "身份证号" || r.Value != "350582********1234" || r.Reason == "" {
		t.Errorf("rejection: got %+v, want row 3's 身份证号 masked with a reason", r)
	}
	if strings.Contains(out, "199001011231") || strings.Contains(out, "199001011234") {
		t.Errorf("output carries a whole ID number:\n%s", out)
	}
	e.jsonCLI(t, exitFound, nil, "import", csv, "--exit-code")
}

func TestImportExportErrors(t *testing.T) {
	e := newEnv(t, 5, "")
	notWorkbook := filepath.Join(e.dir, "notes.xlsx")
	writeFile(t, notWorkbook, "this is not a workbook")
	for _, tc := range []struct {
		rule string
		args []string
		want int
	}{
		{"import needs a file", []string{"import"}, exitUsage},
		{"missing file", []string{"import", filepath.Join(e.dir, "nope.xlsx")}, exitUsage},
		{"not a workbook", []string{"import", notWorkbook}, exitUsage},
		{"export writes .xlsx only", []string{"export", filepath.Join(e.dir, "out.txt")}, exitUsage},
		{"export needs a file", []string{"export"}, exitUsage},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != tc.want {
			t.Errorf("%s: exit %d, want %d; stderr: %s", tc.rule, code, tc.want, errOut)
		}
	}
	// The ledger cannot be opened: a runtime failure.
	writeFile(t, e.config, strings.Replace(readFile(t, e.config), "dsn: \""+filepath.Join(e.dir, "ledger.db"),
		"dsn: \""+filepath.Join(e.config, "ledger.db"), 1)) // a file is no directory
	if code, _, _ := e.cli(t, "export", filepath.Join(e.dir, "out.xlsx")); code != exitRuntime {
		t.Errorf("ledger unavailable: exit %d, want 3", code)
	}
}

func TestExportWritesTheWholeLedger(t *testing.T) {
	e := newEnv(t, 5, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	out := filepath.Join(e.dir, "导出.xlsx")
	var doc map[string]string
	e.jsonCLI(t, exitOK, &doc, "export", out)
	if doc["file"] != out {
		t.Errorf("export: got %v", doc)
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("no workbook written: %v", err)
	}
	// The export loads back unchanged: same layout.
	var rep importReport
	e.jsonCLI(t, exitOK, &rep, "import", out, "--dry-run")
	if rep.Enterprises.Unchanged != 5 || rep.Enterprises.Inserted+rep.Enterprises.Updated != 0 || len(rep.Rejected) != 0 {
		t.Errorf("re-import of the export: got %+v, want everything unchanged", rep)
	}
}

// A newcomer's dead end: the export of an empty ledger is a header-only workbook, and importing it
// changes nothing. Both say so and name a way to a workbook, instead of a bare 导出/导入完成.
func TestEmptyExportAndImportSaySo(t *testing.T) {
	e := newEnv(t, 5, "")
	empty := filepath.Join(e.dir, "空台账.xlsx")
	code, out, errOut := e.cli(t, "export", empty)
	if code != exitOK || !strings.Contains(out, "台账是空的") || !strings.Contains(out, "mock serve --workbook") {
		t.Fatalf("export of an empty ledger: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = e.cli(t, "import", empty)
	if code != exitOK || !strings.Contains(out, "没有数据行") || !strings.Contains(out, "mock serve --workbook") {
		t.Fatalf("import of a header-only workbook: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A workbook with rows says nothing of the kind, and neither does the export of its ledger.
	if code, out, errOut = e.cli(t, "import", workbookOf(t, e)); code != exitOK || strings.Contains(out, "没有数据行") {
		t.Fatalf("import of the street's workbook: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ = e.cli(t, "export", filepath.Join(e.dir, "导出.xlsx")); code != exitOK || strings.Contains(out, "台账是空的") {
		t.Errorf("export of a loaded ledger: exit %d, stdout %q", code, out)
	}
}

// The files the CLI writes for a person, and the ledger itself, are their owner's only: the
// ledger and the export hold whole ID numbers, the reports name people and enterprises.
func TestFilesTheCLIWritesAreOwnerOnly(t *testing.T) {
	e := newEnv(t, 5, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	export := filepath.Join(e.dir, "导出.xlsx")
	if code, _, errOut := e.cli(t, "export", export); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	csvReport, xlsxReport := filepath.Join(e.dir, "对账.csv"), filepath.Join(e.dir, "对账.xlsx")
	for _, out := range []string{csvReport, xlsxReport} {
		if code, _, errOut := e.cli(t, "reconcile", "-o", out); code != exitOK {
			t.Fatalf("reconcile -o %s: exit %d: %s", filepath.Base(out), code, errOut)
		}
	}
	for _, p := range []string{filepath.Join(e.dir, "ledger.db"), export, csvReport, xlsxReport} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}
