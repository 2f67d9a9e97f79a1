package workbook_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
)

// 核实状态 round trip (issue 17): export writes 待核实 / 已核实, import reads it back. An unchanged
// workbook confirms nothing; a person who writes 已核实 (or empties the cell) confirms.
func TestReviewStatusSurvivesTheRoundTrip(t *testing.T) {
	s := newStore(t)
	seedLedger(t, s) // 30 confirmed enterprises and uscc(31), pulled from the platform: 待核实
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "企业台账.xlsx")
	for range 2 {
		if err := workbook.Export(ctx, s, path, opts()); err != nil {
			t.Fatal(err)
		}
		if rep := mustImport(t, s, path, opts()); rep.Enterprises != (ledger.Counts{Unchanged: 31}) || len(rep.Rejected) != 0 {
			t.Fatalf("unchanged round trip: %+v %v", rep.Enterprises, rep.Rejected)
		}
		if e, err := s.EnterpriseByUSCC(ctx, uscc(31)); err != nil || !e.PendingReview {
			t.Fatalf("after an unchanged round trip: pending %v, %v; want still 待核实", e.PendingReview, err)
		}
	}

	for _, cell := range []string{"已核实", ""} {
		t.Run("核实状态 "+cell, func(t *testing.T) {
			s := newStore(t)
			seedLedger(t, s)
			if err := workbook.Export(ctx, s, path, opts()); err != nil {
				t.Fatal(err)
			}
			setCell(t, path, "企业台账", uscc(31), "核实状态", cell)
			rep := mustImport(t, s, path, opts())
			if rep.Enterprises != (ledger.Counts{Updated: 1, Unchanged: 30}) {
				t.Errorf("counts %+v, want the one confirmed as an update", rep.Enterprises)
			}
			if e, err := s.EnterpriseByUSCC(ctx, uscc(31)); err != nil || e.PendingReview {
				t.Errorf("pending %v, %v; want confirmed", e.PendingReview, err)
			}
		})
	}

	t.Run("a word it does not know", func(t *testing.T) {
		s := newStore(t)
		seedLedger(t, s)
		if err := workbook.Export(ctx, s, path, opts()); err != nil {
			t.Fatal(err)
		}
		setCell(t, path, "企业台账", uscc(31), "核实状态", "核实中")
		rep := mustImport(t, s, path, opts())
		if len(rep.Rejected) != 1 || rep.Rejected[0].Column != "核实状态" || rep.Rejected[0].Value != "核实中" {
			t.Fatalf("rejected %+v, want the 核实状态 cell", rep.Rejected)
		}
		if e, _ := s.EnterpriseByUSCC(ctx, uscc(31)); !e.PendingReview {
			t.Error("a rejected row confirmed the enterprise")
		}
	})
}

// setCell writes value into column header of the row whose first column is key.
func setCell(t *testing.T, path, sheet, key, header, value string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], header)
	for i, r := range rows {
		if len(r) > 0 && r[0] == key {
			axis, _ := excelize.CoordinatesToCellName(col+1, i+1)
			if err := f.SetCellStr(sheet, axis, value); err != nil {
				t.Fatal(err)
			}
			if err := f.Save(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no row %s in %s", key, sheet)
}

// A row with a name far over its limit (issue 16, finding 2) is rejected, naming the column; the
// rejection shows the cell cut short, and the other rows load.
func TestARowOverALengthLimitIsRejected(t *testing.T) {
	s := newStore(t)
	long := enterpriseRow(2)
	long[1] = strings.Repeat("名", 1<<16)
	long[13] = strings.Repeat("备", 501)
	path := writeXLSX(t, filepath.Join(t.TempDir(), "a.xlsx"), sheet{name: "企业台账", rows: rows(enterpriseHeaders, enterpriseRow(1), long)})
	rep := mustImport(t, s, path, opts())
	if rep.Enterprises.Inserted != 1 || len(rep.Rejected) != 2 {
		t.Fatalf("counts %+v, rejected %+v; want the first row in and two problems with the second", rep.Enterprises, rep.Rejected)
	}
	byColumn := map[string]workbook.Rejection{}
	for _, r := range rep.Rejected {
		byColumn[r.Column] = r
	}
	for _, want := range []struct {
		column string
		shown  int // characters of the cell the rejection shows, at most: a cut and …
	}{{"企业名称", 101}, {"备注", 501}} {
		r, ok := byColumn[want.column]
		if !ok || r.Row != 3 || !strings.Contains(r.Reason, "个字符") || utf8.RuneCountInString(r.Value) > want.shown {
			t.Errorf("rejection of %s: %+v (value of %d characters)", want.column, r, utf8.RuneCountInString(r.Value))
		}
	}
	if _, err := s.EnterpriseByUSCC(context.Background(), uscc(2)); err == nil {
		t.Error("the rejected row was loaded")
	}
}
