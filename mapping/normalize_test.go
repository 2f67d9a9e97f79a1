package mapping

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// normCase is one input of a text rule and its expected output.
type normCase struct {
	name, in, want string
}

// runNorm checks f on every case, and that f is idempotent on its own output.
func runNorm(t *testing.T, f func(string) string, cases []normCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := f(c.in)
			if got != c.want {
				t.Errorf("f(%q) = %q, want %q", c.in, got, c.want)
			}
			if again := f(got); again != got {
				t.Errorf("not idempotent: f(%q) = %q, f of that = %q", c.in, got, again)
			}
		})
	}
}

func TestFoldWidth(t *testing.T) {
	runNorm(t, FoldWidth, []normCase{
		{"full-width digits", "１２３４５", "12345"},
		{"full-width letters", "ＡＢＣｘｙｚ", "ABCxyz"},
		{"full-width punctuation", "（）－／，：", "()-/,:"},
		{"ideographic space", "灵源\u3000街道", "灵源 街道"},
		{"CJK kept", "晋江市灵源街道", "晋江市灵源街道"},
		{"CJK punctuation kept", "一、二。「三」", "一、二。「三」"},
		{"mixed", "９１３５ＡＢ鞋业", "9135AB鞋业"},
		{"no cleaning", " a\u200bb ", " a\u200bb "},
		{"empty", "", ""},
	})
}

func TestCleanText(t *testing.T) {
	runNorm(t, CleanText, []normCase{
		{"trim", "  晋江  ", "晋江"},
		{"collapse spaces", "a   b", "a b"},
		{"tabs and new lines", "a\t\n\r b", "a b"},
		{"ideographic space", "\u3000灵源\u3000\u3000街道\u3000", "灵源 街道"},
		{"NBSP", "\u00a0a\u00a0\u00a0b\u00a0", "a b"},
		{"zero-width space", "张\u200b三", "张三"},
		{"zero-width joiners and BOM", "\ufeff林\u200c格\u200d\u2060", "林格"},
		{"bidi marks", "\u200eabc\u202e", "abc"},
		{"soft hyphen", "a\u00adb", "ab"},
		{"control characters", "a\x00b\x07c\x7f", "abc"},
		{"C1 control", "a\u0085b", "a b"},
		{"invalid UTF-8", "a\xffb", "ab"},
		{"only white space", " \u3000\t", ""},
		{"full-width kept", "ＡＢ", "ＡＢ"},
		{"clean input unchanged", "晋江市灵源街道", "晋江市灵源街道"},
	})
}

func TestNormalizeCompanyName(t *testing.T) {
	runNorm(t, NormalizeCompanyName, []normCase{
		{"half-width parentheses become full-width", "晋江市(灵源)鞋业有限公司", "晋江市（灵源）鞋业有限公司"},
		{"full-width parentheses kept", "晋江市（灵源）鞋业有限公司", "晋江市（灵源）鞋业有限公司"},
		{"mixed parentheses", "福建（晋江)陶瓷有限公司", "福建（晋江）陶瓷有限公司"},
		{"full-width letters folded", "晋江市ＡＢＣ鞋业有限公司", "晋江市ABC鞋业有限公司"},
		{"spaces next to Chinese dropped", " 晋江市 ABC 鞋业 有限公司 ", "晋江市ABC鞋业有限公司"},
		{"spaces around parentheses dropped", "晋江 ( 灵源 ) 鞋业", "晋江（灵源）鞋业"},
		{"Latin words keep a space", "ANTA SPORTS 晋江", "ANTA SPORTS晋江"},
		{"zero-width removed", "晋江\u200b鞋业", "晋江鞋业"},
		{"ideographic space", "晋江市\u3000鞋业", "晋江市鞋业"},
		{"empty", "", ""},
	})
}

