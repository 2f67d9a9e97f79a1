package dataset

import (
	"strconv"
	"time"
)

// Beijing is the platforms' civil time zone (UTC+8, no daylight saving), fixed so that no tzdata is
// needed.
var Beijing = time.FixedZone("CST", 8*3600)

// Day is a civil date stored compactly as days since 1970-01-01; the zero Day means "no date"
// (1970-01-01 never occurs in this domain). Half a million certificates with five dates each stay
// small this way.
type Day int32

// DayOf returns the Beijing civil date of t.
func DayOf(t time.Time) Day {
	y, m, d := t.In(Beijing).Date()
	return Date(y, m, d)
}

// Date returns the Day of year y, month m, day d (normalized like time.Date).
func Date(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDay parses yyyy-MM-dd.
func ParseDay(s string) (Day, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return Day(t.Unix() / 86400), true
}

// IsZero reports whether d is "no date".
func (d Day) IsZero() bool { return d == 0 }

// Civil returns year, month, day.
func (d Day) Civil() (int, time.Month, int) {
	return time.Unix(int64(d)*86400, 0).UTC().Date()
}

// AddDays returns d + n days.
func (d Day) AddDays(n int) Day { return d + Day(n) }

// AddYears returns the same month and day n years later (29 Feb rolls to 1 Mar).
func (d Day) AddYears(n int) Day {
	y, m, dd := d.Civil()
	return Date(y+n, m, dd)
}

// Time returns midnight of d in Beijing time plus the given seconds of the day.
func (d Day) Time(secOfDay int) time.Time {
	y, m, dd := d.Civil()
	return time.Date(y, m, dd, 0, 0, secOfDay, 0, Beijing)
}

// String renders yyyy-MM-dd, or "" for no date.
func (d Day) String() string {
	if d == 0 {
		return ""
	}
	return string(d.Append(make([]byte, 0, 10)))
}

// Append appends yyyy-MM-dd (nothing for no date).
func (d Day) Append(b []byte) []byte {
	if d == 0 {
		return b
	}
	y, m, dd := d.Civil()
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, int(m), 2)
	b = append(b, '-')
	return appendPadded(b, dd, 2)
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
