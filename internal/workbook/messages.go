package workbook

// Every sentence a person in the office reads, together so that it can be reviewed at a glance.

const (
	reasonDuplicate   = "与第%d行重复"
	reasonDuplicateIn = "与工作表「%s」第%d行重复"
	reasonExportExt   = "导出文件应为 .xlsx"
	reasonIDAsNumber  = "身份证号被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”格式后重新输入"

	resolvedByImport = "已由台账导入更正"

	textDryRun      = "试运行：以下为将要导入的结果，台账未作任何修改。"
	textDone        = "导入完成。"
	textCounts      = "%s：新增 %d，更新 %d，未变 %d"
	textRejected    = "被拒绝的行（共 %d 处问题，%d 行）："
	textRejection   = "  %s 第%d行 “%s”列 值“%s”：%s"
	textNoRejection = "没有被拒绝的行。"
	textWarnings    = "另有 %d 条提示已随记录保存（不影响导入）。"
	textIgnored     = "已忽略的工作表：%s"
	textEmptyValue  = "（空）"
	headerEmployees = "从业人数"
)
