package sheets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Merged cells. A sheet's merged ranges are listed after its data, so excelize would have to
// load the whole worksheet to report them; scanMerges instead streams each worksheet part of the
// package once, looking only for mergeCell refs, so that a 500 000-row sheet costs a scan, not
// its memory.

// cellRange is a merged range, 1-based and inclusive.
type cellRange struct{ top, left, bottom, right int }

// scanMerges returns the merged ranges of every worksheet, by sheet name.
func scanMerges(zr *zip.Reader) (map[string][]cellRange, error) {
	parts := map[string]*zip.File{}
	for _, f := range zr.File {
		parts[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheets, err := sheetParts(parts)
	if err != nil {
		return nil, err
	}
	out := map[string][]cellRange{}
	for name, part := range sheets {
		f, ok := parts[part]
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		ranges, err := scanMergeRefs(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		sort.Slice(ranges, func(i, j int) bool { return ranges[i].top < ranges[j].top })
		out[name] = ranges
	}
	return out, nil
}

// sheetParts maps sheet names to their worksheet part names via xl/workbook.xml and its rels.
func sheetParts(parts map[string]*zip.File) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXML(parts, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := readXML(parts, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		if t, ok := targets[s.RID]; ok {
			out[s.Name] = t
		}
	}
	return out, nil
}

func readXML(parts map[string]*zip.File, name string, v any) error {
	f, ok := parts[name]
	if !ok {
		return errors.New("missing " + name)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// scanMergeRefs finds every `mergeCell ref="A1:C2"` in a worksheet part, reading it as segments
// between double quotes: a segment ending in `mergeCell ref="` is followed by a ref.
func scanMergeRefs(r io.Reader) ([]cellRange, error) {
	const marker = `mergeCell ref="`
	br := bufio.NewReaderSize(r, 64<<10)
	last := make([]byte, 0, 64) // the end of the current segment
	wantRef := false
	var out []cellRange
	for {
		seg, err := br.ReadSlice('"')
		if wantRef && err == nil {
			if cr, ok := parseRange(string(seg[:len(seg)-1])); ok {
				out = append(out, cr)
			}
			wantRef = false
			continue
		}
		last = append(last, seg...)
		if len(last) > 32 {
			last = append(last[:0], last[len(last)-32:]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return out, nil
		case err != nil:
			return nil, err
		}
		wantRef = bytes.HasSuffix(last, []byte(marker))
		last = last[:0]
	}
}

func parseRange(ref string) (cellRange, bool) {
	a, b, ok := strings.Cut(ref, ":")
	if !ok {
		return cellRange{}, false
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(a)
	c2, r2, err2 := excelize.CellNameToCoordinates(b)
	if err1 != nil || err2 != nil {
		return cellRange{}, false
	}
	return cellRange{top: min(r1, r2), left: min(c1, c2), bottom: max(r1, r2), right: max(c1, c2)}, true
}

// mergeFiller fills the cells of merged ranges with their top-left value as rows stream past.
type mergeFiller struct {
	ranges []cellRange // sorted by top
	next   int         // first range not yet reached
	active []activeRange
}

type activeRange struct {
	cellRange
	value string
}

func newMergeFiller(ranges []cellRange) *mergeFiller { return &mergeFiller{ranges: ranges} }

// spansDown reports whether a merged range starts on row and reaches below it.
func (m *mergeFiller) spansDown(row int) bool {
	for _, r := range m.ranges {
		if r.top == row && r.bottom > row {
			return true
		}
	}
	return false
}

// fill returns row's cells with merged ranges filled. Rows must come in order.
func (m *mergeFiller) fill(row int, cells []string) []string {
	for m.next < len(m.ranges) && m.ranges[m.next].top <= row {
		if r := m.ranges[m.next]; r.bottom >= row {
			m.active = append(m.active, activeRange{cellRange: r})
		}
		m.next++
	}
	if len(m.active) == 0 {
		return cells
	}
	kept := m.active[:0]
	for _, a := range m.active {
		if a.bottom < row {
			continue
		}
		if a.top == row && a.left <= len(cells) {
			a.value = cells[a.left-1]
		}
		for c := a.left; c <= a.right; c++ {
			if row == a.top && c == a.left {
				continue
			}
			for len(cells) < c {
				cells = append(cells, "")
			}
			if strings.TrimSpace(cells[c-1]) == "" {
				cells[c-1] = a.value
			}
		}
		kept = append(kept, a)
	}
	m.active = kept
	return cells
}
