package mapping

import (
	"strings"
	"testing"
)

func TestBuiltinCatalogMatchesContract(t *testing.T) {
	cat := DefaultCatalog()
	// Item counts per category and a few names, as in contracts/special-operations-catalog.md.
	counts := map[string]int{"01": 3, "02": 3, "03": 2, "04": 2, "05": 10, "06": 8, "07": 1, "08": 1,
		"09": 16, "10": 5, "11": 1}
	total := 0
	for code, want := range counts {
		if got := len(cat.ItemsOf(code)); got != want {
			t.Errorf("category %s has %d items, want %d", code, got, want)
		}
		if _, ok := cat.Category(code); !ok {
			t.Errorf("category %s missing", code)
		}
		total += want
	}
	if got := len(cat.Items()); got != total {
		t.Errorf("%d items, want %d", got, total)
	}
	for code, name := range map[string]string{
		"0101": "高压电工作业", "0102": "低压电工作业", "0103": "防爆电气作业",
		"0201": "熔化焊接与热切割作业", "0302": "高处安装、维护、拆除作业",
		"0401": "制冷与空调设备运行操作作业", "0402": "制冷与空调设备安装修理作业",
		"0507": "煤矿采煤机（掘进机）操作作业", "0510": "煤矿探放水作业",
		"0601": "金属非金属矿井通风作业", "0608": "金属非金属矿山爆破作业",
		"0701": "司钻作业", "0801": "煤气作业", "0906": "裂解（裂化）工艺作业", "0916": "化工自动化控制仪表作业",
		"1001": "烟火药制造作业", "1005": "烟花爆竹储存作业", "1101": "其他",
	} {
		if it, ok := cat.Item(code); !ok || it.Name != name {
			t.Errorf("Item(%s) = %q, %v; want %q", code, it.Name, ok, name)
		}
	}
	if c, _ := cat.Category("08"); c.Name != "冶金（有色）生产安全作业" {
		t.Errorf("category 08 = %q", c.Name)
	}
	for i, it := range cat.Items() {
		if it.Category != it.Code[:2] {
			t.Errorf("item %s in category %s", it.Code, it.Category)
		}
		if i > 0 && cat.Items()[i-1].Code >= it.Code {
			t.Errorf("items out of order at %s", it.Code)
		}
	}
}

func TestCatalogNamesAreCanonical(t *testing.T) {
	for _, c := range builtinCategories {
		if got := rewrite(c.Name, rulesCatalogName); got != c.Name {
			t.Errorf("category name %q normalizes to %q", c.Name, got)
		}
	}
	for _, it := range builtinItems {
		if got := rewrite(it.Name, rulesCatalogName); got != it.Name {
			t.Errorf("item name %q normalizes to %q", it.Name, got)
		}
	}
	cat, err := NewCatalog([]CatalogItem{{Code: "0104", Name: " 电力电缆作业(新) "}})
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := cat.Item("0104"); it.Name != "电力电缆作业（新）" {
		t.Errorf("configured name = %q, want it normalized", it.Name)
	}
}

func TestBuiltinAliasesAreUnambiguous(t *testing.T) {
	seen := map[string]string{}
	for _, it := range builtinItems {
		for _, s := range append([]string{it.Name}, it.Aliases...) {
			k := catalogKey(s)
			if other, ok := seen[k]; ok && other != it.Code {
				t.Errorf("%q stands for both %s and %s", s, other, it.Code)
			}
			seen[k] = it.Code
		}
	}
	for _, c := range builtinCategories {
		if code, ok := seen[catalogKey(c.Name)]; ok {
			t.Errorf("category name %q is also an alias of item %s", c.Name, code)
		}
	}
}

