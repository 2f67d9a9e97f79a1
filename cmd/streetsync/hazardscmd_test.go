package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/mapping/mask"
	"streetsync/mocks/dataset"
)

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestHazardsCommands(t *testing.T) {
	e := newEnv(t, 20, "")
	for _, job := range []string{"enterprises", "hazards", "inspections"} {
		if code, _, errOut := e.cli(t, "sync", job); code != exitOK {
			t.Fatalf("sync %s: exit %d: %s", job, code, tail(errOut, 500))
		}
	}

	// hazards list --format json is the contract's document, key for key.
	var doc map[string]json.RawMessage
	e.jsonCLI(t, exitOK, &doc, "hazards", "list")
	if got, want := keysOf(doc), []string{"hazards", "major", "open", "overdue"}; !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	var hs []map[string]json.RawMessage
	if err := json.Unmarshal(doc["hazards"], &hs); err != nil || len(hs) == 0 {
		t.Fatalf("hazards: %v, %d", err, len(hs))
	}
	wantKeys := []string{"clause", "community", "deadline", "description", "enterprise", "foundOn", "id", "level", "overdue",
		"source", "status", "yhid"}
	for _, h := range hs {
		if got := keysOf(h); !slices.Equal(got, wantKeys) {
			t.Fatalf("hazard keys %v, want %v", got, wantKeys)
		}
		var ent map[string]json.RawMessage
		if json.Unmarshal(h["enterprise"], &ent) != nil || !slices.Equal(keysOf(ent), []string{"name", "uscc"}) {
			t.Fatalf("enterprise %s", h["enterprise"])
		}
	}
	var all, overdue, major hazardListJSON
	e.jsonCLI(t, exitOK, &all, "hazards", "list")
	e.jsonCLI(t, exitOK, &overdue, "hazards", "list", "--status", "overdue")
	e.jsonCLI(t, exitOK, &major, "hazards", "list", "--level", "重大", "--status", "open")
	if overdue.Overdue != len(overdue.Hazards) || all.Overdue != overdue.Overdue || major.Major != len(major.Hazards) || all.Major != major.Major {
		t.Fatalf("all %d/%d/%d, overdue list %d (%d), major list %d (%d)", all.Open, all.Major, all.Overdue,
			len(overdue.Hazards), overdue.Overdue, len(major.Hazards), major.Major)
	}
	for _, h := range overdue.Hazards {
		if !h.Overdue || (h.Status != "待整改" && h.Status != "整改中") {
			t.Errorf("overdue list holds %+v", h)
		}
	}
	for _, tc := range [][]string{{"hazards", "list", "--level", "较大"}, {"hazards", "list", "--status", "late"},
		{"hazards", "list", "--enterprise", "123"}} {
		if code, _, _ := e.cli(t, tc...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", tc, code)
		}
	}

	// report: recorded and pushed; a major hazard needs its clause; an unknown enterprise is refused.
	uscc := all.Hazards[0].Enterprise.USCC
	var res hazardOutcomeJSON
	// The description names a person by ID number: the ledger keeps it whole, every list and report masks it.
	idNo := e.mocks.Dataset.Roster[0].IDNumber
	e.jsonCLI(t, exitOK, &res, "hazards", "report", uscc, "--desc", "配电箱未接地，电工 "+idNo+" 无证操作", "--level", "重大", "--clause", "第三条第（二）项",
		"--deadline", "2099-01-01", "--found-by", "林芳", "--location", "一号车间")
	if !res.Pushed || res.Hazard.Yhid == "" || res.Hazard.Clause != "3-2" || res.Hazard.Source != "街道检查" {
		t.Fatalf("report: %+v", res)
	}
	id := res.Hazard.ID
	unknown := ""
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if u := "91350582MA2Y4G3J6" + string(c); mapping.CheckUSCC(u).OK() {
			unknown = u
		}
	}
	for _, tc := range []struct {
		rule, want string
		args       []string
	}{
		{"major without clause", "判定依据", []string{"hazards", "report", uscc, "--desc", "x", "--level", "重大", "--deadline", "2099-01-01"}},
		{"deadline before finding", "整改期限早于发现日期", []string{"hazards", "report", uscc, "--desc", "x", "--level", "一般", "--deadline", "2020-01-01"}},
		{"deadline required", "--deadline", []string{"hazards", "report", uscc, "--desc", "x", "--level", "一般"}},
		{"unknown enterprise", "台账中没有该企业", []string{"hazards", "report", unknown, "--desc", "x", "--level", "一般", "--deadline", "2099-01-01"}},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, want 2 saying %q; stderr: %s", tc.rule, code, tc.want, tail(errOut, 300))
		}
	}

	// status: forward pushed; backward refused; 已销号 needs who verified it; unknown id.
	e.jsonCLI(t, exitOK, &res, "hazards", "status", id, "--status", "整改中", "--note", "已断电整改", "--handler", "陈志强")
	if !res.Pushed || res.Hazard.Status != "整改中" {
		t.Fatalf("status forward: %+v", res)
	}
	if p, _ := e.mocks.Quanzhou.Hazard(res.Hazard.Yhid); p.Zgzt != "1" {
		t.Errorf("platform status %q, want 1", p.Zgzt)
	}
	for _, tc := range [][]string{
		{"hazards", "status", id, "--status", "待整改", "--note", "x", "--handler", "y"},
		{"hazards", "status", id, "--status", "已销号", "--handler", "y"},
		{"hazards", "status", "NO-SUCH", "--status", "整改中", "--note", "x", "--handler", "y"},
	} {
		if code, _, _ := e.cli(t, tc...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", tc, code)
		}
	}
	e.jsonCLI(t, exitOK, &res, "hazards", "status", res.Hazard.Yhid, "--status", "已销号", "--note", "安办林芳现场验收合格", "--handler", "林芳")
	if code, _, errOut := e.cli(t, "hazards", "status", id, "--status", "整改中", "--note", "x", "--handler", "y"); code != exitUsage ||
		!strings.Contains(errOut, "已销号") {
		t.Errorf("backward after 已销号: exit %d: %s", code, tail(errOut, 300))
	}

	// The four lists, sheet by sheet.
	path := filepath.Join(e.dir, "四个清单.xlsx")
	var figs listsJSON
	e.jsonCLI(t, exitOK, &figs, "hazards", "lists", "-o", path)
	if len(figs.Total.Monthly) != 12 || figs.File != path {
		t.Fatalf("figures: %+v", figs)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("four lists file: %v %v, want mode 0600", st, err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{workbook.ListEnterprises, workbook.ListHazards,
		workbook.ListRectifications, workbook.ListResponsibility}) {
		t.Fatalf("sheets %v", got)
	}
	var open hazardListJSON
	e.jsonCLI(t, exitOK, &all, "hazards", "list")
	e.jsonCLI(t, exitOK, &open, "hazards", "list", "--status", "open")
	for _, s := range []struct {
		name    string
		headers []string
		rows    int
	}{
		{workbook.ListHazards, workbook.ListHazardHeaders, len(all.Hazards)},
		{workbook.ListRectifications, workbook.ListRectificationHeaders, len(open.Hazards)},
		{workbook.ListResponsibility, workbook.ListResponsibilityHeaders, len(open.Hazards)},
		{workbook.ListEnterprises, workbook.ListEnterpriseHeaders, -1},
	} {
		rows, err := f.GetRows(s.name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], s.headers) {
			t.Errorf("%s headers %v", s.name, rows[0])
		}
		if s.rows >= 0 && len(rows)-1 != s.rows {
			t.Errorf("%s: %d rows, want %d", s.name, len(rows)-1, s.rows)
		}
		if s.name == workbook.ListEnterprises && len(rows) < 2 {
			t.Errorf("%s: no enterprise in operation", s.name)
		}
	}
	masked := 0
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for _, r := range rows {
			for _, c := range r {
				if strings.Contains(c, idNo) {
					t.Errorf("%s holds a whole ID number: %q", sheet, c)
				}
				if strings.Contains(c, mask.ID(idNo)) {
					masked++
				}
			}
		}
	}
	if masked == 0 {
		t.Errorf("the reported hazard's description with its ID number masked is in no list")
	}
	if out := e.jsonCLI(t, exitOK, nil, "hazards", "list"); strings.Contains(out, idNo) || !strings.Contains(out, mask.ID(idNo)) {
		t.Errorf("hazards list: the ID number in a description is not masked")
	}
	// 整改清单: days left negative exactly for the overdue ones.
	rows, _ := f.GetRows(workbook.ListRectifications)
	overdueIDs := map[string]bool{}
	for _, h := range overdue.Hazards {
		overdueIDs[h.ID] = true
	}
	for _, r := range rows[1:] {
		left, err := strconv.Atoi(r[6])
		if err != nil || (left < 0) != overdueIDs[r[0]] && (r[8] == "待整改" || r[8] == "整改中") {
			t.Errorf("整改清单 row %v: days left %q, overdue %v", r, r[6], overdueIDs[r[0]])
		}
	}
	// 责任清单 names the enterprise's principal of an enterprise the ledger holds.
	rows, _ = f.GetRows(workbook.ListResponsibility)
	named := 0
	for _, r := range rows[1:] {
		if len(r) > 5 && r[5] != "" {
			named++
		}
	}
	if named == 0 {
		t.Errorf("责任清单 names no principal")
	}
	if code, _, _ := e.cli(t, "hazards", "lists"); code != exitUsage {
		t.Errorf("lists without -o: exit %d, want 2", code)
	}
	if code, _, _ := e.cli(t, "hazards", "lists", "-o", filepath.Join(e.dir, "x.csv")); code != exitUsage {
		t.Errorf("lists to .csv: exit %d, want 2", code)
	}
}

