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

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/internal/workbook/sheets"
)

// A roster row must name an enterprise the ledger holds or the same workbook loads; the reason
// says which fix is needed.
func TestRosterRowNeedsItsEnterprise(t *testing.T) {
	s := newStore(t)
	seedEnterprises(t, s, 1) // enterprise 1 is in the ledger already
	badInLedger := enterpriseRow(1)
	badInLedger[4] = "123" // rejected here, but the ledger has it
	badNew := enterpriseRow(3)
	badNew[4] = "123" // rejected here, and the ledger does not have it
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"),
		sheet{name: "企业台账", rows: rows(enterpriseHeaders, badInLedger, enterpriseRow(2), badNew)},
		sheet{name: "特种作业人员", rows: rows(operatorHeaders,
			operatorRow(1, 1), // enterprise in the ledger
			operatorRow(2, 2), // enterprise loaded by this workbook
			operatorRow(3, 3), // enterprise rejected by this workbook
			operatorRow(4, 4), // enterprise nowhere
		)})
	for _, dry := range []bool{true, false} {
		o := opts()
		o.DryRun = dry
		rep := mustImport(t, s, path, o)
		if rep.Operators.Inserted != 2 {
			t.Errorf("dry %v: %d roster rows inserted, want 2 (enterprises 1 and 2)", dry, rep.Operators.Inserted)
		}
		var got []string
		for _, r := range rep.Rejected {
			if r.Sheet == "特种作业人员" {
				got = append(got, fmt.Sprintf("%d %s %s %s", r.Row, r.Column, r.Value, r.Reason))
			}
		}
		want := []string{
			fmt.Sprintf("4 所在企业统一社会信用代码 %s 这家企业在本次导入的工作表「企业台账」第4行被拒绝，台账中也没有它：请先更正该企业所在的行，再导入其特种作业人员", uscc(3)),
			fmt.Sprintf("5 所在企业统一社会信用代码 %s 台账中没有这家企业，本次导入的企业台账中也没有：请先在“企业台账”中登记该企业，再导入其特种作业人员", uscc(4)),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("dry %v: roster rejections\n%s\nwant\n%s", dry, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if n := countOperators(t, s); n != 2 {
		t.Errorf("ledger holds %d roster entries, want 2", n)
	}
}

// A 所属社区 outside the street's communities loads with a warning naming the known ones; the
// warning is listed in the report (JSON "warnings") and kept with the record.
func TestUnknownCommunityIsAWarning(t *testing.T) {
	s := newStore(t)
	other := enterpriseRow(2)
	other[7] = "英墩社区"
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), other)})
	o := opts()
	o.Communities = []string{"林口社区", "张前社区"}
	rep := mustImport(t, s, path, o)
	if rep.Enterprises.Inserted != 2 || len(rep.Rejected) != 0 {
		t.Fatalf("counts %+v, rejected %+v: a warning must not stop the row", rep.Enterprises, rep.Rejected)
	}
	want := workbook.Warning{Sheet: "企业台账", Row: 3, Column: "所属社区", Value: "英墩社区",
		Message: "不在本街道的社区名单中（林口社区、张前社区）：请核对社区名称；如确是新设的社区，请在配置 region.communities 中补上"}
	if len(rep.WarningList) != 1 || rep.WarningList[0] != want || rep.Warnings != 1 {
		t.Fatalf("warnings %+v (%d), want %+v", rep.WarningList, rep.Warnings, want)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"warnings":[{"sheet":"企业台账","row":3,"column":"所属社区","value":"英墩社区","message":"不在本街道的社区名单中`) {
		t.Errorf("json does not list the warning: %s", b)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "另有 1 条提示已随记录保存（不影响导入）。\n  提示：企业台账 第3行 “所属社区”列 值“英墩社区”：不在本街道的社区名单中") {
		t.Errorf("text does not print the warning:\n%s", text.String())
	}
	e, err := s.EnterpriseByUSCC(context.Background(), uscc(2))
	if err != nil || len(e.Warnings) != 1 || e.Warnings[0].Field != "community" {
		t.Errorf("the warning is not kept with the record: %+v %v", e.Warnings, err)
	}
}

// A cell longer than the reader's bound rejects its row, showing the cell's beginning: it is
// never loaded cut. An ID number cut so is masked like any other.
func TestTooLongCellRejectsItsRow(t *testing.T) {
	s := newStore(t)
	seedEnterprises(t, s, 1)
	long := enterpriseRow(2)
	long[13] = strings.Repeat("备注很长", sheets.MaxCellRunes)
	longID := operatorRow(1, 1)
	longID[1] = idNumber(1) + strings.Repeat("1", sheets.MaxCellRunes)
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"),
		sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(3), long)},
		sheet{name: "特种作业人员", rows: rows(operatorHeaders, longID)})
	rep := mustImport(t, s, path, opts())
	if rep.Enterprises.Inserted != 1 || rep.Operators.Inserted != 0 || len(rep.Rejected) != 2 {
		t.Fatalf("counts %+v %+v, rejected %+v: want the two long rows rejected", rep.Enterprises, rep.Operators, rep.Rejected)
	}
	r := rep.Rejected[0]
	reason := fmt.Sprintf("内容过长（超过%d个字符），整行未导入：请检查该单元格，删去多余内容后重新导入", sheets.MaxCellRunes)
	if r.Row != 3 || r.Column != "备注" || r.Value != strings.Repeat("备注很长", 5)+"…" || r.Reason != reason {
		t.Errorf("rejection %+v", r)
	}
	if r := rep.Rejected[1]; r.Column != "身份证号" || strings.Contains(r.Value, idNumber(1)[6:14]) || r.Reason != reason {
		t.Errorf("rejection %+v: want the long ID number masked", r)
	}
	if _, err := s.EnterpriseByUSCC(context.Background(), uscc(2)); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("the long row was loaded: %v", err)
	}
}

