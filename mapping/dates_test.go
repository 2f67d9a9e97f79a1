package mapping

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	may21 := Date{2024, time.May, 21}
	cases := []struct {
		name string
		in   string
		want Date
		err  error
	}{
		{"ISO", "2024-05-21", may21, nil},
		{"ISO without leading zeros", "2024-5-21", may21, nil},
		{"slashes", "2024/5/21", may21, nil},
		{"slashes with zeros", "2024/05/21", may21, nil},
		{"dots", "2024.05.21", may21, nil},
		{"dots without zeros", "2024.5.21", may21, nil},
		{"compact", "20240521", may21, nil},
		{"Chinese", "2024年5月21日", may21, nil},
		{"Chinese with zeros", "2024年05月21日", may21, nil},
		{"Chinese with 号", "2024年5月21号", may21, nil},
		{"Chinese without 日", "2024年5月21", may21, nil},
		{"Chinese with a time", "2024年5月21日上午9时", may21, nil},
		{"full-width digits", "２０２４－０５－２１", may21, nil},
		{"spaced Chinese", "2024 年 5 月 21 日", may21, nil},
		{"spaced separators", "2024 - 05 - 21", may21, nil},
		{"spaced Chinese with a time", "2024 年 5 月 21 日 9时", may21, nil},
		{"full-width Chinese", "２０２４年５月２１日", may21, nil},
		{"surrounding white space", " \u30002024-05-21\t", may21, nil},
		{"time ignored", "2024-05-21 09:30:00", may21, nil},
		{"time without seconds ignored", "2024/5/21 9:30", may21, nil},
		{"RFC 3339 time ignored", "2024-05-21T09:30:00+08:00", may21, nil},
		{"compact with time ignored", "20240521 093000", may21, nil},
		{"Excel serial", "45433", may21, nil},
		{"Excel date-time serial", "45433.375", may21, nil},
		{"Excel serial with trailing space", "45433 ", may21, nil},
		{"Excel serial 1 is 1900-01-01", "1", Date{1900, time.January, 1}, nil},
		{"Excel serial 59 is 1900-02-28", "59", Date{1900, time.February, 28}, nil},
		{"Excel serial 60 is Excel's fake 1900-02-29", "60", Date{}, ErrNoSuchDate},
		{"Excel serial 61 is 1900-03-01", "61", Date{1900, time.March, 1}, nil},
		{"Excel serial 0", "0", Date{}, ErrNoSuchDate},
		{"leap day", "2024-02-29", Date{2024, time.February, 29}, nil},
		{"no leap day", "2023-02-29", Date{}, ErrNoSuchDate},
		{"no leap day in 1900", "1900-02-29", Date{}, ErrNoSuchDate},
		{"leap day in 2000", "2000-02-29", Date{2000, time.February, 29}, nil},
		{"month 13", "2024-13-01", Date{}, ErrNoSuchDate},
		{"day 32", "2024-01-32", Date{}, ErrNoSuchDate},
		{"April 31", "2024-04-31", Date{}, ErrNoSuchDate},
		{"compact impossible", "20241340", Date{}, ErrNoSuchDate},
		{"empty is no date", "", Date{}, nil},
		{"white space is no date", "  ", Date{}, nil},
		{"a year alone", "2024", Date{}, ErrDateFormat},
		{"mixed separators", "2024-05/21", Date{}, ErrDateFormat},
		{"two-digit year", "24-05-21", Date{}, ErrDateFormat},
		{"six digits", "240521", Date{}, ErrDateFormat},
		{"trailing garbage", "2024-05-21abc", Date{}, ErrDateFormat},
		{"three-digit month", "2024-005-21", Date{}, ErrDateFormat},
		{"text", "长期", Date{}, ErrDateFormat},
		{"missing day", "2024-05", Date{}, ErrDateFormat},
		{"missing day Chinese", "2024年5月", Date{}, ErrDateFormat},
		{"negative serial", "-1", Date{}, ErrDateFormat},
		{"Excel fraction without digits", "45433.", Date{}, ErrDateFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDate(c.in)
			if got != c.want || !errors.Is(err, c.err) {
				t.Errorf("ParseDate(%q) = %v, %v; want %v, %v", c.in, got, err, c.want, c.err)
			}
		})
	}
}

func TestParseDateDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"2024-05-21", "２０２４年５月２１日", "45433"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseDate(s) }); n != 0 {
			t.Errorf("ParseDate(%q): %v allocations, want 0", s, n)
		}
	}
}

func TestDateStringRoundTrip(t *testing.T) {
	for _, d := range []Date{{2024, time.May, 21}, {1900, time.January, 1}, {2099, time.December, 31}, {5, time.March, 7}} {
		got, err := ParseDate(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", d.String(), got, err, d)
		}
	}
	if s := (Date{}).String(); s != "" {
		t.Errorf("zero Date String() = %q, want \"\"", s)
	}
}

