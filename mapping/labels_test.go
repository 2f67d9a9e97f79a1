package mapping

import (
	"reflect"
	"testing"
)

func TestParseIndustry(t *testing.T) {
	cases := []struct {
		in   string
		want Industry
		ok   bool
	}{
		{"冶金", IndustryMetallurgy, true},
		{"有色", IndustryNonFerrous, true},
		{"有色金属", IndustryNonFerrous, true},
		{"建材", IndustryBuildingMaterials, true},
		{"建筑材料", IndustryBuildingMaterials, true},
		{"机械", IndustryMachinery, true},
		{"机械行业", IndustryMachinery, true},
		{"机械类", IndustryMachinery, true},
		{"轻工", IndustryLight, true},
		{"轻工业", IndustryLight, true},
		{"纺织", IndustryTextile, true},
		{"纺织行业", IndustryTextile, true},
		{"烟草", IndustryTobacco, true},
		{"商贸", IndustryCommerce, true},
		{"JX", IndustryMachinery, true},
		{"jx", IndustryMachinery, true},
		{" ｊｘ ", IndustryMachinery, true},
		{"机 械", IndustryMachinery, true},
		{"FZ", IndustryTextile, true},
		{"化工", "化工", false},
		{" 机械厂 ", "机械厂", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := ParseIndustry(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseIndustry(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, i := range Industries() {
		if back, ok := ParseIndustry(i.Label()); !ok || back != i {
			t.Errorf("ParseIndustry(%q) = %q, %v; want %q", i.Label(), back, ok, i)
		}
	}
}

func TestParseKeyRisks(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []KeyRisk
		ok   bool
	}{
		{"codes", "FCSB,YXKJ", []KeyRisk{"FCSB", "YXKJ"}, true},
		{"codes in table order", "PT,FCSB,SAZL", []KeyRisk{"FCSB", "SAZL", "PT"}, true},
		{"duplicates removed", "FCSB,粉尘涉爆,涉爆粉尘", []KeyRisk{"FCSB"}, true},
		{"enumeration comma", "有限空间、粉尘涉爆", []KeyRisk{"FCSB", "YXKJ"}, true},
		{"full-width comma", "涉氨制冷，喷涂", []KeyRisk{"SAZL", "PT"}, true},
		{"semicolons", "煤气;涉氯；喷涂", []KeyRisk{"MQ", "SL", "PT"}, true},
		{"spaces", "粉尘涉爆 有限空间\u3000煤气", []KeyRisk{"FCSB", "YXKJ", "MQ"}, true},
		{"slash", "粉尘涉爆/有限空间", []KeyRisk{"FCSB", "YXKJ"}, true},
		{"variants", "涉爆粉尘、有限空间作业、高温熔融金属", []KeyRisk{"FCSB", "YXKJ", "GWRR"}, true},
		{"all seven labels", "粉尘涉爆、涉氨制冷、有限空间、高温熔融金属、煤气、涉氯、喷涂",
			[]KeyRisk{"FCSB", "SAZL", "YXKJ", "GWRR", "MQ", "SL", "PT"}, true},
		{"lower-case codes", "fcsb, yxkj", []KeyRisk{"FCSB", "YXKJ"}, true},
		{"empty separators skipped", "、、粉尘涉爆,,", []KeyRisk{"FCSB"}, true},
		{"none", "无", nil, true},
		{"empty", "", nil, true},
		{"slash alone", "/", nil, true},
		{"unknown part kept after the known ones", "木工、粉尘涉爆、 木工 ", []KeyRisk{"FCSB", "木工"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseKeyRisks(c.in)
			if !reflect.DeepEqual(got, c.want) || ok != c.ok {
				t.Errorf("ParseKeyRisks(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestNormalizeKeyRisks(t *testing.T) {
	canonical := []KeyRisk{"FCSB", "YXKJ"}
	if got := normalizeKeyRisks(canonical); &got[0] != &canonical[0] {
		t.Error("a canonical list was copied")
	}
	in := []KeyRisk{"有限空间", "FCSB", "粉尘涉爆、喷涂"}
	got := normalizeKeyRisks(in)
	if want := []KeyRisk{"FCSB", "YXKJ", "PT"}; !reflect.DeepEqual(got, want) {
		t.Errorf("normalizeKeyRisks(%q) = %q, want %q", in, got, want)
	}
	if in[0] != "有限空间" {
		t.Error("the input's backing array was written to")
	}
	if got := normalizeKeyRisks([]KeyRisk{}); got != nil {
		t.Errorf("empty list = %#v, want nil", got)
	}
	if got := KeyRiskLabels([]KeyRisk{"FCSB", "YXKJ", "木工"}); got != "粉尘涉爆、有限空间、木工" {
		t.Errorf("KeyRiskLabels = %q", got)
	}
}

func TestParseGrade(t *testing.T) {
	cases := []struct {
		in   string
		want Grade
		ok   bool
	}{
		{"一级", GradeOne, true}, {"1级", GradeOne, true}, {"Ⅰ级", GradeOne, true}, {"I级", GradeOne, true},
		{"1", GradeOne, true}, {"安全生产标准化一级", GradeOne, true}, {"一级企业", GradeOne, true},
		{"二级", GradeTwo, true}, {"2级", GradeTwo, true}, {"Ⅱ级", GradeTwo, true}, {"II级", GradeTwo, true},
		{"三级", GradeThree, true}, {"3级", GradeThree, true}, {"Ⅲ级", GradeThree, true}, {"iii级", GradeThree, true},
		{"三级标准化", GradeThree, true}, {"３", GradeThree, true},
		{"小微企业", GradeSmall, true}, {"小微", GradeSmall, true}, {"4", GradeSmall, true},
		{"未达标", GradeNone, true}, {"未评审", GradeNone, true}, {"无", GradeNone, true}, {"0", GradeNone, true},
		{"", "", true},
		{"四级", "四级", false},
	}
	for _, c := range cases {
		got, ok := ParseGrade(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseGrade(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseEnterpriseStatus(t *testing.T) {
	cases := []struct {
		in   string
		want EnterpriseStatus
		ok   bool
	}{
		{"在营", StatusOperating, true}, {"营业", StatusOperating, true}, {"正常", StatusOperating, true},
		{"存续", StatusOperating, true}, {"1", StatusOperating, true}, {" １ ", StatusOperating, true},
		{"停产", StatusSuspended, true}, {"停业", StatusSuspended, true}, {"2", StatusSuspended, true},
		{"关闭", StatusClosed, true}, {"已关闭", StatusClosed, true}, {"3", StatusClosed, true},
		{"注销", StatusCancelled, true}, {"已注销", StatusCancelled, true}, {"4", StatusCancelled, true},
		{"吊销", "吊销", false}, {"5", "5", false},
	}
	for _, c := range cases {
		got, ok := ParseEnterpriseStatus(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseEnterpriseStatus(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseYesNo(t *testing.T) {
	yes := []string{"是", "Y", "y", "Yes", "YES", "1", "true", "TRUE", "有", "√", "Ｙ"}
	no := []string{"否", "N", "n", "no", "0", "false", "False", "无", "×"}
	for _, s := range yes {
		if v, ok := ParseYesNo(s); !v || !ok {
			t.Errorf("ParseYesNo(%q) = %v, %v; want true, true", s, v, ok)
		}
	}
	for _, s := range no {
		if v, ok := ParseYesNo(s); v || !ok {
			t.Errorf("ParseYesNo(%q) = %v, %v; want false, true", s, v, ok)
		}
	}
	for _, s := range []string{"", "也许", "2"} {
		if _, ok := ParseYesNo(s); ok {
			t.Errorf("ParseYesNo(%q) ok, want not ok", s)
		}
	}
}

func TestParseCertStatus(t *testing.T) {
	cases := []struct {
		in   string
		want CertStatus
		ok   bool
	}{
		{"VALID", CertValid, true}, {"valid", CertValid, true}, {"有效", CertValid, true}, {"正常", CertValid, true},
		{"EXPIRED", CertExpired, true}, {"过期", CertExpired, true}, {"失效", CertExpired, true}, {"已过期", CertExpired, true},
		{"REVOKED", CertRevoked, true}, {"撤销", CertRevoked, true}, {"吊销", CertRevoked, true},
		{"CANCELLED", CertCancelled, true}, {"CANCELED", CertCancelled, true}, {"注销", CertCancelled, true},
		{"SUSPENDED", CertSuspended, true}, {"暂扣", CertSuspended, true},
		{"frozen", "FROZEN", false},
	}
	for _, c := range cases {
		got, ok := ParseCertStatus(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseCertStatus(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	labels := map[CertStatus]string{CertValid: "有效", CertExpired: "过期", CertRevoked: "撤销",
		CertCancelled: "注销", CertSuspended: "暂扣"}
	for s, want := range labels {
		if s.Label() != want {
			t.Errorf("%s.Label() = %q, want %q", s, s.Label(), want)
		}
		if back, ok := ParseCertStatus(want); !ok || back != s {
			t.Errorf("ParseCertStatus(%q) = %q, want %q", want, back, s)
		}
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	for _, k := range KeyRisks() {
		if got, _ := ParseKeyRisks(k.Label()); len(got) != 1 || got[0] != k {
			t.Errorf("ParseKeyRisks(%q) = %q, want [%s]", k.Label(), got, k)
		}
	}
	for _, g := range []Grade{GradeOne, GradeTwo, GradeThree, GradeSmall, GradeNone} {
		if back, ok := ParseGrade(g.Label()); !ok || back != g {
			t.Errorf("ParseGrade(%q) = %q, want %q", g.Label(), back, g)
		}
	}
	for _, s := range []EnterpriseStatus{StatusOperating, StatusSuspended, StatusClosed, StatusCancelled} {
		if back, ok := ParseEnterpriseStatus(s.Label()); !ok || back != s {
			t.Errorf("ParseEnterpriseStatus(%q) = %q, want %q", s.Label(), back, s)
		}
	}
	for _, b := range []bool{true, false} {
		if back, ok := ParseYesNo(YesNoLabel(b)); !ok || back != b {
			t.Errorf("ParseYesNo(%q) = %v, want %v", YesNoLabel(b), back, b)
		}
	}
}

func TestParseGender(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "男": "1", "m": "1", "2": "2", "女": "2", "F": "2", "": ""} {
		if got, ok := ParseGender(in); !ok || got != want {
			t.Errorf("ParseGender(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := ParseGender("3"); ok {
		t.Error("ParseGender(3) ok")
	}
}
