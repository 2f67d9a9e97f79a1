package mapping

// Every Chinese string a person reads about a hazard, an inspection or a drill (contracts/
// hazards.md), kept together for review like messages.go. The labels are also the headers of
// the workbook's 隐患台账 and 演练记录 sheets.

// Field labels.
const (
	labelHazardStreetID   = "隐患编号"
	labelHazardID         = "平台隐患ID"
	labelHazardDesc       = "隐患描述"
	labelHazardLevel      = "隐患等级"
	labelHazardClause     = "判定依据"
	labelHazardLocation   = "隐患部位"
	labelHazardFoundOn    = "发现日期"
	labelHazardFoundBy    = "发现人"
	labelHazardSource     = "来源"
	labelHazardDeadline   = "整改期限"
	labelHazardOwner      = "整改责任人"
	labelHazardMeasures   = "整改措施"
	labelHazardStatus     = "整改状态"
	labelHazardStatusNote = "整改说明"
	labelHazardStatusBy   = "经办人"
	labelHazardStatusAt   = "办理时间"

	labelInspectionID    = "检查记录编号"
	labelInspectionDate  = "检查日期"
	labelInspectionType  = "检查类型"
	labelInspectionLead  = "带队人"
	labelInspectionFound = "发现隐患数"

	labelDrillDate         = "演练日期"
	labelDrillType         = "演练类型"
	labelDrillParticipants = "参加人数"
)

// Reasons.
const (
	reasonHazardLevel       = "无法识别，可填：一般、重大"
	reasonHazardSource      = "无法识别，可填：街道检查、专家会诊、举报投诉、上级检查（企业自查的隐患来自平台）"
	reasonSourceSelfCheck   = "企业自查的隐患由企业在平台填报，街道台账不能录入，请改为街道检查、专家会诊、举报投诉或上级检查"
	reasonHazardStatus      = "无法识别，可填：待整改、整改中、已整改、已销号"
	reasonClauseRequired    = "重大事故隐患必须填写判定依据，如3-2或第三条第（二）项"
	reasonClauseFormat      = "无法识别，应填条款编号（如3-2）或条款（如第三条第（二）项）"
	reasonClauseUnknown     = "条款清单中没有这一条，已按原样保留；如确为判定标准的条款，请在配置 hazards.clauses 中补充"
	reasonClauseGeneral     = "一般隐患不填判定依据，推送平台时不发送；如属重大事故隐患，请把隐患等级改为重大"
	reasonStreetID          = "应为1至32位字母、数字或“-”"
	reasonDeadlineEarly     = "整改期限早于发现日期"
	reasonFoundInFuture     = "发现日期晚于今天"
	reasonStatusBackward    = "整改状态不能回退：当前为%s，不能改为%s"
	reasonStatusClosedFinal = "隐患已销号，不能再变更整改状态"
	reasonStatusTarget      = "只能改为整改中、已整改或已销号"
	reasonClosingNote       = "销号须写明验收情况和验收人"
	reasonInspectionType    = "无法识别，可填：主要负责人带队检查、日常检查、专项检查"
	reasonHazardCount       = "应为不小于0的整数"
	reasonDrillType         = "无法识别，可填：疏散逃生、综合、专项"
	reasonParticipants      = "应为不小于0的整数"
	reasonDrillInFuture     = "演练日期晚于今天"
)
