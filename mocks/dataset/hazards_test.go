package dataset

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestDataBeforeHazardsGolden pins everything a seed gave before the hazard records were added
// (the hash was taken on the generator without them): drawing the hazards from their own stream
// must leave the enterprises, the roster, the certificates, the registrations and the alarms
// byte-identical.
func TestDataBeforeHazardsGolden(t *testing.T) {
	ds := generate(t, Params{Seed: 77, Enterprises: 500, BadRecords: 4})
	b, err := json.Marshal([]any{ds.Ledger, ds.Roster, ds.Platform, ds.Certificates, ds.Employments, ds.Alarms, ds.Bad, ds.Gaps})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "data-seed77.sha256", b)
}

// TestHazardsGolden pins the hazard records and the workbook with the hazard sheets.
func TestHazardsGolden(t *testing.T) {
	ds := generate(t, Params{Seed: 77, Enterprises: 500, BadRecords: 4})
	b, err := json.Marshal([]any{ds.HazardLedger, ds.PlatformHazards, ds.Inspections, ds.Drills, ds.HazardGaps})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "hazards-seed77.sha256", b)
	var w bytes.Buffer
	if err := ds.WriteWorkbook(&w, WithHazardSheets()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "workbook-hazards-seed77.sha256", workbookContent(t, w.Bytes()))
}

var (
	yhidShape = regexp.MustCompile(`^YH350582\d{7}$`)
	lybhShape = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
)

// TestHazardRecordsFollowTheContract checks every generated hazard against contracts/hazards.md
// and that the cases the sync and the rules need are there, for several seeds and sizes.
func TestHazardRecordsFollowTheContract(t *testing.T) {
	for _, p := range []Params{{Seed: 3}, {Seed: 11, Enterprises: 60}, {Seed: 77, Enterprises: 500, BadRecords: 4}} {
		ds := generate(t, p)
		ref := ds.Params.Reference
		refStart := ref.Time(0)
		platform := map[string]*Hazard{}
		industry := map[string]string{}
		for _, e := range slices.Concat(ds.Ledger, ds.Platform) {
			industry[e.USCC] = e.Industry
		}
		seen := map[string]bool{}
		for i := range ds.PlatformHazards {
			h := &ds.PlatformHazards[i]
			if !yhidShape.MatchString(h.PlatformID) || seen[h.PlatformID] {
				t.Errorf("seed %d: yhid %q malformed or repeated", p.Seed, h.PlatformID)
			}
			seen[h.PlatformID] = true
			if (h.Source == "QYZC") != (h.StreetID == "") || h.StreetID != "" && !lybhShape.MatchString(h.StreetID) {
				t.Errorf("seed %d %s: source %s with lybh %q; want lybh exactly on street hazards", p.Seed, h.PlatformID, h.Source, h.StreetID)
			}
			if h.StreetID != "" {
				platform[h.StreetID] = h
			}
			if h.EnterpriseID == "" || h.EnterpriseName == "" || h.UpdatedAt.IsZero() || !h.UpdatedAt.Before(refStart) ||
				h.UpdatedAt.Before(h.StatusAt) {
				t.Errorf("seed %d %s: qyid %q qymc %q gxsj %v (status at %v): want set, after the status, before the reference day",
					p.Seed, h.PlatformID, h.EnterpriseID, h.EnterpriseName, h.UpdatedAt, h.StatusAt)
			}
			checkHazard(t, p.Seed, h, ref, industry)
		}
		notPushed := map[int]bool{}
		for _, i := range ds.HazardGaps.NotPushed {
			notPushed[i] = true
		}
		cover := map[string]int{}
		for i := range ds.HazardLedger {
			h := &ds.HazardLedger[i]
			checkHazard(t, p.Seed, h, ref, industry)
			if h.Source == "QYZC" || h.PlatformID != "" || !h.UpdatedAt.IsZero() {
				t.Errorf("seed %d ledger row %d: source %s, yhid %q, gxsj %v: want a street hazard without platform fields", p.Seed, i, h.Source, h.PlatformID, h.UpdatedAt)
			}
			pc := platform[h.StreetID]
			if (pc == nil) != notPushed[i] {
				t.Errorf("seed %d ledger row %d (%q): on the platform %v, listed as not pushed %v", p.Seed, i, h.StreetID, pc != nil, notPushed[i])
			}
			merged := *h
			if pc != nil && pc.Status > h.Status {
				merged.Status = pc.Status
			}
			if got, want := h.Expect, contractRules(&merged, ref); !slices.Equal(got, want) {
				t.Errorf("seed %d ledger row %d: Expect %v, the contract gives %v", p.Seed, i, got, want)
			}
			for _, r := range h.Expect {
				cover[r]++
			}
			if h.Level == "2" && h.Clause == "3-2" && h.Status != "3" {
				cover["open 3-2"]++
			}
			if h.Status == "3" {
				cover["closed"]++
			}
			if h.Status == "2" {
				cover["rectified"]++
			}
			if h.StreetID == "" {
				cover["no 隐患编号"]++
			}
		}
		for _, h := range ds.PlatformHazards {
			if h.Source == "QYZC" {
				cover["QYZC"]++
				if h.Level == "2" {
					cover["QYZC major"]++
				}
				if got, want := h.Expect, contractRules(&h, ref); !slices.Equal(got, want) {
					t.Errorf("seed %d %s: Expect %v, the contract gives %v", p.Seed, h.PlatformID, got, want)
				}
			}
		}
		for _, c := range []string{RuleMajorHazardOpen, RuleHazardOverdue, RuleHazardDueSoon, "open 3-2", "closed", "rectified",
			"no 隐患编号", "QYZC", "QYZC major"} {
			if cover[c] == 0 {
				t.Errorf("seed %d: no hazard for %q", p.Seed, c)
			}
		}
		for _, lybh := range ds.HazardGaps.StatusAhead {
			l, pc := ledgerHazard(ds, lybh), platform[lybh]
			if l == nil || pc == nil || pc.Status <= l.Status {
				t.Errorf("seed %d: %s is listed as ahead on the platform: ledger %v, platform %v", p.Seed, lybh, l, pc)
			}
		}
		for _, lybh := range ds.HazardGaps.Drift {
			l, pc := ledgerHazard(ds, lybh), platform[lybh]
			if l == nil || pc == nil || pc.Location == l.Location {
				t.Errorf("seed %d: %s is listed as drifted: ledger %v, platform %v", p.Seed, lybh, l, pc)
			}
		}
		if len(ds.HazardGaps.StatusAhead) == 0 || len(ds.HazardGaps.Drift) == 0 {
			t.Errorf("seed %d: gaps %+v, want a status ahead and a drift", p.Seed, ds.HazardGaps)
		}
	}
}

