package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets of the hazard model hold its promises on arbitrary input, as fuzz_test.go
// does for enterprises: nothing panics, normalization is idempotent, a clause reference reads
// back to the same code in every form it is written, and a hazard the street may record is the
// same hazard after the round trip through the platform's wire shape. Seed corpora are checked in
// under testdata/fuzz/<Name>/.

func FuzzParseClause(f *testing.F) {
	for _, s := range []string{"3-2", "３－２", "第三条第（二）项", "第三条第二项", "第3条第2项", "第十一条第（三）项",
		"《工贸企业重大事故隐患判定标准》第三条第（二）项", "第三条第（二）项 特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业",
		"特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业的", "第九十九条第（九十九）项", "100-1", "3.2", "第三条", "",
		"第二十条（十）", "三-二", "-", "第十十条第一项"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := ParseClauseRef(s)
		if ok {
			if back, ok2 := ParseClauseRef(code); !ok2 || back != code {
				t.Fatalf("ParseClauseRef(%q) = %q, which reads back as %q, %v", s, code, back, ok2)
			}
			text := ClauseText(code)
			if back, ok2 := ParseClauseRef(text); text == "" || !ok2 || back != code {
				t.Fatalf("ParseClauseRef(%q) = %q; its text %q reads back as %q, %v", s, code, text, back, ok2)
			}
		} else if code != "" {
			t.Fatalf("ParseClauseRef(%q) refused but returned %q", s, code)
		}
		if code2, ok2 := ParseClauseRef(FoldWidth(s)); code2 != code || ok2 != ok {
			t.Fatalf("ParseClauseRef(FoldWidth(%q)) = %q, %v; want %q, %v", s, code2, ok2, code, ok)
		}
		cl := DefaultClauses()
		got, known, ref := cl.Parse(s)
		if ok && (!ref || got != code) {
			t.Fatalf("Parse(%q) = %q, ref %v; ParseClauseRef says %q", s, got, ref, code)
		}
		if again, known2, ref2 := cl.Parse(got); again != got || known2 != known || ref2 != ref {
			t.Fatalf("Parse not idempotent: %q → %q (%v %v) → %q (%v %v)", s, got, known, ref, again, known2, ref2)
		}
	})
}

func FuzzHazardLabels(f *testing.F) {
	for _, s := range []string{"重大", "一般隐患", "2", "街道检查", "企业自查", "jbts", "已整改（待验收）", "已销号", "0",
		"主要负责人带队检查", "RC", "疏散逃生演练", "综合应急演练", "专项", "", " ", "\x00重大", "较大"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(kind string, parse func(string) (string, bool, string)) {
			code, ok, label := parse(s)
			if !ok {
				if label != "" {
					t.Fatalf("%s %q: refused but %q has the label %q", kind, s, code, label)
				}
				if again, ok2, _ := parse(code); again != code || ok2 {
					t.Fatalf("%s %q: the kept value %q reads as %q, %v", kind, s, code, again, ok2)
				}
				return
			}
			for _, form := range []string{code, label} {
				if again, ok2, _ := parse(form); again != code || !ok2 {
					t.Fatalf("%s %q = %q, but %q reads as %q, %v", kind, s, code, form, again, ok2)
				}
			}
		}
		check("level", func(s string) (string, bool, string) { v, ok := ParseHazardLevel(s); return string(v), ok, v.Label() })
		check("source", func(s string) (string, bool, string) { v, ok := ParseHazardSource(s); return string(v), ok, v.Label() })
		check("status", func(s string) (string, bool, string) { v, ok := ParseHazardStatus(s); return string(v), ok, v.Label() })
		check("inspection", func(s string) (string, bool, string) {
			v, ok := ParseInspectionType(s)
			return string(v), ok, v.Label()
		})
		check("drill", func(s string) (string, bool, string) { v, ok := ParseDrillType(s); return string(v), ok, v.Label() })
		// A negative count only from a minus sign (ASCII or full width, after white space):
		// validation then rejects it.
		if n, ok := ParseCount(s); ok && n < 0 && !strings.ContainsAny(s, "-－−") {
			t.Fatalf("ParseCount(%q) = %d", s, n)
		}
	})
}

