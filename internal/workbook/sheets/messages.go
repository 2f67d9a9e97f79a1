package sheets

// Every sentence a person in the office reads, together so that it can be reviewed at a glance.

const (
	keyHeaderEnterprise = "统一社会信用代码"
	keyHeaderOperator   = "身份证号"

	reasonNotWorkbook   = "不是有效的 Excel 工作簿（.xlsx），也不是 CSV 文件"
	reasonBrokenXLSX    = "无法读取工作簿，文件可能已损坏、加密或不是 .xlsx 格式"
	reasonInflatedPart  = "中的“%s”由 %s 解压为 %s，压缩比异常，不像正常的台账工作簿，为安全起见拒绝导入；请在 Excel 中打开并另存为后再试"
	reasonInflatedTotal = "解压后超过 %s，超出导入上限，为安全起见拒绝导入；请把台账拆成几个文件分别导入"
	reasonOldXLS        = "是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入"
	reasonNoKnownSheet  = "中没有可识别的工作表：应有“企业台账”（含“统一社会信用代码”列）或“特种作业人员”（含“身份证号”列）"
	reasonCSVNoHeader   = "无法识别表头：前10行中应有含“统一社会信用代码”（企业台账）或“身份证号”（特种作业人员）的表头行"
	reasonNoHeaderRow   = "前10行中找不到含“%s”列的表头行"
	reasonMissingColumn = "缺少必填列：%s"
	reasonUnreadable    = "读取第%d行时出错：%v"

	reasonTooManySheets       = "有 %d 张工作表，超过可导入的 %d 张：请只保留“企业台账”和“特种作业人员”两张表后再导入"
	reasonTooManyLedgerSheets = "中可识别的台账工作表超过 %d 张：请合并为“企业台账”和“特种作业人员”两张表后再导入"
	reasonTooManyMerges       = "合并单元格超过 %d 处，不像正常的台账：请取消合并单元格后再导入"
)

// FileError is a problem with the file as a whole.
type FileError struct {
	File   string
	Sheet  string // "" when the problem is not one sheet's
	Reason string // Chinese, for the office
}

func (e *FileError) Error() string {
	if e.Sheet != "" {
		return e.File + "：工作表「" + e.Sheet + "」" + e.Reason
	}
	return e.File + "：" + e.Reason
}
