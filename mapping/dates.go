package mapping

import (
	"errors"
	"strconv"
	"time"
)

// Dates and times as the three outside shapes write them. Parsing is hand-written: it is on the
// hot path of every record and must not allocate.

// beijing is China Standard Time. A fixed zone, so that streetsync needs no tzdata; China has had
// no daylight saving time since 1991.
var beijing = time.FixedZone("CST", 8*3600)

// Beijing returns the fixed UTC+8 zone both platforms' times are in.
func Beijing() *time.Location { return beijing }

// Date parsing failures; dateReason turns them into the Chinese reason a person reads.
var (
	// ErrDateFormat: the text is not a date in any accepted form.
	ErrDateFormat = errors.New("unrecognized date")
	// ErrNoSuchDate: the form is right but the day does not exist (2023-02-29).
	ErrNoSuchDate = errors.New("no such date")
	// ErrTimeFormat: the text is neither yyyy-MM-dd HH:mm:ss nor RFC 3339.
	ErrTimeFormat = errors.New("unrecognized time")
)

// ParseDate reads a date in every form the street's sheets and the platforms use:
//
//	2024-05-21  2024/5/21  2024.05.21  20240521  2024年5月21日  2024年5月21号  2024 年 5 月 21 日
//	２０２４－０５－２１ (full-width)   45433 or 45433.5 (an Excel serial day number)
//
// Leading zeros are optional; a time after the date (2024-05-21 09:30:00, 2024-05-21T09:30:00+08:00,
// 2024年5月21日上午) is ignored. Excel serials use the 1900 date system including its leap-year bug:
// 1 is 1900-01-01, 60 the non-existent 1900-02-29 (rejected), 61 is 1900-03-01. Empty text (or only
// white space) is the zero Date and no error: every date field is optional somewhere.
func ParseDate(s string) (Date, error) {
	p := dateScanner{s: s}
	p.skipSpace()
	if p.done() {
		return Date{}, nil
	}
	y, ny := p.number(8)
	if ny == 0 {
		return Date{}, ErrDateFormat
	}
	switch {
	case ny == 8 && p.endOfDate(false):
		return makeDate(y/10000, y/100%100, y%100)
	case ny == 4 && y >= 1900 && y <= 2100 && p.endOfSerial():
		return Date{}, ErrDateFormat // a year alone, not Excel's day 2024 (1905-07-16)
	case ny <= 5 && p.endOfSerial():
		return excelSerialDate(y)
	case ny != 4:
		return Date{}, ErrDateFormat
	}
	// White space around the separators is tolerated (2024 年 5 月 21 日, from Word documents).
	p.skipSpace()
	sep := p.next()
	var sep2 rune
	switch sep {
	case '-', '/', '.':
		sep2 = sep
	case '年':
		sep2 = '月'
	default:
		return Date{}, ErrDateFormat
	}
	p.skipSpace()
	m, nm := p.number(2)
	p.skipSpace()
	if nm == 0 || p.next() != sep2 {
		return Date{}, ErrDateFormat
	}
	p.skipSpace()
	d, nd := p.number(2)
	if nd == 0 {
		return Date{}, ErrDateFormat
	}
	chinese := sep == '年'
	if q := p; chinese {
		q.skipSpace()
		if r := q.peek(); r == '日' || r == '号' {
			q.next()
			p = q
		}
	}
	if !p.endOfDate(chinese) {
		return Date{}, ErrDateFormat
	}
	return makeDate(y, m, d)
}

// MustDate is ParseDate for literals in tests and built-in data; it panics on a bad literal.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic("mapping: bad date literal " + s)
	}
	return d
}

// excelEpoch is Excel's day 0 in the 1900 system for serials after the fake 1900-02-29.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

func excelSerialDate(n int) (Date, error) {
	switch {
	case n <= 0:
		return Date{}, ErrNoSuchDate
	case n == 60:
		return Date{}, ErrNoSuchDate // Excel's 1900-02-29, which never was
	case n < 60:
		n++ // before the fake leap day Excel is one day ahead of the epoch above
	}
	return DateOf(excelEpoch.AddDate(0, 0, n)), nil
}

func makeDate(y, m, d int) (Date, error) {
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return Date{}, ErrNoSuchDate
	}
	return Date{y, time.Month(m), d}, nil
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// dateScanner reads runes with full-width digits and separators folded on the fly.
type dateScanner struct {
	s string
	i int
}

func (p *dateScanner) done() bool { return p.i >= len(p.s) }

func (p *dateScanner) peekSize() (rune, int) {
	if p.done() {
		return -1, 0
	}
	r, size := decodeRune(p.s, p.i)
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	} else if r == 0x3000 {
		r = ' '
	}
	return r, size
}

