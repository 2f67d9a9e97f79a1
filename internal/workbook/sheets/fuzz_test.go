package sheets_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
)

// FuzzReadCSV feeds arbitrary bytes as a CSV file. Reading never panics; a refusal is always a
// *FileError; rows come out non-blank, valid UTF-8, with row numbers after the header and
// strictly increasing; and every row converts with mapping without panicking.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("统一社会信用代码,企业名称,法定代表人,主要负责人,主要负责人电话,经营地址,所属社区,行业类别,企业状态\r\n" +
		"91350582MA0000001X,灵源鞋业,王建国,王建国,13905951234,林口路1号,林口社区,轻工,在营\r\n"))
	f.Add([]byte("\xEF\xBB\xBF姓名,身份证号,所在企业统一社会信用代码,操作项目,上岗日期\n张三,350582198001011234,91350582MA0000001X,低压电工,45433\n"))
	f.Add([]byte("花名册\n\n身份证号,姓名,所在企业统一社会信用代码,操作项目,上岗日期\n\"35058219800101\n1234\",\"张\"\"三\",x,y,z\n,,,\n"))
	f.Add([]byte("\xc9\xed\xb7\xdd\xd6\xa4\xba\xc5,\xd0\xd5\xc3\xfb\n350582198001011234,\xd5\xc5\xc8\xfd\n")) // GBK 身份证号,姓名
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		readEveryRow(t, p)
	})
}

// readEveryRow opens the file at path and reads every row of every ledger sheet, checking what
// the reader promises whatever the input: a refusal is a *FileError with a reason; rows come out
// non-blank, valid UTF-8, numbered after their header and strictly increasing; every row
// converts with mapping without panicking.
func readEveryRow(t *testing.T, path string) {
	t.Helper()
	file, err := sheets.Open(path)
	if err != nil {
		var fe *sheets.FileError
		if !errors.As(err, &fe) || fe.Reason == "" {
			t.Fatalf("refusal %v (%T) is not a FileError with a reason", err, err)
		}
		return
	}
	defer file.Close()
	for _, tb := range file.Tables {
		prev := 0
		for {
			num, cells, ok, err := tb.Next()
			if err != nil {
				var fe *sheets.FileError
				if !errors.As(err, &fe) {
					t.Fatalf("row error %v is not a FileError", err)
				}
				break
			}
			if !ok {
				break
			}
			if num <= prev || num < 2 || sheets.Blank(cells) {
				t.Fatalf("row %d after %d, blank %v", num, prev, sheets.Blank(cells))
			}
			prev = num
			row := tb.Row(cells)
			for h, v := range row {
				if !utf8.ValidString(h) || !utf8.ValidString(v) {
					t.Fatalf("invalid UTF-8 in %q: %q", h, v)
				}
			}
			if tb.Sheet == mapping.SheetOperators {
				mapping.OperatorFromRow(row, nil)
			} else {
				mapping.EnterpriseFromRow(row, nil)
			}
		}
	}
}
