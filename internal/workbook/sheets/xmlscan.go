package sheets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner reads the two kinds of SpreadsheetML part this package needs — worksheets and the
// shared-strings table — as a stream of tags, and never holds a text node whole. encoding/xml
// (and excelize, built on it) hands out each text node as one allocation, so that an 8 MiB
// workbook with a single 700 MiB cell cost 700 MiB and more; here text goes into a cellText that
// keeps at most its bound and only notes that there was more.
//
// It reads what Excel, WPS and the libraries that write .xlsx produce: namespace prefixes (x:row),
// attributes in single or double quotes, the five predefined entities and character references,
// CDATA sections, comments and processing instructions, CR LF line ends (folded to LF, as XML
// requires). It checks well-formedness only as far as reading needs, and reads no DTD. A tag
// longer than maxTagBytes is an error: no real one comes close.
type xmlScanner struct {
	r *bufio.Reader
	// The tag just read: its bytes between < and > (the name first), its local name (no
	// prefix), whether it closes an element, and whether it is self-closing (<c r="A1"/>).
	tag         []byte
	local       []byte
	end         bool
	selfClosing bool
	// sink receives the text between tags; nil skips it.
	sink *cellText
	dec  textDecoder
}

// maxTagBytes bounds one tag (name and attributes). Real tags are under a few hundred bytes;
// the longest, a worksheet's root with its namespace declarations, about 1 KiB.
const maxTagBytes = 64 << 10

var errTagTooLong = errors.New("xml: tag too long")

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 32<<10)}
}

// next reads up to and including the next start or end tag, passing the text before it to the
// sink. It returns io.EOF at the end of the part.
func (s *xmlScanner) next() error {
	for {
		if err := s.text(); err != nil {
			return err
		}
		b, err := s.r.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch b {
		case '/':
			if err := s.readTag(); err != nil {
				return err
			}
			s.end, s.selfClosing = true, false
			return nil
		case '?':
			if err := s.skipPast("?>"); err != nil {
				return err
			}
		case '!':
			if err := s.special(); err != nil {
				return err
			}
		default:
			if err := s.r.UnreadByte(); err != nil {
				return err
			}
			if err := s.readTag(); err != nil {
				return err
			}
			s.end = false
			s.selfClosing = len(s.tag) > 0 && s.tag[len(s.tag)-1] == '/'
			if s.selfClosing {
				s.tag = s.tag[:len(s.tag)-1]
			}
			return nil
		}
	}
}

// is reports whether the tag just read has this local name.
func (s *xmlScanner) is(local string) bool { return string(s.local) == local }

// text consumes the text before the next '<' (which it consumes too).
func (s *xmlScanner) text() error {
	for {
		chunk, err := s.r.ReadSlice('<')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		// Once a cell is over its bound nothing more of it is kept, or decoded.
		keep := s.sink != nil && !s.sink.over
		if keep && len(chunk) > 0 {
			if derr := s.dec.write(s.sink, chunk); derr != nil {
				return derr
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if s.sink != nil && s.sink.over {
				s.dec = textDecoder{}
			} else if ferr := s.dec.flush(s.sink); ferr != nil {
				return ferr
			}
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return err
		}
	}
}

// readTag reads a tag's bytes up to its '>' (a '>' inside a quoted attribute value does not end
// it) and finds its local name.
func (s *xmlScanner) readTag() error {
	s.tag = s.tag[:0]
	var quote byte
	for {
		chunk, err := s.r.ReadSlice('>')
		if len(s.tag)+len(chunk) > maxTagBytes {
			return errTagTooLong
		}
		s.tag = append(s.tag, chunk...)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return unexpectedEOF(err)
		}
		if err != nil {
			continue
		}
		// Is the '>' just read inside a quoted value?
		start := len(s.tag) - len(chunk)
		for _, c := range s.tag[start : len(s.tag)-1] {
			switch {
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case c == quote:
				quote = 0
			}
		}
		if quote == 0 {
			s.tag = s.tag[:len(s.tag)-1]
			break
		}
	}
	name := s.tag
	if i := bytes.IndexAny(name, " \t\r\n/"); i >= 0 {
		name = name[:i]
	}
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	s.local = name
	return nil
}

