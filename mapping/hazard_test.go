package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var hazardToday = WithToday(Date{2026, time.January, 15})

// validHazard is a street-found major hazard as the workbook gives it after normalization.
func validHazard() Hazard {
	return Hazard{
		StreetID:    "LY-2026-0007",
		USCC:        "91350100M000100Y43",
		RegionCode:  "350582006",
		Source:      SourceStreet,
		Level:       HazardMajor,
		Clause:      "3-2",
		Description: "电焊作业人员未取得熔化焊接与热切割作业操作证上岗作业",
		Location:    "二号车间",
		FoundOn:     Date{2026, time.January, 10},
		FoundBy:     "林芳",
		Deadline:    Date{2026, time.January, 17},
		Responsible: "陈志强",
		Measures:    "立即停止其作业，安排持证人员上岗",
		Status:      HazardRectifying,
		StatusNote:  "已停止无证人员作业",
		StatusBy:    "陈志强",
		StatusAt:    time.Date(2026, time.January, 11, 10, 20, 0, 0, Beijing()),
	}
}

func TestHazardLabels(t *testing.T) {
	type parsed struct {
		code  string
		ok    bool
		label string
	}
	parsers := map[string]func(string) parsed{
		"level": func(s string) parsed { v, ok := ParseHazardLevel(s); return parsed{string(v), ok, v.Label()} },
		"source": func(s string) parsed {
			v, ok := ParseHazardSource(s)
			return parsed{string(v), ok, v.Label()}
		},
		"status": func(s string) parsed { v, ok := ParseHazardStatus(s); return parsed{string(v), ok, v.Label()} },
		"inspection": func(s string) parsed {
			v, ok := ParseInspectionType(s)
			return parsed{string(v), ok, v.Label()}
		},
		"drill": func(s string) parsed { v, ok := ParseDrillType(s); return parsed{string(v), ok, v.Label()} },
	}
	cases := []struct {
		kind, in, want string
		ok             bool
	}{
		{"level", "一般", "1", true}, {"level", "重大", "2", true}, {"level", "重大事故隐患", "2", true},
		{"level", " 重大隐患 ", "2", true}, {"level", "２", "2", true}, {"level", "一般隐患", "1", true},
		{"level", "较大", "较大", false}, {"level", "", "", false},
		{"source", "街道检查", "JDJC", true}, {"source", "企业自查", "QYZC", true}, {"source", "专家会诊", "ZJHZ", true},
		{"source", "举报投诉", "JBTS", true}, {"source", "举报", "JBTS", true}, {"source", "上级检查", "SJJC", true},
		{"source", "jdjc", "JDJC", true}, {"source", "巡查", "巡查", false},
		{"status", "待整改", "0", true}, {"status", "整改中", "1", true}, {"status", "已整改", "2", true},
		{"status", "已整改（待验收）", "2", true}, {"status", "已整改(待验收)", "2", true}, {"status", "已销号", "3", true},
		{"status", "3", "3", true}, {"status", "4", "4", false}, {"status", "已完成", "已完成", false},
		{"inspection", "ZYFZR", "ZYFZR", true}, {"inspection", "主要负责人带队检查", "ZYFZR", true},
		{"inspection", "日常检查", "RC", true}, {"inspection", "专项", "ZX", true}, {"inspection", "抽查", "抽查", false},
		{"drill", "疏散逃生", "EVACUATION", true}, {"drill", "疏散逃生演练", "EVACUATION", true},
		{"drill", "应急疏散", "EVACUATION", true}, {"drill", "综合", "COMPREHENSIVE", true},
		{"drill", "综合应急演练", "COMPREHENSIVE", true}, {"drill", "专项演练", "SPECIAL", true},
		{"drill", "桌面推演", "桌面推演", false},
	}
	for _, c := range cases {
		got := parsers[c.kind](c.in)
		if got.code != c.want || got.ok != c.ok {
			t.Errorf("%s %q = %q, %v; want %q, %v", c.kind, c.in, got.code, got.ok, c.want, c.ok)
		}
		if c.ok {
			if back := parsers[c.kind](got.label); back.code != got.code || !back.ok {
				t.Errorf("%s: the label %q of %q reads back as %q, %v", c.kind, got.label, got.code, back.code, back.ok)
			}
		} else if got.label != "" {
			t.Errorf("%s %q: unknown value has a label %q", c.kind, c.in, got.label)
		}
	}
}

