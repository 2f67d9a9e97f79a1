package dataset

// Item is one operation item of the 特种作业目录 (special-operations-catalog.md), as the
// provincial system sends it.
type Item struct {
	Code         string
	Name         string
	CategoryCode string
	CategoryName string
	Short        string // a common short form used in hand-typed workbooks, "" when none
}

// The items a 工贸 street's roster uses, with the catalog's codes and the short forms the
// catalog document names (低压电工, 电焊/焊工, 登高架设).
var rosterItems = []Item{
	{"0101", "高压电工作业", "01", "电工作业", ""},
	{"0102", "低压电工作业", "01", "电工作业", "低压电工"},
	{"0103", "防爆电气作业", "01", "电工作业", ""},
	{"0201", "熔化焊接与热切割作业", "02", "焊接与热切割作业", "电焊"},
	{"0202", "压力焊作业", "02", "焊接与热切割作业", ""},
	{"0203", "钎焊作业", "02", "焊接与热切割作业", ""},
	{"0301", "登高架设作业", "03", "高处作业", "登高架设"},
	{"0302", "高处安装、维护、拆除作业", "03", "高处作业", ""},
	{"0401", "制冷与空调设备运行操作作业", "04", "制冷与空调作业", ""},
	{"0402", "制冷与空调设备安装修理作业", "04", "制冷与空调作业", ""},
	{"0801", "煤气作业", "08", "冶金（有色）生产安全作业", ""},
	{"0916", "化工自动化控制仪表作业", "09", "危险化学品安全作业", ""},
}

// rosterItemWeights is how often each roster item occurs: electricians and welders dominate.
var rosterItemWeights = []int{6, 40, 4, 30, 2, 3, 6, 4, 2, 1, 1, 1}

// unknownItems are items of newer catalog editions that the built-in catalog does not know
// (special-operations-catalog.md, "The catalog changes"): the system sends them, they must be kept.
var unknownItems = []Item{
	{"0104", "电力电缆作业", "01", "电工作业", ""},
	{"0105", "继电保护作业", "01", "电工作业", ""},
	{"0106", "电气试验作业", "01", "电工作业", ""},
}

// noiseItems are what other people in the province hold (the change feed's noise).
var noiseItems = []Item{
	{"0102", "低压电工作业", "01", "电工作业", ""},
	{"0201", "熔化焊接与热切割作业", "02", "焊接与热切割作业", ""},
	{"0301", "登高架设作业", "03", "高处作业", ""},
	{"0302", "高处安装、维护、拆除作业", "03", "高处作业", ""},
	{"0101", "高压电工作业", "01", "电工作业", ""},
	{"0501", "煤矿井下电气作业", "05", "煤矿安全作业", ""},
	{"0608", "金属非金属矿山爆破作业", "06", "金属非金属矿山安全作业", ""},
	{"0905", "合成氨工艺作业", "09", "危险化学品安全作业", ""},
	{"1004", "烟花爆竹产品涉药作业", "10", "烟花爆竹安全作业", ""},
}

// RosterItem returns the roster item with the given code.
func RosterItem(code string) (Item, bool) {
	for _, it := range rosterItems {
		if it.Code == code {
			return it, true
		}
	}
	return Item{}, false
}