// checkHazard holds one record to the contract's field rules.
func checkHazard(t *testing.T, seed int64, h *Hazard, ref Day, industry map[string]string) {
	t.Helper()
	id := h.PlatformID + h.StreetID
	switch {
	case h.Level != "1" && h.Level != "2":
		t.Errorf("seed %d %s: level %q", seed, id, h.Level)
	case (h.Level == "2") != (h.Clause != ""):
		t.Errorf("seed %d %s: level %s with clause %q; want a clause exactly on major hazards", seed, id, h.Level, h.Clause)
	case h.Clause != "" && h.Clause != "3-1" && h.Clause != "3-2" && h.Clause != "3-3":
		t.Errorf("seed %d %s: clause %q", seed, id, h.Clause)
	case h.Clause == "3-3" && industry[h.USCC] != "YJ" && industry[h.USCC] != "YS":
		t.Errorf("seed %d %s: clause 3-3 (metal smelting) on a %s enterprise", seed, id, industry[h.USCC])
	case h.FoundOn >= ref || h.Deadline < h.FoundOn:
		t.Errorf("seed %d %s: found %s, deadline %s (reference %s)", seed, id, h.FoundOn, h.Deadline, ref)
	case h.Status < "0" || h.Status > "3" || len(h.Status) != 1:
		t.Errorf("seed %d %s: status %q", seed, id, h.Status)
	case h.Status != "0" && (h.StatusNote == "" || h.StatusBy == "" || !h.StatusAt.Before(ref.Time(0))):
		t.Errorf("seed %d %s: status %s noted %q by %q at %v", seed, id, h.Status, h.StatusNote, h.StatusBy, h.StatusAt)
	case h.Description == "" || h.FoundBy == "" || h.Responsible == "":
		t.Errorf("seed %d %s: required text missing: %+v", seed, id, h)
	}
}

