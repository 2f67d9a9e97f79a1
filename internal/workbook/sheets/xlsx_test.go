package sheets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The hand-written reader must read what excelize reads (RawCellValue): shared and inline
// strings, rich text, numbers, dates, booleans, formulas with their last value, escapes, line
// breaks, entities, rows the sheet skips.
func TestWorksheetReaderAgreesWithExcelize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mixed.xlsx")
	x := excelize.NewFile()
	sheet := "Sheet1"
	set := func(cell string, v any) {
		if err := x.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "统一社会信用代码")
	set("B1", "企业名称")
	set("C1", 12345)
	set("D1", 3.25)
	set("E1", true)
	set("F1", time.Date(2024, 5, 21, 0, 0, 0, 0, time.UTC))
	set("A2", "a < b & c > d \"quoted\" 'single'")
	set("B2", "第一行\r\n第二行\n第三行")
	set("C2", "carriage\rreturn")
	set("D2", "under_x000D_score and _x005F_x0041_ and _xZZZZ_")
	set("E2", strings.Repeat("长", 1500))
	set("A5", "after a gap")
	set("H5", "far column")
	if err := x.SetCellFormula(sheet, "B5", "C1*2"); err != nil {
		t.Fatal(err)
	}
	if err := x.SetCellRichText(sheet, "A6", []excelize.RichTextRun{{Text: "富"}, {Text: "文本", Font: &excelize.Font{Bold: true}}}); err != nil {
		t.Fatal(err)
	}
	set("A7", "  leading and trailing  ")
	set("B7", 350582199001011231.0)
	if err := x.SetCellBool(sheet, "C7", false); err != nil {
		t.Fatal(err)
	}
	// A second sheet written by the StreamWriter: inline strings.
	if _, err := x.NewSheet("Stream"); err != nil {
		t.Fatal(err)
	}
	sw, err := x.NewStreamWriter("Stream")
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= 300; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		row := []any{fmt.Sprintf("行%d & <x>", r), r, float64(r) / 3, r%2 == 0, "", nil, "末\r\n尾"}
		if r%7 == 0 {
			continue // a gap
		}
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	x.Close()

	for _, name := range []string{"Sheet1", "Stream"} {
		want := excelizeRows(t, path, name)
		got := handRows(t, path, name)
		if len(got) != len(want) {
			t.Errorf("%s: %d rows, excelize reads %d", name, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if fmt.Sprintf("%q", got[i]) != fmt.Sprintf("%q", want[i]) {
				t.Errorf("%s row %d:\n got  %q\n want %q", name, i+1, got[i], want[i])
			}
		}
	}
}

func excelizeRows(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, trimRight(cells))
	}
	return out
}

func handRows(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	p, err := readPackage(zr)
	if err != nil {
		t.Fatal(err)
	}
	sst, err := loadSharedStrings(p.sst)
	if err != nil {
		t.Fatal(err)
	}
	defer sst.Close()
	for _, sp := range p.sheets {
		if sp.name != sheet {
			continue
		}
		rc, err := sp.part.Open()
		if err != nil {
			t.Fatal(err)
		}
		w := &worksheetRows{rc: rc, sc: newXMLScanner(rc), sst: sst, merges: newMergeFiller(nil)}
		defer w.close()
		var out [][]string
		for {
			num, cells, _, ok, err := w.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			if num != len(out)+1 {
				t.Fatalf("row %d after %d rows", num, len(out))
			}
			out = append(out, trimRight(cells))
		}
	}
	t.Fatalf("no sheet %s", sheet)
	return nil
}