// special handles what follows "<!": a comment (skipped), a CDATA section (text), or a
// declaration (skipped; a DTD's internal subset is not read).
func (s *xmlScanner) special() error {
	head, _ := s.r.Peek(7)
	switch {
	case bytes.HasPrefix(head, []byte("--")):
		_, _ = s.r.Discard(2)
		return s.skipPast("-->")
	case bytes.HasPrefix(head, []byte("[CDATA[")):
		_, _ = s.r.Discard(7)
		return s.cdata()
	}
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		if b == '[' {
			if err := s.skipPast("]"); err != nil {
				return err
			}
		}
		if b == '>' {
			return nil
		}
	}
}

// skipPast consumes input up to and including the terminator, holding nothing.
func (s *xmlScanner) skipPast(term string) error {
	matched := 0
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch {
		case b == term[matched]:
			matched++
			if matched == len(term) {
				return nil
			}
		case b == term[0]:
			matched = 1
		default:
			matched = 0
		}
	}
}

// cdata passes a CDATA section's content to the sink as it is (no entities), line ends folded.
func (s *xmlScanner) cdata() error {
	const term = "]]>"
	matched := 0
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		if b == term[matched] {
			matched++
			if matched == len(term) {
				return s.dec.flush(s.sink)
			}
			continue
		}
		if s.sink != nil {
			for i := 0; i < matched; i++ {
				s.dec.rawByte(s.sink, term[i])
			}
		}
		matched = 0
		if b == term[0] {
			matched = 1
			continue
		}
		if s.sink != nil {
			s.dec.rawByte(s.sink, b)
		}
	}
}

// attr returns the value of the tag's attribute with this local name, entities resolved.
func (s *xmlScanner) attr(local string) (string, bool) {
	rest := s.tag[len(s.tag)-len(bytes.TrimLeft(s.tag, " \t\r\n")):]
	if i := bytes.IndexAny(rest, " \t\r\n"); i >= 0 {
		rest = rest[i:]
	} else {
		return "", false
	}
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		eq := bytes.IndexByte(rest, '=')
		if eq < 0 {
			return "", false
		}
		name := bytes.TrimRight(rest[:eq], " \t\r\n")
		if i := bytes.LastIndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		rest = bytes.TrimLeft(rest[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return "", false
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return "", false
		}
		value := rest[1 : 1+end]
		rest = rest[2+end:]
		if string(name) != local {
			continue
		}
		if bytes.IndexByte(value, '&') < 0 {
			return string(value), true
		}
		var t cellText
		t.reset(maxTagBytes, maxTagBytes)
		var d textDecoder
		if d.write(&t, value) != nil || d.flush(&t) != nil {
			return "", false
		}
		return t.String(), true
	}
}