// Beyond MaxListed rejected rows the report lists the first ones, says how many it left out and
// counts them all by column and reason; the rejection list file holds every one.
func TestManyRejectionsAreCountedAndWrittenInFull(t *testing.T) {
	s := newStore(t)
	const bad = workbook.MaxListed + 250
	var b strings.Builder
	b.WriteString(strings.Join(anyStrings(enterpriseHeaders), ",") + "\r\n")
	for i := 1; i <= bad; i++ {
		r := enterpriseRow(i)
		r[4] = "12345" // a bad phone
		if i%2 == 0 {
			r[8] = "化工" // and a bad industry
		}
		b.WriteString(strings.Join(anyStrings(r), ",") + "\r\n")
	}
	b.WriteString(strings.Join(anyStrings(enterpriseRow(bad+1)), ",") + "\r\n")
	dir := t.TempDir()
	path := filepath.Join(dir, "企业.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.RejectedPath = filepath.Join(dir, "被拒绝.xlsx")
	rep := mustImport(t, s, path, o)
	if rep.Enterprises.Inserted != 1 || rep.RejectedRows != bad || rep.RejectedOmitted != bad-workbook.MaxListed {
		t.Fatalf("inserted %d, rejected rows %d, omitted %d; want 1, %d, %d", rep.Enterprises.Inserted, rep.RejectedRows,
			rep.RejectedOmitted, bad, bad-workbook.MaxListed)
	}
	listedRows := map[int]bool{}
	for _, r := range rep.Rejected {
		listedRows[r.Row] = true
	}
	if len(listedRows) != workbook.MaxListed || !listedRows[2] || listedRows[workbook.MaxListed+2] {
		t.Errorf("%d rows listed, want the first %d", len(listedRows), workbook.MaxListed)
	}
	counts := map[string]int{}
	for _, c := range rep.RejectedCounts {
		counts[c.Column] += c.Rows
	}
	if counts["主要负责人电话"] != bad || counts["行业类别"] != bad/2 {
		t.Errorf("counts %+v, want %d bad phones and %d bad industries", rep.RejectedCounts, bad, bad/2)
	}
	doc, _ := json.Marshal(rep)
	if !strings.Contains(string(doc), fmt.Sprintf(`"rejectedOmitted":%d,"rejectedCounts":[{"sheet":"企业台账","column":"主要负责人电话"`, bad-workbook.MaxListed)) ||
		!strings.Contains(string(doc), `"rejectedFile":"`) {
		t.Errorf("json: %s", doc[len(doc)-600:])
	}
	st, err := os.Stat(o.RejectedPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("rejection list: %v, mode %v; want 0600", err, st)
	}
	x, err := excelize.OpenFile(o.RejectedPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	all, err := x.GetRows("被拒绝的行")
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + bad + bad/2; len(all) != want || all[0][0] != "工作表" || all[len(all)-1][1] != fmt.Sprint(bad+1) {
		t.Errorf("rejection list has %d rows (last %v), want a header and %d problems", len(all), all[len(all)-1], want-1)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), fmt.Sprintf("另有 %d 行被拒绝，未逐行列出。", bad-workbook.MaxListed)) ||
		!strings.Contains(text.String(), fmt.Sprintf("  企业台账 “主要负责人电话”列：号码格式不正确")) {
		t.Errorf("text:\n%s", text.String()[len(text.String())-800:])
	}
}

func anyStrings(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// failingStore fails the nth operator batch of a sheet, after writing the ones before it.
type failingStore struct {
	ledger.Store
	n int
}

func (f *failingStore) ImportSheet(ctx context.Context, dry bool, load func(ledger.SheetTx) error) error {
	return f.Store.ImportSheet(ctx, dry, func(tx ledger.SheetTx) error { return load(&failingTx{SheetTx: tx, left: f.n}) })
}

type failingTx struct {
	ledger.SheetTx
	left int
}

var errLedgerGone = errors.New("the ledger went away")

func (f *failingTx) UpsertOperators(ctx context.Context, b []ledger.OperatorInput) ([]ledger.Outcome, error) {
	if f.left--; f.left == 0 {
		return nil, errLedgerGone
	}
	return f.SheetTx.UpsertOperators(ctx, b)
}

// An import that fails part-way through a sheet leaves that sheet as it was: the enterprise
// sheet, committed before, stays; not one roster row of the failed sheet is in the ledger, nor
// its rejections in the quarantine.
func TestImportFailingMidSheetLeavesTheSheetAsItWas(t *testing.T) {
	s := newStore(t)
	ops := make([][]any, 3500)
	for i := range ops {
		ops[i] = operatorRow(i+1, 1+i%5)
	}
	ops[10][1] = "123" // a rejection, quarantined in the batch before the failure
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"),
		sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), enterpriseRow(2), enterpriseRow(3), enterpriseRow(4), enterpriseRow(5))},
		sheet{name: "特种作业人员", rows: rows(operatorHeaders, ops...)})
	_, err := workbook.Import(context.Background(), &failingStore{Store: s, n: 3}, path, opts())
	if !errors.Is(err, errLedgerGone) {
		t.Fatalf("import: %v, want the ledger's error", err)
	}
	if n := countEnterprises(t, s); n != 5 {
		t.Errorf("the committed enterprise sheet holds %d, want 5", n)
	}
	if n := countOperators(t, s); n != 0 {
		t.Errorf("the failed roster sheet left %d entries, want none", n)
	}
	for e, err := range s.QuarantineEntries(context.Background(), ledger.QuarantineFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("the failed sheet's rejection was kept: %+v", e)
	}
	rep := mustImport(t, s, path, opts())
	if rep.Operators.Inserted != 3499 || rep.Enterprises.Unchanged != 5 {
		t.Errorf("the import again: %+v %+v, want the whole roster", rep.Enterprises, rep.Operators)
	}
}