// contractRules are the hazard rules of contracts/hazards.md, written here from the contract.
func contractRules(h *Hazard, ref Day) []string {
	var out []string
	if h.Level == "2" && h.Status != "3" {
		out = append(out, RuleMajorHazardOpen)
	}
	pending := h.Status == "0" || h.Status == "1"
	if pending && h.Deadline < ref {
		out = append(out, RuleHazardOverdue)
	} else if pending && h.Deadline-ref <= DueSoonDays {
		out = append(out, RuleHazardDueSoon) // overdue wins: the two do not stack
	}
	return out
}

func ledgerHazard(ds *Dataset, lybh string) *Hazard {
	for i := range ds.HazardLedger {
		if ds.HazardLedger[i].StreetID == lybh {
			return &ds.HazardLedger[i]
		}
	}
	return nil
}

// monthsLater is the calendar's "n months later", the end of a shorter month for a day it lacks,
// written here with time.Time on its own.
func monthsLater(d Day, n int) Day {
	y, m, dd := d.Civil()
	t := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	if last := t.AddDate(0, 1, -1).Day(); dd > last {
		dd = last
	}
	return DayOf(time.Date(t.Year(), t.Month(), dd, 12, 0, 0, 0, Beijing))
}

// TestInspectionsAndDrillsFollowTheContract re-derives the quarterly-check and drill gaps from
// the records and the contract's definitions and checks the cases the rule tests need.
func TestInspectionsAndDrillsFollowTheContract(t *testing.T) {
	for _, p := range []Params{{Seed: 3}, {Seed: 5, Reference: Date(2026, 3, 20)}, {Seed: 9, Reference: Date(2026, 4, 1)}} {
		ds := generate(t, p)
		ref := ds.Params.Reference
		y, m, _ := ref.Civil()
		q0 := Date(y, time.Month((int(m)-1)/3*3+1), 1)
		if QuarterStart(ref) != q0 {
			t.Errorf("QuarterStart(%s) = %s, want %s", ref, QuarterStart(ref), q0)
		}
		checked, ids := map[string]bool{}, map[string]bool{}
		for _, in := range ds.Inspections {
			if ids[in.ID] || in.Date >= ref || !in.UpdatedAt.Before(ref.Time(0)) || in.LedBy == "" ||
				in.Type != "ZYFZR" && in.Type != "RC" && in.Type != "ZX" {
				t.Errorf("seed %d: inspection %+v", p.Seed, in)
			}
			ids[in.ID] = true
			if in.Type == "ZYFZR" && in.Date >= q0 {
				checked[in.USCC] = true
			}
		}
		ledger := map[string]bool{}
		var missing []string
		for _, e := range ds.Ledger[:ds.Params.Enterprises] {
			ledger[e.USCC] = true
			if e.Status == "1" && e.KeyRisks != "" && !checked[e.USCC] {
				missing = append(missing, e.USCC)
			}
		}
		keyChecked := 0
		for _, e := range ds.Platform {
			if e.Status == "1" && e.KeyRisks != "" && checked[e.USCC] {
				keyChecked++
			}
			if !ledger[e.USCC] && e.Status == "1" && e.KeyRisks != "" && !checked[e.USCC] {
				missing = append(missing, e.USCC)
			}
		}
		if !slices.Equal(missing, ds.HazardGaps.QuarterlyCheckMissing) || len(missing) == 0 {
			t.Errorf("seed %d: quarterly check missing %v, the records give %v (want some)", p.Seed, ds.HazardGaps.QuarterlyCheckMissing, missing)
		}
		if ref > q0 && keyChecked == 0 {
			t.Errorf("seed %d: no key-type enterprise had its principal-led check this quarter", p.Seed)
		}

		latest, other := map[string]Day{}, map[string]bool{}
		for _, d := range ds.Drills {
			if d.Date >= ref || d.Participants < 1 || d.Type != DrillEvacuation && d.Type != DrillComprehensive && d.Type != DrillSpecial {
				t.Errorf("seed %d: drill %+v", p.Seed, d)
			}
			if d.Type == DrillEvacuation {
				latest[d.USCC] = max(latest[d.USCC], d.Date)
			} else {
				other[d.USCC] = true
			}
		}
		var overdue, none []string
		cover := map[string]bool{}
		for _, e := range ds.Ledger[:ds.Params.Enterprises] {
			if e.Status != "1" {
				continue
			}
			months := 12
			if e.FactoryInFactory || e.Employees >= 100 {
				months = 6
			}
			d, ok := latest[e.USCC]
			switch {
			case !ok:
				none = append(none, e.USCC)
			case monthsLater(d, months) < ref:
				overdue = append(overdue, e.USCC)
				switch {
				case months == 6 && e.FactoryInFactory && monthsLater(d, 12) >= ref:
					cover["厂中厂 overdue at 6 months"] = true
				case months == 6 && !e.FactoryInFactory && monthsLater(d, 12) >= ref:
					cover["labour-intensive overdue at 6 months"] = true
				case months == 12 && other[e.USCC]:
					cover["old evacuation drill, recent other drill"] = true
				}
			case monthsLater(d, months) == ref:
				cover["exactly "+map[int]string{6: "6", 12: "12"}[months]+" months ago"] = true
			}
		}
		if !slices.Equal(overdue, ds.HazardGaps.DrillsOverdue) || !slices.Equal(none, ds.HazardGaps.NoDrills) {
			t.Errorf("seed %d: overdue %v and none %v, the records give %v and %v", p.Seed,
				ds.HazardGaps.DrillsOverdue, ds.HazardGaps.NoDrills, overdue, none)
		}
		for _, c := range []string{"厂中厂 overdue at 6 months", "labour-intensive overdue at 6 months",
			"old evacuation drill, recent other drill", "exactly 6 months ago", "exactly 12 months ago"} {
			if !cover[c] {
				t.Errorf("seed %d: no enterprise with %s", p.Seed, c)
			}
		}
		if len(none) == 0 {
			t.Errorf("seed %d: every enterprise has a drill; want one without", p.Seed)
		}
	}
}

