package sheets

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// csvRows reads CSV records the way encoding/csv does with LazyQuotes — a quote inside an
// unquoted cell, or not followed by a comma or line end inside a quoted one, is text; a quoted
// cell may span lines; blank lines are skipped; rows may be ragged — but a cell at a time, each
// kept to the cell bound: encoding/csv holds a whole record in memory, and a CSV file sets no
// bound of its own.
//
// A record's number is its row number when Excel opens the file: blank lines count, as Excel
// shows them as rows, and a quoted cell spanning lines stays in one row.
type csvRows struct {
	f       *os.File
	r       *bufio.Reader
	num     int // the row number of the last record
	line    int // the line the reader is on, 1-based
	recEnd  int // the line the record being read ended on; 0 while it goes on
	lastEnd int // the line the previous record ended on
	text    cellText
}

func (c *csvRows) next() (int, []string, []bool, bool, error) {
	// Blank lines ("\n", "\r\n") are no records.
	for {
		b, err := c.r.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, nil, nil, false, nil
		}
		if err != nil {
			return c.num + 1, nil, nil, false, err
		}
		if b == '\n' {
			c.line++
			continue
		}
		if b == '\r' {
			cr, err := c.afterCR()
			if err != nil {
				return c.num + 1, nil, nil, false, err
			}
			if cr == crAtEOF {
				return 0, nil, nil, false, nil
			}
			if cr == crLF {
				c.line++
				continue
			}
		}
		_ = c.r.UnreadByte()
		break
	}
	start := c.line
	c.recEnd = 0
	var cells []string
	var over []bool
	budget := maxRowBytes
	for field := 0; ; field++ {
		keep := field < maxColumns
		limit := min(maxCellBytes, max(budget, 0))
		if !keep {
			limit = 0
		}
		c.text.reset(MaxCellRunes, limit)
		end, err := c.field()
		if err != nil {
			return c.num + 1, nil, nil, false, err
		}
		if keep {
			v := c.text.String()
			budget -= len(v)
			cells = append(cells, v)
			over = append(over, c.text.over)
		}
		if end {
			break
		}
	}
	if c.recEnd == 0 { // ended by the end of the file
		c.recEnd = c.line
	}
	c.num += 1 + max(0, start-c.lastEnd-1)
	c.lastEnd = c.recEnd
	if !anyTrue(over) {
		over = nil
	}
	return c.num, cells, over, true, nil
}

// What follows a CR.
const (
	crText  = iota // anything but LF: the CR is text
	crLF           // a LF (consumed): the pair is one line end
	crAtEOF        // the end of the file: the CR is dropped, as encoding/csv does
)

func (c *csvRows) afterCR() (int, error) {
	next, err := c.r.Peek(1)
	switch {
	case errors.Is(err, io.EOF):
		return crAtEOF, nil
	case err != nil:
		return 0, err
	case next[0] == '\n':
		_, _ = c.r.Discard(1)
		return crLF, nil
	}
	return crText, nil
}

// crEndsRecord is called after a CR outside quotes: a CR LF or a CR at the end of the file ends
// the record; otherwise the CR is text.
func (c *csvRows) crEndsRecord() (bool, error) {
	cr, err := c.afterCR()
	if err != nil {
		return false, err
	}
	if cr == crLF {
		c.recordEnds()
	}
	return cr != crText, nil
}

// recordEnds notes that the record ends with the line end just read.
func (c *csvRows) recordEnds() {
	c.recEnd = c.line
	c.line++
}

// field reads one cell into c.text; end reports whether it ended its record.
func (c *csvRows) field() (end bool, err error) {
	b, err := c.r.ReadByte()
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if b == '"' {
		return c.quoted()
	}
	for {
		switch b {
		case ',':
			return false, nil
		case '\n':
			c.recordEnds()
			return true, nil
		case '\r':
			if end, err := c.crEndsRecord(); end || err != nil {
				return end, err
			}
			c.text.writeByte('\r')
		default:
			c.text.writeByte(b)
		}
		if b, err = c.r.ReadByte(); errors.Is(err, io.EOF) {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
}

// quoted reads the rest of a quoted cell.
func (c *csvRows) quoted() (end bool, err error) {
	for {
		b, err := c.r.ReadByte()
		if errors.Is(err, io.EOF) {
			return true, nil // an unclosed quote ends at the end of the file (lazy quotes)
		}
		if err != nil {
			return false, err
		}
		switch b {
		case '"':
			next, err := c.r.ReadByte()
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
			switch next {
			case '"':
				c.text.writeByte('"')
			case ',':
				return false, nil
			case '\n':
				c.recordEnds()
				return true, nil
			case '\r':
				if end, err := c.crEndsRecord(); end || err != nil {
					return end, err
				}
				c.text.writeByte('"')
				c.text.writeByte('\r')
			default:
				// A quote not followed by a comma or a line end is text (lazy quotes).
				c.text.writeByte('"')
				_ = c.r.UnreadByte()
			}
		case '\n':
			c.line++
			c.text.writeByte('\n')
		case '\r':
			cr, err := c.afterCR()
			if err != nil {
				return false, err
			}
			switch cr {
			case crLF: // a line break of the cell's text
				c.line++
				c.text.writeByte('\n')
			case crAtEOF:
				return true, nil
			default:
				c.text.writeByte('\r')
			}
		default:
			c.text.writeByte(b)
		}
	}
}

func (c *csvRows) close() error { return c.f.Close() }

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// openCSV opens a CSV file holding one of the two sheets; its header row says which.
func openCSV(path string) (*Table, error) {
	file := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := decodeCSV(f)
	if err != nil {
		f.Close()
		return nil, &FileError{File: file, Reason: reasonNotWorkbook}
	}
	rows := &csvRows{f: f, r: bufio.NewReaderSize(r, 64<<10), line: 1}
	t, ferr := findHeader(file, "", "", false, rows)
	if ferr != nil {
		f.Close()
		return nil, ferr
	}
	if t == nil {
		f.Close()
		return nil, &FileError{File: file, Reason: reasonCSVNoHeader}
	}
	return t, nil
}

// csvSniff is how much of a CSV file decides its encoding; the header row, in Chinese, is in it.
const csvSniff = 64 << 10

// decodeCSV returns the file's text as UTF-8: a UTF-8 BOM is dropped, valid UTF-8 is read as is,
// anything else is GB18030 (a superset of GBK, what Excel writes on Chinese Windows). A file read
// as UTF-8 that has a broken byte sequence further on (or cut at its very end) gets U+FFFD there,
// so that the broken cell is rejected with a readable value rather than passed on as bad text.
func decodeCSV(f io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(f, csvSniff)
	head, err := br.Peek(csvSniff)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	whole := errors.Is(err, io.EOF) // the peek holds the whole file: nothing was cut
	asUTF8 := unicode.UTF8.NewDecoder().Reader(br)
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
		return asUTF8, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, errors.New("binary content")
	}
	// A multi-byte character may be cut at the end of the peeked bytes.
	check := head
	for i := 0; !whole && i < utf8.UTFMax && len(check) > 0 && !utf8.Valid(check); i++ {
		check = check[:len(check)-1]
	}
	if utf8.Valid(check) {
		return asUTF8, nil
	}
	return simplifiedchinese.GB18030.NewDecoder().Reader(br), nil
}
