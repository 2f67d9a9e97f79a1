package mocks

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/mapping"
	"streetsync/mocks/dataset"
)

// TestGeneratedHazardsPassMappingValidation reads the generated hazard records — the workbook's
// 隐患台账 and 演练记录 sheets, the platform's hazards and inspections — through mapping: every
// record passes, every clause is one the built-in list knows, and the street's rows mean what
// the generator meant.
func TestGeneratedHazardsPassMappingValidation(t *testing.T) {
	ref := dataset.Date(2026, 1, 15)
	ds, err := dataset.Generate(dataset.Params{Seed: 2024, Enterprises: 150, Reference: ref, BadRecords: 8, PilotUSCCs: 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Options{Seed: 2024, Dataset: ds, Now: func() time.Time { return ref.Time(9 * 3600) }})
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := ref.Civil()
	today := mapping.WithToday(mapping.Date{Year: y, Month: m, Day: d})
	// Fujian pilot codes are accepted with a warning; nothing else may draw a finding.
	pilot := map[string]bool{}
	for _, e := range ds.Ledger {
		pilot[e.USCC] = e.PilotUSCC
	}
	clean := func(ps mapping.Problems, uscc string) bool { return !ps.HasErrors() && (len(ps) == 0 || pilot[uscc]) }

	var buf bytes.Buffer
	if err := ds.WriteWorkbook(&buf, dataset.WithHazardSheets()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := sheetRows(t, f, dataset.SheetHazards)
	if len(rows) != len(ds.HazardLedger) {
		t.Fatalf("%d rows in 隐患台账, want %d", len(rows), len(ds.HazardLedger))
	}
	for i, row := range rows {
		h := mapping.Hazard{StreetID: row["隐患编号"], USCC: row["统一社会信用代码"], Description: row["隐患描述"],
			Level: mapping.HazardLevel(row["隐患等级"]), Clause: row["判定依据"], Location: row["隐患部位"],
			FoundBy: row["发现人"], Source: mapping.HazardSource(row["来源"]), Responsible: row["整改责任人"],
			Measures: row["整改措施"], Status: mapping.HazardStatus(row["整改状态"]), Remark: row["备注"]}
		var ps mapping.Problems
		for _, dt := range []struct {
			header string
			dst    *mapping.Date
		}{{"发现日期", &h.FoundOn}, {"整改期限", &h.Deadline}} {
			if *dt.dst, err = mapping.ParseDate(row[dt.header]); err != nil {
				t.Errorf("隐患台账 row %d: %s %q: %v", i+2, dt.header, row[dt.header], err)
			}
		}
		if h.Source == "" {
			h.Source = mapping.SourceStreet // the sheet's default
		}
		mapping.NormalizeHazard(&h, nil)
		ps = append(ps, mapping.ValidateHazard(&h, nil, today)...)
		if !clean(ps, h.USCC) {
			t.Errorf("隐患台账 row %d: %s (row %v)", i+2, ps.Error(), row)
		}
		want := ds.HazardLedger[i]
		if h.StreetID != want.StreetID || string(h.Level) != want.Level || h.Clause != want.Clause ||
			string(h.Source) != want.Source || string(h.Status) != want.Status || h.FoundOn.String() != want.FoundOn.String() ||
			h.Deadline.String() != want.Deadline.String() {
			t.Errorf("隐患台账 row %d reads as %+v, the generator wrote %+v", i+2, h, want)
		}
	}
	drills := sheetRows(t, f, dataset.SheetDrills)
	for i, row := range drills {
		dr := mapping.Drill{USCC: row["统一社会信用代码"], Type: mapping.DrillType(row["演练类型"]), Remark: row["备注"]}
		dr.Date, err = mapping.ParseDate(row["演练日期"])
		n, ok := mapping.ParseCount(row["参加人数"])
		if err != nil || !ok {
			t.Errorf("演练记录 row %d: date %q (%v), participants %q", i+2, row["演练日期"], err, row["参加人数"])
		}
		dr.Participants = n
		mapping.NormalizeDrill(&dr)
		if ps := mapping.ValidateDrill(&dr, today); !clean(ps, dr.USCC) {
			t.Errorf("演练记录 row %d: %s", i+2, ps.Error())
		}
		if want := ds.Drills[i]; dr.Type.Label() != want.Type || dr.Participants != want.Participants {
			t.Errorf("演练记录 row %d reads as %+v, the generator wrote %+v", i+2, dr, want)
		}
	}

	hazards := s.Quanzhou.Hazards()
	if len(hazards) != len(ds.PlatformHazards) {
		t.Fatalf("the platform holds %d hazards, want %d", len(hazards), len(ds.PlatformHazards))
	}
	for _, x := range hazards {
		var q mapping.QZHazard
		roundTrip(t, x, &q)
		h, ps := mapping.HazardFromQZ(q, nil)
		if !clean(ps, h.USCC) {
			t.Errorf("platform hazard %s: %s", x.Yhid, ps.Error())
		}
		if h.Source == mapping.SourceEnterprise {
			continue
		}
		if ps := mapping.ValidateHazard(&h, nil, today); !clean(ps, h.USCC) {
			t.Errorf("platform copy of street hazard %s: %s", x.Lybh, ps.Error())
		}
	}
	for _, x := range s.Quanzhou.Inspections() {
		var q mapping.QZInspection
		roundTrip(t, x, &q)
		if in, ps := mapping.InspectionFromQZ(q); !clean(ps, in.USCC) {
			t.Errorf("inspection %s: %s", x.Jcid, ps.Error())
		}
	}
}

// sheetRows returns a sheet's rows below the header as header → cell.
func sheetRows(t *testing.T, f *excelize.File, sheet string) []map[string]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, cells := range rows[1:] {
		row := map[string]string{}
		for j, h := range rows[0] {
			if j < len(cells) {
				row[h] = cells[j]
			}
		}
		out = append(out, row)
	}
	return out
}
