package mapping

import (
	"strings"
	"testing"
	"time"
)

// Published sample codes (GB 32100-2015 and GB 11643-1999 examples). The USCC sample is a Fujian
// code (characters 3–4 "35") whose inner organization code is valid, so the Fujian exception
// applies to it: only flips of "35" or of the inner code make it fail outright.
const (
	sampleUSCC = "91350100M000100Y43"
	sampleID   = "11010519491231002X"
)

// withUSCCCheck appends the GB 32100 check character to 17 characters; beijingUSCC is a valid
// non-Fujian code built with it (the algorithm itself is anchored by sampleUSCC).
func withUSCCCheck(s17 string) string {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += usccValue(s17[i]) * usccWeights[i]
	}
	return s17 + string(usccAlphabet[(31-sum%31)%31])
}

var beijingUSCC = withUSCCCheck("91110108MA01ABCD1")

// flipped returns s with the character at i replaced by the next character of alphabet (cyclic),
// a change no weighted check sum can miss.
func flipped(s string, i int, alphabet string) string {
	j := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[(j+1)%len(alphabet)]) + s[i+1:]
}

func TestCheckUSCC(t *testing.T) {
	cases := []struct {
		name string
		code string
		want USCCVerdict
	}{
		{"published sample", sampleUSCC, USCCValid},
		{"non-Fujian code", beijingUSCC, USCCValid},
		// Check character 0: the weighted sum is a multiple of 31, so only the final % 31 of
		// (31 - sum % 31) % 31 turns 31 into 0.
		{"check character 0, Fujian", "91350582MA2Y000110", USCCValid},
		{"check character 0, not Fujian", "91110108MA01000010", USCCValid},
		{"check character 0, another Fujian code", "91350582MA300000E0", USCCValid},
		{"wrong check character", flipped(beijingUSCC, 17, usccAlphabet), USCCBadCheck},
		{"Fujian code with wrong check character and wrong inner code", "91350100M000100Y53", USCCBadCheck},
		{"too short", "91350100M000100Y4", USCCWrongLength},
		{"too long", "91350100M000100Y433", USCCWrongLength},
		{"letter I is not in the alphabet", "9135010IM000100Y43", USCCBadCharacter},
		{"letter O is not in the alphabet", "91350100MO00100Y43", USCCBadCharacter},
		{"check character Z is not in the alphabet", "91350100M000100Y4Z", USCCBadCharacter},
		{"lower case is not normalized here", "91350100m000100y43", USCCBadCharacter},
		{"Fujian pilot: outer check wrong, inner organization code right", "91350100M000100Y4X", USCCFujianPilot},
		{"Fujian pilot with another wrong outer check", "91350100M000100Y40", USCCFujianPilot},
		{"Fujian code whose inner code is wrong too", "91350100M000100Y5X", USCCBadCheck},
		{"not Fujian: same inner code, region 11", "91110100M000100Y4X", USCCBadCheck},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CheckUSCC(c.code); got != c.want {
				t.Errorf("CheckUSCC(%q) = %v, want %v", c.code, got, c.want)
			}
		})
	}
}

func TestCheckUSCCFlippedCharacterFails(t *testing.T) {
	for i := 0; i < 18; i++ {
		code := flipped(beijingUSCC, i, usccAlphabet)
		if v := CheckUSCC(code); v.OK() {
			t.Errorf("CheckUSCC(%q) (position %d flipped) = %v, want a failure", code, i+1, v)
		}
		// The Fujian sample: never cleanly valid again; outright failing when "35" or the inner
		// organization code (positions 9–17) is hit, accepted with a warning otherwise.
		code = flipped(sampleUSCC, i, usccAlphabet)
		want := USCCFujianPilot
		if i == 2 || i == 3 || i >= 8 && i < 17 {
			want = USCCBadCheck
		}
		if v := CheckUSCC(code); v != want {
			t.Errorf("CheckUSCC(%q) (position %d flipped) = %v, want %v", code, i+1, v, want)
		}
	}
}

