package mapping

import "strconv"

// Every Chinese string a person reads in a Problem, kept together for review. The field tables
// (fields.go) take their labels from here. Code labels (冶金, 粉尘涉爆, 有效 …) are in labels.go,
// catalog names in catalog.go.

// Field labels. The enterprise and operator labels are also the workbook's canonical headers.
const (
	labelUSCC            = "统一社会信用代码"
	labelName            = "企业名称"
	labelLegalRep        = "法定代表人"
	labelPrincipal       = "主要负责人"
	labelPrincipalPhone  = "主要负责人电话"
	labelSafetyManager   = "安全管理人员"
	labelAddress         = "经营地址"
	labelCommunity       = "所属社区"
	labelIndustry        = "行业类别"
	labelKeyRisks        = "重点类型"
	labelEmployees       = "从业人数"
	labelStatus          = "企业状态"
	labelFactoryInside   = "是否厂中厂"
	labelRemark          = "备注"
	labelRegionCode      = "行政区划代码"
	labelPlatformID      = "平台企业ID"
	labelGrade           = "标准化等级"
	labelGradeValidUntil = "标准化有效期"
	labelRiskMonitored   = "是否纳入监测预警"
	labelUpdatedAt       = "更新时间"
	labelReview          = "核实状态"

	labelPersonName     = "姓名"
	labelIDNumber       = "身份证号"
	labelPhone          = "联系电话"
	labelEnterpriseUSCC = "所在企业统一社会信用代码"
	labelCategory       = "作业类别"
	labelItem           = "操作项目"
	labelStartDate      = "上岗日期"
	labelEndDate        = "离岗日期"

	labelCertNo         = "证号"
	labelHolderName     = "持证人姓名"
	labelGender         = "性别"
	labelFirstIssueDate = "初领日期"
	labelValidFrom      = "有效期起"
	labelValidUntil     = "有效期至"
	labelReviewDueDate  = "应复审日期"
	labelLastReviewDate = "实际复审日期"
	labelCertStatus     = "证书状态"
	labelCategoryName   = "作业类别名称"
	labelItemName       = "操作项目名称"
	labelIssuer         = "发证机关"

	labelAlarmID      = "报警编号"
	labelAlarmLevel   = "报警级别"
	labelAlarmType    = "报警类型"
	labelRaisedAt     = "报警时间"
	labelRecoveredAt  = "恢复时间"
	labelHandling     = "处置状态"
	labelHandlingNote = "处置说明"
	labelHandler      = "处置人"
	labelHandledAt    = "处置时间"
	labelAlarmTarget  = "报警企业"
	labelPointCode    = "监测点编码"
	labelPointName    = "监测点名称"
	labelQuantity     = "监测项目"
	labelUnit         = "计量单位"
	labelAlarmValue   = "报警值"
	labelThreshold    = "报警阈值"
)

// The workbook's words for 核实状态.
const (
	textPending   = "待核实"
	textConfirmed = "已核实"
)

// Reasons.
const (
	reasonRequired         = "不能为空"
	reasonUSCCLength       = "应为18位，实为"
	reasonUSCCCharacter    = "含有代码中不会出现的字符（代码只用数字和除I、O、Z、S、V以外的大写字母）"
	reasonCheckChar        = "校验位错误"
	reasonUSCCFujianPilot  = "校验位不符，但属福建早期试点代码且组织机构代码校验通过，按有效处理"
	reasonIDLength         = "应为18位，实为"
	reasonIDCharacter      = "前17位应为数字，末位为数字或X"
	reasonIDNoSuchBirth    = "出生日期不存在"
	reasonIDBirthFuture    = "出生日期晚于今天"
	reasonIDBirthEarly     = "出生日期早于1900年"
	reasonPhone            = "号码格式不正确（应为11位手机号，或区号加7至8位号码的固定电话）"
	reasonRegionCode       = "应为9位数字"
	reasonNoCommunity      = "未填写，预警无法分派到社区"
	reasonEmployees        = "应为不小于0的整数"
	reasonEmployeesTooMany = "人数不合理（超过100万）"
	reasonDateFormat       = "日期格式无法识别（如2024-05-21）"
	reasonNoSuchDate       = "日期不存在"
	reasonDateRange        = "日期超出合理范围（1900—2099年）"
	reasonTimeFormat       = "时间格式无法识别"
	reasonYesNo            = "应填“是”或“否”"
	reasonIndustry         = "无法识别，可填：冶金、有色、建材、机械、轻工、纺织、烟草、商贸"
	reasonKeyRisk          = "无法识别，可填：粉尘涉爆、涉氨制冷、有限空间、高温熔融金属、煤气、涉氯、喷涂，多个用“、”分隔"
	reasonStatus           = "无法识别，可填：在营、停产、关闭、注销"
	reasonGrade            = "无法识别的标准化等级"
	reasonEndBeforeStart   = "离岗日期早于上岗日期"
	reasonUntilBeforeFrom  = "有效期至早于有效期起"
	reasonUnknownItem      = "特种作业目录中没有这个操作项目"
	reasonIsCategory       = "这是作业类别，请填写具体操作项目："
	reasonUnknownItemKept  = "特种作业目录中没有这个代码，已按原样保留"
	reasonCategoryPrefix   = "与操作项目不符，应为："
	reasonCertStatus       = "无法识别的证书状态，已按原样保留，不视为有效"
	reasonGender           = "应为1（男）或2（女）"
	reasonGenderMismatch   = "与身份证号中的性别不符"
	reasonAlarmLevel       = "报警级别应为1至4"
	reasonAlarmType        = "报警类型应为SX、XX或LX"
	reasonHandling         = "处置状态应为0、1或2"
	reasonFeedbackStatus   = "反馈的处置状态应为1（处置中）或2（已处置）"
	reasonAlarmEnterprise  = "缺少企业的平台ID和统一社会信用代码"
	reasonDuplicateColumn  = "有多列表示同一内容且填写不一致"
)

// reasonTooLong names the limit a value exceeds and its length: 超过 100 个字符（实际 2097152 个）.
func reasonTooLong(max, got int) string {
	return "超过 " + strconv.Itoa(max) + " 个字符（实际 " + strconv.Itoa(got) + " 个），请删减"
}

// reasonOneOf asks for one of a field's two words, empty meaning the second.
func reasonOneOf(yes, no string) string {
	return "应填“" + yes + "”或“" + no + "”（留空即为“" + no + "”）"
}

// unknownItemReason explains an item text the catalog cannot resolve; a category's name gets the
// list of its items.
func (c *Catalog) unknownItemReason(text string) string {
	if cat, ok := c.LookupCategory(text); ok {
		return reasonIsCategory + c.itemNames(cat.Code)
	}
	return reasonUnknownItem
}

// categoryMismatchReason names the category an item belongs to.
func (c *Catalog) categoryMismatchReason(it CatalogItem) string {
	cat, _ := c.Category(it.Category)
	return reasonCategoryPrefix + it.Category + " " + cat.Name + "（" + c.itemLabel(it.Code) + "）"
}