// hazardWorkbookOf writes the env's generated workbook with the sheets 隐患台账 and 演练记录.
func hazardWorkbookOf(t *testing.T, e *env) string {
	t.Helper()
	path := filepath.Join(e.dir, "台账（含隐患）.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mocks.Dataset.WriteWorkbook(f, dataset.WithHazardSheets()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReconcileHazards(t *testing.T) {
	e := newEnv(t, 60, "")
	if code, _, errOut := e.cli(t, "import", hazardWorkbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, tail(errOut, 500))
	}
	gaps := e.mocks.Dataset.HazardGaps
	var out reconcileOutput
	e.jsonCLI(t, exitOK, &out, "reconcile", "hazards")
	hr := out.Report.Hazards
	if hr == nil || out.Report.Enterprises != nil || out.Report.Operators != nil {
		t.Fatalf("reconcile hazards: %+v", out.Report)
	}
	only := map[string]bool{}
	for _, h := range hr.OnlyInLedger {
		only[h.ID] = true
	}
	for _, i := range gaps.NotPushed {
		if id := e.mocks.Dataset.HazardLedger[i].StreetID; id != "" && !only[id] {
			t.Errorf("%s (not pushed) is not listed only in the ledger: %+v", id, hr.OnlyInLedger)
		}
	}
	selfReports := 0
	for _, p := range e.mocks.Quanzhou.Hazards() {
		if p.Yhly == "QYZC" {
			selfReports++
		}
	}
	if len(hr.OnlyOnPlatform) < selfReports {
		t.Errorf("%d only on the platform, want at least the %d self-reports", len(hr.OnlyOnPlatform), selfReports)
	}
	drift := map[string]string{}
	for _, d := range hr.Different {
		for _, f := range d.Fields {
			drift[d.ID+"/"+f.Field] = f.Owner
		}
	}
	for _, id := range gaps.Drift {
		if drift[id+"/location"] != "street" {
			t.Errorf("drift of %s: %v, want location owned by the street", id, drift)
		}
	}
	for _, id := range gaps.StatusAhead {
		if drift[id+"/status"] != "platform" {
			t.Errorf("status ahead on the platform for %s: %v, want status owned by the platform", id, drift)
		}
	}

	// --apply: enterprises first (a hazard's create needs its enterprise), then hazards.
	e.jsonCLI(t, exitOK, nil, "reconcile", "enterprises", "--apply")
	e.jsonCLI(t, exitOK, &out, "reconcile", "hazards", "--apply")
	hr = out.Report.Hazards
	if out.Applied == nil || out.Applied.HazardsPushed == 0 || out.Applied.HazardsPulled == 0 {
		t.Fatalf("applied: %+v", out.Applied)
	}
	if len(hr.OnlyInLedger) != 0 || len(hr.OnlyOnPlatform) != 0 {
		t.Errorf("after --apply: only in ledger %+v, only on platform %+v", hr.OnlyInLedger, hr.OnlyOnPlatform)
	}
	// What is left needs a person: the portal edits of street-owned fields, never overwritten.
	left := map[string]bool{}
	for _, d := range hr.Different {
		left[d.ID] = true
		for _, f := range d.Fields {
			if f.Owner != "street" {
				t.Errorf("after --apply %s still differs in %s (owner %s)", d.ID, f.Field, f.Owner)
			}
		}
	}
	failed := map[string]bool{}
	for _, f := range out.Applied.Failed {
		if f.Kind == "hazard" && strings.Contains(f.Reason, "不支持修改") {
			failed[f.Key] = true
		}
	}
	for _, id := range gaps.Drift {
		if !left[id] || !failed[id] {
			t.Errorf("drift %s: left %v, reported for a person %v", id, left[id], failed[id])
		}
		if p, _ := e.mocks.Quanzhou.HazardByLybh(id); p.Yhbw != "原料仓库东侧" {
			t.Errorf("the portal edit of %s was overwritten: %q", id, p.Yhbw)
		}
	}
	// The report files carry the hazard tables.
	path := filepath.Join(e.dir, "对账.xlsx")
	e.jsonCLI(t, exitOK, nil, "reconcile", "hazards", "-o", path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Contains(got, "隐患字段差异") || !slices.Contains(got, "隐患仅在台账") {
		t.Errorf("report sheets %v", got)
	}
	csvPath := filepath.Join(e.dir, "对账.csv")
	e.jsonCLI(t, exitOK, nil, "reconcile", "hazards", "-o", csvPath)
	if !strings.Contains(readFile(t, csvPath), "隐患字段差异") {
		t.Errorf("the CSV report lacks the hazard differences")
	}
}