func TestValidOrgCode(t *testing.T) {
	cases := []struct {
		code string
		want bool
	}{
		{"M000100Y4", true},  // inside the published USCC
		{"M000100Y5", false}, // check flipped
		{"D2143569X", true},  // GB 11714 example with check X (10)
		{"D2143569Y", false},
		{"00000000A", false},
	}
	for _, c := range cases {
		if got := validOrgCode(c.code); got != c.want {
			t.Errorf("validOrgCode(%q) = %v, want %v", c.code, got, c.want)
		}
	}
}

func TestCheckIDNumber(t *testing.T) {
	today := Date{2026, time.November, 28}
	cases := []struct {
		name string
		id   string
		want IDVerdict
	}{
		{"published sample", sampleID, IDValid},
		{"check flipped", "110105194912310021", IDBadCheck},
		{"old Jinjiang county code 350522", "35052219760101123X", IDValid},
		{"lower-case x is not normalized here", "11010519491231002x", IDBadCharacter},
		{"17 characters", "11010519491231002", IDWrongLength},
		{"15 digits are not normalized here", "110105491231002", IDWrongLength},
		{"letter inside", "1101051949123100AX", IDBadCharacter},
		{"February 30", "110105194902300020", IDNoSuchBirthDate},
		{"month 13", "110105194913010020", IDNoSuchBirthDate},
		{"born before 1900", "110105189912310020", IDBornTooEarly},
		{"born tomorrow", withIDCheck("11010520261129002"), IDBornInFuture},
		{"born today", withIDCheck("11010520261128002"), IDValid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CheckIDNumber(c.id, today); got != c.want {
				t.Errorf("CheckIDNumber(%q) = %v, want %v", c.id, got, c.want)
			}
		})
	}
	if got := CheckIDNumber(withIDCheck("11010520991231002"), Date{}); got != IDValid {
		t.Errorf("zero today: future birth date = %v, want the bound skipped", got)
	}
}

// withIDCheck appends the check character to 17 digits.
func withIDCheck(s17 string) string { return s17 + string(idCheckChar(s17)) }

func TestCheckIDNumberFlippedCharacterFails(t *testing.T) {
	for i := 0; i < 18; i++ {
		id := flipped(sampleID, i, "0123456789")
		if v := CheckIDNumber(id, Date{}); v == IDValid {
			t.Errorf("CheckIDNumber(%q) (position %d flipped) = valid", id, i+1)
		}
	}
}

func TestValidPhone(t *testing.T) {
	cases := []struct {
		phone string
		want  bool
	}{
		{"13805951234", true},
		{"19905951234", true},
		{"12805951234", false}, // no 12x mobile numbers
		{"1380595123", false},
		{"059588881234", true},
		{"05958881234", true}, // 7-digit local number
		{"01012345678", true},
		{"0595888812345", false},
		{"00595888812", false},
		{"88881234", false}, // local without area code (NormalizePhone adds it)
		{"059588881234转801", false},
		{"", false},
	}
	for _, c := range cases {
		if got := ValidPhone(c.phone); got != c.want {
			t.Errorf("ValidPhone(%q) = %v, want %v", c.phone, got, c.want)
		}
	}
}

// validEnterprise is a normalized enterprise without problems.
func validEnterprise() Enterprise {
	return Enterprise{
		USCC:           sampleUSCC,
		Name:           "晋江市灵源鞋业有限公司",
		LegalRep:       "张三",
		Principal:      "李四",
		PrincipalPhone: "13805951234",
		Address:        "晋江市灵源街道林格社区128号",
		RegionCode:     "350582006",
		Community:      "林格社区",
		Industry:       IndustryLight,
		KeyRisks:       []KeyRisk{KeyRiskDust, KeyRiskConfined},
		Employees:      120,
		Status:         StatusOperating,
	}
}

// fieldsOf lists "field:severity" of each problem.
func fieldsOf(ps Problems) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Field+":"+p.Severity.String())
	}
	return strings.Join(parts, " ")
}

