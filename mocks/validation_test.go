package mocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/mapping"
	"streetsync/mocks/dataset"
)

// TestGeneratedDataPassesMappingValidation reads what the generator wrote — the workbook, the
// Quanzhou records, the certificates, the alarms — through mapping's validation: every record
// passes except the deliberately bad rows, and those fail on the column the generator flagged.
func TestGeneratedDataPassesMappingValidation(t *testing.T) {
	ref := dataset.Date(2026, 1, 15)
	now := func() time.Time { return ref.Time(9 * 3600) }
	ds, err := dataset.Generate(dataset.Params{Seed: 2024, Enterprises: 150, Reference: ref, BadRecords: 8, PilotUSCCs: 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Options{Seed: 2024, Dataset: ds, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := ref.Civil()
	today := mapping.Date{Year: y, Month: m, Day: d}
	cat := mapping.DefaultCatalog()

	bad := map[string]dataset.BadRecord{}
	for _, b := range ds.Bad {
		bad[fmt.Sprintf("%s:%d", b.Sheet, b.Row)] = b
	}
	var buf bytes.Buffer
	if err := ds.WriteWorkbook(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range []string{dataset.SheetEnterprises, dataset.SheetOperators} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		for i, cells := range rows[1:] {
			rowNo := i + 2
			row := map[string]string{}
			for j, h := range header {
				if j < len(cells) {
					row[h] = cells[j]
				} else {
					row[h] = ""
				}
			}
			var ps mapping.Problems
			if sheet == dataset.SheetEnterprises {
				_, ps = mapping.EnterpriseFromRow(row, cat)
			} else {
				_, ps = mapping.OperatorFromRow(row, cat, mapping.WithToday(today))
			}
			b, isBad := bad[fmt.Sprintf("%s:%d", sheet, rowNo)]
			switch {
			case isBad && !ps.HasErrors():
				t.Errorf("%s row %d (%s in %s) passed validation, want rejected", sheet, rowNo, b.Kind, b.Column)
			case isBad && !hasErrorLabel(ps, b.Column):
				t.Errorf("%s row %d: problems %q, want one for %s", sheet, rowNo, ps.Errors().Error(), b.Column)
			case !isBad && ps.HasErrors():
				t.Errorf("%s row %d rejected: %s (row %v)", sheet, rowNo, ps.Errors().Error(), row)
			}
		}
	}

	pilot := map[string]bool{}
	for _, e := range ds.Platform {
		pilot[e.USCC] = e.PilotUSCC
	}
	for _, e := range s.Quanzhou.Enterprises() {
		q := mapping.QZEnterprise{Qyid: e.Qyid, Tyshxydm: e.Tyshxydm, Qymc: e.Qymc, Fddbr: e.Fddbr, Zyfzr: e.Zyfzr,
			Zyfzrlxdh: e.Zyfzrlxdh, Aqglry: e.Aqglry, Jydz: e.Jydz, Xzqhdm: e.Xzqhdm, Sqmc: e.Sqmc, Hylb: e.Hylb, Zdlx: e.Zdlx,
			Cyrs: mapping.FlexNumber(e.Cyrs), Qyzt: e.Qyzt, Sfczc: e.Sfczc, Bzhdj: e.Bzhdj, Bzhyxq: e.Bzhyxq, Sfnrjcyj: e.Sfnrjcyj, Gxsj: e.Gxsj}
		// Fujian pilot codes are accepted with a warning; nothing else may draw a finding.
		_, ps := mapping.EnterpriseFromQZ(q)
		if ps.HasErrors() || len(ps) > 0 && !pilot[e.Tyshxydm] {
			t.Errorf("platform enterprise %s: %s", e.Tyshxydm, ps.Error())
		}
	}
	for _, a := range s.Quanzhou.Alarms() {
		var q mapping.QZAlarm
		roundTrip(t, a, &q)
		if _, ps := mapping.AlarmFromQZ(q); len(ps) > 0 {
			t.Errorf("alarm %s: %s", a.Bjid, ps.Error())
		}
	}
	unknown := 0
	for _, c := range s.SpecialOps.Certificates() {
		var w mapping.TZCertificate
		roundTrip(t, c, &w)
		_, ps := mapping.CertificateFromTZ(w, cat, mapping.WithToday(today))
		if ps.HasErrors() {
			t.Errorf("certificate %s/%s: %s", c.CertNo, c.ItemCode, ps.Errors().Error())
		}
		if len(ps.Warnings()) > 0 {
			unknown++
		}
	}
	if unknown == 0 {
		t.Error("no certificate drew a warning; want the unknown item codes reported")
	}
}

func hasErrorLabel(ps mapping.Problems, column string) bool {
	for _, p := range ps.Errors() {
		if p.Label == column {
			return true
		}
	}
	return false
}

func roundTrip(t *testing.T, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}
