package workbook_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

// seedLedger fills a store the way the street's ledger really fills: an import, then a sync that
// sets platform fields and pulls one platform-only enterprise (待核实).
func seedLedger(t *testing.T, s ledger.Store) {
	t.Helper()
	ent := [][]any{enterpriseHeaders}
	for i := 1; i <= 30; i++ {
		r := enterpriseRow(i)
		if i%3 == 0 {
			r[9], r[12], r[13] = "", "是", "厂中厂，与第1家共用厂房"
		}
		ent = append(ent, r)
	}
	op := [][]any{operatorHeaders}
	for i := 1; i <= 40; i++ {
		r := operatorRow(i, 1+i%30)
		if i%4 == 0 {
			r[4], r[5], r[7] = "焊接与热切割作业", "熔化焊接与热切割作业", "2026-12-31"
		}
		op = append(op, r)
	}
	path := writeXLSX(t, filepath.Join(t.TempDir(), "seed.xlsx"), sheet{name: "企业台账", rows: ent}, sheet{name: "特种作业人员", rows: op})
	rep := mustImport(t, s, path, opts())
	if len(rep.Rejected) != 0 || rep.Enterprises.Inserted != 30 || rep.Operators.Inserted != 40 {
		t.Fatalf("seed import %+v", rep)
	}
	ctx := context.Background()
	e, err := s.EnterpriseByUSCC(ctx, uscc(1))
	if err != nil {
		t.Fatal(err)
	}
	p := e.Enterprise
	p.PlatformID, p.Grade, p.GradeValidUntil, p.RiskMonitored = "QY35058200000001", "3", mapping.Date{Year: 2027, Month: 6, Day: 30}, true
	if _, err := s.SetPlatformFields(ctx, []mapping.Enterprise{p}); err != nil {
		t.Fatal(err)
	}
	pulled, ps := mapping.EnterpriseFromRow(headerMap(enterpriseHeaders, enterpriseRow(31)), nil)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	pulled.PlatformID = "QY35058200000031"
	if _, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{pulled}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestExportThenImportReportsEverythingUnchanged(t *testing.T) {
	s := newStore(t)
	seedLedger(t, s)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "企业台账.xlsx")
	if err := workbook.Export(ctx, s, path, opts()); err != nil {
		t.Fatal(err)
	}
	rep := mustImport(t, s, path, opts())
	if len(rep.Rejected) != 0 {
		t.Fatalf("re-import rejected %+v", rep.Rejected)
	}
	// The one 待核实 enterprise stays 待核实: its row says so in 核实状态 (issue 17), and a round
	// trip confirms nothing. Everything is unchanged.
	if rep.Enterprises != (ledger.Counts{Unchanged: 31}) || rep.Operators != (ledger.Counts{Unchanged: 40}) {
		t.Errorf("round trip: enterprises %+v operators %+v, want 31 unchanged (the 待核实 one still pending), 40 unchanged", rep.Enterprises, rep.Operators)
	}
	if e, err := s.EnterpriseByUSCC(ctx, uscc(31)); err != nil || !e.PendingReview {
		t.Errorf("after the round trip the platform-only enterprise is pending %v (err %v), want still 待核实", e.PendingReview, err)
	}
	if err := workbook.Export(ctx, s, path, opts()); err != nil {
		t.Fatal(err)
	}
	rep = mustImport(t, s, path, opts())
	if rep.Enterprises != (ledger.Counts{Unchanged: 31}) || rep.Operators != (ledger.Counts{Unchanged: 40}) {
		t.Errorf("second round trip: %+v %+v, want everything unchanged", rep.Enterprises, rep.Operators)
	}
}

func TestExportWritesTheContractsLayout(t *testing.T) {
	s := newStore(t)
	seedLedger(t, s)
	path := filepath.Join(t.TempDir(), "out.xlsx")
	if err := workbook.Export(context.Background(), s, path, opts()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"企业台账", "特种作业人员", "隐患台账", "演练记录"}) {
		t.Fatalf("sheets %v", got)
	}
	ent, err := f.GetRows("企业台账")
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := mapping.SheetEnterprises.Headers()
	if wantHeaders[len(wantHeaders)-1] != "核实状态" {
		t.Errorf("headers %v: want 核实状态 last", wantHeaders)
	}
	if !slices.Equal(ent[0], wantHeaders) || len(ent) != 32 {
		t.Fatalf("enterprise header %v (%d rows), want %v and 31 rows", ent[0], len(ent), wantHeaders)
	}
	col := func(name string) int { return slices.Index(ent[0], name) }
	first := ent[1]
	if first[col("统一社会信用代码")] != uscc(1) || first[col("平台企业ID")] != "QY35058200000001" ||
		first[col("标准化等级")] != "三级" || first[col("标准化有效期")] != "2027-06-30" || first[col("是否纳入监测预警")] != "是" ||
		first[col("行业类别")] != "轻工" || first[col("重点类型")] != "粉尘涉爆、有限空间" || first[col("企业状态")] != "在营" {
		t.Errorf("first enterprise row %v", first)
	}
	last := ent[31]
	if last[col("统一社会信用代码")] != uscc(31) || last[len(last)-1] != "待核实" {
		t.Errorf("the platform-only enterprise %v should be flagged 待核实", last)
	}
	if first[col("核实状态")] != "已核实" {
		t.Errorf("a confirmed enterprise's 核实状态 is %q, want 已核实", first[col("核实状态")])
	}
	// Cells are text, except 从业人数: an ID number or credit code never becomes a number.
	axis, _ := excelize.CoordinatesToCellName(col("统一社会信用代码")+1, 2)
	if typ, _ := f.GetCellType("企业台账", axis); typ == excelize.CellTypeNumber {
		t.Errorf("credit code cell typed as a number")
	}
	axis, _ = excelize.CoordinatesToCellName(col("从业人数")+1, 2)
	if typ, _ := f.GetCellType("企业台账", axis); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("从业人数 typed %v, want a number", typ)
	}
	ops, err := f.GetRows("特种作业人员")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ops[0], mapping.SheetOperators.Headers()) || len(ops) != 41 {
		t.Fatalf("operator header %v (%d rows)", ops[0], len(ops))
	}
	found := false
	for _, r := range ops[1:] {
		if slices.Contains(r, idNumber(4)) { // the ledger's own copy keeps ID numbers whole
			found = true
			if !slices.Contains(r, "熔化焊接与热切割作业") || !slices.Contains(r, "2026-12-31") {
				t.Errorf("operator row %v", r)
			}
		}
	}
	if !found {
		t.Errorf("ID number %s not found whole in the export", idNumber(4))
	}
}

func TestExportRefusesOtherFormatsAndLeavesNoPartialFile(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	err := workbook.Export(context.Background(), s, filepath.Join(dir, "台账.csv"), opts())
	var fe *workbook.FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), ".xlsx") {
		t.Errorf("export to csv: %v, want a FileError asking for .xlsx", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := workbook.Export(ctx, s, filepath.Join(dir, "x.xlsx"), opts()); err == nil {
		t.Errorf("a cancelled export succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}