// Rows that load resolve the open rejections of their key, whether from an earlier import or an
// earlier row of the same file; a rejection after the key loaded stays open.
func TestLoadedRowsResolveEarlierRejections(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	bad := func(n int) []any {
		r := enterpriseRow(n)
		r[4] = "123"
		return r
	}
	dir := t.TempDir()
	mustImport(t, s, writeXLSX(t, filepath.Join(dir, "1.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, bad(1))}), opts())
	// 1: fixed now; 2: bad, then good in the same file; 3: good, then bad in the same file.
	mustImport(t, s, writeXLSX(t, filepath.Join(dir, "2.xlsx"), sheet{name: "企业台账",
		rows: rows(enterpriseHeaders, enterpriseRow(1), bad(2), enterpriseRow(2), enterpriseRow(3), bad(3))}), opts())
	open := map[string]bool{}
	for e, err := range s.QuarantineEntries(ctx, ledger.QuarantineFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		open[e.Key] = true
	}
	if len(open) != 1 || !open[uscc(3)] {
		t.Errorf("open rejections %v, want only the one after its key loaded (%s)", open, uscc(3))
	}
}

// A long rejected value shows its first 100 characters: the report stays readable and small.
func TestLongRejectedValueIsShortened(t *testing.T) {
	s := newStore(t)
	bad := enterpriseRow(1)
	bad[6] = strings.Repeat("营", 300) // 经营地址 over its limit of 200
	rep := mustImport(t, s, writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, bad)}), opts())
	if len(rep.Rejected) != 1 || rep.Rejected[0].Value != strings.Repeat("营", 100)+"…" {
		t.Errorf("rejections %+v, want the value cut to 100 characters", rep.Rejected)
	}
}
