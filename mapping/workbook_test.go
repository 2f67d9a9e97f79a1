package mapping

import (
	"reflect"
	"testing"
	"time"
)

func TestCanonicalHeader(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"统一社会信用代码", "统一社会信用代码"},
		{"社会信用代码", "统一社会信用代码"},
		{"信用代码", "统一社会信用代码"},
		{"USCC", "统一社会信用代码"},
		{"uscc", "统一社会信用代码"},
		{"*统一社会信用代码", "统一社会信用代码"},
		{"统一社会信用代码（必填）", "统一社会信用代码"},
		{"统一社会\n信用代码", "统一社会信用代码"},
		{" 企业名称 ", "企业名称"},
		{"单位名称", "企业名称"},
		{"公司名称", "企业名称"},
		{"企业（单位）名称", "企业名称"},
		{"负责人电话", "主要负责人电话"},
		{"主要负责人联系电话", "主要负责人电话"},
		{"社区", "所属社区"},
		{"所属社区：", "所属社区"},
		{"行业类别(冶金/有色/建材/机械/轻工/纺织/烟草/商贸)", "行业类别"},
		{"从业人数（人）", "从业人数"},
		{"企业状态【在营/停产/关闭/注销】", "企业状态"},
		{"是否厂中厂(是/否)", "是否厂中厂"},
		{"平台企业ID", "平台企业ID"},
		{"身份证号码", "身份证号"},
		{"证件号码", "身份证号"},
		{"准操项目", "操作项目"},
		{"联系电话", "联系电话"}, // a canonical header of the operator sheet stands for itself
	}
	for _, c := range cases {
		if got, ok := CanonicalHeader(c.in); !ok || got != c.want {
			t.Errorf("CanonicalHeader(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := CanonicalHeader("序号"); ok {
		t.Error("CanonicalHeader(序号) found a column")
	}
	sheetCases := []struct {
		sheet    Sheet
		in, want string
	}{
		{SheetEnterprises, "联系电话", "主要负责人电话"},
		{SheetOperators, "联系电话", "联系电话"},
		{SheetEnterprises, "统一社会信用代码", "统一社会信用代码"},
		{SheetOperators, "统一社会信用代码", "所在企业统一社会信用代码"},
		{SheetOperators, "手机号", "联系电话"},
	}
	for _, c := range sheetCases {
		if got, ok := c.sheet.CanonicalHeader(c.in); !ok || got != c.want {
			t.Errorf("%s.CanonicalHeader(%q) = %q, %v; want %q", c.sheet, c.in, got, ok, c.want)
		}
	}
}

func TestVariantsResolveToTheirOwnColumn(t *testing.T) {
	for _, s := range []Sheet{SheetEnterprises, SheetOperators} {
		seen := map[string]string{}
		for _, c := range s.columns() {
			for _, h := range append([]string{c.header}, c.variants...) {
				if h != headerKey(h) {
					t.Errorf("%s: variant %q is not in header-key form %q", s, h, headerKey(h))
				}
				if other, ok := seen[h]; ok {
					t.Errorf("%s: %q stands for %s and %s", s, h, other, c.header)
				}
				seen[h] = c.header
			}
		}
	}
}

func TestDetectSheet(t *testing.T) {
	cases := []struct {
		headers []string
		want    Sheet
		ok      bool
	}{
		{[]string{"统一社会信用代码", "企业名称", "法定代表人"}, SheetEnterprises, true},
		{[]string{"序号", "单位名称"}, SheetEnterprises, true},
		{[]string{"姓名", "身份证号", "所在企业统一社会信用代码", "操作项目"}, SheetOperators, true},
		{[]string{"姓名", "证件号码", "统一社会信用代码"}, SheetOperators, true},
		{[]string{"序号", "备注"}, SheetEnterprises, false},
	}
	for _, c := range cases {
		if got, ok := DetectSheet(c.headers); got != c.want || ok != c.ok {
			t.Errorf("DetectSheet(%q) = %s, %v; want %s, %v", c.headers, got, ok, c.want, c.ok)
		}
	}
}

func TestMissingHeaders(t *testing.T) {
	got := SheetEnterprises.MissingHeaders([]string{"信用代码", "单位名称", "法人", "负责人", "联系电话", "地址", "社区", "行业"})
	if want := []string{"企业状态"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MissingHeaders = %q, want %q", got, want)
	}
	want := []string{"统一社会信用代码", "企业名称", "法定代表人", "主要负责人", "主要负责人电话", "经营地址", "所属社区", "行业类别", "企业状态"}
	if got := SheetEnterprises.RequiredHeaders(); !reflect.DeepEqual(got, want) {
		t.Errorf("RequiredHeaders = %q, want %q (the contract's list)", got, want)
	}
	want = []string{"姓名", "身份证号", "所在企业统一社会信用代码", "操作项目", "上岗日期"}
	if got := SheetOperators.RequiredHeaders(); !reflect.DeepEqual(got, want) {
		t.Errorf("RequiredHeaders = %q, want %q (the contract's list)", got, want)
	}
	want = []string{"平台企业ID", "标准化等级", "标准化有效期", "是否纳入监测预警"}
	if got := SheetEnterprises.ReadOnlyHeaders(); !reflect.DeepEqual(got, want) {
		t.Errorf("ReadOnlyHeaders = %q, want %q", got, want)
	}
}

// messyEnterpriseRow is a row as a community worker types it.
func messyEnterpriseRow() map[string]string {
	return map[string]string{
		"序号":       "1",
		"*信用代码":    "９１３５０１００Ｍ０００１００Ｙ４３",
		"单位名称":     " 晋江市灵源鞋业有限公司",
		"法人":       "张 三",
		"主要负责人":    "李四",
		"联系电话":     "138-0595-1234",
		"经营地址":     "晋江市灵源街道林格社区128号",
		"社区":       "林格社区",
		"行业类别":     "轻工行业",
		"重点类型":     "有限空间，粉尘涉爆",
		"从业人数（人）":  "１２０人",
		"企业状态":     "在营",
		"是否厂中厂":    "否",
		"平台企业ID":   "QY-IGNORED",
		"标准化等级":    "一级",
		"是否纳入监测预警": "是",
		"备注":       "",
		"安全管理人员":   "",
		"标准化有效期":   "2030-01-01",
		"未知列":      "whatever",
	}
}

func TestEnterpriseFromRow(t *testing.T) {
	got, ps := EnterpriseFromRow(messyEnterpriseRow(), nil)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	want := validEnterprise()
	want.RegionCode = "" // the job sets it from the config
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EnterpriseFromRow:\n got %+v\nwant %+v", got, want)
	}
}