func TestValidateEnterprise(t *testing.T) {
	cases := []struct {
		name   string
		change func(e *Enterprise)
		want   string
	}{
		{"valid", func(e *Enterprise) {}, ""},
		{"USCC check character", func(e *Enterprise) { e.USCC = flipped(beijingUSCC, 17, usccAlphabet) }, "uscc:error"},
		{"Fujian pilot code is a warning", func(e *Enterprise) { e.USCC = "91350100M000100Y4X" }, "uscc:warning"},
		{"check character 0", func(e *Enterprise) { e.USCC = "92350582MA20000260" }, ""},
		{"required fields", func(e *Enterprise) { e.Name, e.LegalRep, e.Principal, e.Address = "", "", "", "" },
			"name:error legalRep:error principal:error address:error"},
		{"missing phone", func(e *Enterprise) { e.PrincipalPhone = "" }, "principalPhone:error"},
		{"bad phone", func(e *Enterprise) { e.PrincipalPhone = "8881234" }, "principalPhone:error"},
		{"missing community is a warning", func(e *Enterprise) { e.Community = "" }, "community:warning"},
		{"region code", func(e *Enterprise) { e.RegionCode = "35058200" }, "regionCode:error"},
		{"empty region code is set by the job", func(e *Enterprise) { e.RegionCode = "" }, ""},
		{"unknown industry", func(e *Enterprise) { e.Industry = "机械厂" }, "industry:error"},
		{"missing industry", func(e *Enterprise) { e.Industry = "" }, "industry:error"},
		{"unknown key risk", func(e *Enterprise) { e.KeyRisks = append(e.KeyRisks, "木工") }, "keyRisks:error"},
		{"negative employees", func(e *Enterprise) { e.Employees = -1 }, "employees:error"},
		{"too many employees", func(e *Enterprise) { e.Employees = 13805951234 }, "employees:error"},
		{"unknown status", func(e *Enterprise) { e.Status = "9" }, "status:error"},
		{"unknown grade is the platform's: warning", func(e *Enterprise) { e.Grade = "5" }, "grade:warning"},
		{"implausible grade date is the platform's: warning", func(e *Enterprise) { e.GradeValidUntil = Date{1899, 1, 1} },
			"gradeValidUntil:warning"},
		{"everything at once", func(e *Enterprise) { e.USCC, e.Status, e.PrincipalPhone = "X", "", "1" },
			"uscc:error principalPhone:error status:error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := validEnterprise()
			c.change(&e)
			if got := fieldsOf(ValidateEnterprise(&e)); got != c.want {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}

func TestProblemMessages(t *testing.T) {
	e := validEnterprise()
	e.USCC = flipped(beijingUSCC, 17, usccAlphabet)
	ps := ValidateEnterprise(&e)
	if got, want := ps.Error(), "统一社会信用代码：校验位错误"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.USCC = "9135010"
	if got, want := ValidateEnterprise(&e).Error(), "统一社会信用代码：应为18位，实为7位"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = validEnterprise()
	e.Industry = "机械厂"
	p := ValidateEnterprise(&e)[0]
	if p.Value != "机械厂" || p.Label != "行业类别" || !strings.HasPrefix(p.Reason, "无法识别") {
		t.Errorf("problem = %+v, want value 机械厂, label 行业类别, reason 无法识别…", p)
	}
}

// validOperator is a normalized roster entry without problems.
func validOperator() Operator {
	return Operator{
		Name:           "王五",
		IDNumber:       "35052219760101123X",
		Phone:          "13905951234",
		EnterpriseUSCC: sampleUSCC,
		CategoryCode:   "01",
		ItemCode:       "0102",
		StartDate:      Date{2024, time.May, 21},
	}
}

func TestValidateOperator(t *testing.T) {
	today := WithToday(Date{2026, time.November, 28})
	cases := []struct {
		name   string
		change func(o *Operator)
		want   string
	}{
		{"valid", func(o *Operator) {}, ""},
		{"ID check digit", func(o *Operator) { o.IDNumber = "350522197601011231" }, "idNumber:error"},
		{"ID birth date impossible", func(o *Operator) { o.IDNumber = withIDCheck("35052219760231123") }, "idNumber:error"},
		{"ID born in the future", func(o *Operator) { o.IDNumber = withIDCheck("35052220270101123") }, "idNumber:error"},
		{"no phone is fine", func(o *Operator) { o.Phone = "" }, ""},
		{"bad phone", func(o *Operator) { o.Phone = "139" }, "phone:error"},
		{"enterprise code", func(o *Operator) { o.EnterpriseUSCC = "91350100M000100Y53" }, "enterpriseUscc:error"},
		{"unknown item", func(o *Operator) { o.ItemCode = "0199" }, "itemCode:error"},
		{"category does not match item", func(o *Operator) { o.CategoryCode = "02" }, "categoryCode:error"},
		{"no category is fine", func(o *Operator) { o.CategoryCode = "" }, ""},
		{"no start date", func(o *Operator) { o.StartDate = Date{} }, "startDate:error"},
		{"end before start", func(o *Operator) { o.EndDate = Date{2024, time.May, 20} }, "endDate:error"},
		{"end on start", func(o *Operator) { o.EndDate = o.StartDate }, ""},
		{"implausible start", func(o *Operator) { o.StartDate = Date{1899, 12, 31} }, "startDate:error"},
		{"required", func(o *Operator) { *o = Operator{} },
			"name:error idNumber:error enterpriseUscc:error itemCode:error startDate:error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := validOperator()
			c.change(&o)
			if got := fieldsOf(ValidateOperator(&o, nil, today)); got != c.want {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}

func TestValidateOperatorCategoryNameInItem(t *testing.T) {
	o := validOperator()
	o.ItemCode = "高处作业"
	ps := ValidateOperator(&o, nil, WithToday(Date{2026, 1, 1}))
	if len(ps) != 1 || !strings.Contains(ps[0].Reason, "登高架设作业") {
		t.Errorf("problems = %v, want one naming the items of 高处作业", ps)
	}
}

// validCertificate is a normalized certificate without problems.
func validCertificate() Certificate {
	return Certificate{
		CertNo:         "T35052219760101123X",
		HolderName:     "王五",
		IDNumber:       "35052219760101123X",
		Gender:         "1",
		CategoryCode:   "01",
		CategoryName:   "电工作业",
		ItemCode:       "0102",
		ItemName:       "低压电工作业",
		FirstIssueDate: Date{2020, time.March, 1},
		ValidFrom:      Date{2020, time.March, 1},
		ValidUntil:     Date{2026, time.March, 1},
		ReviewDueDate:  Date{2023, time.March, 1},
		LastReviewDate: Date{2023, time.February, 10},
		Status:         CertValid,
		Issuer:         "泉州市应急管理局",
	}
}

func TestValidateCertificate(t *testing.T) {
	today := WithToday(Date{2026, time.November, 28})
	cases := []struct {
		name   string
		change func(c *Certificate)
		want   string
	}{
		{"valid", func(c *Certificate) {}, ""},
		{"unknown item is kept with a warning", func(c *Certificate) { c.ItemCode = "0105" }, "itemCode:warning"},
		{"category mismatch is a warning", func(c *Certificate) { c.CategoryCode = "02" }, "categoryCode:warning"},
		{"unknown status is a warning", func(c *Certificate) { c.Status = "FROZEN" }, "status:warning"},
		{"gender contradicts the ID number", func(c *Certificate) { c.Gender = "2" }, "gender:warning"},
		{"gender not a code", func(c *Certificate) { c.Gender = "x" }, "gender:warning"},
		{"invalid ID number", func(c *Certificate) { c.IDNumber = "350522197601011231" }, "idNumber:error"},
		{"no certificate number", func(c *Certificate) { c.CertNo = "" }, "certNo:error"},
		{"no valid-until", func(c *Certificate) { c.ValidUntil = Date{} }, "validUntil:error"},
		{"valid-until before valid-from", func(c *Certificate) { c.ValidUntil = Date{2019, 1, 1} }, "validUntil:error"},
		{"implausible review date", func(c *Certificate) { c.ReviewDueDate = Date{2300, 1, 1} }, "reviewDueDate:error"},
		{"never reviewed is fine", func(c *Certificate) { c.LastReviewDate = Date{} }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cert := validCertificate()
			c.change(&cert)
			if got := fieldsOf(ValidateCertificate(&cert, nil, today)); got != c.want {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}
