package dataset

// The Chinese vocabulary the generator draws from, kept together so it can be reviewed at a
// glance. Everything here is invented data shaped like 灵源街道's real ledgers.

// Region is 灵源街道's 行政区划代码; its first six digits are 晋江市's.
const (
	Region     = "350582006"
	RegionName = "灵源街道"
	county     = "350582"
)

// Communities are 灵源街道's 社区.
var Communities = []string{
	"林口社区", "张前社区", "林格社区", "英塘社区", "曾林社区", "灵水社区", "西亭社区", "许坑社区", "洪溪社区",
}

// Industry and key-risk labels by platform code (quanzhou-platform.md, hylb and zdlx).
var (
	IndustryLabels = map[string]string{
		"YJ": "冶金", "YS": "有色", "JC": "建材", "JX": "机械", "QG": "轻工", "FZ": "纺织", "YC": "烟草", "SM": "商贸",
	}
	// KeyRiskCodes is the contract's canonical order of 重点类型 codes.
	KeyRiskCodes  = []string{"FCSB", "SAZL", "YXKJ", "GWRR", "MQ", "SL", "PT"}
	KeyRiskLabels = map[string]string{
		"FCSB": "粉尘涉爆", "SAZL": "涉氨制冷", "YXKJ": "有限空间", "GWRR": "高温熔融金属", "MQ": "煤气", "SL": "涉氯", "PT": "喷涂",
	}
	StatusLabels = map[string]string{"1": "在营", "2": "停产", "3": "关闭", "4": "注销"}
)

// trade is one kind of business with its 行业类别, how common it is, and its key-risk odds in
// percent (粉尘涉爆 for sole grinding and polishing, 有限空间 for dyeing pits and pulp tanks …).
type trade struct {
	word     string
	industry string
	weight   int
	risks    []risk
}

type risk struct {
	code    string
	percent int
}

var trades = []trade{
	{"鞋业", "QG", 20, []risk{{"FCSB", 18}, {"PT", 12}, {"YXKJ", 3}}},
	{"鞋材", "QG", 8, []risk{{"FCSB", 15}, {"PT", 6}}},
	{"纺织", "FZ", 6, []risk{{"FCSB", 10}, {"YXKJ", 5}}},
	{"织造", "FZ", 4, []risk{{"FCSB", 8}}},
	{"服装", "FZ", 8, []risk{{"YXKJ", 2}}},
	{"服饰", "FZ", 4, nil},
	{"制衣", "FZ", 3, nil},
	{"染整", "FZ", 2, []risk{{"YXKJ", 40}, {"SL", 8}}},
	{"机械", "JX", 6, []risk{{"FCSB", 12}, {"PT", 12}, {"YXKJ", 3}}},
	{"五金", "JX", 5, []risk{{"FCSB", 15}, {"PT", 8}}},
	{"印刷", "QG", 4, []risk{{"YXKJ", 6}}},
	{"包装", "QG", 5, []risk{{"YXKJ", 6}, {"FCSB", 4}}},
	{"彩印", "QG", 2, []risk{{"YXKJ", 5}}},
	{"纸品", "QG", 2, []risk{{"YXKJ", 20}, {"FCSB", 8}}},
	{"塑胶", "QG", 5, []risk{{"PT", 6}}},
	{"橡塑", "QG", 3, []risk{{"PT", 5}, {"FCSB", 4}}},
	{"食品", "QG", 3, []risk{{"SAZL", 25}, {"FCSB", 10}, {"YXKJ", 10}}},
	{"冷链", "SM", 1, []risk{{"SAZL", 80}}},
	{"贸易", "SM", 5, nil},
	{"建材", "JC", 2, []risk{{"FCSB", 20}}},
	{"石材", "JC", 1, []risk{{"FCSB", 25}}},
	{"陶瓷", "JC", 1, []risk{{"MQ", 20}, {"FCSB", 15}}},
	{"铸造", "YJ", 1, []risk{{"GWRR", 70}, {"FCSB", 20}}},
	{"铝业", "YS", 1, []risk{{"FCSB", 40}, {"GWRR", 30}}},
}