func TestDateJSON(t *testing.T) {
	type rec struct {
		Until Date `json:"until"`
	}
	b, err := json.Marshal(rec{Date{2026, time.March, 1}})
	if err != nil || string(b) != `{"until":"2026-03-01"}` {
		t.Errorf("Marshal = %s, %v; want {\"until\":\"2026-03-01\"}", b, err)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"until":"2026/3/1"}`), &r); err != nil || r.Until != (Date{2026, time.March, 1}) {
		t.Errorf("Unmarshal = %v, %v; want 2026-03-01", r.Until, err)
	}
	if err := json.Unmarshal([]byte(`{"until":""}`), &r); err != nil || !r.Until.IsZero() {
		t.Errorf("Unmarshal empty = %v, %v; want zero", r.Until, err)
	}
	if err := json.Unmarshal([]byte(`{"until":"never"}`), &r); err == nil {
		t.Error("Unmarshal of a non-date succeeded")
	}
}

func TestParseBeijingTime(t *testing.T) {
	want := time.Date(2024, time.May, 21, 9, 30, 0, 0, Beijing())
	cases := []struct {
		name string
		in   string
		want time.Time
		ok   bool
	}{
		{"Quanzhou form is Beijing time", "2024-05-21 09:30:00", want, true},
		{"RFC 3339 +08:00", "2024-05-21T09:30:00+08:00", want, true},
		{"RFC 3339 Z", "2024-05-21T01:30:00Z", want, true},
		{"RFC 3339 other offset", "2024-05-20T20:30:00-05:00", want, true},
		{"RFC 3339 fraction", "2024-05-21T09:30:00.250+08:00", want.Add(250 * time.Millisecond), true},
		{"RFC 3339 nanoseconds", "2024-05-21T01:30:00.123456789Z", want.Add(123456789), true},
		{"T without offset is Beijing", "2024-05-21T09:30:00", want, true},
		{"surrounding spaces", " 2024-05-21 09:30:00 ", want, true},
		{"empty is zero", "", time.Time{}, true},
		{"date only", "2024-05-21", time.Time{}, false},
		{"hour 24", "2024-05-21 24:00:00", time.Time{}, false},
		{"no such day", "2024-02-30 09:30:00", time.Time{}, false},
		{"slashes", "2024/05/21 09:30:00", time.Time{}, false},
		{"bad offset", "2024-05-21T09:30:00+0800", time.Time{}, false},
		{"fraction without digits", "2024-05-21T09:30:00.Z", time.Time{}, false},
		{"letters", "2024-05-21 09:3a:00", time.Time{}, false},
		{"year 1 that is year 0 in Beijing", "0001-01-01 00:00:00+09:00", time.Time{}, false},
		{"year 9999 that is year 10000 in Beijing", "9999-12-31T23:30:00-09:00", time.Time{}, false},
		{"the first second of year 1 in Beijing", "0001-01-01 00:00:00", time.Date(1, 1, 1, 0, 0, 0, 0, Beijing()), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseBeijingTime(c.in)
			if (err == nil) != c.ok || !got.Equal(c.want) {
				t.Errorf("ParseBeijingTime(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
			}
			if err == nil && !got.IsZero() && got.Location() != Beijing() {
				t.Errorf("ParseBeijingTime(%q) is in %v, want Beijing", c.in, got.Location())
			}
		})
	}
}

func TestFormatTimes(t *testing.T) {
	tm := time.Date(2024, time.May, 21, 1, 30, 5, 0, time.UTC)
	if got := FormatBeijingTime(tm); got != "2024-05-21 09:30:05" {
		t.Errorf("FormatBeijingTime = %q, want 2024-05-21 09:30:05", got)
	}
	if got := FormatRFC3339(tm); got != "2024-05-21T09:30:05+08:00" {
		t.Errorf("FormatRFC3339 = %q, want 2024-05-21T09:30:05+08:00", got)
	}
	if got := FormatRFC3339(tm.Add(250 * time.Millisecond)); got != "2024-05-21T09:30:05.25+08:00" {
		t.Errorf("FormatRFC3339 with a fraction = %q, want 2024-05-21T09:30:05.25+08:00", got)
	}
	if got := FormatRFC3339(tm.Add(7)); got != "2024-05-21T09:30:05.000000007+08:00" {
		t.Errorf("FormatRFC3339 with nanoseconds = %q", got)
	}
	if FormatBeijingTime(time.Time{}) != "" || FormatRFC3339(time.Time{}) != "" {
		t.Error("zero time does not format as \"\"")
	}
	for _, s := range []string{FormatBeijingTime(tm), FormatRFC3339(tm)} {
		if back, err := ParseBeijingTime(s); err != nil || !back.Equal(tm) {
			t.Errorf("ParseBeijingTime(%q) = %v, %v; want %v", s, back, err, tm)
		}
	}
}