func TestNormalizeMiddleDot(t *testing.T) {
	runNorm(t, NormalizeMiddleDot, []normCase{
		{"middle dot kept", "阿卜杜·热合曼", "阿卜杜·热合曼"},
		{"bullet", "阿卜杜•热合曼", "阿卜杜·热合曼"},
		{"hyphenation point", "阿卜杜‧热合曼", "阿卜杜·热合曼"},
		{"katakana middle dot", "阿卜杜・热合曼", "阿卜杜·热合曼"},
		{"half-width katakana middle dot", "阿卜杜･热合曼", "阿卜杜·热合曼"},
		{"bullet operator", "阿卜杜∙热合曼", "阿卜杜·热合曼"},
		{"dot operator", "阿卜杜⋅热合曼", "阿卜杜·热合曼"},
		{"period untouched", "a.b", "a.b"},
	})
}

func TestNormalizePersonName(t *testing.T) {
	runNorm(t, NormalizePersonName, []normCase{
		{"no spaces inside Chinese names", "张 三", "张三"},
		{"ideographic space inside", "王\u3000小明", "王小明"},
		{"trimmed", "  李四\t", "李四"},
		{"dots unified", "阿卜杜•热合曼", "阿卜杜·热合曼"},
		{"spaces around the dot dropped", "阿卜杜 ・ 热合曼", "阿卜杜·热合曼"},
		{"period between Chinese is a dot", "买买提.艾力", "买买提·艾力"},
		{"full-width period between Chinese is a dot", "买买提．艾力", "买买提·艾力"},
		{"Latin names keep one space", "John   Smith", "John Smith"},
		{"Latin initials keep their period", "J. Smith", "J. Smith"},
		{"name and phone keep their space", "张三 13800000000", "张三 13800000000"},
		{"full-width Latin folded", "Ｊｏｈｎ", "John"},
		{"zero-width removed", "张\u200b三", "张三"},
		{"clean name unchanged", "陈晓东", "陈晓东"},
	})
}

func TestNameMatchKey(t *testing.T) {
	runNorm(t, NameMatchKey, []normCase{
		{"white space removed", "John Smith", "JohnSmith"},
		{"dots unified", "阿卜杜 • 热合曼", "阿卜杜·热合曼"},
		{"full-width folded", "Ｌｉ　Ｍｉｎｇ", "LiMing"},
	})
	if NameMatchKey("阿卜杜・热合曼") != NameMatchKey("阿卜杜 · 热合曼") {
		t.Error("two spellings of one name give different keys")
	}
}

func TestNormalizeUSCC(t *testing.T) {
	runNorm(t, NormalizeUSCC, []normCase{
		{"clean", "91350100M000100Y43", "91350100M000100Y43"},
		{"lower case", "91350100m000100y43", "91350100M000100Y43"},
		{"full-width", "９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"},
		{"spaces", " 9135 0100 M000 100Y 43 ", "91350100M000100Y43"},
		{"dashes", "913501-00M000-100Y43", "91350100M000100Y43"},
		{"full-width dash and zero-width", "913501－00M000\u200b100Y43", "91350100M000100Y43"},
		{"look-alike letter kept for validation", "9135O100M000100Y43", "9135O100M000100Y43"},
	})
}

func TestNormalizeIDNumber(t *testing.T) {
	runNorm(t, NormalizeIDNumber, []normCase{
		{"clean", "11010519491231002X", "11010519491231002X"},
		{"lower-case x", "11010519491231002x", "11010519491231002X"},
		{"full-width", "１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"},
		{"spaces", "110105 19491231 002X", "11010519491231002X"},
		{"15 digits upgraded with 19 and a check digit", "110105491231002", "11010519491231002X"},
		{"15 digits, old Jinjiang county code", "350522760101123", "35052219760101123X"},
		{"15 with a letter left alone", "11010549123100X", "11010549123100X"},
	})
}

