package sheets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"
)

// Merged cells. A sheet's merged ranges are listed after its data, so a reader would have to
// load the whole worksheet to know them before its rows; scanMerges instead streams the
// worksheet part once beforehand, looking only for mergeCell refs, so that a 500 000-row sheet
// costs a scan, not its memory.

// cellRange is a merged range, 1-based and inclusive.
type cellRange struct{ top, left, bottom, right int }

// maxMerges bounds the merged ranges of one sheet: a real ledger merges its title, its headers
// and perhaps a community down a column — hundreds of ranges, not the millions a crafted part
// could list.
const maxMerges = 100000

var errTooManyMerges = errors.New("too many merged ranges")

// scanMerges returns the merged ranges of one worksheet part, in order of their top row.
func scanMerges(part *zip.File) ([]cellRange, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	ranges, err := scanMergeRefs(rc)
	if err != nil {
		return nil, err
	}
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].top < ranges[j].top })
	return ranges, nil
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
				if len(out) == maxMerges {
					return nil, errTooManyMerges
				}
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
	c1, r1, ok1 := cellRef(a)
	c2, r2, ok2 := cellRef(b)
	if !ok1 || !ok2 {
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
	over  bool // the top-left cell was cut at the bound: so is every cell it fills
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

// fill returns row's cells with merged ranges filled, and which of them were cut at the bound
// (nil: none). Rows must come in order.
func (m *mergeFiller) fill(row int, cells []string, over []bool) ([]string, []bool) {
	for m.next < len(m.ranges) && m.ranges[m.next].top <= row {
		if r := m.ranges[m.next]; r.bottom >= row {
			m.active = append(m.active, activeRange{cellRange: r})
		}
		m.next++
	}
	if len(m.active) == 0 {
		return cells, over
	}
	kept := m.active[:0]
	for _, a := range m.active {
		if a.bottom < row {
			continue
		}
		if a.top == row && a.left <= len(cells) {
			a.value = cells[a.left-1]
			a.over = a.left <= len(over) && over[a.left-1]
		}
		for c := a.left; c <= min(a.right, maxColumns); c++ {
			if row == a.top && c == a.left {
				continue
			}
			for len(cells) < c {
				cells = append(cells, "")
			}
			if strings.TrimSpace(cells[c-1]) == "" && (c > len(over) || !over[c-1]) {
				cells[c-1] = a.value
				if a.over {
					for len(over) < c {
						over = append(over, false)
					}
					over[c-1] = true
				}
			}
		}
		kept = append(kept, a)
	}
	m.active = kept
	return cells, over
}
