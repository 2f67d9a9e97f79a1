package sheets_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzOpenXLSX feeds arbitrary bytes as an .xlsx file: truncated, corrupted and crafted ZIPs,
// XML parts that lie. Opening never panics; a refusal is a *FileError with a reason; an opened
// file yields rows that are non-blank, valid UTF-8, numbered after their header and strictly
// increasing.
func FuzzOpenXLSX(f *testing.F) {
	for _, seed := range fzWorkbooks(f) {
		f.Add(seed)
		f.Add(seed[:len(seed)/2])
	}
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		readEveryRow(t, p)
	})
}

// fzWorkbooks writes small real workbooks (plain, with a title row and merged cells, with both
// sheets) as seeds, so that mutations start from ZIPs the reader accepts.
func fzWorkbooks(f *testing.F) [][]byte {
	f.Helper()
	build := func(fill func(x *excelize.File)) []byte {
		x := excelize.NewFile()
		defer x.Close()
		fill(x)
		var b bytes.Buffer
		if err := x.Write(&b); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	set := func(x *excelize.File, sheet string, rows [][]any) {
		for r, row := range rows {
			ref, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := x.SetSheetRow(sheet, ref, &row); err != nil {
				f.Fatal(err)
			}
		}
	}
	return [][]byte{
		build(func(x *excelize.File) {
			_ = x.SetSheetName("Sheet1", "企业台账")
			set(x, "企业台账", [][]any{
				{"统一社会信用代码", "企业名称", "法定代表人", "主要负责人", "主要负责人电话", "经营地址", "所属社区", "行业类别", "企业状态"},
				{"91350582MA2YQ0XB4K", "灵源鞋业", "王建国", "王建国", 13905951234, "林口路1号", "林口社区", "轻工", "在营"},
			})
		}),
		build(func(x *excelize.File) {
			_ = x.SetSheetName("Sheet1", "特种作业人员")
			set(x, "特种作业人员", [][]any{
				{"灵源街道特种作业人员花名册"},
				{"姓名", "身份证号", "所在企业统一社会信用代码", "操作项目", "上岗日期"},
				{"林小红", "35058219900101123X", "91350582MA2YQ0XB4K", "低压电工作业", 45433},
				{"张三", 350582199001011231.0, nil, "焊工", "2024-05-01"},
			})
			_ = x.MergeCell("特种作业人员", "C3", "C4")
		}),
	}
}
