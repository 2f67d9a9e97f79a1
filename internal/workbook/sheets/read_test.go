package sheets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
)

func readAll(t *testing.T, content string) (*sheets.Table, []int) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := sheets.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	tb := f.Tables[0]
	var nums []int
	for {
		n, _, ok, err := tb.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return tb, nums
		}
		nums = append(nums, n)
	}
}

// Row numbers are the ones Excel shows for the same file: blank lines count, a quoted cell
// spanning lines stays in one row, title rows come before the header.
func TestCSVRowNumbersAreExcelRowNumbers(t *testing.T) {
	tb, nums := readAll(t, "特种作业人员花名册\r\n"+
		"身份证号,姓名,所在企业统一社会信用代码,操作项目,上岗日期\r\n"+
		"1,甲,x,y,z\r\n"+
		"\r\n"+
		"\"2\r\n多行\",乙,x,y,z\r\n"+
		",,,,\r\n"+
		"3,丙,x,y,z\r\n")
	if got := fmt.Sprint(nums); got != "[3 5 7]" {
		t.Errorf("row numbers %s, want [3 5 7]", got)
	}
	if tb.Sheet != mapping.SheetOperators || tb.Name != "特种作业人员" || tb.HeaderOf("身份证号") != "身份证号" {
		t.Errorf("table %q %q", tb.Sheet, tb.Name)
	}
}

func TestTwoRowCSVHeaderIsCombined(t *testing.T) {
	tb, nums := readAll(t, "统一社会信用代码,企业名称,法定代表人,主要负责人,,经营地址,所属社区,行业类别,企业状态\n"+
		",,,姓名,电话,,,,\n"+
		"x,y,z,王,139,a,b,c,d\n")
	if fmt.Sprint(nums) != "[3]" || tb.Headers[3] != "主要负责人姓名" || tb.Headers[4] != "电话" {
		t.Errorf("headers %q rows %v", tb.Headers, nums)
	}
	if h, _ := mapping.SheetEnterprises.CanonicalHeader(tb.Headers[4]); h != "主要负责人电话" {
		t.Errorf("sub-header 电话 under 主要负责人 resolves to %q", h)
	}
}
