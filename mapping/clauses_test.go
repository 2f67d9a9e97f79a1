package mapping

import (
	"strconv"
	"strings"
	"testing"
)

func TestBuiltinClausesMatchContract(t *testing.T) {
	want := map[string]string{
		"3-1": "未对承包单位、承租单位的安全生产工作统一协调、管理，或者未定期进行安全检查",
		"3-2": "特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业",
		"3-3": "金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格",
	}
	all := DefaultClauses().All()
	if len(all) != len(want) {
		t.Fatalf("%d built-in clauses, want %d", len(all), len(want))
	}
	for code, name := range want {
		if c, ok := DefaultClauses().Clause(code); !ok || c.Name != name {
			t.Errorf("Clause(%s) = %q, %v; want %q", code, c.Name, ok, name)
		}
	}
	if _, ok := DefaultClauses().Clause(ClauseUncertified); !ok {
		t.Errorf("the certificate clause %s is not built in", ClauseUncertified)
	}
}

func TestParseClauseRef(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" when not a reference
	}{
		{"3-2", "3-2"},
		{" 3 - 2 ", "3-2"},
		{"３－２", "3-2"},
		{"03-02", "3-2"},
		{"3—2", "3-2"},
		{"11-3", "11-3"},
		{"第三条第（二）项", "3-2"},
		{"第三条第(二)项", "3-2"},
		{"第三条第二项", "3-2"},
		{"第 三 条 第 二 项", "3-2"},
		{"第3条第2项", "3-2"},
		{"第３条第２项", "3-2"},
		{"第三条（二）", "3-2"},
		{"第三条第（二）项。", "3-2"},
		{"第十一条第（三）项", "11-3"},
		{"第二十三条第（十二）项", "23-12"},
		{"第九十九条第九十九项", "99-99"},
		{"《工贸企业重大事故隐患判定标准》第三条第（二）项", "3-2"},
		{"三-二", "3-2"},
		{"", ""},
		{"3", ""},
		{"3-", ""},
		{"-2", ""},
		{"3.2", ""},
		{"3-2-1", ""},
		{"0-1", ""},
		{"100-1", ""},
		{"3-100", ""},
		{"第三条", ""},
		{"第三条第二", ""},
		{"第三条第（二项", ""},
		{"第零条第一项", ""},
		{"第一百条第一项", ""},
		{"第三三条第一项", ""},
		{"特种作业人员无证上岗", ""},
	}
	for _, c := range cases {
		got, ok := ParseClauseRef(c.in)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("ParseClauseRef(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestClauseTextRoundTrips(t *testing.T) {
	for _, c := range []struct{ code, text string }{
		{"3-2", "第三条第（二）项"}, {"11-3", "第十一条第（三）项"}, {"20-10", "第二十条第（十）项"}, {"99-1", "第九十九条第（一）项"},
	} {
		if got := ClauseText(c.code); got != c.text {
			t.Errorf("ClauseText(%s) = %q, want %q", c.code, got, c.text)
		}
	}
	for a := 1; a <= 99; a++ {
		for i := 1; i <= 99; i++ {
			code := strconv.Itoa(a) + "-" + strconv.Itoa(i)
			if back, ok := ParseClauseRef(ClauseText(code)); !ok || back != code {
				t.Fatalf("ParseClauseRef(ClauseText(%s) = %q) = %q, %v", code, ClauseText(code), back, ok)
			}
		}
	}
	for _, bad := range []string{"", "3", "03-2", "3-02", "0-1", "100-1", "x-y", "第三条第（二）项"} {
		if got := ClauseText(bad); got != "" {
			t.Errorf("ClauseText(%q) = %q, want empty", bad, got)
		}
	}
}

func TestClausesParse(t *testing.T) {
	cl := DefaultClauses()
	name32, _ := cl.Clause("3-2")
	cases := []struct {
		name         string
		in           string
		code         string
		known, isRef bool
	}{
		{"a known code", "3-2", "3-2", true, true},
		{"the standard's reference", "第三条第（二）项", "3-2", true, true},
		{"a reference no list knows is kept as its code", "第四条第（一）项", "4-1", false, true},
		{"the clause's own text", name32.Name, "3-2", true, true},
		{"the clause's text as the standard ends it", name32.Name + "的；", "3-2", true, true},
		{"the clause's text in full width with spaces", "特种作业人员未按照规定经专门的安全作业培训并取得相应资格 , 上岗作业", "3-2", true, true},
		{"a reference followed by its text", "第三条第（二）项 " + name32.Name, "3-2", true, true},
		{"a reference followed by another clause's text is not taken", "第三条第（一）项 " + name32.Name,
			"第三条第（一）项 " + name32.Name, false, false},
		{"text that is no reference is kept, cleaned", "  见 附件\u200b ", "见 附件", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, known, ref := cl.Parse(c.in)
			if code != c.code || known != c.known || ref != c.isRef {
				t.Errorf("Parse(%q) = %q, %v, %v; want %q, %v, %v", c.in, code, known, ref, c.code, c.known, c.isRef)
			}
		})
	}
	if got := cl.Label("3-2"); got != "第三条第（二）项 "+name32.Name {
		t.Errorf("Label(3-2) = %q", got)
	}
	if got := cl.Label("4-1"); got != "第四条第（一）项" {
		t.Errorf("Label(4-1) = %q, want the reference alone", got)
	}
	if got := cl.Label("见附件"); got != "见附件" {
		t.Errorf("Label of text that is no clause = %q, want it as it is", got)
	}
}

func TestNewClausesExtendsAndRenames(t *testing.T) {
	old31, _ := DefaultClauses().Clause("3-1")
	cl, err := NewClauses([]Clause{
		{Code: "11-3", Name: "粉尘爆炸危险场所设置在非框架结构的多层建构筑物内"},
		{Code: "第四条第（一）项", Name: " 会议室、活动室、休息室等人员聚集场所设置在熔融金属吊运跨的地坪区域内 "},
		{Code: "3-1", Name: "未对承包、承租单位统一协调管理"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range cl.All() {
		codes = append(codes, c.Code)
	}
	if got := strings.Join(codes, " "); got != "3-1 3-2 3-3 4-1 11-3" {
		t.Errorf("clauses in order %q, want 3-1 3-2 3-3 4-1 11-3", got)
	}
	if c, _ := cl.Clause("4-1"); c.Name != "会议室、活动室、休息室等人员聚集场所设置在熔融金属吊运跨的地坪区域内" {
		t.Errorf("configured name not cleaned: %q", c.Name)
	}
	if c, _ := cl.Clause("3-1"); c.Name != "未对承包、承租单位统一协调管理" {
		t.Errorf("3-1 not renamed: %q", c.Name)
	}
	if code, known, _ := cl.Parse(old31.Name); code != "3-1" || !known {
		t.Errorf("the former name of 3-1 resolves to %q, %v; want 3-1", code, known)
	}
	if code, known, _ := cl.Parse("11-3"); code != "11-3" || !known {
		t.Errorf("added clause: %q, %v", code, known)
	}
	if c, _ := DefaultClauses().Clause("3-1"); c.Name != old31.Name {
		t.Errorf("NewClauses changed the built-in list: %q", c.Name)
	}
	for _, bad := range [][]Clause{{{Code: "3.2", Name: "x"}}, {{Code: "12-9"}}, {{Code: "", Name: "x"}}} {
		if _, err := NewClauses(bad); err == nil || !strings.Contains(err.Error(), "hazards.clauses[0]") {
			t.Errorf("NewClauses(%+v): err %v, want one naming the entry", bad, err)
		}
	}
}