func TestLookupItem(t *testing.T) {
	cat := DefaultCatalog()
	cases := []struct {
		in   string
		want string // "" = not found
	}{
		{"0102", "0102"},
		{" 0102 ", "0102"},
		{"０１０２", "0102"},
		{"1.2", "0102"},
		{"2.1", "0201"},
		{"10.5", "1005"},
		{"低压电工作业", "0102"},
		{"低压电工", "0102"},
		{"低压 电工", "0102"},
		{"高压电工", "0101"},
		{"防爆电工", "0103"},
		{"电焊", "0201"},
		{"焊工", "0201"},
		{"气焊", "0201"},
		{"电焊工", "0201"},
		{"熔化焊接与热切割作业", "0201"},
		{"登高架设", "0301"},
		{"登高架设作业", "0301"},
		{"高处安装维护拆除作业", "0302"},
		{"高处安装，维护，拆除作业", ""},
		{"制冷", "0401"},
		{"制冷与空调设备安装修理", "0402"},
		{"煤矿采煤机(掘进机)操作作业", "0507"},
		{"裂解(裂化)工艺作业", "0906"},
		{"0102低压电工作业", "0102"},
		{"0102 低压电工", "0102"},
		{"0102-低压电工作业", "0102"},
		{"0102高压电工作业", ""}, // code and name disagree
		{"高处作业", ""},       // category 03: two items
		{"电工作业", ""},       // category 01: three items
		{"电工", ""},
		{"0199", ""},
		{"", ""},
	}
	for _, c := range cases {
		it, ok := cat.LookupItem(c.in)
		if got := it.Code; got != c.want || ok != (c.want != "") {
			t.Errorf("LookupItem(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestLookupCategory(t *testing.T) {
	cat := DefaultCatalog()
	for in, want := range map[string]string{
		"01": "01", "1": "01", "电工作业": "01", "电工": "01", "高处作业": "03", "高处": "03",
		"焊接与热切割作业": "02", "冶金(有色)生产安全作业": "08", "11": "11",
	} {
		if c, ok := cat.LookupCategory(in); !ok || c.Code != want {
			t.Errorf("LookupCategory(%q) = %q, %v; want %q", in, c.Code, ok, want)
		}
	}
	if _, ok := cat.LookupCategory("12"); ok {
		t.Error("LookupCategory(12) found a category")
	}
}

func TestNewCatalogFromConfig(t *testing.T) {
	cat, err := NewCatalog([]CatalogItem{
		{Code: "0104", Category: "01", Name: "电力电缆作业", Aliases: []string{"电缆作业"}},
		{Code: "12", Name: "电力作业", Aliases: []string{"电力"}},
		{Code: "1201", Name: "继电保护作业", Aliases: []string{"继保"}},
		{Code: "0102", Name: "低压电工作业（新）", Aliases: []string{"低压"}},
		{Code: "0201", Aliases: []string{"电焊条作业"}},
		{Code: "03", Name: "高处作业（新）"},
		{Code: "0105", Aliases: nil, Name: "电气试验作业"},
		{Code: "1202", Name: "新名字", Aliases: []string{"电焊"}}, // a later alias wins
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"电力电缆作业": "0104", "电缆作业": "0104", "0104": "0104",
		"继电保护作业": "1201", "继保": "1201",
		"低压电工作业（新）": "0102", "低压电工作业": "0102", "低压": "0102", "低压电工": "0102",
		"电焊条作业": "0201", "焊工": "0201", "电焊": "1202", "电气试验作业": "0105",
	}
	for in, want := range cases {
		if it, ok := cat.LookupItem(in); !ok || it.Code != want {
			t.Errorf("LookupItem(%q) = %q, %v; want %q", in, it.Code, ok, want)
		}
	}
	if c, ok := cat.Category("12"); !ok || c.Name != "电力作业" {
		t.Errorf("Category(12) = %+v, %v", c, ok)
	}
	if c, ok := cat.LookupCategory("电力"); !ok || c.Code != "12" {
		t.Errorf("LookupCategory(电力) = %+v, %v", c, ok)
	}
	if c, ok := cat.LookupCategory("高处作业"); !ok || c.Code != "03" {
		t.Errorf("renamed category's old name = %+v, %v", c, ok)
	}
	items := cat.Items()
	for i := 1; i < len(items); i++ {
		if items[i-1].Code >= items[i].Code {
			t.Fatalf("items out of order: %s before %s", items[i-1].Code, items[i].Code)
		}
	}
	// The built-in catalog is untouched.
	if it, _ := DefaultCatalog().Item("0102"); it.Name != "低压电工作业" {
		t.Errorf("built-in 0102 renamed to %q", it.Name)
	}
	if _, ok := DefaultCatalog().Item("0104"); ok {
		t.Error("built-in catalog gained 0104")
	}
}

func TestNewCatalogRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name string
		item CatalogItem
		want string
	}{
		{"code shape", CatalogItem{Code: "104", Name: "x"}, "catalog.items[0]: code"},
		{"letters", CatalogItem{Code: "01AB", Name: "x"}, "neither"},
		{"category disagrees with code", CatalogItem{Code: "0104", Category: "02", Name: "x"}, "cannot belong"},
		{"unknown category", CatalogItem{Code: "1301", Name: "x"}, "unknown category 13"},
		{"new item without a name", CatalogItem{Code: "0104"}, "needs a name"},
		{"new category without a name", CatalogItem{Code: "13"}, "needs a name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewCatalog([]CatalogItem{c.item})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("NewCatalog error = %v, want one containing %q", err, c.want)
			}
		})
	}
}
