package sheets_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/workbook/sheets"
)

// ledgerWorkbook is a valid one-sheet enterprise ledger whose sheet XML gets pad bytes of white
// space inside its sheetData: the same workbook to a reader, inflating to whatever size.
func ledgerWorkbook(t *testing.T, pad int, rows int) string {
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
	path := filepath.Join(t.TempDir(), "企业台账.xlsx")
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
		chunk := bytes.Repeat([]byte(" "), 1<<16)
		for left := pad; left > 0; left -= len(chunk) {
			_, _ = w.Write(chunk[:min(left, len(chunk))])
		}
		_, _ = w.Write(after)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A workbook that inflates a thousandfold (a zip bomb: 64 MiB of white space in a few dozen KiB)
// is refused as a whole before anything reads it, with a reason the office can act on.
func TestOpenRefusesAWorkbookThatInflatesAbnormally(t *testing.T) {
	path := ledgerWorkbook(t, 64<<20, 1)
	f, err := sheets.Open(path)
	if err == nil {
		f.Close()
		t.Fatal("a zip bomb was opened")
	}
	var fe *sheets.FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "压缩比异常") || !strings.Contains(fe.Reason, "xl/worksheets/sheet1.xml") {
		t.Fatalf("error %v, want a FileError naming the part and its compression ratio", err)
	}
}

// The same workbook with a little padding and real rows opens and reads as usual: the bound
// is on abnormal ratios, not on white space or size as such.
func TestOpenReadsAWorkbookWithinTheBounds(t *testing.T) {
	path := ledgerWorkbook(t, 4<<10, 2000)
	f, err := sheets.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for {
		_, _, ok, err := f.Tables[0].Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		n++
	}
	if n != 2000 {
		t.Errorf("%d rows read, want 2000", n)
	}
}

// A zip directory that understates a part's size is caught when the part is read past it:
// the file is broken, never read beyond what it declared.
func TestOpenRefusesAPartLargerThanDeclared(t *testing.T) {
	path := ledgerWorkbook(t, 0, 1)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the central directory's uncompressed size of the worksheet part to 10 bytes.
	name := []byte("xl/worksheets/sheet1.xml")
	found := false
	for i := 0; ; i++ {
		j := bytes.Index(data[i:], []byte("PK\x01\x02"))
		if j < 0 {
			break
		}
		i += j
		nameLen := int(data[i+28]) | int(data[i+29])<<8
		if bytes.Equal(data[i+46:i+46+nameLen], name) {
			copy(data[i+24:i+28], []byte{10, 0, 0, 0})
			found = true
		}
	}
	if !found {
		t.Fatal("no central directory entry for the worksheet")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := sheets.Open(path)
	if err == nil {
		defer f.Close()
		for {
			_, _, ok, err := f.Tables[0].Next()
			if err != nil || !ok {
				if err == nil {
					t.Fatal("a part larger than its directory entry was read to the end")
				}
				return
			}
		}
	}
	var fe *sheets.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a FileError", err, err)
	}
}
