package mapping

import (
	"fmt"
	"strings"
	"sync"
)

// The special-operations catalog (特种作业目录) as data: the built-in table is
// contracts/special-operations-catalog.md, and the config (catalog.items) adds or renames
// categories and items without a new release, because the catalog is amended from time to time.

// CatalogItem is one 操作项目, or — when Code has two digits — one 作业类别. It is also the shape of
// one entry of the config's catalog.items.
type CatalogItem struct {
	Code     string   `json:"code" yaml:"code"`                             // "0102"; "01" for a category
	Category string   `json:"category,omitempty" yaml:"category,omitempty"` // "01"; defaults to the code's first two digits
	Name     string   `json:"name" yaml:"name"`                             // 低压电工作业
	Aliases  []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`   // short forms people write: 低压电工
}

// CatalogCategory is one 作业类别.
type CatalogCategory struct {
	Code string `json:"code"` // "01"
	Name string `json:"name"` // 电工作业
}

// builtinCategories and builtinItems are the contract's table, in its order.
var builtinCategories = []CatalogCategory{
	{"01", "电工作业"},
	{"02", "焊接与热切割作业"},
	{"03", "高处作业"},
	{"04", "制冷与空调作业"},
	{"05", "煤矿安全作业"},
	{"06", "金属非金属矿山安全作业"},
	{"07", "石油天然气安全作业"},
	{"08", "冶金（有色）生产安全作业"},
	{"09", "危险化学品安全作业"},
	{"10", "烟花爆竹安全作业"},
	{"11", "应急管理部认定的其他作业"},
}

// builtinItems lists every item with the short forms seen in street rosters. A short form that
// could mean more than one item is deliberately absent: 电工 (three items), 高处作业 and 高空作业
// (the category 03, two items), 焊接与热切割 (the category 02). Those resolve as categories.
var builtinItems = []CatalogItem{
	{"0101", "01", "高压电工作业", []string{"高压电工", "高压电工证", "高压电工操作"}},
	{"0102", "01", "低压电工作业", []string{"低压电工", "低压电工证", "低压电工操作", "低压电气作业"}},
	{"0103", "01", "防爆电气作业", []string{"防爆电工", "防爆电气", "防爆电工作业", "防爆电气工"}},
	{"0201", "02", "熔化焊接与热切割作业", []string{"电焊", "焊工", "电焊工", "气焊", "气焊工", "气割", "电气焊",
		"电气焊工", "电焊作业", "气焊作业", "焊工作业", "熔化焊", "熔化焊接", "熔化焊接与热切割", "熔化焊与热切割", "热切割"}},
	{"0202", "02", "压力焊作业", []string{"压力焊", "压焊"}},
	{"0203", "02", "钎焊作业", []string{"钎焊", "钎焊工"}},
	{"0301", "03", "登高架设作业", []string{"登高架设", "架子工", "登高架设工"}},
	{"0302", "03", "高处安装、维护、拆除作业", []string{"高处安装维护拆除", "高处安装、维护、拆除", "高处安装"}},
	{"0401", "04", "制冷与空调设备运行操作作业", []string{"制冷", "制冷工", "制冷作业", "制冷运行", "制冷与空调设备运行操作",
		"制冷设备运行操作", "制冷与空调运行操作"}},
	{"0402", "04", "制冷与空调设备安装修理作业", []string{"制冷与空调设备安装修理", "制冷设备安装修理", "制冷维修",
		"制冷安装修理", "空调安装修理", "空调维修", "制冷与空调安装修理"}},
	{"0501", "05", "煤矿井下电气作业", nil},
	{"0502", "05", "煤矿井下爆破作业", nil},
	{"0503", "05", "煤矿安全监测监控作业", nil},
	{"0504", "05", "煤矿瓦斯检查作业", nil},
	{"0505", "05", "煤矿安全检查作业", nil},
	{"0506", "05", "煤矿提升机操作作业", nil},
	{"0507", "05", "煤矿采煤机（掘进机）操作作业", nil},
	{"0508", "05", "煤矿瓦斯抽采作业", nil},
	{"0509", "05", "煤矿防突作业", nil},
	{"0510", "05", "煤矿探放水作业", nil},
	{"0601", "06", "金属非金属矿井通风作业", nil},
	{"0602", "06", "尾矿作业", nil},
	{"0603", "06", "金属非金属矿山安全检查作业", nil},
	{"0604", "06", "金属非金属矿山提升机操作作业", nil},
	{"0605", "06", "金属非金属矿山支柱作业", nil},
	{"0606", "06", "金属非金属矿山井下电气作业", nil},
	{"0607", "06", "金属非金属矿山排水作业", nil},
	{"0608", "06", "金属非金属矿山爆破作业", nil},
	{"0701", "07", "司钻作业", []string{"司钻"}},
	{"0801", "08", "煤气作业", []string{"煤气", "煤气工"}},
	{"0901", "09", "光气及光气化工艺作业", nil},
	{"0902", "09", "氯碱电解工艺作业", nil},
	{"0903", "09", "氯化工艺作业", nil},
	{"0904", "09", "硝化工艺作业", nil},
	{"0905", "09", "合成氨工艺作业", nil},
	{"0906", "09", "裂解（裂化）工艺作业", nil},
	{"0907", "09", "氟化工艺作业", nil},
	{"0908", "09", "加氢工艺作业", nil},
	{"0909", "09", "重氮化工艺作业", nil},
	{"0910", "09", "氧化工艺作业", nil},
	{"0911", "09", "过氧化工艺作业", nil},
	{"0912", "09", "胺基化工艺作业", nil},
	{"0913", "09", "磺化工艺作业", nil},
	{"0914", "09", "聚合工艺作业", nil},
	{"0915", "09", "烷基化工艺作业", nil},
	{"0916", "09", "化工自动化控制仪表作业", []string{"化工自动化控制仪表", "化工仪表"}},
	{"1001", "10", "烟火药制造作业", nil},
	{"1002", "10", "黑火药制造作业", nil},
	{"1003", "10", "引火线制造作业", nil},
	{"1004", "10", "烟花爆竹产品涉药作业", nil},
	{"1005", "10", "烟花爆竹储存作业", nil},
	{"1101", "11", "其他", nil},
}

// Catalog resolves what people and systems write for an operation to its codes. It is immutable
// once built and safe for concurrent use.
type Catalog struct {
	categories []CatalogCategory
	items      []CatalogItem
	itemIndex  map[string]int // code → index in items
	catIndex   map[string]int // code → index in categories
	itemByText map[string]int // lookup key of a name or alias → index in items
	catByText  map[string]int // lookup key of a category name (with and without 作业) → index
}

// builtinCatalog is the built-in table, built once on first use.
var builtinCatalog = sync.OnceValue(func() *Catalog {
	c, err := NewCatalog(nil)
	if err != nil {
		panic("mapping: built-in catalog: " + err.Error()) // a bug in the table above
	}
	return c
})

// DefaultCatalog returns the built-in catalog (the contract's table with its short forms).
func DefaultCatalog() *Catalog { return builtinCatalog() }

func catalogOrDefault(c *Catalog) *Catalog {
	if c == nil {
		return builtinCatalog()
	}
	return c
}

// NewCatalog builds the built-in catalog extended by extra (the config's catalog.items), applied
// in order:
//   - a two-digit code is a category: a new one is added, a known one renamed (Name), aliases added;
//   - a four-digit code is an item of the category its first two digits name (Category, when
//     given, must agree): a new one is added, a known one renamed and given more aliases. A
//     renamed item keeps its old name as an alias, so older sheets still resolve.
//
// Later entries win a name or alias another item already uses.
func NewCatalog(extra []CatalogItem) (*Catalog, error) {
	c := &Catalog{
		categories: append([]CatalogCategory(nil), builtinCategories...),
		items:      make([]CatalogItem, 0, len(builtinItems)+len(extra)),
		itemIndex:  make(map[string]int, len(builtinItems)+len(extra)),
		catIndex:   make(map[string]int, len(builtinCategories)),
	}
	for _, it := range builtinItems {
		it.Aliases = append([]string(nil), it.Aliases...)
		c.itemIndex[it.Code] = len(c.items)
		c.items = append(c.items, it)
	}
	for i, cat := range c.categories {
		c.catIndex[cat.Code] = i
	}
	var catAliases, itemAliases [][2]string // (alias, code) from the config, in its order
	for n, x := range extra {
		code := normalizeCode(x.Code)
		name := rewrite(x.Name, rulesCatalogName)
		where := fmt.Sprintf("catalog.items[%d]", n)
		if !allDigits(code) || (len(code) != 2 && len(code) != 4) {
			return nil, fmt.Errorf("%s: code %q is neither a 2-digit category nor a 4-digit item code", where, x.Code)
		}
		if len(code) == 2 {
			if i, ok := c.catIndex[code]; ok {
				if name != "" {
					catAliases = append(catAliases, [2]string{c.categories[i].Name, code})
					c.categories[i].Name = name
				}
			} else {
				if name == "" {
					return nil, fmt.Errorf("%s: new category %s needs a name", where, code)
				}
				c.catIndex[code] = len(c.categories)
				c.categories = append(c.categories, CatalogCategory{code, name})
			}
			for _, a := range x.Aliases {
				catAliases = append(catAliases, [2]string{a, code})
			}
			continue
		}
		category := normalizeCode(x.Category)
		if category == "" {
			category = code[:2]
		}
		if category != code[:2] {
			return nil, fmt.Errorf("%s: item %s cannot belong to category %s (item codes start with their category's)", where, code, category)
		}
		if _, ok := c.catIndex[category]; !ok {
			return nil, fmt.Errorf("%s: item %s: unknown category %s (add it as an entry with a 2-digit code)", where, code, category)
		}
		if i, ok := c.itemIndex[code]; ok {
			it := &c.items[i]
			if name != "" && name != it.Name {
				it.Aliases = append(it.Aliases, it.Name)
				itemAliases = append(itemAliases, [2]string{it.Name, code})
				it.Name = name
			}
			it.Aliases = append(it.Aliases, x.Aliases...)
			for _, a := range x.Aliases {
				itemAliases = append(itemAliases, [2]string{a, code})
			}
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("%s: new item %s needs a name", where, code)
		}
		c.itemIndex[code] = len(c.items)
		c.items = append(c.items, CatalogItem{code, category, name, append([]string(nil), x.Aliases...)})
		for _, a := range x.Aliases {
			itemAliases = append(itemAliases, [2]string{a, code})
		}
	}
	c.sortItems()
	c.index(catAliases, itemAliases)
	return c, nil
}

// sortItems keeps categories and items in code order (added ones fall into place).
func (c *Catalog) sortItems() {
	for i := 1; i < len(c.items); i++ {
		for j := i; j > 0 && c.items[j].Code < c.items[j-1].Code; j-- {
			c.items[j], c.items[j-1] = c.items[j-1], c.items[j]
		}
	}
	for i := 1; i < len(c.categories); i++ {
		for j := i; j > 0 && c.categories[j].Code < c.categories[j-1].Code; j-- {
			c.categories[j], c.categories[j-1] = c.categories[j-1], c.categories[j]
		}
	}
	for i, it := range c.items {
		c.itemIndex[it.Code] = i
	}
	for i, cat := range c.categories {
		c.catIndex[cat.Code] = i
	}
}

// index builds the text lookups: every alias in item order, then the config's aliases again in
// the config's order (a later entry wins), then every item's own name, which beats any alias.
func (c *Catalog) index(catAliases, itemAliases [][2]string) {
	c.itemByText = make(map[string]int, 4*len(c.items))
	c.catByText = make(map[string]int, 2*len(c.categories))
	for i, cat := range c.categories {
		k := catalogKey(cat.Name)
		c.catByText[k] = i
		if short := strings.TrimSuffix(k, "作业"); short != "" {
			c.catByText[short] = i
		}
	}
	for _, a := range catAliases {
		c.catByText[catalogKey(a[0])] = c.catIndex[a[1]]
	}
	for i, it := range c.items {
		for _, a := range it.Aliases {
			c.itemByText[catalogKey(a)] = i
		}
	}
	for _, a := range itemAliases {
		c.itemByText[catalogKey(a[0])] = c.itemIndex[a[1]]
	}
	for i, it := range c.items {
		c.itemByText[catalogKey(it.Name)] = i
	}
}

// catalogKey is the form names are compared in: cleaned, ASCII-folded (（） become ()), upper-case,
// without white space or the enumeration comma 、.
func catalogKey(s string) string {
	k := rewrite(s, rulesKey)
	if strings.Contains(k, "、") {
		k = strings.ReplaceAll(k, "、", "")
	}
	return k
}

// Item returns the item with this code. The Aliases slice is shared: do not modify it.
func (c *Catalog) Item(code string) (CatalogItem, bool) {
	if i, ok := c.itemIndex[code]; ok {
		return c.items[i], true
	}
	return CatalogItem{}, false
}

// Category returns the category with this code.
func (c *Catalog) Category(code string) (CatalogCategory, bool) {
	if i, ok := c.catIndex[code]; ok {
		return c.categories[i], true
	}
	return CatalogCategory{}, false
}

// Items returns every item in code order.
func (c *Catalog) Items() []CatalogItem { return append([]CatalogItem(nil), c.items...) }

// Categories returns every category in code order.
func (c *Catalog) Categories() []CatalogCategory {
	return append([]CatalogCategory(nil), c.categories...)
}

// ItemsOf returns the items of one category in code order.
func (c *Catalog) ItemsOf(category string) []CatalogItem {
	var out []CatalogItem
	for _, it := range c.items {
		if it.Category == category {
			out = append(out, it)
		}
	}
	return out
}

// LookupItem resolves what a sheet or a system writes for an item: the code (0102), the catalog's
// own numbering (2.1), the name in any width or spacing (低压电工作业), a short form (低压电工, 电焊),
// or a code followed by its name (0102 低压电工作业). A category's name (高处作业) is not an item.
func (c *Catalog) LookupItem(text string) (CatalogItem, bool) {
	k := catalogKey(text)
	if k == "" {
		return CatalogItem{}, false
	}
	if i, ok := c.itemIndex[k]; ok {
		return c.items[i], true
	}
	if code, ok := dottedItemCode(k); ok {
		return c.Item(code)
	}
	if i, ok := c.itemByText[k]; ok {
		return c.items[i], true
	}
	// "0102低压电工作业", "0102-低压电工": a code and a name that must agree.
	if len(k) > 4 && allDigits(k[:4]) {
		if i, ok := c.itemIndex[k[:4]]; ok {
			rest := strings.TrimLeft(k[4:], "-_.:：")
			if j, ok := c.itemByText[rest]; ok && j == i || rest == "" {
				return c.items[i], true
			}
		}
	}
	return CatalogItem{}, false
}

// LookupCategory resolves a category's code (01 or 1), name (电工作业) or short name (电工).
func (c *Catalog) LookupCategory(text string) (CatalogCategory, bool) {
	k := catalogKey(text)
	if len(k) == 1 && k[0] >= '1' && k[0] <= '9' {
		k = "0" + k
	}
	if i, ok := c.catIndex[k]; ok {
		return c.categories[i], true
	}
	if i, ok := c.catByText[k]; ok {
		return c.categories[i], true
	}
	return CatalogCategory{}, false
}

// dottedItemCode turns the catalog's own numbering N.M (2.1) into NNMM (0201).
func dottedItemCode(k string) (string, bool) {
	a, b, ok := strings.Cut(k, ".")
	if !ok || len(a) < 1 || len(a) > 2 || len(b) < 1 || len(b) > 2 || !allDigits(a) || !allDigits(b) {
		return "", false
	}
	pad := func(s string) string {
		if len(s) == 1 {
			return "0" + s
		}
		return s
	}
	return pad(a) + pad(b), true
}

// itemLabel returns "0102 低压电工作业" for messages, or the code alone when unknown.
func (c *Catalog) itemLabel(code string) string {
	if it, ok := c.Item(code); ok {
		return code + " " + it.Name
	}
	return code
}

// itemNames returns the names of a category's items joined by 、.
func (c *Catalog) itemNames(category string) string {
	var names []string
	for _, it := range c.ItemsOf(category) {
		names = append(names, it.Name)
	}
	return strings.Join(names, "、")
}
