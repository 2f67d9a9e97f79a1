package jobs

import (
	"testing"

	"streetsync/connectors/quanzhou"
)

// A listing's mark is read as stored now (JSON with the second's last id), as an older
// installation stored it (the bare gxsj), and anything else lists from the beginning.
func TestWatermarksReadTheirFormats(t *testing.T) {
	for _, c := range []struct {
		stored string
		want   quanzhou.Mark
	}{
		{"", quanzhou.Mark{}},
		{"2026-01-15 12:00:00", quanzhou.Mark{Gxsj: "2026-01-15 12:00:00"}},
		{`{"gxsj":"2026-01-15 12:00:00","last":"QY35058200001234"}`, quanzhou.Mark{Gxsj: "2026-01-15 12:00:00", Last: "QY35058200001234"}},
		{`{"gxsj":"2026-01-15 12:00:00"}`, quanzhou.Mark{Gxsj: "2026-01-15 12:00:00"}},
		{`{"gxsj":"yesterday","last":"QY1"}`, quanzhou.Mark{}},
		{`{"gxsj":`, quanzhou.Mark{}},
		{"15/01/2026", quanzhou.Mark{}},
	} {
		if got := parseWatermark(c.stored); got != c.want {
			t.Errorf("parseWatermark(%q) = %+v, want %+v", c.stored, got, c.want)
		}
	}
}