// Characters of 字号 (trade names): two of them make names like 恒达, 鑫盛, 宏泰.
var (
	zihaoFirst  = []rune("恒鑫华宏永金荣锦顺联兴盛泰丰源隆祥昌利安信诚鸿伟嘉豪凯腾辉晟峰远航佳美新星福海天成德明正通博汇富万众益瑞鹏")
	zihaoSecond = []rune("达盛泰丰源隆祥昌发利安信诚鸿伟嘉豪凯腾辉晟峰远航佳美新星福海成德明通博汇富益瑞鹏兴华宏荣顺茂升鼎亿")
)

// Surnames common in 晋江 and, for migrant workers, in 四川, 贵州, 湖南, 江西.
var (
	localSurnames   = []rune("陈林黄蔡王许吴洪施张李曾郑苏庄丁杨柯龚颜")
	migrantSurnames = []rune("李王张刘杨赵周罗邓何谢唐冯彭曾胡")
	givenChars      = []rune("志建国伟明华强军平东俊辉杰涛斌超勇鹏文晓丽芳燕红梅玲婷秀英金水清泉荣福海龙")
	minorityNames   = []string{"阿卜杜·热合曼", "买买提·吐尔逊", "古丽·艾山", "吾买尔·阿不都"}
)

// Birthplaces of roster people: 晋江, 惠安, 安溪, 南安 and other provinces' counties.
var (
	birthplaces      = []string{"350582", "350582", "350582", "350521", "350524", "350583", "510722", "522422", "431223", "362526", "510623", "522426"}
	noiseBirthplaces = []string{"350102", "350203", "350303", "350402", "350503", "350581", "350582", "350583", "350602", "350702", "350802", "350902"}
)

// Issuers of certificates: the local emergency-management bureaus.
var issuers = []string{"泉州市应急管理局", "泉州市应急管理局", "晋江市应急管理局", "厦门市应急管理局", "福建省应急管理厅"}

// Monitoring points by key-risk type: name, quantity, unit, threshold, type of breach.
type pointKind struct {
	name, quantity, unit, threshold, breach string
	low, high                               float64 // measured values when breached
}

var pointKinds = map[string][]pointKind{
	"FCSB": {
		{"号除尘器进出口压差", "压差", "Pa", "1500", "SX", 1520, 2100},
		{"号除尘器灰斗温度", "温度", "℃", "70", "SX", 71, 95},
		{"号打磨车间粉尘浓度", "粉尘浓度", "mg/m³", "8", "SX", 8.2, 15},
	},
	"SAZL": {{"号冷库氨气浓度", "氨气浓度", "ppm", "150", "SX", 151, 400}, {"号储氨器液位", "液位", "%", "30", "XX", 12, 29}},
	"YXKJ": {{"号污水池硫化氢浓度", "硫化氢浓度", "ppm", "10", "SX", 10.5, 30}, {"号污水池氧含量", "氧含量", "%", "19.5", "XX", 16, 19.4}},
	"GWRR": {{"号熔炉炉温", "温度", "℃", "780", "SX", 781, 860}},
	"MQ":   {{"号煤气发生炉一氧化碳浓度", "一氧化碳浓度", "ppm", "24", "SX", 25, 120}},
	"SL":   {{"号加氯间氯气浓度", "氯气浓度", "ppm", "1", "SX", 1.2, 5}},
	"PT":   {{"号喷涂房可燃气体浓度", "可燃气体浓度", "%LEL", "25", "SX", 26, 60}},
}

// Handling notes and roles for alarm feedback generated on the platform.
var (
	handlingNotes = []string{"已现场核查，设备运行恢复正常", "已清理除尘管道积灰", "已更换传感器并复测", "已通知企业停机检修", "已组织人员撤离并通风处置"}
	handlerTitles = []string{"安全员", "设备主管", "网格员"}
)

// Remarks the street office writes in its ledgers.
var (
	enterpriseRemarks = []string{"", "", "", "", "2024年复查", "租用厂房", "已签订安全生产承诺书", "待核实从业人数"}
	operatorRemarks   = []string{"", "", "", "", "", "班组长", "兼职", "外包维修"}
)