func TestEnterpriseFromRowNamesTheColumn(t *testing.T) {
	row := messyEnterpriseRow()
	row["*信用代码"] = "91110108MA01ABCD1X"
	row["社区"] = " "
	row["重点类型"] = "粉尘涉爆、木工"
	row["从业人数（人）"] = "很多"
	row["是否厂中厂"] = "可能"
	delete(row, "企业状态")
	_, ps := EnterpriseFromRow(row, nil)
	type cellProblem struct{ Label, Value, Reason string }
	var got []cellProblem
	for _, p := range ps {
		got = append(got, cellProblem{p.Label, p.Value, p.Reason})
	}
	want := []cellProblem{ // in column order
		{"*信用代码", "91110108MA01ABCD1X", reasonCheckChar},
		{"社区", " ", reasonRequired},
		{"重点类型", "木工", reasonKeyRisk},
		{"从业人数（人）", "很多", reasonEmployees},
		{"企业状态", "", reasonRequired},
		{"是否厂中厂", "可能", reasonYesNo},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	for _, p := range ps {
		if p.Severity != SeverityError {
			t.Errorf("%+v is not an error", p)
		}
	}
}

func TestEnterpriseFromRowDuplicateColumns(t *testing.T) {
	row := messyEnterpriseRow()
	row["统一社会信用代码"] = ""
	if e, ps := EnterpriseFromRow(row, nil); len(ps) != 0 || e.USCC != sampleUSCC {
		t.Errorf("an empty duplicate column: %q, %v", e.USCC, ps)
	}
	row["统一社会信用代码"] = beijingUSCC
	_, ps := EnterpriseFromRow(row, nil)
	if len(ps) != 1 || ps[0].Reason != reasonDuplicateColumn {
		t.Errorf("two different values: %v", ps)
	}
}

func TestEnterpriseToRow(t *testing.T) {
	e := validEnterprise()
	e.PlatformID, e.Grade, e.GradeValidUntil, e.RiskMonitored = "QY35058200001234", GradeThree, Date{2026, 12, 31}, true
	e.Remark = "厂中厂业主：某公司"
	got := EnterpriseToRow(&e)
	want := map[string]string{
		"统一社会信用代码": sampleUSCC, "企业名称": "晋江市灵源鞋业有限公司", "法定代表人": "张三", "主要负责人": "李四",
		"主要负责人电话": "13805951234", "安全管理人员": "", "经营地址": "晋江市灵源街道林格社区128号", "所属社区": "林格社区",
		"行业类别": "轻工", "重点类型": "粉尘涉爆、有限空间", "从业人数": "120", "企业状态": "在营", "是否厂中厂": "否",
		"备注": "厂中厂业主：某公司", "平台企业ID": "QY35058200001234", "标准化等级": "三级", "标准化有效期": "2026-12-31",
		"是否纳入监测预警": "是", "核实状态": "已核实",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EnterpriseToRow:\n got %v\nwant %v", got, want)
	}
	for _, h := range SheetEnterprises.Headers() {
		if _, ok := got[h]; !ok {
			t.Errorf("column %s missing", h)
		}
	}
	back, ps := EnterpriseFromRow(got, nil)
	if len(ps) != 0 {
		t.Errorf("problems after round trip: %v", ps)
	}
	e.PlatformID, e.Grade, e.GradeValidUntil, e.RiskMonitored, e.RegionCode = "", "", Date{}, false, "" // read-only, ignored on import
	if !reflect.DeepEqual(back, e) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, e)
	}
}

