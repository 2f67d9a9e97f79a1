package workbook_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

var today = mapping.Date{Year: 2026, Month: 3, Day: 2}

func newStore(t testing.TB) ledger.Store {
	t.Helper()
	s, err := ledger.Open(context.Background(), config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "ledger.db"))},
		ledger.WithClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func opts() workbook.Options { return workbook.Options{Today: today} }

// uscc builds a valid unified social credit code (GB 32100 check character) from n.
func uscc(n int) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	body := fmt.Sprintf("91350582MA%07d", n)
	sum := 0
	for i, w := range weights {
		sum += indexOf(chars, body[i]) * w
	}
	return body + string(chars[(31-sum%31)%31])
}

func indexOf(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// idNumber builds a valid resident ID number (GB 11643 check character) from n.
func idNumber(n int) string {
	body := fmt.Sprintf("350582198%d%02d%02d%03d", n%10, 1+n%12, 1+n%28, n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

var enterpriseHeaders = []any{"统一社会信用代码", "企业名称", "法定代表人", "主要负责人", "主要负责人电话", "安全管理人员",
	"经营地址", "所属社区", "行业类别", "重点类型", "从业人数", "企业状态", "是否厂中厂", "备注"}

func enterpriseRow(n int) []any {
	return []any{uscc(n), fmt.Sprintf("晋江市灵源第%d鞋材有限公司", n), "王建国", "王建国", "13905951234", "李安全",
		fmt.Sprintf("晋江市灵源街道林口社区工业路%d号", n), "林口社区", "轻工", "粉尘涉爆、有限空间", 120, "在营", "否", ""}
}

var operatorHeaders = []any{"姓名", "身份证号", "联系电话", "所在企业统一社会信用代码", "作业类别", "操作项目", "上岗日期", "离岗日期", "备注"}

func operatorRow(n, enterprise int) []any {
	return []any{fmt.Sprintf("操作员%d", n), idNumber(n), "13800000000", uscc(enterprise), "电工作业", "低压电工作业", "2024-05-21", "", ""}
}

// sheet describes one worksheet of a generated workbook.
type sheet struct {
	name   string
	rows   [][]any // from A1; nil rows stay blank
	merges [][2]string
}

// writeXLSX generates a workbook with excelize, as a street office's Excel would save it.
func writeXLSX(t testing.TB, path string, sheets ...sheet) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName(f.GetSheetName(0), s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			if row == nil {
				continue
			}
			for c, v := range row {
				if v == nil {
					continue
				}
				axis, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(s.name, axis, v); err != nil {
					t.Fatal(err)
				}
				if _, ok := v.(time.Time); ok {
					if err := f.SetCellStyle(s.name, axis, axis, dateStyle); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		for _, m := range s.merges {
			if err := f.MergeCell(s.name, m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// seedEnterprises puts enterprises 1…n (enterpriseRow) in the ledger, as an earlier import
// would have: a roster row must name an enterprise the ledger holds.
func seedEnterprises(t testing.TB, s ledger.Store, n int) {
	t.Helper()
	var batch []ledger.EnterpriseInput
	for i := 1; i <= n; i++ {
		e, ps := mapping.EnterpriseFromRow(headerMap(enterpriseHeaders, enterpriseRow(i)), nil)
		if ps.HasErrors() {
			t.Fatal(ps)
		}
		batch = append(batch, ledger.EnterpriseInput{Enterprise: e})
	}
	if _, err := s.UpsertEnterprises(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

func rows(header []any, body ...[]any) [][]any { return append([][]any{header}, body...) }

func mustImport(t testing.TB, s workbook.Importer, path string, o workbook.Options) workbook.Report {
	t.Helper()
	rep, err := workbook.Import(context.Background(), s, path, o)
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(path), err)
	}
	return rep
}

func countEnterprises(t testing.TB, s ledger.Store) int {
	t.Helper()
	n := 0
	for _, err := range s.Enterprises(context.Background(), ledger.EnterpriseFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func countOperators(t testing.TB, s ledger.Store) int {
	t.Helper()
	n := 0
	for _, err := range s.Operators(context.Background(), ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// zipOf returns a ZIP archive with one file: a zip that is not a workbook.
func zipOf(t testing.TB, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
