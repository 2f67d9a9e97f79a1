package sheets

import (
	"fmt"
	"strings"
	"testing"
)

func TestScanMergeRefsFindsRefsAcrossBufferBoundaries(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<worksheet><sheetData>`)
	// Long quoted and unquoted content so that markers straddle the 64 KiB reads.
	for i := range 3000 {
		fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>`, i+1, i+1, strings.Repeat("字", i%40))
	}
	b.WriteString(`</sheetData><mergeCells count="3"><mergeCell ref="A1:L1"/><x:mergeCell ref="B2:B3"/>`)
	b.WriteString(`<mergeCell ref="C4"/><mergeCell ref="E10:D12"/></mergeCells></worksheet>`)
	for _, pad := range []int{0, 1, 7, 65536 - 20} {
		got, err := scanMergeRefs(strings.NewReader(strings.Repeat(" ", pad) + b.String()))
		if err != nil {
			t.Fatal(err)
		}
		want := []cellRange{{1, 1, 1, 12}, {2, 2, 3, 2}, {10, 4, 12, 5}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pad %d: got %v, want %v (single-cell refs ignored, corners ordered)", pad, got, want)
		}
	}
}

func TestMergeFillerFillsRangesAsRowsPass(t *testing.T) {
	m := newMergeFiller([]cellRange{{1, 1, 1, 3}, {2, 2, 4, 2}})
	fill := func(row int, cells []string) []string {
		out, _ := m.fill(row, cells, nil)
		return out
	}
	got := [][]string{
		fill(1, []string{"标题"}),
		fill(2, []string{"a", "林口社区", "c"}),
		fill(3, []string{"a", "", "c"}),
		fill(4, []string{"a"}),
		fill(5, []string{"a", ""}),
	}
	want := "[[标题 标题 标题] [a 林口社区 c] [a 林口社区 c] [a 林口社区] [a ]]"
	if fmt.Sprint(got) != want {
		t.Errorf("got %v, want %v", got, want)
	}
}