// skipElement consumes everything up to the end of the element whose start tag was just read.
func (s *xmlScanner) skipElement() error {
	if s.selfClosing {
		return nil
	}
	sink := s.sink
	s.sink = nil
	defer func() { s.sink = sink }()
	for depth := 1; ; {
		if err := s.next(); err != nil {
			return err
		}
		switch {
		case s.end:
			depth--
			if depth == 0 {
				return nil
			}
		case !s.selfClosing:
			depth++
		}
	}
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// textDecoder resolves entities and folds CR LF and lone CR to LF as text passes to a cellText.
// It keeps its state between chunks, so that an entity or a CR LF may straddle two reads.
type textDecoder struct {
	ent   [16]byte
	n     int
	inEnt bool
	cr    bool
}

var errBadEntity = errors.New("xml: invalid entity")

func (d *textDecoder) write(t *cellText, p []byte) error {
	if !d.inEnt && !d.cr && bytes.IndexByte(p, '&') < 0 && bytes.IndexByte(p, '\r') < 0 {
		t.write(p)
		return nil
	}
	for _, c := range p {
		if d.inEnt {
			if c == ';' {
				d.inEnt = false
				if err := d.entity(t); err != nil {
					return err
				}
				continue
			}
			if d.n == len(d.ent) {
				return errBadEntity
			}
			d.ent[d.n] = c
			d.n++
			continue
		}
		if c == '&' {
			d.endCR(t)
			d.inEnt, d.n = true, 0
			continue
		}
		d.rawByte(t, c)
	}
	return nil
}

// rawByte passes one byte on, folding line ends.
func (d *textDecoder) rawByte(t *cellText, c byte) {
	switch c {
	case '\r':
		d.endCR(t)
		d.cr = true
	case '\n':
		d.cr = false
		t.writeByte('\n')
	default:
		d.endCR(t)
		t.writeByte(c)
	}
}

func (d *textDecoder) endCR(t *cellText) {
	if d.cr {
		d.cr = false
		t.writeByte('\n')
	}
}

// flush ends a run of text: a pending CR becomes LF; an entity left open is an error.
func (d *textDecoder) flush(t *cellText) error {
	if t != nil {
		d.endCR(t)
	}
	d.cr = false
	if d.inEnt {
		d.inEnt = false
		return errBadEntity
	}
	return nil
}

func (d *textDecoder) entity(t *cellText) error {
	e := d.ent[:d.n]
	switch string(e) {
	case "lt":
		t.writeByte('<')
	case "gt":
		t.writeByte('>')
	case "amp":
		t.writeByte('&')
	case "apos":
		t.writeByte('\'')
	case "quot":
		t.writeByte('"')
	default:
		if len(e) < 2 || e[0] != '#' {
			return fmt.Errorf("%w: &%s;", errBadEntity, e)
		}
		var n uint64
		var err error
		if e[1] == 'x' || e[1] == 'X' {
			n, err = strconv.ParseUint(string(e[2:]), 16, 32)
		} else {
			n, err = strconv.ParseUint(string(e[1:]), 10, 32)
		}
		r := rune(n)
		if err != nil || n == 0 || !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		t.writeRune(r)
	}
	return nil
}

// cellText is the text of one cell, kept up to a bound of runes and of bytes. Beyond it the text
// is only noted as over: the row will be rejected, and nothing more is held.
type cellText struct {
	b        []byte
	runes    int
	maxRunes int
	maxBytes int
	over     bool
}

func (t *cellText) reset(maxRunes, maxBytes int) {
	t.b, t.runes, t.maxRunes, t.maxBytes, t.over = t.b[:0], 0, maxRunes, maxBytes, false
}

// write adds UTF-8 bytes (possibly a rune cut across two writes).
func (t *cellText) write(p []byte) {
	if t.over {
		return
	}
	// Whole runes only: a rune cut across two writes is counted once, by the slow path.
	if n := utf8.RuneCount(p); t.runes+n <= t.maxRunes && len(t.b)+len(p) <= t.maxBytes && utf8.Valid(p) {
		t.b = append(t.b, p...)
		t.runes += n
		return
	}
	for _, c := range p {
		t.writeByte(c)
	}
}

func (t *cellText) writeByte(c byte) {
	if t.over {
		return
	}
	if utf8.RuneStart(c) {
		if t.runes >= t.maxRunes || len(t.b)+utf8.UTFMax > t.maxBytes {
			t.over = true // and stays so: the rest of the text is dropped
			return
		}
		t.runes++
	}
	t.b = append(t.b, c)
}

func (t *cellText) writeRune(r rune) {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, c := range buf[:n] {
		t.writeByte(c)
	}
}

// String is the text kept, as valid UTF-8.
func (t *cellText) String() string {
	if utf8.Valid(t.b) {
		return string(t.b)
	}
	return string(bytes.ToValidUTF8(t.b, []byte("\uFFFD")))
}
