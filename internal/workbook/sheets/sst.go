package sheets

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// sharedStrings is a workbook's shared-strings table (xl/sharedStrings.xml), where Excel keeps
// the text of string cells and the cells keep an index. excelize reads it into memory whole; a
// 20 MiB upload can hold a table of tens of millions of strings, or a single string of hundreds
// of MiB. Here each string is kept to the cell bound (longer ones are marked over), the strings
// are held in memory while they fit in sstMemory bytes and in an unlinked temporary file beyond,
// and only every sstBlock-th string's offset is indexed: memory stays a few MiB whatever the
// table holds.
//
// Each string is stored as uvarint(len<<1 | over) followed by its bytes.
type sharedStrings struct {
	n     int
	index []int64 // offset of strings 0, sstBlock, 2·sstBlock, …
	size  int64

	mem  []byte   // the strings, while they fit in memory
	file *os.File // the strings, once they do not
	w    *bufio.Writer

	cache blockCache
}

const (
	sstBlock  = 64       // strings per indexed block
	sstMemory = 16 << 20 // bytes of strings kept in memory before moving them to a file
	sstCache  = 8 << 20  // bytes of file blocks cached
)

var errSSTIndex = errors.New("shared string index out of range")

// loadSharedStrings reads the table from its part; a nil part is an empty table.
func loadSharedStrings(part *zip.File) (*sharedStrings, error) {
	t := &sharedStrings{}
	if part == nil {
		return t, nil
	}
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	var text cellText
	// phonetic counts the rPh (furigana) elements we are inside: their text is not the cell's.
	inSI, phonetic := false, 0
	for {
		err := sc.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Close()
			return nil, err
		}
		switch {
		case sc.is("si") && !sc.end:
			text.reset(MaxCellRunes, maxCellBytes)
			inSI, phonetic = true, 0
			if sc.selfClosing {
				inSI = false
				err = t.add(&text)
			}
		case sc.is("si"):
			inSI = false
			err = t.add(&text)
		case !inSI:
		case sc.is("rPh") && !sc.end && !sc.selfClosing:
			phonetic++
		case sc.is("rPh") && sc.end:
			phonetic = max(0, phonetic-1)
		case sc.is("t") && !sc.end && !sc.selfClosing && phonetic == 0:
			sc.sink = &text
		case sc.is("t") && sc.end:
			sc.sink = nil
		}
		if err != nil {
			t.Close()
			return nil, err
		}
	}
	if err := t.finish(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// add appends one string, decoded as excelize does (_xHHHH_ escapes).
func (t *sharedStrings) add(text *cellText) error {
	s := text.String()
	if strings.Contains(s, "_x") {
		s = unescapeOOXML(s)
	}
	if t.n%sstBlock == 0 {
		t.index = append(t.index, t.size)
	}
	t.n++
	var head [binary.MaxVarintLen64]byte
	v := uint64(len(s)) << 1
	if text.over {
		v |= 1
	}
	k := binary.PutUvarint(head[:], v)
	t.size += int64(k + len(s))
	if t.w == nil && len(t.mem)+k+len(s) > sstMemory {
		if err := t.spill(); err != nil {
			return err
		}
	}
	if t.w != nil {
		if _, err := t.w.Write(head[:k]); err != nil {
			return err
		}
		_, err := t.w.WriteString(s)
		return err
	}
	t.mem = append(append(t.mem, head[:k]...), s...)
	return nil
}

// spill moves the strings to a temporary file, unlinked at once so that nothing is left behind
// whatever happens to the process.
func (t *sharedStrings) spill() error {
	f, err := os.CreateTemp("", "streetsync-sst-*")
	if err != nil {
		return fmt.Errorf("shared strings: %w", err)
	}
	_ = os.Remove(f.Name())
	t.file, t.w = f, bufio.NewWriterSize(f, 64<<10)
	if _, err := t.w.Write(t.mem); err != nil {
		return err
	}
	t.mem = nil
	return nil
}

func (t *sharedStrings) finish() error {
	if t.w != nil {
		return t.w.Flush()
	}
	return nil
}

// get returns string i and whether it was longer than the bound.
func (t *sharedStrings) get(i int) (string, bool, error) {
	if i < 0 || i >= t.n {
		return "", false, fmt.Errorf("%w: %d of %d", errSSTIndex, i, t.n)
	}
	b := i / sstBlock
	end := t.size
	if b+1 < len(t.index) {
		end = t.index[b+1]
	}
	data, err := t.block(b, t.index[b], end)
	if err != nil {
		return "", false, err
	}
	for k := i % sstBlock; ; k-- {
		v, n := binary.Uvarint(data)
		if n <= 0 || uint64(len(data)-n) < v>>1 {
			return "", false, errors.New("shared strings: corrupt temporary store")
		}
		if k == 0 {
			return string(data[n : n+int(v>>1)]), v&1 == 1, nil
		}
		data = data[n+int(v>>1):]
	}
}

// block returns the bytes of block b, [start, end).
func (t *sharedStrings) block(b int, start, end int64) ([]byte, error) {
	if t.file == nil {
		return t.mem[start:end], nil
	}
	if data, ok := t.cache.get(b); ok {
		return data, nil
	}
	data := make([]byte, end-start)
	if _, err := t.file.ReadAt(data, start); err != nil {
		return nil, fmt.Errorf("shared strings: %w", err)
	}
	t.cache.put(b, data)
	return data, nil
}

// Close releases the temporary file.
func (t *sharedStrings) Close() {
	if t.file != nil {
		t.file.Close()
		t.file = nil
	}
}

// blockCache keeps recently read blocks of the file store, up to sstCache bytes, evicting the
// least recently used. Sheets read the table mostly in order (Excel numbers strings as it first
// meets them) and come back often to the first few (headers, community names), so a small cache
// serves nearly every lookup.
type blockCache struct {
	m     map[int]*cachedBlock
	bytes int
	tick  int
}

type cachedBlock struct {
	data []byte
	used int
}

func (c *blockCache) get(b int) ([]byte, bool) {
	e, ok := c.m[b]
	if !ok {
		return nil, false
	}
	c.tick++
	e.used = c.tick
	return e.data, true
}

func (c *blockCache) put(b int, data []byte) {
	if c.m == nil {
		c.m = map[int]*cachedBlock{}
	}
	for c.bytes+len(data) > sstCache && len(c.m) > 0 {
		oldest, at := -1, 0
		for k, e := range c.m {
			if oldest < 0 || e.used < at {
				oldest, at = k, e.used
			}
		}
		c.bytes -= len(c.m[oldest].data)
		delete(c.m, oldest)
	}
	c.tick++
	c.m[b] = &cachedBlock{data: data, used: c.tick}
	c.bytes += len(data)
}

// unescapeOOXML decodes the _xHHHH_ escapes OOXML uses for characters XML cannot carry (_x000D_ is
// a CR), as excelize does: _x005F_ stands for the underscore itself.
func unescapeOOXML(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || len(s)-i < 7 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		esc := s[i : i+7]
		r, ok := hexRune(esc[2:6])
		if !ok || esc[6] != '_' {
			b.WriteString("_x")
			s = s[i+2:]
			continue
		}
		if esc == "_x005F_" {
			b.WriteByte('_')
		} else {
			b.WriteRune(r)
		}
		s = s[i+7:]
	}
}

func hexRune(h string) (rune, bool) {
	var r rune
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
