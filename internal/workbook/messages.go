package workbook

// Every sentence a person in the office reads, together so that it can be reviewed at a glance.

const (
	reasonDuplicate   = "与第%d行重复"
	reasonDuplicateIn = "与工作表「%s」第%d行重复"
	reasonExportExt   = "导出文件应为 .xlsx"
	reasonListsExt    = "四个清单应写成 .xlsx 文件（例如 -o 四个清单.xlsx）"

	reasonHazardEnterpriseUnknown = "台账中没有这家企业，本次导入的企业台账中也没有：请先在“企业台账”中登记该企业，再导入其隐患或演练记录"
	reasonHazardSelfReported      = "该编号是企业自查上报的隐患（来自平台），街道台账不能修改它：请删去此行，或为街道发现的隐患换一个编号"
	noteFromWorkbook              = "隐患台账导入（工作表「%s」第%d行）"
	handlerWorkbook               = "街道安办（台账导入）"

	reasonIDAsNumber = "身份证号被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”格式后重新输入"
	reasonTooLong    = "内容过长（超过%d个字符），整行未导入：请检查该单元格，删去多余内容后重新导入"

	reasonEnterpriseUnknown  = "台账中没有这家企业，本次导入的企业台账中也没有：请先在“企业台账”中登记该企业，再导入其特种作业人员"
	reasonEnterpriseRejected = "这家企业在本次导入的工作表「%s」第%d行被拒绝，台账中也没有它：请先更正该企业所在的行，再导入其特种作业人员"
	reasonUnknownCommunity   = "不在本街道的社区名单中（%s）：请核对社区名称；如确是新设的社区，请在配置 region.communities 中补上"

	// Groups of reasons in the counts by column and reason.
	reasonDuplicateAny = "与前面的行重复"
	reasonOther        = "其他原因"

	headerEnterpriseUSCC = "所在企业统一社会信用代码"
	headerCommunity      = "所属社区"

	resolvedByImport = "已由台账导入更正"

	textDryRun      = "试运行：以下为将要导入的结果，台账未作任何修改。"
	textDone        = "导入完成。"
	textCounts      = "%s：新增 %d，更新 %d，未变 %d"
	textRejected    = "被拒绝的行（共 %d 处问题，%d 行）："
	textRejection   = "  %s 第%d行 “%s”列 值“%s”：%s"
	textNoRejection = "没有被拒绝的行。"
	textWarnings    = "另有 %d 条提示已随记录保存（不影响导入）。"
	textWarning     = "  提示：%s 第%d行 “%s”列 值“%s”：%s"

	textRejectedOmitted = "另有 %d 行被拒绝，未逐行列出。全部被拒绝的行按列和原因统计如下："
	textRejectedCount   = "  %s “%s”列：%s —— %d 行"
	textRejectedFile    = "完整的拒绝清单和提示已写入：%s"
	textWarningsOmitted = "  另有 %d 条提示未列出。"
	textIgnored         = "已忽略的工作表：%s"
	textEmptyValue      = "（空）"
	headerEmployees     = "从业人数"
)

// The rejection list's sheets and headers (Options.RejectedPath).
const (
	sheetRejected = "被拒绝的行"
	sheetWarnings = "提示"
)

var (
	rejectedHeaders = []string{"工作表", "行号", "列", "内容", "原因"}
	warningHeaders  = []string{"工作表", "行号", "列", "内容", "提示"}
)
