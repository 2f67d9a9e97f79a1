package testutil

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// LedgerWorkbook writes a valid enterprise-ledger workbook at path: the sheet 企业台账 with its
// header and rows copies of one enterprise, and pad bytes of white space inside the sheet's
// sheetData — the same workbook to a reader, inflating to whatever size (a zip bomb, for large
// pad).
func LedgerWorkbook(t testing.TB, path string, rows int, pad int64) {
	t.Helper()
	x := excelize.NewFile()
	_ = x.SetSheetName("Sheet1", "企业台账")
	header := []any{"统一社会信用代码", "企业名称", "法定代表人", "主要负责人", "主要负责人电话", "经营地址", "所属社区", "行业类别", "企业状态"}
	if err := x.SetSheetRow("企业台账", "A1", &header); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{"91350582MA2YQ0XB4K", "晋江市灵源鞋业有限公司", "林小红", "林小红", "13905951234", "灵源街道林口路1号", "灵源社区", "制鞋", "在业"}
		if err := x.SetSheetRow("企业台账", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var src bytes.Buffer
	if err := x.Write(&src); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src.Bytes()), int64(src.Len()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		before, after, ok := bytes.Cut(data, []byte("<sheetData>"))
		if !ok || !strings.HasPrefix(f.Name, "xl/worksheets/") || pad == 0 {
			_, _ = w.Write(data)
			continue
		}
		_, _ = w.Write(before)
		_, _ = w.Write([]byte("<sheetData>"))
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for left := pad; left > 0; left -= int64(len(chunk)) {
			if _, err := w.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = w.Write(after)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