func TestWorkbookHazardSheets(t *testing.T) {
	ds := generate(t, Params{Seed: 1, Enterprises: 60, BadRecords: 4})
	var w bytes.Buffer
	if err := ds.WriteWorkbook(&w, WithHazardSheets()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&w)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetEnterprises, SheetOperators, SheetHazards, SheetDrills}) {
		t.Errorf("sheets %v", got)
	}
	forms := map[string]bool{}
	for sheet, want := range map[string]struct {
		headers []string
		rows    int
	}{SheetHazards: {HazardHeaders, len(ds.HazardLedger)}, SheetDrills: {DrillHeaders, len(ds.Drills)}} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], want.headers) || len(rows)-1 != want.rows {
			t.Errorf("%s: headers %v and %d rows, want %v and %d", sheet, rows[0], len(rows)-1, want.headers, want.rows)
		}
		if sheet != SheetHazards {
			continue
		}
		for _, r := range rows[1:] {
			r = append(r, make([]string, len(HazardHeaders))...)
			switch clause := r[4]; {
			case clause == "":
			case strings.HasPrefix(clause, "第") && strings.Contains(clause, "（"):
				forms["第三条第（二）项"] = true
			case strings.HasPrefix(clause, "第"):
				forms["第三条第二项"] = true
			default:
				forms["3-2"] = true
			}
			if r[8] == "" {
				forms["来源 left empty"] = true
			}
			if r[0] == "" {
				forms["隐患编号 left empty"] = true
			}
		}
	}
	for _, f := range []string{"第三条第（二）项", "第三条第二项", "3-2", "来源 left empty", "隐患编号 left empty"} {
		if !forms[f] {
			t.Errorf("the 隐患台账 sheet never writes %s", f)
		}
	}
	var plain bytes.Buffer
	if err := ds.WriteWorkbook(&plain); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(plain.Bytes(), w.Bytes()) {
		t.Error("the option changed nothing")
	}
}