func trimRight(cells []string) []string {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// rawWorkbook writes a workbook from hand-made parts: the worksheet XML given, and shared
// strings when sst is not empty.
func rawWorkbook(t *testing.T, sheetXML, sst string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	put("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	put("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="企业台账" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
	if sst != "" {
		rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/>`
		put("xl/sharedStrings.xml", sst)
	}
	put("xl/_rels/workbook.xml.rels", rels+`</Relationships>`)
	put("xl/worksheets/sheet1.xml", sheetXML)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "raw.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const testHeader = `<row r="1"><c r="A1" t="inlineStr"><is><t>统一社会信用代码</t></is></c><c r="B1" t="inlineStr"><is><t>企业名称</t></is></c>` +
	`<c r="C1" t="inlineStr"><is><t>法定代表人</t></is></c><c r="D1" t="inlineStr"><is><t>主要负责人</t></is></c>` +
	`<c r="E1" t="inlineStr"><is><t>主要负责人电话</t></is></c><c r="F1" t="inlineStr"><is><t>经营地址</t></is></c>` +
	`<c r="G1" t="inlineStr"><is><t>所属社区</t></is></c><c r="H1" t="inlineStr"><is><t>行业类别</t></is></c>` +
	`<c r="I1" t="inlineStr"><is><t>企业状态</t></is></c></row>`

// What other writers than excelize produce: prefixed elements, single quotes, CDATA, comments,
// phonetic runs (whose text is not the cell's), a formula whose text is longer than a cell may be.
func TestWorksheetReaderReadsOtherWritersMarkup(t *testing.T) {
	sheetXML := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
		strings.ReplaceAll(strings.ReplaceAll(testHeader, "<", "<x:"), "<x:/", "</x:") + `
<!-- a comment with <tags> inside -->
<x:row r='2' spans='1:9'><x:c r='A2' t='s'><x:v>0</x:v></x:c><x:c r='B2' t='s'><x:v> 1 </x:v></x:c>` +
		`<x:c r='C2' t='inlineStr'><x:is><x:t><![CDATA[林<小>红]]></x:t></x:is></x:c>` +
		`<x:c r='D2'><x:f>` + strings.Repeat("A1&amp;", 5000) + `</x:f><x:v>42</x:v></x:c>` +
		`<x:c r='E2' t='str'><x:v>13905951234</x:v></x:c></x:row>
</x:sheetData></x:worksheet>`
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">` +
		`<si><t>91350582MA2YQ0XB4K</t></si>` +
		`<si><r><t>灵源</t></r><r><rPr><b/></rPr><t xml:space="preserve">鞋业 </t></r><rPh sb="0" eb="2"><t>リンゲン</t></rPh><phoneticPr fontId="1"/></si></sst>`
	f, err := Open(rawWorkbook(t, sheetXML, sst))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	num, cells, ok, err := f.Tables[0].Next()
	if err != nil || !ok {
		t.Fatalf("next: %v %v", ok, err)
	}
	want := []string{"91350582MA2YQ0XB4K", "灵源鞋业 ", "林<小>红", "42", "13905951234"}
	if num != 2 || fmt.Sprintf("%q", cells) != fmt.Sprintf("%q", want) {
		t.Errorf("row %d %q, want row 2 %q", num, cells, want)
	}
}

// A cell longer than the bound is kept to MaxCellRunes and marked, shared or inline, alone or
// filling a merged range; the cells around it read as usual.
func TestLongCellsAreCutAndMarked(t *testing.T) {
	long := strings.Repeat("很", MaxCellRunes+1)
	exact := strings.Repeat("长", MaxCellRunes)
	sheetXML := `<worksheet><sheetData>` + testHeader +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>` + long + `</t></is></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c></row>` +
		`<row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c><c r="G3" t="s"><v>0</v></c></row>` +
		`<row r="4"><c r="A4" t="inlineStr"><is><t>y</t></is></c></row>` +
		`</sheetData><mergeCells count="1"><mergeCell ref="G3:G4"/></mergeCells></worksheet>`
	sst := `<sst><si><t>` + long + `</t></si><si><t>` + exact + `</t></si></sst>`
	f, err := Open(rawWorkbook(t, sheetXML, sst))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb := f.Tables[0]
	for _, want := range []struct {
		row  int
		long []int
	}{{2, []int{0, 1}}, {3, []int{6}}, {4, []int{6}}} {
		num, cells, ok, err := tb.Next()
		if err != nil || !ok {
			t.Fatalf("next: %v %v", ok, err)
		}
		if num != want.row || fmt.Sprint(tb.LongCells()) != fmt.Sprint(want.long) {
			t.Errorf("row %d: long cells %v, want row %d with %v", num, tb.LongCells(), want.row, want.long)
		}
		for _, c := range want.long {
			if n := len([]rune(cells[c])); n != MaxCellRunes {
				t.Errorf("row %d column %d: %d characters kept, want %d", num, c, n, MaxCellRunes)
			}
		}
		if num == 2 && cells[2] != exact {
			t.Errorf("a cell of exactly %d characters is read whole", MaxCellRunes)
		}
	}
}

// Many shared strings move to a temporary file and still read back, in any order.
func TestSharedStringsBeyondMemoryReadBack(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<sst>`)
	n := 0
	for size := 0; size < sstMemory+(1<<20); n++ {
		s := fmt.Sprintf("字符串%07d-%s", n, strings.Repeat("x", n%300))
		fmt.Fprintf(&b, `<si><t>%s</t></si>`, s)
		size += len(s) + 2
	}
	b.WriteString(`</sst>`)
	path := rawWorkbook(t, `<worksheet><sheetData>`+testHeader+`</sheetData></worksheet>`, b.String())
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	p, err := readPackage(zr)
	if err != nil {
		t.Fatal(err)
	}
	sst, err := loadSharedStrings(p.sst)
	if err != nil {
		t.Fatal(err)
	}
	defer sst.Close()
	if sst.file == nil || sst.n != n {
		t.Fatalf("%d strings, in a file: %v; want %d in a file", sst.n, sst.file != nil, n)
	}
	for _, i := range []int{0, n - 1, n / 2, 1, 63, 64, 65, n - 64, 7777} {
		s, over, err := sst.get(i)
		want := fmt.Sprintf("字符串%07d-%s", i, strings.Repeat("x", i%300))
		if err != nil || over || s != want {
			t.Errorf("string %d: %q %v %v", i, s, over, err)
		}
	}
	if _, _, err := sst.get(n); err == nil {
		t.Errorf("an index past the table reads")
	}
}