func TestNormalizePhone(t *testing.T) {
	runNorm(t, NormalizePhone, []normCase{
		{"mobile", "13805951234", "13805951234"},
		{"mobile with spaces", "138 0595 1234", "13805951234"},
		{"mobile with dashes", "138-0595-1234", "13805951234"},
		{"plus 86", "+86 138 0595 1234", "13805951234"},
		{"plus 86 with dash", "+86-13805951234", "13805951234"},
		{"0086", "0086 13805951234", "13805951234"},
		{"bare 86 before a mobile", "8613805951234", "13805951234"},
		{"parenthesized 86", "(86)13805951234", "13805951234"},
		{"full-width digits", "１３８０５９５１２３４", "13805951234"},
		{"Quanzhou landline with dash", "0595-88881234", "059588881234"},
		{"landline with parentheses", "(0595)8888-1234", "059588881234"},
		{"landline full-width parentheses", "（0595）88881234", "059588881234"},
		{"international landline regains its 0", "+86 595 8888 1234", "059588881234"},
		{"8-digit local number gets 0595", "88881234", "059588881234"},
		{"8-digit local number with dash", "8888-1234", "059588881234"},
		{"7-digit local number left for validation", "8881234", "8881234"},
		{"Beijing landline", "010-12345678", "01012345678"},
		{"extension kept for validation", "0595-88881234转801", "059588881234转801"},
		{"two numbers kept for validation", "13805951234/13905951234", "13805951234/13905951234"},
		{"words kept for validation", "暂无", "暂无"},
		{"plus 86 before words kept", "+86 暂无", "+86暂无"},
		{"plus 86 alone kept", "+86", "+86"},
		{"doubled prefixes", "+86 0086 138 0595 1234", "13805951234"},
		{"empty", "", ""},
	})
}

func TestCleanValuesDoNotAllocate(t *testing.T) {
	clean := []struct {
		name string
		f    func(string) string
		in   string
	}{
		{"CleanText", CleanText, "晋江市灵源街道林格社区"},
		{"NormalizeCompanyName", NormalizeCompanyName, "晋江市（灵源）鞋业有限公司"},
		{"NormalizePersonName", NormalizePersonName, "阿卜杜·热合曼"},
		{"NormalizeUSCC", NormalizeUSCC, "91350100M000100Y43"},
		{"NormalizeIDNumber", NormalizeIDNumber, "11010519491231002X"},
		{"NormalizePhone", NormalizePhone, "059588881234"},
	}
	for _, c := range clean {
		if n := testing.AllocsPerRun(100, func() { c.f(c.in) }); n != 0 {
			t.Errorf("%s(%q): %v allocations, want 0", c.name, c.in, n)
		}
	}
	messy := "晋江市(灵源)鞋业有限公司"
	if n := testing.AllocsPerRun(100, func() { NormalizeCompanyName(messy) }); n != 1 {
		t.Errorf("NormalizeCompanyName(%q): %v allocations, want 1", messy, n)
	}
}

// TestClassifyMatchesUnicode checks the hand-made fast paths of classify against the Unicode
// tables: white space is unicode.IsSpace, removed is a control or format character.
func TestClassifyMatchesUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates never come out of decoding
		}
		want := kindVisible
		switch {
		case unicode.IsSpace(r):
			want = kindSpace
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r):
			want = kindInvisible
		case r >= 0x2060 && r <= 0x206F:
			want = kindInvisible // unassigned U+2065 is removed with its Cf neighbours
		}
		if got := classify(r, utf8.RuneLen(r)); got != want {
			t.Errorf("classify(%U) = %d, want %d", r, got, want)
		}
	}
}

func TestRewriteReturnsSubstringsWithoutAllocating(t *testing.T) {
	in := "  \u200b晋江市灵源街道\u3000"
	if n := testing.AllocsPerRun(100, func() { CleanText(in) }); n != 0 {
		t.Errorf("trimming allocates %v times", n)
	}
	if got := CleanText(in); got != "晋江市灵源街道" {
		t.Errorf("CleanText(%q) = %q", in, got)
	}
}

func TestLabelParsersDoNotAllocate(t *testing.T) {
	for name, f := range map[string]func(){
		"ParseIndustry":         func() { ParseIndustry(" 机械行业 ") },
		"ParseEnterpriseStatus": func() { ParseEnterpriseStatus("已注销") },
		"ParseGrade":            func() { ParseGrade("安全生产标准化Ⅲ级") },
		"ParseYesNo":            func() { ParseYesNo("ｙｅｓ") },
		"ParseCertStatus":       func() { ParseCertStatus("valid") },
		"ParseGender":           func() { ParseGender("男") },
		"parseEmployees":        func() { parseEmployees("１，２００人") },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}