func TestHazardStatusMoves(t *testing.T) {
	cases := []struct {
		from, to HazardStatus
		want     StatusMove
	}{
		{"", HazardRectifying, MoveForward},
		{HazardPending, HazardRectifying, MoveForward},
		{HazardPending, HazardClosed, MoveForward}, // skipping ahead is allowed
		{HazardRectifying, HazardRectified, MoveForward},
		{HazardRectifying, HazardRectifying, MoveSame},
		{HazardRectified, HazardRectifying, MoveBackward},
		{HazardClosed, HazardPending, MoveBackward},
		{HazardClosed, HazardClosed, MoveSame},
		{HazardRectifying, "", MoveInvalid},
		{HazardRectifying, "9", MoveInvalid},
		{"9", HazardClosed, MoveInvalid},
	}
	for _, c := range cases {
		if got := c.from.MoveTo(c.to); got != c.want {
			t.Errorf("%q → %q = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

func TestValidateStatusMove(t *testing.T) {
	cases := []struct {
		name     string
		from, to HazardStatus
		reason   string // "" when allowed
	}{
		{"forward", HazardPending, HazardRectifying, ""},
		{"skipping to closed", HazardPending, HazardClosed, ""},
		{"a further note on the same status", HazardRectifying, HazardRectifying, ""},
		{"backwards is refused", HazardRectified, HazardRectifying, "整改状态不能回退：当前为已整改，不能改为整改中"},
		{"nothing after closing", HazardClosed, HazardClosed, reasonStatusClosedFinal},
		{"back to pending is never a change", HazardRectifying, HazardPending, reasonStatusTarget},
		{"an unknown status", HazardPending, "9", reasonStatusTarget},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := ValidateStatusMove(c.from, c.to)
			switch {
			case c.reason == "" && len(ps) > 0:
				t.Errorf("got %v, want allowed", ps)
			case c.reason != "" && (len(ps) != 1 || ps[0].Reason != c.reason || ps[0].Label != "整改状态"):
				t.Errorf("got %v, want 整改状态：%s", ps, c.reason)
			}
		})
	}
}

func TestValidateStatusChange(t *testing.T) {
	at := time.Date(2026, time.January, 15, 9, 0, 0, 0, Beijing())
	ok := HazardStatusChange{HazardID: "YH1", Status: HazardClosed, Note: "经街道安办林芳现场验收，已整改到位", Handler: "林芳", At: at}
	if ps := ValidateStatusChange(HazardRectified, &ok); len(ps) > 0 {
		t.Errorf("a complete closing: %v", ps)
	}
	noNote := ok
	noNote.Note = " "
	ps := ValidateStatusChange(HazardRectified, &noNote)
	if len(ps) != 1 || ps[0].Reason != reasonClosingNote {
		t.Errorf("closing without a note: %v, want %q", ps, reasonClosingNote)
	}
	bare := HazardStatusChange{Status: HazardRectifying}
	ps = ValidateStatusChange(HazardPending, &bare)
	if got := ps.Error(); got != "整改说明：不能为空；经办人：不能为空；办理时间：不能为空" {
		t.Errorf("a change without note, handler and time: %q", got)
	}
}

func TestNormalizeHazardReadsTheWorkbookForms(t *testing.T) {
	h := Hazard{
		StreetID:    " ＬＹ－2026－0007 ",
		USCC:        "9135 0100 m000 100y43",
		Source:      "街道检查",
		Level:       "重大",
		Clause:      "第三条第（二）项",
		Description: " 电焊作业人员未取得熔化焊接与热切割作业操作证上岗作业\u200b",
		Location:    "二号车间",
		FoundBy:     "林 芳",
		Responsible: "陈志强",
		Measures:    "立即停止其作业，安排持证人员上岗",
		Status:      "整改中",
		StatusNote:  "已停止无证人员作业",
		StatusBy:    "陈志强",
	}
	NormalizeHazard(&h, nil)
	want := validHazard()
	want.RegionCode, want.FoundOn, want.Deadline, want.StatusAt = "", Date{}, Date{}, time.Time{}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("normalized:\n got %+v\nwant %+v", h, want)
	}
	again := h
	NormalizeHazard(&again, nil)
	if !reflect.DeepEqual(again, h) {
		t.Error("NormalizeHazard is not idempotent")
	}
}

func TestValidateHazardRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(h *Hazard)
		field  string // "" when valid
		sev    Severity
		reason string
	}{
		{"a complete street hazard is valid", func(*Hazard) {}, "", 0, ""},
		{"a general hazard needs no clause", func(h *Hazard) { h.Level, h.Clause = HazardGeneral, "" }, "", 0, ""},
		{"a new hazard without a status is valid", func(h *Hazard) { h.Status, h.StatusNote, h.StatusBy = "", "", "" }, "", 0, ""},
		{"the lybh may be empty (generated on import)", func(h *Hazard) { h.StreetID = "" }, "", 0, ""},
		{"a major hazard needs a clause", func(h *Hazard) { h.Clause = "" }, "clause", SeverityError, reasonRequired},
		{"a clause that is no reference is rejected", func(h *Hazard) { h.Clause = "无证上岗" }, "clause", SeverityError, reasonClauseFormat},
		{"a clause no list knows is kept with a warning", func(h *Hazard) { h.Clause = "4-1" }, "clause", SeverityWarning, reasonClauseUnknown},
		{"a clause on a general hazard is a warning", func(h *Hazard) { h.Level = HazardGeneral }, "clause", SeverityWarning, reasonClauseGeneral},
		{"the enterprise's code is required", func(h *Hazard) { h.USCC = "" }, "uscc", SeverityError, reasonRequired},
		{"the enterprise's code is checked", func(h *Hazard) { h.USCC = "91110108MA01ABCD1X" }, "uscc", SeverityError, reasonCheckChar},
		{"the description is required", func(h *Hazard) { h.Description = "" }, "description", SeverityError, reasonRequired},
		{"the level is required", func(h *Hazard) { h.Level = "" }, "level", SeverityError, reasonRequired},
		{"an unknown level", func(h *Hazard) { h.Level = "较大" }, "level", SeverityError, reasonHazardLevel},
		{"the source is required", func(h *Hazard) { h.Source = "" }, "source", SeverityError, reasonRequired},
		{"the street may not report 企业自查", func(h *Hazard) { h.Source = SourceEnterprise }, "source", SeverityError, reasonSourceSelfCheck},
		{"an unknown source", func(h *Hazard) { h.Source = "巡查" }, "source", SeverityError, reasonHazardSource},
		{"the finding date is required", func(h *Hazard) { h.FoundOn = Date{} }, "foundOn", SeverityError, reasonRequired},
		{"a finding after today", func(h *Hazard) { h.FoundOn, h.Deadline = Date{2026, 1, 16}, Date{2026, 2, 1} }, "foundOn", SeverityError, reasonFoundInFuture},
		{"the deadline is required", func(h *Hazard) { h.Deadline = Date{} }, "deadline", SeverityError, reasonRequired},
		{"a deadline before the finding", func(h *Hazard) { h.Deadline = Date{2026, 1, 9} }, "deadline", SeverityError, reasonDeadlineEarly},
		{"a deadline on the finding day is fine", func(h *Hazard) { h.Deadline = h.FoundOn }, "", 0, ""},
		{"an implausible deadline", func(h *Hazard) { h.Deadline = Date{2126, 1, 1} }, "deadline", SeverityError, reasonDateRange},
		{"a malformed lybh", func(h *Hazard) { h.StreetID = "LY 2026/7" }, "streetId", SeverityError, reasonStreetID},
		{"a lybh over 32 characters", func(h *Hazard) { h.StreetID = strings.Repeat("A", 33) }, "streetId", SeverityError, reasonStreetID},
		{"an unknown status", func(h *Hazard) { h.Status = "已完成" }, "status", SeverityError, reasonHazardStatus},
		{"a region code of the wrong shape", func(h *Hazard) { h.RegionCode = "35058" }, "regionCode", SeverityError, reasonRegionCode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := validHazard()
			c.change(&h)
			ps := ValidateHazard(&h, nil, hazardToday)
			if c.field == "" {
				if len(ps) > 0 {
					t.Errorf("got %v, want no problems", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Field != c.field || ps[0].Severity != c.sev || ps[0].Reason != c.reason {
				t.Errorf("got %+v, want one %v on %s: %s", ps, c.sev, c.field, c.reason)
			}
			if ps[0].Label == "" || !strings.HasPrefix(ps[0].Error(), ps[0].Label+"：") {
				t.Errorf("problem %q does not name its field", ps[0].Error())
			}
		})
	}
}

func TestHazardFromQZ(t *testing.T) {
	var q QZHazard
	readJSON(t, "qz_hazard.json", &q)
	h, ps := HazardFromQZ(q, nil)
	if len(ps) > 0 {
		t.Errorf("problems: %v", ps)
	}
	want := validHazard()
	want.ID, want.EnterpriseID, want.EnterpriseName = "YH3505820000123", "QY35058200001234", "晋江市灵源鞋业有限公司"
	want.UpdatedAt = time.Date(2026, time.January, 11, 10, 20, 5, 0, Beijing())
	if !reflect.DeepEqual(h, want) {
		t.Errorf("street hazard:\n got %+v\nwant %+v", h, want)
	}
	if h.Key() != "LY-2026-0007" || !h.ReportedByStreet() || !h.Open() || !h.Major() {
		t.Errorf("key %q, reported by the street %v, open %v, major %v", h.Key(), h.ReportedByStreet(), h.Open(), h.Major())
	}

	// An enterprise's own report, messy, with a clause no built-in list knows: kept, warned.
	readJSON(t, "qz_hazard_selfcheck.json", &q)
	h, ps = HazardFromQZ(q, nil)
	if ps.HasErrors() || len(ps) != 1 || ps[0].Field != "clause" || ps[0].Reason != reasonClauseUnknown {
		t.Errorf("self-reported hazard: %v, want only the unknown clause as a warning", ps)
	}
	if h.ID != "YH3505820000456" || h.Key() != h.ID || h.ReportedByStreet() || h.Source != SourceEnterprise ||
		h.Clause != "4-1" || h.FoundOn != (Date{2026, 1, 5}) || h.FoundBy != "王五" || h.Description != "除尘系统 未按规定 清理积尘" ||
		h.EnterpriseName != "晋江市（灵源）鞋业有限公司" || h.Status != HazardPending {
		t.Errorf("self-reported hazard: %+v", h)
	}

	// Only a record that cannot be identified stops.
	bad := q
	bad.Yhid, bad.Tyshxydm, bad.Yhdj, bad.Fxrq, bad.Zgzt = "", "", "9", "someday", "5"
	_, ps = HazardFromQZ(bad, nil)
	var errs []string
	for _, p := range ps.Errors() {
		errs = append(errs, p.Field)
	}
	if strings.Join(errs, ",") != "id,uscc" {
		t.Errorf("errors on %v (all: %v), want id and uscc only", errs, ps)
	}
	if len(ps.Warnings()) < 3 {
		t.Errorf("warnings %v, want the level, the date and the status reported", ps.Warnings())
	}
}

func TestHazardToQZ(t *testing.T) {
	h := validHazard()
	h.ID, h.EnterpriseName, h.Remark = "YH1", "x", "街道内部备注"
	h.UpdatedAt = time.Now()
	b, err := json.Marshal(HazardToQZ(&h))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"yhid", "qyid", "qymc", "gxsj"} {
		if _, ok := got[k]; ok {
			t.Errorf("create body carries platform field %s: %s", k, b)
		}
	}
	if strings.Contains(string(b), "街道内部备注") {
		t.Errorf("the street's remark was pushed: %s", b)
	}
	if got["pdbz"] != "3-2" || got["yhdj"] != "2" || got["zgzt"] != "1" || got["fxrq"] != "2026-01-10" ||
		got["zgczsj"] != "2026-01-11 10:20:00" || got["lybh"] != "LY-2026-0007" {
		t.Errorf("body %s", b)
	}

	general := validHazard()
	general.Level, general.Status, general.StatusNote, general.StatusBy, general.StatusAt = "一般", "", "", "", time.Time{}
	w := HazardToQZ(&general)
	if w.Pdbz != "" || w.Yhdj != "1" || w.Zgzt != "0" || w.Zgczsj != "" {
		t.Errorf("general hazard: %+v, want no pdbz, level 1, status 0", w)
	}

	// The round trip keeps every compared field.
	var back QZHazard
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	back.Yhid = "YH1"
	again, ps := HazardFromQZ(back, nil)
	if len(ps) > 0 {
		t.Errorf("round trip: %v", ps)
	}
	for _, f := range HazardFields {
		if f.Get(&again) != f.Get(&h) {
			t.Errorf("%s (%s) changed over the round trip: %q → %q", f.Name, f.Wire, f.Get(&h), f.Get(&again))
		}
	}
}