func (p *dateScanner) peek() rune { r, _ := p.peekSize(); return r }

func (p *dateScanner) next() rune {
	r, size := p.peekSize()
	p.i += size
	return r
}

func (p *dateScanner) skipSpace() {
	for {
		r, size := p.peekSize()
		if size == 0 || classify(r, size) != kindSpace {
			return
		}
		p.i += size
	}
}

// number reads up to max digits and returns their value and count; a longer run counts max+1.
func (p *dateScanner) number(max int) (int, int) {
	v, n := 0, 0
	for {
		r, size := p.peekSize()
		if r < '0' || r > '9' {
			return v, n
		}
		if n == max {
			return v, n + 1
		}
		v = v*10 + int(r-'0')
		n++
		p.i += size
	}
}

// endOfDate reports whether the date ends here: the text ends, or white space or a 'T' starts a
// time part. After 年月日 any text may follow (2024年5月21日上午).
func (p *dateScanner) endOfDate(anyTail bool) bool {
	r, size := p.peekSize()
	return size == 0 || anyTail || r == 'T' || classify(r, size) == kindSpace
}

// endOfSerial reports whether only the end of the text, trailing white space, or a fraction of a
// day (an Excel date-time serial) follows. It looks ahead without moving p.
func (p dateScanner) endOfSerial() bool {
	if p.peek() == '.' {
		p.next()
		if _, n := p.number(9); n == 0 || n > 9 {
			return false
		}
	}
	p.skipSpace()
	return p.done()
}

// ParseBeijingTime reads the Quanzhou platform's `yyyy-MM-dd HH:mm:ss` (Beijing time without an
// offset) and the special-operations system's RFC 3339 (`2024-05-21T09:30:00+08:00`, `…Z`,
// fractional seconds allowed). The result is in the Beijing zone. Empty text is the zero time.
func ParseBeijingTime(s string) (time.Time, error) {
	for len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') {
		if s[0] == ' ' {
			s = s[1:]
		} else {
			s = s[:len(s)-1]
		}
	}
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
		s[13] != ':' || s[16] != ':' {
		return time.Time{}, ErrTimeFormat
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, ErrTimeFormat
	}
	if _, err := makeDate(y, mo, d); err != nil {
		return time.Time{}, ErrTimeFormat
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		scale := 100000000
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			if scale > 0 {
				nsec += int(rest[n]-'0') * scale
				scale /= 10
			}
			n++
		}
		if n == 1 {
			return time.Time{}, ErrTimeFormat
		}
		rest = rest[n:]
	}
	offset := 8 * 3600 // no offset: Beijing time (Quanzhou)
	switch {
	case rest == "":
	case rest == "Z":
		offset = 0
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, ErrTimeFormat
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, ErrTimeFormat
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC).Add(-time.Duration(offset) * time.Second).In(beijing)
	if by := t.Year(); by < 1 || by > 9999 {
		// An offset that moves the instant out of years 1–9999 in Beijing time: it could not be
		// written back in the platforms' format (0001-01-01 00:00:00+09:00 is a day of year 0).
		return time.Time{}, ErrTimeFormat
	}
	return t, nil
}

// FormatBeijingTime writes t as the Quanzhou platform wants it: `yyyy-MM-dd HH:mm:ss` in Beijing
// time; the zero time is "".
func FormatBeijingTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b [19]byte
	return string(appendBeijingTime(b[:0], t, ' '))
}

// FormatRFC3339 writes t as the special-operations system wants it: RFC 3339 in Beijing time
// (2024-05-21T09:30:00+08:00), with a fraction of a second only when there is one; the zero time
// is "".
func FormatRFC3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b [35]byte
	out := appendBeijingTime(b[:0], t, 'T')
	if ns := t.Nanosecond(); ns != 0 {
		out = append(out, '.')
		for scale := 100000000; ns != 0; scale /= 10 {
			out = append(out, byte('0'+ns/scale))
			ns %= scale
		}
	}
	return string(append(out, "+08:00"...))
}

func appendBeijingTime(b []byte, t time.Time, sep byte) []byte {
	t = t.In(beijing)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDate(b, y, int(mo), d)
	b = append(b, sep)
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	return append2(b, s)
}

// appendDate writes yyyy-MM-dd.
func appendDate(b []byte, y, m, d int) []byte {
	if y < 0 || y > 9999 {
		b = strconv.AppendInt(b, int64(y), 10) // not a date any record holds; written plainly
	} else {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	}
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10%10), byte('0'+v%10)) }

// digits parses an all-digit ASCII string.
func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, len(s) > 0
}