func FuzzNormalizeHazard(f *testing.F) {
	f.Add("YH3505820000123", "LY-2026-0007", "91350100M000100Y43", "350582006", "JDJC", "2", "3-2",
		"电焊作业人员无证上岗", "二号车间", "2026-01-10", "林芳", "2026-01-17", "陈志强", "停止作业", "1", "已停止", "陈志强",
		"2026-01-11 10:20:00")
	f.Add("yh1 ", " ＬＹ－７ ", "9135 0100 m000 100y43", "", "街道检查", "重大", "第三条第（二）项", " 描述\u200b ", "",
		"2026年1月10日", "林 芳", "2026/1/17", "", "", "整改中", "", "", "")
	f.Add("YH2", "", "91350100M000100Y43", "350582006", "QYZC", "一般", "3-2", "x", "", "45300", "", "45310", "", "",
		"已销号", "验收合格", "王五", "2026-01-11T10:20:00+08:00")
	f.Add("", "LY 1", "", "1", "巡查", "较大", "见附件", "", "", "someday", "", "", "", "", "5", "", "", "x")
	f.Fuzz(func(t *testing.T, yhid, lybh, uscc, region, source, level, clause, desc, location, foundOn, foundBy,
		deadline, responsible, measures, status, note, by, at string) {
		q := QZHazard{Yhid: yhid, Lybh: lybh, Tyshxydm: uscc, Xzqhdm: region, Yhly: source, Yhdj: level, Pdbz: clause,
			Yhms: desc, Yhbw: location, Fxrq: foundOn, Fxr: foundBy, Zgqx: deadline, Zgzrr: responsible, Zgcs: measures,
			Zgzt: status, Zgsm: note, Zgczr: by, Zgczsj: at}
		h, _ := HazardFromQZ(q, nil)
		again := h
		NormalizeHazard(&again, nil)
		if !reflect.DeepEqual(again, h) {
			t.Fatalf("NormalizeHazard not idempotent:\n %+v\n %+v", h, again)
		}
		if h.Source == SourceEnterprise {
			h.Source = SourceStreet // what the street may record
		}
		if ValidateHazard(&h, nil, fuzzToday).HasErrors() {
			return
		}
		body, err := json.Marshal(HazardToQZ(&h))
		if err != nil {
			t.Fatal(err)
		}
		var wire QZHazard
		if err := json.Unmarshal(body, &wire); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		wire.Yhid = "YH1"
		back, ps := HazardFromQZ(wire, nil)
		if ps.HasErrors() {
			t.Fatalf("a valid hazard fails after the Quanzhou round trip: %v\n%s", ps, body)
		}
		for _, fld := range HazardFields {
			if got, want := fld.Get(&back), fld.Get(&h); got != want {
				t.Fatalf("%s changed over the round trip: %q → %q\n%s", fld.Name, want, got, body)
			}
		}
		if back.StreetID != h.StreetID {
			t.Fatalf("lybh %q became %q", h.StreetID, back.StreetID)
		}
	})
}

func FuzzInspectionFromQZ(f *testing.F) {
	f.Add("JC1", "91350100M000100Y43", "晋江市灵源鞋业有限公司", "2026-01-08", "ZYFZR", "陈志强", "3", "2026-01-08 17:00:00")
	f.Add("", "", "", "2026/1/8", "主要负责人带队检查", "陈 志强", "3处", "")
	f.Add("jc 2", "x", "(公司)", "bad", "抽查", "", "-1", "2026-13-01 00:00:00")
	f.Fuzz(func(t *testing.T, jcid, uscc, name, date, kind, lead, found, gxsj string) {
		in, ps := InspectionFromQZ(QZInspection{Jcid: jcid, Tyshxydm: uscc, Qymc: name, Jcrq: date, Jclx: kind, Dzr: lead,
			Fxyhs: FlexNumber(found), Gxsj: gxsj})
		again := in
		NormalizeInspection(&again)
		if !reflect.DeepEqual(again, in) {
			t.Fatalf("NormalizeInspection not idempotent:\n %+v\n %+v", in, again)
		}
		if in.HazardsFound < 0 {
			t.Fatalf("fxyhs %q gave %d hazards", found, in.HazardsFound)
		}
		for _, p := range ps.Errors() {
			if p.Reason != reasonRequired || p.Field != "id" && p.Field != "uscc" {
				t.Fatalf("an inspection was stopped by %v; only a missing jcid or tyshxydm may", p)
			}
		}
	})
}