func TestStatusChangeToQZ(t *testing.T) {
	ch := HazardStatusChange{HazardID: "YH1", Status: "已销号", Note: " 经验收合格 ", Handler: "林 芳",
		At: time.Date(2026, 1, 15, 1, 0, 0, 0, time.UTC)}
	got := StatusChangeToQZ(ch)
	want := QZHazardStatus{Zgzt: "3", Zgsm: "经验收合格", Zgczr: "林芳", Zgczsj: "2026-01-15 09:00:00"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestHazardOverdue(t *testing.T) {
	today := Date{2026, time.January, 15}
	cases := []struct {
		name     string
		deadline Date
		status   HazardStatus
		want     bool
	}{
		{"deadline yesterday, pending", today.AddDays(-1), HazardPending, true},
		{"deadline yesterday, rectifying", today.AddDays(-1), HazardRectifying, true},
		{"deadline yesterday, new record", today.AddDays(-1), "", true},
		{"deadline today", today, HazardPending, false},
		{"rectified, awaiting verification", today.AddDays(-30), HazardRectified, false},
		{"closed", today.AddDays(-30), HazardClosed, false},
		{"no deadline", Date{}, HazardPending, false},
	}
	for _, c := range cases {
		h := Hazard{Deadline: c.deadline, Status: c.status}
		if got := h.Overdue(today); got != c.want {
			t.Errorf("%s: Overdue = %v, want %v", c.name, got, c.want)
		}
	}
	if (&Hazard{Status: HazardClosed}).Open() || !(&Hazard{Status: HazardRectified}).Open() {
		t.Error("only 已销号 closes a hazard")
	}
}

func TestInspectionFromQZ(t *testing.T) {
	var qs []QZInspection
	readJSON(t, "qz_inspection.json", &qs)
	in, ps := InspectionFromQZ(qs[0])
	want := Inspection{ID: "JC3505820000001", USCC: "91350100M000100Y43", EnterpriseName: "晋江市灵源鞋业有限公司",
		Date: Date{2026, 1, 8}, Type: InspectionPrincipal, LedBy: "陈志强", HazardsFound: 3,
		UpdatedAt: time.Date(2026, 1, 8, 17, 0, 0, 0, Beijing())}
	if len(ps) > 0 || !reflect.DeepEqual(in, want) {
		t.Errorf("got %+v %v, want %+v", in, ps, want)
	}
	in, ps = InspectionFromQZ(qs[1])
	if len(ps) > 0 || in.Type != InspectionRoutine || in.HazardsFound != 0 {
		t.Errorf("fxyhs as a string: %+v %v", in, ps)
	}
	odd := qs[0]
	odd.Jclx, odd.Fxyhs, odd.Jcrq = "抽查", "若干", ""
	_, ps = InspectionFromQZ(odd)
	if ps.HasErrors() || len(ps) != 3 {
		t.Errorf("odd record: %v, want three warnings (date, type, count)", ps)
	}
	odd.Jcid, odd.Tyshxydm = "", ""
	_, ps = InspectionFromQZ(odd)
	if got := len(ps.Errors()); got != 2 {
		t.Errorf("a record without jcid and tyshxydm: %v, want two errors", ps)
	}
}

func TestValidateDrill(t *testing.T) {
	d := Drill{USCC: " 91350100m000100y43", Date: Date{2025, 12, 1}, Type: "疏散逃生演练", Participants: 80, Remark: " 消防站指导 "}
	NormalizeDrill(&d)
	if d.USCC != "91350100M000100Y43" || d.Type != DrillEvacuation || d.Remark != "消防站指导" {
		t.Errorf("normalized %+v", d)
	}
	if ps := ValidateDrill(&d, hazardToday); len(ps) > 0 {
		t.Errorf("valid drill: %v", ps)
	}
	bad := Drill{USCC: "91350100M000100Y43", Date: Date{2026, 2, 1}, Type: "桌面推演", Participants: -1}
	got := ValidateDrill(&bad, hazardToday).Error()
	if got != "演练日期：演练日期晚于今天；演练类型：无法识别，可填：疏散逃生、综合、专项；参加人数：应为不小于0的整数" {
		t.Errorf("bad drill: %q", got)
	}
	if ps := ValidateDrill(&Drill{}, hazardToday); len(ps.Errors()) != 3 {
		t.Errorf("empty drill: %v, want the three required fields", ps)
	}
	if d.Key() != (DrillKey{"91350100M000100Y43", Date{2025, 12, 1}, DrillEvacuation}) {
		t.Errorf("key %+v", d.Key())
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int{"3": 3, "３": 3, "3处": 3, "3项": 3, "50人": 50, "1,200": 1200, "": 0, "0": 0} {
		if got, ok := ParseCount(in); !ok || got != want {
			t.Errorf("ParseCount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"若干", "3-4", "处"} {
		if _, ok := ParseCount(in); ok {
			t.Errorf("ParseCount(%q) ok, want refused", in)
		}
	}
}