func messyOperatorRow() map[string]string {
	return map[string]string{
		"姓名":       "王 五",
		"身份证号码":    "350522197601011231x", // 19 characters: a typo
		"手机号":      "139 0595 1234",
		"统一社会信用代码": "91350100m000100y43",
		"作业类别":     "电工",
		"准操项目":     "低压电工",
		"上岗日期":     "2024年5月21日",
		"离岗日期":     "",
		"备注":       "",
	}
}

func TestOperatorFromRow(t *testing.T) {
	row := messyOperatorRow()
	row["身份证号码"] = "350522760101123" // first-generation 15 digits, old Jinjiang county code
	got, ps := OperatorFromRow(row, nil, certToday)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	if want := validOperator(); !reflect.DeepEqual(got, want) {
		t.Errorf("OperatorFromRow:\n got %+v\nwant %+v", got, want)
	}
	back, ps := OperatorFromRow(OperatorToRow(&got, nil), nil, certToday)
	if len(ps) != 0 || !reflect.DeepEqual(back, got) {
		t.Errorf("round trip: %+v, %v", back, ps)
	}
}

func TestOperatorFromRowProblems(t *testing.T) {
	cases := []struct {
		name   string
		change func(r map[string]string)
		label  string
		reason string
	}{
		{"ID too long", func(r map[string]string) {}, "身份证号码", reasonIDLength + "19位"},
		{"ID check digit", func(r map[string]string) { r["身份证号码"] = "350522197601011231" }, "身份证号码", reasonCheckChar},
		{"ID birth date", func(r map[string]string) { r["身份证号码"] = withIDCheck("35052219760230123") }, "身份证号码", reasonIDNoSuchBirth},
		{"item a category", func(r map[string]string) { r["身份证号码"] = sampleID; r["准操项目"] = "高处作业" }, "准操项目",
			reasonIsCategory + "登高架设作业、高处安装、维护、拆除作业"},
		{"item unknown", func(r map[string]string) { r["身份证号码"] = sampleID; r["准操项目"] = "叉车" }, "准操项目", reasonUnknownItem},
		{"category mismatch", func(r map[string]string) {
			r["身份证号码"] = sampleID
			r["作业类别"] = "焊接与热切割作业"
		}, "作业类别",
			reasonCategoryPrefix + "01 电工作业（0102 低压电工作业）"},
		{"start date", func(r map[string]string) { r["身份证号码"] = sampleID; r["上岗日期"] = "去年" }, "上岗日期", reasonDateFormat},
		{"start date missing", func(r map[string]string) { r["身份证号码"] = sampleID; delete(r, "上岗日期") }, "上岗日期", reasonRequired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := messyOperatorRow()
			c.change(row)
			_, ps := OperatorFromRow(row, nil, certToday)
			if len(ps) != 1 || ps[0].Label != c.label || ps[0].Reason != c.reason {
				t.Errorf("problems = %+v\nwant one: %s：%s", ps, c.label, c.reason)
			}
		})
	}
}

func TestOperatorToRow(t *testing.T) {
	o := validOperator()
	o.EndDate = Date{2027, time.January, 31}
	got := OperatorToRow(&o, nil)
	want := map[string]string{
		"姓名": "王五", "身份证号": "35052219760101123X", "联系电话": "13905951234",
		"所在企业统一社会信用代码": sampleUSCC, "作业类别": "电工作业", "操作项目": "低压电工作业",
		"上岗日期": "2024-05-21", "离岗日期": "2027-01-31", "备注": "",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OperatorToRow:\n got %v\nwant %v", got, want)
	}
	o.ItemCode, o.CategoryCode = "0199", "01"
	if got := OperatorToRow(&o, nil); got["操作项目"] != "0199" {
		t.Errorf("unknown item exported as %q, want the code", got["操作项目"])
	}
}
